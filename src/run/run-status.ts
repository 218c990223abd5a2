/**
 * What state a run directory is in, from its lock and its ledger: `status`, `runs` and
 * `resume` agree on it. The ledger's recorded outcome (`job_result`, written by finalize) is the
 * truth of a finished run; `resume` and `retry-failed` forget it when they continue, so a run killed
 * after that has none again.
 */
import type { Ledger } from '../ledger/sqlite.js';
import type { LedgerCounts } from '../ledger/types.js';
import type { JobResult } from '../report/result.js';
import type { RunStatus } from '../report/run-view.js';
import type { RunSettings } from '../spec/types.js';
import { OUTCOME_META_KEY } from './finalize.js';
import type { LockOwner } from './rundir.js';
import { toThresholdCounts } from './scheduler.js';
import type { ThresholdBreach } from '../report/result.js';
import { breachedThreshold } from './thresholds.js';


/** The outcome finalize recorded in the ledger, or null (never finished, or continued since). */
export function recordedResult(ledger: Ledger): JobResult | null {
  const text = ledger.getMeta(OUTCOME_META_KEY);
  return text === undefined ? null : (JSON.parse(text) as JobResult);
}

export function runState(owner: LockOwner | null, recorded: JobResult | null): RunStatus {
  if (owner !== null) return 'running';
  return recorded === null ? 'killed' : recorded.status;
}

export type ResumeDecision =
  /** Work is left: continue. `why` says what the run's last state was. */
  | { readonly kind: 'continue'; readonly why: string }
  /** The run ended and was judged on its whole plan: nothing to do. */
  | { readonly kind: 'finished'; readonly result: JobResult }
  /** The run stopped on a threshold that its (possibly overridden) settings still exceed. */
  | { readonly kind: 'threshold'; readonly result: JobResult; readonly breach: ThresholdBreach };

/**
 * Whether `resume` continues a run: a run with no recorded outcome, interrupted, or stopped
 * by a fixable error continues; a run stopped by a threshold continues only when `settings` no longer
 * exceed it; any other recorded outcome is final.
 */
export function decideResume(
  recorded: JobResult | null,
  settings: Pick<RunSettings, 'errorThreshold' | 'allowedFailedCount' | 'allowedFailedPercent'>,
  counts: LedgerCounts,
  planningDone: boolean,
): ResumeDecision {
  if (recorded === null) return { kind: 'continue', why: 'it stopped without recording an outcome (killed, or its machine stopped)' };
  if (recorded.status === 'interrupted') return { kind: 'continue', why: 'it was interrupted' };
  // `resumable` is absent from results written before it existed: those are final.
  if (recorded.resumable === true) return { kind: 'continue', why: `it stopped: ${recorded.reason}` };
  if (recorded.threshold !== null) {
    const breach = breachedThreshold(settings, toThresholdCounts(counts), planningDone && counts.pending === 0);
    if (breach !== null) return { kind: 'threshold', result: recorded, breach };
    return { kind: 'continue', why: `it stopped on ${recorded.threshold.setting} ${recorded.threshold.limit}, now raised` };
  }
  return { kind: 'finished', result: recorded };
}
