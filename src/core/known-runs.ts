/**
 * The run directories this user has started, wherever they are (`--run-dir` included), so that
 * `minibatch runs`, `status` and `ui` can find a run made outside `.minibatch/runs` of the current
 * folder. One absolute path a line in `known-runs.txt` of the cache folder; a folder that no longer
 * holds a run is dropped when the list is read. Losing the file loses only this convenience.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheRoot, writeCacheFile } from './cache-root.js';

/** Remembered at most; the oldest are forgotten first. */
const MAX_REMEMBERED = 1000;

function knownRunsFile(env: Readonly<Record<string, string | undefined>>): string {
  return join(cacheRoot(env), 'known-runs.txt');
}

/**
 * Adds `runDir` to the list. Best effort: a cache folder that cannot be written costs only the
 * convenience, never the run.
 */
export function rememberRun(runDir: string, env: Readonly<Record<string, string | undefined>> = process.env): void {
  const file = knownRunsFile(env);
  try {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    // One short line in append mode: concurrent runs do not interleave within it.
    appendFileSync(file, `${resolve(runDir)}\n`, { mode: 0o600 });
  } catch {
    // See above: nothing to do.
  }
}

/**
 * The remembered run directories that still hold a run (a `run.json`), newest first, each once.
 * Rewrites the list without the others when any were dropped.
 */
export function knownRuns(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  const file = knownRunsFile(env);
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const newestFirst: string[] = [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const dir = lines[i]!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    if (existsSync(join(dir, 'run.json'))) newestFirst.push(dir);
  }
  const kept = newestFirst.slice(0, MAX_REMEMBERED);
  if (kept.length !== lines.length) {
    try {
      writeCacheFile(file, kept.slice().reverse().map((dir) => `${dir}\n`).join(''));
    } catch {
      // Read-only cache: the list stays as it was.
    }
  }
  return kept;
}
