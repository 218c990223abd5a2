/**
 * No orphaned Python processes, ever: when the orchestrator is killed with SIGKILL, the
 * processes that run() started go too, not only the worker hosts.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { makeModule, moduleArgs } from '../helpers/module.js';
import { isAlive } from '../helpers/processes.js';

it("a child process that run() started dies within 5 s of the orchestrator's SIGKILL", async () => {
  const m = makeModule({ entry: 'spawner', files: ['a'] });
  const orchestrator = spawn(CLI, [...moduleArgs(m), '--processes', '1'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => orchestrator.once('exit', resolve));
  const pidFile = join(m.out, 'child.pid');
  const deadline = Date.now() + 60_000; // starting Node and Python: a wait, generous for a loaded machine
  while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') {
    if (Date.now() > deadline) throw new Error('run() never started its child');
    await sleep(25);
  }
  const child = Number(readFileSync(pidFile, 'utf8'));
  expect(isAlive(child)).toBe(true);
  orchestrator.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  while (isAlive(child) && Date.now() - killedAt < 5000) await sleep(50);
  try {
    expect(isAlive(child)).toBe(false);
  } finally {
    if (isAlive(child)) process.kill(child, 'SIGKILL');
  }
});
