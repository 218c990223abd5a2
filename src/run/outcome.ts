/**
 * How a run ended, from what the scheduler reports (docs/ARCHITECTURE.md, "Tries"): interrupted, failed (a threshold,
 * a fatal error, nothing succeeded), or succeeded (including an empty dataset).
 */
import { EnvironmentError, EXIT } from '../core/errors.js';
import type { LedgerCounts } from '../ledger/types.js';
import type { RunStatus } from '../report/result.js';
import type { RunSettings } from '../spec/types.js';
import type { SchedulerResult } from './scheduler.js';
import type { ThresholdBreach } from '../report/result.js';

export interface RunOutcome {
  readonly status: RunStatus;
  readonly reason: string;
  readonly exitCode: number;
  readonly threshold: ThresholdBreach | null;
  /**
   * The run stopped before its end (interrupted, or a fatal error such as a full disk) and
   * `minibatch resume` continues it. A run judged on its whole plan is final; one stopped by a
   * threshold resumes only when the threshold is raised.
   */
  readonly resumable: boolean;
}

type Limits = Pick<RunSettings, 'errorThreshold' | 'allowedFailedCount' | 'allowedFailedPercent'>;

export function judgeOutcome(result: SchedulerResult, counts: LedgerCounts, limits: Limits, resumeHint: string): RunOutcome {
  const stop = result.stop;
  if (stop?.kind === 'interrupted') {
    return {
      status: 'interrupted',
      reason: `Stopped by the user; ${counts.pending} mini-batches not run. Continue with \`${resumeHint}\`.`,
      exitCode: EXIT.interrupted,
      threshold: null,
      resumable: true,
    };
  }
  const breach = stop?.kind === 'threshold' ? stop.breach : result.finalBreach;
  if (breach !== null) {
    return {
      status: 'failed',
      reason: `Stopped: ${breach.message}.`,
      exitCode: EXIT.runFailed,
      threshold: breach,
      resumable: false,
    };
  }
  if (stop?.kind === 'fatal') {
    // Nothing was judged: the cause (a full disk, init failing everywhere) is for the user to fix.
    const reason = `${stop.error.message.replace(/\.?$/, '.')} Once fixed, continue with \`${resumeHint}\`.`;
    // What this machine lacks (Redis gone silent or out of memory) is exit 3, as when it lacks it at the start.
    const exitCode = stop.error instanceof EnvironmentError ? stop.error.exitCode : EXIT.runFailed;
    return { status: 'failed', reason, exitCode, threshold: null, resumable: true };
  }
  if (counts.items === 0) {
    return { status: 'succeeded', reason: '0 items: the inputs hold no files (see the warnings).', exitCode: EXIT.ok, threshold: null, resumable: false };
  }
  if (counts.succeededItems === 0) {
    return {
      status: 'failed',
      reason: 'No item succeeded, whatever the thresholds say.',
      exitCode: EXIT.runFailed,
      threshold: null,
      resumable: false,
    };
  }
  const failed = counts.failed + counts.partial;
  return {
    status: 'succeeded',
    reason:
      failed === 0
        ? 'Every mini-batch succeeded.'
        : `${failed} of ${counts.miniBatches} mini-batches failed (${counts.failedItems} items), ${toleratedBecause(limits)}`,
    exitCode: EXIT.ok,
    threshold: null,
    resumable: false,
  };
}

/**
 * Why failures did not fail the run, and how to make them count: ParallelRunStep's defaults
 * (errorThreshold -1, no allowedFailed*) tolerate any number, which a user should not learn late.
 */
function toleratedBecause(limits: Limits): string {
  const set: string[] = [];
  if (limits.errorThreshold >= 0) set.push(`errorThreshold is ${limits.errorThreshold} (failed items allowed)`);
  if (limits.allowedFailedCount !== null) set.push(`allowedFailedCount is ${limits.allowedFailedCount}`);
  if (limits.allowedFailedPercent !== null) set.push(`allowedFailedPercent is ${limits.allowedFailedPercent}`);
  if (set.length > 0) {
    return `within the thresholds: ${set.join(', ')}. Lower them to make these failures fail the run.`;
  }
  return (
    'tolerated because errorThreshold is -1 (ignored) and neither allowedFailedCount nor allowedFailedPercent is set. ' +
    'To make them fail the run: --allowed-failed-count 0 (allowedFailedCount: 0 in the job file), or --error-threshold N to allow N failed items.'
  );
}
