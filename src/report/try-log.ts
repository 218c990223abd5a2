/**
 * Logs written as tries finish: `logs/sys/processed_mini_batches.csv` (one row per try, as
 * ParallelRunStep kept it) and `logs/job_error.txt` (every failed try, with its traceback).
 * Appended through streams so a try costs no synchronous write; a resumed run appends.
 */
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { MiniBatchStatus, TryRecord } from '../ledger/types.js';
import type { RunPaths } from './layout.js';

const CSV_HEADER =
  'mini_batch,attempt,worker,started_at,duration_ms,outcome,status,succeeded_items,failed_items,exit_code,signal,error_type\n';

export class TryLog {
  private readonly csv: WriteStream;
  private errors: WriteStream | null = null;
  private readonly paths: RunPaths;
  /** The first write that failed (a full disk): logs are derived from the ledger, which stays the truth. */
  private failure: { readonly file: string; readonly error: unknown } | null = null;

  constructor(paths: RunPaths) {
    this.paths = paths;
    const fresh = !existsSync(paths.processedMiniBatchesCsv);
    this.csv = this.open(paths.processedMiniBatchesCsv);
    if (fresh) this.csv.write(CSV_HEADER);
  }

  /** The first failed write, if any, for a warning once the run ends. */
  get writeFailure(): { readonly file: string; readonly error: unknown } | null {
    return this.failure;
  }

  private open(file: string): WriteStream {
    const stream = createWriteStream(file, { flags: 'a' });
    // Without a listener a failed write would crash the orchestrator mid-run.
    stream.on('error', (error) => {
      this.failure ??= { file, error };
    });
    return stream;
  }

  record(t: TryRecord, status: MiniBatchStatus): void {
    this.csv.write(
      [
        t.miniBatch,
        t.attempt,
        t.worker,
        new Date(t.startedAt).toISOString(),
        Math.round(t.durationMs),
        t.outcome,
        status,
        t.succeededItems,
        t.failedItems,
        t.exitCode ?? '',
        t.signal ?? '',
        t.error?.type ?? '',
      ].join(',') + '\n',
    );
    if (t.error !== null) {
      this.errors ??= this.open(this.paths.jobErrorTxt);
      this.errors.write(formatFailedTry(t, status, this.paths));
    }
  }

  async close(): Promise<void> {
    const streams = [this.csv, this.errors].filter((s): s is WriteStream => s !== null);
    await Promise.all(
      streams.map(async (s) => {
        if (s.closed) return;
        s.end();
        await once(s, 'close').catch(() => undefined);
      }),
    );
  }
}

export function formatFailedTry(t: TryRecord, status: MiniBatchStatus, paths: RunPaths): string {
  const error = t.error;
  const exit = t.signal !== null ? `signal ${t.signal}` : t.exitCode !== null ? `exit code ${t.exitCode}` : null;
  const lines = [
    `=== ${new Date(t.startedAt).toISOString()} mini-batch ${t.miniBatch}, try ${t.attempt}, ${t.worker}: ` +
      `${t.outcome}${exit === null ? '' : ` (${exit})`}${status === 'failed' ? ', no tries left' : ''}`,
    `${error?.type ?? 'Error'}: ${error?.message ?? ''}`,
  ];
  if (error !== null && error.traceback !== '') lines.push(error.traceback.trimEnd());
  lines.push(`worker logs: ${paths.stderr(t.worker)}, ${paths.entryLog(t.worker)}`, '', '');
  return lines.join('\n');
}
