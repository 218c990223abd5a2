/**
 * The worker host is imported as a module (python/minibatch_host.py imports the package _minibatch_host/), so
 * that Python caches its compiled code instead of compiling ~750 lines at every worker start-up,
 * even where PYTHONDONTWRITEBYTECODE is set (it is about the user's code, not ours).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/core/package-root.js';
import { python } from './helpers.js';

let copy: string | null = null;
afterEach(() => {
  if (copy !== null) rmSync(copy, { recursive: true, force: true });
});

it("caches the host's compiled code beside it, also under PYTHONDONTWRITEBYTECODE", async () => {
  copy = mkdtempSync(join(tmpdir(), 'mb-host-'));
  cpSync(join(PACKAGE_ROOT, 'python'), copy, { recursive: true, filter: (src) => !src.includes('__pycache__') });
  const started = spawnSync(await python(), ['-u', join(copy, 'minibatch_host.py'), '--no-such-mode'], {
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
  });
  // The host ran (its usage message), and left its bytecode for the next start.
  expect(started.stderr).toContain('usage: minibatch_host.py');
  expect(started.status).toBe(2);
  const cached = readdirSync(join(copy, '_minibatch_host', '__pycache__')).map((name) => name.split('.')[0]).sort();
  expect(cached).toEqual(['__init__', 'entry', 'fork_server', 'rows', 'serving']);
});
