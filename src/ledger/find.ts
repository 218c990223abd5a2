/**
 * Finding mini-batches in the stored plan by what a user knows of them: the range of indexes there
 * are, and the file an error named (`minibatch debug <run-dir> --item PATH`).
 */
import type Database from 'better-sqlite3';
import { basename, resolve } from 'node:path';
import type { InputTable } from './inputs.js';
import { MINI_BATCH_COLUMNS, toMiniBatch, type MiniBatchRow } from './records.js';
import type { MiniBatchDetail } from './types.js';

export interface IndexRange {
  readonly first: number;
  readonly last: number;
  /** Mini-batches planned; fewer than `last - first + 1` when resume dropped some. */
  readonly count: number;
}

export function readIndexRange(db: Database.Database): IndexRange | null {
  const row = db
    .prepare<[], { first: number | null; last: number | null; count: number }>('SELECT min(idx) AS first, max(idx) AS last, count(*) AS count FROM mini_batches')
    .get();
  return row === undefined || row.first === null || row.last === null ? null : { first: row.first, last: row.last, count: row.count };
}

/**
 * The mini-batches holding the file `path`, by index. Items are stored as JSON triples of a path
 * relative to the input's root (inputs.ts), so rows whose text holds the file's name end (`name"`)
 * are read, and only those whose item is this very path are kept.
 */
export function readHolding(db: Database.Database, inputs: InputTable, path: string): MiniBatchDetail[] {
  const wanted = resolve(path);
  const nameEnd = JSON.stringify(basename(wanted)).slice(1);
  return db
    .prepare<[string], MiniBatchRow>(`SELECT ${MINI_BATCH_COLUMNS} FROM mini_batches WHERE instr(items, ?) > 0 ORDER BY idx`)
    .all(nameEnd)
    .map((row) => toMiniBatch(row, inputs))
    .filter((mb) => mb.items.some((item) => item.path === wanted));
}
