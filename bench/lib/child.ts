/**
 * Runs a piece of a suite in a child process (a fresh Node with the same flags, e.g. tsx and the heap
 * limit): builds get clean time and peak-RSS figures, and the search process is one pinned process. The
 * request travels as JSON on the command line; the child writes its JSON answer to a file.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir } from './files.js';
import { BENCH_DIR, ROOT_DIR } from './paths.js';

export const CHILD_SCRIPT = path.join(BENCH_DIR, 'suites', 'graph-child.ts');

export interface ChildOptions {
  /** for messages: "build hnswlib on fashion-mnist" */
  label: string;
  /** kill the child after this long (0 = never) */
  timeoutMs?: number;
  /** the child's script (default: the graph suites' suites/graph-child.ts) */
  script?: string;
}

export async function runChild<Res>(request: object, opts: ChildOptions): Promise<Res> {
  const dir = makeTempDir('child');
  const out = path.join(dir, 'answer.json');
  try {
    const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', opts.script ?? CHILD_SCRIPT, JSON.stringify({ ...request, out })], {
      cwd: ROOT_DIR,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    if (timer) clearTimeout(timer);
    if (timedOut) throw new Error(`${opts.label}: stopped after ${Math.round(opts.timeoutMs! / 1000)} s (time limit)`);
    if (code !== 0) {
      const why = signal === 'SIGKILL' ? 'killed (SIGKILL: out of memory?)' : signal ? `killed by ${signal}` : `exit code ${code}`;
      let detail = '';
      try {
        detail = `: ${(JSON.parse(fs.readFileSync(out, 'utf8')) as { error?: string }).error ?? ''}`;
      } catch {
        /* no answer written */
      }
      throw new Error(`${opts.label} failed (${why})${detail}`);
    }
    return JSON.parse(fs.readFileSync(out, 'utf8')) as Res;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
