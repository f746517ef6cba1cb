/** `deno run --sloppy-imports -A test/runtimes/deno-main.ts`: the conformance suite through src/deno.ts. */
import * as api from '../../src/deno.js';
import { REPORT_PREFIX, main } from './node-like-main.js';

console.log(REPORT_PREFIX + JSON.stringify(await main(api, `deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno?.version.deno}`)));
