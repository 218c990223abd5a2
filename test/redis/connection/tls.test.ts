/**
 * A rediss:// server whose certificate comes from a private CA, trusted through NODE_EXTRA_CA_CERTS
 * as Node users do. The `minibatch` executable takes that variable out of Node's start-up (it costs
 * every command ~40 ms) and the Redis connection trusts the certificates itself
 * (src/cli/minibatch.sh, src/redis/connection/connection.ts): a user sees no difference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { describeWithRedis, startRedisServer, type RedisServer } from '../../helpers/redis-server.js';
import { makeTestCertificates, opensslMissing, type TestCertificates } from '../../helpers/tls.js';

const missing = opensslMissing();
if (missing !== null && process.env.CI !== 'true') console.warn(`minibatch tests: skipping the rediss:// tests: ${missing}`);

describeWithRedis('rediss:// with a private CA', () => {
  let dir: string;
  let certificates: TestCertificates;
  let server: RedisServer;
  let url: string;

  beforeAll(async () => {
    if (missing !== null && process.env.CI === 'true') throw new Error(missing);
    if (missing !== null) return;
    dir = mkdtempSync(join(tmpdir(), 'minibatch-tls-'));
    certificates = makeTestCertificates(dir);
    server = await startRedisServer({ tls: { certFile: certificates.certFile, keyFile: certificates.keyFile } });
    url = `rediss://127.0.0.1:${server.tlsPort}`;
  });
  afterAll(async () => {
    await server?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(missing !== null && process.env.CI !== 'true')('connects when NODE_EXTRA_CA_CERTS names the CA, and says what to do when it does not', async () => {
    const trusted = await runCli(['worker', url, '--once'], { env: { NODE_EXTRA_CA_CERTS: certificates.caFile } });
    expect(trusted.stderr).toBe('');
    expect(trusted.exitCode).toBe(0);
    expect(trusted.stdout).toContain(`connected to ${url}/0`);

    const untrusted = await runCli(['worker', url, '--once'], { env: { NODE_EXTRA_CA_CERTS: undefined } });
    expect(untrusted.exitCode).toBe(3);
    expect(untrusted.stderr).toContain(`${url}/0: the TLS handshake failed`);
    expect(untrusted.stderr).toContain('point NODE_EXTRA_CA_CERTS at that CA');
  });

  it.skipIf(missing !== null && process.env.CI !== 'true')('says which of rediss:// and redis:// the port wants, rather than blaming a firewall', async () => {
    // A plain Redis never answers a TLS handshake: without a probe this waited out the timeout.
    const tlsToPlain = await runCli(['worker', `rediss://127.0.0.1:${server.port}`, '--once']);
    expect(tlsToPlain.exitCode).toBe(3);
    expect(tlsToPlain.stderr).toBe(
      `error: Redis at rediss://127.0.0.1:${server.port}/0 does not speak TLS: it answers plain-text Redis on ` +
        `127.0.0.1:${server.port}. Use redis://127.0.0.1:${server.port}/0 (redis://, not rediss://), or the server's TLS port if it has one.\n`,
    );

    const plainToTls = await runCli(['worker', `redis://127.0.0.1:${server.tlsPort}`, '--once']);
    expect(plainToTls.exitCode).toBe(3);
    expect(plainToTls.stderr).toContain(
      `error: Redis at redis://127.0.0.1:${server.tlsPort}/0 wants TLS: 127.0.0.1:${server.tlsPort} closed the plain-text ` +
        `connection and speaks TLS. Use rediss://127.0.0.1:${server.tlsPort}/0 (rediss://, not redis://)`,
    );
  });
});
