import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/sqlite.js';
import { numbered, tempDir, writeTree } from '../data/tree.js';
import { failedTry, peek, plan, statuses, succeeded, tryRecord } from './helpers.js';

let tmp: string;
let runDir: string;
let cleanup: () => void;
let ledger: Ledger;

/** A ledger with `count` one-file mini-batches planned. */
async function planned(count: number, options: Parameters<typeof Ledger.create>[1] = {}): Promise<Ledger> {
  writeTree(join(tmp, 'data'), numbered(count));
  const l = Ledger.create(runDir, options);
  l.addPlanned(await plan(join(tmp, 'data'), 1));
  return l;
}

const committedTries = (): number => peek<{ n: number }>(runDir, 'SELECT count(*) AS n FROM tries')[0]?.n ?? -1;

beforeEach(() => {
  ({ dir: tmp, cleanup } = tempDir());
  runDir = join(tmp, 'run');
});
afterEach(() => {
  ledger.close();
  cleanup();
});

describe('planning and paging', () => {
  it('pages through pending mini-batches in index order, with absolute paths', async () => {
    ledger = await planned(25);
    const seen: number[] = [];
    for (let page = ledger.pendingAfter(-1, 10); page.length > 0; page = ledger.pendingAfter(page.at(-1)?.index ?? 0, 10)) {
      seen.push(...page.map((mb) => mb.index));
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const [first] = ledger.pendingAfter(-1, 1);
    expect(first).toMatchObject({ index: 0, input: 'data', status: 'pending', tries: 0, generation: 0 });
    expect(first?.items).toEqual([{ path: join(tmp, 'data', 'f00'), rel: 'f00', size: 10, mtimeMs: 1_700_000_000_000 }]);
  });

  it('skips mini-batches that are no longer pending, and sees batches planned after paging began', async () => {
    writeTree(join(tmp, 'data'), numbered(6));
    const all = await plan(join(tmp, 'data'), 1);
    ledger = Ledger.create(runDir);
    ledger.addPlanned(all.slice(0, 3));
    expect(ledger.pendingAfter(-1, 10).map((mb) => mb.index)).toEqual([0, 1, 2]);
    ledger.enqueueCommit(succeeded(1, ['one']));
    ledger.addPlanned(all.slice(3));
    expect(ledger.pendingAfter(0, 10).map((mb) => mb.index)).toEqual([2, 3, 4, 5]);
  });

  it('refuses a mini-batch planned twice', async () => {
    ledger = await planned(2);
    expect(() => ledger.addPlanned(ledger.pendingAfter(-1, 1).map((mb) => ({ ...mb })))).toThrow(/UNIQUE/);
  });
});

describe('commits', () => {
  it('are buffered, then written in one go on flush, visible to a fresh connection', async () => {
    ledger = await planned(3, { flushIntervalMs: 60_000 });
    ledger.enqueueCommit(succeeded(0, ['a']));
    ledger.enqueueCommit(succeeded(2, ['c']));
    expect(committedTries()).toBe(0);
    ledger.flush();
    expect(committedTries()).toBe(2);
    expect(peek(runDir, 'SELECT idx, status, tries FROM mini_batches ORDER BY idx')).toEqual([
      { idx: 0, status: 'succeeded', tries: 1 },
      { idx: 1, status: 'pending', tries: 0 },
      { idx: 2, status: 'succeeded', tries: 1 },
    ]);
  });

  it('are written by themselves within the flush interval', async () => {
    ledger = await planned(2, { flushIntervalMs: 30 });
    ledger.enqueueCommit(succeeded(0, ['a']));
    expect(committedTries()).toBe(0);
    await sleep(150);
    expect(committedTries()).toBe(1);
  });

  it('are written at once when flushMaxCommits are buffered', async () => {
    ledger = await planned(5, { flushIntervalMs: 60_000, flushMaxCommits: 3 });
    for (let i = 0; i < 4; i++) ledger.enqueueCommit(succeeded(i, [`r${i}`]));
    expect(committedTries()).toBe(3);
  });

  it('are read back by the writer before they are flushed (reads flush first)', async () => {
    ledger = await planned(2, { flushIntervalMs: 60_000 });
    ledger.enqueueCommit(succeeded(1, ['x']));
    expect(ledger.record(1)?.status).toBe('succeeded');
  });

  it('record tries, counts, timings and the last error', async () => {
    ledger = await planned(3);
    ledger.enqueueCommit(failedTry(0, 1, 'pending', 'first'));
    ledger.enqueueCommit({ ...succeeded(0, ['a']), try: tryRecord(0, { attempt: 2, startedAt: 1_700_000_000_100, durationMs: 5 }) });
    ledger.enqueueCommit(failedTry(1, 1, 'pending'));
    ledger.enqueueCommit(failedTry(1, 2, 'failed', 'last'));
    const zero = ledger.record(0);
    expect(zero).toMatchObject({
      status: 'succeeded', tries: 2, succeededItems: 1, failedItems: 0,
      firstStartedAt: 1_700_000_000_000, lastEndedAt: 1_700_000_000_105, durationMs: 15,
      lastError: { type: 'ValueError', message: 'first', traceback: 'Traceback...' },
    });
    expect(ledger.record(1)).toMatchObject({ status: 'failed', tries: 2, succeededItems: 0, failedItems: 1 });
    expect(ledger.record(1)?.lastError?.message).toBe('last');
    expect(ledger.counts()).toEqual({
      miniBatches: 3, items: 3, pending: 1, succeeded: 1, partial: 0, failed: 1,
      succeededItems: 1, failedItems: 1, tries: 4,
    });
  });

  it('keep rows exactly once: a later commit replaces them, a failure drops them', async () => {
    ledger = await planned(3);
    ledger.enqueueCommit({ ...succeeded(1, ['old']), status: 'partial' });
    ledger.enqueueCommit(succeeded(1, ['new-1', 'new-2']));
    ledger.enqueueCommit(succeeded(2, ['two']));
    ledger.flush();
    expect(peek(runDir, 'SELECT idx FROM rows ORDER BY idx')).toEqual([{ idx: 1 }, { idx: 2 }]);
    expect([...ledger.rowsInOrder()]).toEqual([
      { index: 1, rows: { kind: 'lines', lines: ['new-1', 'new-2'] } },
      { index: 2, rows: { kind: 'lines', lines: ['two'] } },
    ]);
    ledger.enqueueCommit(failedTry(2, 2, 'failed'));
    expect([...ledger.rowsInOrder()].map((r) => r.index)).toEqual([1]);
  });

  it('yield rows in mini-batch order whatever the commit order, across pages', async () => {
    ledger = await planned(100);
    const order = Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    for (const i of order) ledger.enqueueCommit(succeeded(i, [`row ${i}`]));
    const rows = [...ledger.rowsInOrder()];
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(rows[42]?.rows).toEqual({ kind: 'lines', lines: ['row 42'] });
  });

  it('stream many rows in pages without holding the connection', async () => {
    writeTree(join(tmp, 'data'), numbered(1));
    ledger = Ledger.create(runDir);
    const base = (await plan(join(tmp, 'data'), 1))[0];
    if (base === undefined) throw new Error('no plan');
    ledger.addPlanned(Array.from({ length: 1234 }, (_, i) => ({ ...base, index: i, key: `k${i}` })));
    for (let i = 0; i < 1234; i++) ledger.enqueueCommit(succeeded(i, [`${i}`]));
    let n = 0;
    for (const r of ledger.rowsInOrder()) {
      expect(r.index).toBe(n++);
      if (n === 700) ledger.setMeta('while-reading', 'fine');
    }
    expect(n).toBe(1234);
  });

  it('list tries in commit order, failed ones alone, and the first errors', async () => {
    ledger = await planned(3);
    ledger.enqueueCommit(failedTry(2, 1, 'pending', 'e1'));
    ledger.enqueueCommit(succeeded(0, ['a']));
    ledger.enqueueCommit(failedTry(2, 2, 'pending', 'e2'));
    ledger.enqueueCommit(failedTry(1, 1, 'pending', 'e3'));
    expect([...ledger.triesInOrder()].map((t) => [t.miniBatch, t.attempt, t.outcome])).toEqual([
      [2, 1, 'raised'], [0, 1, 'succeeded'], [2, 2, 'raised'], [1, 1, 'raised'],
    ]);
    expect([...ledger.triesInOrder({ failedOnly: true })].map((t) => t.error?.message)).toEqual(['e1', 'e2', 'e3']);
    expect(ledger.failedTries(2).map((t) => t.error?.message)).toEqual(['e1', 'e2']);
    expect(ledger.failedTries(1)[0]).toEqual({ ...failedTry(2, 1, 'pending', 'e1').try, generation: 0 });
  });

  it('keep every try in commit order in a large flush, retries of the same mini-batch included', async () => {
    ledger = await planned(120);
    // More than one statement's worth of rows, out of index order, with tries of the same
    // mini-batch in one flush (they cannot share a statement).
    const order = Array.from({ length: 120 }, (_, i) => (i * 53) % 120);
    for (const i of order) ledger.enqueueCommit(failedTry(i, 1, 'pending', `first ${i}`));
    for (const i of order) ledger.enqueueCommit({ ...succeeded(i, [`row ${i}`]), try: tryRecord(i, { attempt: 2 }) });
    const tries = [...ledger.triesInOrder()];
    expect(tries.map((t) => [t.miniBatch, t.attempt, t.outcome])).toEqual([
      ...order.map((i) => [i, 1, 'raised']),
      ...order.map((i) => [i, 2, 'succeeded']),
    ]);
    const counts = ledger.counts();
    expect([counts.succeeded, counts.pending, counts.tries]).toEqual([120, 0, 240]);
    expect(ledger.record(77)).toMatchObject({ status: 'succeeded', tries: 2, succeededItems: 1, lastError: { message: 'first 77' } });
  });

  it('write a flush of full successes in bulk exactly as they would be written one by one', async () => {
    // The same history twice: once the big flush holds only full successes (written in bulk),
    // once a partial success of another mini-batch rides along (written one by one).
    const history = async (dir: string, mixed: boolean): Promise<{ records: unknown[]; tries: unknown[]; rows: unknown[] }> => {
      writeTree(join(tmp, 'data'), numbered(121));
      const l = Ledger.create(dir);
      try {
        l.addPlanned(await plan(join(tmp, 'data'), 1));
        for (let i = 0; i < 10; i++) l.enqueueCommit(failedTry(i * 7, 1, 'failed', `old ${i}`));
        l.flush();
        l.resetForRetry(['failed']); // a new generation for 0, 7, …, 63
        l.enqueueCommit(failedTry(5, 1, 'pending', 'retried'));
        l.flush();
        const order = Array.from({ length: 120 }, (_, i) => (i * 53) % 120);
        for (const i of order) {
          const t = tryRecord(i, { attempt: i === 5 ? 2 : 1, startedAt: 1_700_000_000_000 + i * 3, durationMs: i % 7, worker: `worker-${i % 2}` });
          l.enqueueCommit({ try: t, status: 'succeeded', rows: i % 3 === 0 ? null : { kind: 'lines', lines: [`row ${i}`] } });
        }
        if (mixed) l.enqueueCommit({ ...succeeded(120, ['short']), status: 'partial', try: tryRecord(120, { succeededItems: 0, failedItems: 1 }) });
        l.flush();
        return {
          records: Array.from({ length: 120 }, (_, i) => l.record(i)),
          tries: [...l.triesInOrder()].filter((t) => t.miniBatch < 120),
          rows: [...l.rowsInOrder()].filter((r) => r.index < 120),
        };
      } finally {
        l.close();
      }
    };
    const bulk = await history(join(tmp, 'bulk'), false);
    const oneByOne = await history(join(tmp, 'one-by-one'), true);
    expect(bulk).toEqual(oneByOne);
    expect(bulk.tries).toHaveLength(10 + 1 + 120);
    expect(bulk.records[63]).toMatchObject({ status: 'succeeded', tries: 1, generation: 1, succeededItems: 1, lastError: { message: 'old 9' } });
    expect(bulk.records[5]).toMatchObject({ status: 'succeeded', tries: 2, generation: 0, firstStartedAt: 1_700_000_000_005, durationMs: 10 + 5 });
    ledger = Ledger.open(join(tmp, 'bulk'));
  });

  it('report a failed timer flush and keep the commits buffered', async () => {
    const errors: unknown[] = [];
    ledger = await planned(1, { flushIntervalMs: 10, onFlushError: (e) => errors.push(e) });
    ledger.enqueueCommit(succeeded(7, ['not planned']));
    await sleep(80);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/mini-batch 7, which is not planned/);
    expect(() => ledger.enqueueCommit(succeeded(0, ['x']))).toThrow(/not planned/);
    expect(() => ledger.flush()).toThrow(/not planned/);
    expect(committedTries()).toBe(0);
    // Leave the wedged buffer behind: close would throw it again.
    expect(() => ledger.close()).toThrow(/not planned/);
    ledger = Ledger.open(runDir);
  });
});

describe('retry-failed and finalize', () => {
  it('resetForRetry gives failed and partial mini-batches fresh tries, a new generation and no rows', async () => {
    ledger = await planned(4);
    ledger.enqueueCommit(succeeded(0, ['ok']));
    ledger.enqueueCommit({ ...succeeded(1, ['short'], 0), status: 'partial' });
    ledger.enqueueCommit(failedTry(2, 1, 'failed'));
    expect(ledger.resetForRetry(['failed', 'partial'])).toBe(2);
    expect(statuses(ledger, 4)).toEqual(['succeeded', 'pending', 'pending', 'pending']);
    expect(ledger.record(1)).toMatchObject({ tries: 0, generation: 1, succeededItems: 0, failedItems: 0 });
    expect([...ledger.rowsInOrder()].map((r) => r.index)).toEqual([0]);
    ledger.enqueueCommit(succeeded(1, ['full']));
    expect([...ledger.rowsInOrder()]).toEqual([
      { index: 0, rows: { kind: 'lines', lines: ['ok'] } },
      { index: 1, rows: { kind: 'lines', lines: ['full'] } },
    ]);
    expect([...ledger.triesInOrder()].filter((t) => t.miniBatch === 1).map((t) => [t.generation, t.attempt])).toEqual([
      [0, 1], [1, 1],
    ]);
    expect(ledger.counts().tries).toBe(4);
  });

  it('failMiniBatch fails a committed mini-batch after the fact and drops its rows', async () => {
    ledger = await planned(2);
    ledger.enqueueCommit(succeeded(0, ['a']));
    ledger.failMiniBatch(0, { type: 'RowsDoNotFitHeader', message: 'columns differ', traceback: '' });
    expect(ledger.record(0)).toMatchObject({ status: 'failed', succeededItems: 0, failedItems: 1, lastError: { type: 'RowsDoNotFitHeader' } });
    expect([...ledger.rowsInOrder()]).toEqual([]);
    expect(() => ledger.failMiniBatch(9, { type: 'X', message: '', traceback: '' })).toThrow(/not planned/);
  });
});
