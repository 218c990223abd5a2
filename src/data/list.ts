/**
 * Listing a file dataset (docs/ARCHITECTURE.md, "Flow"): every regular file under a
 * folder, in a deterministic order, streamed.
 *
 * Order: relative paths in UTF-8 byte order, a directory compared as `name/`. Walking depth-first
 * and sorting each directory's entries by that rule yields exactly the global order, because every
 * descendant of `name/` shares that prefix. So memory grows with the largest directories (this one
 * and the next, which is read while this one's files are stat'ed) and the depth, never with the
 * whole dataset, and the first file comes after reading one directory per level.
 */
import { statSync, type Dirent, type Stats } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { UsageError } from '../core/errors.js';
import type { FileItem } from './types.js';

/**
 * Files stat'ed at a time before the event loop gets a turn. `statSync` costs ~3 µs a file where
 * `fs.promises.stat` costs ~17 µs of the main thread: listing shares that thread with the
 * scheduler, so it stats synchronously, in short runs, and yields between them.
 */
const STAT_RUN = 64;
/**
 * A run also ends after this long. On a slow shared file system (a millisecond a stat) 64 stats
 * would hold the scheduler for 64 ms while each worker has only ~10 ms of work queued: workers
 * would wait through most of a long listing.
 */
const STAT_RUN_MS = 2;

interface Entry {
  readonly name: string;
  /** `name`, or `name/` for a directory: sorted in UTF-8 byte order (`compareEntries`). */
  readonly sortKey: string;
  /** The key has a character from U+D800 up, where UTF-16 order and UTF-8 order can differ. */
  readonly wide: boolean;
  readonly kind: 'file' | 'dir';
  /** Known when classifying needed a `stat` (symbolic links, unknown dirent types). */
  stats: Stats | null;
  /** Reached through a symbolic link, or of unknown type: its real path must be resolved. */
  readonly viaLink: boolean;
}

/** A directory being walked: the explicit stack avoids a generator per level. */
interface Frame {
  readonly dir: string;
  /** `''` for the root, else `sub/dir/`. */
  readonly relDir: string;
  readonly realDir: string;
  readonly entries: Entry[];
  next: number;
}

/**
 * Every regular file under `root` (a folder, walked recursively), or `root` itself when it is a file.
 * Hidden files are included; symbolic links to files and to directories are followed, but a link
 * back to a directory on the current path (a loop) is skipped, as are dangling links, sockets,
 * FIFOs and devices. Throws a `UsageError` naming the path when `root` is missing or a directory
 * cannot be read.
 */
export async function* listFiles(root: string): AsyncGenerator<FileItem> {
  for await (const batch of listFileBatches(root)) yield* batch;
}

/**
 * `listFiles` in batches of up to STAT_RUN files, in the same order: what planning reads. The walk
 * itself is synchronous code (`Walk.take`); only reading a directory waits. A large async
 * generator costs more to optimize than listing 20,000 files does (bench/).
 */
export async function* listFileBatches(root: string): AsyncGenerator<FileItem[]> {
  const walk = await Walk.start(root);
  for (;;) {
    const batch = walk.take(STAT_RUN);
    if (batch.length > 0) yield batch;
    if (walk.done) return;
    // Stopped at a directory (its entries are read asynchronously), or after a full run of stats
    // (the event loop gets a turn: listing shares the thread with the scheduler).
    if (walk.atDirectory) await walk.enter();
    else await nextTurn();
  }
}

/** A depth-first walk in listing order, driven by `listFileBatches`. */
class Walk {
  /** Real paths of the directories on the current path: a link to one of them is a loop. */
  private readonly onPath = new Set<string>();
  private readonly stack: Frame[] = [];
  /** The root itself, when it is a file. */
  private single: FileItem | null = null;
  /**
   * The next directory in walk order, being read while this one's files are stat'ed: reading a
   * directory waits for the thread pool, and a walk that waited for each one left the main thread,
   * which the scheduler shares, idle at every folder (bench/). One folder ahead at most:
   * memory still grows with the largest folder (two), not with the dataset.
   */
  private ahead: { readonly path: string; readonly dirents: Promise<Dirent[]> } | null = null;

  static async start(root: string): Promise<Walk> {
    const walk = new Walk();
    const absRoot = resolve(root);
    const rootStats = statOrThrow(absRoot);
    if (rootStats.isFile()) {
      walk.single = toItem(absRoot, basename(absRoot), rootStats);
      return walk;
    }
    if (!rootStats.isDirectory()) throw new UsageError(`input path ${absRoot} is neither a file nor a folder`);
    const realRoot = await realpathOrThrow(absRoot);
    walk.onPath.add(realRoot);
    walk.stack.push({ dir: absRoot, relDir: '', realDir: realRoot, entries: await readEntries(absRoot, null), next: 0 });
    walk.readAhead();
    return walk;
  }

  get done(): boolean {
    return this.single === null && this.stack.length === 0;
  }

  /** The walk stands before a directory: `enter()` it before taking more. */
  get atDirectory(): boolean {
    const top = this.stack.at(-1);
    return top?.entries[top.next]?.kind === 'dir';
  }

  /** Up to `max` files, or what `STAT_RUN_MS` allows, stopping early before a directory or at the end. */
  take(max: number): FileItem[] {
    const out: FileItem[] = [];
    if (this.single !== null) {
      out.push(this.single);
      this.single = null;
      return out;
    }
    const until = performance.now() + STAT_RUN_MS;
    for (let top = this.stack.at(-1); top !== undefined && out.length < max; top = this.stack.at(-1)) {
      if (out.length > 0 && performance.now() > until) break;
      const entry = top.entries[top.next];
      if (entry === undefined) {
        this.stack.pop();
        this.onPath.delete(top.realDir);
        continue;
      }
      if (entry.kind === 'dir') break;
      top.next++;
      const path = childPath(top.dir, entry.name);
      // A file removed between readdir and stat is simply not part of the dataset.
      const stats = entry.stats ?? statFollowing(path);
      if (stats !== null) out.push(toItem(path, top.relDir + entry.name, stats));
    }
    return out;
  }

  /** Steps into the directory the walk stands before (unless it is a loop). */
  async enter(): Promise<void> {
    const top = this.stack.at(-1);
    const entry = top?.entries[top.next];
    if (top === undefined || entry === undefined) return;
    top.next++;
    const path = childPath(top.dir, entry.name);
    const real = entry.viaLink ? await realpathOrThrow(path) : join(top.realDir, entry.name);
    if (this.onPath.has(real)) return;
    this.onPath.add(real);
    const ahead = this.ahead?.path === path ? this.ahead.dirents : null;
    this.stack.push({ dir: path, relDir: `${top.relDir}${entry.name}/`, realDir: real, entries: await readEntries(path, ahead), next: 0 });
    this.readAhead();
  }

  /** Starts reading the directory the walk will enter next: the first one below or after where it stands. */
  private readAhead(): void {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const frame = this.stack[i] as Frame;
      for (let j = frame.next; j < frame.entries.length; j++) {
        const entry = frame.entries[j] as Entry;
        if (entry.kind !== 'dir') continue;
        const path = childPath(frame.dir, entry.name);
        if (this.ahead?.path !== path) {
          const dirents = readdir(path, { withFileTypes: true });
          // Awaited when the walk gets there; a walk that stops first (--limit, a loop) never does.
          dirents.catch(() => undefined);
          this.ahead = { path, dirents };
        }
        return;
      }
    }
    this.ahead = null;
  }
}

/** `.minibatch`: run directories and caches; left out of every listing. */
const OWN_FOLDER = '.minibatch';

/** Reads one directory (or takes what the walk read ahead of it), classifies its entries (following links) and sorts them. */
async function readEntries(dir: string, ahead: Promise<Dirent[]> | null): Promise<Entry[]> {
  let dirents: Dirent[];
  try {
    dirents = await (ahead ?? readdir(dir, { withFileTypes: true }));
  } catch (error) {
    throw unreadable(dir, 'folder', error);
  }
  const entries: Entry[] = [];
  let classified = 0;
  for (const d of dirents) {
    if (d.isFile()) entries.push(entry(d.name, 'file', null, false));
    else if (d.isDirectory()) {
      // minibatch's own folder (run directories) is never data, even when a run's input holds it.
      if (d.name !== OWN_FOLDER) entries.push(entry(d.name, 'dir', null, false));
    }
    // Symbolic links, and entries whose type the file system did not report (DT_UNKNOWN).
    else if (d.isSymbolicLink() || isUnknown(d)) {
      if (++classified % STAT_RUN === 0) await nextTurn();
      const s = statFollowing(childPath(dir, d.name));
      if (s?.isFile() === true) entries.push(entry(d.name, 'file', s, true));
      else if (s?.isDirectory() === true) entries.push(entry(d.name, 'dir', s, true));
    }
    // Sockets, FIFOs, devices: not files a script can read as data.
  }
  entries.sort(compareEntries);
  return entries;
}

/**
 * UTF-8 byte order of the sort keys. Comparing strings compares UTF-16 code units, which agrees
 * with it except where a surrogate (a character past U+FFFF) meets a character from U+E000 to
 * U+FFFF; keys with such characters are compared as bytes. A Buffer per entry cost more than
 * the rest of listing a file (bench/).
 */
function compareEntries(a: Entry, b: Entry): number {
  if (a.wide || b.wide) return Buffer.compare(Buffer.from(a.sortKey, 'utf8'), Buffer.from(b.sortKey, 'utf8'));
  return a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0;
}

const WIDE = /[\uD800-\uFFFF]/;

/** `join` without its normalizing, which costs at a million files; `dir` is already absolute and clean. */
function childPath(dir: string, name: string): string {
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

function entry(name: string, kind: 'file' | 'dir', stats: Stats | null, viaLink: boolean): Entry {
  const sortKey = kind === 'dir' ? `${name}/` : name;
  return { name, sortKey, wide: WIDE.test(sortKey), kind, stats, viaLink };
}

function isUnknown(d: Dirent): boolean {
  return !(d.isFile() || d.isDirectory() || d.isSymbolicLink() || d.isFIFO() || d.isSocket() ||
    d.isBlockDevice() || d.isCharacterDevice());
}

function toItem(path: string, rel: string, stats: Stats): FileItem {
  return { path, rel, size: stats.size, mtimeMs: Math.trunc(stats.mtimeMs) };
}

/** `stat` following links; null when the target is gone (a dangling link, a link loop, a race). */
function statFollowing(path: string): Stats | null {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP' || code === 'ENOTDIR') return null;
    throw unreadable(path, 'path', error);
  }
}

function statOrThrow(path: string): Stats {
  let stats: Stats | undefined;
  try {
    stats = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    throw unreadable(path, 'path', error);
  }
  if (stats === undefined) throw new UsageError(`input path ${path} does not exist`);
  return stats;
}

async function realpathOrThrow(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    throw unreadable(path, 'folder', error);
  }
}

function unreadable(path: string, what: string, error: unknown): UsageError {
  const code = errorCode(error);
  const denied = code === 'EACCES' || code === 'EPERM';
  const why = denied ? 'permission denied' : error instanceof Error ? error.message : String(error);
  return new UsageError(`cannot read input ${what} ${path}: ${why}${code !== undefined && denied ? ` (${code})` : ''}`, { cause: error });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
