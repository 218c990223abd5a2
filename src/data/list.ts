/**
 * Listing a file dataset (issue 3, "Data and planning"; DESIGN §2): every regular file under a
 * folder, in a deterministic order, streamed.
 *
 * Order: relative paths in UTF-8 byte order, a directory compared as `name/`. Walking depth-first
 * and sorting each directory's entries by that rule yields exactly the global order, because every
 * descendant of `name/` shares that prefix. So memory grows with the largest single directory,
 * never with the whole dataset, and the first file is yielded after reading one directory per level.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { FileItem } from './types.js';

/** Files whose `stat` runs concurrently: enough to keep libuv's threads busy, few enough to stay small. */
const STAT_CONCURRENCY = 64;

interface Entry {
  readonly name: string;
  /** UTF-8 bytes of `name`, or of `name/` for a directory: the sort key. */
  readonly sortKey: Buffer;
  readonly kind: 'file' | 'dir';
  /** Known when classifying needed a `stat` (symbolic links, unknown dirent types). */
  stats: Stats | null;
  /** The entry was reached through a symbolic link, or its type was unknown: resolve its real path. */
  readonly viaLink: boolean;
}

/**
 * Every regular file under `root` (a folder, walked recursively), or `root` itself when it is a file.
 * Hidden files are included; symbolic links to files and to directories are followed, but a link
 * back to a directory on the current path (a loop) is skipped, as are dangling links, sockets,
 * FIFOs and devices. Throws a `UsageError` naming the path when `root` is missing or a directory
 * cannot be read.
 */
export async function* listFiles(root: string): AsyncGenerator<FileItem> {
  const absRoot = resolve(root);
  const rootStats = await statOrThrow(absRoot, 'input path');
  if (rootStats.isFile()) {
    yield toItem(absRoot, basename(absRoot), rootStats);
    return;
  }
  if (!rootStats.isDirectory()) {
    throw new UsageError(`input path ${absRoot} is neither a file nor a folder`);
  }
  const realRoot = await realpathOrThrow(absRoot);
  yield* walk(absRoot, '', realRoot, new Set([realRoot]));
}

async function* walk(dir: string, relDir: string, realDir: string, onPath: Set<string>): AsyncGenerator<FileItem> {
  const entries = await readEntries(dir);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry;
    const path = join(dir, entry.name);
    const rel = relDir + entry.name;
    if (entry.kind === 'dir') {
      const real = entry.viaLink ? await realpathOrThrow(path) : join(realDir, entry.name);
      // A directory already on the current path would be walked forever: skip it (issue 3).
      if (onPath.has(real)) continue;
      onPath.add(real);
      yield* walk(path, `${rel}/`, real, onPath);
      onPath.delete(real);
      continue;
    }
    if (entry.stats === null) await statAhead(dir, entries, i);
    const stats = entry.stats;
    // A file removed between readdir and stat is simply not part of the dataset.
    if (stats !== null) yield toItem(path, rel, stats);
  }
}

/** Reads one directory, classifies its entries (following links) and sorts them. */
async function readEntries(dir: string): Promise<Entry[]> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw unreadable(dir, 'folder', error);
  }
  const entries: Entry[] = [];
  const toClassify: Dirent[] = [];
  for (const d of dirents) {
    if (d.isFile()) entries.push(entry(d.name, 'file', null, false));
    else if (d.isDirectory()) entries.push(entry(d.name, 'dir', null, false));
    // Symbolic links, and entries whose type the file system did not report (DT_UNKNOWN).
    else if (d.isSymbolicLink() || isUnknown(d)) toClassify.push(d);
    // Sockets, FIFOs, devices: not files a script can read as data.
  }
  for (let i = 0; i < toClassify.length; i += STAT_CONCURRENCY) {
    const chunk = toClassify.slice(i, i + STAT_CONCURRENCY);
    const stats = await Promise.all(chunk.map((d) => statFollowing(join(dir, d.name))));
    chunk.forEach((d, j) => {
      const s = stats[j];
      if (s === undefined || s === null) return;
      if (s.isFile()) entries.push(entry(d.name, 'file', s, true));
      else if (s.isDirectory()) entries.push(entry(d.name, 'dir', s, true));
    });
  }
  entries.sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
  return entries;
}

/** Stats the files from `from` on (up to the next directory) concurrently, before they are yielded. */
async function statAhead(dir: string, entries: Entry[], from: number): Promise<void> {
  const batch: Entry[] = [];
  for (let i = from; i < entries.length && batch.length < STAT_CONCURRENCY; i++) {
    const e = entries[i] as Entry;
    if (e.kind === 'dir') break;
    if (e.stats === null) batch.push(e);
  }
  const stats = await Promise.all(batch.map((e) => statFollowing(join(dir, e.name))));
  batch.forEach((e, j) => {
    e.stats = stats[j] ?? null;
  });
}

function entry(name: string, kind: 'file' | 'dir', stats: Stats | null, viaLink: boolean): Entry {
  return { name, sortKey: Buffer.from(kind === 'dir' ? `${name}/` : name, 'utf8'), kind, stats, viaLink };
}

function isUnknown(d: Dirent): boolean {
  return !(d.isFile() || d.isDirectory() || d.isSymbolicLink() || d.isFIFO() || d.isSocket() ||
    d.isBlockDevice() || d.isCharacterDevice());
}

function toItem(path: string, rel: string, stats: Stats): FileItem {
  return { path, rel, size: stats.size, mtimeMs: Math.trunc(stats.mtimeMs) };
}

/** `stat` following links; null when the target is gone (a dangling link, a link loop, a race). */
async function statFollowing(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return null;
    throw unreadable(path, 'path', error);
  }
}

async function statOrThrow(path: string, what: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new UsageError(`${what} ${path} does not exist`, { cause: error });
    throw unreadable(path, what, error);
  }
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
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : error instanceof Error ? error.message : String(error);
  return new UsageError(`cannot read input ${what} ${path}: ${why}${code ? ` (${code})` : ''}`, { cause: error });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
