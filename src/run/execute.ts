/**
 * One execution of a job in a run directory: the ledger, an executor, the scheduler,
 * progress, Ctrl-C, then finalize. `minibatch run` calls it for a new run; `resume` and
 * `retry-failed` call it on an existing ledger.
 */
import { mkdirSync } from 'node:fs';
import type { PlannedMiniBatch } from '../data/types.js';
import type { Executor } from '../core/tries.js';
import type { TableRead } from '../core/table-format.js';
import { Ledger } from '../ledger/sqlite.js';
import type { RunPaths } from '../core/run-paths.js';
import { ProgressReporter } from '../report/progress.js';
import type { JobResult } from '../report/result.js';
import { TryLog } from '../report/try-log.js';
import type { ResolvedJob } from '../spec/types.js';
import { diskProblem, unwritable } from './disk-error.js';
import { finalizeRun } from './finalize.js';
import { faultOf, RunDirGuard, stoppedBy } from './run-dir-fault.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { killPoint } from '../core/kill-points.js';
import { outputFolders } from '../workers/worker-init.js';

/** How often a live run checks that its run directory is still where it was. */
const RUN_DIR_CHECK_MS = 1_000;

export interface ExecuteOptions {
  readonly job: ResolvedJob;
  readonly runId: string;
  readonly paths: RunPaths;
  readonly ledger: Ledger;
  /** Runs the tries: the local pool (`createLocalExecutor`) or Redis. Stopped by the scheduler. */
  readonly executor: Executor;
  /** Streamed into the ledger while dispatching (`planDatasetBatches`); null when the ledger holds the whole plan. */
  readonly plan: AsyncIterable<readonly PlannedMiniBatch[]> | null;
  /** The context each mini-batch's `run()` gets (`Dataset.context`). */
  readonly context: SchedulerOptions['context'];
  /** How each table input is read (`tableReads(dataset)`). */
  readonly tables: Readonly<Record<string, TableRead>>;
  /** Where progress goes (stderr). */
  readonly progressStream: NodeJS.WriteStream;
  /** Lines instead of a bar, even on a terminal. */
  readonly plainProgress: boolean;
  /** Handle SIGINT/SIGTERM: once stops dispatching, twice kills the workers. */
  readonly handleSignals: boolean;
  /** Which command this process is: a resumed run's figures are told apart from the whole run's. */
  readonly command: JobResult['thisProcess']['command'];
  /** Printed when the run stops early, e.g. `minibatch resume <dir>`. */
  readonly resumeHint: string;
  /**
   * Writes the run's HTML report once it has ended (the command line passes src/ui's, which sits
   * above this folder); it logs its own failures and never fails the run.
   */
  readonly report?: (paths: RunPaths, stream: NodeJS.WritableStream) => Promise<void>;
}

export async function executeRun(opts: ExecuteOptions): Promise<JobResult> {
  const { job, paths, ledger } = opts;
  for (const output of outputFolders(job)) {
    try {
      mkdirSync(output, { recursive: true });
    } catch (error) {
      // The executor's workers are starting: stop them, or they keep this process alive.
      await opts.executor.stop('now');
      throw unwritable(`the output folder ${output}`, error, opts.resumeHint);
    }
  }
  const startedAt = new Date();
  // What earlier processes did: this one's figures are what it adds (a resume).
  const before = ledger.counts();
  const executor = opts.executor;
  const tryLog = new TryLog(paths);
  const scheduler = new Scheduler({
    ledger,
    executor,
    settings: job.settings,
    plan: opts.plan,
    context: opts.context,
    tables: opts.tables,
    onTry: (t, status, task) => tryLog.record(t, status, task),
  });
  const progress = new ProgressReporter({
    overviewFile: paths.progressOverview,
    stream: opts.progressStream,
    plain: opts.plainProgress,
    source: () => scheduler.progress(),
  });

  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) {
      opts.progressStream.write(
        '\n[minibatch] stopping: running mini-batches finish, nothing new starts (Ctrl-C again to kill them now)\n',
      );
      scheduler.requestStop({ kind: 'interrupted' });
    } else {
      void executor.stop('now');
    }
  };
  if (opts.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  // A run directory moved away is seen within a second, before a replaced worker or finalize
  // would name a path at its old place.
  const guard = new RunDirGuard(paths);
  const watch = setInterval(() => {
    const moved = guard.moved();
    if (moved !== null) scheduler.requestStop({ kind: 'fatal', error: new Error(moved.what) });
  }, RUN_DIR_CHECK_MS);
  watch.unref();
  try {
    const result = await scheduler.run();
    clearInterval(watch);
    killPoint('scheduled');
    progress.stop();
    // Stopped by the machine (a full disk, an unwritable or moved run directory, no descriptors
    // left): nothing is finalized, so that `resume` continues the run once that is fixed.
    const fault = result.stop?.kind === 'fatal' ? faultOf(result.stop.error, paths, guard) : guard.moved();
    if (fault !== null) throw stoppedBy(fault, result.counts, paths);
    await tryLog.close();
    const logFailure = tryLog.writeFailure;
    if (logFailure !== null) {
      opts.progressStream.write(
        `[minibatch] warning: could not write ${logFailure.file}: ${diskProblem(logFailure.error) ?? String(logFailure.error)}; ` +
          `the ledger (state.db) has every try\n`,
      );
    }
    let ended: JobResult;
    try {
      ended = finalizeRun({ job, runId: opts.runId, paths, ledger, result, startedAt, resumeHint: opts.resumeHint, command: opts.command, before });
    } catch (error) {
      const failed = faultOf(error, paths, guard);
      throw failed === null ? error : stoppedBy(failed, ledger.counts(), paths);
    }
    if (opts.report !== undefined) {
      ledger.flush(); // the report reads the ledger through a connection of its own
      await opts.report(paths, opts.progressStream);
    }
    return ended;
  } finally {
    clearInterval(watch);
    progress.stop();
    await tryLog.close(); // idempotent: after a failure too, what was logged is written
    if (opts.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
