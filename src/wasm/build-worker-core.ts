/**
 * What a parallel-build worker does, whatever kind of thread it is (node:worker_threads in build-worker.ts,
 * a Web Worker in web-build-worker.ts): attaches to a segment's shared memory through its lane, then runs
 * what it is sent — the read-only phases of Vamana's batch parts (core's runBatchJob) or the plans of an
 * HNSW batch (HnswGraph.runPlanJob) — and answers with its distance counts. It writes only its lane of
 * the memory and its rows of the batch's shared result arrays.
 */
import type { KernelMemory, KernelMetric } from '../core/kernels/kernel.js';
import { HnswGraph } from '../core/index/hnsw/graph.js';
import type { HnswPlanJob } from '../core/index/hnsw/parallel.js';
import { BatchBuffers, runBatchJob, type VamanaBatchJob } from '../core/index/vamana/build.js';
import { Pruner } from '../core/index/vamana/prune.js';
import { Searcher } from '../core/index/vamana/search.js';
import { type ArenaLayout, VectorArena } from '../core/vectors/arena.js';
import { attachSharedMemory } from './backend.js';

export interface AttachMessage {
  type: 'attach';
  memory: WebAssembly.Memory;
  layout: ArenaLayout;
  lane: number;
  metric: KernelMetric;
}

export type JobMessage = { type: 'vamana'; id: number; job: VamanaBatchJob } | { type: 'hnsw'; id: number; job: HnswPlanJob };

export type WorkerReply = { id: number; searchDistances: number; pruneDistances: number } | { id: number; error: string };

interface Attached {
  memory: WebAssembly.Memory;
  kernels: KernelMemory;
  layout: ArenaLayout;
  lane: number;
  metric: KernelMetric;
  searcher: Searcher | null;
  pruner: Pruner;
  buffers: BatchBuffers | null;
}

/** The message handler of one build worker; `post` sends a reply to the pool. */
export function createBuildWorkerHandler(post: (reply: WorkerReply) => void): (message: AttachMessage | JobMessage) => void {
  let attached: Attached | null = null;
  return (message) => {
    if (message.type === 'attach') {
      attached = { ...message, kernels: attachSharedMemory(message.memory), searcher: null, pruner: new Pruner(), buffers: null };
      return;
    }
    try {
      if (attached === null) throw new Error('job before attach');
      // Another thread may have grown the memory: grow(0) refreshes this thread's view of its length.
      attached.memory.grow(0);
      if (message.type === 'hnsw') {
        const { job } = message;
        HnswGraph.runPlanJob(job, VectorArena.attachLane(attached.kernels, attached.layout, attached.lane, job.to), attached.metric);
        const reply: WorkerReply = { id: message.id, searchDistances: 0, pruneDistances: 0 };
        post(reply);
        return;
      }
      const { job } = message;
      const arena = VectorArena.attachLane(attached.kernels, attached.layout, attached.lane, job.nodes);
      attached.searcher ??= new Searcher(job.degree);
      const searcher = attached.searcher;
      const pruner = attached.pruner;
      searcher.distanceCount = 0;
      pruner.distanceCount = 0;
      attached.buffers = runBatchJob(job, arena, attached.metric, searcher, pruner, attached.buffers);
      const reply: WorkerReply = { id: message.id, searchDistances: searcher.distanceCount, pruneDistances: pruner.distanceCount };
      post(reply);
    } catch (error) {
      const reply: WorkerReply = { id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      post(reply);
    }
  };
}
