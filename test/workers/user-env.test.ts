import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverOptions } from '../../src/redis/connection/connection.js';
import { resolveRedisTarget } from '../../src/redis/connection/url.js';
import { extraCaCertificates, userEnvironment } from '../../src/workers/user-env.js';

describe('userEnvironment: what an entry script sees', () => {
  it('gets NODE_EXTRA_CA_CERTS back from where the executable kept it, and no Redis URL', () => {
    const env = userEnvironment({ PATH: '/bin', MINIBATCH_EXTRA_CA_CERTS: '/etc/ca.pem', MINIBATCH_REDIS_URL: 'redis://:pw@h' });
    expect(env).toEqual({ PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
  });

  it('keeps a NODE_EXTRA_CA_CERTS set afterwards (node dist/cli/main.cjs, or the user) as it is', () => {
    expect(userEnvironment({ NODE_EXTRA_CA_CERTS: '/mine.pem', MINIBATCH_EXTRA_CA_CERTS: '/kept.pem' })).toEqual({ NODE_EXTRA_CA_CERTS: '/mine.pem' });
    expect(userEnvironment({ HOME: '/root' })).toEqual({ HOME: '/root' });
  });
});

describe('extraCaCertificates and a rediss:// connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'minibatch-ca-'));
  const pem = join(dir, 'ca.pem');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

  it('trusts Node roots plus the kept certificates, on rediss:// only', () => {
    const env = { MINIBATCH_EXTRA_CA_CERTS: pem };
    const tls = serverOptions(resolveRedisTarget('rediss://redis.internal:6380', {}), env).tls;
    expect(tls?.servername).toBe('redis.internal');
    expect(tls?.ca).toEqual([...rootCertificates, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n']);
    expect(serverOptions(resolveRedisTarget('redis://redis.internal:6379', {}), env).tls).toBeUndefined();
    // Node loaded them itself when it started with the variable.
    expect(serverOptions(resolveRedisTarget('rediss://10.0.0.5:6380', {}), { ...env, NODE_EXTRA_CA_CERTS: pem }).tls).toEqual({});
  });

  it('warns once about a file it cannot read and goes on without it, as Node does', () => {
    const warnings: string[] = [];
    const missing = join(dir, 'gone.pem');
    // Every Redis connection asks: the user is told once.
    for (let i = 0; i < 3; i++) expect(extraCaCertificates({ MINIBATCH_EXTRA_CA_CERTS: missing }, (m) => warnings.push(m))).toBeNull();
    expect(warnings).toEqual([expect.stringContaining(`[minibatch] warning: ignoring extra certificates from ${missing} (NODE_EXTRA_CA_CERTS): ENOENT`)]);
    rmSync(dir, { recursive: true, force: true });
  });
});
