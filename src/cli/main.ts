/**
 * The `minibatch` command line, bundled into `dist/cli/minibatch.cjs` and started by launcher.ts
 * (the `minibatch` executable). Each command lives in its own file and exports `register(program)`;
 * adding one is an import and a call below.
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
import { Command, CommanderError } from 'commander';
import { EXIT, MinibatchError, SpecError } from '../core/errors.js';
import { armKillPoints, KILL_AT_ENV } from '../core/kill-points.js';
import { MINIBATCH_VERSION } from '../core/version.js';
import { colorsFor, disableColors } from '../report/colors.js';
import { register as registerDebug } from './debug.js';
import { register as registerExplain } from './explain.js';
import { register as registerInit } from './init.js';
import { register as registerModel } from './model.js';
import { register as registerReport } from './report.js';
import { register as registerResume } from './resume.js';
import { register as registerRetryFailed } from './retry-failed.js';
import { register as registerRun } from './run.js';
import { register as registerRuns } from './runs.js';
import { register as registerStatus } from './status.js';
import { register as registerUi } from './ui.js';
import { register as registerValidate } from './validate.js';
import { register as registerWorker } from './worker.js';

function buildProgram(): Command {
  const program = new Command('minibatch')
    .description('Run Azure ML parallel modules (ParallelRunStep) anywhere.')
    .version(MINIBATCH_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    // Taken out of argv before parsing (below), so that it works after any command too; here for --help.
    .option('--no-color', 'no colour in what is printed (also NO_COLOR=1; off anyway when not a terminal)')
    // Throw instead of exiting, so the exit code is ours (2 for usage) and set in one place.
    .exitOverride();
  registerInit(program);
  registerValidate(program);
  registerExplain(program);
  registerRun(program);
  registerDebug(program);
  registerResume(program);
  registerRetryFailed(program);
  registerStatus(program);
  registerRuns(program);
  registerUi(program);
  registerReport(program);
  registerWorker(program);
  registerModel(program);
  return program;
}

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
