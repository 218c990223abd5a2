/**
 * `minibatch runs [--json]` : the runs under `./.minibatch/runs`, oldest first: id, module,
 * when it started, its state and counts.
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { MinibatchError } from '../core/errors.js';
import type { RunsRow } from '../report/runs-table.js';
import { defaultRunsRoot } from '../run/rundir.js';

interface RunsOptions {
  readonly json?: boolean;
}

export function register(program: Command): void {
  program
    .command('runs')
    .description('list the runs under the current directory (.minibatch/runs)')
    .option('--json', 'print the list as JSON, for scripts')
    .action(async (opts: RunsOptions) => {
      // Loaded here, not on every start-up of `minibatch` (see main.ts).
      const { formatRunsTable, runsRow } = await import('../report/runs-table.js');
      const { listRunDirs, snapshotRun } = await import('../run/inspect.js');
      const root = defaultRunsRoot();
      const rows: RunsRow[] = listRunDirs(root).map((dir) => {
        try {
          return runsRow(snapshotRun(dir));
        } catch (error) {
          // One unreadable run directory must not hide the others.
          if (!(error instanceof MinibatchError)) throw error;
          return { dir, runId: basename(dir), module: '?', createdAt: '', state: 'unreadable', counts: error.message };
        }
      });
      if (opts.json === true) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else process.stdout.write(rows.length === 0 ? `no runs under ${root}\n` : formatRunsTable(rows));
    });
}
