import { expect, it } from 'vitest';
import { createRedis } from '../../../src/redis/connection/connection.js';
import { resolveRedisTarget } from '../../../src/redis/connection/url.js';
import { describeWithRedis, startRedisServer } from '../../helpers/redis-server.js';

describeWithRedis('createRedis', () => {
  it('durable: waits out a Redis restart, says so, and loses nothing with persistence on', async () => {
    const server = await startRedisServer({ persistence: true });
    const lines: string[] = [];
    const redis = createRedis(resolveRedisTarget(server.url, {}), { log: (m) => lines.push(m), maxRetryDelayMs: 200 });
    try {
      await redis.set('t-durable:key', 'kept');
      const restarting = server.restart({ downMs: 600 });
      await new Promise((r) => setTimeout(r, 150));
      // Issued while Redis is down: queued, then sent on reconnection.
      const during = redis.incr('t-durable:counter');
      await restarting;
      expect(await during).toBe(1);
      expect(await redis.get('t-durable:key')).toBe('kept');
      expect(lines.some((l) => /^Redis unreachable, retrying in [\d.]+s \(redis:\/\/127\.0\.0\.1:\d+\/0: /.test(l))).toBe(true);
      expect(lines.some((l) => l.startsWith('Redis reachable again after'))).toBe(true);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });

  it('fail-fast: gives up after retryForMs and rejects pending commands', async () => {
    const server = await startRedisServer();
    const url = server.url;
    await server.stop();
    const lines: string[] = [];
    const redis = createRedis(resolveRedisTarget(url, {}), {
      patience: 'fail-fast',
      retryForMs: 300,
      maxRetryDelayMs: 100,
      log: (m) => lines.push(m),
    });
    try {
      await expect(redis.ping()).rejects.toThrow();
      expect(lines.at(-1)).toMatch(/^Redis unreachable, giving up \(.*connection refused\)$/);
    } finally {
      redis.disconnect();
    }
  });

  it('never logs the password', async () => {
    const server = await startRedisServer({ password: 'pa55word' });
    const url = server.url;
    await server.stop();
    const lines: string[] = [];
    const redis = createRedis(resolveRedisTarget(url, {}), {
      patience: 'fail-fast',
      retryForMs: 200,
      maxRetryDelayMs: 100,
      log: (m) => lines.push(m),
    });
    try {
      await expect(redis.ping()).rejects.toThrow();
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join('\n')).not.toContain('pa55word');
      expect(lines.join('\n')).toContain('redis://:***@127.0.0.1');
    } finally {
      redis.disconnect();
    }
  });
});
