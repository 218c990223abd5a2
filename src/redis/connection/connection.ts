/**
 * ioredis clients shaped for BullMQ: they wait out a Redis restart instead of failing (BullMQ
 * requires `maxRetriesPerRequest: null` of a Worker's client), reconnect with backoff, and say
 * "Redis unreachable, retrying in Ns" in words a user understands, never with the password.
 */
import { isIP } from 'node:net';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { describeCause } from './explain.js';
import { extraCaCertificates } from '../../workers/user-env.js';
import type { RedisTarget } from './url.js';

/** Options of a client made by `createRedis`. */
export interface RedisClientOptions {
  /**
   * `durable`: commands wait while Redis is away and the client reconnects forever with backoff;
   * what BullMQ needs (`maxRetriesPerRequest: null`) and what the orchestrator and workers use, so
   * that a Redis restart loses nothing. `fail-fast`: gives up after `retryForMs`, and pending
   * commands reject; for one-shot commands such as `status`.
   * @default 'durable'
   */
  readonly patience?: 'durable' | 'fail-fast';
  /**
   * How long to keep retrying during one outage before giving up.
   * @default Infinity for durable, 0 for fail-fast
   */
  readonly retryForMs?: number;
  /** Upper bound of the backoff between reconnection attempts. @default 10_000 */
  readonly maxRetryDelayMs?: number;
  /** How long one connection attempt may take. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Shown by `CLIENT LIST`; lets an operator see which machine holds a connection. */
  readonly connectionName?: string;
  /** Don't connect until the first command (or `connect()`). @default false */
  readonly lazyConnect?: boolean;
  /**
   * Receives "Redis unreachable, retrying in Ns (…)" and "Redis reachable again (…)".
   * @default a line on stderr
   */
  readonly log?: (message: string) => void;
}

const defaultLog = (message: string): void => {
  process.stderr.write(`minibatch: ${message}\n`);
};

/**
 * A BullMQ Worker, its blocking duplicate, a Queue and the registry client all retry on the same
 * schedule during an outage: one line per (log, server) per second is enough.
 */
const recentLines = new WeakMap<(message: string) => void, Map<string, number>>();
const LOG_DEDUP_MS = 1_000;

function logOnce(log: (message: string) => void, key: string, message: string): void {
  let seen = recentLines.get(log);
  if (!seen) recentLines.set(log, (seen = new Map<string, number>()));
  const now = Date.now();
  const last = seen.get(key);
  if (last !== undefined && now - last < LOG_DEDUP_MS) return;
  seen.set(key, now);
  log(message);
}

/** Backoff between reconnection attempts: 0.5 s, 1 s, 2 s, … up to `maxMs`. */
export function retryDelayMs(attempt: number, maxMs = 10_000): number {
  return Math.min(500 * 2 ** Math.max(0, attempt - 1), maxMs);
}

/**
 * An ioredis client for `target`. Pass it to BullMQ as `connection` (BullMQ duplicates it for a
 * Worker's blocking connection, with the same options), and use it directly for the registry and
 * snapshots. The caller closes it with `quit()` or `disconnect()`.
 */
export function createRedis(target: RedisTarget, options: RedisClientOptions = {}): Redis {
  const durable = (options.patience ?? 'durable') === 'durable';
  const retryForMs = options.retryForMs ?? (durable ? Number.POSITIVE_INFINITY : 0);
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 10_000;
  const log = options.log ?? defaultLog;
  let lastError: Error | null = null;
  let outageSince: number | null = null;

  const redisOptions: RedisOptions = {
    ...serverOptions(target),
    ...(options.connectionName !== undefined ? { connectionName: options.connectionName } : {}),
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    lazyConnect: options.lazyConnect ?? false,
    // BullMQ refuses a client for a Worker unless this is null: a command must wait for the
    // reconnection instead of failing after N retries. Clients that may retry for a while give up
    // by ending the connection (retryStrategy below), which rejects what is pending.
    maxRetriesPerRequest: retryForMs > 0 ? null : 0,
    enableOfflineQueue: true,
    retryStrategy: (attempt: number): number | null => {
      const now = Date.now();
      outageSince ??= now;
      const reason = lastError ? describeCause(lastError) : 'connection lost';
      if (now - outageSince >= retryForMs) {
        if (retryForMs > 0) {
          logOnce(log, `giveup ${target.display}`, `Redis unreachable, giving up (${target.display}: ${reason})`);
        }
        return null;
      }
      const delay = retryDelayMs(attempt, maxRetryDelayMs);
      logOnce(
        log,
        `retry ${target.display}`,
        `Redis unreachable, retrying in ${formatSeconds(delay)} (${target.display}: ${reason})`,
      );
      return delay;
    },
  };
  const client = new Redis(redisOptions);
  // Without a listener ioredis prints every connection error to the console; the retry line
  // above says it once, in our words.
  client.on('error', (error: Error) => {
    lastError = error;
  });
  client.on('ready', () => {
    if (outageSince !== null) {
      const seconds = formatSeconds(Date.now() - outageSince);
      logOnce(log, `ready ${target.display}`, `Redis reachable again after ${seconds} (${target.display})`);
    }
    outageSince = null;
    lastError = null;
  });
  return client;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${s < 10 ? Math.round(s * 10) / 10 : Math.round(s)}s`;
}

/** Where and as whom to connect: the part of ioredis' options that comes from the URL. */
export function serverOptions(target: RedisTarget, env: Readonly<Record<string, string | undefined>> = process.env): RedisOptions {
  return {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.username !== null ? { username: target.username } : {}),
    ...(target.password !== null ? { password: target.password } : {}),
    ...(target.tls ? { tls: tlsOptions(target, env) } : {}),
  };
}

/**
 * A rediss:// server's name (not for an IP address) and, when the `minibatch` executable took
 * NODE_EXTRA_CA_CERTS out of Node's start-up (src/cli/minibatch.sh), Node's own roots plus those
 * certificates: what Node would have trusted with the variable set.
 */
function tlsOptions(target: RedisTarget, env: Readonly<Record<string, string | undefined>>): ConnectionOptions {
  const extra = extraCaCertificates(env);
  return {
    ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
    ...(extra === null ? {} : { ca: [...rootCertificates, extra] }),
  };
}
