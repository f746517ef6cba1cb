/**
 * Embeddings through transformers.js (@huggingface/transformers, an optional peer dependency: install it
 * to use this provider; docs/embeddings.md says how to do that offline). Any feature-extraction model
 * runs: an ONNX export in a local folder, or a hub model id on machines that reach the hub (downloaded
 * once, with a progress bar on a terminal, into a cache that later loads read offline).
 *
 * Pooling and normalisation follow the model's sentence-transformers files (1_Pooling/config.json and
 * modules.json' Normalize module), as sentence-transformers itself would; the options override them.
 * Without those files: mean pooling and unit-length vectors.
 */
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { QuiverError } from '../core/errors.js';
import { embedInBatches, throwIfAborted } from './batches.js';
import { type DownloadProgress, downloadProgressBar } from './download-progress.js';
import { type ModelFileSource, readModelJson } from './model-files.js';
import { importOptional } from './optional.js';
import type { EmbedOptions, EmbeddingFunction } from './types.js';

type Transformers = typeof import('@huggingface/transformers');
type Extractor = Awaited<ReturnType<typeof import('@huggingface/transformers').pipeline<'feature-extraction'>>>;

export type TransformersPooling = 'mean' | 'cls' | 'last_token';

export interface TransformersEmbeddingOptions {
  /** A hub model id (`Xenova/all-MiniLM-L6-v2`), or the name to record for a model in `localPath`. */
  model: string;
  /** A folder with config.json, tokenizer.json and onnx/model.onnx: loads from there and never from the hub. */
  localPath?: string;
  /** Overrides the model's pooling config. */
  pooling?: TransformersPooling;
  /** Overrides whether the model's modules normalise to unit length. */
  normalize?: boolean;
  /** Whether hub downloads are allowed (default: yes, unless localPath is given). */
  allowRemote?: boolean;
  /** Where downloaded models are kept (default $QUIVER_MODEL_CACHE or ~/.cache/quiverdb/models). */
  cacheDir?: string;
  /** Hub revision (default 'main'). */
  revision?: string;
  /** Weights' data type, picking onnx/model.onnx (fp32, the default), model_fp16.onnx, model_quantized.onnx (q8), ... */
  dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'bnb4' | 'q4f16';
  /** Texts per model call (default 32). */
  batchSize?: number;
  /** Download progress per file; by default a progress bar on stderr when it is a terminal. */
  onDownloadProgress?: ((progress: DownloadProgress) => void) | false;
}

const INSTALL = 'ONNXRUNTIME_NODE_INSTALL=skip npm install @huggingface/transformers (the variable keeps onnxruntime-node from downloading GPU binaries)';

export function defaultModelCacheDir(): string {
  return process.env.QUIVER_MODEL_CACHE ?? join(homedir(), '.cache', 'quiverdb', 'models');
}

interface PoolingConfig {
  pooling_mode_cls_token?: boolean;
  pooling_mode_mean_tokens?: boolean;
  pooling_mode_max_tokens?: boolean;
  pooling_mode_mean_sqrt_len_tokens?: boolean;
  pooling_mode_lasttoken?: boolean;
}

/** What the model's sentence-transformers files say, or null where they are silent. */
async function modelDefaults(source: ModelFileSource): Promise<{ pooling: TransformersPooling | null; normalize: boolean | null }> {
  const modules = (await readModelJson(source, 'modules.json')) as { type?: string; path?: string }[] | null;
  const poolingPath = modules?.find((m) => m.type?.endsWith('.Pooling'))?.path ?? '1_Pooling';
  const config = (await readModelJson(source, `${poolingPath}/config.json`)) as PoolingConfig | null;
  let pooling: TransformersPooling | null = null;
  if (config) {
    if (config.pooling_mode_cls_token) pooling = 'cls';
    else if (config.pooling_mode_mean_tokens) pooling = 'mean';
    else if (config.pooling_mode_lasttoken) pooling = 'last_token';
    else {
      throw new QuiverError('UNSUPPORTED', `${source.model} pools with a mode transformers.js does not have (max or mean-sqrt-len); pass pooling: 'mean' | 'cls' | 'last_token' to choose one.`, { model: source.model, config });
    }
  }
  const normalize = modules ? modules.some((m) => m.type?.endsWith('.Normalize')) : null;
  return { pooling, normalize };
}

function modelNotFound(options: TransformersEmbeddingOptions, cause: unknown, allowRemote: boolean): QuiverError {
  const where = options.localPath
    ? `in ${options.localPath} (it needs config.json, tokenizer.json and onnx/model.onnx)`
    : allowRemote
      ? 'on the hub (check the id, and that this machine reaches the hub)'
      : 'in the model cache, and remote loading is off';
  return new QuiverError('MODEL_NOT_FOUND', `The transformers.js model ${options.model} was not found ${where}: ${(cause as Error)?.message ?? cause}`, { model: options.model, localPath: options.localPath ?? null }, { cause });
}

/** Loads a transformers.js feature-extraction model and returns an embedding function over it. */
export async function transformersEmbedding(options: TransformersEmbeddingOptions): Promise<EmbeddingFunction> {
  if (typeof options?.model !== 'string' || options.model === '') {
    throw new QuiverError('INVALID_ARGUMENT', "The transformers provider needs a model: a hub id such as 'Xenova/all-MiniLM-L6-v2', or a name with localPath.", {});
  }
  const localPath = options.localPath === undefined ? null : resolve(options.localPath);
  if (localPath !== null && !existsSync(join(localPath, 'config.json'))) throw modelNotFound(options, new Error(`no config.json in ${localPath}`), false);
  const allowRemote = options.allowRemote ?? localPath === null;
  const cacheDir = options.cacheDir ?? defaultModelCacheDir();
  const batchSize = options.batchSize ?? 32;

  const transformers = await importOptional<Transformers>('@huggingface/transformers', INSTALL, 'transformers');
  const { env } = transformers;
  // transformers.js keeps these settings in one global object: set them for this load.
  env.allowRemoteModels = allowRemote;
  env.allowLocalModels = true;
  env.cacheDir = cacheDir;
  env.useFSCache = true;

  const source: ModelFileSource = {
    localPath,
    model: options.model,
    revision: options.revision ?? 'main',
    cacheDir,
    remoteHost: env.remoteHost,
    remotePathTemplate: env.remotePathTemplate,
    allowRemote,
  };
  const defaults = await modelDefaults(source).catch((error: unknown) => {
    if (error instanceof QuiverError) throw error;
    throw modelNotFound(options, error, allowRemote);
  });
  const pooling = options.pooling ?? defaults.pooling ?? 'mean';
  const normalize = options.normalize ?? defaults.normalize ?? true;

  // A bar only for downloads (hub models) on a terminal, made at the first byte so cached loads show none.
  let bar: ReturnType<typeof downloadProgressBar> | null = null;
  const stopBar = (): void => bar?.stop();
  const onProgress: ((progress: DownloadProgress) => void) | null =
    options.onDownloadProgress === false
      ? null
      : (options.onDownloadProgress ??
        (localPath === null && process.stderr.isTTY ? (progress) => (bar ??= downloadProgressBar(`model ${basename(options.model)}`)).update(progress) : null));
  let extractor: Extractor;
  try {
    extractor = await transformers.pipeline('feature-extraction', localPath ?? options.model, {
      dtype: options.dtype ?? 'fp32',
      revision: source.revision,
      local_files_only: !allowRemote,
      progress_callback: (info) => {
        if (info.status !== 'progress' || onProgress === null) return;
        onProgress?.({ file: info.file, loaded: info.loaded, total: info.total });
      },
    });
  } catch (error) {
    throw modelNotFound(options, error, allowRemote);
  } finally {
    stopBar();
  }

  const name = `transformers:${options.model}`;
  const run = async (batch: readonly string[]): Promise<Float32Array[]> => {
    const output = await extractor([...batch], { pooling, normalize });
    const [rows, width] = output.dims as number[];
    const data = output.data as Float32Array;
    const vectors = Array.from({ length: rows }, (_, i) => data.slice(i * width, (i + 1) * width));
    output.dispose();
    return vectors;
  };
  // The dimension is whatever the model's pooled output is: measured once rather than read from one of
  // the several config names (hidden_size, d_model, dim) models use.
  const [probe] = await run(['dimension']);
  const dimension = probe.length;
  let closed = false;
  return {
    name,
    dimension,
    normalized: normalize,
    batchSize,
    async embed(texts: readonly string[], embedOptions?: EmbedOptions): Promise<Float32Array[]> {
      if (closed) throw new QuiverError('CLOSED', 'This embedding function was closed.', { name });
      throwIfAborted(embedOptions?.signal);
      return embedInBatches(texts, embedOptions, { batchSize, dimension, name }, run);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await extractor.dispose();
    },
  };
}
