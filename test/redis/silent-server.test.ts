/**
 * A Redis address that accepts the connection and never answers (a stuck proxy, a paused server,
 * another service on the port): the run says so and exits 3; a worker says so and keeps trying.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeModule, moduleArgs, names } from '../helpers/module.js';
import { uniquePrefix } from '../helpers/redis-server.js';
import { clusterEnv, startCli } from './helpers.js';

describe('a Redis address that accepts and never answers', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let url = '';
  beforeAll(async () => {
    server = createServer((socket) => {
      // Accept, read and never write.
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    url = `redis://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('run --backend exits 3, naming the address and what to check', async () => {
    const m = makeModule({ entry: 'ok', files: names(2) });
    const started = Date.now();
    const r = await runCli([...moduleArgs(m), '--backend', url], {
      env: clusterEnv(uniquePrefix('silent')),
      timeoutMs: 120_000,
    });
    expect(r.signal).toBeNull();
    expect(r.exitCode).toBe(3);
    // It gave up by itself (a client that retries forever is killed at 120 s); the margin over the
    // 5 s is the start-up of Node and the module on a loaded machine.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.stderr).toContain(`error: Redis at ${url}/0 accepted the connection but did not answer as Redis in 5 s`);
    expect(r.stderr).toContain(`redis-cli -h 127.0.0.1 -p ${url.split(':').at(-1)} ping`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a worker says so, tries again with backoff, and stops cleanly on SIGTERM', async () => {
    const worker = startCli(['worker', url], { env: clusterEnv(uniquePrefix('silent-worker')) });
    const line = new RegExp(`Redis at ${url.replace(/[.]/g, '\\.')}/0 did not answer in 5 s; trying again in \\d+ s`, 'g');
    await worker.waitFor(line, 60_000);
    await worker.waitFor(new RegExp(`${line.source}[^]*${line.source}`), 60_000);
    const delays = [...worker.stderr().matchAll(/trying again in (\d+) s/g)].map((m) => Number(m[1]));
    expect(delays[1]).toBeGreaterThan(delays[0] ?? Infinity);
    worker.child.kill('SIGTERM');
    const w = await worker.exited;
    expect(w.exitCode).toBe(0);
    expect(w.stderr).not.toMatch(/\n\s+at /);
  });
});
