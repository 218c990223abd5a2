/**
 * Redis errors in a user's words: what happened and what to do, naming the server by its
 * redacted URL.
 */
import { REDIS_URL_ENV } from './url.js';
import type { RedisTarget } from './url.js';

export function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

/** A few words for the retry line: why the last attempt failed. */
export function describeCause(error: Error): string {
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ETIMEDOUT' || /ETIMEDOUT/.test(error.message)) return 'timed out';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'EPIPE') return 'connection lost';
  if (/^NOAUTH/.test(error.message)) return 'password required';
  if (/^WRONGPASS|invalid password/i.test(error.message)) return 'wrong password';
  return error.message.split('\n')[0] ?? 'error';
}

/**
 * The sentence to show for a failure to connect to or use `target`: what happened, and what to do.
 * Exported so that the worker and orchestrator can explain errors BullMQ emits the same way.
 */
export function explainRedisError(error: Error, target: RedisTarget): string {
  const at = `Redis at ${target.display}`;
  const code = errorCode(error);
  const message = error.message;
  if (code === 'ECONNREFUSED') {
    return (
      `cannot reach ${at}: connection refused. Nothing listens on ${target.host}:${target.port}: start ` +
      `redis-server there (redis-server --port ${target.port}), or fix the host and port in the URL.`
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `cannot reach ${at}: host ${target.host} not found (${code}). Check the host name in the URL.`;
  }
  if (code === 'ETIMEDOUT' || /ETIMEDOUT/.test(message)) {
    return (
      `cannot reach ${at}: no answer in time. The host may be down, or a firewall drops port ${target.port}; ` +
      `check that this machine can connect to it (redis-cli -h ${target.host} -p ${target.port} ping).`
    );
  }
  if (/^NOAUTH/.test(message)) {
    const note = target.envNote ? ` (${target.envNote})` : '';
    return (
      `${at} requires a password and none was given${note}. Put it in the URL ` +
      `(redis://:PASSWORD@${target.host}:${target.port}) or, to keep it off the command line, in ${REDIS_URL_ENV}.`
    );
  }
  if (/^WRONGPASS|invalid (username-)?password/i.test(message)) {
    const from = target.passwordFrom === 'env' ? ` from ${REDIS_URL_ENV}` : ' from the URL';
    const user = target.username === null ? '' : ` for user ${target.username}`;
    return (
      `${at} refused the password${from}${user} (${message.split('\n')[0]}). Check the password` +
      `${target.username === null ? '' : ' and user name'}; special characters in a URL must be percent-encoded.`
    );
  }
  if (/DB index is out of range/i.test(message)) {
    return (
      `${at}: database ${target.db} does not exist on this server (${message}). Use a number below its ` +
      `\`databases\` setting (16 by default).`
    );
  }
  if (/^NOPERM/.test(message)) {
    return `${at}: the user${target.username === null ? '' : ` ${target.username}`} lacks a permission minibatch needs (${message}). Grant it with ACL SETUSER.`;
  }
  if (error.name === 'ParserError' || /Protocol error/i.test(message)) {
    return (
      `${at}: something answers on ${target.host}:${target.port} but it is not Redis (${message}). ` +
      `Check the port${target.tls ? '' : ', and use rediss:// if the server speaks TLS'}.`
    );
  }
  if (target.tls && (/SSL|TLS|certificate|CERT_|self.signed/i.test(`${code} ${message}`))) {
    return (
      `${at}: the TLS handshake failed (${code || message}). If the server does not use TLS, use redis:// ` +
      `instead of rediss://; if its certificate comes from a private CA, point NODE_EXTRA_CA_CERTS at that CA.`
    );
  }
  if (code === 'ECONNRESET' || /Connection is closed/.test(message)) {
    return (
      `cannot use ${at}: the server closed the connection. If it requires TLS, use rediss://; ` +
      `otherwise check its log.`
    );
  }
  return `cannot use ${at}: ${message}`;
}

/**
 * Redis refused a write because it reached `maxmemory` under `noeviction`: an `OOM` error reply,
 * a transaction aborted by one, or a job's failed reason that carries one (a worker machine could
 * not store its result).
 */
export function isOutOfMemory(error: unknown): boolean {
  if (typeof error === 'string') return /^OOM /.test(error);
  if (!(error instanceof Error)) return false;
  // A MULTI whose commands were refused fails as EXECABORT; ioredis keeps the refusals.
  const previous = (error as { previousErrors?: unknown }).previousErrors;
  return /^OOM /.test(error.message) || (Array.isArray(previous) && previous.some(isOutOfMemory));
}

/** What to tell a user whose Redis is out of memory: what happened, what is safe, what to do. */
export function explainOutOfMemory(target: RedisTarget): string {
  return (
    `Redis at ${target.display} is out of memory: it reached its maxmemory and, under maxmemory-policy noeviction, ` +
    `refuses writes, so the run cannot go on. Nothing committed is lost (the run directory's ledger holds it). Give Redis ` +
    `more room (redis-cli -h ${target.host} -p ${target.port} CONFIG SET maxmemory 2gb, and in redis.conf), or keep ` +
    `less in it at once: fewer rows in flight (fewer processes, a smaller miniBatchSize) or smaller rows`
  );
}

/** Redis stopped answering mid-run and did not answer again within the time the run waits. */
export function explainStoppedAnswering(target: RedisTarget, silentForMs: number): string {
  return (
    `Redis at ${target.display} stopped answering for ${Math.round(silentForMs / 1000)} s (no reply to PING): a paused ` +
    `or overloaded server, a stuck proxy or a network cut, so the run cannot go on. Nothing committed is lost (the run ` +
    `directory's ledger holds it). Check the server (redis-cli -h ${target.host} -p ${target.port} ping)`
  );
}

/** `rediss://` to a port that answered a plain-text PING as Redis. */
export function explainNotTls(target: RedisTarget): string {
  return (
    `Redis at ${target.display} does not speak TLS: it answers plain-text Redis on ${target.host}:${target.port}. ` +
    `Use ${target.display.replace(/^rediss:/, 'redis:')} (redis://, not rediss://), or the server's TLS port if it has one.`
  );
}

/** `redis://` to a port that closed the plain-text connection and completes a TLS handshake. */
export function explainWantsTls(target: RedisTarget): string {
  return (
    `Redis at ${target.display} wants TLS: ${target.host}:${target.port} closed the plain-text connection and ` +
    `speaks TLS. Use ${target.display.replace(/^redis:/, 'rediss:')} (rediss://, not redis://); if its certificate ` +
    `comes from a private CA, point NODE_EXTRA_CA_CERTS at that CA.`
  );
}

/** Compares dotted versions numerically ("6.10.0" > "6.2.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
