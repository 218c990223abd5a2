/**
 * File-system failures a user can fix (a full disk, a read-only folder), told as such: a run on
 * a full disk or a read-only output folder fails with a clear message, and resume
 * completes it once fixed. Anything else is returned unchanged (a bug stays a bug).
 */
import { EnvironmentError } from '../core/errors.js';

const PROBLEMS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission is denied',
  EPERM: 'the operation is not permitted',
  EIO: 'an I/O error occurred',
};

/** What went wrong, in words, when `error` is a fixable file-system failure; else null. */
export function diskProblem(error: unknown): string | null {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const problem = PROBLEMS[code];
  return problem === undefined ? null : `${problem} (${code})`;
}

/**
 * An `EnvironmentError` (OUTPUT_UNWRITABLE) naming `what`, the problem and the way out, when
 * `error` is a fixable file-system failure; `error` itself otherwise.
 */
export function unwritable(what: string, error: unknown, resumeHint: string): unknown {
  if (error instanceof EnvironmentError) return error;
  const problem = diskProblem(error);
  if (problem === null) return error;
  return new EnvironmentError(
    'OUTPUT_UNWRITABLE',
    `cannot write ${what}: ${problem}; free space or fix permissions, then continue with \`${resumeHint}\``,
    { cause: error },
  );
}
