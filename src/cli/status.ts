/**
 * `minibatch status [run-dir] [--json]` (issue 4): a run's state from its ledger, read-only, while
 * the run is live or after. Without a run directory: the latest run under `./.minibatch/runs`.
 */
import type { Command } from 'commander';
import { RunDirConflictError } from '../errors.js';
import { buildStatus, formatStatus } from '../report/status.js';
import { listRunDirs, snapshotRun } from '../run/inspect.js';
import { defaultRunsRoot } from '../run/rundir.js';

interface StatusOptions {
  readonly json?: boolean;
}

export function register(program: Command): void {
  program
    .command('status')
    .description("show a run's state, counts, pace and errors (read-only; works while it runs)")
    .argument('[run-dir]', 'the run directory (default: the latest run under .minibatch/runs)')
    .option('--json', 'print the status as JSON, for scripts')
    .action((runDir: string | undefined, opts: StatusOptions) => {
      const report = buildStatus(snapshotRun(runDir ?? latestRunDir(), { insight: true }));
      process.stdout.write(opts.json === true ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report));
    });
}

function latestRunDir(): string {
  const root = defaultRunsRoot();
  const latest = listRunDirs(root).at(-1);
  if (latest === undefined) {
    throw new RunDirConflictError(`no runs under ${root}; give a run directory, e.g. \`minibatch status path/to/run-dir\``);
  }
  return latest;
}
