/** quiver collections create | list | drop */
import type { Context } from '../context.js';
import { openTarget } from '../context.js';
import { usage } from '../exit.js';
import { table } from '../format.js';
import { parseChunking, parseDimension, parseEmbedding } from './options.js';

export interface CreateOptions {
  dimension?: string;
  embedding?: string;
  chunking?: string;
  metric?: string;
  index?: string;
  multivector?: boolean;
  pooling?: string;
}

export async function createCollection(ctx: Context, name: string, options: CreateOptions): Promise<void> {
  if (options.dimension === undefined && options.embedding === undefined) throw usage('quiver collections create needs --dimension N (the length of the vectors), or --embedding (the model says it).');
  const dimension = options.dimension === undefined ? undefined : parseDimension(options.dimension);
  const { target, location } = await openTarget(ctx, { create: true });
  try {
    await target.createCollection(name, {
      ...(dimension !== undefined ? { dimension } : {}),
      ...(options.embedding !== undefined ? { embedding: parseEmbedding(options.embedding) } : {}),
      ...(options.chunking !== undefined ? { chunking: parseChunking(options.chunking) } : {}),
      ...(options.metric !== undefined ? { metric: options.metric as 'cosine' | 'dot' | 'l2' } : {}),
      ...(options.index !== undefined ? { index: options.index } : {}),
      ...multivectorOptions(options),
    });
    const info = (await target.listCollections()).find((c) => c.name === name);
    const model = info?.embedding ? `, embedding ${info.embedding.model}` : '';
    process.stdout.write(`created collection "${name}" (dimension ${info?.dimension ?? dimension}, ${info?.metric ?? options.metric}, ${info?.index ?? options.index}${model}) in ${location}\n`);
  } finally {
    await target.close?.();
  }
}

/** --multivector and --pooling as the collection config takes them (the database checks the values). */
export function multivectorOptions(options: { multivector?: boolean; pooling?: string; metric?: string }): { multivector?: true; pooling?: number; metric?: 'dot' } {
  if (options.pooling !== undefined && !options.multivector) throw usage('--pooling applies to multi-vector collections: add --multivector.');
  if (!options.multivector) return {};
  const pooling = options.pooling === undefined ? undefined : Number(options.pooling);
  if (pooling !== undefined && !Number.isInteger(pooling)) throw usage(`--pooling is a whole number (1 = off, 2, 3); got ${JSON.stringify(options.pooling)}.`);
  return { multivector: true, ...(options.metric === undefined ? { metric: 'dot' as const } : {}), ...(pooling !== undefined ? { pooling } : {}) };
}

export async function listCollections(ctx: Context, options: { json?: boolean }): Promise<void> {
  const { target } = await openTarget(ctx, { create: false });
  try {
    const collections = await target.listCollections();
    if (options.json) process.stdout.write(JSON.stringify(collections) + '\n');
    else if (collections.length === 0) process.stdout.write('no collections\n');
    else process.stdout.write(table(['name', 'dimension', 'metric', 'index', 'count'], collections.map((c) => [c.name, c.dimension, c.metric, c.index, c.count])) + '\n');
  } finally {
    await target.close?.();
  }
}

export async function dropCollection(ctx: Context, name: string, options: { yes?: boolean }): Promise<void> {
  if (!options.yes) throw usage(`Dropping "${name}" deletes all its records; confirm with --yes.`);
  const { target } = await openTarget(ctx, { create: false });
  try {
    await target.dropCollection(name);
    process.stdout.write(`dropped collection "${name}"\n`);
  } finally {
    await target.close?.();
  }
}
