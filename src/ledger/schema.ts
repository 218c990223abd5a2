/**
 * The ledger's schema (docs/ARCHITECTURE.md, "Run directory"). Versioned in `meta` so that a newer
 * minibatch can read an older run directory, and an older one refuses a newer file clearly.
 *
 * Tables:
 * - `meta(key, value)`: `app`, `schema_version`, `created_at`, and whatever the run records
 *   (`planning`, `planned_total`, the run's outcome...).
 * - `inputs(id, name, root)`: each input once; `root` relative to the run directory when inside it
 *   (so a run directory can be moved, docs/ARCHITECTURE.md, "Run directory"), absolute otherwise.
 * - `mini_batches`: the plan and each mini-batch's state. `items` is compact JSON
 *   `[[rel, size, mtimeMs], ...]`, relative to its input's root.
 * - `tries`: one row per finished try (processed_mini_batches.csv, job_error.txt), never rewritten.
 * - `rows`: each committed mini-batch's rows, replaced (never added to) by a later commit, written in
 *   the same transaction as its state: rows are exactly once (docs/ARCHITECTURE.md, "Tries").
 */
import type Database from 'better-sqlite3';

export const LEDGER_APP = 'minibatch-ledger';
export const SCHEMA_VERSION = 1;

/** Meta keys the ledger owns; `setMeta` refuses them. */
export const RESERVED_META = new Set(['app', 'schema_version', 'created_at']);

const DDL = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE inputs (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  root TEXT NOT NULL
);

CREATE TABLE mini_batches (
  idx              INTEGER PRIMARY KEY,
  key              TEXT NOT NULL,
  input_id         INTEGER NOT NULL REFERENCES inputs (id),
  items            TEXT NOT NULL,
  item_count       INTEGER NOT NULL,
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'succeeded', 'partial', 'failed')),
  tries            INTEGER NOT NULL DEFAULT 0,
  succeeded_items  INTEGER NOT NULL DEFAULT 0,
  failed_items     INTEGER NOT NULL DEFAULT 0,
  first_started_at INTEGER,
  last_ended_at    INTEGER,
  duration_ms      INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT,
  generation       INTEGER NOT NULL DEFAULT 0
);
-- The index on key is built when the ledger is opened again (ensureKeyIndex): keys are hashes, and
-- keeping a B-tree of random keys while inserting tripled the cost of planning (bench/).
-- No index on status: every commit changes it, and the scheduler pages pending mini-batches from
-- its cursor along the primary key, where they are dense.

CREATE TABLE tries (
  id              INTEGER PRIMARY KEY,
  idx             INTEGER NOT NULL,
  generation      INTEGER NOT NULL,
  attempt         INTEGER NOT NULL,
  worker          TEXT NOT NULL,
  started_at      INTEGER NOT NULL,
  duration_ms     INTEGER NOT NULL,
  outcome         TEXT NOT NULL,
  succeeded_items INTEGER NOT NULL,
  failed_items    INTEGER NOT NULL,
  exit_code       INTEGER,
  signal          TEXT,
  error           TEXT
);

CREATE TABLE rows (
  idx  INTEGER PRIMARY KEY,
  rows TEXT NOT NULL
);
`;

/**
 * WAL with synchronous=NORMAL: a committed transaction survives `kill -9` of the process (it is in
 * the WAL, in the OS's page cache); only a power loss may lose the last ones, which resume redoes
 * (the WAL is written to disk in the background every fraction of a second: wal-sync.ts).
 * The WAL is copied back into the database every 4,096 pages (16 MB) instead of SQLite's 1,000:
 * commits rewrite the same few pages, and each copy-back writes them all again (bench/).
 */
export function applyPragmas(db: Database.Database, readonly: boolean): void {
  db.pragma('busy_timeout = 5000');
  if (readonly) return;
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 4096');
}

export function createSchema(db: Database.Database, now: number): void {
  db.transaction(() => {
    db.exec(DDL);
    const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    put.run('app', LEDGER_APP);
    put.run('schema_version', String(SCHEMA_VERSION));
    put.run('created_at', new Date(now).toISOString());
  }).immediate();
}

/**
 * The index resume matches content keys by (docs/ARCHITECTURE.md, "Run directory"). Built when a ledger is opened again (resume,
 * retry-failed), not while a new run plans or when its planning ends: keeping a B-tree of random
 * keys tripled the cost of planning, and building it costs ~1 µs a mini-batch that a run that is
 * never resumed does not need. Idempotent.
 */
export function ensureKeyIndex(db: Database.Database): void {
  db.exec('CREATE UNIQUE INDEX IF NOT EXISTS mini_batches_key ON mini_batches (key)');
}

/** Why `db` is not a ledger this minibatch can read, or null when it is. */
export function schemaProblem(db: Database.Database): string | null {
  let app: string | undefined;
  let version: string | undefined;
  try {
    const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    app = get.get('app')?.value;
    version = get.get('schema_version')?.value;
  } catch (error) {
    return `it is not a minibatch ledger (${error instanceof Error ? error.message : String(error)})`;
  }
  if (app !== LEDGER_APP) return 'it is not a minibatch ledger (no minibatch marker in its meta table)';
  const v = Number(version);
  if (!Number.isInteger(v) || v < 1) return `its schema version is unreadable (${String(version)})`;
  if (v > SCHEMA_VERSION) {
    return `it was written by a newer minibatch (ledger schema ${v}; this one reads up to ${SCHEMA_VERSION}): upgrade minibatch`;
  }
  return null;
}
