import { afterAll, beforeAll, expect, it } from 'vitest';
import { EnvironmentError } from '../../../src/core/errors.js';
import { checkRedis } from '../../../src/redis/connection/check.js';
import { REDIS_URL_ENV, resolveRedisTarget } from '../../../src/redis/connection/url.js';
import { describeWithRedis, startRedisServer } from '../../helpers/redis-server.js';
import type { RedisServer } from '../../helpers/redis-server.js';

async function checkError(url: string, env: Record<string, string> = {}): Promise<EnvironmentError> {
  try {
    await checkRedis(resolveRedisTarget(url, env), { connectTimeoutMs: 2_000 });
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).code).toBe('REDIS_UNAVAILABLE');
    expect((error as EnvironmentError).exitCode).toBe(3);
    return error as EnvironmentError;
  }
  throw new Error(`checkRedis(${url}) succeeded`);
}

describeWithRedis('checkRedis against a real server', () => {
  let open: RedisServer;
  let locked: RedisServer;
  let evicting: RedisServer;
  beforeAll(async () => {
    [open, locked, evicting] = await Promise.all([
      startRedisServer(),
      startRedisServer({ password: 'correct horse' }),
      startRedisServer({ maxmemoryPolicy: 'allkeys-lru' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([open?.stop(), locked?.stop(), evicting?.stop()]);
  });

  it('passes a reachable server with noeviction and no warnings', async () => {
    const check = await checkRedis(resolveRedisTarget(open.url, {}));
    expect(check.maxmemoryPolicy).toBe('noeviction');
    expect(check.serverVersion).toMatch(/^\d+\.\d+/);
    expect(check.warnings).toEqual([]);
  });

  it('says "connection refused" and how to fix it for a port nobody listens on', async () => {
    const stopped = await startRedisServer();
    const url = stopped.url;
    await stopped.stop();
    const error = await checkError(url);
    expect(error.message).toContain('connection refused');
    expect(error.message).toContain('redis-server --port');
  });

  it('says a password is required when none was given', async () => {
    const error = await checkError(locked.bareUrl);
    expect(error.message).toContain('requires a password and none was given');
    expect(error.message).toContain(REDIS_URL_ENV);
  });

  it('says the password was refused, and where it came from, without printing it', async () => {
    const fromUrl = await checkError(`redis://:wrong-one@${locked.host}:${locked.port}`);
    expect(fromUrl.message).toContain('refused the password from the URL');
    expect(fromUrl.message).not.toContain('wrong-one');
    const fromEnv = await checkError(locked.bareUrl, { [REDIS_URL_ENV]: `redis://:wrong-two@${locked.host}:${locked.port}` });
    expect(fromEnv.message).toContain(`refused the password from ${REDIS_URL_ENV}`);
    expect(fromEnv.message).not.toContain('wrong-two');
  });

  it('accepts the right password, in the URL or in the environment', async () => {
    await expect(checkRedis(resolveRedisTarget(locked.url, {}))).resolves.toMatchObject({ warnings: [] });
    const env = { [REDIS_URL_ENV]: locked.url };
    await expect(checkRedis(resolveRedisTarget(locked.bareUrl, env))).resolves.toMatchObject({ warnings: [] });
  });

  it('says a database number does not exist instead of silently using database 0', async () => {
    const error = await checkError(`${open.url}/99`);
    expect(error.message).toContain('database 99 does not exist');
  });

  it('warns when maxmemory-policy is not noeviction', async () => {
    const check = await checkRedis(resolveRedisTarget(evicting.url, {}));
    expect(check.maxmemoryPolicy).toBe('allkeys-lru');
    expect(check.warnings).toHaveLength(1);
    expect(check.warnings[0]).toContain('maxmemory-policy allkeys-lru; minibatch needs noeviction');
    expect(check.warnings[0]).toContain('CONFIG SET maxmemory-policy noeviction');
  });
});
