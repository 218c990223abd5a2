/**
 * Every temporary folder of a test run, and of the commands and Python processes it starts, goes
 * under one folder (TMPDIR, which `os.tmpdir()` and Python's `tempfile` follow) that is removed when
 * the run ends, so that runs do not leave hundreds of folders in the system's temporary directory.
 * minibatch's cache folder (MINIBATCH_CACHE_DIR) is there too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env['TMPDIR'];
  const root = mkdtempSync(join(tmpdir(), 'minibatch-test-'));
  process.env['TMPDIR'] = root;
  // Runs the tests start are remembered (known-runs.txt) in a cache of their own, not the user's.
  const previousCache = process.env['MINIBATCH_CACHE_DIR'];
  process.env['MINIBATCH_CACHE_DIR'] = join(root, 'cache');
  return () => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    if (previousCache === undefined) delete process.env['MINIBATCH_CACHE_DIR'];
    else process.env['MINIBATCH_CACHE_DIR'] = previousCache;
    rmSync(root, { recursive: true, force: true });
  };
}
