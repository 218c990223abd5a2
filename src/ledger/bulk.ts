/**
 * One statement over many rows: `VALUES (…), (…)` with CHUNK rows at a time instead of a statement
 * per row. Inserting a small row costs SQLite (and better-sqlite3's call) less than running a
 * statement does: writing the plan of 20,000 mini-batches took a third less time (bench/, issue 3).
 * Commits of successes use it too, for their tries (commits.ts); their mini-batches are then updated
 * from those tries in one UPDATE … FROM, since an UPDATE … FROM VALUES was no faster than a row each.
 */
import type Database from 'better-sqlite3';

/** Rows a statement takes at once; the rest of a group goes one by one. */
export const CHUNK = 50;

export type BulkRow = readonly unknown[];

export class BulkStatement {
  readonly #many: Database.Statement;
  readonly #one: Database.Statement;

  /** `sql(values)` is the statement with `values` in place of its rows: `(?, ?), (?, ?)` for `width` 2. */
  constructor(db: Database.Database, width: number, sql: (values: string) => string) {
    const row = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    this.#many = db.prepare(sql(Array.from({ length: CHUNK }, () => row).join(', ')));
    this.#one = db.prepare(sql(row));
  }

  /** Runs the statement over `rows`, in order; returns how many rows it changed. */
  run(rows: readonly BulkRow[]): number {
    let changes = 0;
    let i = 0;
    for (; i + CHUNK <= rows.length; i += CHUNK) changes += this.#many.run(rows.slice(i, i + CHUNK).flat()).changes;
    for (; i < rows.length; i++) changes += this.#one.run(rows[i]).changes;
    return changes;
  }
}
