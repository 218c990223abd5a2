import type { Redis } from 'ioredis';
import { beforeEach, expect, it } from 'vitest';
import { EnvironmentError } from '../../../src/core/errors.js';
import { createRedis } from '../../../src/redis/connection/connection.js';
import { resolveRedisTarget } from '../../../src/redis/connection/url.js';
import { MINIBATCH_VERSION, REDIS_PROTOCOL_VERSION, redisKeys } from '../../../src/redis/store/keys.js';
import type { RedisKeys } from '../../../src/redis/store/keys.js';
import { RunRegistry } from '../../../src/redis/store/registry.js';
import type { ResolvedJob } from '../../../src/spec/types.js';
import { describeWithRedis, redisPerSuite, uniquePrefix } from '../../helpers/redis-server.js';

// The registry stores the job as JSON and never looks inside; a fragment stands for the whole.
const job = { inputs: { 'Data Input': '/data/in' }, entryArgs: ['--x', '1'] } as unknown as ResolvedJob;
const digest = 'c'.repeat(64);

describeWithRedis('the run registry', () => {
  let redis: Redis;
  let keys: RedisKeys;
  let registry: RunRegistry;
  redisPerSuite(
    (_server, r) => {
      redis = r;
    },
    (url) => createRedis(resolveRedisTarget(url, {})),
  );
  beforeEach(() => {
    keys = redisKeys(uniquePrefix('registry'));
    registry = new RunRegistry(redis, keys);
  });

  it('publishes a run that workers can read and list', async () => {
    const record = await registry.register({ runId: 'run-a', job, codeDigest: digest, queueName: 'run-a' });
    expect(record).toMatchObject({
      runId: 'run-a',
      state: 'running',
      message: '',
      protocol: REDIS_PROTOCOL_VERSION,
      minibatchVersion: MINIBATCH_VERSION,
      codeDigest: digest,
      queueName: 'run-a',
      job,
      pid: process.pid,
    });
    expect(await registry.read('run-a')).toEqual(record);
    expect(await registry.read('nope')).toBeNull();
    expect((await registry.list()).runs.map((r) => r.runId)).toEqual(['run-a']);
  });

  it('lists runs oldest first, filtered by state, and a resumed run keeps its place', async () => {
    await registry.register({ runId: 'first', job, codeDigest: digest, queueName: 'first' });
    await new Promise((r) => setTimeout(r, 5));
    await registry.register({ runId: 'second', job, codeDigest: digest, queueName: 'second' });
    expect(await registry.setState('first', 'failed', 'allowedFailedCount 0 exceeded')).toBe(true);

    let listing = await registry.list(['running']);
    expect(listing.runs.map((r) => r.runId)).toEqual(['second']);
    const failed = await registry.read('first');
    expect(failed).toMatchObject({ state: 'failed', message: 'allowedFailedCount 0 exceeded' });

    await registry.register({ runId: 'first', job, codeDigest: digest, queueName: 'first' }); // resume
    listing = await registry.list(['running']);
    expect(listing.runs.map((r) => r.runId)).toEqual(['first', 'second']);
    expect((await registry.read('first'))?.createdAt).toBe(failed?.createdAt);
  });

  it('updates only registered runs and removes runs', async () => {
    expect(await registry.setState('ghost', 'finished')).toBe(false);
    expect(await redis.exists(keys.run('ghost'))).toBe(0);
    await registry.register({ runId: 'gone', job, codeDigest: digest, queueName: 'gone' });
    await registry.setState('gone', 'finished');
    expect((await registry.read('gone'))?.state).toBe('finished');
    await registry.remove('gone');
    expect(await registry.read('gone')).toBeNull();
    expect((await registry.list()).runs).toEqual([]);
  });

  it('refuses a run published by another minibatch version, saying which', async () => {
    await registry.register({ runId: 'old', job, codeDigest: digest, queueName: 'old' });
    await redis.hset(keys.run('old'), 'protocol', String(REDIS_PROTOCOL_VERSION + 1), 'minibatchVersion', '9.9.9');

    const listing = await registry.list();
    expect(listing.runs).toEqual([]);
    expect(listing.refused).toHaveLength(1);
    expect(listing.refused[0]?.message).toContain('published by minibatch 9.9.9');
    expect(listing.refused[0]?.message).toContain(`this is minibatch ${MINIBATCH_VERSION}`);

    const error = await registry.read('old').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toContain('npm install -g minibatch@9.9.9');
    await expect(registry.register({ runId: 'old', job, codeDigest: digest, queueName: 'old' })).rejects.toThrow(
      /published by minibatch 9\.9\.9/,
    );
  });
});
