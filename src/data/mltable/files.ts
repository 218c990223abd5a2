/**
 * The files an MLTable's `paths` list, in order: entries in the order written; a folder's files,
 * and a pattern's matches, in listing order (list.ts: UTF-8 byte order of relative paths, walked
 * depth-first). A file listed twice counts once, where it first appears. The MLTable file itself is
 * never data, even when a folder or pattern covers it.
 *
 * Patterns are globs (`*` within a folder, `**` across folders, `?`, `[abc]`, `[a-z]`), matched
 * with picomatch; like a shell, `*` does not match a name starting with `.`.
 */
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { SpecError } from '../../core/errors.js';
import { Diagnostics } from '../../spec/diagnostics.js';
import { listFiles } from '../list.js';
import type { MLTableDefinition, MLTablePath } from './parse.js';

/** Absolute paths of the files `def.paths` lists; throws a `SpecError` (MLTABLE_INVALID) naming each entry that lists nothing it can read. */
export async function listedFiles(def: MLTableDefinition): Promise<string[]> {
  const d = new Diagnostics(def.yaml);
  const seen = new Set<string>();
  const files: string[] = [];
  for (const entry of def.paths) {
    let found = 0;
    for await (const path of expand(def, entry, d)) {
      if (path === def.file) continue;
      found++;
      if (seen.has(path)) continue;
      seen.add(path);
      files.push(path);
    }
    if (found === 0 && entry.kind === 'pattern' && d.errorCount === 0) {
      d.error(entry.at, `pattern \`${entry.text}\` matches no file under ${def.dir}: check the pattern (it is relative to the MLTable's folder)`);
    }
  }
  if (d.errorCount > 0) throw new SpecError('MLTABLE_INVALID', d.sorted());
  return files;
}

async function* expand(def: MLTableDefinition, entry: MLTablePath, d: Diagnostics): AsyncGenerator<string> {
  const target = isAbsolute(entry.text) ? resolve(entry.text) : resolve(def.dir, entry.text);
  if (entry.kind === 'pattern') {
    const scan = picomatch.scan(target);
    if (scan.isGlob) {
      yield* matching(scan.base, scan.glob);
      return;
    }
    // A pattern without wildcards names one file, or nothing.
    if (statSync(target, { throwIfNoEntry: false })?.isFile() === true) yield target;
    return;
  }
  const stats = statSync(target, { throwIfNoEntry: false });
  const wanted = entry.kind === 'file' ? 'file' : 'folder';
  if (stats === undefined) {
    d.error(entry.at, `${entry.kind} \`${entry.text}\` does not exist (${target}); paths are relative to the MLTable's folder`);
    return;
  }
  if (entry.kind === 'file' ? !stats.isFile() : !stats.isDirectory()) {
    const other = stats.isDirectory() ? 'folder' : 'file';
    d.error(entry.at, `${entry.kind} \`${entry.text}\` is a ${stats.isDirectory() || stats.isFile() ? other : 'special file'}, not a ${wanted}: write \`${other}: ${entry.text}\``);
    return;
  }
  if (entry.kind === 'file') {
    yield target;
    return;
  }
  for await (const item of listFiles(target)) yield item.path;
}

/** Files under `base` whose path below it matches `glob`. */
async function* matching(base: string, glob: string): AsyncGenerator<string> {
  if (statSync(base, { throwIfNoEntry: false })?.isDirectory() !== true) return;
  const isMatch = picomatch(glob);
  for await (const item of listFiles(base)) {
    const below = sep === '/' ? item.rel : relative(base, item.path).split(sep).join('/');
    if (isMatch(below)) yield item.path;
  }
}
