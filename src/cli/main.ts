/**
 * The `minibatch` command line, bundled into `dist/cli/minibatch.cjs` and started by launcher.ts
 * (the `minibatch` executable). Each command lives in its own file and exports `register(program)`;
 * program.ts registers them all.
 *
 * Start-up time: every command is registered (its options, for --help) on each start, so a
 * command's file imports eagerly only what `minibatch run` loads anyway; modules only it needs
 * (`resume`'s, `status`'s, `worker`'s) are imported inside its action. `minibatch run` is started
 * once per job, and benchmarks compare its wall time with a Python process pool.
 *
 * Errors: a `MinibatchError` is printed as its message alone and sets `process.exitCode` to its
 * exit code (docs/ARCHITECTURE.md, "Tries"); anything else is a bug, printed with its stack, exit 1. Usage errors that
 * commander finds (an unknown option, a missing argument) exit 2.
 */
import { CommanderError } from 'commander';
import { EXIT, MinibatchError, SpecError } from '../core/errors.js';
import { armKillPoints, KILL_AT_ENV } from '../core/kill-points.js';
import { colorsFor, disableColors } from '../report/colors.js';
import { buildProgram } from './program.js';

/** Prints `error` for a user and returns the exit code. */
function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  if (error instanceof SpecError) {
    process.stderr.write(`${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof MinibatchError) {
    process.stderr.write(`${colorsFor(process.stderr).red('error')}: ${error.message}\n`);
    return error.exitCode;
  }
  const trace = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`minibatch: internal error (a bug in minibatch; please report it with this output):\n${trace}\n`);
  return EXIT.runFailed;
}

// `minibatch explain … | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// Crash-safety tests name a kill point in the environment; this entry point alone reads it.
armKillPoints(process.env[KILL_AT_ENV]);

// No top-level await: the bundle is CommonJS, to be compiled with a code cache (launcher.ts).
const argv = process.argv.filter((arg) => arg !== '--no-color');
if (argv.length !== process.argv.length) disableColors();
buildProgram()
  .parseAsync(argv)
  .catch((error: unknown) => {
    process.exitCode = reportError(error);
  });
