/**
 * Clear errors for what a user gets wrong with Redis: a wrong or missing password, a
 * wrong URL, a run published by another minibatch version, inputs a worker machine cannot read.
 * Exit codes: 3 when Redis cannot be used, 2 for a malformed flag. A password never shows.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisKeys } from '../../src/redis/store/keys.js';
import { RunRegistry } from '../../src/redis/store/registry.js';
import type { ResolvedJob } from '../../src/spec/types.js';
import { runCli } from '../helpers/cli.js';
import { makeModule, moduleArgs, names } from '../helpers/module.js';
import { describeWithRedis, startRedisServer, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { clusterEnv } from './helpers.js';

const PASSWORD = 'hunter2-s3cret';

describeWithRedis('Redis errors a user can act on', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer({ password: PASSWORD });
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('a missing or wrong password: exit 3, what to do, and no password in sight', async () => {
    const m = makeModule({ entry: 'ok', files: names(2) });
    const env = clusterEnv(uniquePrefix('password'));
    const missing = await runCli([...moduleArgs(m), '--backend', server.bareUrl], { env });
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain(`error: Redis at ${server.bareUrl}/0 requires a password and none was given`);
    expect(missing.stderr).toContain('MINIBATCH_REDIS_URL');

    const wrongUrl = server.url.replace(encodeURIComponent(PASSWORD), 'not-the-password');
    const wrong = await runCli(['worker', wrongUrl, '--once'], { env });
    expect(wrong.exitCode).toBe(3);
    expect(wrong.stderr).toMatch(/error: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 refused the password from the URL/);
    expect(wrong.stderr + wrong.stdout).not.toContain('not-the-password');

    // The password may come from MINIBATCH_REDIS_URL instead, and is never printed.
    const fromEnv = await runCli(['worker', server.bareUrl, '--once'], { env: { ...env, MINIBATCH_REDIS_URL: server.url } });
    expect(fromEnv.exitCode).toBe(0);
    expect(fromEnv.stdout).toContain(`connected to ${server.bareUrl}/0`);
    expect(fromEnv.stdout + fromEnv.stderr).not.toContain(PASSWORD);
  });

  it('a module folder over the snapshot cap: exit 2, how to fix it, and no run directory left behind', async () => {
    const m = makeModule({ entry: 'ok', files: names(2) });
    writeFileSync(join(m.spec, '..', 'weights.bin'), Buffer.alloc(4096));
    const env = { ...clusterEnv(uniquePrefix('cap')), MINIBATCH_REDIS_URL: server.url, MINIBATCH_SNAPSHOT_MAX_MB: '0.002' };
    const r = await runCli([...moduleArgs(m), '--backend', 'redis'], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/holds 4\.\d KB of files, over the 2 KB cap of the code snapshot/);
    expect(r.stderr).toContain('4 KB  weights.bin');
    expect(r.stderr).toContain('or raise the cap with MINIBATCH_SNAPSHOT_MAX_MB (in MB)');
    expect(existsSync(m.runDir)).toBe(false);

    const raised = await runCli([...moduleArgs(m), '--backend', 'redis', '--processes', '1'], { env: { ...env, MINIBATCH_SNAPSHOT_MAX_MB: '1' } });
    expect(raised.exitCode).toBe(0);
    const bad = await runCli([...moduleArgs(m), '--run-dir', join(m.root, 'run2'), '--backend', 'redis'], { env: { ...env, MINIBATCH_SNAPSHOT_MAX_MB: 'lots' } });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('MINIBATCH_SNAPSHOT_MAX_MB is a number of megabytes up to 512 (Redis keeps a snapshot in one value), such as 200; found `lots`');
  });

  it('a new run that cannot start after it was published: no run directory, and Redis forgets it', async () => {
    const m = makeModule({ entry: 'ok', files: names(2) });
    const prefix = uniquePrefix('unstarted');
    // This machine's agent cannot unpack the code snapshot: its cache is a file, not a folder.
    writeFileSync(join(m.root, 'cache-file'), 'not a folder');
    const env = { ...clusterEnv(prefix), MINIBATCH_REDIS_URL: server.url, MINIBATCH_CACHE_DIR: join(m.root, 'cache-file') };
    const r = await runCli([...moduleArgs(m), '--backend', 'redis', '--processes', '1'], { env });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(
      `error: cannot unpack the module's code snapshot into ${join(m.root, 'cache-file', 'snapshots')}: a part of the ` +
        'path is not a directory. Point MINIBATCH_CACHE_DIR at a folder this machine can write.',
    );
    expect(existsSync(m.runDir)).toBe(false);
    expect(await redis.keys(`${prefix}:run:*`)).toEqual([]);
    expect(await redis.keys(`${prefix}:bull:*`)).toEqual([]);
    expect(await redis.zrange(`${prefix}:runs`, 0, -1)).toEqual([]);
  });

  it('a wrong URL: nothing listening is exit 3, a malformed one exit 2', async () => {
    const m = makeModule({ entry: 'ok', files: names(2) });
    const refused = await runCli([...moduleArgs(m), '--backend', 'redis://127.0.0.1:1']);
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1/0: connection refused');
    const malformed = await runCli([...moduleArgs(m), '--backend', 'http://127.0.0.1:6379']);
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr).toContain('--backend "http://127.0.0.1:6379": expected local, redis://HOST:6379[/db]');
    const worker = await runCli(['worker', 'redis://127.0.0.1:1', '--once']);
    expect(worker.exitCode).toBe(3);
    expect(worker.stderr).toContain('connection refused');
  });

  it('a run published by another minibatch version is refused with both versions named', async () => {
    const prefix = uniquePrefix('protocol');
    const keys = redisKeys(prefix);
    await redis.hset(keys.run('old-run'), { runId: 'old-run', state: 'running', protocol: '99', minibatchVersion: '9.9.9' });
    await redis.zadd(keys.runs, Date.now(), 'old-run');
    const r = await runCli(['worker', server.url, '--once', '--prefix', prefix]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/warning: run old-run in Redis was published by minibatch 9\.9\.9 \(Redis protocol 99\); this is minibatch \S+ \(protocol 1\)/);
    expect(r.stderr).toContain('npm install -g minibatch@9.9.9');
  });

  it('a worker that cannot read a run\'s inputs says which, leaves the run to others, and tells the orchestrator', async () => {
    const prefix = uniquePrefix('inputs');
    const keys = redisKeys(prefix);
    const missing = join('/nonexistent', 'shared', 'data');
    const job = { inputs: { Data: missing }, settings: { python: 'python3' } } as unknown as ResolvedJob;
    await new RunRegistry(redis, keys).register({ runId: 'far-run', job, codeDigest: 'a'.repeat(64), queueName: 'far-run' });
    const r = await runCli(['worker', server.url, '--once', '--prefix', prefix]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(
      `warning: cannot serve run far-run: input Data at ${missing} is not readable on this machine (no such file or directory)`,
    );
    expect(r.stdout).toMatch(/served 0 runs/);
    const report = JSON.parse((await redis.hvals(keys.reports('far-run')))[0] ?? '{}') as { kind?: string; message?: string };
    expect(report).toMatchObject({ kind: 'inputs_unreadable' });
    expect(report.message).toContain(missing);
  });
});
