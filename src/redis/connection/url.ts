/**
 * The Redis a user names: `redis://[user:password@]host[:port][/db]` or `rediss://…`, given as
 * `--backend`, as `minibatch worker`'s argument, or in `MINIBATCH_REDIS_URL`. A password is never
 * printed: every message names the server by `target.display`, in which the password is `***`.
 */
import { isIP } from 'node:net';
import { UsageError } from '../../core/errors.js';

/** Holds a Redis URL whose password stays out of the process list (`ps`), shell history and logs. */
export const REDIS_URL_ENV = 'MINIBATCH_REDIS_URL';

const DEFAULT_PORT = 6379;

/** A Redis server, resolved from a URL (and `MINIBATCH_REDIS_URL`). */
export interface RedisTarget {
  /** `rediss://`: TLS. */
  readonly tls: boolean;
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly db: number;
  /** ACL user (Redis 6+); null for the `default` user. */
  readonly username: string | null;
  readonly password: string | null;
  /** Where the password came from, for error messages. */
  readonly passwordFrom: 'url' | 'env' | null;
  /** The URL for messages and logs; the password, if any, shows as `***`. */
  readonly display: string;
  /**
   * Set when `MINIBATCH_REDIS_URL` holds a password but names another server, so the password
   * was not sent here; said in the error if this server asks for one.
   */
  readonly envNote: string | null;
}

/**
 * Resolves the Redis to use. `url` is what the user gave (a flag or argument); without one,
 * `MINIBATCH_REDIS_URL` is the URL. A URL without a password takes its user and password from
 * `MINIBATCH_REDIS_URL` when that names the same host and port, so that
 * `MINIBATCH_REDIS_URL=redis://:secret@host:6379 minibatch worker redis://host:6379` works
 * without the password appearing on a command line. Throws a `UsageError` for a malformed URL.
 */
export function resolveRedisTarget(
  url: string | null | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RedisTarget {
  const fromEnv = env[REDIS_URL_ENV]?.trim() || null;
  if (!url) {
    if (!fromEnv) {
      throw new UsageError(
        `no Redis URL: give one (redis://HOST:6379[/db], or rediss:// for TLS) or set ${REDIS_URL_ENV}`,
      );
    }
    return withPasswordSource(parseRedisUrl(fromEnv, REDIS_URL_ENV), 'env');
  }
  const target = parseRedisUrl(url);
  if (target.password !== null || !fromEnv) return target;
  let envTarget: RedisTarget;
  try {
    envTarget = parseRedisUrl(fromEnv, REDIS_URL_ENV);
  } catch {
    // A broken variable must not stop a URL that works on its own; say so if a password is missing.
    return { ...target, envNote: `${REDIS_URL_ENV} is set but is not a valid Redis URL, so it was not used` };
  }
  if (envTarget.password === null) return target;
  if (envTarget.host !== target.host || envTarget.port !== target.port) {
    return {
      ...target,
      envNote:
        `${REDIS_URL_ENV} names another server (${envTarget.display}), ` +
        `so its password was not sent to ${target.display}`,
    };
  }
  return withPasswordSource(
    { ...target, username: target.username ?? envTarget.username, password: envTarget.password },
    'env',
  );
}

function withPasswordSource(target: RedisTarget, from: 'url' | 'env'): RedisTarget {
  const passwordFrom = target.password === null ? null : from;
  return { ...target, passwordFrom, display: displayOf({ ...target, passwordFrom }) };
}

/**
 * Parses `redis://[user:password@]host[:port][/db]` or `rediss://…`. `source` names where the URL
 * came from, for the error message. The message shows the URL with its password redacted.
 */
export function parseRedisUrl(url: string, source = 'the Redis URL'): RedisTarget {
  const bad = (why: string): UsageError =>
    new UsageError(
      `${source} ${JSON.stringify(redactUrl(url))} ${why}; expected redis://[user:password@]host[:port][/db] ` +
        `(rediss:// for TLS)`,
    );
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw bad('is not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`has scheme ${u.protocol}//`);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (host === '') throw bad('has no host');
  const port = u.port === '' ? DEFAULT_PORT : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`has port ${u.port}`);
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) throw bad(`has path /${path}, where a database number belongs`);
  if (u.search !== '' || u.hash !== '') throw bad('has query parameters or a fragment, which minibatch does not read');
  let username: string | null;
  let password: string | null;
  try {
    username = u.username === '' ? null : decodeURIComponent(u.username);
    password = u.password === '' ? null : decodeURIComponent(u.password);
  } catch {
    throw bad('has a badly percent-encoded user or password');
  }
  const base = {
    tls: u.protocol === 'rediss:',
    host,
    port,
    db: path === '' ? 0 : Number(path),
    username,
    password,
    passwordFrom: password === null ? null : ('url' as const),
    envNote: null,
  };
  return { ...base, display: displayOf(base) };
}

function displayOf(t: Omit<RedisTarget, 'display' | 'envNote'>): string {
  const user = t.username === null ? '' : encodeURIComponent(t.username);
  // A password from the environment is not shown at all: the user did not type it into this URL.
  const pass = t.password !== null && t.passwordFrom !== 'env' ? ':***' : '';
  const auth = user !== '' || pass !== '' ? `${user}${pass}@` : '';
  const host = isIP(t.host) === 6 ? `[${t.host}]` : t.host;
  return `${t.tls ? 'rediss' : 'redis'}://${auth}${host}:${t.port}/${t.db}`;
}

/**
 * A URL fit to print: its password becomes `***`. Anything that does not parse as a URL but looks
 * like it carries credentials (`//…@`) has the whole user part redacted.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/?#]*@/, '//***@');
  }
}
