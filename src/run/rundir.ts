/**
 * The run directory (docs/ARCHITECTURE.md, "Run directory"): creating it, locking it so two processes never drive one run,
 * and saving the resolved job in `run.json` with paths inside the directory stored relative to it,
 * so that a run directory can be moved and resumed elsewhere.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, sep } from 'node:path';
import { EnvironmentError, RunDirConflictError } from '../core/errors.js';
import type { StoredRedisBackend } from './choose-backend.js';
import type { ResolvedJob } from '../spec/types.js';
import { runPaths, type RunPaths } from '../core/run-paths.js';

export const RUN_JSON_VERSION = 1;
/** Stands for the run directory inside `run.json`. */
const RUN_DIR_TOKEN = '$RUN_DIR';

export interface RunJson {
  readonly version: number;
  readonly runId: string;
  readonly createdAt: string;
  readonly minibatchVersion: string;
  readonly job: ResolvedJob;
  /** Absent: the local backend. A run on Redis: its server (no password), key prefix, own processes. */
  readonly backend?: StoredRedisBackend;
}

/** Creates a new run directory with its log folders. Refuses one that already holds a run. */
export function createRunDir(root: string): RunPaths {
  const paths = runPaths(root);
  if (existsSync(paths.runJson) || existsSync(paths.stateDb)) {
    // Say who drives it, when someone does: that is what a user needs to know first.
    const owner = liveLockOwner(paths);
    if (owner !== null) throw drivenBy(paths, owner);
    throw new RunDirConflictError(
      `${root} already holds a run; continue it with \`minibatch resume ${root}\`, ` +
        `or choose another --run-dir`,
    );
  }
  if (isUnstartedRun(paths)) {
    // A `run` killed before it wrote run.json: nothing of it can be resumed. Unless its process is
    // still starting (its lock is live), the user's second `run` takes the folder over.
    const owner = liveLockOwner(paths);
    if (owner !== null) throw drivenBy(paths, owner);
    for (const name of readdirSync(root)) rmSync(join(root, name), { recursive: true, force: true });
  }
  if (existsSync(root) && (!statSync(root).isDirectory() || readdirSync(root).length > 0)) {
    // A run scatters logs/, outputs/ and its ledger in its folder: not among someone else's files.
    throw new RunDirConflictError(
      `${root} exists and is not an empty folder; give --run-dir a new or empty folder ` +
        `(by default runs go to .minibatch/runs/<run-id>)`,
    );
  }
  for (const dir of [paths.workersDir, paths.stdoutDir, paths.stderrDir, paths.entryLogDir]) {
    mkdirSync(dir, { recursive: true });
  }
  return paths;
}

/**
 * Whether `paths.root` holds only what `run` makes before it writes run.json (`createRunDir`'s empty
 * log folders, the lock, run.json written aside): a start killed before anything could be resumed.
 * An empty folder is not one (there is nothing to take over), nor one with any other file.
 */
function isUnstartedRun(paths: RunPaths): boolean {
  if (!existsSync(paths.root) || !statSync(paths.root).isDirectory()) return false;
  const names = readdirSync(paths.root);
  const ours = (name: string): boolean =>
    name === basename(paths.lockFile) ||
    name.startsWith(`${basename(paths.runJson)}.tmp-`) ||
    (name === basename(paths.logs) && onlyFolders(paths.logs));
  return names.length > 0 && names.every(ours);
}

/** Whether `dir` holds folders only, at any depth: no file. */
function onlyFolders(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).every((entry) => entry.isDirectory() && onlyFolders(join(dir, entry.name)));
}

export function writeRunJson(paths: RunPaths, runJson: RunJson): void {
  const text = JSON.stringify(runJson, (_key, value: unknown) => relativize(value, paths.root), 2);
  writeAtomic(paths.runJson, text + '\n');
}

export function readRunJson(paths: RunPaths): RunJson {
  if (!existsSync(paths.runJson)) {
    if (isUnstartedRun(paths)) {
      throw new RunDirConflictError(
        `${paths.root} holds a run stopped before it began (no run.json): nothing to resume; ` +
          `start it again with \`minibatch run <module> --run-dir ${paths.root}\``,
      );
    }
    throw new RunDirConflictError(`${paths.root} is not a minibatch run directory (no run.json)`);
  }
  const text = readFileSync(paths.runJson, 'utf8');
  return JSON.parse(text, (_key, value: unknown) => absolutize(value, paths.root)) as RunJson;
}

function relativize(value: unknown, root: string): unknown {
  if (typeof value !== 'string') return value;
  if (value === root) return RUN_DIR_TOKEN;
  if (value.startsWith(root + sep)) return RUN_DIR_TOKEN + value.slice(root.length);
  return value;
}

function absolutize(value: unknown, root: string): unknown {
  if (typeof value !== 'string' || !value.startsWith(RUN_DIR_TOKEN)) return value;
  return root + value.slice(RUN_DIR_TOKEN.length);
}

/** Writes a file aside, then renames it into place, so readers never see half of it. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * Removes a new run's directory in which nothing ran (its backend could not start, e.g. a code
 * snapshot over the cap): what the run wrote there, and the folder itself unless it existed before
 * (an empty `--run-dir`). Otherwise each failed attempt would leave a run to trip over.
 */
export function discardRunDir(paths: RunPaths, keepFolder: boolean): void {
  for (const name of readdirSync(paths.root)) rmSync(join(paths.root, name), { recursive: true, force: true });
  if (!keepFolder) rmSync(paths.root, { recursive: true, force: true });
}

/**
 * Takes the run's lock, or says who holds it. A lock whose process is dead (on this host) is taken
 * over. Returns a release function.
 */
export function lockRunDir(paths: RunPaths): () => void {
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(paths.lockFile, JSON.stringify(me) + '\n', { flag: 'wx' });
      return () => {
        try {
          unlinkSync(paths.lockFile);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new EnvironmentError('OUTPUT_UNWRITABLE', `cannot write ${paths.lockFile}: ${String(error)}`, {
          cause: error,
        });
      }
    }
    const owner = readLockOwner(paths.lockFile);
    if (owner !== null && owner.host === me.host && isAlive(owner.pid)) {
      throw drivenBy(paths, owner);
    }
    if (owner !== null && owner.host !== me.host) {
      throw new EnvironmentError(
        'RUN_DIR_LOCKED',
        `${paths.root} is locked by process ${owner.pid} on ${owner.host} (since ${owner.since}); ` +
          `if that process is gone, delete ${paths.lockFile}`,
      );
    }
    // A dead process's lock: take it over.
    unlinkSync(paths.lockFile);
  }
  throw new EnvironmentError('RUN_DIR_LOCKED', `could not take the lock ${paths.lockFile}`);
}

/** The run is driven (or being started) by a live process: who, and what to do. */
function drivenBy(paths: RunPaths, owner: LockOwner): EnvironmentError {
  return new EnvironmentError(
    'RUN_DIR_LOCKED',
    `${paths.root} is being driven by process ${owner.pid} on ${owner.host} (since ${owner.since}); ` +
      `wait for it to end, or stop it first (if no minibatch runs there any more, delete ${paths.lockFile})`,
  );
}

/**
 * The process driving the run now (`minibatch status`): the lock's owner when it is alive on this
 * host, or on another host (which this one cannot check); null when the lock is free or stale.
 */
export function liveLockOwner(paths: RunPaths): LockOwner | null {
  const owner = readLockOwner(paths.lockFile);
  if (owner === null) return null;
  return owner.host !== hostname() || isAlive(owner.pid) ? owner : null;
}

function readLockOwner(file: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The default parent of run directories: `.minibatch/runs` under the current directory. */
export function defaultRunsRoot(cwd: string = process.cwd()): string {
  return join(cwd, '.minibatch', 'runs');
}
