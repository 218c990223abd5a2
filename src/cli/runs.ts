/**
 * `minibatch runs [--all] [--json]`: the runs of the current folder, oldest first (those
 * under `./.minibatch/runs`, and those made with `--run-dir` from this folder's modules, which are
 * remembered when they start): id, module, when it started, its state, counts and directory.
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { MinibatchError } from '../core/errors.js';
import type { RunsEntry } from '../report/runs-table.js';
import { defaultRunsRoot } from '../run/rundir.js';

interface RunsOptions {
  readonly json?: boolean;
  readonly all?: boolean;
}

export function register(program: Command): void {
  program
    .command('runs')
    .description('list the runs of the current folder: under .minibatch/runs, and those its modules made elsewhere (run --run-dir)')
    .option('--all', 'every run this user started, wherever it is')
    .option('--json', 'print the list as JSON, for scripts')
    .action(async (opts: RunsOptions) => {
      // Loaded here, not on every start-up of `minibatch` (see main.ts).
      const { formatRunsTable, runsEntry, unreadableEntry } = await import('../report/runs-table.js');
      const { runDirsOf, snapshotRun } = await import('../run/inspect.js');
      const root = defaultRunsRoot();
      const entries: RunsEntry[] = runDirsOf(process.cwd(), root, opts.all === true).map((dir) => {
        try {
          return runsEntry(snapshotRun(dir));
        } catch (error) {
          // One unreadable run directory must not hide the others.
          if (!(error instanceof MinibatchError)) throw error;
          return unreadableEntry(dir, basename(dir), error.message);
        }
      });
      if (opts.json === true) process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
      else if (entries.length === 0) process.stdout.write(`no runs under ${root}${opts.all === true ? ', and none remembered' : ' or made from this folder'}\n`);
      else process.stdout.write(formatRunsTable(entries, process.cwd()));
    });
}
