/**
 * Reconciling a fresh listing with the stored plan, for resume (docs/ARCHITECTURE.md, "Run directory"): the stored plan
 * is kept. A changed file invalidates only its own mini-batch; new files become new mini-batches at
 * the end; vanished files leave their mini-batch. Committed mini-batches are matched by content key,
 * never by position. A table's mini-batches are ranges of a file: when the file changed, its stored
 * ranges leave the plan (with their rows) and its fresh ones are added at the end.
 *
 * The fresh plan streams into temporary tables (memory does not grow with the dataset); the stored
 * plan is then changed in ONE transaction, so a resume killed while reconciling finds the plan as it
 * was before.
 */
import type Database from 'better-sqlite3';
import { miniBatchKey } from '../data/key.js';
import type { PlannedMiniBatch } from '../data/types.js';
import { encodeItems, encodePlanned, itemCount, rootOf, type InputTable, type StoredItem } from './inputs.js';
import type { MiniBatchStatus, ReconcileCounts } from './types.js';

/** Fresh mini-batches loaded per transaction, and stored ones judged per page. */
const CHUNK = 500;

interface Tally {
  unchanged: number;
  changed: number;
  added: number;
  removed: number;
  trimmed: number;
  changedFiles: number;
  vanishedFiles: number;
  newFiles: number;
}

/**
 * How new files are cut into mini-batches: `size` files each, and (partition keys) a new one
 * wherever `groupOf` changes, since new files come in plan order, a group's files together.
 */
export interface NewFileCutting {
  readonly size: number;
  readonly groupOf: ((input: string, rel: string) => string) | null;
}

export async function reconcilePlan(
  db: Database.Database,
  inputs: InputTable,
  plan: AsyncIterable<PlannedMiniBatch>,
  cutting: NewFileCutting,
): Promise<ReconcileCounts> {
  db.exec(`
    DROP TABLE IF EXISTS temp.fresh_files;
    DROP TABLE IF EXISTS temp.seen;
    DROP TABLE IF EXISTS temp.stored_files;
    DROP TABLE IF EXISTS temp.fresh_slices;
    CREATE TEMP TABLE fresh_slices (ord INTEGER PRIMARY KEY, input TEXT NOT NULL, key TEXT NOT NULL,
      items TEXT NOT NULL, item_count INTEGER NOT NULL);
    CREATE TEMP TABLE fresh_files (ord INTEGER PRIMARY KEY, input TEXT NOT NULL, rel TEXT NOT NULL,
      size INTEGER NOT NULL, mtime INTEGER NOT NULL);
    CREATE TEMP TABLE seen (idx INTEGER PRIMARY KEY);`);
  try {
    const roots = await loadFresh(db, inputs, plan);
    const tally: Tally = { unchanged: 0, changed: 0, added: 0, removed: 0, trimmed: 0, changedFiles: 0, vanishedFiles: 0, newFiles: 0 };
    db.transaction(() => {
      for (const [name, root] of roots) inputs.ensure(name, root);
      const nextIndex = (db.prepare('SELECT coalesce(max(idx), -1) + 1 FROM mini_batches').pluck().get() as number);
      tally.unchanged += (db.prepare('SELECT count(*) FROM temp.seen').pluck().get() as number);
      db.exec(`
        CREATE INDEX temp.fresh_files_by_rel ON fresh_files (input, rel);
        CREATE TEMP TABLE stored_files AS
          SELECT m.idx AS idx, CAST(j.key AS INTEGER) AS pos, i.name AS input,
                 j.value ->> 0 AS rel, j.value ->> 1 AS size, j.value ->> 2 AS mtime
          FROM mini_batches m JOIN inputs i ON i.id = m.input_id, json_each(m.items) j
          WHERE m.idx NOT IN (SELECT idx FROM temp.seen) AND ${NOT_TABLE};
        CREATE INDEX temp.stored_files_by_rel ON stored_files (input, rel);
        CREATE INDEX temp.stored_files_by_idx ON stored_files (idx, pos);`);
      judgeStored(db, inputs, tally);
      const stale = dropStaleSlices(db);
      appendNew(db, inputs, cutting, appendSlices(db, inputs, nextIndex, stale, tally), tally);
    }).immediate();
    return tally;
  } finally {
    db.exec(
      'DROP TABLE IF EXISTS temp.fresh_files; DROP TABLE IF EXISTS temp.seen; DROP TABLE IF EXISTS temp.stored_files; ' +
        'DROP TABLE IF EXISTS temp.fresh_slices;',
    );
  }
}

/** Streams the fresh plan: mini-batches whose key is stored are `seen`, the others' files kept aside. */
async function loadFresh(
  db: Database.Database,
  inputs: InputTable,
  plan: AsyncIterable<PlannedMiniBatch>,
): Promise<Map<string, string>> {
  const byKey = db.prepare<[string], { idx: number; input_id: number }>('SELECT idx, input_id FROM mini_batches WHERE key = ?');
  const markSeen = db.prepare('INSERT OR IGNORE INTO temp.seen (idx) VALUES (?)');
  const addFile = db.prepare('INSERT INTO temp.fresh_files (input, rel, size, mtime) VALUES (?, ?, ?, ?)');
  const addSlice = db.prepare('INSERT INTO temp.fresh_slices (input, key, items, item_count) VALUES (?, ?, ?, ?)');
  const load = db.transaction((batches: readonly PlannedMiniBatch[]) => {
    for (const b of batches) {
      const stored = byKey.get(b.key);
      if (stored !== undefined && stored.input_id === inputs.byName(b.input)?.id) {
        markSeen.run(stored.idx);
        continue;
      }
      if (b.slice !== null) addSlice.run(b.input, b.key, encodePlanned(b), itemCount(b));
      else for (const item of b.items) addFile.run(b.input, item.rel, item.size, item.mtimeMs);
    }
  });
  /** Each input's root as listed now, in plan order: an input re-bound elsewhere moves. */
  const roots = new Map<string, string>();
  let buffered: PlannedMiniBatch[] = [];
  for await (const batch of plan) {
    const first = batch.items[0];
    if (first !== undefined && !roots.has(batch.input)) roots.set(batch.input, rootOf(first));
    buffered.push(batch);
    if (buffered.length >= CHUNK) {
      load(buffered);
      buffered = [];
    }
  }
  load(buffered);
  return roots;
}

interface Judged {
  readonly idx: number;
  readonly rel: string;
  readonly size: number;
  readonly mtime: number;
  readonly fsize: number | null;
  readonly fmtime: number | null;
}

interface StoredBatch {
  readonly idx: number;
  readonly status: MiniBatchStatus;
  readonly input_id: number;
}

/** Each stored mini-batch the fresh plan did not match by key, judged file by file. */
function judgeStored(db: Database.Database, inputs: InputTable, tally: Tally): void {
  const page = db.prepare<[number, number], StoredBatch>(`
    SELECT idx, status, input_id FROM mini_batches
    WHERE idx > ? AND idx NOT IN (SELECT idx FROM temp.seen) AND ${NOT_TABLE} ORDER BY idx LIMIT ?`);
  const files = db.prepare<[number, number], Judged>(`
    SELECT s.idx, s.rel, s.size, s.mtime, f.size AS fsize, f.mtime AS fmtime
    FROM stored_files s LEFT JOIN fresh_files f ON f.input = s.input AND f.rel = s.rel
    WHERE s.idx BETWEEN ? AND ? ORDER BY s.idx, s.pos`);
  // A changed file: the mini-batch runs again from scratch, with fresh tries and no rows.
  const rerun = db.prepare(`
    UPDATE mini_batches SET key = ?, items = ?, item_count = ?, status = 'pending', tries = 0,
      succeeded_items = 0, failed_items = 0, generation = generation + 1
    WHERE idx = ?`);
  // Only vanished files, not yet committed: it runs without them, its tries so far still count.
  const trim = db.prepare('UPDATE mini_batches SET key = ?, items = ?, item_count = ? WHERE idx = ?');
  const drop = db.prepare('DELETE FROM mini_batches WHERE idx = ?');
  const dropRows = db.prepare('DELETE FROM rows WHERE idx = ?');

  let after = -1;
  for (;;) {
    const batches = page.all(after, CHUNK);
    const last = batches.at(-1);
    if (last === undefined) return;
    after = last.idx;
    const byIdx = new Map<number, Judged[]>();
    for (const f of files.all(batches[0]?.idx ?? 0, last.idx)) {
      const list = byIdx.get(f.idx);
      if (list === undefined) byIdx.set(f.idx, [f]);
      else list.push(f);
    }
    for (const batch of batches) {
      const kept: StoredItem[] = [];
      let changed = 0;
      let vanished = 0;
      for (const f of byIdx.get(batch.idx) ?? []) {
        if (f.fsize === null || f.fmtime === null) {
          vanished++;
          continue;
        }
        if (f.fsize !== f.size || f.fmtime !== f.mtime) changed++;
        kept.push([f.rel, f.fsize, f.fmtime]);
      }
      tally.changedFiles += changed;
      tally.vanishedFiles += vanished;
      const name = inputs.byId(batch.input_id).name;
      const key = (): string => miniBatchKey(name, kept.map(([rel, size, mtimeMs]) => ({ rel, size, mtimeMs })));
      const encoded = (): string => encodeItems(kept.map(([rel, size, mtimeMs]) => ({ rel, size, mtimeMs })));
      if (changed > 0) {
        rerun.run(key(), encoded(), kept.length, batch.idx);
        dropRows.run(batch.idx);
        tally.changed++;
      } else if (vanished > 0 && batch.status === 'pending') {
        if (kept.length === 0) {
          drop.run(batch.idx);
          tally.removed++;
        } else {
          trim.run(key(), encoded(), kept.length, batch.idx);
          tally.trimmed++;
        }
      } else {
        // Unchanged, or committed with files that vanished since: its outcome and rows stand.
        tally.unchanged++;
      }
    }
  }
}

/** A stored mini-batch that is not a table's slice (whose one item holds an object after its mtime). */
const NOT_TABLE = "json_type(items, '$[0][3]') IS NOT 'object'";

/**
 * A table's stored slices the fresh plan lacks (their file changed or vanished) leave the plan, with
 * their rows. Returns their files (`input NUL rel`): fresh slices of those files run again.
 */
function dropStaleSlices(db: Database.Database): Set<string> {
  const stale = `SELECT idx FROM mini_batches WHERE json_type(items, '$[0][3]') = 'object' AND idx NOT IN (SELECT idx FROM temp.seen)`;
  const files = db
    .prepare<[], string>(`SELECT DISTINCT i.name || char(0) || (m.items ->> '$[0][0]') FROM mini_batches m JOIN inputs i ON i.id = m.input_id WHERE m.idx IN (${stale})`)
    .pluck()
    .all();
  db.prepare(`DELETE FROM rows WHERE idx IN (${stale})`).run();
  db.prepare(`DELETE FROM mini_batches WHERE idx IN (${stale})`).run();
  return new Set(files);
}

/**
 * Fresh table slices not stored become mini-batches from `nextIndex`, in plan order; returns the
 * next index. A file with stale slices counts as changed, one without as new, and a stale file
 * without fresh slices as vanished.
 */
function appendSlices(db: Database.Database, inputs: InputTable, nextIndex: number, stale: ReadonlySet<string>, tally: Tally): number {
  const insert = db.prepare('INSERT INTO mini_batches (idx, key, input_id, items, item_count) VALUES (?, ?, ?, ?, ?)');
  let index = nextIndex;
  const rows = db.prepare<[], { input: string; key: string; items: string; item_count: number }>(
    'SELECT input, key, items, item_count FROM temp.fresh_slices ORDER BY ord',
  );
  const seen = new Set<string>();
  for (const s of rows.all()) {
    const known = inputs.byName(s.input);
    if (known === undefined) throw new Error(`ledger: new slices of input ${s.input}, which has no root`);
    insert.run(index++, s.key, known.id, s.items, s.item_count);
    const [[rel = '']] = JSON.parse(s.items) as [[string]];
    const file = `${s.input}\0${rel}`;
    const first = !seen.has(file);
    seen.add(file);
    if (stale.has(file)) {
      tally.changed++;
      if (first) tally.changedFiles++;
    } else {
      tally.added++;
      if (first) tally.newFiles++;
    }
  }
  for (const file of stale) if (!seen.has(file)) tally.vanishedFiles++;
  return index;
}

interface NewFile {
  readonly ord: number;
  readonly input: string;
  readonly rel: string;
  readonly size: number;
  readonly mtime: number;
}

/** Files the stored plan lacks become new mini-batches at the end, in listing order, never crossing an input. */
function appendNew(db: Database.Database, inputs: InputTable, cutting: NewFileCutting, nextIndex: number, tally: Tally): void {
  const page = db.prepare<[number, number], NewFile>(`
    SELECT f.ord, f.input, f.rel, f.size, f.mtime FROM fresh_files f
    WHERE f.ord > ? AND NOT EXISTS (SELECT 1 FROM stored_files s WHERE s.input = f.input AND s.rel = f.rel)
    ORDER BY f.ord LIMIT ?`);
  const insert = db.prepare('INSERT INTO mini_batches (idx, key, input_id, items, item_count) VALUES (?, ?, ?, ?, ?)');
  let index = nextIndex;
  let input = '';
  let group: string | null = null;
  let items: { rel: string; size: number; mtimeMs: number }[] = [];
  const emit = (): void => {
    if (items.length === 0) return;
    const known = inputs.byName(input);
    if (known === undefined) throw new Error(`ledger: new files of input ${input}, which has no root`);
    insert.run(index++, miniBatchKey(input, items), known.id, encodeItems(items), items.length);
    tally.added++;
    tally.newFiles += items.length;
    items = [];
  };
  let after = 0;
  for (;;) {
    const files = page.all(after, CHUNK * 4);
    if (files.length === 0) break;
    for (const f of files) {
      after = f.ord;
      const fileGroup = cutting.groupOf?.(f.input, f.rel) ?? null;
      if (f.input !== input || fileGroup !== group) {
        emit();
        input = f.input;
        group = fileGroup;
      }
      items.push({ rel: f.rel, size: f.size, mtimeMs: f.mtime });
      if (items.length >= cutting.size) emit();
    }
  }
  emit();
}
