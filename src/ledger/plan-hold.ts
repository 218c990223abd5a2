/**
 * Planned mini-batches held in memory before their rows are written (issue 3's speed target): a
 * mini-batch that runs soon after planning gets its row written once, in its final state, with its
 * first commit (commits.ts), instead of an insert when planned and an update when committed.
 *
 * What the ledger holds stays a plan from index 0 without gaps, which is what resume reads (the
 * rest is planned again from the files): rows leave the hold only as a prefix, in order. They are
 * written as pending, at the latest, once held for HOLD_MS (so that `minibatch status` beside a
 * live run lags by no more), once more than HOLD_MAX_ITEMS items are held (memory), and by any
 * read of the ledger (`Ledger.flush`). A kill loses only held rows, which resume plans again.
 */

/** A held row: the values of `mini_batches (idx, key, input_id, items, item_count)`. */
export type PlanRow = readonly [index: number, key: string, inputId: number, items: string, itemCount: number];

/** Longest a row is held. */
export const HOLD_MS = 1000;
/** Most items held (the scheduler's own in-memory queue of planned mini-batches holds as many). */
export const HOLD_MAX_ITEMS = 32_768;

export class PlanHold {
  /** Held rows in index order, each with when it was planned (Date.now()). */
  private rows: { readonly row: PlanRow; readonly at: number }[] = [];
  private head = 0;
  private items = 0;
  /** `markPlanned(total)` while rows were held: recorded with the last of them. */
  plannedTotal: number | null = null;

  get size(): number {
    return this.rows.length - this.head;
  }

  /** The index of the oldest held row, or null when none is held. */
  get firstIndex(): number | null {
    return this.size === 0 ? null : this.at(0).row[0];
  }

  /** The index the next held row must have, or null when none is held. */
  get nextIndex(): number | null {
    const last = this.rows.at(-1);
    return this.size === 0 || last === undefined ? null : last.row[0] + 1;
  }

  add(row: PlanRow, at: number): void {
    this.rows.push({ row, at });
    this.items += row[4];
  }

  /** How many of the first held rows to write now so that no more than HOLD_MAX_ITEMS stay held. */
  get excess(): number {
    let items = this.items;
    let n = 0;
    while (items > HOLD_MAX_ITEMS && n < this.size) items -= this.at(n++).row[4];
    return n;
  }

  /** How many of the first held rows were planned at or before `time`. */
  plannedBy(time: number): number {
    let n = 0;
    while (n < this.size && this.at(n).at <= time) n++;
    return n;
  }

  /** How many of the first held rows have an index up to `index`. */
  through(index: number): number {
    let n = 0;
    while (n < this.size && this.at(n).row[0] <= index) n++;
    return n;
  }

  /** The first `n` held rows (still held until `drop`). */
  first(n: number): PlanRow[] {
    return this.rows.slice(this.head, this.head + n).map((held) => held.row);
  }

  /** Forgets the first `n` held rows: they are written (and with the last, `plannedTotal`). */
  written(n: number): void {
    for (let i = 0; i < n; i++) this.items -= this.at(i).row[4];
    this.head += n;
    if (this.head === this.rows.length) {
      this.rows = [];
      this.head = 0;
      this.plannedTotal = null;
    } else if (this.head >= 4096) {
      this.rows = this.rows.slice(this.head);
      this.head = 0;
    }
  }

  /** When the oldest held row was planned, or null. */
  get oldest(): number | null {
    return this.size === 0 ? null : this.at(0).at;
  }

  /** The `i`-th held row (0: the oldest). */
  private at(i: number): { readonly row: PlanRow; readonly at: number } {
    return this.rows[this.head + i] as { readonly row: PlanRow; readonly at: number };
  }
}
