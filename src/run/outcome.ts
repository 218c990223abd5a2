/**
 * How a run ended, from what the scheduler reports (docs/ARCHITECTURE.md, "Tries"): interrupted, failed (a threshold,
 * a fatal error, nothing succeeded), or succeeded (including an empty dataset).
 */
import { EXIT } from '../core/errors.js';
import type { LedgerCounts } from '../ledger/types.js';
import type { RunStatus } from '../report/result.js';
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

export function judgeOutcome(result: SchedulerResult, counts: LedgerCounts, resumeHint: string): RunOutcome {
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
    return { status: 'failed', reason, exitCode: EXIT.runFailed, threshold: null, resumable: true };
  }
  if (counts.items === 0) {
    return { status: 'succeeded', reason: '0 items: the inputs hold no files.', exitCode: EXIT.ok, threshold: null, resumable: false };
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
        : `${failed} mini-batches failed, within the thresholds.`,
    exitCode: EXIT.ok,
    threshold: null,
    resumable: false,
  };
}
