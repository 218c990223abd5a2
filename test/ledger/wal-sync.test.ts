/**
 * The ledger's write-ahead log: written to disk in the background after commits
 * (src/ledger/wal-sync.ts), on a descriptor of its own (one at a time, however many syncs ran, and
 * none left once the ledger is closed); and copied back into state.db by `checkpoint()`, which the
 * scheduler calls while the workers stop.
 */
import Database from 'better-sqlite3';
import { copyFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/sqlite.js';
import { SYNC_MS } from '../../src/ledger/wal-sync.js';
import { numbered, tempDir, writeTree } from '../data/tree.js';
import { plan, succeeded } from './helpers.js';

let tmp: string;
let cleanup: () => void;

beforeEach(() => {
  ({ dir: tmp, cleanup } = tempDir());
});
afterEach(() => cleanup());

/** This process's descriptors open on `file` (Linux's /proc). */
function descriptorsOn(file: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(file)) count++;
    } catch {
      // closed while we looked
    }
  }
  return count;
}

it.runIf(process.platform === 'linux')('syncs the WAL on one descriptor of its own, closed with the ledger', async () => {
  writeTree(join(tmp, 'data'), numbered(6));
  const runDir = join(tmp, 'run');
  const wal = join(runDir, 'state.db-wal');
  const ledger = Ledger.create(runDir);
  ledger.addPlanned(await plan(join(tmp, 'data'), 1));
  expect(descriptorsOn(wal)).toBe(1); // SQLite's own; the sync's comes with the first commit

  for (let i = 0; i < 6; i++) {
    ledger.enqueueCommit(succeeded(i, [`row ${i}`]));
    ledger.flush();
    expect(descriptorsOn(wal)).toBe(2); // SQLite's, and the sync's: one, however many syncs ran
    await sleep(SYNC_MS / 2 + 5); // every other flush starts a sync
  }

  ledger.close();
  // The background sync closes its descriptor when it ends: a wait, generous for a loaded machine.
  for (let waited = 0; descriptorsOn(wal) > 0 && waited < 30_000; waited += 10) await sleep(10);
  expect(descriptorsOn(wal)).toBe(0);
});

it('checkpoint() writes the commits back into state.db itself, while the ledger stays open', async () => {
  writeTree(join(tmp, 'data'), numbered(5));
  const runDir = join(tmp, 'run');
  const ledger = Ledger.create(runDir);
  ledger.addPlanned(await plan(join(tmp, 'data'), 1));
  for (let i = 0; i < 5; i++) ledger.enqueueCommit(succeeded(i, [`row ${i}`]));
  ledger.flush();
  /** What state.db alone says, copied without its WAL (as a user copying only that file would). */
  const alone = (name: string): number => {
    const copy = join(tmp, `${name}.db`);
    copyFileSync(join(runDir, 'state.db'), copy);
    const db = new Database(copy, { readonly: true });
    try {
      // Before any checkpoint even the schema is in the WAL only.
      const tables = db.prepare<[], number>("SELECT count(*) FROM sqlite_master WHERE name = 'mini_batches'").pluck().get();
      if (tables === 0) return 0;
      return db.prepare<[], number>("SELECT count(*) FROM mini_batches WHERE status = 'succeeded'").pluck().get() ?? -1;
    } finally {
      db.close();
    }
  };
  expect(alone('before')).toBe(0); // still in the WAL only
  ledger.checkpoint();
  expect(alone('after')).toBe(5);
  expect(ledger.counts().succeeded).toBe(5);
  ledger.close();
});
