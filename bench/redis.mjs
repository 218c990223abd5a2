// The bench's rows of the Redis backend. Measured only when `dist/cli/worker.js` exists and a
// `redis-server` binary is found; otherwise bench/run.mjs prints
// "not measured: redis backend not available".
//
// Everything runs on this machine: a private redis-server on a free loopback port (no
// persistence), `minibatch worker` processes standing in for worker machines (started before the
// run, stopped with SIGTERM after it), and the orchestrator with `--backend redis://… --processes 0`.
// Idle workers look for new runs every MINIBATCH_REDIS_POLL_MS (default 1 s): that start latency
// is in every Redis wall time below, as a user would see it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { CLI, REPO, median, runMinibatch, table, which } from './lib.mjs';

export function redisAvailability() {
  const worker = join(REPO, 'dist', 'cli', 'worker.js');
  if (!existsSync(worker)) return { ok: false, why: `${worker} does not exist` };
  const server = process.env.REDIS_SERVER_BIN ?? which('redis-server');
  if (server === null) return { ok: false, why: 'no redis-server binary on PATH (or REDIS_SERVER_BIN)' };
  return { ok: true, server };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns `command` and resolves once `ready` appears in its stdout; rejects on exit or after `timeoutMs`. */
function startAndWait(command, args, { env, ready, timeoutMs, what }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const done = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else {
        resolve({ child, exited, output: () => output });
      }
    };
    const timer = setTimeout(() => done(new Error(`${what} not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (d) => {
      output += d;
      if (output.includes(ready)) done(null);
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (d) => (output += d));
    child.on('error', (error) => done(error));
    void exited.then(({ code, signal }) => done(new Error(`${what} exited (${signal ?? code}) before it was ready:\n${output}`)));
  });
}

async function startRedis(server, dir) {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'];
  const r = await startAndWait(server, args, { env: process.env, ready: 'Ready to accept connections', timeoutMs: 10_000, what: 'redis-server' });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      r.child.kill('SIGTERM');
      await r.exited;
    },
  };
}

/** `minibatch worker URL --processes N`: one worker machine, serving runs until stopped. */
async function startWorker({ python, url, processes, env }) {
  const w = await startAndWait(CLI, ['worker', url, '--processes', String(processes), '--python', python], {
    env,
    ready: 'waiting for runs',
    timeoutMs: 20_000,
    what: 'minibatch worker',
  });
  return {
    async stop() {
      w.child.kill('SIGTERM');
      const { code, signal } = await w.exited;
      if (code !== 0) throw new Error(`minibatch worker exited ${signal ?? code} after SIGTERM:\n${w.output()}`);
    },
  };
}

/** Runs `body` with `count` worker machines of `processes` each; stops them afterwards. */
async function withWorkers({ python, url, env, count, processes }, body) {
  const workers = [];
  try {
    for (let i = 0; i < count; i++) workers.push(await startWorker({ python, url, processes, env }));
    return await body();
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/**
 * The Redis rows: the overhead job through Redis against the local backend, and the speed-up
 * from one to two worker machines (one process each) on the CPU-bound job.
 */
export async function redisRows({ server, python, work, summary, say, note, load, repeats, overhead, cpu }) {
  const f3 = (x) => x.toFixed(3);
  const f2 = (x) => x.toFixed(2);
  const secs = (x) => `${x.toFixed(2)} s`;
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const env = { ...process.env, MINIBATCH_REDIS_PREFIX: prefix, MINIBATCH_CACHE_DIR: join(work, 'worker-cache') };
  const redis = await startRedis(server, join(work, 'redis'));
  say(`  a private redis-server at ${redis.url} (prefix ${prefix}); worker machines are \`minibatch worker\` processes on this machine;`);
  say(`  the orchestrator runs with --backend ${redis.url} --processes 0. Idle workers look for runs every`);
  say(`  ${process.env.MINIBATCH_REDIS_POLL_MS ?? 1000} ms (MINIBATCH_REDIS_POLL_MS): that start latency is in every Redis wall time.`);
  try {
    // (a) the overhead job: local (2 processes) against Redis (one worker machine with 2 processes).
    const n = overhead.n;
    const redisArgs = (nodes) => ['--backend', redis.url, '--nodes', String(nodes)];
    const locals = [];
    const remotes = [];
    const rows = [];
    await withWorkers({ python, url: redis.url, env, count: 1, processes: 2 }, async () => {
      for (let round = 0; round < repeats; round++) {
        const order = round % 2 === 0 ? ['local', 'redis'] : ['redis', 'local'];
        const got = {};
        for (const who of order) {
          note(`redis (a) round ${round + 1}/${repeats}: ${who} (load ${load()})`);
          got[who] = await runMinibatch({
            python,
            module: overhead.module,
            data: overhead.data,
            processes: who === 'local' ? 2 : 0,
            miniBatchSize: 1,
            work,
            label: `redis-a-${who}-${round}`,
            extraArgs: who === 'local' ? [] : redisArgs(1),
            extraEnv: env,
          });
          if (got[who].items.succeeded !== n) throw new Error(`${who}: ${got[who].items.succeeded} of ${n} items succeeded`);
        }
        locals.push(got.local.wall);
        remotes.push(got.redis.wall);
        rows.push([`round ${round + 1}`, secs(got.local.wall), secs(got.redis.wall), f3(((got.redis.wall - got.local.wall) / n) * 1000)]);
      }
    });
    const lW = median(locals);
    const rW = median(remotes);
    const perMb = ((rW - lW) / n) * 1000;
    rows.push(['median', secs(lW), secs(rW), f3(perMb)]);
    say(`  (a) the overhead job (${n.toLocaleString('en-US')} files, miniBatchSize 1), 2 Python processes either way`);
    say(table(rows, ['', 'local', 'redis (1 worker × 2)', 'redis − local, ms/mb']));
    summary.push(['redis: overhead job, redis − local', `${f3(perMb)} ms/mb`, '< 2 ms/mb', `${secs(rW)} vs local ${secs(lW)}`]);

    // (b) CPU-bound: one worker machine against two, one process each.
    const one = [];
    const two = [];
    const cpuRows = [];
    for (let round = 0; round < repeats; round++) {
      const order = round % 2 === 0 ? [1, 2] : [2, 1];
      const got = {};
      for (const machines of order) {
        note(`redis (b) round ${round + 1}/${repeats}: ${machines} worker machine(s) (load ${load()})`);
        got[machines] = await withWorkers({ python, url: redis.url, env, count: machines, processes: 1 }, () =>
          runMinibatch({
            python,
            module: cpu.module,
            data: cpu.data,
            processes: 0,
            miniBatchSize: 1,
            work,
            label: `redis-b-${machines}-${round}`,
            extraArgs: redisArgs(machines),
            extraEnv: env,
          }),
        );
        if (got[machines].items.succeeded !== cpu.n) throw new Error(`${got[machines].items.succeeded} of ${cpu.n} items succeeded`);
      }
      one.push(got[1].wall);
      two.push(got[2].wall);
      cpuRows.push([`round ${round + 1}`, secs(got[1].wall), secs(got[2].wall), f2(got[1].wall / got[2].wall)]);
    }
    const oW = median(one);
    const tW = median(two);
    cpuRows.push(['median', secs(oW), secs(tW), f2(oW / tW)]);
    say(`  (b) the CPU-bound job (${cpu.n} files × ~${cpu.ms} ms), worker machines of 1 process each; serial CPU ${secs(cpu.serialCpu)}`);
    const pairedSpeedUp = median(one.map((t, i) => t / two[i]));
    say(table(cpuRows, ['', '1 machine', '2 machines', 'speed-up']));
    say(`  The median row takes each column's median; the median of the per-round speed-ups is ${f2(pairedSpeedUp)}×.`);
    say('  On this 2-core machine the orchestrator, Redis and both workers share the cores.');
    summary.push(['redis: speed-up 1 → 2 worker machines', `${f2(oW / tW)}×`, '≥ 1.8×', `${secs(oW)} → ${secs(tW)}; per-round median ${f2(pairedSpeedUp)}×`]);
  } finally {
    await redis.stop();
  }
  say('');
}
