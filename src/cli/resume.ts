/**
 * `minibatch resume <run-dir> [settings]` (docs/ARCHITECTURE.md, "Run directory"): continues a run that was interrupted
 * or killed at any point, with the job saved in its run directory. Committed mini-batches are
 * skipped; changed input files run again; new ones are added at the end. A finished run changes
 * nothing and exits with its recorded code; one stopped by a threshold resumes once it is raised.
 */
import type { Command } from 'commander';
import { addContinueOptions, continueChoices, type ContinueCliOptions } from './continue-options.js';

export function register(program: Command): void {
  const command = program
    .command('resume')
    .description('continue an interrupted or killed run where it stopped')
    .argument('<run-dir>', 'the run directory (printed by `minibatch run`; `minibatch runs` lists them)');
  addContinueOptions(command).action(async (runDir: string, opts: ContinueCliOptions) => {
    // Loaded here, not on every start-up of `minibatch` (see main.ts).
    const { continueRun } = await import('../run/continue-run.js');
    process.exitCode = await continueRun({
      mode: 'resume',
      runDir,
      ...continueChoices('resume', opts),
      plainProgress: !opts.progress,
    });
  });
}
