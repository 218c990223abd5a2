/**
 * Error thresholds (docs/ARCHITECTURE.md, "Tries"), judged from counts alone so the scheduler, finalize and
 * `minibatch status` agree. Each fails the run only when strictly exceeded.
 */
import type { ThresholdBreach } from '../report/result.js';
import type { RunSettings } from '../spec/types.js';

export interface ThresholdCounts {
  /** Mini-batches in the plan (all of them, once planning is done). */
  readonly planned: number;
  /** Mini-batches that failed all their tries, or returned short (`partial`). */
  readonly failedMiniBatches: number;
  readonly failedItems: number;
}


type Limits = Pick<RunSettings, 'errorThreshold' | 'allowedFailedCount' | 'allowedFailedPercent'>;

/**
 * The first threshold the counts exceed, or null. `allowedFailedPercent` is judged only when
 * `allDispatched`, since a percentage of a plan still growing means nothing (docs/ARCHITECTURE.md, "Tries").
 */
export function breachedThreshold(
  limits: Limits,
  counts: ThresholdCounts,
  allDispatched: boolean,
): ThresholdBreach | null {
  if (limits.errorThreshold >= 0 && counts.failedItems > limits.errorThreshold) {
    return {
      setting: 'errorThreshold',
      limit: limits.errorThreshold,
      found: counts.failedItems,
      message:
        `${counts.failedItems} items failed, more than errorThreshold ${limits.errorThreshold} ` +
        `(by ${counts.failedItems - limits.errorThreshold})`,
    };
  }
  if (limits.allowedFailedCount !== null && counts.failedMiniBatches > limits.allowedFailedCount) {
    return {
      setting: 'allowedFailedCount',
      limit: limits.allowedFailedCount,
      found: counts.failedMiniBatches,
      message:
        `${counts.failedMiniBatches} mini-batches failed, more than allowedFailedCount ` +
        `${limits.allowedFailedCount} (by ${counts.failedMiniBatches - limits.allowedFailedCount})`,
    };
  }
  if (allDispatched && limits.allowedFailedPercent !== null && counts.planned > 0) {
    const percent = (counts.failedMiniBatches / counts.planned) * 100;
    if (percent > limits.allowedFailedPercent) {
      return {
        setting: 'allowedFailedPercent',
        limit: limits.allowedFailedPercent,
        found: percent,
        message:
          `${formatPercent(percent)}% of mini-batches failed (${counts.failedMiniBatches} of ` +
          `${counts.planned}), more than allowedFailedPercent ${limits.allowedFailedPercent}%`,
      };
    }
  }
  return null;
}

function formatPercent(p: number): string {
  return Number.isInteger(p) ? String(p) : p.toFixed(2);
}
