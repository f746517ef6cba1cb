/** `bun test/runtimes/bun-main.ts`: the conformance suite through the Bun entry point (src/bun.ts). */
import * as api from '../../src/bun.js';
import { REPORT_PREFIX, main } from './node-like-main.js';

console.log(REPORT_PREFIX + JSON.stringify(await main(api, `bun ${(globalThis as { Bun?: { version: string } }).Bun?.version}`)));
