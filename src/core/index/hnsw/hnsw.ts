/**
 * The HNSW graph factory (kind 'hnsw'): create() for a new segment's graph, decode() for one read back
 * from a segment file. The graph itself is in graph.ts, its byte layout in codec.ts, its checker in check.ts.
 */
import type { KernelMetric } from '../../kernels/kernel.js';
import type { GraphArena } from '../../vectors/scoring.js';
import type { GraphConfig, GraphFactory, GraphIndex } from '../index.js';
import { decodeHnsw } from './codec.js';
import { HnswGraph } from './graph.js';

export { HNSW_FORMAT_VERSION } from './codec.js';
export { HnswGraph, HNSW_DEGREE_MAX, HNSW_LEVEL_MAX } from './graph.js';

export const hnswFactory: GraphFactory = {
  create(arena: GraphArena, metric: KernelMetric, config: GraphConfig): GraphIndex {
    return new HnswGraph(arena, metric, config, config.seed, 16);
  },
  decode(bytes: Uint8Array, what: string, arena: GraphArena, metric: KernelMetric, config: GraphConfig): GraphIndex {
    const parts = decodeHnsw(bytes, what, arena.count, config.degree);
    const graph = new HnswGraph(arena, metric, config, parts.seed, 0);
    graph.adopt(parts);
    return graph;
  },
};
