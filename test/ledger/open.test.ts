import Database from 'better-sqlite3';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunDirConflictError } from '../../src/core/errors.js';
import { Ledger } from '../../src/ledger/sqlite.js';
import { numbered, tempDir, writeTree } from '../data/tree.js';
import { peek, plan } from './helpers.js';

let tmp: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: tmp, cleanup } = tempDir());
});
afterEach(() => cleanup());

describe('Ledger.create and Ledger.open', () => {
  it('creates state.db in WAL mode with a versioned schema, and opens it again', () => {
    const runDir = join(tmp, 'runs', 'r1');
    const ledger = Ledger.create(runDir);
    ledger.setMeta('run_id', 'r1');
    ledger.close();
    expect(peek<{ journal_mode: string }>(runDir, 'PRAGMA journal_mode')[0]?.journal_mode).toBe('wal');
    expect(peek(runDir, "SELECT key, value FROM meta WHERE key IN ('app', 'schema_version') ORDER BY key")).toEqual([
      { key: 'app', value: 'minibatch-ledger' },
      { key: 'schema_version', value: '1' },
    ]);
    const again = Ledger.open(runDir);
    expect(again.getMeta('run_id')).toBe('r1');
    expect(again.getMeta('nothing')).toBeUndefined();
    again.close();
  });

  it('refuses to create over an existing ledger', () => {
    Ledger.create(tmp).close();
    expect(() => Ledger.create(tmp)).toThrow(RunDirConflictError);
    expect(() => Ledger.create(tmp)).toThrow(/already holds a run .*minibatch resume/);
  });

  it('refuses a folder without state.db, naming it', () => {
    expect(() => Ledger.open(tmp)).toThrow(RunDirConflictError);
    expect(() => Ledger.open(tmp)).toThrow(`${tmp} is not a minibatch run directory: ${join(tmp, 'state.db')} is missing`);
  });

  it('refuses a file that is not SQLite, and a SQLite file that is not a ledger', () => {
    writeFileSync(join(tmp, 'state.db'), 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    expect(() => Ledger.open(tmp)).toThrow(/not a SQLite database|not a minibatch ledger/);
    const other = join(tmp, 'other');
    mkdirSync(other);
    const db = new Database(join(other, 'state.db'));
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(() => Ledger.open(other)).toThrow(`${other} is not a run directory this minibatch can use`);
    expect(() => Ledger.open(other)).toThrow(/not a minibatch ledger/);
  });

  it('refuses a ledger written by a newer minibatch', () => {
    Ledger.create(tmp).close();
    const db = new Database(join(tmp, 'state.db'));
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    expect(() => Ledger.open(tmp)).toThrow(/newer minibatch \(ledger schema 99; this one reads up to 1\)/);
  });

  it('keeps its own meta keys to itself, and records planning', () => {
    const ledger = Ledger.create(tmp);
    expect(() => ledger.setMeta('schema_version', '2')).toThrow(/reserved/);
    expect(ledger.planningDone()).toBe(false);
    ledger.markPlanned(12);
    expect(ledger.planningDone()).toBe(true);
    expect(ledger.getMeta('planned_total')).toBe('12');
    ledger.close();
  });

  it('can be opened read-only beside a writer and sees its committed work', async () => {
    writeTree(join(tmp, 'data'), numbered(2));
    const writer = Ledger.create(join(tmp, 'run'));
    writer.addPlanned(await plan(join(tmp, 'data'), 1));
    const reader = Ledger.open(join(tmp, 'run'), { readonly: true });
    expect(reader.counts().miniBatches).toBe(2);
    expect(() => reader.setMeta('x', 'y')).toThrow();
    reader.close();
    writer.close();
  });
});

describe('input roots', () => {
  it('stores a root inside the run directory relative to it, so a moved run directory finds its data', async () => {
    const runDir = join(tmp, 'run');
    writeTree(join(runDir, 'inputs', 'data'), numbered(2));
    writeTree(join(tmp, 'outside'), numbered(1, 'o'));
    const ledger = Ledger.create(runDir);
    ledger.addPlanned(await plan(join(runDir, 'inputs', 'data'), 1));
    ledger.addPlanned((await plan(join(tmp, 'outside'), 1, 'other')).map((mb) => ({ ...mb, index: mb.index + 2 })));
    ledger.close();
    expect(peek(runDir, 'SELECT name, root FROM inputs ORDER BY id')).toEqual([
      { name: 'data', root: 'inputs/data' },
      { name: 'other', root: join(tmp, 'outside') },
    ]);
    renameSync(runDir, join(tmp, 'moved'));
    const moved = Ledger.open(join(tmp, 'moved'));
    expect(moved.pendingAfter(-1, 10).map((mb) => mb.items[0]?.path)).toEqual([
      join(tmp, 'moved', 'inputs', 'data', 'f00'),
      join(tmp, 'moved', 'inputs', 'data', 'f01'),
      join(tmp, 'outside', 'o00'),
    ]);
    moved.close();
  });

  it('stores items compactly as [rel, size, mtimeMs]', async () => {
    writeTree(join(tmp, 'data'), { 'a/b.txt': 'hello' });
    const ledger = Ledger.create(join(tmp, 'run'));
    ledger.addPlanned(await plan(join(tmp, 'data'), 10));
    ledger.close();
    expect(peek(join(tmp, 'run'), 'SELECT items FROM mini_batches')).toEqual([{ items: '[["a/b.txt",5,1700000000000]]' }]);
  });
});
