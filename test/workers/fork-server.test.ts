/**
 * A pool's first workers are forked from one Python start-up (src/workers/fork-server.ts,
 * `minibatch_host.py --fork-server`): each is still a worker of its own (name, slot, process group,
 * logs), its exit status reaches the pool, and a replacement is spawned as before.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TryOutcome } from '../../src/core/tries.js';
import { HOST_SCRIPT } from '../../src/workers/host-script.js';
import { isAlive, poolsPerTest, readText, task, until, type Sandbox } from './helpers.js';

/** Worker hosts made for a test (test/fixtures/hosts). */
const HOSTS = fileURLToPath(new URL('../fixtures/hosts', import.meta.url));

let box: Sandbox;
const poolFor = poolsPerTest((b) => (box = b));

/** Parent pid and process group of a live process (/proc/<pid>/stat). */
function statOf(pid: number): { ppid: number; pgid: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return { ppid: Number(fields[1]), pgid: Number(fields[2]) };
}

const linesOf = (outcome: TryOutcome): string[] => (outcome.kind === 'succeeded' && outcome.rows?.kind === 'lines' ? [...outcome.rows.lines] : []);

describe('the fork server', () => {
  it('forks the first workers from one Python; each has its own name, slot, process group and logs', async () => {
    const p = await poolFor('crashes.py', { processCount: 3 });
    await p.event('worker_ready', () => p.events.filter((e) => e.type === 'worker_ready').length === 3);
    const started = p.events.flatMap((e) => (e.type === 'worker_started' ? [e] : []));
    expect(started.map((e) => e.worker).sort()).toEqual(['worker-0', 'worker-1', 'worker-2']);
    const stats = started.map((e) => statOf(e.pid));
    const parents = new Set(stats.map((s) => s.ppid));
    expect(parents.size).toBe(1);
    expect(parents.has(process.pid)).toBe(false);
    started.forEach((e, i) => expect(stats[i]?.pgid).toBe(e.pid));

    // Three idle workers take one mini-batch each; each row says who ran it.
    const items = await box.files('a', 'b', 'c');
    const outcomes = await Promise.all(items.map((item, i) => p.pool.submit(task([item], i))));
    const rows = outcomes.flatMap(linesOf).sort();
    expect(rows).toEqual(started.map((e) => `${e.worker} ${e.worker.slice('worker-'.length)} ${e.pid}`).sort());
    for (const e of started) {
      expect(readText(box.paths.workerLog(e.worker))).toContain(`pid ${e.pid}: start `);
    }
  });

  it("reports a forked worker's exit code, and spawns its replacement directly", async () => {
    const p = await poolFor('crashes.py', { processCount: 2 });
    const [exit, fine] = await box.files('exit-now', 'fine');
    const outcome = await p.run([exit as string]);
    expect(outcome).toMatchObject({ kind: 'failed', failure: 'crash', exitCode: 7, signal: null });
    const worker = outcome.kind === 'failed' ? outcome.worker : '';
    await until(() => p.pids().length === 3, 60_000, 'a replacement worker');
    await p.event('worker_ready', () => p.events.filter((e) => e.type === 'worker_ready').length === 3);
    const log = readText(box.paths.workerLog(worker)).trimEnd().split('\n');
    const starts = log.filter((line) => / pid \d+: start /.test(line));
    expect(starts).toHaveLength(2);
    expect(starts[0]).toMatch(/\(forked by fork server pid \d+\)$/);
    expect(starts[1]).toMatch(/minibatch_host\.py$/);
    expect(log.some((line) => /pid \d+: exit code 7$/.test(line))).toBe(true);
    const again = await Promise.all([p.run([fine as string]), p.run([fine as string])]);
    expect(again.map((o) => o.kind)).toEqual(['succeeded', 'succeeded']);
  });

  it('a worker forked but never reported (its server killed in between) exits once the pool stops', async () => {
    // The server reports each fork after it; a stop that kills it in between leaves a worker that
    // the pool never knew the pid of, in a process group of its own. Its pipes are all it has.
    const forkedPids = join(box.root, 'forked.pids');
    const readPids = (): number[] => (existsSync(forkedPids) ? readText(forkedPids).trim().split('\n').map(Number) : []);
    const p = await poolFor('ok.py', {
      processCount: 2,
      hostScript: join(HOSTS, 'fork_server_unreported.py'),
      env: { MINIBATCH_PYTHON_DIR: dirname(HOST_SCRIPT), FORKED_PIDS_FILE: forkedPids },
    });
    await until(() => readPids().length === 2, 60_000, 'both workers to be forked');
    await p.pool.stop('now');
    const pids = readPids();
    await until(() => pids.every((pid) => !isAlive(pid)), 5000, 'the unreported workers to exit');
    expect(p.events.filter((e) => e.type === 'worker_started')).toEqual([]);
  });

  it('kills a server that never finishes starting: its workers time out in init(), and the pool gives up', async () => {
    // An "interpreter" whose start-up hangs (a sitecustomize stuck on a network drive, say).
    const hanging = join(box.root, 'hanging-python');
    writeFileSync(hanging, '#!/bin/sh\necho "$$" >> "$0.pids"\nexec sleep 600\n');
    chmodSync(hanging, 0o755);
    const p = await poolFor('ok.py', { processCount: 2, python: hanging, initTimeoutMs: 300 });
    await expect(p.pool.waitForSlot()).rejects.toThrow(/the workers cannot start: 6 init failures in a row[^]*InitTimeout: /);
    await p.pool.stop('now');
    const started = readText(`${hanging}.pids`).trim().split('\n').map(Number);
    expect(started.length).toBeGreaterThanOrEqual(5); // the server, then replacements one by one
    await until(() => started.every((pid) => !isAlive(pid)), 5000, 'every hanging start-up to be killed');
  });
});

