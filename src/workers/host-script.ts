/** Where the Python worker host lives in the package (package.json `files` ships `python/`). */
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../core/package-root.js';

export const HOST_SCRIPT = join(PACKAGE_ROOT, 'python', 'minibatch_host.py');
