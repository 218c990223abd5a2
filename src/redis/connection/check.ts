/**
 * The start-up check of a Redis: every way of failing becomes an `EnvironmentError` that says what
 * is wrong and how to fix it, and what works but is unsafe (an evicting `maxmemory-policy`, DESIGN
 * §8) becomes a warning.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { EnvironmentError } from '../../core/errors.js';
import { serverOptions } from './connection.js';
import { compareVersions, errorCode, explainNotTls, explainRedisError, explainWantsTls } from './explain.js';
import { answersPlainRedis, speaksTls } from './tls-probe.js';
import type { RedisTarget } from './url.js';

/** What `checkRedis` found on a server that works. */
export interface RedisCheck {
  /** `redis_version` from INFO, or null when INFO is not allowed. */
  readonly serverVersion: string | null;
  /** `maxmemory-policy`, or null when it could not be read. */
  readonly maxmemoryPolicy: string | null;
  /** Things that work but should be fixed, each a sentence to print as a warning. */
  readonly warnings: readonly string[];
}

/** BullMQ's floor (RedisConnection.minimumVersion) and its recommendation. */
const MINIMUM_VERSION = '5.0.0';
const RECOMMENDED_VERSION = '6.2.0';

/**
 * How long the check waits to connect, and then for each answer. A server that accepts the
 * connection and never answers (a stuck proxy, a paused server, another service on the port)
 * would otherwise hold the run, or a worker, forever.
 */
export const REDIS_ANSWER_TIMEOUT_MS = 5_000;

/**
 * How long a `rediss://` handshake may take before the check asks, on a second connection, whether
 * the port speaks plain Redis. Well above a handshake's round trips, so that a healthy TLS server
 * is almost never sent the plain-text probe (which it logs as a failed handshake).
 */
const PLAIN_PROBE_AFTER_MS = 1_000;

/**
 * Connects once (no retries), authenticates, selects the database and PINGs, then reads the
 * server's version and `maxmemory-policy`. Throws `EnvironmentError('REDIS_UNAVAILABLE')` whose
 * message says what failed (refused, unknown host, timeout, password required, wrong password,
 * no such database, not Redis, TLS) and how to fix it. Returns warnings for a policy other than
 * `noeviction` (docs/ARCHITECTURE.md, "Many machines": an evicting Redis may drop queued mini-batches and results).
 */
export async function checkRedis(
  target: RedisTarget,
  options: { readonly connectTimeoutMs?: number; readonly answerTimeoutMs?: number } = {},
): Promise<RedisCheck> {
  const errors: Error[] = [];
  const answerTimeoutMs = options.answerTimeoutMs ?? REDIS_ANSWER_TIMEOUT_MS;
  const client = new Redis({
    ...probeOptions(target, options.connectTimeoutMs ?? REDIS_ANSWER_TIMEOUT_MS, answerTimeoutMs),
    // Selected below, so that a missing database is an error rather than ioredis' silent db 0.
    db: 0,
  });
  client.on('error', (error: Error) => errors.push(error));
  try {
    try {
      await connectTo(client, target, answerTimeoutMs);
    } catch (error) {
      if (error instanceof EnvironmentError) throw error;
      // ioredis rejects with "Connection is closed"; the reason came as an 'error' event.
      const cause = errors.find(isReplyError) ?? errors.at(-1) ?? asError(error);
      if (!target.tls && isClosedByServer(cause) && (await speaksTls(target.host, target.port, answerTimeoutMs))) {
        throw new EnvironmentError('REDIS_UNAVAILABLE', explainWantsTls(target), { cause });
      }
      if (isTimeout(cause)) throw new RedisSilentError(target, answerTimeoutMs, cause);
      throw new EnvironmentError('REDIS_UNAVAILABLE', explainRedisError(cause, target), { cause });
    }
    const info = await readInfo(client);
    const warnings: string[] = [];
    if (info.version !== null && compareVersions(info.version, MINIMUM_VERSION) < 0) {
      throw new EnvironmentError(
        'REDIS_UNAVAILABLE',
        `Redis at ${target.display} is version ${info.version}; minibatch (through BullMQ) needs ` +
          `${MINIMUM_VERSION} or newer. Upgrade the server.`,
      );
    }
    if (info.version !== null && compareVersions(info.version, RECOMMENDED_VERSION) < 0) {
      warnings.push(`Redis at ${target.display} is version ${info.version}; BullMQ recommends ${RECOMMENDED_VERSION} or newer.`);
    }
    if (info.policy === null) {
      warnings.push(
        `could not read maxmemory-policy of Redis at ${target.display} (INFO and CONFIG GET are refused); ` +
          `make sure it is noeviction, or Redis may evict queued mini-batches and results when memory runs short.`,
      );
    } else if (info.policy !== 'noeviction') {
      warnings.push(
        `Redis at ${target.display} has maxmemory-policy ${info.policy}; minibatch needs noeviction, or Redis ` +
          `may evict queued mini-batches and results when memory runs short. Fix: redis-cli -h ${target.host} ` +
          `-p ${target.port} CONFIG SET maxmemory-policy noeviction (and set it in redis.conf to keep it).`,
      );
    }
    return { serverVersion: info.version, maxmemoryPolicy: info.policy, warnings };
  } finally {
    client.disconnect();
  }
}

/**
 * Connects, PINGs and selects the database. For `rediss://`, a handshake still unfinished after
 * PLAIN_PROBE_AFTER_MS makes the check ask whether the port speaks plain Redis instead, and fail at
 * once if it does.
 */
async function connectTo(client: Redis, target: RedisTarget, answerTimeoutMs: number): Promise<void> {
  const connecting = (async () => {
    await client.connect();
    await client.ping();
    if (target.db !== 0) await client.select(target.db);
  })();
  if (!target.tls) return connecting;
  // The race below may end first; the check's `finally` then disconnects, which rejects this.
  connecting.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const plain = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      void answersPlainRedis(target.host, target.port, answerTimeoutMs).then((isPlain) => {
        if (isPlain) reject(new EnvironmentError('REDIS_UNAVAILABLE', explainNotTls(target)));
      });
    }, PLAIN_PROBE_AFTER_MS);
  });
  try {
    await Promise.race([connecting, plain]);
  } finally {
    clearTimeout(timer);
  }
}

async function readInfo(client: Redis): Promise<{ version: string | null; policy: string | null }> {
  let version: string | null = null;
  let policy: string | null = null;
  try {
    const text = (await client.info('server')) + (await client.info('memory'));
    version = /^redis_version:(.+)$/m.exec(text)?.[1]?.trim() ?? null;
    policy = /^maxmemory_policy:(.+)$/m.exec(text)?.[1]?.trim() ?? null;
  } catch {
    // INFO may be renamed or refused by an ACL on managed Redis; CONFIG GET is the other way in.
  }
  if (policy === null) {
    try {
      const reply: unknown = await client.config('GET', 'maxmemory-policy');
      if (Array.isArray(reply) && typeof reply[1] === 'string') policy = reply[1];
    } catch {
      // Both refused: checkRedis says it could not tell.
    }
  }
  return { version, policy };
}

/**
 * The server accepted the connection but did not answer in time. A worker waits for such a
 * server to come back (it may be paused or restarting); a run stops (exit 3).
 */
export class RedisSilentError extends EnvironmentError {
  constructor(
    readonly target: RedisTarget,
    readonly timeoutMs: number,
    cause: Error,
  ) {
    super('REDIS_UNAVAILABLE', explainSilence(target, timeoutMs), { cause });
  }
}

function explainSilence(target: RedisTarget, timeoutMs: number): string {
  return (
    `Redis at ${target.display} accepted the connection but did not answer as Redis in ${timeoutMs / 1000} s. ` +
    `Check that ${target.host}:${target.port} is a Redis server and not another service or a stuck proxy` +
    `${target.tls ? '' : ' (a TLS-only server needs rediss://)'}, and that it is not paused or overloaded ` +
    `(redis-cli -h ${target.host} -p ${target.port} ping).`
  );
}

function isTimeout(error: Error): boolean {
  return /Command timed out/.test(error.message);
}

/** The server ended the connection without a word: what a Redis TLS port does to plain text. */
function isClosedByServer(error: Error): boolean {
  return errorCode(error) === 'ECONNRESET' || /Connection is closed/.test(error.message);
}

function isReplyError(error: Error): boolean {
  return error.name === 'ReplyError';
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * A client for one probe (the start-up check, a liveness PING): every command, the handshake's
 * included, fails after `answerTimeoutMs`, and nothing is retried or reconnected.
 */
export function probeOptions(target: RedisTarget, connectTimeoutMs: number, answerTimeoutMs: number): RedisOptions {
  return {
    ...serverOptions(target),
    connectTimeout: connectTimeoutMs,
    commandTimeout: answerTimeoutMs,
    // CLIENT SETINFO would be one more command to wait out before the ready check times out.
    disableClientInfo: true,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // A refused socket never emits 'close' after end(): ioredis' 2 s wait would delay the exit.
    disconnectTimeout: 100,
  };
}
