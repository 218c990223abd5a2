/**
 * `minibatch run <spec|job> [bindings] [settings] [--run-dir DIR]`: a new run on this machine.
 * Prints the run directory first, progress on stderr, then the summary; exits 0 when the
 * run succeeded within its thresholds, 1 when it failed, 2 for bad input, 3 when it cannot run
 * here, 130 when interrupted.
 */
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { parseBackend, parseProcesses } from '../redis/connection/cli-options.js';
import { defaultRunsRoot } from '../run/rundir.js';
import { newRunId } from '../run/runId.js';
import { startRun } from '../run/start-run.js';
import { printingReporter } from './print-reporter.js';
import { addJobOptions, resolveJobFromCli, type JobOptions } from './options.js';
import { writeEndReport } from './end-report.js';
import { printDiagnostics } from './validate.js';

export interface RunOptions extends JobOptions {
  readonly runDir?: string;
  /** `local` (default), `redis://…`, or `redis` (MINIBATCH_REDIS_URL). */
  readonly backend?: string;
  /** commander's `--no-progress`: false when given. */
  readonly progress: boolean;
  /** Print the job result as JSON on stdout; what is otherwise printed there goes to stderr. */
  readonly json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('run')
    .description('run a parallel module over its inputs, on this machine, or on many through Redis (--backend)')
    .argument('<spec|job>', 'a module spec, or a job file (module: ./module.yaml)');
  addJobOptions(command)
    .option('--run-dir <dir>', 'the run directory (default: .minibatch/runs/<run-id>)')
    .option('--no-progress', 'print progress lines instead of a bar, even on a terminal')
    .option('--backend <url>', 'local (default), or redis://HOST:6379[/db] to run on many machines (--processes 0: none here)')
    .option('--json', 'print the job result (logs/job_result.json) on stdout, for scripts; progress stays on stderr')
    .addOption(new Option('--dry-run').hideHelp())
    .action(async (target: string, opts: RunOptions & { readonly dryRun?: boolean }) => {
      if (opts.dryRun === true) {
        throw new UsageError(
          `minibatch run has no --dry-run: \`minibatch explain ${target} …\` (with the same bindings and settings) shows what a run would do ` +
            '(bindings, settings and their sources, the interpreter, the command line, the mini-batches) without running anything',
        );
      }
      process.exitCode = await runCommand(target, opts);
    });
}

export async function runCommand(target: string, opts: RunOptions): Promise<number> {
  const runId = newRunId();
  const root = opts.runDir === undefined ? join(defaultRunsRoot(), runId) : resolve(opts.runDir);
  const redis = parseBackend(opts.backend);
  // On Redis, `--processes` is this machine's own share, and 0 (no Python here) is allowed.
  const ownProcesses = redis === null ? null : parseProcesses(opts.processes, true);
  const { job, diagnostics } = await resolveJobFromCli(target, ownProcesses === 0 ? { ...opts, processes: undefined } : opts, root);
  printDiagnostics(diagnostics);
  const result = await startRun(
    { job, runId, root, redis, ownProcesses, report: writeEndReport },
    printingReporter(!opts.progress, opts.json === true),
  );
  return result.exitCode;
}
