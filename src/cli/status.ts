/**
 * `minibatch status [run-dir] [--json] [--watch [--interval 1s]]` : a run's state from its ledger,
 * read-only, while the run is live or after; `--watch` follows a live run until it ends
 * (status-watch.ts). Without a run directory: the latest run of this folder.
 */
import { Option, type Command } from 'commander';
import { RunDirConflictError, UsageError } from '../core/errors.js';
import type { StatusReport } from '../report/status.js';
import { parseDuration } from '../spec/settings.js';
import { defaultRunsRoot } from '../run/rundir.js';

interface StatusOptions {
  readonly json?: boolean;
  readonly watch?: boolean;
  readonly interval: string;
}

export function register(program: Command): void {
  program
    .command('status')
    .description("show a run's state, counts, pace and errors (read-only; works while it runs)")
    .argument('[run-dir]', 'the run directory (default: the latest run of this folder: under .minibatch/runs, or made from its modules)')
    .option('--json', 'print the status as JSON, for scripts (with --watch: one object per line, on each change)')
    .option(
      '--watch',
      'follow a live run until it ends (or Ctrl-C): redrawn in place on a terminal; elsewhere a new block each time it moves on',
    )
    .addOption(new Option('--interval <duration>', 'how often --watch reads the run: 1s, 500ms, 2s').default('1s', '1s'))
    .action(async (runDir: string | undefined, opts: StatusOptions) => {
      const interval = parseDuration(opts.interval);
      if (!interval.ok) throw new UsageError(`--interval ${interval.problem}`);
      // Loaded here, not on every start-up of `minibatch` (see main.ts).
      const { buildStatus, formatStatus } = await import('../report/status.js');
      const { snapshotRun } = await import('../run/inspect.js');
      const dir = runDir ?? (await latestRunDir());
      const read = (): StatusReport => buildStatus(snapshotRun(dir, { insight: true }));
      if (opts.watch === true) {
        const { watchStatus } = await import('./status-watch.js');
        const json = opts.json === true;
        process.exitCode = await watchStatus({ intervalMs: interval.value, json, read, format: formatStatus, out: process.stdout });
        return;
      }
      const report = read();
      process.stdout.write(opts.json === true ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report));
    });
}

async function latestRunDir(): Promise<string> {
  const { runDirsOf } = await import('../run/inspect.js');
  const root = defaultRunsRoot();
  const latest = runDirsOf(process.cwd(), root).at(-1);
  if (latest === undefined) {
    throw new RunDirConflictError(
      `no runs under ${root} or made from this folder; give a run directory, e.g. \`minibatch status path/to/run-dir\` (\`minibatch runs --all\` lists every run)`,
    );
  }
  return latest;
}
