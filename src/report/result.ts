/**
 * The job result: `logs/job_result.json` for programs, `logs/job_result.txt` in one paragraph for
 * people, and the summary the CLI prints. All three come from one `JobResult`.
 */
import type { LedgerCounts, TryRecord } from '../ledger/types.js';
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
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
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

/** The paragraph of `job_result.txt`. */
export function formatJobResult(r: JobResult): string {
  const mb = r.miniBatches;
  const lines = [
    `Run ${r.runId} of ${r.module.name} ${r.module.version}: ${r.status.toUpperCase()}. ${r.reason}`,
    `Mini-batches: ${mb.succeeded} succeeded, ${mb.partial} partially succeeded, ${mb.failed} failed, ` +
      `${mb.notRun} not run, of ${mb.total}. Items: ${r.items.succeeded} succeeded, ${r.items.failed} failed, ` +
      `of ${r.items.total}. Tries: ${r.tries}. Time: ${formatDuration(r.durationMs)}.`,
  ];
  if (r.rowsFile !== null) lines.push(`Rows: ${r.rows ?? 0} in ${r.rowsFile}.`);
  if (r.firstErrors.length > 0) {
    lines.push('First errors:');
    for (const e of r.firstErrors) {
      lines.push(`  mini-batch ${e.miniBatch} try ${e.attempt} (${e.worker}): ${e.type}: ${e.message}`);
    }
    lines.push(`Every failed try, with its traceback: ${r.firstErrors[0]?.log ?? ''}`);
  }
  lines.push(`Logs: ${r.logs} (readme.txt says what each holds).`);
  return lines.join('\n') + '\n';
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
