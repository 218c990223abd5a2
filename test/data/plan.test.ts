import { cpSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { miniBatchKey } from '../../src/data/key.js';
import { planBatches, planFiles } from '../../src/data/plan.js';
import type { PlannedMiniBatch } from '../../src/data/types.js';
import { collect, MTIME_S, nextValue, numbered, tempDir, writeTree } from './tree.js';

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir());
});
afterEach(() => cleanup());

const shape = (plan: PlannedMiniBatch[]): [number, string, string[]][] =>
  plan.map((mb) => [mb.index, mb.input, mb.items.map((i) => i.rel)]);

describe('planFiles', () => {
  it('groups consecutive files into mini-batches of miniBatchSize; the last may be short', async () => {
    writeTree(root, numbered(7));
    const plan = await collect(planFiles([{ name: 'data', path: root }], 3, null));
    expect(shape(plan)).toEqual([
      [0, 'data', ['f00', 'f01', 'f02']],
      [1, 'data', ['f03', 'f04', 'f05']],
      [2, 'data', ['f06']],
    ]);
    expect(plan[0]?.items[0]?.path).toBe(join(root, 'f00'));
  });

  it('plans several inputs one after another, counting indexes across them, never crossing an input', async () => {
    writeTree(join(root, 'one'), numbered(4));
    writeTree(join(root, 'two'), numbered(2, 'g'));
    writeTree(root, { 'single.txt': 'x' });
    const inputs = [
      { name: 'Input One', path: join(root, 'one') },
      { name: 'Input Two', path: join(root, 'two') },
      { name: 'Single', path: join(root, 'single.txt') },
    ];
    expect(shape(await collect(planFiles(inputs, 3, null)))).toEqual([
      [0, 'Input One', ['f00', 'f01', 'f02']],
      [1, 'Input One', ['f03']],
      [2, 'Input Two', ['g00', 'g01']],
      [3, 'Single', ['single.txt']],
    ]);
  });

  it('plans nothing for empty inputs', async () => {
    writeTree(root, {});
    expect(await collect(planFiles([{ name: 'empty', path: root }], 10, null))).toEqual([]);
  });

  it('plans only the first `limit` mini-batches, across inputs', async () => {
    writeTree(join(root, 'one'), numbered(4));
    writeTree(join(root, 'two'), numbered(4));
    const inputs = [{ name: 'a', path: join(root, 'one') }, { name: 'b', path: join(root, 'two') }];
    expect(shape(await collect(planFiles(inputs, 2, 3))).map(([i, input]) => [i, input])).toEqual([
      [0, 'a'], [1, 'a'], [2, 'b'],
    ]);
    expect(await collect(planFiles(inputs, 2, 0))).toEqual([]);
  });

  it('stops listing once the limit is reached (a later unreadable input is never touched)', async () => {
    writeTree(join(root, 'one'), numbered(4));
    const inputs = [{ name: 'a', path: join(root, 'one') }, { name: 'b', path: join(root, 'missing') }];
    expect(await collect(planFiles(inputs, 2, 2))).toHaveLength(2);
    await expect(collect(planFiles(inputs, 2, null))).rejects.toThrow('does not exist');
  });

  it('streams: the first mini-batch comes before listing ends', async () => {
    writeTree(root, { 'a/1': '', 'a/2': '', 'b/1': '', 'b/2': '', 'c/1': '' });
    const plan = planFiles([{ name: 'data', path: root }], 2, null);
    expect((await nextValue(plan)).items.map((i) => i.rel)).toEqual(['a/1', 'a/2']);
    // `c` is read only later (`b`, the next folder, was read ahead): a file written after the first
    // mini-batch still joins the plan.
    writeTree(root, { 'c/2': '' });
    const rest = await collect({ [Symbol.asyncIterator]: () => plan });
    expect(rest.map((mb) => mb.items.map((i) => i.rel))).toEqual([
      ['b/1', 'b/2'],
      ['c/1', 'c/2'],
    ]);
  });

  it('refuses a mini-batch size below 1', async () => {
    await expect(collect(planFiles([{ name: 'x', path: root }], 0, null))).rejects.toThrow(RangeError);
  });
});

describe('planBatches', () => {
  it('delivers planFiles in groups: the same mini-batches, in order, grouped as the listing reads them', async () => {
    // 150 files in two folders and a file: more than one run of stats per folder.
    writeTree(join(root, 'a'), numbered(150));
    writeTree(join(root, 'b'), numbered(3));
    writeTree(root, { 'c.txt': 'x' });
    const inputs = [{ name: 'data', path: root }];
    const groups = await collect(planBatches(inputs, 4, null));
    expect(groups.length).toBeGreaterThan(1);
    for (const group of groups) expect(group.length).toBeGreaterThan(0);
    expect(shape(groups.flat())).toEqual(shape(await collect(planFiles(inputs, 4, null))));
    expect(groups.flat().map((mb) => mb.index)).toEqual([...Array(39).keys()]); // 154 files, 4 a mini-batch
  });

  it('stops at the limit in the middle of a group', async () => {
    writeTree(root, numbered(100));
    const groups = await collect(planBatches([{ name: 'data', path: root }], 1, 5));
    expect(groups.flat().map((mb) => mb.items[0]?.rel)).toEqual(['f00', 'f01', 'f02', 'f03', 'f04']);
  });
});

describe('mini-batch keys', () => {
  const keysOf = async (path: string, name = 'data'): Promise<string[]> =>
    (await collect(planFiles([{ name, path }], 2, null))).map((mb) => mb.key);

  it('are 32 hex characters, stable across listings', async () => {
    writeTree(root, numbered(4));
    const keys = await keysOf(root);
    expect(keys).toHaveLength(2);
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{32}$/);
    expect(await keysOf(root)).toEqual(keys);
    expect(new Set(keys).size).toBe(2);
  });

  it('change only for the mini-batch whose file changed size or modification time', async () => {
    writeTree(root, numbered(4));
    const before = await keysOf(root);
    writeFileSync(join(root, 'f03'), 'longer content\n');
    utimesSync(join(root, 'f03'), MTIME_S, MTIME_S);
    const sized = await keysOf(root);
    expect(sized[0]).toBe(before[0]);
    expect(sized[1]).not.toBe(before[1]);
    utimesSync(join(root, 'f00'), MTIME_S, MTIME_S + 1);
    const touched = await keysOf(root);
    expect(touched[0]).not.toBe(before[0]);
    expect(touched[1]).toBe(sized[1]);
  });

  it('change with a renamed file or another input name, not with the data’s location', async () => {
    writeTree(join(root, 'here'), numbered(2));
    const before = await keysOf(join(root, 'here'));
    cpSync(join(root, 'here'), join(root, 'there'), { recursive: true, preserveTimestamps: true });
    expect(await keysOf(join(root, 'there'))).toEqual(before);
    expect(await keysOf(join(root, 'here'), 'other')).not.toEqual(before);
    rmSync(join(root, 'there', 'f01'));
    writeTree(join(root, 'there'), { f01b: 'content 1\n' });
    expect(await keysOf(join(root, 'there'))).not.toEqual(before);
  });

  it('hash the input name and each item’s path, size and mtime, unambiguously', () => {
    const item = { rel: 'a', size: 1, mtimeMs: 2 };
    expect(miniBatchKey('x', [item])).toBe(miniBatchKey('x', [{ ...item }]));
    expect(miniBatchKey('x', [item])).not.toBe(miniBatchKey('x', [{ ...item, size: 12 }]));
    expect(miniBatchKey('x', [{ rel: 'a,1', size: 1, mtimeMs: 2 }])).not.toBe(miniBatchKey('x', [{ rel: 'a', size: 11, mtimeMs: 2 }]));
  });

  it('never change between versions: a run started by an older minibatch resumes with the same keys', () => {
    const items = [
      { rel: 'a.txt', size: 3, mtimeMs: 1_700_000_000_000 },
      { rel: 'dir/é b.csv', size: 0, mtimeMs: 1_700_000_000_123 },
    ];
    expect(miniBatchKey('data', items)).toBe('fd2b2a0346a0fd51414804b3c600099f');
  });
});
