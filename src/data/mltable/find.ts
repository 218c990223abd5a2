/**
 * Whether an input is an MLTable: bound to a folder holding an `MLTable` file, or to that file.
 * On its own (a stat or two, no YAML, no glob library), so that plain inputs load nothing more.
 */
import { statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** The file name Azure looks for in an MLTable folder. */
export const MLTABLE_FILE = 'MLTable';

/** The MLTable file an input path stands for, or null when it is plain data. */
export function findMLTable(inputPath: string): string | null {
  const path = resolve(inputPath);
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return null;
  if (stats.isFile()) return basename(path) === MLTABLE_FILE ? path : null;
  if (!stats.isDirectory()) return null;
  const inside = join(path, MLTABLE_FILE);
  return statSync(inside, { throwIfNoEntry: false })?.isFile() === true ? inside : null;
}
