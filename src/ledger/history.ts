/**
 * The ledger read for the web view and the HTML report (`minibatch ui`, `minibatch report`): every
 * try in a compact form (for the timeline, throughput and durations, aggregated by the caller),
 * failures grouped by error type and message, and one mini-batch with its tries. Read-only.
 *
 * Tries come back as flat arrays, not objects: a run of 100,000 mini-batches is read on every
 * update of a live page, and objects per row cost several times the memory and time.
 */
import type Database from 'better-sqlite3';
import type { InputTable } from './inputs.js';
import { MINI_BATCH_COLUMNS, toMiniBatch, toTry, TRY_COLUMNS, type MiniBatchRow, type TryRow } from './records.js';
import type { MiniBatchDetail, StoredTry } from './types.js';

/**
 * One finished try: [worker, startedAt (epoch ms), durationMs, outcome, miniBatch, attempt, items it
 * settled (succeeded, or failed for good), items in its mini-batch].
 */
export type TryTuple = readonly [
  worker: string,
  startedAt: number,
  durationMs: number,
  outcome: string,
  miniBatch: number,
  attempt: number,
  settled: number,
  size: number,
];

export interface FailureGroup {
  /** `raised`, `timeout`, `crash`, `bad_return`. */
  readonly outcome: string;
  /** The Python exception's type, or the outcome for a timeout or crash. */
  readonly type: string;
  /** The error message's first line. */
  readonly message: string;
  readonly count: number;
  /** The latest such try. */
  readonly example: StoredTry;
}

export interface MiniBatchHistory {
  readonly miniBatch: MiniBatchDetail;
  readonly tries: readonly StoredTry[];
}

/** Every finished try, by worker then start. */
export function readTries(db: Database.Database): TryTuple[] {
  return db
    .prepare<[], TryTuple>(
      `SELECT t.worker, t.started_at, t.duration_ms, t.outcome, t.idx, t.attempt, t.succeeded_items + t.failed_items,
         coalesce(m.item_count, 0)
       FROM tries t LEFT JOIN mini_batches m ON m.idx = t.idx ORDER BY t.worker, t.started_at`,
    )
    .raw()
    .all();
}

/** Failed tries grouped by outcome, error type and the message's first line, most frequent first. */
export function readFailureGroups(db: Database.Database, limit: number): FailureGroup[] {
  const groups = db
    .prepare<[number], { outcome: string; type: string; message: string; n: number; example: number }>(`
      SELECT outcome, type, message, count(*) AS n, max(id) AS example FROM (
        SELECT id, outcome,
          coalesce(json_extract(error, '$.type'), outcome) AS type,
          CASE WHEN instr(coalesce(json_extract(error, '$.message'), ''), char(10)) > 0
               THEN substr(json_extract(error, '$.message'), 1, instr(json_extract(error, '$.message'), char(10)) - 1)
               ELSE coalesce(json_extract(error, '$.message'), '') END AS message
        FROM tries WHERE outcome <> 'succeeded')
      GROUP BY outcome, type, message ORDER BY n DESC, example DESC LIMIT ?`)
    .all(limit);
  const tryById = db.prepare<[number], TryRow>(`SELECT ${TRY_COLUMNS} FROM tries WHERE id = ?`);
  return groups.flatMap((g) => {
    const row = tryById.get(g.example);
    return row === undefined ? [] : [{ outcome: g.outcome, type: g.type, message: g.message, count: g.n, example: toTry(row) }];
  });
}

/** A mini-batch with its items and every try of it, or undefined when the plan has no such index. */
export function readMiniBatchHistory(db: Database.Database, inputs: InputTable, index: number): MiniBatchHistory | undefined {
  const row = db.prepare<[number], MiniBatchRow>(`SELECT ${MINI_BATCH_COLUMNS} FROM mini_batches WHERE idx = ?`).get(index);
  if (row === undefined) return undefined;
  const tries = db.prepare<[number], TryRow>(`SELECT ${TRY_COLUMNS} FROM tries WHERE idx = ? ORDER BY id`).all(index).map(toTry);
  return { miniBatch: toMiniBatch(row, inputs), tries };
}

/** Durations of the mini-batches that ran (their tries' total, as `status` ranks them). */
export function readMiniBatchDurations(db: Database.Database): number[] {
  return db.prepare<[], number>('SELECT duration_ms FROM mini_batches WHERE tries > 0').pluck().all();
}
