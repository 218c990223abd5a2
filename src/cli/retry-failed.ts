/**
 * `minibatch retry-failed <run-dir> [settings]` : runs again, with fresh tries, the
 * mini-batches that failed, returned short, or were not run (a threshold stopped the run). Their new
 * rows replace the old; the rows file is written again in mini-batch order and the outcome judged
 * again.
 */
import type { Command } from 'commander';
import { addContinueOptions, continueChoices, type ContinueCliOptions } from './continue-options.js';

export function register(program: Command): void {
  const command = program
    .command('retry-failed')
    .description('run the failed, partial and unrun mini-batches of a run again, with fresh tries')
    .argument('<run-dir>', 'the run directory (printed by `minibatch run`; `minibatch runs` lists them)');
  addContinueOptions(command).action(async (runDir: string, opts: ContinueCliOptions) => {
    // Loaded here, not on every start-up of `minibatch` (see main.ts).
    const { continueRun } = await import('../run/continue-run.js');
    process.exitCode = await continueRun({
      mode: 'retry-failed',
      runDir,
      ...continueChoices('retry-failed', opts),
      plainProgress: !opts.progress,
    });
  });
}
