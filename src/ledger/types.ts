/**
 * The ledger's vocabulary. The ledger (`state.db`, SQLite in WAL mode) is the single source of truth
 * of a run: the plan, each mini-batch's state, every try, and each committed mini-batch's rows,
 * written in the same transaction as its state (so rows are exactly once).
 */
import type { FileItem } from '../data/types.js';
import type { FailureKind } from '../run/backend.js';
import type { Rows, WorkerError } from '../workers/protocol.js';

/**
 * `pending`: not yet finished (never run, or failed tries left). `succeeded`: every item succeeded.
 * `partial`: `run()` returned fewer results than items (not retried; counts as failed for
 * allowedFailed*). `failed`: runMaxTry tries failed; every item counts as failed.
 * A pending mini-batch left when the run ends is reported as `not_run`.
 */
export type MiniBatchStatus = 'pending' | 'succeeded' | 'partial' | 'failed';

export interface MiniBatchRecord {
  readonly index: number;
  readonly key: string;
  readonly input: string;
  readonly items: readonly FileItem[];
  readonly status: MiniBatchStatus;
  /** Tries charged so far (a try that never started is not charged). */
  readonly tries: number;
  readonly succeededItems: number;
  readonly failedItems: number;
}

/** One finished try, as recorded (`logs/sys/processed_mini_batches.csv` has one row per try). */
export interface TryRecord {
  readonly miniBatch: number;
  readonly attempt: number;
  readonly worker: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly outcome: 'succeeded' | FailureKind;
  readonly succeededItems: number;
  readonly failedItems: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly error: WorkerError | null;
}

/** What the scheduler commits after a try: the try, the mini-batch's new state, and its rows. */
export interface Commit {
  readonly try: TryRecord;
  readonly status: MiniBatchStatus;
  /** Set with status succeeded/partial; replaces any rows the mini-batch had. */
  readonly rows: Rows | null;
}

export interface LedgerCounts {
  readonly miniBatches: number;
  readonly items: number;
  readonly pending: number;
  readonly succeeded: number;
  readonly partial: number;
  readonly failed: number;
  readonly succeededItems: number;
  readonly failedItems: number;
  /** Tries charged over the whole run. */
  readonly tries: number;
}
