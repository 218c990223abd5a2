/**
 * Logs written as tries finish: `logs/sys/processed_mini_batches.csv` (one row per try, as
 * ParallelRunStep kept it) and `logs/job_error.txt` (every failed try, with its traceback).
 * A resumed run appends. CSV rows are gathered in memory and appended a few times a second: one
 * write per try cost more than the rest of a try's bookkeeping together (bench/). Failed
 * tries are rare and are written at once, so `tail -f job_error.txt` shows them as they happen.
 * The ledger stays the truth: these logs are for people, and a failed write (a full disk) is
 * remembered and reported once, never thrown mid-run.
 */
import { appendFileSync, existsSync } from 'node:fs';
import type { MiniBatchStatus, TryRecord } from '../ledger/types.js';
import type { RunPaths } from '../core/run-paths.js';
import { OWNER_ONLY } from '../core/owner-only.js';
import type { TryTask } from '../core/tries.js';
import { formatTryItems, tryItems, type TryItems } from './try-items.js';

const CSV_HEADER =
  'mini_batch,attempt,worker,started_at,duration_ms,outcome,status,succeeded_items,failed_items,exit_code,signal,error_type\n';

/** Buffered CSV rows are appended this often, or once this many characters are waiting. */
const FLUSH_INTERVAL_MS = 500;
const FLUSH_CHARS = 64 * 1024;

export class TryLog {
  private readonly paths: RunPaths;
  private pending: string;
  private readonly timer: NodeJS.Timeout;
  /** The first write that failed (a full disk): logs are derived from the ledger, which stays the truth. */
  private failure: { readonly file: string; readonly error: unknown } | null = null;
  private readonly clock = new IsoClock();

  constructor(paths: RunPaths) {
    this.paths = paths;
    this.pending = existsSync(paths.processedMiniBatchesCsv) ? '' : CSV_HEADER;
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** The first failed write, if any, for a warning once the run ends. */
  get writeFailure(): { readonly file: string; readonly error: unknown } | null {
    return this.failure;
  }

  /** `task`: the try's mini-batch, whose items a failed try's entry names. */
  record(t: TryRecord, status: MiniBatchStatus, task: TryTask): void {
    this.pending +=
      `${t.miniBatch},${t.attempt},${t.worker},${this.clock.iso(t.startedAt)},${Math.round(t.durationMs)},` +
      `${t.outcome},${status},${t.succeededItems},${t.failedItems},${t.exitCode ?? ''},${t.signal ?? ''},` +
      `${t.error?.type ?? ''}\n`;
    if (this.pending.length >= FLUSH_CHARS) this.flush();
    if (t.error !== null) this.append(this.paths.jobErrorTxt, formatFailedTry(t, status, taskItems(task), this.paths));
  }

  /** Appends what is buffered. */
  flush(): void {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.append(this.paths.processedMiniBatchesCsv, text);
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    return Promise.resolve();
  }

  private append(file: string, text: string): void {
    if (this.failure !== null) return;
    try {
      appendFileSync(file, text, { mode: OWNER_ONLY });
    } catch (error) {
      this.failure = { file, error };
    }
  }
}

/**
 * `new Date(ms).toISOString()`, reusing the text of the last second it formatted: tries finish
 * thousands a second, and formatting a date each cost more than the rest of a CSV row.
 */
export class IsoClock {
  private second = Number.NaN;
  /** `2026-12-07T10:14:47.` for `second`. */
  private prefix = '';

  iso(ms: number): string {
    const whole = Math.floor(ms);
    const second = Math.floor(whole / 1000);
    if (second !== this.second) {
      this.second = second;
      this.prefix = new Date(second * 1000).toISOString().slice(0, 20);
    }
    return `${this.prefix}${String(whole - second * 1000).padStart(3, '0')}Z`;
  }
}

/** What a try held: its files, or its table range. */
export function taskItems(task: TryTask): TryItems {
  const table = task.table === null ? null : { slice: task.table.slice, parquet: task.table.read.format.kind === 'parquet' };
  return tryItems(task.items, table);
}

/**
 * One failed try in job_error.txt: what failed, on which items, the error and its traceback, and
 * the worker's own logs, where what it printed around the failure is.
 */
export function formatFailedTry(t: TryRecord, status: MiniBatchStatus, items: TryItems, paths: RunPaths): string {
  const error = t.error;
  const exit = t.signal !== null ? `signal ${t.signal}` : t.exitCode !== null ? `exit code ${t.exitCode}` : null;
  const lines = [
    `=== ${new Date(t.startedAt).toISOString()} mini-batch ${t.miniBatch}, try ${t.attempt}, ${t.worker}: ` +
      `${t.outcome}${exit === null ? '' : ` (${exit})`}${status === 'failed' ? ', no tries left' : ''}`,
    `items: ${formatTryItems(items)}`,
    `${error?.type ?? 'Error'}: ${error?.message ?? ''}`,
  ];
  if (error !== null && error.traceback !== '') lines.push(error.traceback.trimEnd());
  lines.push(
    `${t.worker}'s logs: stdout ${paths.stdout(t.worker)}, stderr ${paths.stderr(t.worker)}, ` +
      `entry script log ${paths.entryLog(t.worker)}`,
    '',
    '',
  );
  return lines.join('\n');
}
