/**
 * This machine's cache folder for minibatch, owned by the user: compiled code of the command line
 * (cli/launcher.ts), interpreters already probed (workers/interpreter.ts), and on a Redis worker
 * machine, code snapshots and logs (redis/prepare.ts). Anything in it can be deleted at any time.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CACHE_ENV = 'MINIBATCH_CACHE_DIR';

/** `MINIBATCH_CACHE_DIR`, else `$XDG_CACHE_HOME/minibatch`, else `~/.cache/minibatch`. */
export function cacheRoot(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const own = env[CACHE_ENV]?.trim();
  if (own) return own;
  const xdg = env.XDG_CACHE_HOME?.trim();
  return join(xdg || join(homedir(), '.cache'), 'minibatch');
}
