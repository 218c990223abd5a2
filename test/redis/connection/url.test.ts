import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { REDIS_URL_ENV, parseRedisUrl, redactUrl, resolveRedisTarget } from '../../../src/redis/connection/url.js';

describe('Redis URLs', () => {
  it('reads host, port, database, user and password', () => {
    const t = parseRedisUrl('redis://alice:p%40ss@cache.example:6380/2');
    expect(t).toMatchObject({ tls: false, host: 'cache.example', port: 6380, db: 2, username: 'alice', password: 'p@ss' });
    expect(t.display).toBe('redis://alice:***@cache.example:6380/2');
  });

  it('defaults the port to 6379 and the database to 0, and reads rediss:// and IPv6', () => {
    expect(parseRedisUrl('redis://h')).toMatchObject({ port: 6379, db: 0, username: null, password: null });
    expect(parseRedisUrl('rediss://:pw@[::1]:7000').display).toBe('rediss://:***@[::1]:7000/0');
    expect(parseRedisUrl('rediss://:pw@[::1]:7000')).toMatchObject({ tls: true, host: '::1', password: 'pw' });
  });

  it('refuses malformed URLs without showing the password', () => {
    for (const url of ['http://:secret@h:1', 'redis://:secret@h:1/x', 'redis://:secret@:6379', 'not a url', 'redis://:secret@h?db=1']) {
      let error: unknown;
      try {
        parseRedisUrl(url);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect(String((error as Error).message)).not.toContain('secret');
      expect((error as Error).message).toContain('expected redis://');
    }
  });

  it('redacts the password of any URL it prints', () => {
    expect(redactUrl('redis://u:hunter2@h:6379/1')).toBe('redis://u:***@h:6379/1');
    expect(redactUrl('redis://:hunter2@h')).toBe('redis://:***@h');
    expect(redactUrl('redis://h:6379')).toBe('redis://h:6379');
    expect(redactUrl('redis//:hunter2@h')).not.toContain('hunter2');
  });

  it(`takes the password from ${REDIS_URL_ENV} for the same server only`, () => {
    const env = { [REDIS_URL_ENV]: 'redis://bob:s3cret@h:6379' };
    const same = resolveRedisTarget('redis://h:6379/3', env);
    expect(same).toMatchObject({ db: 3, username: 'bob', password: 's3cret', passwordFrom: 'env' });
    expect(same.display).not.toContain('s3cret');
    const other = resolveRedisTarget('redis://other:6379', env);
    expect(other.password).toBeNull();
    expect(other.envNote).toContain('another server');
    expect(resolveRedisTarget(null, env)).toMatchObject({ host: 'h', password: 's3cret', passwordFrom: 'env' });
    expect(() => resolveRedisTarget(undefined, {})).toThrow(REDIS_URL_ENV);
    // A password in the URL wins.
    expect(resolveRedisTarget('redis://:mine@h:6379', env)).toMatchObject({ password: 'mine', passwordFrom: 'url' });
  });
});
