/**
 * Environment variables whose names say they hold a secret (`API_KEY`, `HF_TOKEN`, `DB_PASSWORD`,
 * `CLIENT_SECRET`): their values are masked wherever minibatch shows them. `run.json` keeps them,
 * owner-only, because `resume` must give the workers the same environment.
 */

const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD/i;

/** What is shown instead of a secret's value. */
export const MASKED = '***';

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** `env` with the values of secret-looking names replaced by `MASKED`. */
export function maskSecrets(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, looksSecret(name) ? MASKED : value]));
}
