/** minibatch's own version, read once from package.json (two levels up from both src/ and dist/). */
import { readFileSync } from 'node:fs';

export const MINIBATCH_VERSION: string = readOwnVersion();

function readOwnVersion(): string {
  const raw: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  if (typeof raw === 'object' && raw !== null && 'version' in raw && typeof raw.version === 'string') {
    return raw.version;
  }
  return '0.0.0';
}
