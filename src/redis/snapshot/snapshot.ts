/**
 * The module's code snapshot in Redis (docs/ARCHITECTURE.md, "Many machines"): the spec's folder, packed
 * (archive.ts), content-addressed and stored gzipped (node:zlib) under `<prefix>:snapshot:<digest>`,
 * so that a `minibatch worker` on another machine runs exactly the code the run was started with,
 * even if the folder changes or moves afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import type { Redis } from 'ioredis';
import { EnvironmentError } from '../../core/errors.js';
import { explainFsError } from './fs-errors.js';
import { packSnapshot, sha256 } from './archive.js';
import type { PackedSnapshot, SnapshotOptions } from './archive.js';
import { isSnapshotDigest } from '../store/keys.js';
import type { RedisKeys } from '../store/keys.js';
import { corruptSnapshot, extractArchive } from './unpack.js';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

/**
 * Stores a packed snapshot under `<prefix>:snapshot:<digest>`, unless it is already there (it is
 * content-addressed: same digest, same bytes). Returns whether it was written.
 */
export async function storeSnapshot(redis: Redis, keys: RedisKeys, snapshot: PackedSnapshot): Promise<boolean> {
  const key = keys.snapshot(snapshot.digest);
  if ((await redis.exists(key)) === 1) return false;
  const compressed = await gzip(snapshot.archive);
  return (await redis.set(key, compressed, 'NX')) === 'OK';
}

/** Packs `rootDir` and stores it; what the orchestrator calls when it publishes a run. */
export async function publishSnapshot(
  redis: Redis,
  keys: RedisKeys,
  rootDir: string,
  options: SnapshotOptions = {},
): Promise<PackedSnapshot> {
  const packed = await packSnapshot(rootDir, options);
  await storeSnapshot(redis, keys, packed);
  return packed;
}

/** Deletes a snapshot; the orchestrator's to call once no registered run uses it. */
export async function deleteSnapshot(redis: Redis, keys: RedisKeys, digest: string): Promise<void> {
  await redis.del(keys.snapshot(digest));
}

/** A gzip stream in Redis is never allowed to inflate past this (a corrupt or hostile value). */
const MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024;

/**
 * Makes the snapshot `digest` available as `<cacheDir>/<digest>/` and returns that path. A folder
 * already there is reused: it only ever appears by an atomic rename of a complete extraction, so
 * concurrent workers on one machine, or a worker killed mid-extraction, never leave a partial one.
 * Throws `EnvironmentError('REDIS_UNAVAILABLE')` when the snapshot is missing or corrupt.
 */
export async function fetchSnapshot(redis: Redis, keys: RedisKeys, digest: string, cacheDir: string): Promise<string> {
  if (!isSnapshotDigest(digest)) {
    // The digest becomes a directory name: a malformed one must not reach the file system.
    throw new EnvironmentError('REDIS_UNAVAILABLE', `the run names a malformed code snapshot digest ${JSON.stringify(digest)}`);
  }
  const finalDir = join(resolve(cacheDir), digest);
  if (await isDirectory(finalDir)) return finalDir;

  const key = keys.snapshot(digest);
  const compressed = await redis.getBuffer(key);
  if (compressed === null) {
    throw new EnvironmentError(
      'REDIS_UNAVAILABLE',
      `the module's code snapshot ${digest.slice(0, 12)} is not in Redis (key ${key}). The run's orchestrator ` +
        `removed it, or Redis lost data: run Redis with persistence and maxmemory-policy noeviction, then ` +
        `start the run again.`,
    );
  }
  let archive: Buffer;
  try {
    archive = await gunzip(compressed, { maxOutputLength: MAX_ARCHIVE_BYTES });
  } catch (cause) {
    throw corruptSnapshot(digest, 'it does not decompress', cause);
  }
  if (sha256(archive) !== digest) throw corruptSnapshot(digest, 'its content does not match its digest');

  try {
    await mkdir(resolve(cacheDir), { recursive: true });
  } catch (error) {
    throw unwritableCache(cacheDir, error);
  }
  const tempDir = join(resolve(cacheDir), `.partial-${digest.slice(0, 12)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await extractArchive(archive, digest, tempDir);
    try {
      await rename(tempDir, finalDir);
    } catch (error) {
      // Another process finished first: its copy is identical (same digest).
      if (!(await isDirectory(finalDir))) throw unwritableCache(cacheDir, error);
    }
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
  return finalDir;
}

/** The cache folder cannot take the snapshot: where it is, why, and how to choose another. */
function unwritableCache(cacheDir: string, error: unknown): EnvironmentError {
  return new EnvironmentError(
    'OUTPUT_UNWRITABLE',
    `cannot unpack the module's code snapshot into ${resolve(cacheDir)}: ${explainFsError(error)}. ` +
      `Point MINIBATCH_CACHE_DIR at a folder this machine can write.`,
    { cause: error },
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}
