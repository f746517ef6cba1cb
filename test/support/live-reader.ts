/** Node-only test helpers over the data ones (data.ts is also bundled for the browser tests: no node: imports there). */
import assert from 'node:assert/strict';
import { Prng } from '../../src/core/lib/prng.js';
import { type Metric, distance64, tolerance } from './data.js';

/**
 * A reader running beside writers: `rounds` random queries, each hit checked against `live` (the
 * records as the test applied them) — it must exist and carry its exact distance. Returns the hits
 * checked. The map is read right after each query: no write can interleave with a synchronous query.
 */
export async function readAgainstLive(
  col: { query(request: { vector: Float32Array; k: number }): Promise<{ key: string; distance?: number }[]> },
  vectors: Float32Array[],
  live: Map<string, Float32Array>,
  metric: Metric,
  seed: number,
  rounds = 60,
): Promise<number> {
  const rng = new Prng(seed);
  let checked = 0;
  for (let i = 0; i < rounds; i++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    const query = vectors[rng.int(vectors.length)];
    const hits = await col.query({ vector: query, k: 10 });
    for (const h of hits) {
      const v = live.get(h.key);
      assert.ok(v !== undefined, `query returned ${h.key}, which is deleted or unknown`);
      assert.ok(Math.abs(h.distance! - distance64(metric, query, v)) <= tolerance(metric, query, 1), `distance of ${h.key}`);
      checked++;
    }
  }
  return checked;
}
