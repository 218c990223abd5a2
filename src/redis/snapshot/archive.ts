/**
 * The archive format of a code snapshot (version 1), deterministic for a given tree: one line of
 * JSON (the index: entries sorted by path, in byte order), `\n`, then the bytes of every file
 * entry in index order. File modes are normalized to 0644, or 0755 for executables, so that the
 * digest does not depend on the umask of the machine that checked the code out. The digest is the
 * sha256 of the archive (not of its gzip stream, so that it does not depend on zlib's version).
 * Unpacking, with its checks against crafted archives, is in unpack.ts.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';

export const FORMAT = 'minibatch-snapshot';
export const FORMAT_VERSION = 1;

/** 50 MB (powers of 1024, as sizes elsewhere in minibatch). */
export const DEFAULT_SNAPSHOT_MAX_BYTES = 50 * 1024 * 1024;
/** Raises (or lowers) the cap, in megabytes: a module folder that must carry a model, say. */
export const SNAPSHOT_MAX_ENV = 'MINIBATCH_SNAPSHOT_MAX_MB';
/** Redis's largest value (`proto-max-bulk-len`, 512 MB by default) holds the compressed snapshot. */
const SNAPSHOT_MAX_MB_LIMIT = 512;

/** The cap on a snapshot's files: `MINIBATCH_SNAPSHOT_MAX_MB`, else 50 MB. Throws a `UsageError` for a value that is not a size. */
export function snapshotMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const given = env[SNAPSHOT_MAX_ENV];
  if (given === undefined || given.trim() === '') return DEFAULT_SNAPSHOT_MAX_BYTES;
  const mb = Number(given);
  if (!Number.isFinite(mb) || mb <= 0 || mb > SNAPSHOT_MAX_MB_LIMIT) {
    throw new UsageError(
      `${SNAPSHOT_MAX_ENV} is a number of megabytes up to ${SNAPSHOT_MAX_MB_LIMIT} (Redis keeps a snapshot in one ` +
        `value), such as 200; found \`${given}\``,
    );
  }
  return Math.floor(mb * 1024 * 1024);
}

/**
 * Directory names never shipped, at any depth: run directories, version control, Node and Python
 * dependencies (which workers install their own way), bytecode caches. A directory holding
 * `pyvenv.cfg` is a virtual environment whatever its name.
 */
export const EXCLUDED_NAMES: ReadonlySet<string> = new Set([
  '.minibatch',
  '.git',
  'node_modules',
  'venv',
  '.venv',
  '__pycache__',
]);

export type SnapshotEntry =
  | { readonly path: string; readonly type: 'dir' }
  | { readonly path: string; readonly type: 'file'; readonly mode: 0o644 | 0o755; readonly size: number }
  /** Kept as a link (its target verbatim), not followed: no loops, no surprise copies of big trees. */
  | { readonly path: string; readonly type: 'symlink'; readonly target: string };

interface SnapshotIndex {
  readonly format: typeof FORMAT;
  readonly version: number;
  readonly entries: readonly SnapshotEntry[];
}

export interface SnapshotOptions {
  /** Total bytes of files allowed. @default snapshotMaxBytes() (50 MB unless MINIBATCH_SNAPSHOT_MAX_MB says) */
  readonly maxBytes?: number;
  /**
   * Absolute paths to leave out, besides `EXCLUDED_NAMES`: e.g. bound inputs or outputs that live
   * inside the module's folder. @default []
   */
  readonly exclude?: readonly string[];
}

export interface PackedSnapshot {
  /** sha256 of `archive`, lower-case hex. */
  readonly digest: string;
  /** The uncompressed archive. */
  readonly archive: Buffer;
  readonly entries: readonly SnapshotEntry[];
  readonly fileCount: number;
  /** Bytes of all files. */
  readonly totalBytes: number;
  /** Paths (relative, `/`-separated) left out, each with why, for a note to the user. */
  readonly excluded: readonly { readonly path: string; readonly reason: string }[];
}

/** Packs `rootDir` (the spec's folder). Throws a `UsageError` when its files exceed the cap. */
export async function packSnapshot(rootDir: string, options: SnapshotOptions = {}): Promise<PackedSnapshot> {
  const root = resolve(rootDir);
  const maxBytes = options.maxBytes ?? snapshotMaxBytes();
  const rootStat = await stat(root).catch(() => null);
  if (!rootStat?.isDirectory()) throw new UsageError(`module folder ${root} is not a directory`);

  const walk = new Walk(root, new Set((options.exclude ?? []).map((p) => resolve(p))));
  await walk.dir(root, '');
  const entries = walk.entries.sort((a, b) => compareBytes(a.path, b.path));
  const files = entries.filter((e): e is Extract<SnapshotEntry, { type: 'file' }> => e.type === 'file');
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  if (totalBytes > maxBytes) throw tooLarge(root, totalBytes, maxBytes, files);

  const index: SnapshotIndex = { format: FORMAT, version: FORMAT_VERSION, entries };
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(index)}\n`, 'utf8')];
  for (const file of files) {
    const bytes = await readFile(join(root, ...file.path.split('/')));
    // A file that changed size between the walk and now would make the index lie.
    if (bytes.length !== file.size) {
      throw new UsageError(`${join(root, file.path)} changed while the module's snapshot was being taken; try again`);
    }
    parts.push(bytes);
  }
  const archive = Buffer.concat(parts);
  return {
    digest: sha256(archive),
    archive,
    entries,
    fileCount: files.length,
    totalBytes,
    excluded: walk.excluded.sort((a, b) => compareBytes(a.path, b.path)),
  };
}

class Walk {
  readonly entries: SnapshotEntry[] = [];
  readonly excluded: { path: string; reason: string }[] = [];

  constructor(
    private readonly root: string,
    private readonly excludePaths: ReadonlySet<string>,
  ) {}

  async dir(abs: string, rel: string): Promise<void> {
    const children = await readdir(abs, { withFileTypes: true });
    for (const child of children) {
      const childAbs = join(abs, child.name);
      const childRel = rel === '' ? child.name : `${rel}/${child.name}`;
      if (this.excludePaths.has(childAbs)) {
        this.excluded.push({ path: childRel, reason: 'bound as an input or output' });
        continue;
      }
      if (child.isSymbolicLink()) {
        this.entries.push({ path: childRel, type: 'symlink', target: await readlink(childAbs) });
      } else if (child.isDirectory()) {
        const reason = await excludedDirReason(childAbs, child.name);
        if (reason) {
          this.excluded.push({ path: childRel, reason });
          continue;
        }
        this.entries.push({ path: childRel, type: 'dir' });
        await this.dir(childAbs, childRel);
      } else if (child.isFile()) {
        if (EXCLUDED_NAMES.has(child.name)) {
          // `.git` is a file in worktrees and submodules.
          this.excluded.push({ path: childRel, reason: 'version control' });
          continue;
        }
        const s = await lstat(childAbs);
        const mode = (s.mode & 0o111) !== 0 ? 0o755 : 0o644;
        this.entries.push({ path: childRel, type: 'file', mode, size: s.size });
      } else {
        this.excluded.push({ path: childRel, reason: 'not a regular file (socket, FIFO or device)' });
      }
    }
  }
}

async function excludedDirReason(abs: string, name: string): Promise<string | null> {
  if (name === '.minibatch') return 'minibatch run directories';
  if (name === '.git') return 'version control';
  if (name === 'node_modules') return 'Node dependencies';
  if (name === '__pycache__') return 'Python bytecode cache';
  if (name === 'venv' || name === '.venv') return 'virtual environment';
  const cfg = await stat(join(abs, 'pyvenv.cfg')).catch(() => null);
  if (cfg?.isFile()) return 'virtual environment (has pyvenv.cfg)';
  return null;
}

function tooLarge(
  root: string,
  totalBytes: number,
  maxBytes: number,
  files: readonly { path: string; size: number }[],
): UsageError {
  const largest = [...files]
    .sort((a, b) => b.size - a.size || compareBytes(a.path, b.path))
    .slice(0, 5)
    .map((f) => `  ${formatBytes(f.size).padStart(9)}  ${f.path}`)
    .join('\n');
  return new UsageError(
    `the module folder ${root} holds ${formatBytes(totalBytes)} of files, over the ${formatBytes(maxBytes)} ` +
      `cap of the code snapshot that worker machines fetch. Largest files:\n${largest}\n` +
      `Move data out of the module folder and bind it as an input (data paths are read in place), or raise the cap ` +
      `with ${SNAPSHOT_MAX_ENV} (in MB).`,
  );
}

/** Bytes in the units minibatch uses elsewhere (powers of 1024, written KB/MB/GB). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : Math.round(v * 10) / 10} ${units[u]}`;
}

/** Code-unit order, not locale order: the same on every machine. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
