/**
 * `minibatch run <spec|job> [bindings] [settings] [--run-dir DIR]`: a new run on this machine.
 * Prints the run directory first, progress on stderr, then the summary; exits 0 when the
 * run succeeded within its thresholds, 1 when it failed, 2 for bad input, 3 when it cannot run
 * here, 130 when interrupted.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { planDatasetBatches, resolveDataset, tableReads } from '../data/dataset.js';
import { Ledger } from '../ledger/sqlite.js';
import { writeLogsReadme } from '../report/readme.js';
import { formatSummary } from '../report/summary.js';
import { parseBackend, parseProcesses } from '../redis/connection/cli-options.js';
import { openRunBackend, storeRedisBackend } from '../run/choose-backend.js';
import { executeRun } from '../run/execute.js';
import { createRunDir, defaultRunsRoot, discardRunDir, lockRunDir, RUN_JSON_VERSION, writeRunJson } from '../run/rundir.js';
import { newRunId } from '../run/runId.js';
import { killPoint } from '../core/kill-points.js';
import { MINIBATCH_VERSION } from '../core/version.js';
import { binaryInterpreter, resolveInterpreter } from '../workers/interpreter.js';
import { pandasFor } from '../run/pandas-check.js';
import { addJobOptions, resolveJobFromCli, type JobOptions } from './options.js';
import { rememberRun } from '../core/known-runs.js';
import { colorsFor } from '../report/colors.js';
import { formatInterpreter } from '../report/run-header.js';
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
    .description('run a parallel module over its inputs, on this machine')
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
  // A bad MLTable or partition key stops the run here, before it has a run directory.
  const dataset = await resolveDataset(job);
  const plan = planDatasetBatches(dataset);
  // The probe (a Python start-up) runs while the run directory and its ledger are made, and an
  // interpreter that is a binary starts the workers meanwhile. A run whose interpreter cannot start
  // leaves no run directory behind.
  const interpreter = ownProcesses === 0 ? Promise.resolve(null) : resolveInterpreter(job.settings.python).then(pandasFor(dataset));
  interpreter.catch(() => undefined); // awaited below, or moot when an earlier step throws
  const early = ownProcesses === 0 ? null : binaryInterpreter(job.settings.python);

  if (redis !== null) {
    // A Redis that cannot be used fails the run before it has a run directory to leave behind.
    const { checkRedis } = await import('../redis/connection/check.js');
    await checkRedis(redis.target);
  }
  const existed = existsSync(root);
  const paths = createRunDir(root);
  const release = lockRunDir(paths);
  killPoint('run-dir-locked');
  try {
    writeRunJson(paths, {
      version: RUN_JSON_VERSION,
      runId,
      createdAt: new Date().toISOString(),
      minibatchVersion: MINIBATCH_VERSION,
      job,
      ...(redis === null ? {} : { backend: storeRedisBackend(redis, ownProcesses) }),
    });
    rememberRun(root); // for `runs` and `status`, wherever --run-dir put it
    writeLogsReadme(paths);
    killPoint('run-json');
    let made: Ledger | null = null;
    const nothingRan = (error: unknown): never => {
      made?.close();
      discardRunDir(paths, existed);
      throw error;
    };
    const createLedger = (): Ledger => {
      made = Ledger.create(root);
      killPoint('ledger-created');
      return made;
    };
    // The local pool starts its workers first, and the ledger is made while their Python starts up
    // (the longest step of a run's start-up; bench/). Redis's backend needs the ledger.
    if (redis !== null) createLedger();
    const python = early ?? (await interpreter.then((found) => found?.executable ?? null, nothingRan));
    const processes = ownProcesses ?? job.settings.processCountPerNode;
    const run = await openRunBackend({ job, paths, runId, ledger: made, redis, processes, python, resumed: false }).catch(nothingRan);
    // Its workers started, and then something else failed: they go, and so does the run directory.
    const abandon = async (error: unknown): Promise<never> => {
      await run.executor.stop('now');
      await run.close();
      return nothingRan(error);
    };
    let ledger: Ledger;
    try {
      ledger = made ?? createLedger();
    } catch (error) {
      return abandon(error);
    }
    if (early !== null) await interpreter.catch(abandon);
    const found = await interpreter; // settled: awaited above, or the run has thrown
    // With --json, stdout is the result alone.
    const say = opts.json === true ? process.stderr : process.stdout;
    say.write(`run directory: ${root}\n${found === null ? '' : formatInterpreter(found)}`);
    try {
      const result = await executeRun({
        job,
        runId,
        paths,
        ledger,
        executor: run.executor,
        plan,
        context: dataset.context,
        tables: tableReads(dataset),
        progressStream: process.stderr,
        plainProgress: !opts.progress,
        handleSignals: true,
        resumeHint: `minibatch resume ${root}`,
        report: writeEndReport,
      });
      await run.finish(result);
      if (opts.json === true) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else process.stdout.write(formatSummary(result, colorsFor(process.stdout)));
      return result.exitCode;
    } finally {
      await run.close();
      ledger.close();
    }
  } finally {
    release();
  }
}
