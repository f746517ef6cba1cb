#!/usr/bin/env node
/**
 * Writes a tiny feature-extraction model folder that transformers.js loads like any Hugging Face model:
 * config.json (a BERT), tokenizer.json (lowercasing WordPiece over a small English vocabulary),
 * tokenizer_config.json, the sentence-transformers pooling files (mean pooling, then L2 normalisation)
 * and onnx/model.onnx: an embedding-table lookup (Gather) masked by attention_mask, i.e. the first layer of
 * every encoder and nothing after it. Tests run the transformers.js provider on it with remote loading off.
 *
 * The table is seeded, so the same folder comes out every time; it is build output (.tmp/ is ignored).
 * The ONNX protobuf is written by hand below (a dozen messages' worth of field numbers from onnx.proto3)
 * so that generating it needs no Python and no protobuf package.
 *
 * Usage: node scripts/make-test-embedder.mjs [dir]   (default .tmp/models/tiny-embedder)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TINY_EMBEDDER_DIMENSION = 32;
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = (
  'the a an of to in on at for with by from and or but not no is are was were be been it this that these those ' +
  'i you he she we they my your our their cat cats dog dogs sat sit sits mat rug floor house home car cars road ' +
  'drive drives driving fast slow red blue green big small market markets stock stocks price prices fell rise rose ' +
  'today yesterday tomorrow bank money rain sun weather cold hot winter summer music song play plays played ' +
  'computer computers program code bug bugs database vector vectors search query index fish water sea river ' +
  'eat eats food bread apple apples run runs ran walk walks park tree trees bird birds sing sings quick brown fox ' +
  'jumps over lazy'
).split(' ');
const SUFFIXES = ['##s', '##ed', '##ing', '##ly', '##er'];
export const TINY_EMBEDDER_VOCAB = [...SPECIALS, ...WORDS, ...SUFFIXES];

/** mulberry32: a seeded PRNG, so the table is the same on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The embedding table, row-major [vocab, dimension]; exported so tests can compute expected vectors. */
export function tinyEmbedderTable(seed = 7, dimension = TINY_EMBEDDER_DIMENSION) {
  const random = prng(seed);
  const table = new Float32Array(TINY_EMBEDDER_VOCAB.length * dimension);
  for (let i = 0; i < table.length; i++) table[i] = random() * 2 - 1;
  return table;
}

// ---- protobuf wire format ----------------------------------------------------------------------------
function varint(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(out);
}
const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const key = (field, wire) => varint((field << 3) | wire);
const int = (field, value) => concat([key(field, 0), varint(value)]);
const bytes = (field, value) => concat([key(field, 2), varint(value.length), value]);
const str = (field, value) => bytes(field, new TextEncoder().encode(value));
const msg = (field, ...parts) => bytes(field, concat(parts));

// ---- onnx.proto3 messages (field numbers from the spec) ----------------------------------------------
const FLOAT = 1;
const INT64 = 7;
const tensor = (field, name, dataType, dims, raw) =>
  msg(field, ...dims.map((d) => int(1, d)), int(2, dataType), str(8, name), bytes(9, raw));
const dim = (d) => (typeof d === 'number' ? msg(1, int(1, d)) : msg(1, str(2, d)));
const valueInfo = (field, name, elemType, dims) => msg(field, str(1, name), msg(2, msg(1, int(1, elemType), msg(2, ...dims.map(dim)))));
const node = (opType, inputs, outputs, attributes = []) =>
  msg(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${opType.toLowerCase()}_${outputs[0]}`), str(4, opType), ...attributes);
const intAttribute = (name, value) => msg(5, str(1, name), int(3, value), int(20, 2));

export function tinyEmbedderOnnx(table = tinyEmbedderTable()) {
  const vocab = TINY_EMBEDDER_VOCAB.length;
  const d = table.length / vocab;
  const axes = new Uint8Array(new BigInt64Array([-1n]).buffer);
  const graph = concat([
    node('Gather', ['word_embeddings', 'input_ids'], ['token_vectors'], [intAttribute('axis', 0)]),
    node('Cast', ['attention_mask'], ['mask_float'], [intAttribute('to', FLOAT)]),
    node('Unsqueeze', ['mask_float', 'last_axis'], ['mask_column']),
    node('Mul', ['token_vectors', 'mask_column'], ['last_hidden_state']),
    str(2, 'tiny_embedder'),
    tensor(5, 'word_embeddings', FLOAT, [vocab, d], new Uint8Array(table.buffer, table.byteOffset, table.byteLength)),
    tensor(5, 'last_axis', INT64, [1], axes),
    valueInfo(11, 'input_ids', INT64, ['batch', 'sequence']),
    valueInfo(11, 'attention_mask', INT64, ['batch', 'sequence']),
    valueInfo(12, 'last_hidden_state', FLOAT, ['batch', 'sequence', d]),
  ]);
  return concat([int(1, 8), str(2, 'quiverdb scripts/make-test-embedder.mjs'), msg(7, graph), msg(8, str(1, ''), int(2, 13))]);
}

function tokenizerJson() {
  const vocab = Object.fromEntries(TINY_EMBEDDER_VOCAB.map((token, id) => [token, id]));
  const special = (content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((token, id) => special(token, id)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/**
 * Writes the folder; `pooling` picks what 1_Pooling/config.json says (and so what the provider does);
 * `dimension` makes a model of another width (tests of a collection whose model changed).
 */
export function makeTinyEmbedder(dir, { pooling = 'mean', normalize = true, dimension = TINY_EMBEDDER_DIMENSION } = {}) {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  mkdirSync(join(dir, '1_Pooling'), { recursive: true });
  const json = (path, value) => writeFileSync(join(dir, path), `${JSON.stringify(value, null, 2)}\n`);
  json('config.json', {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: dimension,
    vocab_size: TINY_EMBEDDER_VOCAB.length,
    max_position_embeddings: 128,
    num_attention_heads: 1,
    num_hidden_layers: 0,
    type_vocab_size: 2,
    pad_token_id: 0,
  });
  json('tokenizer.json', tokenizerJson());
  json('tokenizer_config.json', {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: 128,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  });
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  if (normalize) modules.push({ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' });
  json('modules.json', modules);
  json('1_Pooling/config.json', {
    word_embedding_dimension: dimension,
    pooling_mode_cls_token: pooling === 'cls',
    pooling_mode_mean_tokens: pooling === 'mean',
    pooling_mode_max_tokens: false,
    pooling_mode_mean_sqrt_len_tokens: false,
  });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), tinyEmbedderOnnx(tinyEmbedderTable(7, dimension)));
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? join(fileURLToPath(new URL('..', import.meta.url)), '.tmp', 'models', 'tiny-embedder'));
  makeTinyEmbedder(dir);
  console.log(`wrote ${dir}`);
}
