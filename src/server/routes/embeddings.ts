/**
 * POST /v1/embeddings, OpenAI's request and response shapes, so that any OpenAI client (and Quiver's
 * own openai provider) can embed with the server's model. Read access, as for queries. Limits and the
 * model name are checked before any text reaches the model; a client that disconnects stops the job
 * between batches.
 */
import { QuiverError } from '../../protocol/errors.js';
import { EmbeddingsRequestSchema, EmbeddingsResponseSchema, ErrorBodySchema, ref } from '../../protocol/schemas.js';
import { encodeF32 } from '../../protocol/vectors.js';
import type { App, ServerContext } from '../context.js';
import { countWords } from '../embedder.js';

const errors = { default: ref(ErrorBodySchema) };

export function embeddingRoutes(app: App, ctx: ServerContext): void {
  app.post('/v1/embeddings', {
    config: { access: 'read' },
    schema: {
      tags: ['system'],
      operationId: 'embeddings',
      summary: "OpenAI-compatible embeddings with the server's embedder (its `embedding` setting)",
      description:
        '`input` is a text or a list of texts; `model` may be omitted, or must name the server\'s model (the `model` this route answers, or the configured one). `encoding_format: "base64"` returns little-endian float32 bytes. `usage` counts words, not a model\'s subword tokens. Limits: `limits.embeddingInputsMax` texts per request and `limits.embeddingInputBytesMax` bytes per text (413 LIMIT_EXCEEDED).',
      body: EmbeddingsRequestSchema,
      response: { 200: EmbeddingsResponseSchema, ...errors },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const texts = typeof body.input === 'string' ? [body.input] : body.input;
      checkInputs(texts, ctx.config.limits);
      const embedder = await ctx.embedder.get();
      const models = ctx.embedder.acceptedModels(embedder);
      if (body.model !== undefined && !models.includes(body.model)) {
        throw new QuiverError('MODEL_NOT_FOUND', `This server embeds with ${embedder.name}, not ${JSON.stringify(body.model)}: send model "${embedder.name}" or leave it out.`, {
          model: body.model,
          available: models,
        });
      }
      if (body.dimensions !== undefined && body.dimensions !== embedder.dimension) {
        throw new QuiverError('INVALID_ARGUMENT', `${embedder.name} makes vectors of ${embedder.dimension} dimensions and cannot shorten them: leave dimensions out or send ${embedder.dimension}.`, {
          field: 'dimensions',
          dimension: embedder.dimension,
          received: body.dimensions,
        });
      }
      // a client that goes away stops the job at its next batch
      const controller = new AbortController();
      const onClose = (): void => {
        if (!reply.raw.writableFinished) controller.abort('the client disconnected');
      };
      reply.raw.on('close', onClose);
      let vectors: Float32Array[];
      try {
        vectors = await embedder.embed(texts, { signal: controller.signal });
      } finally {
        reply.raw.off('close', onClose);
      }
      const base64 = body.encoding_format === 'base64';
      const tokens = texts.reduce((sum, text) => sum + countWords(text), 0);
      return {
        object: 'list' as const,
        data: vectors.map((vector, index) => ({ object: 'embedding' as const, index, embedding: base64 ? encodeF32(vector) : Array.from(vector) })),
        model: embedder.name,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    },
  });
}

function checkInputs(texts: string[], limits: { embeddingInputsMax: number; embeddingInputBytesMax: number }): void {
  if (texts.length === 0) throw new QuiverError('INVALID_ARGUMENT', 'input is an empty list: send a text or a list of at least one text.', { field: 'input' });
  if (texts.length > limits.embeddingInputsMax) {
    throw new QuiverError('LIMIT_EXCEEDED', `input has ${texts.length} texts, more than ${limits.embeddingInputsMax} (limits.embeddingInputsMax): split the request.`, {
      limit: 'embeddingInputsMax',
      maximum: limits.embeddingInputsMax,
      received: texts.length,
    });
  }
  texts.forEach((text, index) => {
    // UTF-16 length bounds UTF-8 bytes from below and by 3x from above: most texts skip the count
    if (text.length * 3 <= limits.embeddingInputBytesMax) return;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > limits.embeddingInputBytesMax) {
      throw new QuiverError('LIMIT_EXCEEDED', `input[${index}] is ${bytes} bytes, more than ${limits.embeddingInputBytesMax} (limits.embeddingInputBytesMax): chunk long documents (chunkText in quiverdb/embed).`, {
        limit: 'embeddingInputBytesMax',
        maximum: limits.embeddingInputBytesMax,
        received: bytes,
        index,
      });
    }
  });
}
