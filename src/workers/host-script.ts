/** Where the Python worker host lives in the package (package.json `files` ships `python/`). */
import { fileURLToPath } from 'node:url';

/**
 * `python/minibatch_host.py`, two levels up from this module both in `src/workers/` (vitest) and in
 * `dist/workers/` (the built package), so one relative URL serves both.
 */
export const HOST_SCRIPT = fileURLToPath(new URL('../../python/minibatch_host.py', import.meta.url));
