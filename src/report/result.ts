/**
 * The job result: `logs/job_result.json` for programs, `logs/job_result.txt` in one paragraph for
 * people, and the summary the CLI prints. All three come from one `JobResult`.
 */
import type { LedgerCounts, TryRecord } from '../ledger/types.js';
import { formatErrorSummary, type ErrorSummary } from './error-groups.js';
import type { RunPaths } from '../core/run-paths.js';

export type RunStatus = 'succeeded' | 'failed' | 'interrupted';

/** A threshold a run exceeded (judged in run/thresholds.ts). */
export interface ThresholdBreach {
  readonly setting: 'errorThreshold' | 'allowedFailedCount' | 'allowedFailedPercent';
  readonly limit: number;
  readonly found: number;
  /** One sentence a user reads: which threshold, by how much. */
  readonly message: string;
}

export interface JobResult {
  readonly runId: string;
  readonly module: { readonly name: string; readonly version: string };
  readonly status: RunStatus;
  /** One sentence: why the run ended as it did. */
  readonly reason: string;
  readonly exitCode: number;
  /** When this process (the run, or a resume or retry of it) started and ended. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** What this process did, over `durationMs`: the same as the whole run's, unless it resumed one. */
  readonly thisProcess: {
    readonly command: 'run' | 'resume' | 'retry-failed';
    /** Items it settled: succeeded, or failed for good. */
    readonly items: { readonly succeeded: number; readonly failed: number };
    readonly tries: number;
    /** Items it settled per second over `durationMs`; null when none of them succeeded. */
    readonly itemsPerSecond: number | null;
  };
  /** The whole run, over every process that drove it. */
  readonly wholeRun: {
    /** `durationMs` and the time earlier processes had tries running (pauses between them left out). */
    readonly workingMs: number;
    /** Items settled per second over `workingMs`; null when none succeeded. */
    readonly itemsPerSecond: number | null;
  };
  readonly miniBatches: {
    readonly total: number;
    readonly succeeded: number;
    readonly partial: number;
    readonly failed: number;
    readonly notRun: number;
  };
  readonly items: { readonly total: number; readonly succeeded: number; readonly failed: number };
  readonly tries: number;
  readonly threshold: ThresholdBreach | null;
  /** Stopped before its end (interrupted, a full disk...): `minibatch resume` continues it. */
  readonly resumable: boolean;
  readonly firstErrors: readonly {
    readonly miniBatch: number;
    readonly attempt: number;
    readonly worker: string;
    readonly outcome: string;
    readonly type: string;
    readonly message: string;
    readonly log: string;
  }[];
  /** The errors of the mini-batches still failed, each once with its count (`error-groups.ts`); `more` groups not shown. */
  readonly errors: { readonly groups: readonly ErrorSummary[]; readonly more: number };
  /** What the user should know though nothing failed because of it: an input that holds no files. */
  readonly warnings: readonly string[];
  /** The append_row file, or null for summary_only. */
  readonly rowsFile: string | null;
  readonly rows: number | null;
  readonly outputs: Readonly<Record<string, string>>;
  readonly logs: string;
}

export function miniBatchCounts(c: LedgerCounts): JobResult['miniBatches'] {
  return { total: c.miniBatches, succeeded: c.succeeded, partial: c.partial, failed: c.failed, notRun: c.pending };
}

export function firstErrors(tries: readonly TryRecord[], paths: RunPaths): JobResult['firstErrors'] {
  return tries
    .filter((t) => t.error !== null)
    .map((t) => ({
      miniBatch: t.miniBatch,
      attempt: t.attempt,
      worker: t.worker,
      outcome: t.outcome,
      type: t.error?.type ?? 'Error',
      message: firstLine(t.error?.message ?? ''),
      log: paths.jobErrorTxt,
    }));
}

/**
 * The first word of a run's outcome: a run whose thresholds tolerated failures did not simply
 * succeed, though it keeps ParallelRunStep's exit code 0.
 */
export function headline(r: Pick<JobResult, 'status' | 'miniBatches'>): string {
  if (r.status === 'succeeded') return r.miniBatches.failed + r.miniBatches.partial > 0 ? 'Succeeded with failures' : 'Succeeded';
  return r.status === 'failed' ? 'FAILED' : 'Interrupted';
}

/** The paragraph of `job_result.txt`. */
export function formatJobResult(r: JobResult): string {
  const mb = r.miniBatches;
  const lines = [
    `Run ${r.runId} of ${r.module.name} ${r.module.version}: ${headline(r).toUpperCase()}. ${r.reason}`,
    ...r.warnings.map((w) => `Warning: ${w}`),
    `Mini-batches: ${mb.succeeded} succeeded, ${mb.partial} partially succeeded, ${mb.failed} failed, ` +
      `${mb.notRun} not run, of ${mb.total}. Items: ${r.items.succeeded} succeeded, ${r.items.failed} failed, ` +
      `of ${r.items.total}. Tries: ${r.tries}. Time: ${formatTimes(r)}.`,
  ];
  if (r.rowsFile !== null) lines.push(`Rows: ${r.rows ?? 0} in ${r.rowsFile}.`);
  if (r.errors.groups.length > 0) {
    lines.push('Errors that remain:');
    for (const e of r.errors.groups) lines.push(`  ${formatErrorSummary(e)}`);
    if (r.errors.more > 0) lines.push(`  and ${r.errors.more} more kinds of error`);
  }
  if (r.firstErrors.length > 0) lines.push(`Every failed try, with its traceback: ${r.firstErrors[0]?.log ?? ''}`);
  lines.push(`Logs: ${r.logs} (readme.txt says what each holds).`);
  return lines.join('\n') + '\n';
}

/**
 * How long, and how fast: a run as a whole; a resumed one as this process's work (`this resume:
 * 40 items, 12.9 items/s over 3.1 s, 4 tries`) and the whole run's, labelled as such. A rate of
 * failures is no throughput: with nothing succeeded, no items/s.
 */
export function timeFigures(r: Pick<JobResult, 'durationMs' | 'tries' | 'items' | 'thisProcess' | 'wholeRun'>): {
  readonly thisProcess: string;
  readonly wholeRun: string | null;
} {
  const p = r.thisProcess;
  const rate = (perSecond: number | null): string => (perSecond === null ? '' : `${perSecond.toFixed(1)} items/s over `);
  const tries = (n: number): string => `${n} ${n === 1 ? 'try' : 'tries'}`;
  if (p.command === 'run') {
    return { thisProcess: `${formatDuration(r.durationMs)}${p.itemsPerSecond === null ? '' : `, ${p.itemsPerSecond.toFixed(1)} items/s`}, ${tries(r.tries)}`, wholeRun: null };
  }
  const settled = (succeeded: number, failed: number): string => `${succeeded + failed} ${succeeded + failed === 1 ? 'item' : 'items'}`;
  return {
    thisProcess: `${settled(p.items.succeeded, p.items.failed)}, ${rate(p.itemsPerSecond)}${formatDuration(r.durationMs)}, ${tries(p.tries)}`,
    wholeRun: `${settled(r.items.succeeded, r.items.failed)}, ${rate(r.wholeRun.itemsPerSecond)}${formatDuration(r.wholeRun.workingMs)} of work, ${tries(r.tries)}`,
  };
}

/** The label of this process's figures: `this resume`, `this retry`. */
export function thisProcessLabel(command: JobResult['thisProcess']['command']): string {
  return command === 'retry-failed' ? 'this retry' : command === 'resume' ? 'this resume' : 'time';
}

function formatTimes(r: JobResult): string {
  const t = timeFigures(r);
  return t.wholeRun === null ? t.thisProcess : `${thisProcessLabel(r.thisProcess.command)}: ${t.thisProcess}; whole run: ${t.wholeRun}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? line.slice(0, 297) + '...' : line;
}
