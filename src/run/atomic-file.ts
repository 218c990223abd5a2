/** Writing a run's files so that readers never see half of one, and only their owner can read them. */
import { renameSync, writeFileSync } from 'node:fs';
import { OWNER_ONLY } from '../core/owner-only.js';

/**
 * Writes a file aside, then renames it into place. Owner-only (0600): a run's files hold its
 * environment variables, which may be secrets.
 */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: OWNER_ONLY });
  renameSync(tmp, file);
}
