/**
 * The ledger's vocabulary. The ledger (`state.db`, SQLite in WAL mode) is the single source of truth
 * of a run: the plan, each mini-batch's state, every try, and each committed mini-batch's rows,
 * written in the same transaction as its state (so rows are exactly once).
 */
import type { FileItem, TableSlice } from '../data/types.js';
import type { FailureKind } from '../core/tries.js';
import type { Rows, WorkerError } from '../core/tries.js';

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
  /** A tabular mini-batch's rows of its one item; null for files. */
  readonly slice: TableSlice | null;
  readonly status: MiniBatchStatus;
  /** Tries charged so far (a try that never started is not charged). */
  readonly tries: number;
  readonly succeededItems: number;
  readonly failedItems: number;
  /**
   * Bumped each time the mini-batch is planned to run afresh (retry-failed, a changed file on
   * resume): tries count from 1 again, and a BullMQ job id made of index, key and generation is new.
   */
  readonly generation: number;
}

/** A mini-batch with its timings and last error (`status`, the slowest mini-batches). */
export interface MiniBatchDetail extends MiniBatchRecord {
  /** Epoch milliseconds when its first recorded try started; null before any try. */
  readonly firstStartedAt: number | null;
  /** Epoch milliseconds when its last recorded try ended; null before any try. */
  readonly lastEndedAt: number | null;
  /** Sum of its tries' durations (this generation and earlier ones). */
  readonly durationMs: number;
  /** The error of its last failed try, kept after a later success; null when no try failed. */
  readonly lastError: WorkerError | null;
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

/** A try as stored: with the generation of its mini-batch at the time (attempts restart at 1 per generation). */
export interface StoredTry extends TryRecord {
  readonly generation: number;
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

/**
 * What `reconcile` found comparing a fresh listing with the stored plan (docs/ARCHITECTURE.md,
 * "Run directory"); resume prints it.
 */
export interface ReconcileCounts {
  /**
   * Stored mini-batches kept as they are: every file present and unchanged, or already committed
   * (succeeded, partial, failed) with files that vanished since (its outcome and rows stand).
   */
  readonly unchanged: number;
  /** Stored mini-batches with a changed file (size or mtime): reset to pending, fresh tries, rows dropped. */
  readonly changed: number;
  /** New mini-batches appended at the end, made of files the stored plan did not have. */
  readonly added: number;
  /** Pending mini-batches all of whose files vanished: dropped from the plan (their index is not reused). */
  readonly removed: number;
  /** Pending mini-batches that lost vanished files and will run without them (their tries so far still count). */
  readonly trimmed: number;
  /** Files of the stored plan that changed. */
  readonly changedFiles: number;
  /** Files of the stored plan no longer listed; they leave pending mini-batches, committed ones keep their record. */
  readonly vanishedFiles: number;
  /** Files not in the stored plan, now in the added mini-batches. */
  readonly newFiles: number;
}
