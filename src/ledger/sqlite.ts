/**
 * The local ledger: `state.db` in the run directory, the single source of truth of a run
 * (docs/ARCHITECTURE.md, "Run directory"). Resume only has to read it: the plan with each
 * input's root, every mini-batch's state and generation, every try, and committed rows.
 *
 * Methods are synchronous (better-sqlite3) and small. Commits are buffered and written in batches
 * (`commits.ts`); every read flushes first, so a caller always reads its own commits. A little
 * over 400 lines: one class over one connection, whose transactions belong together.
 */
import type Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { PlannedMiniBatch } from '../data/types.js';
import { RunDirConflictError } from '../core/errors.js';
import { OWNER_ONLY, tightenMode } from '../core/owner-only.js';
import { runPaths } from '../core/run-paths.js';
import type { Rows, WorkerError } from '../core/tries.js';
import { BulkStatement } from './bulk.js';
import { CommitWriter, type CommitOptions } from './commits.js';
import { encodePlanned, InputTable, itemCount, rootOf } from './inputs.js';
import { readFailureGroups, readMiniBatchDurations, readMiniBatchHistory, readTries, type FailureGroup, type MiniBatchHistory, type TryTuple } from './history.js';
import { readBusyMs, readInsight, type InsightOptions, type LedgerInsight } from './insight.js';
import { readHolding, readIndexRange, type IndexRange } from './find.js';
import { reconcilePlan, type NewFileCutting } from './reconcile.js';
import { parseRows, toMiniBatch, toTry } from './records.js';
import { applyPragmas, ensureKeyIndex, createSchema, RESERVED_META, schemaProblem } from './schema.js';
import { prepareStatements, type Statements } from './statements.js';
import { storageError } from './storage-error.js';
import { WalSync } from './wal-sync.js';
import type { Commit, LedgerCounts, MiniBatchDetail, MiniBatchStatus, ReconcileCounts, StoredTry } from './types.js';

export type LedgerOptions = CommitOptions;

export interface OpenOptions extends LedgerOptions {
  /**
   * Open without writing (`minibatch status` beside a live run). Reads still see every committed
   * transaction of the writer.
   * @default false
   */
  readonly readonly?: boolean;
}

/** Rows and tries are read in pages of this many, so the connection is free between pages. */
const PAGE = 500;

const STATUSES: readonly MiniBatchStatus[] = ['pending', 'succeeded', 'partial', 'failed'];

let sqlite: typeof Database | null = null;

/**
 * A connection to `file`. better-sqlite3 (its JavaScript and the native SQLite) is loaded on the
 * first one, not with the command line: `minibatch run` starts its workers first and makes its
 * ledger while their Python starts, and loading it cost ~8 ms of that start-up (bench/).
 */
function connect(file: string, options?: Database.Options): Database.Database {
  sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return new sqlite(file, options);
}

export class Ledger {
  /** Absolute path of `state.db`. */
  readonly file: string;
  readonly #db: Database.Database;
  readonly #inputs: InputTable;
  readonly #commits: CommitWriter;
  readonly #stmts: Statements;
  readonly #insertPlanned: BulkStatement;
  /** Writes the WAL to disk in the background; null for a read-only ledger. */
  readonly #walSync: WalSync | null;

  private constructor(db: Database.Database, runDir: string, file: string, options: LedgerOptions) {
    this.#db = db;
    this.file = file;
    this.#inputs = new InputTable(db, runDir);
    const walSync = db.readonly ? null : new WalSync(`${file}-wal`);
    this.#walSync = walSync;
    this.#commits = new CommitWriter(db, file, options, () => walSync?.written());
    this.#stmts = prepareStatements(db);
    this.#insertPlanned = new BulkStatement(db, 5, (values) => `INSERT INTO mini_batches (idx, key, input_id, items, item_count) VALUES ${values}`);
  }

  /** Creates `state.db` in `runDir` (made if missing). Refuses when one exists already. */
  static create(runDir: string, options: LedgerOptions = {}): Ledger {
    const dir = resolve(runDir);
    const file = runPaths(dir).stateDb;
    if (existsSync(file)) {
      throw new RunDirConflictError(`${dir} already holds a run (${file} exists): resume it with \`minibatch resume ${dir}\`, or choose another run directory`);
    }
    let db: Database.Database | undefined;
    try {
      mkdirSync(dir, { recursive: true });
      // Owner-only, like the run's other files (docs/ROBUSTNESS.md); SQLite gives its -wal and
      // -shm files the database file's mode.
      closeSync(openSync(file, 'wx', OWNER_ONLY));
      db = connect(file);
      applyPragmas(db, false);
      createSchema(db, Date.now());
      return new Ledger(db, dir, file, options);
    } catch (error) {
      db?.close();
      throw storageError(file, error);
    }
  }

  /**
   * Whether `runDir` has no ledger worth keeping: no `state.db`, or one whose creation was cut short
   * (a full disk, a kill between creating the file and its schema). Such a file holds nothing, so
   * it is removed, and the run can start its ledger afresh (resume after any crash).
   */
  static discardIfBlank(runDir: string): boolean {
    const file = runPaths(resolve(runDir)).stateDb;
    if (!existsSync(file)) return true;
    let tables = 1;
    try {
      const db = connect(file, { fileMustExist: true, readonly: true });
      try {
        tables = db.prepare<[], number>('SELECT count(*) FROM sqlite_master').pluck().get() ?? 1;
      } finally {
        db.close();
      }
    } catch {
      return false; // not readable as SQLite: `open` says so clearly
    }
    if (tables > 0) return false;
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    return true;
  }

  /** Opens the `state.db` of `runDir`. Refuses a missing file, a file that is not a minibatch ledger, or a newer schema. */
  static open(runDir: string, options: OpenOptions = {}): Ledger {
    const dir = resolve(runDir);
    const file = runPaths(dir).stateDb;
    if (!existsSync(file)) {
      throw new RunDirConflictError(`${dir} is not a minibatch run directory: ${file} is missing`);
    }
    const readonly = options.readonly ?? false;
    // A ledger made by an earlier version is world-readable: resuming it makes it the owner's.
    if (!readonly) tightenMode(file);
    let db: Database.Database;
    try {
      db = connect(file, { fileMustExist: true, readonly });
    } catch (error) {
      throw new RunDirConflictError(`cannot open the run's ledger ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    try {
      applyPragmas(db, readonly);
      const problem = schemaProblem(db);
      if (problem !== null) throw new RunDirConflictError(`${dir} is not a run directory this minibatch can use: ${file}: ${problem}`);
      if (!readonly) ensureKeyIndex(db);
      return new Ledger(db, dir, file, options);
    } catch (error) {
      db.close();
      if (error instanceof RunDirConflictError) throw error;
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
        throw new RunDirConflictError(`${dir} is not a run directory this minibatch can use: ${file} is not a SQLite database (${code})`, { cause: error });
      }
      throw storageError(file, error);
    }
  }

  /** Flushes buffered commits and closes. A failed flush is thrown after the connection is closed. */
  close(): void {
    if (!this.#db.open) return;
    try {
      this.#commits.flush();
    } finally {
      this.#commits.dispose();
      this.#db.close();
      this.#walSync?.close();
    }
  }

  // ---- meta -------------------------------------------------------------------------------

  /** Records a run-level value (run id, outcome...). `app`, `schema_version`, `created_at` are the ledger's own. */
  setMeta(key: string, value: string): void {
    if (RESERVED_META.has(key)) throw new Error(`ledger: meta key ${key} is reserved`);
    this.#write(() => this.#stmts.putMeta.run(key, value));
  }

  /** Forgets a run-level value: a resumed run's old outcome, which no longer holds. */
  deleteMeta(key: string): void {
    if (RESERVED_META.has(key)) throw new Error(`ledger: meta key ${key} is reserved`);
    this.#write(() => this.#db.prepare('DELETE FROM meta WHERE key = ?').run(key));
  }

  getMeta(key: string): string | undefined {
    return this.#stmts.getMeta.get(key);
  }

  /** Planning finished with `total` mini-batches (a resume that finds this need not re-plan, only reconcile). */
  markPlanned(total: number): void {
    this.#write(() =>
      this.#db.transaction(() => {
        this.#stmts.putMeta.run('planning', 'done');
        this.#stmts.putMeta.run('planned_total', String(total));
      })(),
    );
  }

  /** Whether `markPlanned` was recorded: false means a crash interrupted planning. */
  planningDone(): boolean {
    return this.getMeta('planning') === 'done';
  }

  // ---- plan -------------------------------------------------------------------------------

  /**
   * Inserts planned mini-batches (status pending) in one transaction. Their `index` is kept; a key
   * or index already stored is an error (resume reconciles instead).
   */
  addPlanned(batch: readonly PlannedMiniBatch[]): void {
    if (batch.length === 0) return;
    this.#write(() =>
      this.#db.transaction(() => {
        const values: unknown[] = [];
        for (const mb of batch) {
          const first = mb.items[0];
          if (first === undefined) throw new Error(`ledger: mini-batch ${mb.index} has no items`);
          const input = this.#inputs.byName(mb.input) ?? this.#inputs.ensure(mb.input, rootOf(first));
          values.push(mb.index, mb.key, input.id, encodePlanned(mb), itemCount(mb));
        }
        this.#insertPlanned.run(values);
      }).immediate(),
    );
  }

  /**
   * Pending mini-batches with index > `index`, in index order, at most `limit`; items with absolute
   * paths. The scheduler pages with the last index it got, while planning may still be adding.
   */
  pendingAfter(index: number, limit: number): MiniBatchDetail[] {
    this.flush();
    return this.#stmts.pendingAfter.all(index, limit).map((row) => toMiniBatch(row, this.#inputs));
  }

  record(index: number): MiniBatchDetail | undefined {
    this.flush();
    const row = this.#stmts.byIndex.get(index);
    return row === undefined ? undefined : toMiniBatch(row, this.#inputs);
  }

  /**
   * The mini-batch with this content key: what resume matches on (docs/ARCHITECTURE.md,
   * "Run directory"). Indexed once the ledger is opened again.
   */
  byKey(key: string): MiniBatchDetail | undefined {
    this.flush();
    const row = this.#stmts.byKey.get(key);
    return row === undefined ? undefined : toMiniBatch(row, this.#inputs);
  }

  /**
   * Brings the stored plan in line with a fresh listing (resume, docs/ARCHITECTURE.md,
   * "Run directory"), in one transaction: changed files reset their mini-batch (pending, fresh
   * tries, new generation, rows dropped); new files become new mini-batches after the last index;
   * vanished files leave pending mini-batches (a pending one left empty is dropped), committed ones
   * keep their outcome. Plan the fresh listing with the run's `miniBatchSize` (files per mini-batch, or how partition keys
   * cut them) and no limit beyond
   * the run's own.
   */
  async reconcile(plan: AsyncIterable<PlannedMiniBatch>, cutting: number | NewFileCutting): Promise<ReconcileCounts> {
    this.flush();
    try {
      const how = typeof cutting === 'number' ? { size: cutting, groupOf: null } : cutting;
      return await reconcilePlan(this.#db, this.#inputs, plan, how);
    } catch (error) {
      throw storageError(this.file, error);
    }
  }

  /**
   * retry-failed: mini-batches with one of `statuses` become pending with fresh tries, a
   * new generation, zero counts and no rows (their new rows replace the old). Returns how many.
   */
  resetForRetry(statuses: readonly MiniBatchStatus[]): number {
    const wanted = STATUSES.filter((s) => statuses.includes(s));
    if (wanted.length === 0) return 0;
    this.flush();
    const list = wanted.map((s) => `'${s}'`).join(', ');
    return this.#write(() =>
      this.#db.transaction(() => {
        this.#db.prepare(`DELETE FROM rows WHERE idx IN (SELECT idx FROM mini_batches WHERE status IN (${list}))`).run();
        return this.#db.prepare(`
          UPDATE mini_batches SET status = 'pending', tries = 0, succeeded_items = 0, failed_items = 0,
            generation = generation + 1
          WHERE status IN (${list})`).run().changes;
      }).immediate(),
    );
  }

  /**
   * Fails a committed mini-batch after the fact (finalize: its rows do not fit the output's header):
   * status failed, every item failed, `error` as its last error, rows dropped. No try is recorded.
   * Written now, after any buffered commits.
   */
  failMiniBatch(index: number, error: WorkerError): void {
    this.flush();
    this.#write(() =>
      this.#db.transaction(() => {
        const changed = this.#stmts.failBatch.run(JSON.stringify(error), index).changes;
        if (changed === 0) throw new Error(`ledger: cannot fail mini-batch ${index}, which is not planned`);
        this.#stmts.dropRows.run(index);
      }).immediate(),
    );
  }

  // ---- commits ----------------------------------------------------------------------------

  /**
   * Buffers a finished try: the mini-batch's new status, counts, timings and last error, the try
   * itself, and its rows (replacing any it had) are written together within `flushIntervalMs`.
   * Throws a previous flush's failure (the commit is kept and written by a later `flush`).
   */
  enqueueCommit(commit: Commit): void {
    this.#commits.enqueue(commit);
  }

  /**
   * Forgets buffered commits that cannot be written (the run stops on a full or read-only disk):
   * never committed, their mini-batches run again on resume (docs/ARCHITECTURE.md, "Tries").
   */
  dropUnwritten(): void {
    this.#commits.dropUnwritten();
  }

  /** Writes buffered commits now, in one transaction. Durable once it returns (survives `kill -9`). */
  flush(): void {
    if (this.#commits.buffered > 0) this.#commits.flush();
  }

  /**
   * Copies the WAL back into state.db now, so that the close has little left to do: the scheduler
   * calls it while the workers stop, time its thread would otherwise spend waiting for them (bench/,
   * ). PASSIVE: it never waits for a reader (`minibatch status`). Best effort: a failure is
   * met again, and reported, by the close.
   */
  checkpoint(): void {
    try {
      this.flush();
      this.#db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // The close checkpoints again and says what went wrong.
    }
  }

  // ---- reading ----------------------------------------------------------------------------

  counts(): LedgerCounts {
    this.flush();
    const c = this.#stmts.counts.get();
    const tries = this.#stmts.tryCount.get() ?? 0;
    return {
      miniBatches: c?.mini_batches ?? 0,
      items: c?.items ?? 0,
      pending: c?.pending ?? 0,
      succeeded: c?.succeeded ?? 0,
      partial: c?.partial ?? 0,
      failed: c?.failed ?? 0,
      succeededItems: c?.succeeded_items ?? 0,
      failedItems: c?.failed_items ?? 0,
      tries,
    };
  }

  /** The lowest and highest index planned and how many there are; null when nothing is planned. */
  indexRange(): IndexRange | null {
    this.flush();
    return readIndexRange(this.#db);
  }

  /** The mini-batches holding the file `path` (a table's file is in several), by index. */
  holding(path: string): MiniBatchDetail[] {
    this.flush();
    return readHolding(this.#db, this.#inputs, path);
  }

  /** Items planned per input, by the input's name; an input with none planned is absent. */
  itemsPerInput(): Map<string, number> {
    this.flush();
    const rows = this.#db
      .prepare<[], { name: string; items: number }>(
        'SELECT i.name AS name, SUM(m.item_count) AS items FROM mini_batches m JOIN inputs i ON i.id = m.input_id GROUP BY i.name',
      )
      .all();
    return new Map(rows.map((r) => [r.name, r.items]));
  }

  /** Committed rows of succeeded and partial mini-batches, by index, read in pages (streaming). */
  *rowsInOrder(): IterableIterator<{ index: number; rows: Rows }> {
    this.flush();
    let after = -1;
    for (;;) {
      const page = this.#stmts.rowsAfter.all(after, PAGE);
      for (const r of page) yield { index: r.idx, rows: parseRows(r.rows) };
      const last = page.at(-1);
      if (last === undefined || page.length < PAGE) return;
      after = last.idx;
    }
  }

  /** Every try in the order it was committed (processed_mini_batches.csv); `failedOnly` for job_error.txt. */
  *triesInOrder(options: { readonly failedOnly?: boolean } = {}): IterableIterator<StoredTry> {
    this.flush();
    const stmt = options.failedOnly === true ? this.#stmts.failedTriesAfter : this.#stmts.triesAfter;
    let after = 0;
    for (;;) {
      const page = stmt.all(after, PAGE);
      for (const t of page) yield toTry(t);
      const last = page.at(-1);
      if (last === undefined || page.length < PAGE) return;
      after = last.id;
    }
  }

  /** The slowest mini-batches, the most common errors, the recent pace (`minibatch status`). */
  insight(options: InsightOptions = {}): LedgerInsight {
    this.flush();
    return readInsight(this.#db, this.#inputs, options);
  }

  /** Time with a try running, of the tries that started before `beforeMs` (an earlier process's work, on resume). */
  busyMsBefore(beforeMs: number): number {
    this.flush();
    return readBusyMs(this.#db, beforeMs);
  }

  /** Every try, failures grouped by type and message, and durations: the web view and report (history.ts). */
  history(failureGroups: number): { tries: TryTuple[]; failures: FailureGroup[]; durations: number[] } {
    this.flush();
    return { tries: readTries(this.#db), failures: readFailureGroups(this.#db, failureGroups), durations: readMiniBatchDurations(this.#db) };
  }

  /** One mini-batch with its items and tries (the web view's detail of a bar). */
  miniBatchHistory(index: number): MiniBatchHistory | undefined {
    this.flush();
    return readMiniBatchHistory(this.#db, this.#inputs, index);
  }

  /** The first `limit` failed tries, in commit order (job_result.txt's "first errors"). */
  failedTries(limit: number): StoredTry[] {
    this.flush();
    return this.#stmts.failedTriesAfter.all(0, limit).map(toTry);
  }

  #write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw storageError(this.file, error);
    }
  }
}
