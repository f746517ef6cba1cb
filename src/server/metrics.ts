/**
 * Prometheus metrics at /metrics (prom-client, one registry per server): request counts and latencies
 * by route template (bounded label sets), what the database reports about each collection (records,
 * segments, deleted rows awaiting compaction, rows awaiting indexing, bytes per vector), the WAL and
 * checkpoints, open scans, and the process metrics prom-client collects by default.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Quiver } from '../index.js';

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'quiver_http_requests_total', help: 'HTTP requests answered, by method, route template and status.', labelNames: ['method', 'route', 'status'] as const, registers: [this.registry] });
  private readonly latency = new Histogram({
    name: 'quiver_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly collections = new Gauge({ name: 'quiver_collections', help: 'Collections in the database.', registers: [this.registry] });
  private readonly records = new Gauge({ name: 'quiver_collection_records', help: 'Live records per collection.', labelNames: ['collection'] as const, registers: [this.registry] });
  private readonly segments = new Gauge({ name: 'quiver_collection_segments', help: 'Segments per collection.', labelNames: ['collection'] as const, registers: [this.registry] });
  private readonly deleted = new Gauge({ name: 'quiver_collection_deleted_records', help: 'Deleted or replaced rows still held in segments (reclaimed by compaction).', labelNames: ['collection'] as const, registers: [this.registry] });
  private readonly unindexed = new Gauge({ name: 'quiver_collection_unindexed_records', help: 'Rows not yet in a graph index (searched exactly meanwhile).', labelNames: ['collection'] as const, registers: [this.registry] });
  private readonly bytesPerVector = new Gauge({ name: 'quiver_collection_bytes_per_vector', help: 'Memory per live record, by part (vectors, graph, metadata, total).', labelNames: ['collection', 'part'] as const, registers: [this.registry] });
  private readonly walBytes = new Gauge({ name: 'quiver_wal_bytes', help: 'Bytes in the write-ahead log since the last checkpoint.', registers: [this.registry] });
  private readonly checkpoints = new Gauge({ name: 'quiver_checkpoints', help: 'Checkpoints the database has completed (its manifest generation).', registers: [this.registry] });
  private readonly scans = new Gauge({ name: 'quiver_scan_cursors_open', help: 'Scan cursors open on this server.', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  /** The exposition text, with the database figures read now. */
  async render(db: Quiver, openScans: number): Promise<string> {
    for (const gauge of [this.records, this.segments, this.deleted, this.unindexed, this.bytesPerVector]) gauge.reset();
    this.scans.set(openScans);
    if (db.isOpen) {
      const list = await db.listCollections();
      this.collections.set(list.length);
      const storage = db.storageInfo();
      this.walBytes.set(storage.walBytes);
      this.checkpoints.set(storage.checkpoints);
      for (const { name } of list) {
        const stats = await db
          .collection(name)
          .stats()
          .catch(() => null); // dropped since the list was read
        if (stats === null) continue;
        this.records.set({ collection: name }, stats.count);
        this.segments.set({ collection: name }, stats.segments);
        this.deleted.set({ collection: name }, stats.deletedRecords);
        this.unindexed.set({ collection: name }, stats.unindexed);
        for (const part of ['vectors', 'graph', 'metadata', 'total'] as const) this.bytesPerVector.set({ collection: name, part }, stats.bytesPerVector[part]);
      }
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
