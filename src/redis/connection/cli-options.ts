/**
 * The command-line edge of the Redis backend: `--backend`, `--prefix`, and `--processes` on a
 * worker or with `--backend redis` (where 0 is allowed: the orchestrator runs no Python), parsed
 * once into resolved values.
 */
import { isIP } from 'node:net';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_PREFIX, redisKeys } from '../store/keys.js';
import { resolveRedisTarget, type RedisTarget } from './url.js';

/** Names the key prefix when `--prefix` is not given, for the orchestrator and workers alike. */
export const PREFIX_ENV = 'MINIBATCH_REDIS_PREFIX';

export interface RedisBackendChoice {
  readonly target: RedisTarget;
  readonly prefix: string;
}

/**
 * `--backend`: undefined or `local` → null (the local backend); `redis` alone → the URL in
 * `MINIBATCH_REDIS_URL`; `redis://…`/`rediss://…` → that server. Throws `UsageError` otherwise.
 */
export function parseBackend(
  value: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RedisBackendChoice | null {
  const raw = value?.trim();
  if (raw === undefined || raw === '' || raw === 'local') return null;
  if (raw !== 'redis' && !/^rediss?:\/\//i.test(raw)) {
    throw new UsageError(
      `--backend ${JSON.stringify(raw)}: expected local, redis://HOST:6379[/db] (rediss:// for TLS), or redis ` +
        `(the URL in MINIBATCH_REDIS_URL)`,
    );
  }
  return { target: resolveRedisTarget(raw === 'redis' ? null : raw, env), prefix: parsePrefix(undefined, env) };
}

/** `--prefix`, else `MINIBATCH_REDIS_PREFIX`, else `minibatch`; checked. */
export function parsePrefix(value: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const prefix = value?.trim() || env[PREFIX_ENV]?.trim() || DEFAULT_PREFIX;
  try {
    redisKeys(prefix);
  } catch (error) {
    throw new UsageError(`--prefix: ${error instanceof Error ? error.message : String(error)}`);
  }
  return prefix;
}

/** `--processes` of a worker or an orchestrator on Redis: a whole number, 0 allowed where `allowZero`. */
export function parseProcesses(value: string | undefined, allowZero: boolean): number | null {
  if (value === undefined) return null;
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  const min = allowZero ? 0 : 1;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--processes must be a whole number, ${min} or more; found \`${value}\``);
  }
  return n;
}

/** The URL a run stores in run.json for `resume`: the server without its password, which is given again. */
export function storableUrl(target: RedisTarget): string {
  const user = target.username === null ? '' : `${encodeURIComponent(target.username)}@`;
  const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  return `${target.tls ? 'rediss' : 'redis'}://${user}${host}:${target.port}/${target.db}`;
}
