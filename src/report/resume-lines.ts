/**
 * What `resume` and `retry-failed` say before they continue a run: what changed in the
 * inputs, in counts, and what is left to run.
 */
import type { LedgerCounts, ReconcileCounts } from '../ledger/types.js';
import type { ThresholdBreach } from './result.js';
import type { JobResult } from './result.js';

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** One line on how the fresh listing compares with the stored plan. */
export function formatReconcile(r: ReconcileCounts, planningWasDone: boolean): string {
  if (!planningWasDone) {
    return (
      `planning was cut short; finished it: ${plural(r.unchanged + r.changed + r.trimmed, 'mini-batch', 'mini-batches')} ` +
      `already planned, ${r.added} added (${plural(r.newFiles, 'file')})`
    );
  }
  const parts: string[] = [];
  if (r.changedFiles > 0) {
    parts.push(`${plural(r.changedFiles, 'file')} changed (${plural(r.changed, 'mini-batch', 'mini-batches')} will run again)`);
  }
  if (r.newFiles > 0) {
    parts.push(`${plural(r.newFiles, 'new file')} (${plural(r.added, 'new mini-batch', 'new mini-batches')} at the end)`);
  }
  if (r.vanishedFiles > 0) {
    parts.push(
      `${plural(r.vanishedFiles, 'file')} vanished (${plural(r.trimmed, 'pending mini-batch', 'pending mini-batches')} ` +
        `run without them, ${r.removed} dropped; finished ones keep their outcome)`,
    );
  }
  return parts.length === 0 ? 'inputs unchanged since the run was planned' : `inputs changed since the run was planned: ${parts.join(', ')}`;
}

/** One line on what is committed and what is left. */
export function formatLeft(c: LedgerCounts): string {
  const committed = c.succeeded + c.partial + c.failed;
  return (
    `${committed} of ${plural(c.miniBatches, 'mini-batch', 'mini-batches')} already committed ` +
    `(${c.succeeded} succeeded, ${c.partial} partial, ${c.failed} failed); ${c.pending} to run`
  );
}

/** What `resume` prints for a run that has ended: nothing changes. */
export function formatFinished(result: JobResult, runDir: string): string {
  const mb = result.miniBatches;
  const retry =
    mb.failed + mb.partial + mb.notRun > 0
      ? `; to run its ${mb.failed + mb.partial + mb.notRun} failed or unrun mini-batches again: minibatch retry-failed ${runDir}`
      : '';
  return (
    `Run ${result.runId} has already finished: ${result.status.toUpperCase()}. ${result.reason}\n` +
    `Nothing changed (exit code ${result.exitCode}, as recorded)${retry}.\n` +
    `Result: ${result.logs}/job_result.txt\n`
  );
}

const FLAGS: Readonly<Record<ThresholdBreach['setting'], string>> = {
  errorThreshold: '--error-threshold',
  allowedFailedCount: '--allowed-failed-count',
  allowedFailedPercent: '--allowed-failed-percent',
};

/** What `resume` prints for a run stopped by a threshold that is still exceeded. */
export function formatThresholdStop(result: JobResult, breach: ThresholdBreach, runDir: string): string {
  const flag = FLAGS[breach.setting];
  const raised = breach.setting === 'allowedFailedPercent' ? Math.ceil(breach.found) : breach.found;
  return (
    `Run ${result.runId} stopped on a threshold, and resuming it would stop again at once: ${breach.message}.\n` +
    `Raise it to resume, e.g. \`minibatch resume ${runDir} ${flag} ${raised}\`, ` +
    `or run the failed mini-batches again: \`minibatch retry-failed ${runDir}\`.\n`
  );
}
