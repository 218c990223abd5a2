/**
 * The package's own folder, where the files it ships beside its code live (`package.json`,
 * `python/`). Found by walking up from this module rather than by a fixed `../..`, because the code
 * runs from three places: `src/` under vitest, `dist/` as tsc emits it, and the bundled command
 * line `dist/cli/minibatch.cjs` (scripts/bundle-cli.mjs).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What marks the package's folder: the worker host it ships. */
const MARKER = join('python', 'minibatch_host.py');

export const PACKAGE_ROOT: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, MARKER))) return dir;
    if (dirname(dir) === dir) throw new Error(`minibatch is installed incompletely: no ${MARKER} above ${from}`);
  }
}
