import { createHash } from 'node:crypto';
import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError, UsageError } from '../../../src/core/errors.js';
import { createRedis } from '../../../src/redis/connection/connection.js';
import { resolveRedisTarget } from '../../../src/redis/connection/url.js';
import { redisKeys } from '../../../src/redis/store/keys.js';
import type { RedisKeys } from '../../../src/redis/store/keys.js';
import { packSnapshot } from '../../../src/redis/snapshot/archive.js';
import { fetchSnapshot, publishSnapshot } from '../../../src/redis/snapshot/snapshot.js';
import { extractArchive } from '../../../src/redis/snapshot/unpack.js';
import { describeWithRedis, redisPerSuite, uniquePrefix } from '../../helpers/redis-server.js';

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'minibatch-snapshot-test-'));
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function write(root: string, rel: string, content: string | Buffer, mode = 0o644): void {
  const abs = join(root, rel);
  mkdirSync(join(abs, '..'), { recursive: true });
  writeFileSync(abs, content);
  chmodSync(abs, mode);
}

/** A module folder as users have them: code, a script, data, and everything that must not travel. */
function makeModule(root: string): void {
  write(root, 'module.yaml', 'amlModuleIdentifier: {moduleName: m, moduleVersion: 0.0.1}\n');
  write(root, 'score.py', 'def run(mini_batch):\n    return mini_batch\n');
  write(root, 'bin/run.sh', '#!/bin/sh\necho hi\n', 0o755);
  write(root, 'lib/util.py', 'X = 1\n');
  mkdirSync(join(root, 'empty'));
  symlinkSync('score.py', join(root, 'entry.py'));
  write(root, '.git/HEAD', 'ref: refs/heads/main\n');
  write(root, 'node_modules/left-pad/index.js', 'module.exports = 1\n');
  write(root, 'venv/bin/python', 'not really\n', 0o755);
  write(root, '.venv/lib/x.py', '\n');
  write(root, 'conda-env/pyvenv.cfg', 'home = /usr/bin\n');
  write(root, 'conda-env/lib/site.py', '\n');
  write(root, '__pycache__/score.cpython-312.pyc', 'bytecode');
  write(root, 'lib/__pycache__/util.cpython-312.pyc', 'bytecode');
  write(root, '.minibatch/runs/r1/state.db', 'ledger');
  write(root, 'outputs/result.txt', 'bound output');
}

describe('packing a module folder', () => {
  it('keeps code, scripts, empty folders and links, and leaves out what must not travel', async () => {
    const root = join(scratch, 'mod');
    makeModule(root);
    const packed = await packSnapshot(root, { exclude: [join(root, 'outputs')] });
    expect(packed.entries.map((e) => e.path)).toEqual([
      'bin',
      'bin/run.sh',
      'empty',
      'entry.py',
      'lib',
      'lib/util.py',
      'module.yaml',
      'score.py',
    ]);
    expect(packed.entries.find((e) => e.path === 'bin/run.sh')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(packed.entries.find((e) => e.path === 'score.py')).toMatchObject({ type: 'file', mode: 0o644 });
    expect(packed.entries.find((e) => e.path === 'entry.py')).toEqual({ path: 'entry.py', type: 'symlink', target: 'score.py' });
    expect(packed.excluded.map((e) => e.path)).toEqual([
      '.git',
      '.minibatch',
      '.venv',
      '__pycache__',
      'conda-env',
      'lib/__pycache__',
      'node_modules',
      'outputs',
      'venv',
    ]);
    expect(packed.excluded.find((e) => e.path === 'conda-env')?.reason).toContain('pyvenv.cfg');
    expect(packed.fileCount).toBe(4);
    expect(packed.digest).toBe(createHash('sha256').update(packed.archive).digest('hex'));
  });

  it('gives the same digest for the same content wherever and whenever it is packed', async () => {
    const a = join(scratch, 'a');
    makeModule(a);
    const first = await packSnapshot(a);
    const again = await packSnapshot(a);
    expect(again.digest).toBe(first.digest);
    expect(again.archive.equals(first.archive)).toBe(true);

    // A copy elsewhere, with new mtimes and a stricter mode on a plain file (another umask).
    const b = join(scratch, 'elsewhere', 'b');
    cpSync(a, b, { recursive: true, verbatimSymlinks: true });
    chmodSync(join(b, 'score.py'), 0o600);
    expect((await packSnapshot(b)).digest).toBe(first.digest);

    write(b, 'score.py', 'def run(mini_batch):\n    return []\n');
    expect((await packSnapshot(b)).digest).not.toBe(first.digest);
    chmodSync(join(a, 'score.py'), 0o755);
    expect((await packSnapshot(a)).digest).not.toBe(first.digest);
  });

  it('refuses a folder over the cap, naming the cap, the size found and the largest files', async () => {
    const root = join(scratch, 'big');
    write(root, 'score.py', 'x = 1\n');
    write(root, 'data/weights.bin', Buffer.alloc(3 * 1024));
    write(root, 'data/extra.bin', Buffer.alloc(1536));
    const error = await packSnapshot(root, { maxBytes: 2048 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message).toContain('4.5 KB of files, over the 2 KB cap');
    expect(message).toMatch(/3 KB {2}data\/weights\.bin\n +1\.5 KB {2}data\/extra\.bin\n/);
    expect(message).toContain('bind it as an input');
  });

  it('refuses a folder that is not one', async () => {
    await expect(packSnapshot(join(scratch, 'missing'))).rejects.toBeInstanceOf(UsageError);
  });
});

describe('extracting an archive', () => {
  it('refuses paths that would escape the folder or go through a link', async () => {
    for (const entries of [
      [{ path: '../evil', type: 'file', mode: 0o644, size: 0 }],
      [{ path: 'a', type: 'symlink', target: '/tmp' }, { path: 'a/x', type: 'file', mode: 0o644, size: 0 }],
      [{ path: 'a/b', type: 'file', mode: 0o644, size: 0 }],
    ]) {
      const archive = Buffer.from(`${JSON.stringify({ format: 'minibatch-snapshot', version: 1, entries })}\n`);
      const dest = join(scratch, `out-${Math.random()}`);
      await expect(extractArchive(archive, 'd'.repeat(64), dest)).rejects.toThrow(/corrupt/);
    }
  });
});

describeWithRedis('code snapshots in Redis', () => {
  let redis: Redis;
  let keys: RedisKeys;
  redisPerSuite(
    (_server, r) => {
      redis = r;
    },
    (url) => createRedis(resolveRedisTarget(url, {})),
  );
  beforeEach(() => {
    keys = redisKeys(uniquePrefix('snapshot'));
  });

  it('round-trips: a worker gets the same files, modes and links, even after the folder moved', async () => {
    const root = join(scratch, 'mod');
    makeModule(root);
    const published = await publishSnapshot(redis, keys, root);
    expect(await redis.exists(keys.snapshot(published.digest))).toBe(1);
    renameSync(root, join(scratch, 'moved')); // the workers must not need the original

    const cache = join(scratch, 'cache');
    const dir = await fetchSnapshot(redis, keys, published.digest, cache);
    expect(dir).toBe(join(cache, published.digest));
    expect(readFileSync(join(dir, 'score.py'), 'utf8')).toContain('def run');
    expect(lstatSync(join(dir, 'bin/run.sh')).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(dir, 'score.py')).mode & 0o777).toBe(0o644);
    expect(readlinkSync(join(dir, 'entry.py'))).toBe('score.py');
    expect(lstatSync(join(dir, 'empty')).isDirectory()).toBe(true);
    expect(() => lstatSync(join(dir, '.git'))).toThrow();
    expect(() => lstatSync(join(dir, 'venv'))).toThrow();
    // Packing what was extracted gives the digest back.
    expect((await packSnapshot(dir)).digest).toBe(published.digest);
  });

  it('reuses an extracted snapshot, and concurrent fetches agree', async () => {
    const root = join(scratch, 'mod');
    makeModule(root);
    const { digest } = await publishSnapshot(redis, keys, root);
    const cache = join(scratch, 'cache');
    const dirs = await Promise.all([1, 2, 3].map(() => fetchSnapshot(redis, keys, digest, cache)));
    expect(new Set(dirs).size).toBe(1);
    writeFileSync(join(cache, digest, 'marker'), '');
    await redis.del(keys.snapshot(digest)); // not needed any more: the cache answers
    expect(await fetchSnapshot(redis, keys, digest, cache)).toBe(dirs[0]);
    expect(lstatSync(join(cache, digest, 'marker')).isFile()).toBe(true);
    expect(lstatSync(cache).isDirectory()).toBe(true);
  });

  it('stores each content once', async () => {
    const root = join(scratch, 'mod');
    write(root, 'score.py', 'x = 1\n');
    const first = await publishSnapshot(redis, keys, root);
    const second = await publishSnapshot(redis, keys, root);
    expect(second.digest).toBe(first.digest);
    expect(await redis.keys(`${keys.prefix}:snapshot:*`)).toHaveLength(1);
  });

  it('says so when the snapshot is missing or corrupt', async () => {
    const cache = join(scratch, 'cache');
    const missing = 'e'.repeat(64);
    const error = await fetchSnapshot(redis, keys, missing, cache).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toContain('is not in Redis');

    const wrong = 'f'.repeat(64);
    await redis.set(keys.snapshot(wrong), gzipSync(Buffer.from('{}\n')));
    await expect(fetchSnapshot(redis, keys, wrong, cache)).rejects.toThrow(/corrupt \(its content does not match its digest\)/);
    await redis.set(keys.snapshot(wrong), Buffer.from('not gzip'));
    await expect(fetchSnapshot(redis, keys, wrong, cache)).rejects.toThrow(/corrupt \(it does not decompress\)/);
    await expect(fetchSnapshot(redis, keys, '../../etc', cache)).rejects.toThrow(/malformed/);
  });
});
