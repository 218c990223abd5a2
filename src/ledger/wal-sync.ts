/**
 * Writes the ledger's write-ahead log to disk in the background.
 *
 * With `synchronous = NORMAL` a commit reaches the WAL in the OS's page cache without an fsync
 * (schema.ts): it survives a kill of the process, not a power loss. Nothing wrote the WAL to disk
 * before the close's checkpoint (or the OS's own writeback, within ~30 s), and the close then waited
 * for all of it: ~10 ms of the ~25 ms close of a run of 20,000 mini-batches, on the orchestrator's
 * main thread (bench/). Here the WAL is fdatasync'ed on libuv's thread pool after commits, at most
 * every SYNC_MS, and a commit that comes sooner is synced once that time is up: every commit is on
 * disk within about SYNC_MS, so a power loss loses at most that much, which resume runs again
 * (docs/ARCHITECTURE.md, "Tries"), and the close finds little left to write.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

/** The least time between two syncs. */
export const SYNC_MS = 150;

export class WalSync {
  readonly #wal: string;
  #fd = -1;
  #syncedAt = Number.NEGATIVE_INFINITY;
  #inFlight = false;
  /** A commit came while a sync was under way: sync again when it ends. */
  #again = false;
  /** A commit came less than SYNC_MS after the last sync: its sync, when that time is up. */
  #later: NodeJS.Timeout | null = null;
  #closed = false;

  /** `wal`: the ledger's `state.db-wal`, opened on the first sync (it exists once anything was written). */
  constructor(wal: string) {
    this.#wal = wal;
  }

  /** Something was committed: syncs now, or as soon as SYNC_MS have passed since the last sync. */
  written(): void {
    if (this.#closed || this.#later !== null) return;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    const wait = this.#syncedAt + SYNC_MS - performance.now();
    if (wait > 0) {
      this.#later = setTimeout(() => {
        this.#later = null;
        this.written();
      }, wait);
      this.#later.unref(); // the close checkpoints, and syncs, whatever is left
      return;
    }
    this.#syncedAt = performance.now();
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
      else if (this.#again) {
        this.#again = false;
        this.written();
      }
    });
  }

  /** The ledger closes: the descriptor is closed now, or when the sync under way ends (never under it). */
  close(): void {
    this.#closed = true;
    if (this.#later !== null) clearTimeout(this.#later);
    this.#later = null;
    if (!this.#inFlight) this.#release();
  }

  #release(): void {
    if (this.#fd === -1) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }
}
