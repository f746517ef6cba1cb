/**
 * `quiver serve` as a user runs it (bin/quiver.mjs, its own process) on a free loopback port, for tests
 * that measure the server from outside: its resident memory is read from /proc/<pid>/status, so it counts
 * the server alone, not the process driving the load.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'quiver.mjs');

export interface ServeProcess {
  url: string;
  pid: number;
  /** Resident set size now, in bytes (VmRSS). */
  rss(): number;
  /** The peak resident set size so far, in bytes (VmHWM). */
  peakRss(): number;
  /** Everything the server wrote to stderr (warnings and errors: it logs at `warn`). */
  stderr(): string;
  /** SIGTERM: the graceful shutdown; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, for cleanup after a failure. */
  kill(): void;
}

export async function startServeProcess(dataDir: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, [BIN, '--data', dataDir, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, QUIVER_LOG_LEVEL: 'warn', ...env },
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving .* at (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`quiver serve exited with ${code} before listening:\n${stderr}`)));
  });
  const pid = child.pid!;
  return {
    url,
    pid,
    rss: () => statusField(pid, 'VmRSS'),
    peakRss: () => statusField(pid, 'VmHWM'),
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** A "VmRSS:   123456 kB" line of /proc/<pid>/status, in bytes (Linux only). */
function statusField(pid: number, field: string): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    throw new Error(`cannot read /proc/${pid}/status (${(error as Error).message}): the soak samples memory from Linux's /proc`);
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no ${field} line`);
  return Number(match[1]) * 1024;
}
