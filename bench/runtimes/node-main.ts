/**
 * The runtimes workload as a program for Node (tsx), Bun and Deno, through each one's entry point:
 * `<runtime> bench/runtimes/node-main.ts '<WorkloadOptions JSON>'` prints one JSON result line.
 */
import { type WorkloadOptions, runWorkload } from './workload.js';

const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string }; args: string[] }; process?: { version: string; argv: string[] } };
const name = g.Bun ? `Bun ${g.Bun.version}` : g.Deno ? `Deno ${g.Deno.version.deno}` : `Node ${g.process!.version}`;
const entry = g.Bun ? '../../src/bun.js' : g.Deno ? '../../src/deno.js' : '../../src/index.js';
const argv = g.Deno ? g.Deno.args : g.process!.argv.slice(2);
const options = JSON.parse(argv[0]) as WorkloadOptions;
const api = await import(entry);
console.log('QUIVER-BENCH ' + JSON.stringify(await runWorkload(api, name, options, () => performance.now())));
