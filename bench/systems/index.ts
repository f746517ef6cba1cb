import { plainLoop } from './plain-loop.js';
import { quiverFlat } from './quiver.js';
import { usearchExact } from './usearch-exact.js';
import type { SystemFactory } from './types.js';

export type { System, SystemFactory } from './types.js';

/** Systems by suite; graph indexes (hnswlib-node, usearch HNSW, quiver-hnsw, ...) join for the ANN suite. */
export const SUITE_SYSTEMS: Record<string, SystemFactory[]> = {
  exact: [plainLoop, usearchExact, quiverFlat],
};
