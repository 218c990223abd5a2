import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { parseBackend, parsePrefix, parseProcesses, storableUrl } from '../../../src/redis/connection/cli-options.js';
import { parseRedisUrl } from '../../../src/redis/connection/url.js';

describe('the Redis backend flags', () => {
  it('--backend: local by default, a redis:// URL, or `redis` for MINIBATCH_REDIS_URL', () => {
    expect(parseBackend(undefined, {})).toBeNull();
    expect(parseBackend('local', {})).toBeNull();
    expect(parseBackend('redis://h:7000/2', {})?.target).toMatchObject({ host: 'h', port: 7000, db: 2 });
    const env = { MINIBATCH_REDIS_URL: 'rediss://:pw@h2:6380', MINIBATCH_REDIS_PREFIX: 'team-a' };
    expect(parseBackend('redis', env)).toMatchObject({ target: { host: 'h2', tls: true, password: 'pw' }, prefix: 'team-a' });
    expect(() => parseBackend('http://h:6379', {})).toThrow(UsageError);
    expect(() => parseBackend('redis', {})).toThrow(/no Redis URL/);
  });

  it('--prefix and --processes are checked; 0 processes only where allowed', () => {
    expect(parsePrefix(undefined, {})).toBe('minibatch');
    expect(() => parsePrefix('a b', {})).toThrow(/--prefix/);
    expect(parseProcesses(undefined, true)).toBeNull();
    expect(parseProcesses('0', true)).toBe(0);
    expect(() => parseProcesses('0', false)).toThrow('--processes must be a whole number, 1 or more; found `0`');
  });

  it('run.json keeps the server and user, never the password', () => {
    expect(storableUrl(parseRedisUrl('redis://:secret@h:6379/1'))).toBe('redis://h:6379/1');
    expect(storableUrl(parseRedisUrl('rediss://ops:secret@[::1]:6380'))).toBe('rediss://ops@[::1]:6380/0');
  });
});
