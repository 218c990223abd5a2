/**
 * The items of an explicit list of files (what an MLTable lists), in the list's order. Their
 * relative paths are taken from the deepest folder that holds the MLTable's folder and every file
 * (the MLTable's folder itself, unless a path climbs out of it with `..`), so that the ledger
 * stores one root per input, as for a listed folder.
 */
import { statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FileItem } from './types.js';

/** Files stat'ed before the event loop gets a turn (listing shares the thread with the scheduler). */
const STAT_RUN = 64;

/**
 * `files` (absolute) as items, in batches; `inputPath` is the bound MLTable folder or file. A file
 * removed since it was listed is left out, as a listing leaves it out.
 */
export async function* listedFileBatches(files: readonly string[], inputPath: string): AsyncGenerator<FileItem[]> {
  const root = listedRoot(files, inputPath);
  for (let start = 0; start < files.length; start += STAT_RUN) {
    const batch: FileItem[] = [];
    for (const path of files.slice(start, start + STAT_RUN)) {
      const stats = statSync(path, { throwIfNoEntry: false });
      if (stats === undefined || !stats.isFile()) continue;
      batch.push({ path, rel: relative(root, path).split(sep).join('/'), size: stats.size, mtimeMs: Math.trunc(stats.mtimeMs) });
    }
    if (batch.length > 0) yield batch;
    await nextTurn();
  }
}

/** The MLTable's folder, or the deepest folder above it that holds every file too. */
export function listedRoot(files: readonly string[], inputPath: string): string {
  const given = resolve(inputPath);
  let root = statSync(given, { throwIfNoEntry: false })?.isFile() === true ? dirname(given) : given;
  for (const file of files) {
    while (!isInside(file, root)) root = dirname(root);
  }
  return root;
}

function isInside(path: string, folder: string): boolean {
  return path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}
