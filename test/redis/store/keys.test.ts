import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createRedis } from '../../../src/redis/connection/connection.js';
import { resolveRedisTarget } from '../../../src/redis/connection/url.js';
import { miniBatchJobId, parseMiniBatchJobId, redisKeys } from '../../../src/redis/store/keys.js';
import { describeWithRedis, startRedisServer, uniquePrefix } from '../../helpers/redis-server.js';

describe('Redis key names', () => {
  it('puts everything under the prefix', () => {
    const keys = redisKeys('team-a');
    const digest = 'a'.repeat(64);
    expect(keys.runs).toBe('team-a:runs');
    expect(keys.run('r1')).toBe('team-a:run:r1');
    expect(keys.snapshot(digest)).toBe(`team-a:snapshot:${digest}`);
    expect(keys.bullPrefix).toBe('team-a:bull');
    expect(keys.queueName('r1')).toBe('r1');
    expect(redisKeys().runs).toBe('minibatch:runs');
  });

  it('refuses prefixes, run ids and digests that would break key names or paths', () => {
    expect(() => redisKeys('a b')).toThrow(/prefix/);
    expect(() => redisKeys('a:')).toThrow(/prefix/);
    expect(() => redisKeys().run('a:b')).toThrow(/run id/);
    expect(() => redisKeys().queueName('../x')).toThrow(/run id/);
    expect(() => redisKeys().snapshot('../../etc')).toThrow(/digest/);
  });
});

describe('mini-batch job ids', () => {
  it('round-trip index, generation, attempt and key, even a key with ":"', () => {
    for (const ref of [
      { index: 0, key: '3f2a', generation: 0, attempt: 1 },
      { index: 41, key: 'sha256:ab/cd ef', generation: 7, attempt: 3 },
    ]) {
      const id = miniBatchJobId(ref);
      expect(id).not.toContain(':');
      expect(`${Number.parseInt(id, 10)}`).not.toBe(id);
      expect(parseMiniBatchJobId(id)).toEqual(ref);
    }
    expect(miniBatchJobId({ index: 3, key: 'k', generation: 1, attempt: 2 })).toBe('mb-3-g1-a2-k');
    expect(parseMiniBatchJobId('12')).toBeNull();
    expect(parseMiniBatchJobId('mb-3-g1-a0-k')).toBeNull();
    expect(() => miniBatchJobId({ index: -1, key: 'k', generation: 0, attempt: 1 })).toThrow();
    expect(() => miniBatchJobId({ index: 1, key: '', generation: 0, attempt: 1 })).toThrow();
    expect(() => miniBatchJobId({ index: 1, key: 'k', generation: 0, attempt: 0 })).toThrow();
  });
});

describeWithRedis('mini-batch job ids in BullMQ', () => {
  it('are accepted, and adding one twice keeps one job (re-enqueue after a crash is idempotent)', async () => {
    const server = await startRedisServer();
    const redis = createRedis(resolveRedisTarget(server.url, {}));
    const keys = redisKeys(uniquePrefix('jobid'));
    const queue = new Queue(keys.queueName('run1'), { connection: redis, prefix: keys.bullPrefix });
    try {
      const id = miniBatchJobId({ index: 5, key: 'sha256:00ff', generation: 0, attempt: 1 });
      await queue.add('mb', { attempt: 1 }, { jobId: id });
      await queue.add('mb', { attempt: 2 }, { jobId: id });
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
      expect((await queue.getJob(id))?.data).toEqual({ attempt: 1 });
      // A new generation, or the next try, is a new job.
      await queue.add('mb', {}, { jobId: miniBatchJobId({ index: 5, key: 'sha256:00ff', generation: 1, attempt: 1 }) });
      await queue.add('mb', {}, { jobId: miniBatchJobId({ index: 5, key: 'sha256:00ff', generation: 0, attempt: 2 }) });
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 3 });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
      await server.stop();
    }
  });
});
