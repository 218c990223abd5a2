/**
 * Continuing a run in its run directory (docs/ARCHITECTURE.md, "Run directory"): `resume` (what was left) and
 * `retry-failed` (what failed, with fresh tries). Both lock the directory, run the job saved in
 * `run.json` (with the settings a user may change), bring the stored plan up to date, then execute
 * on the existing ledger: committed mini-batches are skipped by the ledger's state, never re-run.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { planDataset, planDatasetBatches, resolveDataset, tableReads, type Dataset } from '../data/dataset.js';
import type { Cutting } from '../data/plan.js';
import type { NewFileCutting } from '../ledger/reconcile.js';
import { RunDirConflictError, UsageError } from '../core/errors.js';
import { Ledger } from '../ledger/sqlite.js';
import type { MiniBatchStatus } from '../ledger/types.js';
import { runPaths, type RunPaths } from '../core/run-paths.js';
import { formatFinished, formatLeft, formatReconcile, formatThresholdStop } from '../report/resume-lines.js';
import type { ResolvedJob, RunSettings } from '../spec/types.js';
import { rememberRun } from '../core/known-runs.js';
import { resolveInterpreter } from '../workers/interpreter.js';
import { pandasFor } from './pandas-check.js';
import { executeRun, type ExecuteOptions } from './execute.js';
import { OUTCOME_META_KEY } from './finalize.js';
import { parseBackend, storableUrl, type RedisBackendChoice } from '../redis/connection/cli-options.js';
import { openRunBackend, storedRedisChoice, type StoredRedisBackend } from './choose-backend.js';
import { overrideSettings } from './overrides.js';
import { decideResume, recordedResult } from './run-status.js';
import { lockRunDir, readRunJson, writeRunJson } from './rundir.js';
import { killPoint } from '../core/kill-points.js';
import { fewerWorkersNote, peekPlan, workersFor } from './worker-count.js';
import type { RunReporter } from './reporter.js';

export interface ContinueOptions {
  readonly mode: 'resume' | 'retry-failed';
  readonly runDir: string;
  /** From flags; only settings in `CONTINUE_SETTINGS`. */
  readonly overrides: Partial<RunSettings>;
  /** `--processes` as given, 0 included (only a run on Redis may run no Python here); null: absent. */
  readonly processes: number | null;
  /** `--backend` as given: a run on Redis reaches its server with this URL (and stores it, without password). */
  readonly backend: string | undefined;
  /** Writes the HTML report as the run ends (`ExecuteOptions.report`). */
  readonly report?: ExecuteOptions['report'];
}

/** What retry-failed runs again: failed after their tries, partial (short returns), and never run. */
const RETRY_STATUSES: readonly MiniBatchStatus[] = ['failed', 'partial', 'pending'];

/** Continues the run in `runDir`; returns the exit code. */
export async function continueRun(opts: ContinueOptions, reporter: RunReporter): Promise<number> {
  const paths = existingRunDir(opts.runDir);
  const release = lockRunDir(paths);
  rememberRun(paths.root); // made by an older version, or moved here: `runs` and `status` find it
  try {
    const runJson = readRunJson(paths);
    const job = overrideSettings(runJson.job, opts.overrides);
    reporter.runDirectory(paths.root);
    // A rejected setting (an interpreter that is not there) must fail before run.json records it.
    const { redis, backend } = continuedBackend(runJson.backend, opts, paths);
    const processes = opts.processes ?? backend?.processes ?? job.settings.processCountPerNode;
    // The MLTables as they are now: a changed one plans (and reconciles) what it lists now.
    const dataset = await resolveDataset(job, paths.root);
    const interpreter = processes === 0 ? null : await resolveInterpreter(job.settings.python).then(pandasFor(dataset));
    const python = interpreter?.executable ?? null;
    if (interpreter !== null) reporter.interpreter(interpreter);
    const fresh = Ledger.discardIfBlank(paths.root);
    // Killed before its ledger existed (right after run.json), or while creating it: nothing ran,
    // so plan from scratch.
    const ledger = fresh ? Ledger.create(paths.root) : Ledger.open(paths.root);
    try {
      const go = fresh ? true : prepare(ledger, job, opts, paths, reporter);
      if (go !== true) return go;
      // Settings first, then forget the old outcome: a run killed from here on has none, and
      // resumes with the settings given now.
      writeRunJson(paths, { ...runJson, job, ...(backend === undefined ? {} : { backend }) });
      ledger.deleteMeta(OUTCOME_META_KEY);
      if (!fresh) await completePlan(ledger, dataset, opts.mode === 'resume', reporter);
      if (opts.mode === 'retry-failed' && !fresh) {
        const before = ledger.counts();
        const reset = ledger.resetForRetry(RETRY_STATUSES);
        killPoint('retry-reset');
        if (reset === 0) {
          reporter.note(`Nothing to retry: no mini-batch failed, returned short or was left unrun.\n`);
        } else {
          reporter.note(
            `retrying ${reset} mini-batches with fresh tries: ${before.failed} failed, ${before.partial} partial, ${before.pending} not run\n`,
          );
        }
      }
      if (!fresh) reporter.note(`${formatLeft(ledger.counts())}\n`);
      // Never more workers than mini-batches to run (a killed start's fresh plan is read ahead for that).
      const peeked = fresh && processes > 0 ? await peekPlan(planDatasetBatches(dataset), processes) : null;
      const toRun = peeked === null ? ledger.counts().pending : peeked.complete ? peeked.seen : processes;
      const workers = processes === 0 ? 0 : workersFor(processes, toRun);
      if (workers < processes) reporter.note(fewerWorkersNote(processes, workers, toRun));
      const run = await openRunBackend({ job, paths, runId: runJson.runId, ledger, redis, processes: workers, python, resumed: true });
      try {
        const result = await executeRun({
          job,
          runId: runJson.runId,
          paths,
          ledger,
          executor: run.executor,
          plan: fresh ? (peeked?.plan ?? planDatasetBatches(dataset)) : null,
          context: dataset.context,
          tables: tableReads(dataset),
          progressStream: reporter.progress.stream,
          plainProgress: reporter.progress.plain,
          handleSignals: true,
          resumeHint: `minibatch resume ${paths.root}`,
          command: opts.mode,
          ...(opts.report === undefined ? {} : { report: opts.report }),
        });
        await run.finish(result);
        reporter.finished(result);
        return result.exitCode;
      } finally {
        await run.close();
      }
    } finally {
      ledger.close();
    }
  } finally {
    release();
  }
}

/**
 * The backend a continued run uses: a local run stays local; a run on Redis continues there,
 * on the server `--backend` names (with its password, or at a new address), else the
 * stored one with its password from MINIBATCH_REDIS_URL. Returns what run.json is to store.
 */
function continuedBackend(
  stored: StoredRedisBackend | undefined,
  opts: ContinueOptions,
  paths: RunPaths,
): { readonly redis: RedisBackendChoice | null; readonly backend: StoredRedisBackend | undefined } {
  const given = opts.backend === undefined ? undefined : parseBackend(opts.backend);
  if (stored === undefined) {
    if (given !== undefined && given !== null) {
      throw new UsageError(
        `${paths.root} ran on this machine, and continues here: --backend cannot move it to Redis. ` +
          `Start a new run with \`minibatch run … --backend ${storableUrl(given.target)}\` to run it there`,
      );
    }
    if (opts.processes === 0) {
      throw new UsageError(`--processes 0 runs no Python on this machine: only a run on Redis can do without; ${paths.root} runs here`);
    }
    return { redis: null, backend: undefined };
  }
  if (given === null) {
    throw new UsageError(
      `${paths.root} runs on Redis (${stored.url}), where its queue and workers are: it continues there. ` +
        `Give --backend its server's URL, or leave --backend out`,
    );
  }
  const redis = storedRedisChoice(stored, given ?? null);
  return { redis, backend: { ...stored, url: storableUrl(redis.target), processes: opts.processes ?? stored.processes } };
}

function existingRunDir(dir: string): RunPaths {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new RunDirConflictError(`${root} is not a run directory: it does not exist (runs are under .minibatch/runs; \`minibatch runs\` lists them)`);
  }
  return runPaths(root);
}

/**
 * Says where the run stands and whether to go on: true, or the exit code to end with. A `resume` of
 * a finished run changes nothing; retry-failed goes on unless there is nothing to retry.
 */
function prepare(ledger: Ledger, job: ResolvedJob, opts: ContinueOptions, paths: RunPaths, reporter: RunReporter): true | number {
  const recorded = recordedResult(ledger);
  const counts = ledger.counts();
  if (opts.mode === 'retry-failed') {
    const unfinished = counts.failed + counts.partial + counts.pending;
    if (recorded !== null && recorded.status !== 'interrupted' && recorded.resumable !== true && unfinished === 0) {
      reporter.note(`Nothing to retry: every mini-batch of run ${recorded.runId} succeeded. It ${recorded.status}; nothing changed.\n`);
      return recorded.exitCode;
    }
    return true;
  }
  const decision = decideResume(recorded, job.settings, counts, ledger.planningDone());
  switch (decision.kind) {
    case 'finished':
      reporter.note(formatFinished(decision.result, paths.root));
      return decision.result.exitCode;
    case 'threshold':
      reporter.note(formatThresholdStop(decision.result, decision.breach, paths.root));
      return decision.result.exitCode;
    case 'continue':
      reporter.note(`resuming: ${decision.why}\n`);
      return true;
    default: {
      const never: never = decision;
      return never;
    }
  }
}

/**
 * Brings the stored plan in line with a fresh listing (docs/ARCHITECTURE.md, "Run directory").
 * `resume` always does (changed files run again, new files are added); retry-failed only finishes a
 * plan that a crash cut short.
 */
async function completePlan(ledger: Ledger, dataset: Dataset, always: boolean, reporter: RunReporter): Promise<void> {
  const planningWasDone = ledger.planningDone();
  if (planningWasDone && !always) return;
  // New files of a file input are cut as planning cuts them; a table's are planned whole.
  const changes = await ledger.reconcile(planDataset(dataset), newFileCutting(dataset.cutting));
  killPoint('reconciled');
  if (!planningWasDone) ledger.markPlanned(ledger.counts().miniBatches);
  reporter.note(`${formatReconcile(changes, planningWasDone)}\n`);
}

/** New files found on resume are cut as planning cuts: by count, or one mini-batch per partition key combination. */
function newFileCutting(cutting: Cutting): NewFileCutting {
  if (cutting.kind === 'count') return { size: cutting.files, groupOf: null };
  return { size: Number.POSITIVE_INFINITY, groupOf: (input, rel) => JSON.stringify(cutting.valuesOf(input, rel)) };
}
