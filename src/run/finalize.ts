/**
 * Finalize (docs/ARCHITECTURE.md, "Flow"): the append_row file in mini-batch order, the outcome judged, and the job
 * result written for people and programs. The outcome is also recorded in the ledger, so that
 * resuming a finished run changes nothing and exits with it.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { Ledger } from '../ledger/sqlite.js';
import type { RunPaths } from '../core/run-paths.js';
import { remainingErrors } from '../report/error-groups.js';
import { firstErrors, formatJobResult, miniBatchCounts, type JobResult } from '../report/result.js';
import type { LedgerCounts } from '../ledger/types.js';
import type { ResolvedJob, RunSettings } from '../spec/types.js';
import { datasetInputs } from '../data/dataset.js';
import { EXIT } from '../core/errors.js';
import { unwritable } from './disk-error.js';
import { judgeOutcome, type RunOutcome } from './outcome.js';
import { writeAtomic } from './atomic-file.js';
import { writeRowsFile } from './rows-file.js';
import { appendRowFile } from '../workers/worker-init.js';
import { toThresholdCounts, type SchedulerResult } from './scheduler.js';
import { breachedThreshold } from './thresholds.js';
import { killPoint } from '../core/kill-points.js';
import { OWNER_ONLY } from '../core/owner-only.js';

export interface FinalizeInput {
  readonly job: ResolvedJob;
  readonly runId: string;
  readonly paths: RunPaths;
  readonly ledger: Ledger;
  readonly result: SchedulerResult;
  readonly startedAt: Date;
  readonly resumeHint: string;
  /** What this process is, and the ledger's counts when it started (a resume's earlier work). */
  readonly command: JobResult['thisProcess']['command'];
  readonly before: LedgerCounts;
}

/** How many failed tries the job result names. */
const FIRST_ERRORS = 5;
export const OUTCOME_META_KEY = 'job_result';

export function finalizeRun(input: FinalizeInput): JobResult {
  const { job, paths, ledger } = input;
  const settings = job.settings;
  let rowsFile: string | null = null;
  let rowCount: number | null = null;
  // The scheduler counted the ledger once every try was written; nothing has changed it since.
  let counts = input.result.counts;
  let outcome = judgeOutcome(withFinalCounts(input.result, settings, counts), counts, settings, input.resumeHint);
  /** Mini-batches failed here because their rows do not fit the header: no try of theirs failed. */
  const misfitErrors: JobResult['firstErrors'][number][] = [];

  if (settings.outputAction === 'append_row' && outcome.status !== 'interrupted') {
    rowsFile = appendRowFile(job);
    const written = tryWriteRows(rowsFile, input);
    if (!written.ok) outcome = written.outcome;
    else rowCount = written.result.rows;
    if (written.ok && written.result.misfits.length > 0) {
      const result = written.result;
      for (const misfit of result.misfits) {
        const message =
          `mini-batch ${misfit.index} returned columns [${misfit.columns.join(', ')}], but the ` +
          `${settings.appendRowFormat} header (from the first mini-batch with rows) is ` +
          `[${(result.header ?? []).join(', ')}]; its rows were left out of ${rowsFile}`;
        ledger.failMiniBatch(misfit.index, { type: 'RowsDoNotFitHeader', message, traceback: '' });
        const attempt = ledger.record(misfit.index)?.tries ?? 0;
        misfitErrors.push({
          miniBatch: misfit.index,
          attempt,
          worker: '-',
          outcome: 'rows_do_not_fit',
          type: 'RowsDoNotFitHeader',
          message,
          log: paths.jobErrorTxt,
        });
        appendLog(paths.jobErrorTxt, `=== ${new Date().toISOString()} mini-batch ${misfit.index}: RowsDoNotFitHeader\n${message}\n\n`);
      }
      counts = ledger.counts();
      outcome = judgeOutcome(withFinalCounts(input.result, settings, counts), counts, settings, input.resumeHint);
    }
  }

  const finishedAt = new Date();
  const durationMs = finishedAt.getTime() - input.startedAt.getTime();
  const result: JobResult = {
    runId: input.runId,
    module: { name: job.module.name, version: job.module.version },
    status: outcome.status,
    reason: outcome.reason,
    exitCode: outcome.exitCode,
    startedAt: input.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs,
    ...processFigures(input, counts, durationMs),
    miniBatches: miniBatchCounts(counts),
    items: { total: counts.items, succeeded: counts.succeededItems, failed: counts.failedItems },
    tries: counts.tries,
    threshold: outcome.threshold,
    resumable: outcome.resumable,
    errors: withMisfits(remainingErrors(ledger), misfitErrors),
    warnings: emptyInputs(job, ledger),
    firstErrors: [...firstErrors(ledger.failedTries(FIRST_ERRORS), paths), ...misfitErrors].slice(0, FIRST_ERRORS),
    rowsFile,
    rows: rowCount,
    outputs: job.outputs,
    logs: paths.logs,
  };
  try {
    writeAtomic(paths.jobResultJson, JSON.stringify(result, null, 2) + '\n');
    writeFileSync(paths.jobResultTxt, formatJobResult(result), { mode: OWNER_ONLY });
  } catch (error) {
    // Nothing is recorded in the ledger either: a resume finalizes again.
    throw unwritable(`the job result in ${paths.logs}`, error, input.resumeHint);
  }
  killPoint('result-files');
  ledger.setMeta(OUTCOME_META_KEY, JSON.stringify(result));
  killPoint('result-recorded');
  return result;
}

/**
 * This process's figures and the whole run's (docs/FIRST-FAILURE.md, "Figures after a resume"): a
 * resume's items/s over its own work only, and the whole run's over the time its tries ran.
 */
function processFigures(input: FinalizeInput, counts: LedgerCounts, durationMs: number): Pick<JobResult, 'thisProcess' | 'wholeRun'> {
  const { before } = input;
  // Finalize may fail a succeeded mini-batch (rows that do not fit): never fewer than none.
  const succeeded = Math.max(0, counts.succeededItems - before.succeededItems);
  const failed = Math.max(0, counts.failedItems - before.failedItems);
  const perSecond = (items: number, ok: number, ms: number): number | null => (ok > 0 && ms > 0 ? (items * 1000) / ms : null);
  const earlierMs = before.tries > 0 ? input.ledger.busyMsBefore(input.startedAt.getTime()) : 0;
  const workingMs = durationMs + earlierMs;
  return {
    thisProcess: {
      command: input.command,
      items: { succeeded, failed },
      tries: Math.max(0, counts.tries - before.tries),
      itemsPerSecond: perSecond(succeeded + failed, succeeded, durationMs),
    },
    wholeRun: { workingMs, itemsPerSecond: perSecond(counts.succeededItems + counts.failedItems, counts.succeededItems, workingMs) },
  };
}

/** Mini-batches failed by finalize (rows that do not fit) are errors that remain, though no try failed. */
function withMisfits(errors: JobResult['errors'], misfits: readonly JobResult['firstErrors'][number][]): JobResult['errors'] {
  const more = misfits.map((m) => ({ type: m.type, message: m.message, tries: 0, miniBatches: [m.miniBatch], miniBatchCount: 1, firstItem: '', at: null }));
  return { groups: [...more, ...errors.groups], more: errors.more };
}

/**
 * The dataset inputs that hold no files: a wrong path or an empty folder runs "successfully" over
 * nothing, which a user must see. With `--limit`, a later input may simply not have been reached.
 */
function emptyInputs(job: ResolvedJob, ledger: Ledger): string[] {
  if (job.limit !== null) return [];
  const planned = ledger.itemsPerInput();
  return datasetInputs(job)
    .filter(({ name }) => (planned.get(name) ?? 0) === 0)
    .map(({ name, path }) => `input ${name} (${path}) holds no files`);
}

/**
 * Thresholds judged on the final counts: a threshold's message then counts what finished after it
 * tripped, and mini-batches failed by finalize itself (rows that do not fit) are judged too.
 */
function withFinalCounts(result: SchedulerResult, settings: RunSettings, counts: LedgerCounts): SchedulerResult {
  const now = breachedThreshold(settings, toThresholdCounts(counts), true);
  if (result.stop?.kind === 'threshold') return { ...result, stop: { kind: 'threshold', breach: now ?? result.stop.breach } };
  if (result.stop === null) return { ...result, finalBreach: now };
  return result;
}

/** A log line for people; the ledger holds the truth, so a failed append loses nothing. */
function appendLog(file: string, text: string): void {
  try {
    appendFileSync(file, text, { mode: OWNER_ONLY });
  } catch {
    // A full disk is reported where it matters: the rows file and the job result.
  }
}

type RowsAttempt =
  | { readonly ok: true; readonly result: ReturnType<typeof writeRowsFile> }
  | { readonly ok: false; readonly outcome: RunOutcome };

/**
 * The rows file, or the failed outcome of a full or read-only output folder: the rows stay in the
 * ledger, so a resume once it is fixed writes the file whole.
 */
function tryWriteRows(rowsFile: string, input: FinalizeInput): RowsAttempt {
  const settings = input.job.settings;
  try {
    const result = writeRowsFile(rowsFile, settings.appendRowFormat, { [Symbol.iterator]: () => input.ledger.rowsInOrder() });
    killPoint('rows-written');
    return { ok: true, result };
  } catch (error) {
    const fixable = unwritable(`the rows file ${rowsFile}`, error, input.resumeHint);
    if (fixable === error) throw error;
    const reason = fixable instanceof Error ? fixable.message : String(fixable);
    return {
      ok: false,
      outcome: { status: 'failed', reason: reason.charAt(0).toUpperCase() + reason.slice(1) + '.', exitCode: EXIT.runFailed, threshold: null, resumable: true },
    };
  }
}
