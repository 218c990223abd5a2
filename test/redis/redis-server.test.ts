import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { createRedis } from '../../src/redis/connection/connection.js';
import { resolveRedisTarget } from '../../src/redis/connection/url.js';
import { describeWithRedis, startRedisServer, uniquePrefix } from '../helpers/redis-server.js';

describeWithRedis('the test redis-server', () => {
  it('keeps its data across a restart, clean or hard, when persistence is on', async () => {
    const server = await startRedisServer({ persistence: true });
    const key = `${uniquePrefix('restart')}:k`;
    const redis = createRedis(resolveRedisTarget(server.url, {}), { log: () => {}, maxRetryDelayMs: 100 });
    try {
      await redis.set(key, 'before');
      await server.restart();
      expect(await redis.get(key)).toBe('before');
      await redis.set(key, 'after a clean restart');
      await server.restart({ hard: true });
      expect(await redis.get(key)).toBe('after a clean restart');
    } finally {
      redis.disconnect();
      await server.stop();
    }
    expect(existsSync(server.dir)).toBe(false);
  });

  it('serves each test on its own port, with a password when asked', async () => {
    const [a, b] = await Promise.all([startRedisServer(), startRedisServer({ password: 'pw' })]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(b.url).toBe(`redis://:pw@127.0.0.1:${b.port}`);
      expect(b.bareUrl).toBe(`redis://127.0.0.1:${b.port}`);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
