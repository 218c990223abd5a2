/**
 * The `minibatch` command line's commands, each from its own file (`register(program)`): adding one
 * is an import and a call below. main.ts parses the arguments with it; the help test reads its help.
 */
import { Command } from 'commander';
import { MINIBATCH_VERSION } from '../core/version.js';
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

/** The `minibatch` program with every command registered; main.ts parses argv with it. */
export function buildProgram(): Command {
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

