/**
 * A worker's run-state file: which run its host is in, and since when. The host writes it before
 * each `run()` through a shared mapping (`RunStateFile` in python/_minibatch_host/serving.py): 16 bytes, the run's
 * id and its start in ms of the monotonic clock, as two little-endian doubles. The id is negated
 * once that run has ended and the host waits for its next message, its answers sent; 0 before the
 * first run.
 *
 * Why a file and not a message: the host sends its answers in groups, so when a process dies or
 * hangs, answers to runs that finished may still be held in it, and the oldest unanswered try is
 * not necessarily the one in progress. The file says which one is; the ones before it in the line
 * finished, and their answers were lost with the process (they run again, no try charged).
 */
import { closeSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OWNER_ONLY } from '../core/owner-only.js';

const SIZE = 16;

/** The monotonic clock the host writes (`time.monotonic()`; CLOCK_MONOTONIC on Linux), in ms. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface RunInProgress {
  /** The run's id, as in its `run` message. */
  readonly id: string;
  /** When it started, on `monotonicMs()`'s clock. */
  readonly startedMs: number;
  /** It has ended, and the host waits for its next message (its answers sent). */
  readonly ended: boolean;
}

/**
 * How many of the workers in `dir` (`logs/sys/workers`) are in a `run()` now, by their run-state
 * files: what `minibatch status` reads of a live run from outside. A process that is gone has no
 * file (its pool removes it); a file being created reads as no run.
 */
export function runsInProgress(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.startsWith('.') && name.endsWith('.run-state'));
  } catch {
    return 0;
  }
  let running = 0;
  for (const name of names) {
    const file = new RunStateFile(join(dir, name));
    try {
      file.open();
      const run = file.read();
      if (run !== null && !run.ended) running++;
    } catch {
      // Removed meanwhile: that process is gone.
    } finally {
      file.close();
    }
  }
  return running;
}

/** One process's view of the file; the descriptor stays open from `reset()` to `close()`. */
export class RunStateFile {
  private fd: number | null = null;

  constructor(readonly path: string) {}

  /** Creates or empties the file before a process starts (no run yet), and opens it. Throws when it cannot. */
  reset(): void {
    this.close();
    this.fd = openSync(this.path, 'w+', OWNER_ONLY);
    writeSync(this.fd, Buffer.alloc(SIZE), 0, SIZE, 0);
  }

  /** Opens the file to read it only (a reader from outside, which must not reset it). */
  open(): void {
    this.close();
    this.fd = openSync(this.path, 'r');
  }

  /**
   * The run the host last started (`ended` once it waits for its next message), or null before its
   * first run. Read until two reads agree: the host may be writing it at that very moment.
   */
  read(): RunInProgress | null {
    if (this.fd === null) return null;
    const a = Buffer.alloc(SIZE);
    const b = Buffer.alloc(SIZE);
    if (readSync(this.fd, a, 0, SIZE, 0) !== SIZE) return null;
    for (let attempt = 0; attempt < 8; attempt++) {
      if (readSync(this.fd, b, 0, SIZE, 0) !== SIZE) return null;
      if (a.equals(b)) break;
      b.copy(a);
    }
    const id = a.readDoubleLE(0);
    return id === 0 ? null : { id: String(Math.abs(id)), startedMs: a.readDoubleLE(8), ended: id < 0 };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Closes and deletes the file: its process is gone, and it is no log of the run's. */
  remove(): void {
    this.close();
    try {
      rmSync(this.path, { force: true });
    } catch {
      // The run directory became unwritable or moved: a stale file is harmless (the next process
      // of this slot empties it), and the run's own checks say what happened.
    }
  }
}
