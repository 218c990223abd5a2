#!/usr/bin/env node
/**
 * The launcher (`dist/cli/main.cjs`, bundled there by scripts/bundle-cli.mjs) that the `minibatch`
 * executable (src/cli/minibatch.sh) starts Node on: loads the bundled command line
 * (`dist/cli/minibatch.cjs`, built from main.ts) with a V8 code cache.
 *
 * Why: `minibatch run` is started once per job, and compiling the ~0.9 MB bundle (yaml, zod,
 * commander and ours) plus the functions a run calls cost ~30 ms of a 0.2 s run of one file on
 * every start. Node 20 caches no compiled code by itself (`module.enableCompileCache` is Node 22),
 * so the bundle is compiled as a `vm.Script` with the cache V8 made the first time. A cache V8
 * rejects (another Node, other flags) is made again; one that cannot be read or written (a
 * read-only home) only costs the time it would save.
 *
 * The cache lives in the user's own cache folder (cache-root.ts: `MINIBATCH_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/minibatch`, else `~/.cache/minibatch`), never in a shared temp folder: V8 runs
 * cached code without re-checking it against the source beyond a checksum, so only its owner may
 * be able to write it.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

import { cacheRoot, writeCacheFile } from '../core/cache-root.js';

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'minibatch.cjs');
const source = readFileSync(bundle, 'utf8');
const cache = cacheFile(bundle);
const cachedData = readCache(cache);
// The bundle holds no `import()` (scripts/bundle-cli.mjs checks): a script compiled this way
// could not run one without Node 20's experimental loader hook.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  ...(cachedData === undefined ? {} : { cachedData }),
});
if (cache !== null && (cachedData === undefined || script.cachedDataRejected === true)) {
  // At exit, so that the functions this command compiled are in it too.
  process.once('exit', () => writeCache(cache, script));
}
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(
  module.exports,
  module.exports,
  createRequire(bundle),
  module,
  bundle,
  here,
);

/**
 * `<cache folder>/code-<install>-<bundle size>-<bundle mtime>-<node version>-<arch>.bin`, or null
 * without a home. `<install>` (a hash of the bundle's path) keeps the caches of two installations
 * (a global one and a project's) apart.
 */
function cacheFile(file: string): string | null {
  let root: string;
  try {
    root = cacheRoot();
  } catch {
    return null; // no home folder to cache in
  }
  const { size, mtimeMs } = statSync(file);
  return join(root, `${installPrefix(file)}${size}-${Math.round(mtimeMs)}-${process.version}-${process.arch}.bin`);
}

/** `code-<FNV-1a hash of the bundle's path>-`: what every cache of this installation starts with. */
function installPrefix(file: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) hash = Math.imul(hash ^ file.charCodeAt(i), 0x01000193);
  return `code-${(hash >>> 0).toString(16).padStart(8, '0')}-`;
}

/** The cache, when it is there and only its owner, this user, can have written it. */
function readCache(file: string | null): Buffer | undefined {
  if (file === null) return undefined;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined; // not made yet
  }
  try {
    const { uid, mode } = fstatSync(fd);
    // A cache folder shared with others (MINIBATCH_CACHE_DIR) must not run their code as ours.
    if ((process.getuid !== undefined && uid !== process.getuid()) || (mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * A cache of another installation unused this long is removed when a cache is written: an
 * installation deleted since (an old clone, a temporary `npx` folder) would otherwise leave its
 * ~0.7 MB there for good. One still in use that was idle this long compiles once again.
 */
const STALE_CACHE_MS = 30 * 24 * 3600 * 1000;

/**
 * Replaces the cache, atomically, removing any this installation made for an older bundle and
 * those of other installations unused for STALE_CACHE_MS (neither read nor written); a failure is
 * ignored.
 */
function writeCache(file: string, compiled: Script): void {
  try {
    const dir = dirname(file);
    const prefix = installPrefix(bundle);
    const now = Date.now();
    for (const old of existsSync(dir) ? readdirSync(dir) : []) {
      if (!old.startsWith('code-') || !old.endsWith('.bin')) continue;
      const path = join(dir, old);
      if (old.startsWith(prefix) || now - lastUse(path) > STALE_CACHE_MS) rmSync(path, { force: true });
    }
    writeCacheFile(file, compiled.createCachedData());
  } catch {
    // A read-only or full home: the next start compiles again, which is all a cache saves.
  }
}

/** When a cache file was last read or written (its access time is kept at least daily by `relatime`). */
function lastUse(file: string): number {
  try {
    const { atimeMs, mtimeMs } = statSync(file);
    return Math.max(atimeMs, mtimeMs);
  } catch {
    return Date.now(); // gone already, or not ours to judge
  }
}
