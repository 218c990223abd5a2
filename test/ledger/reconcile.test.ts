import { cpSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planFiles } from '../../src/data/plan.js';
import { Ledger } from '../../src/ledger/sqlite.js';
import type { ReconcileCounts } from '../../src/ledger/types.js';
import { MTIME_S, numbered, tempDir, writeTree } from '../data/tree.js';
import { failedTry, plan, statuses, succeeded } from './helpers.js';

let tmp: string;
let data: string;
let runDir: string;
let cleanup: () => void;
let ledger: Ledger;

const SIZE = 3;
const NOTHING: ReconcileCounts = {
  unchanged: 0, changed: 0, added: 0, removed: 0, trimmed: 0, changedFiles: 0, vanishedFiles: 0, newFiles: 0,
};

/** f00..f09 in mini-batches [f00 f01 f02] [f03 f04 f05] [f06 f07 f08] [f09]; 0–2 committed, 3 pending. */
beforeEach(async () => {
  ({ dir: tmp, cleanup } = tempDir());
  data = join(tmp, 'data');
  runDir = join(tmp, 'run');
  writeTree(data, numbered(10));
  ledger = Ledger.create(runDir);
  ledger.addPlanned(await plan(data, SIZE));
  for (let i = 0; i < 3; i++) ledger.enqueueCommit(succeeded(i, [`row ${i}`], SIZE));
});
afterEach(() => {
  ledger.close();
  cleanup();
});

const reconcile = (root = data): Promise<ReconcileCounts> => ledger.reconcile(planFiles([{ name: 'data', path: root }], SIZE, null), SIZE);
const itemsOf = (index: number): string[] | undefined => ledger.record(index)?.items.map((i) => i.rel);

describe('reconcile (resume)', () => {
  it('changes nothing when nothing changed', async () => {
    const keys = [0, 1, 2, 3].map((i) => ledger.record(i)?.key);
    expect(await reconcile()).toEqual({ ...NOTHING, unchanged: 4 });
    expect(statuses(ledger, 5)).toEqual(['succeeded', 'succeeded', 'succeeded', 'pending', undefined]);
    expect([0, 1, 2, 3].map((i) => ledger.record(i)?.key)).toEqual(keys);
    expect([...ledger.rowsInOrder()].map((r) => r.index)).toEqual([0, 1, 2]);
  });

  it('runs again only the mini-batch of a changed file, with fresh tries and no rows', async () => {
    ledger.enqueueCommit(failedTry(3, 1, 'pending'));
    const before = ledger.record(1);
    writeFileSync(join(data, 'f04'), 'changed, and longer\n');
    utimesSync(join(data, 'f04'), MTIME_S, MTIME_S);
    expect(await reconcile()).toEqual({ ...NOTHING, unchanged: 3, changed: 1, changedFiles: 1 });
    const after = ledger.record(1);
    expect(after).toMatchObject({ status: 'pending', tries: 0, generation: 1, succeededItems: 0 });
    expect(after?.key).not.toBe(before?.key);
    expect(after?.items.map((i) => [i.rel, i.size])).toEqual([['f03', 10], ['f04', 20], ['f05', 10]]);
    expect(statuses(ledger, 4)).toEqual(['succeeded', 'pending', 'succeeded', 'pending']);
    expect(ledger.record(3)?.tries).toBe(1);
    expect([...ledger.rowsInOrder()].map((r) => r.index)).toEqual([0, 2]);
    // The reset mini-batch is matched by its new key on the next resume.
    expect(await reconcile()).toEqual({ ...NOTHING, unchanged: 4 });
  });

  it('keeps the stored grouping and appends new files as new mini-batches at the end', async () => {
    writeTree(data, { f00a: 'new\n', f05a: 'new\n', f99: 'new\n', zz: 'new\n' });
    expect(await reconcile()).toEqual({ ...NOTHING, unchanged: 4, added: 2, newFiles: 4 });
    expect([0, 1, 2, 3, 4, 5].map(itemsOf)).toEqual([
      ['f00', 'f01', 'f02'], ['f03', 'f04', 'f05'], ['f06', 'f07', 'f08'], ['f09'],
      ['f00a', 'f05a', 'f99'], ['zz'],
    ]);
    expect(ledger.pendingAfter(-1, 10).map((mb) => mb.index)).toEqual([3, 4, 5]);
    expect(await reconcile()).toEqual({ ...NOTHING, unchanged: 6 });
  });

  it('lets vanished files leave pending mini-batches; committed ones keep their outcome', async () => {
    writeTree(data, { f10: 'x', f11: 'x' });
    expect(await reconcile()).toMatchObject({ added: 1 });
    // Now [f09] and [f10 f11] are pending.
    rmSync(join(data, 'f01'));
    rmSync(join(data, 'f09'));
    rmSync(join(data, 'f10'));
    expect(await reconcile()).toEqual({ ...NOTHING, unchanged: 3, removed: 1, trimmed: 1, vanishedFiles: 3 });
    expect(itemsOf(0)).toEqual(['f00', 'f01', 'f02']);
    expect(ledger.record(0)?.status).toBe('succeeded');
    expect(ledger.record(3)).toBeUndefined();
    expect(itemsOf(4)).toEqual(['f11']);
    expect(ledger.counts()).toMatchObject({ miniBatches: 4, pending: 1 });
    // Appended mini-batches never reuse the dropped index.
    writeTree(data, { f12: 'x' });
    await reconcile();
    expect(ledger.pendingAfter(-1, 10).map((mb) => [mb.index, mb.items.map((i) => i.rel)])).toEqual([
      [4, ['f11']], [5, ['f12']],
    ]);
  });

  it('completes a plan interrupted during planning, as an uninterrupted plan would be', async () => {
    const full = await plan(data, SIZE);
    ledger.close();
    rmSync(runDir, { recursive: true });
    ledger = Ledger.create(runDir);
    ledger.addPlanned(full.slice(0, 2));
    expect(await reconcile()).toEqual({ ...NOTHING, unchanged: 2, added: 2, newFiles: 4 });
    expect([0, 1, 2, 3].map((i) => ledger.record(i)?.key)).toEqual(full.map((mb) => mb.key));
  });

  it('follows data moved elsewhere with the same files (keys do not hold the root)', async () => {
    const moved = join(tmp, 'moved');
    cpSync(data, moved, { recursive: true, preserveTimestamps: true });
    rmSync(data, { recursive: true });
    expect(await reconcile(moved)).toEqual({ ...NOTHING, unchanged: 4 });
    expect(ledger.pendingAfter(-1, 1)[0]?.items[0]?.path).toBe(join(moved, 'f09'));
  });

  it('handles changed, vanished and new files together, and a failed mini-batch whose file changed', async () => {
    ledger.enqueueCommit(failedTry(3, 1, 'failed'));
    utimesSync(join(data, 'f09'), MTIME_S, MTIME_S + 5);
    utimesSync(join(data, 'f07'), MTIME_S, MTIME_S + 5);
    rmSync(join(data, 'f06'));
    writeTree(data, { f03a: 'new' });
    expect(await reconcile()).toEqual({
      unchanged: 2, changed: 2, added: 1, removed: 0, trimmed: 0, changedFiles: 2, vanishedFiles: 1, newFiles: 1,
    });
    expect(itemsOf(2)).toEqual(['f07', 'f08']);
    expect(ledger.record(3)).toMatchObject({ status: 'pending', tries: 0, generation: 1 });
    expect(itemsOf(4)).toEqual(['f03a']);
  });

  it('adds an input that had no files when the run was planned', async () => {
    const other = join(tmp, 'other');
    writeTree(other, numbered(2, 'o'));
    const counts = await ledger.reconcile(
      planFiles([{ name: 'data', path: data }, { name: 'other', path: other }], SIZE, null),
      SIZE,
    );
    expect(counts).toEqual({ ...NOTHING, unchanged: 4, added: 1, newFiles: 2 });
    expect(ledger.record(4)).toMatchObject({ input: 'other', items: [{ rel: 'o00' }, { rel: 'o01' }] });
  });
});
