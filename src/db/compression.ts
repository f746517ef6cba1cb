/**
 * The background work compressed collections need (docs/quantization.md, "Training"): training once a
 * collection passes TRAINING.threshold vectors, re-training when inserts drift (core/collection/drift.ts),
 * and bringing stale segments up to date — encoding them with the newest codebook, dropping their codes,
 * or rebuilding them for a new index (reindex). It runs beside queries and writes: reads of float32 rows
 * are asynchronous, encoding and graph building go in slices with the event loop running between them,
 * and each result is installed in one synchronous step that checks it still applies.
 */
import type { CollectionEngine, RowRef } from '../core/collection/collection.js';
import type { Segment } from '../core/collection/segment.js';
import { type SegmentRows, SegmentGone } from './rows.js';

/** Rows encoded, or inserted into a rebuilt graph, between yields to the event loop. */
const SLICE_ROWS = 2048;
const GRAPH_SLICE_ROWS = 64;
const SLICE_MS = 20;

export interface CompressionHost {
  /** The engines to look after now. */
  engines(): Iterable<CollectionEngine>;
  /** Whether the database is open and `engine` is still the collection of its name. */
  isLive(engine: CollectionEngine): boolean;
  readonly rows: SegmentRows;
  /** Something changed that a checkpoint, the indexer or a memory release may act on. */
  changed(): void;
  /** The work failed (a damaged segment file, say): the database reports it as its background error. */
  failed(error: unknown): void;
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class CompressionWork {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly host: CompressionHost) {}

  /** Starts the work if there is any (or makes a running pass look again); returns the run. */
  schedule(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    if (!this.hasWork()) return Promise.resolve();
    this.running = (async () => {
      do {
        this.again = false;
        await yieldToEvents();
        while (await this.step()) await yieldToEvents();
      } while (this.again);
    })()
      .catch((error: unknown) => this.host.failed(error))
      .finally(() => {
        this.running = null;
        this.host.changed();
      });
    return this.running;
  }

  /** The current run, if any. */
  get pending(): Promise<void> | null {
    return this.running;
  }

  hasWork(): boolean {
    for (const engine of this.host.engines()) {
      if (engine.wantsTraining || engine.drift?.drifted || engine.staleSegments().length > 0) return true;
    }
    return false;
  }

  /** One unit of work (a training, or one segment); false when there is none. */
  private async step(): Promise<boolean> {
    for (const engine of this.host.engines()) {
      if (!this.host.isLive(engine)) continue;
      if (engine.wantsTraining || engine.drift?.drifted) {
        // a training that could not run (its rows were compacted meanwhile) is tried at the next schedule
        return this.train(engine);
      }
      const stale = engine.staleSegments()[0];
      if (stale) {
        await this.convert(engine, stale);
        this.host.changed();
        return true;
      }
    }
    return false;
  }

  /** Trains (or re-trains) `engine` on a sample of its rows; segments are encoded by later steps. */
  async train(engine: CollectionEngine): Promise<boolean> {
    const refs = engine.trainingRows();
    if (refs.length < Math.max(1, engine.minimumTrainingRows)) return false;
    let sample: Float32Array;
    try {
      sample = await gather(this.host.rows, refs, engine.definition.dimension);
    } catch (error) {
      if (error instanceof SegmentGone) return false; // compacted meanwhile: the next step samples again
      throw error;
    }
    if (!this.host.isLive(engine)) return false;
    engine.train(sample, refs.length);
    this.host.changed();
    return true;
  }

  /** Brings one stale segment up to date. */
  private async convert(engine: CollectionEngine, segment: Segment): Promise<void> {
    let rows: Float32Array | undefined;
    const floatRerank = engine.definition.index.rerank === 'float32' && segment.vectors === null;
    try {
      if (!segment.hasVectors || engine.needsRebuild(segment) || floatRerank) rows = await this.host.rows.all(segment);
    } catch (error) {
      if (error instanceof SegmentGone) return;
      throw error;
    }
    if (!this.host.isLive(engine)) return;
    if (engine.needsRebuild(segment)) {
      const shadow = engine.startRebuild(segment, rows!);
      const graph = shadow.graph;
      while (graph && graph.size < shadow.count) {
        const started = performance.now();
        do graph.insertUpTo(Math.min(shadow.count, graph.size + GRAPH_SLICE_ROWS));
        while (graph.size < shadow.count && performance.now() - started < SLICE_MS);
        await yieldToEvents();
        if (!this.host.isLive(engine)) return;
      }
      engine.installRebuild(segment, shadow);
      return;
    }
    const codebook = engine.codebook;
    if (codebook === null) {
      engine.dropCodes(segment, rows);
      return;
    }
    if (segment.codebook === codebook) {
      // the codes are current; only the index changed (the re-rank): keep them
      engine.installCodes(segment, codebook, { codes: segment.codes!, rerank: segment.rerankCodes }, rows);
      return;
    }
    const encoder = segment.encoder(codebook, rows);
    while (!encoder.done) {
      encoder.step(SLICE_ROWS);
      if (!encoder.done) await yieldToEvents();
      if (!this.host.isLive(engine) || engine.codebook !== codebook) return;
    }
    engine.installCodes(segment, codebook, encoder.codes, rows);
  }
}

/** The float32 rows of `refs`, packed in order (memory where the segments have them, else their files). */
export async function gather(rows: SegmentRows, refs: readonly RowRef[], dimension: number): Promise<Float32Array> {
  const out = new Float32Array(refs.length * dimension);
  const bySegment = new Map<Segment, number[]>();
  refs.forEach((ref, i) => {
    const list = bySegment.get(ref.segment);
    if (list) list.push(i);
    else bySegment.set(ref.segment, [i]);
  });
  for (const [segment, indexes] of bySegment) {
    const found = await rows.slots(
      segment,
      indexes.map((i) => refs[i].slot),
    );
    indexes.forEach((i, n) => out.set(found[n], i * dimension));
  }
  return out;
}
