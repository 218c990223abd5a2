/**
 * The run's lock: one process drives a run. The lock is an OS lock (SQLite's POSIX lock on the empty
 * file `run.lock`), held in an open exclusive transaction for as long as the process drives the run
 * and released by the kernel when the process ends, however it ends. There is no stale lock to judge
 * and nothing to take over, so two processes started together cannot both win: the kernel decides.
 *
 * Who holds it is written beside it (`run.owner`) once the lock is taken, for messages and `status`;
 * that file is read only while the lock is held, so one left by a killed process says nothing.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, readFileSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { EnvironmentError } from '../core/errors.js';
import type { RunPaths } from '../core/run-paths.js';
import { writeAtomic } from './atomic-file.js';

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * How long a process waits for the lock before it says who holds it. A driver holds it for a whole
 * run, so waiting longer changes nothing; this only rides over another process's brief look
 * (`lockHolder`) and a release in progress.
 */
const WAIT_FOR_LOCK_MS = 500;
/** How long a refused process waits for the holder to write `run.owner` (microseconds after it locks). */
const WAIT_FOR_OWNER_MS = 1_000;

/**
 * Takes the run's lock, or throws RUN_DIR_LOCKED naming who holds it. Returns the release function
 * (idempotent). The folder must exist.
 */
export function lockRunDir(paths: RunPaths): () => void {
  for (let attempt = 0; ; attempt++) {
    const db = openLock(paths);
    const ino = statSync(paths.lockFile).ino;
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      if (!isBusy(error)) throw unwritable(paths, error);
      throw drivenBy(paths, waitForOwner(paths));
    }
    // A new run that failed deletes its folder, lock included, while holding it: whoever was
    // waiting on that file now holds a lock on nothing. Take the lock of the file there now.
    if (inodeOf(paths.lockFile) !== ino) {
      db.close();
      if (attempt < 3) continue;
      throw new EnvironmentError('RUN_DIR_LOCKED', `${paths.root} keeps being removed while this process tries to lock it`);
    }
    writeAtomic(paths.ownerFile, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }) + '\n');
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      try {
        unlinkSync(paths.ownerFile);
      } catch {
        // The folder was discarded or moved: nothing to tidy.
      }
      db.close(); // ends the transaction, and with it the lock
    };
  }
}

/**
 * The process driving the run now (`status`, messages), or null when none does. Looks without
 * waiting: a brief shared lock that a driver's exclusive one refuses.
 */
export function lockHolder(paths: RunPaths): LockOwner | null {
  if (!existsSync(paths.lockFile)) return null;
  let db: Database.Database;
  try {
    db = new Database(paths.lockFile, { readonly: true, fileMustExist: true, timeout: 0 });
  } catch {
    return null; // gone meanwhile, or not ours to open: nobody this process can see drives it
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return null;
  } catch (error) {
    return isBusy(error) ? waitForOwner(paths) : null;
  } finally {
    db.close();
  }
}

function openLock(paths: RunPaths): Database.Database {
  try {
    clearOldLock(paths);
    const db = new Database(paths.lockFile, { timeout: WAIT_FOR_LOCK_MS });
    chmodSync(paths.lockFile, 0o600);
    // No journal file beside the lock: the transaction never writes.
    db.pragma('journal_mode = MEMORY');
    return db;
  } catch (error) {
    if (isBusy(error)) throw drivenBy(paths, waitForOwner(paths));
    throw unwritable(paths, error);
  }
}

/**
 * Versions before the OS lock wrote their pid into `run.lock`. This lock file is always empty, so
 * a file with content is such a leftover (its process is gone: a live one would have a lock file of
 * its own kind); emptying it keeps its inode, and whatever lock is on it.
 */
function clearOldLock(paths: RunPaths): void {
  if (existsSync(paths.lockFile) && statSync(paths.lockFile).size > 0) truncateSync(paths.lockFile, 0);
}

/** The lock's holder as it wrote itself down, or an unnamed one when it has not yet. */
function waitForOwner(paths: RunPaths): LockOwner | null {
  const deadline = Date.now() + WAIT_FOR_OWNER_MS;
  for (;;) {
    const owner = readOwner(paths);
    if (owner !== null && (owner.host !== hostname() || isAlive(owner.pid))) return owner;
    if (Date.now() > deadline) return null;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

function readOwner(paths: RunPaths): LockOwner | null {
  try {
    return JSON.parse(readFileSync(paths.ownerFile, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

/** The run is driven (or being started) by a live process: who, and what to do. */
export function drivenBy(paths: RunPaths, owner: LockOwner | null): EnvironmentError {
  const who = owner === null ? 'another process (starting up)' : `process ${owner.pid} on ${owner.host} (since ${owner.since})`;
  return new EnvironmentError('RUN_DIR_LOCKED', `${paths.root} is being driven by ${who}; wait for it to end, or stop it first`);
}

function unwritable(paths: RunPaths, error: unknown): EnvironmentError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
  return new EnvironmentError('OUTPUT_UNWRITABLE', `cannot lock the run directory: ${paths.lockFile}: ${reason}`, { cause: error });
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function inodeOf(file: string): number | null {
  try {
    return statSync(file).ino;
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
