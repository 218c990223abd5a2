/**
 * Starting a new run: the run directory made and locked, run.json, the ledger, the executor (local
 * workers or Redis), then `executeRun`. `minibatch run` (cli/run.ts) calls it once the job is
 * resolved; resuming and retrying are continue-run.ts. It prints nothing: what a user sees goes
 * through the `RunReporter` (docs/ARCHITECTURE.md, "Flow").
 */
import { existsSync } from 'node:fs';
import { killPoint } from '../core/kill-points.js';
import { MINIBATCH_VERSION } from '../core/version.js';
import { rememberRun } from '../core/known-runs.js';
import { planDatasetBatches, resolveDataset, tableReads } from '../data/dataset.js';
import { Ledger } from '../ledger/sqlite.js';
import { writeLogsReadme } from '../report/readme.js';
import type { JobResult } from '../report/result.js';
import type { RedisBackendChoice } from '../redis/connection/cli-options.js';
import type { ResolvedJob } from '../spec/types.js';
import { binaryInterpreter, resolveInterpreter } from '../workers/interpreter.js';
import { openRunBackend, storeRedisBackend } from './choose-backend.js';
import { executeRun, type ExecuteOptions } from './execute.js';
import { pandasFor } from './pandas-check.js';
import type { RunReporter } from './reporter.js';
import { createRunDir, discardRunDir, RUN_JSON_VERSION, writeRunJson } from './rundir.js';
import { fewerWorkersNote, peekPlan, workersFor } from './worker-count.js';

export interface StartRunOptions {
  /** The resolved job (spec/). */
  readonly job: ResolvedJob;
  /** A new run id (runId.ts). */
  readonly runId: string;
  /** The run directory, absolute: made when missing, refused when it holds a run. */
  readonly root: string;
  /** The Redis to run on; null: the local backend. */
  readonly redis: RedisBackendChoice | null;
  /** On Redis, this machine's own processes (0: no Python here); null: the job's processCountPerNode. */
  readonly ownProcesses: number | null;
  /** Writes the HTML report as the run ends (the command line's; ui/ is above run/). @default none */
  readonly report?: ExecuteOptions['report'];
}

/** Runs a new run of `opts.job` to its end; the result says how it ended (and its exit code). */
export async function startRun(opts: StartRunOptions, reporter: RunReporter): Promise<JobResult> {
  const { job, runId, root, redis, ownProcesses } = opts;
  // A bad MLTable or partition key stops the run here, before it has a run directory.
  const dataset = await resolveDataset(job, root);
  // The probe (a Python start-up) runs while the run directory and its ledger are made, and an
  // interpreter that is a binary starts the workers meanwhile. A run whose interpreter cannot start
  // leaves no run directory behind.
  const interpreter = ownProcesses === 0 ? Promise.resolve(null) : resolveInterpreter(job.settings.python).then(pandasFor(dataset));
  interpreter.catch(() => undefined); // awaited below, or moot when an earlier step throws
  const early = ownProcesses === 0 ? null : binaryInterpreter(job.settings.python);
  // Never more workers than mini-batches: the plan is read ahead that far (listing a few files).
  const asked = ownProcesses ?? job.settings.processCountPerNode;
  const { plan, seen, complete } = asked === 0 ? { plan: planDatasetBatches(dataset), seen: 0, complete: false } : await peekPlan(planDatasetBatches(dataset), asked);
  const processes = complete ? workersFor(asked, seen) : asked;

  if (redis !== null) {
    // A Redis that cannot be used fails the run before it has a run directory to leave behind.
    const { checkRedis } = await import('../redis/connection/check.js');
    await checkRedis(redis.target);
  }
  const existed = existsSync(root);
  const { paths, release } = createRunDir(root);
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
    rememberRun(root); // for `runs`, `status` and `ui`, wherever the run directory is
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
    reporter.runDirectory(root);
    const found = await interpreter; // settled: awaited above, or the run has thrown
    if (found !== null) reporter.interpreter(found);
    if (processes < asked) reporter.note(fewerWorkersNote(asked, processes, seen));
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
        progressStream: reporter.progress.stream,
        plainProgress: reporter.progress.plain,
        handleSignals: true,
        resumeHint: `minibatch resume ${root}`,
        command: 'run',
        ...(opts.report === undefined ? {} : { report: opts.report }),
      });
      await run.finish(result);
      reporter.finished(result);
      return result;
    } finally {
      await run.close();
      ledger.close();
    }
  } finally {
    release();
  }
}
