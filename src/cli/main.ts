/**
 * The `quiver` binary's entry (bin/quiver.mjs loads it): runs the command line and turns every outcome
 * into an exit code (exit.ts, docs/cli.md). Errors are one clear line; --verbose adds details and stacks.
 *
 * Ctrl-C (SIGINT) or SIGTERM asks a long job to stop at its next safe point (an import after its
 * current batch, with the checkpoint written); a second one ends the process at once.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { EXIT, describeError, exitCodeOf } from './exit.js';
import { buildProgram } from './program.js';

export async function main(argv: string[]): Promise<number> {
  // `quiver export ... | head`: the reader has all it wanted; stop quietly, as Unix tools do
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
  });
  let stopSignal: string | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopSignal !== null) {
      process.stderr.write(`quiver: ${signal} again: stopping now\n`);
      process.exit(EXIT.interrupted);
    }
    stopSignal = signal;
    process.stderr.write(`\nquiver: ${signal}: stopping at the next safe point (again to stop at once)\n`);
  };
  const program = buildProgram({
    version: packageVersion(),
    stopRequested: () => stopSignal,
    beforeAction: (command) => {
      if (command === 'serve') return;
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    },
    writeOut: (text) => process.stdout.write(text),
    writeErr: (text) => process.stderr.write(text),
  });
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and --version "fail" with exit code 0; commander has already printed its message
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(describeError(error, verbose) + '\n');
    return exitCodeOf(error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function packageVersion(): string {
  // src/cli/main.ts and dist/src/cli/main.js both find the package.json above them
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'quiverdb' && pkg.version) return pkg.version;
    } catch {
      // keep looking upwards
    }
  }
  return '0.0.0';
}
