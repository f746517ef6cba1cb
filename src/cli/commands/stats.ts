/** quiver stats [--collection NAME] [--json]: what the engine reports about each collection. */
import { type Context, openTarget } from '../context.js';
import { formatBytes } from '../format.js';
import type { TargetStats } from '../target.js';

export async function statsCommand(ctx: Context, options: { collection?: string; json?: boolean }): Promise<void> {
  const { target, location } = await openTarget(ctx, { create: false });
  try {
    const names = options.collection !== undefined ? [options.collection] : (await target.listCollections()).map((c) => c.name);
    const stats: TargetStats[] = [];
    for (const name of names) stats.push({ name, ...(await target.collection(name).stats()) });
    if (options.json) {
      process.stdout.write(JSON.stringify(options.collection !== undefined ? stats[0] : { location, collections: stats }) + '\n');
      return;
    }
    if (stats.length === 0) {
      process.stdout.write(`${location}: no collections\n`);
      return;
    }
    process.stdout.write(stats.map(render).join('\n\n') + '\n');
  } finally {
    await target.close?.();
  }
}

function render(s: TargetStats): string {
  const lines: [string, string][] = [
    ['collection', String(s.name)],
    ['records', s.count.toLocaleString('en-US')],
    ['dimension', String(s.dimension)],
    ['metric', s.metric],
    ['index', s.index],
  ];
  if (s.segments !== undefined) lines.push(['segments', String(s.segments)]);
  if (s.deletedRecords !== undefined) lines.push(['deleted records', s.deletedRecords.toLocaleString('en-US')]);
  if (s.unindexed !== undefined) lines.push(['not yet indexed', s.unindexed.toLocaleString('en-US')]);
  const bpv = s.bytesPerVector;
  if (bpv) {
    const parts = Object.entries(bpv)
      .filter(([part, bytes]) => part !== 'total' && bytes > 0)
      .map(([part, bytes]) => `${part} ${formatBytes(Math.round(bytes))}`);
    lines.push(['bytes per vector', `${formatBytes(Math.round(bpv.total ?? 0))}${parts.length ? ` (${parts.join(', ')})` : ''}`]);
  }
  const c = s.compression;
  if (c) {
    const reducer = c.reducer ? `${c.reducer.method} to ${c.reducer.dimension}${c.reducer.fitted && c.reducer.fitted !== c.reducer.method ? ` (fitted as ${c.reducer.fitted})` : ''}${c.reducer.retained !== null ? `, keeps ${(100 * c.reducer.retained).toFixed(1)}% of the energy` : ''}; ` : '';
    const state = c.trained ? `trained (generation ${c.generation}, ${c.trainingRows.toLocaleString('en-US')} rows${c.driftRatio !== null ? `, drift ${c.driftRatio.toFixed(2)}` : ''})` : `not trained yet (trains at ${c.trainingThreshold.toLocaleString('en-US')} vectors)`;
    lines.push(['compression', `${reducer}quantizer ${c.quantizer}, re-rank ${c.rerank}; ${state}`]);
  }
  lines.push(['estimated recall@10', s.estimatedRecall ? `${s.estimatedRecall.recallAt10.toFixed(3)} (${s.estimatedRecall.sampleSize} samples)` : 'not measured yet']);
  if (typeof s.kernel === 'string') lines.push(['kernel', s.kernel]);
  const storage = s.storage;
  if (storage?.durability) lines.push(['storage', `durability ${storage.durability}, log ${formatBytes(storage.walBytes ?? 0)}, ${storage.checkpoints ?? 0} checkpoints`]);
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
