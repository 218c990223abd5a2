/**
 * `minibatch status [run-dir] [--json]` : a run's state from its ledger, read-only, while
 * the run is live or after. Without a run directory: the latest run under `./.minibatch/runs`.
 */
import type { Command } from 'commander';
import { RunDirConflictError } from '../core/errors.js';
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
    .action(async (runDir: string | undefined, opts: StatusOptions) => {
      // Loaded here, not on every start-up of `minibatch` (see main.ts).
      const { buildStatus, formatStatus } = await import('../report/status.js');
      const { snapshotRun } = await import('../run/inspect.js');
      const report = buildStatus(snapshotRun(runDir ?? (await latestRunDir()), { insight: true }));
      process.stdout.write(opts.json === true ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report));
    });
}

async function latestRunDir(): Promise<string> {
  const { listRunDirs } = await import('../run/inspect.js');
  const root = defaultRunsRoot();
  const latest = listRunDirs(root).at(-1);
  if (latest === undefined) {
    throw new RunDirConflictError(`no runs under ${root}; give a run directory, e.g. \`minibatch status path/to/run-dir\``);
  }
  return latest;
}
