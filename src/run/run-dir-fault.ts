/**
 * A run stopped by its machine, not by its work (docs/ARCHITECTURE.md, "Run directory"): the run
 * directory made unwritable, its disk full, the directory moved or deleted, or this process out of
 * file descriptors. The ledger is written in transactions, so whatever was committed before the
 * fault is intact; the run stops, nothing is finalized, and `resume` continues it once the cause is
 * fixed. What the user sees is one message (exit 3): what happened and where, that nothing committed
 * is lost, and what to do.
 */
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import type { RunPaths } from '../core/run-paths.js';
import type { LedgerCounts } from '../ledger/types.js';
import { DESCRIPTORS_PER_WORKER, openFilesLimit } from '../workers/descriptors.js';

/** What went wrong and how to fix it; the caller adds what is kept and how to continue. */
export interface Fault {
  /** `cannot write /r/logs/x.txt: permission is denied (EACCES)`. */
  readonly what: string;
  /** `make /r writable again (chmod -R u+w /r)`; null when resuming is all there is to do. */
  readonly fix: string | null;
  /** Where to resume: the run directory, or where it is now when it was moved. */
  readonly root: string;
  readonly code: 'OUTPUT_UNWRITABLE' | 'TOO_MANY_OPEN_FILES';
}

/** File-system errors that stop a run here, whatever the file: the user fixes the machine. */
const PROBLEMS: Readonly<Record<string, { readonly words: string; readonly kind: 'space' | 'access' | 'io' }>> = {
  ENOSPC: { words: 'the disk is full', kind: 'space' },
  EDQUOT: { words: 'the disk quota is exceeded', kind: 'space' },
  SQLITE_FULL: { words: 'the disk is full', kind: 'space' },
  EROFS: { words: 'the file system is read-only', kind: 'access' },
  EACCES: { words: 'permission is denied', kind: 'access' },
  EPERM: { words: 'the operation is not permitted', kind: 'access' },
  SQLITE_READONLY: { words: 'the file or its folder is read-only', kind: 'access' },
  SQLITE_CANTOPEN: { words: 'the file cannot be opened', kind: 'access' },
  EIO: { words: 'an I/O error occurred', kind: 'io' },
  SQLITE_IOERR: { words: 'an I/O error occurred', kind: 'io' },
};

/**
 * Watches that the run directory is still where the run started it: a directory moved while its run
 * is live keeps working through the files the run holds open, but every path named afterwards would
 * land at the old place (and recreate folders there). Linux tells where it went (`/proc/self/fd`).
 */
export class RunDirGuard {
  private readonly ino: number;
  private readonly dev: number;

  constructor(private readonly paths: RunPaths) {
    const stat = statSync(paths.root);
    this.ino = stat.ino;
    this.dev = stat.dev;
  }

  /** A fault when the run directory is no longer at its path (moved, deleted, replaced); else null. */
  moved(): Fault | null {
    const root = this.paths.root;
    try {
      const stat = statSync(root);
      if (stat.ino === this.ino && stat.dev === this.dev) return null;
    } catch {
      // Gone from its path: below.
    }
    const now = this.whereNow();
    if (now === null) {
      return {
        what: `the run directory ${root} was moved or deleted while the run was running`,
        fix: 'put it back at its place (or resume it from where it is now)',
        root,
        code: 'OUTPUT_UNWRITABLE',
      };
    }
    return {
      what: `the run directory ${root} was moved to ${now} while the run was running; nothing was written at its old place since`,
      fix: null,
      root: now,
      code: 'OUTPUT_UNWRITABLE',
    };
  }

  /** Where the run directory is now: the folder of a ledger file this process holds open. */
  private whereNow(): string | null {
    let fds: string[];
    try {
      fds = readdirSync('/proc/self/fd');
    } catch {
      return null; // not Linux
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.endsWith('/state.db') && !target.endsWith('/run.lock')) continue;
      const folder = dirname(target);
      try {
        const stat = statSync(folder);
        if (stat.ino === this.ino && stat.dev === this.dev) return folder;
      } catch {
        // deleted: not there
      }
    }
    return null;
  }
}

/**
 * The fault behind `error` (or its causes), or null when it is not one: a bug, or a failure of the
 * run's own work (init failures), which finalize reports as the run's outcome.
 */
export function faultOf(error: unknown, paths: RunPaths, guard: RunDirGuard | null): Fault | null {
  // A moved directory shows as files that do not exist: say that it moved.
  const moved = guard?.moved() ?? null;
  if (moved !== null) return moved;
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) {
    const code = 'code' in at ? String(at.code) : '';
    if (code === 'EMFILE' || code === 'ENFILE') return descriptorsFault(code, paths);
    const base = Object.keys(PROBLEMS).find((k) => code === k || code.startsWith(`${k}_`));
    const problem = base === undefined ? undefined : PROBLEMS[base];
    if (problem === undefined) continue;
    // A file written aside (`job_result.json.tmp-42`, `rows.txt.partial`) is named as the file it becomes.
    const path = 'path' in at && typeof at.path === 'string' ? at.path.replace(/\.(tmp-\d+|partial)$/, '') : null;
    const root = paths.root;
    // Only the run directory's files: an unreadable input or output folder is the run's own failure.
    if (path !== null && path !== root && !path.startsWith(root + sep)) continue;
    // A write through a descriptor names no file: the ledger's, or a full disk (which no input read causes).
    if (path === null && !code.startsWith('SQLITE_') && problem.kind !== 'space') continue;
    const file = path ?? (code.startsWith('SQLITE_') ? paths.stateDb : root);
    const fix =
      problem.kind === 'space' ? `free space on the disk of ${root}` :
      problem.kind === 'access' ? `make ${root} writable again (chmod -R u+w ${root}; a read-only file system remounted read-write)` :
      `check the disk of ${root}`;
    return { what: `cannot write ${file}: ${problem.words} (${code})`, fix, root, code: 'OUTPUT_UNWRITABLE' };
  }
  return null;
}

/** Out of file descriptors: the limit, and the two ways out. */
function descriptorsFault(code: string, paths: RunPaths): Fault {
  const limit = openFilesLimit();
  const named = limit === null ? '' : ` of ${limit} open files (ulimit -n)`;
  const what = code === 'ENFILE' ? "the system's table of open files is full (ENFILE)" : `this process reached its limit${named} (EMFILE)`;
  return {
    what,
    fix: `raise the limit (\`ulimit -n 4096\` in the shell that starts minibatch) or give fewer --processes (about ${DESCRIPTORS_PER_WORKER} open files each)`,
    root: paths.root,
    code: 'TOO_MANY_OPEN_FILES',
  };
}

/** The error a run stopped by `fault` ends with: what, that nothing committed is lost, what to do (exit 3). */
export function stoppedBy(fault: Fault, counts: LedgerCounts, paths: RunPaths): EnvironmentError {
  const committed = counts.miniBatches - counts.pending;
  const ledger = fault.root === paths.root ? paths.stateDb : `${fault.root}/state.db`;
  return new EnvironmentError(
    fault.code,
    `${fault.what}. The run stopped; nothing it committed is lost (${ledger} keeps the ${committed} of ${counts.miniBatches} ` +
      `planned mini-batches it finished). ${fault.fix === null ? 'Continue' : `${capitalized(fault.fix)}, then continue`} with \`minibatch resume ${fault.root}\`.`,
  );
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
