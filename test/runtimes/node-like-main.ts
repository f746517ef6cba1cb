/**
 * The conformance suite as a program for Bun and Deno (and Node): runs it in memory and on a fresh
 * directory through the runtime's entry point and prints one JSON line of reports for the host test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Api from '../../src/api.js';
import { type ConformanceReport, runConformance } from './conformance.js';

export async function main(api: typeof Api, runtime: string): Promise<ConformanceReport[]> {
  const dir = mkdtempSync(join(tmpdir(), `quiver-${runtime}-`));
  try {
    const memory = await runConformance(runtime, { api }, () => performance.now());
    const disk = await runConformance(runtime, { api, open: () => api.Quiver.open({ path: dir, durability: 'sync' }) }, () => performance.now());
    return [memory, disk];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const REPORT_PREFIX = 'QUIVER-CONFORMANCE ';
