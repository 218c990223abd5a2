/**
 * One statement over many rows: `VALUES (…), (…)` with CHUNK rows at a time instead of a statement
 * per row. Inserting a small row costs SQLite (and better-sqlite3's call) less than running a
 * statement does: writing the plan of 20,000 mini-batches took a third less time (bench/).
 * Commits of successes use it too, for their tries (commits.ts); their mini-batches are then updated
 * from those tries in one UPDATE … FROM, since an UPDATE … FROM VALUES was no faster than a row each.
 *
 * Rows come flat, `width` values after another, as the statement binds them: an array per row,
 * flattened for each statement, was ~3% of a run's main thread (bench/).
 */
import type Database from 'better-sqlite3';

/** Rows a statement takes at once; the rest of a group goes one by one. */
export const CHUNK = 50;

export class BulkStatement {
  readonly #many: Database.Statement;
  readonly #one: Database.Statement;
  readonly #width: number;

  /** `sql(values)` is the statement with `values` in place of its rows: `(?, ?), (?, ?)` for `width` 2. */
  constructor(db: Database.Database, width: number, sql: (values: string) => string) {
    const row = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    this.#many = db.prepare(sql(Array.from({ length: CHUNK }, () => row).join(', ')));
    this.#one = db.prepare(sql(row));
    this.#width = width;
  }

  /** Runs the statement over the rows in `values` (`width` values each), in order; returns how many rows it changed. */
  run(values: readonly unknown[]): number {
    const width = this.#width;
    if (values.length % width !== 0) throw new Error(`ledger: ${values.length} values are not rows of ${width}`);
    const chunk = CHUNK * width;
    let changes = 0;
    let i = 0;
    for (; i + chunk <= values.length; i += chunk) changes += this.#many.run(values.slice(i, i + chunk)).changes;
    for (; i < values.length; i += width) changes += this.#one.run(values.slice(i, i + width)).changes;
    return changes;
  }
}
