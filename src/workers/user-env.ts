/**
 * The environment an entry script runs in: the one the user started minibatch in.
 *
 * The `minibatch` executable (src/cli/minibatch.sh) moves NODE_EXTRA_CA_CERTS to
 * MINIBATCH_EXTRA_CA_CERTS before Node starts (Node 20 parses those certificates on every start);
 * a user's script sees it as they set it. minibatch's own secrets (a Redis URL may hold a
 * password) are not the script's business.
 */
import { readFileSync } from 'node:fs';

/** Where the `minibatch` executable keeps NODE_EXTRA_CA_CERTS while minibatch runs. */
export const EXTRA_CA_ENV = 'MINIBATCH_EXTRA_CA_CERTS';

type Env = Readonly<Record<string, string | undefined>>;

/** `env` as the user set it, without minibatch's own secrets. */
export function userEnvironment(env: Env = process.env): Record<string, string | undefined> {
  const { MINIBATCH_REDIS_URL: _redisUrl, [EXTRA_CA_ENV]: extraCa, ...rest } = env;
  return extraCa === undefined || rest.NODE_EXTRA_CA_CERTS !== undefined ? rest : { ...rest, NODE_EXTRA_CA_CERTS: extraCa };
}

/** Files already reported unreadable: every Redis connection asks, one warning is enough. */
const reported = new Set<string>();

/**
 * The certificates NODE_EXTRA_CA_CERTS named when the `minibatch` executable started Node without
 * it (PEM text), or null when it named none. A file that cannot be read is reported through `warn`
 * (once) and ignored, as Node itself does.
 */
export function extraCaCertificates(env: Env = process.env, warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): string | null {
  const file = env[EXTRA_CA_ENV];
  if (file === undefined || file === '' || env.NODE_EXTRA_CA_CERTS) return null; // Node loaded them itself
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (!reported.has(file)) {
      reported.add(file);
      warn(`[minibatch] warning: ignoring extra certificates from ${file} (NODE_EXTRA_CA_CERTS): ${error instanceof Error ? error.message : String(error)}`);
    }
    return null;
  }
}
