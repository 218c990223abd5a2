/**
 * A real `redis-server` for tests: its own free loopback port, its own temporary folder, stopped
 * when the test is done. Tests that need Redis wrap themselves in `describeWithRedis`: on a
 * developer machine without `redis-server` they are skipped and say why; in CI
 * (`CI=true`) they fail instead, because a skipped suite there would hide a broken backend.
 * Each test uses its own key prefix (`uniquePrefix`), so tests can share a server.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';

/** The binary; `REDIS_SERVER_BIN` overrides it. */
export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';
const HOST = '127.0.0.1';
// Waits, generous for a loaded machine: redis-server starts in milliseconds on an idle one.
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

let missingReason: string | null | undefined;
let warnedSkip = false;

/** Why `redis-server` cannot be used here, or null when it can. */
export function redisServerMissing(): string | null {
  if (missingReason === undefined) {
    const probe = spawnSync(REDIS_SERVER_BIN, ['--version'], { encoding: 'utf8' });
    missingReason =
      probe.error || probe.status !== 0
        ? `${REDIS_SERVER_BIN} is not installed or does not run (${probe.error?.message ?? `exit ${probe.status}`}); ` +
          `install it (apt-get install redis-server) or set REDIS_SERVER_BIN`
        : null;
  }
  return missingReason;
}

/**
 * `describe` for suites that need a real Redis: skipped with the reason when `redis-server` is
 * missing, except in CI, where the suite fails with that reason instead.
 */
export function describeWithRedis(name: string, body: () => void): void {
  const missing = redisServerMissing();
  if (missing === null) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has redis-server (CI must install it, never skip)', () => {
        throw new Error(missing);
      });
    });
  } else {
    if (!warnedSkip) console.warn(`minibatch tests: skipping the suites that need Redis: ${missing}`);
    warnedSkip = true;
    describe.skip(`${name} (skipped: ${missing})`, body);
  }
}

/** A key prefix no other test uses. */
export function uniquePrefix(label: string): string {
  return `t-${label.replace(/[^A-Za-z0-9_.-]/g, '-')}-${randomBytes(4).toString('hex')}`;
}

export interface RedisServerOptions {
  /** `requirepass`: clients must send it. @default none */
  readonly password?: string;
  /** AOF with fsync on every write, so data survives `restart()`, even a hard one. @default false */
  readonly persistence?: boolean;
  /** `maxmemory-policy`. @default Redis' own (noeviction) */
  readonly maxmemoryPolicy?: string;
  /** Also listen with TLS on `tlsPort`, with this certificate (clients need not present one). @default none */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, with `:password@` when the server has one. */
  readonly url: string;
  /** The URL without the password, for "no password given" tests. */
  readonly bareUrl: string;
  readonly host: string;
  readonly port: number;
  /** The TLS port (`rediss://`), with the `tls` option; else null. */
  readonly tlsPort: number | null;
  /** The server's working folder (AOF files live here). */
  readonly dir: string;
  /** Stops the server (SIGTERM; the data is flushed) and removes its folder. */
  stop(): Promise<void>;
  /**
   * Stops and starts the server on the same port with the same folder: what clients see as "Redis
   * restarts". `hard`: SIGKILL instead of a clean shutdown (with `persistence`, nothing is lost).
   * `downMs`: how long it stays down.
   */
  restart(options?: { readonly hard?: boolean; readonly downMs?: number }): Promise<void>;
}

const running = new Set<ChildProcess>();
const folders = new Set<string>();
process.on('exit', () => {
  // A test process that dies must not leave servers behind.
  for (const child of running) child.kill('SIGKILL');
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const missing = redisServerMissing();
  if (missing !== null) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'minibatch-redis-'));
  folders.add(dir);

  let port = 0;
  let tlsPort: number | null = null;
  let child: ChildProcess | null = null;
  // Another process may take the free port between our probe and redis' bind: try a few.
  for (let attempt = 0; child === null; attempt++) {
    port = await freePort();
    tlsPort = null;
    while (options.tls !== undefined && (tlsPort === null || tlsPort === port)) tlsPort = await freePort();
    try {
      child = await launch(port, tlsPort, dir, options);
    } catch (error) {
      if (attempt >= 4 || !String(error).includes('Address already in use')) throw error;
    }
  }

  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  const server: RedisServer = {
    url: `redis://${auth}${HOST}:${port}`,
    bareUrl: `redis://${HOST}:${port}`,
    host: HOST,
    port,
    tlsPort,
    dir,
    async stop() {
      if (child) await halt(child, 'SIGTERM');
      child = null;
      rmSync(dir, { recursive: true, force: true });
      folders.delete(dir);
    },
    async restart({ hard = false, downMs = 0 } = {}) {
      if (child) await halt(child, hard ? 'SIGKILL' : 'SIGTERM');
      child = null;
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      child = await launch(port, tlsPort, dir, options);
    },
  };
  return server;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function launch(port: number, tlsPort: number | null, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const args = [
    '--port', String(port),
    '--bind', HOST,
    '--dir', dir,
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', options.persistence ? 'yes' : 'no',
    ...(options.persistence ? ['--appendfsync', 'always'] : []),
    ...(options.password !== undefined ? ['--requirepass', options.password] : []),
    ...(options.maxmemoryPolicy !== undefined ? ['--maxmemory-policy', options.maxmemoryPolicy] : []),
    ...(options.tls !== undefined && tlsPort !== null
      ? ['--tls-port', String(tlsPort), '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile, '--tls-auth-clients', 'no']
      : []),
  ];
  const child = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`redis-server on port ${port} exited at start:\n${output}`);
    if (await answersPing(port)) return child;
    await new Promise((r) => setTimeout(r, 25));
  }
  await halt(child, 'SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

/** True once the server answers a PING, even with NOAUTH; false while it refuses or is LOADING. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

function halt(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * One redis-server and one client for the enclosing describe block, stopped after it. Call inside
 * the block: `let server: RedisServer; let redis: Redis; redisPerSuite((s, r) => { server = s; redis = r; });`.
 */
export function redisPerSuite(
  set: (server: RedisServer, redis: Redis) => void,
  client: (url: string) => Redis = (url) => new Redis(url),
): void {
  let server: RedisServer | null = null;
  let redis: Redis | null = null;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = client(server.url);
    set(server, redis);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });
}
