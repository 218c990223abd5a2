/** Turns SQLite's write failures into errors a user can act on (a full disk fails clearly). */
import { EnvironmentError } from '../core/errors.js';

const UNWRITABLE: Readonly<Record<string, string>> = {
  SQLITE_FULL: 'the disk is full',
  SQLITE_READONLY: 'the file or its folder is read-only',
  SQLITE_CANTOPEN: 'the file cannot be opened',
  SQLITE_IOERR: 'an I/O error occurred',
};

/** An `EnvironmentError` (OUTPUT_UNWRITABLE) for disk-level failures; anything else unchanged. */
export function storageError(file: string, error: unknown): Error {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const base = Object.keys(UNWRITABLE).find((k) => code === k || code.startsWith(`${k}_`));
  if (base === undefined) return error instanceof Error ? error : new Error(String(error));
  return new EnvironmentError(
    'OUTPUT_UNWRITABLE',
    `cannot write the run's ledger ${file}: ${UNWRITABLE[base]} (${code}); free space or fix permissions, then resume the run`,
    { cause: error },
  );
}
