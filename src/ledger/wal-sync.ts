/**
 * Writes the ledger's write-ahead log to disk in the background (issue 3).
 *
 * With `synchronous = NORMAL` a commit reaches the WAL in the OS's page cache without an fsync
 * (schema.ts): it survives a kill of the process, not a power loss. Nothing wrote the WAL to disk
 * before the close's checkpoint, which then waited for all of it: ~10 ms of the ~25 ms close of a
 * run of 20,000 mini-batches, on the orchestrator's main thread (bench/). Here the WAL is
 * fdatasync'ed on libuv's thread pool, at most every SYNC_MS, after commits: the close finds little
 * left to write, and a power loss loses at most the last fraction of a second of commits, which
 * resume runs again (DESIGN §4).
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

/** The least time between two syncs. */
export const SYNC_MS = 150;

export class WalSync {
  readonly #wal: string;
  #fd = -1;
  #syncedAt = Number.NEGATIVE_INFINITY;
  #inFlight = false;
  #closed = false;

  /** `wal`: the ledger's `state.db-wal`, opened on the first sync (it exists once anything was written). */
  constructor(wal: string) {
    this.#wal = wal;
  }

  /** Something was committed: starts a sync, unless one started less than SYNC_MS ago or is under way. */
  written(): void {
    if (this.#inFlight || this.#closed) return;
    const now = performance.now();
    if (now - this.#syncedAt < SYNC_MS) return;
    this.#syncedAt = now;
    if (this.#fd === -1) {
      try {
        this.#fd = openSync(this.#wal, 'r');
      } catch {
        return; // no WAL (yet): nothing to sync
      }
    }
    this.#inFlight = true;
    // A failure is SQLite's to meet and report on its next write or its close; this is a head start.
    fdatasync(this.#fd, () => {
      this.#inFlight = false;
      if (this.#closed) this.#release();
    });
  }

  /** The ledger closes: the descriptor is closed now, or when the sync under way ends (never under it). */
  close(): void {
    this.#closed = true;
    if (!this.#inFlight) this.#release();
  }

  #release(): void {
    if (this.#fd === -1) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }
}
