/**
 * `minibatch debug` : init() and one run() in the foreground, then what run() returned and
 * how it would be counted.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runDebug } from '../../src/workers/debug.js';
import { HOST_SCRIPT } from '../../src/workers/host-script.js';
import type { InitRequest, RunRequest } from '../../src/workers/protocol.js';
import { ENTRIES, python, sandbox, type Sandbox } from './helpers.js';

let box: Sandbox;

beforeEach(async () => {
  box = await sandbox();
});

afterEach(async () => {
  await box.dispose();
});

async function request(entry: string, items: string[]): Promise<{ init: InitRequest; run: RunRequest }> {
  await mkdir(box.paths.entryLogDir, { recursive: true });
  return {
    init: {
      type: 'init',
      entry: join(ENTRIES, entry),
      args: ['--output', box.output],
      workingDir: ENTRIES,
      codeDir: ENTRIES,
      logDir: box.paths.userLogs,
      outputDir: box.output,
      entryLogFile: box.paths.entryLog('debug'),
      agentName: 'debug',
      loggingLevel: 'INFO',
      models: {},
      inputs: {},
      rowFormat: 'lines',
      stateFile: null,
    },
    run: { type: 'run', id: 'debug', attempt: 1, items, context: { minibatch_index: 3, partition_key_value: null, dataset_root: null }, table: null },
  };
}

/** Runs the host's debug mode with its output captured. */
async function debug(entry: string, items: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(box.root, 'request.json');
  await writeFile(file, JSON.stringify(await request(entry, items)));
  const exe = await python();
  return new Promise((resolve) => {
    execFile(exe, [HOST_SCRIPT, '--debug', file], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

describe('debug mode', () => {
  it('prints what run() returned and how it is counted (ok.py)', async () => {
    const { code, stdout } = await debug('ok.py', await box.files('a', 'bb'));
    expect(code).toBe(0);
    expect(stdout).toContain(`minibatch debug: importing ${join(ENTRIES, 'ok.py')} and calling init()`);
    expect(stdout).toMatch(/init done in \d+ ms; calling run\(\) on mini-batch 3 \(2 items\)/);
    expect(stdout).toContain("run() returned in");
    expect(stdout).toContain("['ok a 1', 'ok bb 2']");
    expect(stdout).toContain('counted: 2 of 2 items succeeded, 0 failed');
    expect(stdout).toContain('2 rows for the append_row file');
  });

  it('explains a short return and exits 1 (short_return.py)', async () => {
    const { code, stdout } = await debug('short_return.py', await box.files('a', 'b', 'c'));
    expect(code).toBe(1);
    expect(stdout).toContain('counted: 1 of 3 items succeeded, 2 failed (a short return: not retried');
  });

  it('names a bad return and exits 1 (bad_return.py)', async () => {
    const { code, stdout } = await debug('bad_return.py', await box.files('a'));
    expect(code).toBe(1);
    expect(stdout).toContain('run() returned in');
    expect(stdout).toContain('the try would fail (BadReturn): run() returned None; expected a list');
  });

  it('shows the traceback when run() raises (raises.py)', async () => {
    const { code, stdout, stderr } = await debug('raises.py', await box.files('bad'));
    expect(code).toBe(1);
    expect(stdout).toContain('run() raised ValueError: cannot score bad');
    expect(stderr).toContain('raises.py", line 7, in check');
  });

  it('shows the traceback when init() raises (init_raises.py)', async () => {
    const { code, stdout, stderr } = await debug('init_raises.py', await box.files('a'));
    expect(code).toBe(1);
    expect(stdout).toMatch(/init failed after \d+ ms: FileNotFoundError: model.pkl is missing/);
    expect(stderr).toContain('in load_model');
  });

  it('materializes a generator before showing it (generator.py)', async () => {
    const { code, stdout } = await debug('generator.py', await box.files('a'));
    expect(code).toBe(0);
    expect(stdout).toContain('run() returned a generator');
    expect(stdout).toContain("[{'name': 'a', 'size': 1}]");
  });

  it('runDebug resolves with the exit status', async () => {
    const req = await request('short_return.py', await box.files('a', 'b'));
    expect(await runDebug({ python: await python(), ...req, env: { ...process.env } })).toBe(1);
    const ok = await request('ok.py', await box.files('a'));
    expect(await runDebug({ python: await python(), ...ok, env: { ...process.env } })).toBe(0);
  });
});
