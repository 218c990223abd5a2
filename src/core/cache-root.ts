/**
 * This machine's cache folder for minibatch, owned by the user: compiled code of the command line
 * (cli/launcher.ts), interpreters already probed (workers/interpreter.ts), and on a Redis worker
 * machine, code snapshots and logs (redis/agent/prepare.ts). Deleting it between runs costs only the time
 * it saves.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const CACHE_ENV = 'MINIBATCH_CACHE_DIR';

/** `MINIBATCH_CACHE_DIR`, else `$XDG_CACHE_HOME/minibatch`, else `~/.cache/minibatch`. */
export function cacheRoot(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const own = env[CACHE_ENV]?.trim();
  if (own) return own;
  const xdg = env.XDG_CACHE_HOME?.trim();
  return join(xdg || join(homedir(), '.cache'), 'minibatch');
}

/**
 * Writes `file` in the cache folder readable and writable by its owner alone (the folder too, when
 * made here), atomically: written aside, then renamed over the old one. Throws when it cannot; a
 * cache that cannot be written only costs the time it would save, which callers decide.
 */
export function writeCacheFile(file: string, data: string | NodeJS.ArrayBufferView): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, data, { mode: 0o600 });
  renameSync(partial, file);
}
