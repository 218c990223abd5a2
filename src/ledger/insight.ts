/**
 * The ledger read for `minibatch status` : the slowest mini-batches, the most common errors,
 * and the recent pace of tries. Read-only queries, each bounded by a LIMIT, so that status stays
 * quick beside a live run of a million mini-batches.
 */
import type Database from 'better-sqlite3';
import type { InputTable } from './inputs.js';
import { MINI_BATCH_COLUMNS, toMiniBatch, toTry, TRY_COLUMNS, type MiniBatchRow, type TryRow } from './records.js';
import type { MiniBatchDetail, StoredTry } from './types.js';

export interface ErrorGroup {
  /** `raised`, `timeout`, `crash`, `bad_return`. */
  readonly outcome: string;
  /** The Python exception's type (or minibatch's name for a timeout or crash). */
  readonly type: string;
  /** Failed tries with this outcome and type. */
  readonly count: number;
  /** The latest such try. */
  readonly example: StoredTry;
  /** The example's mini-batch (its items, or its table slice); undefined if it left the plan. */
  readonly exampleMiniBatch: MiniBatchDetail | undefined;
  /** The mini-batches these tries hit, in order: at most `MINI_BATCHES_NAMED`. */
  readonly miniBatches: readonly number[];
  readonly miniBatchCount: number;
}

/** Tries finished in the latest stretch of activity (a resume after a pause starts a new one). */
export interface Pace {
  readonly tries: number;
  /** Items those tries settled (succeeded, or failed for good). */
  readonly items: number;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface LedgerInsight {
  readonly slowest: readonly MiniBatchDetail[];
  readonly errors: readonly ErrorGroup[];
  readonly pace: Pace | null;
  /** Epoch ms of the first try's start and the last try's end; null before any try. */
  readonly firstStartedAt: number | null;
  readonly lastEndedAt: number | null;
}

export interface InsightOptions {
  /** @default 5 */
  readonly slowest?: number;
  /** @default 5 */
  readonly errors?: number;
}

/** Mini-batches an error group names. */
const MINI_BATCHES_NAMED = 5;
/** Tries looked at for the pace. */
const PACE_WINDOW = 500;
/** A pause longer than this between tries ends a stretch of activity. */
const PAUSE_MS = 30_000;

export function readInsight(db: Database.Database, inputs: InputTable, options: InsightOptions = {}): LedgerInsight {
  const slowest = db
    .prepare<[number], MiniBatchRow>(
      `SELECT ${MINI_BATCH_COLUMNS} FROM mini_batches WHERE tries > 0 ORDER BY duration_ms DESC, idx LIMIT ?`,
    )
    .all(options.slowest ?? 5)
    .map((row) => toMiniBatch(row, inputs));
  const groups = db
    .prepare<[number], { outcome: string; type: string; n: number; batches: number; example: number }>(`
      SELECT outcome, coalesce(json_extract(error, '$.type'), outcome) AS type, count(*) AS n,
        count(DISTINCT idx) AS batches, max(id) AS example
      FROM tries WHERE outcome <> 'succeeded' GROUP BY outcome, type ORDER BY n DESC, example DESC LIMIT ?`)
    .all(options.errors ?? 5);
  const tryById = db.prepare<[number], TryRow>(`SELECT ${TRY_COLUMNS} FROM tries WHERE id = ?`);
  const miniBatchByIndex = db.prepare<[number], MiniBatchRow>(`SELECT ${MINI_BATCH_COLUMNS} FROM mini_batches WHERE idx = ?`);
  const batchesOf = db.prepare<[string, string, number], { idx: number }>(`
    SELECT DISTINCT idx FROM tries WHERE outcome = ? AND coalesce(json_extract(error, '$.type'), outcome) = ?
    ORDER BY idx LIMIT ?`);
  const errors = groups.flatMap((g): ErrorGroup[] => {
    const row = tryById.get(g.example);
    if (row === undefined) return [];
    const mb = miniBatchByIndex.get(row.idx);
    return [
      {
        outcome: g.outcome,
        type: g.type,
        count: g.n,
        example: toTry(row),
        exampleMiniBatch: mb === undefined ? undefined : toMiniBatch(mb, inputs),
        miniBatches: batchesOf.all(g.outcome, g.type, MINI_BATCHES_NAMED).map((b) => b.idx),
        miniBatchCount: g.batches,
      },
    ];
  });
  const span = db
    .prepare<[], { first: number | null; last: number | null }>(
      'SELECT min(started_at) AS first, max(started_at + duration_ms) AS last FROM tries',
    )
    .get();
  return {
    slowest,
    errors,
    pace: readPace(db),
    firstStartedAt: span?.first ?? null,
    lastEndedAt: span?.last ?? null,
  };
}

function readPace(db: Database.Database): Pace | null {
  const recent = db
    .prepare<[number], { start: number; end: number; items: number }>(`
      SELECT started_at AS start, started_at + duration_ms AS "end", succeeded_items + failed_items AS items
      FROM tries ORDER BY id DESC LIMIT ?`)
    .all(PACE_WINDOW)
    .sort((a, b) => b.end - a.end);
  const newest = recent[0];
  if (newest === undefined) return null;
  let from = newest.start;
  let tries = 0;
  let items = 0;
  for (const t of recent) {
    if (t.end < from - PAUSE_MS) break;
    from = Math.min(from, t.start);
    tries++;
    items += t.items;
  }
  return { tries, items, fromMs: from, toMs: newest.end };
}

/**
 * How long tries were running, in ms, counting only tries that started before `beforeMs` (epoch
 * ms): the union of their intervals, so that time with several tries at once counts once and time
 * with none (a pause between a kill and a resume) not at all. What the processes before this one
 * spent on a run that is resumed.
 */
export function readBusyMs(db: Database.Database, beforeMs: number): number {
  const tries = db
    .prepare<[number], { start: number; duration: number }>(
      'SELECT started_at AS start, duration_ms AS duration FROM tries WHERE started_at < ? ORDER BY started_at',
    )
    .iterate(beforeMs);
  let busy = 0;
  let from = Number.NEGATIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const t of tries) {
    const end = t.start + t.duration;
    if (t.start > to) {
      if (to > from) busy += to - from;
      from = t.start;
      to = end;
    } else if (end > to) {
      to = end;
    }
  }
  if (to > from) busy += to - from;
  return busy;
}
