/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole process group. Once: running mini-batches
 * finish, nothing new starts, exit 130. Twice: the workers are killed now. Either way no try is
 * charged for what was stopped, and the ledger stays consistent.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/report/result.js';
import { CLI } from '../helpers/cli.js';
import { makeModule, moduleArgs, names, type TestModule } from '../helpers/module.js';

/** Starts `minibatch run` in its own process group, as a shell does for a foreground job. */
function startRun(m: TestModule): { pid: number; exited: Promise<number | null> } {
  const child = spawn(CLI, [...moduleArgs(m), '--processes', '1', '--mini-batch-size', '1'], {
    detached: true,
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (child.pid === undefined) throw new Error('could not start minibatch');
  return { pid: child.pid, exited };
}

function triesLogged(m: TestModule): string[] {
  const file = join(m.runDir, 'logs', 'sys', 'processed_mini_batches.csv');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(1) : [];
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('Ctrl-C', () => {
  it('once: the running mini-batch finishes, nothing new starts, exit 130', async () => {
    const m = makeModule({ entry: 'hangs', files: names(8, 'sleep-400') });
    const run = startRun(m);
    await waitFor('the first try', () => triesLogged(m).length >= 1);
    process.kill(-run.pid, 'SIGINT');
    expect(await run.exited).toBe(130);
    const result = JSON.parse(readFileSync(join(m.runDir, 'logs', 'job_result.json'), 'utf8')) as JobResult;
    expect(result.status).toBe('interrupted');
    expect(result.reason).toContain(`minibatch resume ${m.runDir}`);
    const tries = triesLogged(m);
    // Every try that was logged succeeded: the one running at Ctrl-C finished, none was charged.
    expect(tries.every((t) => t.split(',')[5] === 'succeeded')).toBe(true);
    expect(result.miniBatches.succeeded).toBe(tries.length);
    expect(result.miniBatches.notRun).toBe(8 - tries.length);
    expect(result.miniBatches.notRun).toBeGreaterThan(0);
  });

  it('twice: the workers are killed at once and the killed try is not charged', async () => {
    const m = makeModule({ entry: 'hangs', files: ['a', 'b', 'c'] }); // no sleep-… prefix: 60 s each
    const run = startRun(m);
    await waitFor('a worker to start', () => existsSync(join(m.runDir, 'logs', 'sys', 'workers', 'worker-0.txt')));
    await waitFor('run() to start', () => {
      const out = join(m.runDir, 'logs', 'user', 'stdout', 'worker-0.txt');
      return existsSync(out) && readFileSync(out, 'utf8').includes('sleeping a');
    });
    const started = Date.now();
    process.kill(-run.pid, 'SIGINT');
    await sleep(100);
    process.kill(-run.pid, 'SIGINT');
    expect(await run.exited).toBe(130);
    expect(Date.now() - started).toBeLessThan(20_000);
    const result = JSON.parse(readFileSync(join(m.runDir, 'logs', 'job_result.json'), 'utf8')) as JobResult;
    expect(result).toMatchObject({ status: 'interrupted', tries: 0, miniBatches: { notRun: 3 } });
    expect(triesLogged(m)).toEqual([]);
  });
});
