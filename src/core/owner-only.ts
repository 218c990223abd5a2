/**
 * The modes of what minibatch writes in a run directory: its owner's alone (docs/ROBUSTNESS.md,
 * "Secrets and permissions"). run.json holds the run's environment variables, the ledger and logs
 * hold its items and what the entry script printed. The outputs are the user's data, and keep the
 * user's umask.
 */
import { chmodSync, statSync } from 'node:fs';

/** Files: read and written by their owner only. */
export const OWNER_ONLY = 0o600;
/** Folders: entered by their owner only. */
export const OWNER_ONLY_DIR = 0o700;

/** Takes group and other permissions off `file` (best effort: a file another user owns stays as it is). */
export function tightenMode(file: string): void {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, OWNER_ONLY);
  } catch {
    // Missing, or not ours to change: opening it says what matters.
  }
}
