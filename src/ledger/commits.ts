/**
 * Batched commits: the scheduler hands over each try's outcome as it
 * happens; they are written together, in ONE transaction, within a fraction of a second. A
 * transaction per mini-batch would cost an fsync-bound write each; batching keeps the ledger cheap
 * per mini-batch. The price (docs/ARCHITECTURE.md, "Tries"): `run()` is at-least-once for what finished but was not
 * yet committed when the process died, while rows stay exactly once, since a mini-batch's state, try
 * and rows are written in the same transaction.
 */
import type Database from 'better-sqlite3';
import { killPoint } from '../core/kill-points.js';
import { BulkStatement } from './bulk.js';
import { storageError } from './storage-error.js';
import type { Commit } from './types.js';

export interface CommitOptions {
  /**
   * Longest a commit waits in memory before it is written.
   * @default 50
   */
  readonly flushIntervalMs?: number;
  /**
   * Commits buffered before they are written at once, without waiting for the interval.
   * @default 500
   */
  readonly flushMaxCommits?: number;
  /**
   * Called when a flush started by the timer fails (a full disk). The commits stay buffered; the
   * error is thrown again by the next `enqueueCommit` or `flush`, which retries the write.
   */
  readonly onFlushError?: (error: unknown) => void;
}

export class CommitWriter {
  readonly #file: string;
  readonly #intervalMs: number;
  readonly #maxCommits: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #write: (commits: readonly Commit[]) => void;
  readonly #written: () => void;
  #buffer: Commit[] = [];
  #timer: NodeJS.Timeout | null = null;
  #failure: Error | null = null;

  /** `written`: called after each write (the ledger's WAL sync). */
  constructor(db: Database.Database, file: string, options: CommitOptions, written: () => void = () => undefined) {
    this.#file = file;
    this.#written = written;
    this.#intervalMs = options.flushIntervalMs ?? 50;
    this.#maxCommits = options.flushMaxCommits ?? 500;
    this.#onError = options.onFlushError;
    this.#write = prepareWrite(db);
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  enqueue(commit: Commit): void {
    this.#buffer.push(commit);
    if (this.#failure !== null) throw this.#failure;
    if (this.#buffer.length >= this.#maxCommits) {
      this.flush();
      return;
    }
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#flushFromTimer(), this.#intervalMs);
      // A buffered commit must not keep the process alive; `close()` flushes what is left.
      this.#timer.unref();
    }
  }

  /** Writes every buffered commit now, in one transaction; throws when the write fails (nothing is lost). */
  flush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#buffer.length === 0) return;
    const commits = this.#buffer;
    try {
      this.#write(commits);
    } catch (error) {
      this.#failure = storageError(this.#file, error);
      throw this.#failure;
    }
    this.#buffer = [];
    this.#failure = null;
    killPoint('flushed');
    this.#written();
  }

  /**
   * Forgets the buffered commits after their write failed for good (the run stops on a full or
   * read-only disk): they were never committed, so their mini-batches run again on resume.
   */
  dropUnwritten(): void {
    this.dispose();
    this.#buffer = [];
    this.#failure = null;
  }

  /** Stops the timer without writing (the connection is closing after a failed flush). */
  dispose(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #flushFromTimer(): void {
    this.#timer = null;
    try {
      this.flush();
    } catch (error) {
      this.#onError?.(error);
    }
  }
}

type PutRows = Database.Statement<[number, string]>;

function prepareWrite(db: Database.Database): (commits: readonly Commit[]) => void {
  // Only the committed try's rows count: replace, never add (docs/ARCHITECTURE.md, "Tries").
  const putRows: PutRows = db.prepare(
    'INSERT INTO rows (idx, rows) VALUES (?, ?) ON CONFLICT (idx) DO UPDATE SET rows = excluded.rows',
  );
  const oneByOne = prepareOneByOne(db, putRows);
  const allSucceeded = prepareAllSucceeded(db, putRows);
  const write = db.transaction((commits: readonly Commit[]) => {
    if (everyFullSuccessOnce(commits)) allSucceeded(commits);
    else oneByOne(commits);
  });
  return (commits) => write.immediate(commits);
}

/**
 * Whether every commit is a try that succeeded with all its items, each of a different
 * mini-batch: nearly every flush of a healthy run, written by `prepareAllSucceeded`.
 */
function everyFullSuccessOnce(commits: readonly Commit[]): boolean {
  const seen = new Set<number>();
  for (const { try: t, status } of commits) {
    if (status !== 'succeeded' || t.outcome !== 'succeeded' || t.failedItems !== 0 || seen.has(t.miniBatch)) return false;
    seen.add(t.miniBatch);
  }
  return true;
}

/**
 * Any commits, one statement per try and one per mini-batch. Counts are final ones: a failed
 * mini-batch counts all its items as failed, a pending one (tries left) none (docs/ARCHITECTURE.md, "Tries").
 */
function prepareOneByOne(db: Database.Database, putRows: PutRows): (commits: readonly Commit[]) => void {
  // Anonymous parameters and no RETURNING: this runs once per mini-batch, and binding by name costs.
  const update = db.prepare(`
    UPDATE mini_batches SET
      status = ?,
      tries = tries + 1,
      succeeded_items = ?,
      failed_items = CASE WHEN ? THEN item_count ELSE ? END,
      first_started_at = min(coalesce(first_started_at, ?), ?),
      last_ended_at = max(coalesce(last_ended_at, ?), ?),
      duration_ms = duration_ms + ?,
      last_error = coalesce(?, last_error)
    WHERE idx = ?`);
  // The try takes the generation its mini-batch has now.
  const insertTry = db.prepare(`
    INSERT INTO tries (idx, generation, attempt, worker, started_at, duration_ms, outcome,
      succeeded_items, failed_items, exit_code, signal, error)
    SELECT idx, generation, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM mini_batches WHERE idx = ?`);
  const dropRows = db.prepare('DELETE FROM rows WHERE idx = ?');

  return (commits) => {
    for (const { try: t, status, rows } of commits) {
      const error = t.error === null ? null : JSON.stringify(t.error);
      const done = status === 'succeeded' || status === 'partial';
      const endedAt = t.startedAt + t.durationMs;
      const { changes } = update.run(
        status, done ? t.succeededItems : 0, status === 'failed' ? 1 : 0, done ? t.failedItems : 0,
        t.startedAt, t.startedAt, endedAt, endedAt, t.durationMs, error, t.miniBatch,
      );
      if (changes === 0) throw notPlanned(t.miniBatch);
      insertTry.run(
        t.attempt, t.worker, t.startedAt, t.durationMs, t.outcome, t.succeededItems, t.failedItems,
        t.exitCode, t.signal, error, t.miniBatch,
      );
      // Rows only if it succeeded. A mini-batch has rows only after a success, which ends its
      // generation (resetForRetry and reconcile drop them), so only a final failure needs the
      // (rarely useful) delete.
      if (done && rows !== null) putRows.run(t.miniBatch, JSON.stringify(rows));
      else if (status === 'failed') dropRows.run(t.miniBatch);
    }
  };
}

/**
 * Full successes of distinct mini-batches (`everyFullSuccessOnce`): the tries are inserted many to
 * a statement, then their mini-batches are updated from them in ONE statement, with the same
 * result as `prepareOneByOne`. Half the cost per mini-batch: a statement per row, with a dozen
 * values bound, cost more than SQLite's work on the row (bench/).
 */
function prepareAllSucceeded(db: Database.Database, putRows: PutRows): (commits: readonly Commit[]) => void {
  const lastTry = db.prepare<[], number | null>('SELECT max(id) FROM tries').pluck();
  // CROSS JOIN keeps the order of VALUES, so tries keep their commit order; the join takes each
  // try's generation from its mini-batch, and drops a try of a mini-batch that is not planned.
  const insertTries = new BulkStatement(db, 6, (values) => `
    INSERT INTO tries (idx, generation, attempt, worker, started_at, duration_ms, outcome, succeeded_items, failed_items)
    SELECT v.column1, m.generation, v.column2, v.column3, v.column4, v.column5, 'succeeded', v.column6, 0
    FROM (VALUES ${values}) AS v CROSS JOIN mini_batches AS m ON m.idx = v.column1`);
  const updateFromTries = db.prepare<[number]>(`
    UPDATE mini_batches SET
      status = 'succeeded',
      tries = tries + 1,
      succeeded_items = t.succeeded_items,
      failed_items = 0,
      first_started_at = min(coalesce(first_started_at, t.started_at), t.started_at),
      last_ended_at = max(coalesce(last_ended_at, t.started_at + t.duration_ms), t.started_at + t.duration_ms),
      duration_ms = mini_batches.duration_ms + t.duration_ms
    FROM (SELECT idx, started_at, duration_ms, succeeded_items FROM tries WHERE id > ?) AS t
    WHERE mini_batches.idx = t.idx`);
  const planned = db.prepare<[number], number>('SELECT 1 FROM mini_batches WHERE idx = ?').pluck();

  return (commits) => {
    const after = lastTry.get() ?? 0;
    const values: unknown[] = [];
    for (const { try: t } of commits) values.push(t.miniBatch, t.attempt, t.worker, t.startedAt, t.durationMs, t.succeededItems);
    const inserted = insertTries.run(values);
    if (inserted !== commits.length) {
      const missing = commits.find(({ try: t }) => planned.get(t.miniBatch) === undefined);
      throw notPlanned(missing?.try.miniBatch ?? Number.NaN);
    }
    updateFromTries.run(after);
    for (const { try: t, rows } of commits) if (rows !== null) putRows.run(t.miniBatch, JSON.stringify(rows));
  };
}

function notPlanned(index: number): Error {
  return new Error(`ledger: commit for mini-batch ${index}, which is not planned`);
}
