/**
 * A Redis run's progress line says who serves it: how many machines and processes, updated as
 * `minibatch worker`s join and leave. The orchestrator draws its bar on a pseudo-terminal (util-linux
 * `script`); a second machine is a worker with its own host name (a UTS namespace, `unshare`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { makeModule, names } from '../helpers/module.js';
import { describeWithRedis, redisPerSuite, uniquePrefix, type RedisServer } from '../helpers/redis-server.js';
import { clusterEnv, killMachine, redisRunArgs, startCli, until } from './helpers.js';

/** run() waits while $HOLD_FILE exists: the run lasts as long as the test needs it to. */
const HOLD_ENTRY = `import os, time

def run(mini_batch):
    while os.path.exists(os.environ['HOLD_FILE']):
        time.sleep(0.05)
    return [os.path.basename(p) for p in mini_batch]
`;

const OTHER_HOST = 'other-machine';

function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['--uts', 'sh', '-c', `hostname ${OTHER_HOST}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const unshare = canUnshare();
if (!unshare && process.env['CI'] === 'true') throw new Error('`unshare --uts` failed: this test needs root to give a worker its own host name');

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** What a terminal shows of a process started with `command` on a pseudo-terminal 200 columns wide. */
function onTerminal(command: readonly string[], env: Record<string, string>): { child: ChildProcess; screen: () => string; exited: Promise<number | null> } {
  const child = spawn('script', ['-qec', `stty cols 200; exec ${command.map(quote).join(' ')}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TERM: 'xterm', NO_COLOR: '1', ...env },
  });
  let screen = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  // eslint-disable-next-line no-control-regex
  return { child, screen: () => screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''), exited };
}

describeWithRedis('who serves a Redis run', () => {
  let server: RedisServer;
  redisPerSuite((s) => {
    server = s;
  });

  it.skipIf(!unshare)('the progress line counts the machines and processes serving, as workers join and leave', async () => {
    const m = makeModule({ entry: 'ok', files: names(6), settings: { miniBatchSize: 1 } });
    writeFileSync(join(m.root, 'module', 'entry.py'), HOLD_ENTRY);
    const hold = join(m.root, 'hold');
    writeFileSync(hold, '');
    const env = clusterEnv(uniquePrefix('serving'), { HOLD_FILE: hold });
    const args = redisRunArgs(m, server, ['--processes', '0']).filter((a) => a !== '--no-progress');
    const orchestrator = onTerminal([CLI, ...args], env);
    const started: ChildProcess[] = [orchestrator.child];
    try {
      let from = 0;
      const shows = async (text: string): Promise<void> => {
        await until(() => orchestrator.screen().indexOf(text, from) >= 0, `"${text}" on the progress line:\n${orchestrator.screen().slice(from)}`, 30_000);
        from = orchestrator.screen().indexOf(text, from) + text.length;
      };
      await shows('| no machine serving |');

      const here = startCli(['worker', server.bareUrl, '--processes', '2'], { cwd: mkdtempSync(join(tmpdir(), 'mb-machine-')), env });
      started.push(here.child);
      await shows('| 1 machine, 2 processes |');

      const other = spawn('unshare', ['--uts', 'sh', '-c', `hostname ${OTHER_HOST} && exec "$0" "$@"`, CLI, 'worker', server.bareUrl, '--processes', '1'], {
        cwd: mkdtempSync(join(tmpdir(), 'mb-machine-')),
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      started.push(other);
      await shows('| 2 machines, 3 processes |');
      killMachine(other.pid ?? 0);
      await shows('| 1 machine, 2 processes |');

      rmSync(hold);
      expect(await orchestrator.exited).toBe(0);
      expect(orchestrator.screen()).toContain('Succeeded: Every mini-batch succeeded.');
      here.child.kill('SIGTERM');
      expect((await here.exited).exitCode).toBe(0);
    } finally {
      // A failed wait leaves the run held: end each process this test started that is still running
      // (not yet reaped, so its pid is still its own), and what it started.
      for (const child of started) if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) killMachine(child.pid);
    }

    // A Redis run's directory reproduces a mini-batch like any other, on this machine.
    const debug = await runCli(['debug', m.runDir, '--mini-batch', '4'], { cwd: m.root, env });
    expect(debug.stderr).toContain('minibatch debug: mini-batch 4 of run');
    expect(debug.stdout).toContain("run() returned in");
    expect(debug.stdout).toContain("['f-004']");
    expect(debug.exitCode).toBe(0);
  });
});
