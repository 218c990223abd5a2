/**
 * Unpacking a code snapshot's archive (format in archive.ts). The archive comes from Redis, so it
 * is checked entry by entry before anything touches the disk.
 */
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { EnvironmentError } from '../../core/errors.js';
import { FORMAT, FORMAT_VERSION } from './archive.js';
import type { SnapshotEntry } from './archive.js';

export function corruptSnapshot(digest: string, why: string, cause?: unknown): EnvironmentError {
  return new EnvironmentError(
    'REDIS_UNAVAILABLE',
    `the module's code snapshot ${digest.slice(0, 12)} in Redis is corrupt (${why}); start the run again to republish it`,
    cause === undefined ? undefined : { cause },
  );
}

/** Writes an archive's entries under `destDir`, which must not exist. Exported for tests. */
export async function extractArchive(archive: Buffer, digest: string, destDir: string): Promise<void> {
  const newline = archive.indexOf(0x0a);
  if (newline < 0) throw corruptSnapshot(digest, 'it has no index');
  let raw: unknown;
  try {
    raw = JSON.parse(archive.subarray(0, newline).toString('utf8'));
  } catch (cause) {
    throw corruptSnapshot(digest, 'its index is not JSON', cause);
  }
  const entries = readIndex(raw, digest);

  await mkdir(destDir, { recursive: false });
  let offset = newline + 1;
  const links: Extract<SnapshotEntry, { type: 'symlink' }>[] = [];
  for (const entry of entries) {
    const abs = join(destDir, ...entry.path.split('/'));
    switch (entry.type) {
      case 'dir':
        await mkdir(abs, { mode: 0o755 });
        break;
      case 'file': {
        const end = offset + entry.size;
        if (end > archive.length) throw corruptSnapshot(digest, 'it is truncated');
        await writeFile(abs, archive.subarray(offset, end), { flag: 'wx' });
        await chmod(abs, entry.mode); // exact mode, whatever the umask
        offset = end;
        break;
      }
      case 'symlink':
        links.push(entry);
        break;
      default: {
        const never: never = entry;
        throw corruptSnapshot(digest, `it has an entry of unknown type ${JSON.stringify(never)}`);
      }
    }
  }
  if (offset !== archive.length) throw corruptSnapshot(digest, 'it has bytes its index does not account for');
  // Links last: nothing is ever written through one.
  for (const link of links) await symlink(link.target, join(destDir, ...link.path.split('/')));
}

/**
 * The index's entries, checked one by one: every path must be relative, normalized and unique, and
 * only directories may have children, so that a crafted index can write neither outside the
 * destination (`../x`) nor through a link (`link/x`).
 */
function readIndex(raw: unknown, digest: string): SnapshotEntry[] {
  if (!isRecord(raw) || raw.format !== FORMAT || raw.version !== FORMAT_VERSION || !Array.isArray(raw.entries)) {
    throw corruptSnapshot(digest, `its format is not ${FORMAT} version ${FORMAT_VERSION}`);
  }
  const kinds = new Map<string, SnapshotEntry['type']>();
  const entries: SnapshotEntry[] = [];
  for (const item of raw.entries as unknown[]) {
    const path = isRecord(item) && typeof item.path === 'string' ? item.path : null;
    const parts = path === null ? [] : path.split('/');
    if (
      !isRecord(item) ||
      path === null ||
      parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0') || p.includes(sep)) ||
      kinds.has(path)
    ) {
      throw corruptSnapshot(digest, `it has an unsafe or repeated path ${JSON.stringify(path)}`);
    }
    const parent = parts.slice(0, -1).join('/');
    if (parent !== '' && kinds.get(parent) !== 'dir') {
      throw corruptSnapshot(digest, `${path} comes before its folder, or its folder is not a directory`);
    }
    const entry = readEntry(item, path);
    if (entry === null) throw corruptSnapshot(digest, `it has a malformed entry for ${path}`);
    kinds.set(path, entry.type);
    entries.push(entry);
  }
  return entries;
}

function readEntry(item: Record<string, unknown>, path: string): SnapshotEntry | null {
  switch (item.type) {
    case 'dir':
      return { path, type: 'dir' };
    case 'file': {
      const { mode, size } = item;
      if ((mode !== 0o644 && mode !== 0o755) || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        return null;
      }
      return { path, type: 'file', mode, size };
    }
    case 'symlink':
      return typeof item.target === 'string' && item.target !== '' ? { path, type: 'symlink', target: item.target } : null;
    default:
      return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
