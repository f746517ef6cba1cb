/**
 * A pool of parallel-build workers, whatever kind of thread they are: one worker per extra core, each
 * owning lane i + 1 of whichever segment arena it is attached to. Implements core's BuildWorkers for
 * Vamana's batch parts and HNSW's batch plans; the index (core) decides what runs where, this only
 * moves messages. build-pool.ts starts node:worker_threads (Node, Bun, Deno), web-build-pool.ts Web
 * Workers (cross-origin isolated browsers); both run build-worker-core.ts.
 */
import type { HnswPlanJob } from '../core/index/hnsw/parallel.js';
import type { BuildWorkers } from '../core/index/index.js';
import type { VamanaBatchJob } from '../core/index/vamana/build.js';
import type { KernelMetric } from '../core/kernels/kernel.js';
import type { GraphArena } from '../core/vectors/scoring.js';
import type { AttachMessage, JobMessage, WorkerReply } from './build-worker-core.js';

/** One worker as the pool sees it. ref/unref: whether an idle worker keeps the process alive (Node). */
export interface PoolWorker {
  postMessage(message: AttachMessage | JobMessage): void;
  onMessage(listener: (reply: WorkerReply) => void): void;
  onError(listener: (error: unknown) => void): void;
  ref?(): void;
  unref?(): void;
  terminate(): Promise<unknown> | void;
}

interface Pending {
  left: number;
  searchDistances: number;
  pruneDistances: number;
  failed: string | null;
  resolve: (counts: { searchDistances: number; pruneDistances: number }) => void;
  reject: (error: Error) => void;
}

/** A job of either graph kind; HNSW's carry kind 'hnsw-plan'. */
export type GraphBuildJob = VamanaBatchJob | HnswPlanJob;

export class WorkerPool implements BuildWorkers<GraphBuildJob> {
  readonly threads: number;
  private readonly workers: PoolWorker[];
  private attachedTo: unknown = null;
  private attachedMetric: KernelMetric | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  /** Set while a build holds the pool: one build at a time. */
  busy = false;

  /** `threads`: workers to start with `start` (the calling thread works too, so all cores is cores - 1). */
  constructor(threads: number, start: () => PoolWorker) {
    this.threads = Math.max(0, Math.floor(threads));
    this.workers = [];
    for (let i = 0; i < this.threads; i++) {
      const worker = start();
      worker.unref?.();
      worker.onMessage((reply) => this.onReply(reply));
      worker.onError((error) => this.failAll(error));
      this.workers.push(worker);
    }
  }

  /** Jobs sent to workers so far (diagnostics: a build that ran in parallel sent some). */
  jobsSent = 0;

  /** Points the workers at an arena (its shared memory, lanes 1..threads) and metric. */
  attach(arena: GraphArena, metric: KernelMetric): void {
    const memory = arena.shareable;
    if (memory === undefined || memory === null) throw new Error('BuildPool.attach: the arena is not shared');
    const { lanes, layout } = arena;
    if (lanes === undefined || layout === undefined || lanes <= this.threads) throw new Error(`BuildPool.attach: the arena has ${lanes ?? 1} lanes for ${this.threads} workers`);
    if (memory === this.attachedTo && metric === this.attachedMetric) return;
    this.workers.forEach((worker, i) => {
      const message: AttachMessage = { type: 'attach', memory: memory as WebAssembly.Memory, layout, lane: i + 1, metric };
      worker.postMessage(message);
    });
    this.attachedTo = memory;
    this.attachedMetric = metric;
  }

  run(jobs: GraphBuildJob[]): Promise<{ searchDistances: number; pruneDistances: number }> {
    if (this.closed) return Promise.reject(new Error('BuildPool is closed'));
    if (jobs.length > this.workers.length) return Promise.reject(new Error(`${jobs.length} jobs for ${this.workers.length} workers`));
    if (jobs.length === 0) return Promise.resolve({ searchDistances: 0, pruneDistances: 0 });
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { left: jobs.length, searchDistances: 0, pruneDistances: 0, failed: null, resolve, reject });
      jobs.forEach((job, i) => {
        const worker = this.workers[i];
        worker.ref?.();
        this.jobsSent++;
        const message: JobMessage = 'kind' in job && job.kind === 'hnsw-plan' ? { type: 'hnsw', id, job } : { type: 'vamana', id, job: job as VamanaBatchJob };
        worker.postMessage(message);
      });
    });
  }

  private onReply(reply: WorkerReply): void {
    const entry = this.pending.get(reply.id);
    if (entry === undefined) return;
    if ('error' in reply) entry.failed ??= reply.error;
    else {
      entry.searchDistances += reply.searchDistances;
      entry.pruneDistances += reply.pruneDistances;
    }
    if (--entry.left > 0) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) for (const worker of this.workers) worker.unref?.();
    if (entry.failed !== null) entry.reject(new Error(`build worker failed: ${entry.failed}`));
    else entry.resolve({ searchDistances: entry.searchDistances, pruneDistances: entry.pruneDistances });
  }

  private failAll(error: unknown): void {
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Stops the workers; pending builds fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('BuildPool closed'));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
