import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listFileBatches, listFiles } from '../../src/data/list.js';
import { UsageError } from '../../src/core/errors.js';
import { collect, MTIME_S, nextValue, tempDir, writeTree } from './tree.js';

/** The built listing (`npm test` builds first), for a child process that runs as `nobody`. */
const DIST_LIST = fileURLToPath(new URL('../../dist/data/list.js', import.meta.url));
const NOBODY = 65534;
const LIST_AS_CHILD = `
const { listFiles } = await import(process.argv[1]);
try { for await (const _ of listFiles(process.argv[2])) {} console.log('listed'); } catch (e) { console.log(e.message); }
`;

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir());
});
afterEach(() => cleanup());

const rels = async (path: string): Promise<string[]> => (await collect(listFiles(path))).map((i) => i.rel);

describe('listFileBatches', () => {
  afterEach(() => vi.restoreAllMocks());

  it('yields runs of at most 64 files, ending one before a folder too; all files, in listing order', async () => {
    writeTree(root, Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`a/f${String(i).padStart(3, '0')}`, ''])));
    writeTree(root, Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`b/g${i}`, ''])));
    const batches = await collect(listFileBatches(root));
    expect(batches.map((b) => b.length)).toEqual([64, 64, 22, 10]);
    expect(batches.flat().map((f) => f.rel)).toEqual(await rels(root));
  });

  it('ends a run early when stats are slow (a slow file system), skipping and repeating nothing', async () => {
    writeTree(root, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`sub/f${String(i).padStart(2, '0')}`, ''])));
    const expected = await rels(root);
    // Each reading of the clock is a millisecond later: as if every stat took that long.
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 1));
    const batches = await collect(listFileBatches(root));
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(3);
    expect(batches.flat().map((f) => f.rel)).toEqual(expected);
  });
});

describe('listFiles', () => {
  it('lists every file in byte order of relative paths, a directory compared as `name/`', async () => {
    writeTree(root, {
      'a/x': '', 'a-b': '', 'a.txt': '', 'a/.z': '', B: '', b: '', z: '', '.hidden': '',
      'ä': '', '\uE000': '', '😀': '', 'deep/er/est/file': '',
    });
    // UTF-16 order would put 😀 (D83D…) before U+E000; UTF-8 bytes (F0… vs EE…) do not.
    expect(await rels(root)).toEqual([
      '.hidden', 'B', 'a-b', 'a.txt', 'a/.z', 'a/x', 'b', 'deep/er/est/file', 'z', 'ä', '\uE000', '😀',
    ]);
  });

  it('gives absolute paths, sizes and integer modification times', async () => {
    writeTree(root, { 'sub/data.bin': 'hello' });
    const path = join(root, 'sub/data.bin');
    utimesSync(path, MTIME_S, 1_700_000_000.789);
    const [item] = await collect(listFiles(root));
    expect(item).toEqual({ path, rel: 'sub/data.bin', size: 5, mtimeMs: 1_700_000_000_789 });
    expect(Number.isInteger(item?.mtimeMs)).toBe(true);
  });

  it('lists a single-file input as that file, named by its base name', async () => {
    writeTree(root, { 'one.csv': 'a,b\n' });
    const items = await collect(listFiles(join(root, 'one.csv')));
    expect(items).toEqual([{ path: join(root, 'one.csv'), rel: 'one.csv', size: 4, mtimeMs: MTIME_S * 1000 }]);
  });

  it('follows links to files (with the target’s size) and to directories, under the link’s own path', async () => {
    writeTree(root, { 'data/real.txt': '12345', 'elsewhere/inner.txt': 'x' });
    symlinkSync(join(root, 'data/real.txt'), join(root, 'data/link.txt'));
    symlinkSync(join(root, 'elsewhere'), join(root, 'data/linked-dir'));
    const items = await collect(listFiles(join(root, 'data')));
    expect(items.map((i) => [i.rel, i.size])).toEqual([
      ['link.txt', 5],
      ['linked-dir/inner.txt', 1],
      ['real.txt', 5],
    ]);
    expect(items[1]?.path).toBe(join(root, 'data/linked-dir/inner.txt'));
  });

  it('skips directory links that loop back to an ancestor, and dangling links', async () => {
    writeTree(root, { 'top/a.txt': '', 'top/sub/b.txt': '' });
    symlinkSync('..', join(root, 'top/sub/up'));
    symlinkSync(join(root, 'top'), join(root, 'top/sub/again'));
    symlinkSync('.', join(root, 'top/self'));
    symlinkSync(join(root, 'missing'), join(root, 'top/dangling'));
    symlinkSync('loop2', join(root, 'top/loop1'));
    symlinkSync('loop1', join(root, 'top/loop2'));
    expect(await rels(join(root, 'top'))).toEqual(['a.txt', 'sub/b.txt']);
  });

  it('walks a link to a directory that is not an ancestor, even twice', async () => {
    writeTree(root, { 'shared/s.txt': '', 'x/keep.txt': '' });
    symlinkSync(join(root, 'shared'), join(root, 'x/one'));
    symlinkSync(join(root, 'shared'), join(root, 'x/two'));
    expect(await rels(join(root, 'x'))).toEqual(['keep.txt', 'one/s.txt', 'two/s.txt']);
  });

  it('lists an empty folder as nothing', async () => {
    mkdirSync(join(root, 'empty/also-empty'), { recursive: true });
    expect(await rels(join(root, 'empty'))).toEqual([]);
  });

  it('reads lazily: one directory at a time (and the next one ahead), depth first', async () => {
    // A deep tree: if the walk read everything first, later changes would not show.
    let path = root;
    for (let depth = 0; depth < 40; depth++) {
      path = join(path, `d${String(depth).padStart(2, '0')}`);
      writeTree(path, { 'f.txt': '' });
    }
    writeTree(root, { 'l/ahead.txt': '', 'm/gone.txt': '', 'm/kept.txt': '' });
    const it = listFiles(root);
    expect((await nextValue(it)).rel).toBe('d00/d01/d02/d03/d04/d05/d06/d07/d08/d09/d10/d11/d12/d13/d14/d15/d16/d17/d18/d19/d20/d21/d22/d23/d24/d25/d26/d27/d28/d29/d30/d31/d32/d33/d34/d35/d36/d37/d38/d39/f.txt');
    rmSync(join(root, 'm/gone.txt'));
    // `m` has not been read yet (the walk reads one folder ahead: `l`, once it stands in the deepest
    // one); the root has, so a new top-level entry would not show.
    writeTree(root, { 'm/late.txt': '' });
    const rest: string[] = [];
    for (let r = await it.next(); r.done !== true; r = await it.next()) rest.push(r.value.rel);
    expect(rest.at(-4)).toBe('d00/f.txt');
    expect(rest.slice(-3)).toEqual(['l/ahead.txt', 'm/kept.txt', 'm/late.txt']);
  });

  it('refuses a missing input with an error naming the path', async () => {
    const missing = join(root, 'nope');
    await expect(collect(listFiles(missing))).rejects.toThrow(UsageError);
    await expect(collect(listFiles(missing))).rejects.toThrow(`input path ${missing} does not exist`);
  });

  it('refuses an unreadable folder with an error naming it', async () => {
    writeTree(root, { 'locked/secret.txt': '' });
    const locked = join(root, 'locked');
    const mode = statSync(locked).mode;
    chmodSync(locked, 0o000);
    try {
      const expected = `cannot read input folder ${locked}: permission denied (EACCES)`;
      if (process.getuid?.() !== 0) {
        await expect(collect(listFiles(root))).rejects.toThrow(expected);
        return;
      }
      // Root reads everything (CI runs as root): list as `nobody` in a child process instead.
      for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) chmodSync(dir, statSync(dir).mode | 0o055);
      const child = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', LIST_AS_CHILD, pathToFileURL(DIST_LIST).href, root],
        { uid: NOBODY, gid: NOBODY, encoding: 'utf8' },
      );
      expect(child.stdout.trim()).toBe(expected);
    } finally {
      chmodSync(locked, mode);
    }
  });

  it('fails with an error naming a folder that cannot be read (here: replaced by a file mid-walk)', async () => {
    // `b` is read ahead while the walk is in `a`; `sub` only once it gets to `b`.
    writeTree(root, { 'a/first.txt': '', 'b/second.txt': '', 'sub/x.txt': '' });
    const it = listFiles(root);
    expect((await nextValue(it)).rel).toBe('a/first.txt');
    rmSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'sub'), '');
    expect((await nextValue(it)).rel).toBe('b/second.txt');
    await expect(it.next()).rejects.toThrow(`cannot read input folder ${join(root, 'sub')}`);
  });

  it('skips FIFOs and other entries that are not regular files', async () => {
    writeTree(root, { 'ok.txt': '' });
    writeFileSync(join(root, 'ok2.txt'), '');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(root, 'pipe')]);
    expect(await rels(root)).toEqual(['ok.txt', 'ok2.txt']);
  });
});

describe("minibatch's own folder", () => {
  it('leaves .minibatch (run directories) out of a listing, keeping other hidden files', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeTree(dir, { '.hidden': '', 'a.txt': '', '.minibatch/runs/r1/state.db': '' });
      expect((await collect(listFiles(dir))).map((f) => f.rel)).toEqual(['.hidden', 'a.txt']);
    } finally {
      cleanup();
    }
  });
});
