/** The ledger's reads and small writes, prepared once per connection (they run per mini-batch). */
import type Database from 'better-sqlite3';
import { MINI_BATCH_COLUMNS, TRY_COLUMNS, type MiniBatchRow, type TryRow } from './records.js';

type Stmt<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

/** Named so that declaration files can spell the type (better-sqlite3's own namespace is not exported). */
export interface Statements {
  putMeta: Stmt;
  getMeta: Stmt<[string], string>;
  pendingAfter: Stmt<[number, number], MiniBatchRow>;
  byIndex: Stmt<[number], MiniBatchRow>;
  byKey: Stmt<[string], MiniBatchRow>;
  counts: Stmt<[], CountsRow>;
  failBatch: Stmt;
  dropRows: Stmt;
  tryCount: Stmt<[], number>;
  rowsAfter: Stmt<[number, number], { idx: number; rows: string }>;
  triesAfter: Stmt<[number, number], TryRow>;
  failedTriesAfter: Stmt<[number, number], TryRow>;
}

export interface CountsRow {
  mini_batches: number;
  items: number | null;
  pending: number | null;
  succeeded: number | null;
  partial: number | null;
  failed: number | null;
  succeeded_items: number | null;
  failed_items: number | null;
}

export function prepareStatements(db: Database.Database): Statements {
  return {
    putMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    getMeta: db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck(),
    pendingAfter: db.prepare<[number, number], MiniBatchRow>(
      `SELECT ${MINI_BATCH_COLUMNS} FROM mini_batches WHERE status = 'pending' AND idx > ? ORDER BY idx LIMIT ?`,
    ),
    byIndex: db.prepare<[number], MiniBatchRow>(`SELECT ${MINI_BATCH_COLUMNS} FROM mini_batches WHERE idx = ?`),
    byKey: db.prepare<[string], MiniBatchRow>(`SELECT ${MINI_BATCH_COLUMNS} FROM mini_batches WHERE key = ?`),
    counts: db.prepare<[], CountsRow>(`
      SELECT count(*) AS mini_batches, sum(item_count) AS items,
        sum(status = 'pending') AS pending, sum(status = 'succeeded') AS succeeded,
        sum(status = 'partial') AS partial, sum(status = 'failed') AS failed,
        sum(succeeded_items) AS succeeded_items, sum(failed_items) AS failed_items
      FROM mini_batches`),
    failBatch: db.prepare(`
      UPDATE mini_batches SET status = 'failed', succeeded_items = 0, failed_items = item_count, last_error = ?
      WHERE idx = ?`),
    dropRows: db.prepare('DELETE FROM rows WHERE idx = ?'),
    tryCount: db.prepare<[], number>('SELECT count(*) FROM tries').pluck(),
    rowsAfter: db.prepare<[number, number], { idx: number; rows: string }>(`
      SELECT r.idx, r.rows FROM rows r CROSS JOIN mini_batches m ON m.idx = r.idx
      WHERE r.idx > ? AND m.status IN ('succeeded', 'partial') ORDER BY r.idx LIMIT ?`),
    triesAfter: db.prepare<[number, number], TryRow>(`SELECT ${TRY_COLUMNS} FROM tries WHERE id > ? ORDER BY id LIMIT ?`),
    failedTriesAfter: db.prepare<[number, number], TryRow>(
      `SELECT ${TRY_COLUMNS} FROM tries WHERE id > ? AND outcome <> 'succeeded' ORDER BY id LIMIT ?`,
    ),
  };
}
