/** What the run directory's logs hold for workers (docs/ARCHITECTURE.md, "Run directory"). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runPaths } from '../../src/core/run-paths.js';
import { LocalPool } from '../../src/workers/pool.js';
import { ENTRIES, python, poolsPerTest, type Sandbox } from './helpers.js';

let box: Sandbox;
const poolFor = poolsPerTest((b) => (box = b));

describe('worker logs', () => {
  it("puts the script's stdout and stderr in logs/user/{stdout,stderr}/<worker>.txt, unparsed (prints.py)", async () => {
    const p = await poolFor('prints.py');
    const [a] = await box.files('a');
    expect((await p.run([a as string])).kind).toBe('succeeded');
    await p.pool.stop('graceful');
    const stdout = await readFile(box.paths.stdout('worker-0'), 'utf8');
    const stderr = await readFile(box.paths.stderr('worker-0'), 'utf8');
    expect(stdout.startsWith('init stdout line\n')).toBe(true);
    expect(stdout).toContain(`{"type": "result", "id": "fake", "line": 1999, "path": "${a}"}`);
    expect(stdout.endsWith('no newline at the end')).toBe(true);
    expect(stderr.split('\n').filter((l) => l.startsWith('stderr '))).toHaveLength(2000);
    expect(stderr).toContain('init stderr line');
  });

  it('appends each process of a slot to the same files and writes a lifecycle log', async () => {
    for (let i = 0; i < 2; i++) {
      const p = await poolFor('prints.py', { processCount: 2 });
      await p.event('worker_ready', () => p.events.filter((e) => e.type === 'worker_ready').length === 2);
      await p.pool.stop('graceful');
    }
    const stdout = await readFile(box.paths.stdout('worker-1'), 'utf8');
    expect(stdout.match(/init stdout line/g)).toHaveLength(2);
    const log = await readFile(box.paths.workerLog('worker-1'), 'utf8');
    const lines = log.trimEnd().split('\n');
    const stamp = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
    // The first workers of a pool are forked from one Python start-up (fork-server.ts).
    const start = String.raw`start \S+python\S* -u \S+/python/minibatch_host\.py`;
    expect(lines[0]).toMatch(new RegExp(`^${stamp} pid (\\d+): ${start} \\(forked by fork server pid \\d+\\)$`));
    expect(log).toMatch(new RegExp(`${stamp} pid \\d+: ready in \\d+ ms \\(import and init\\(\\): \\d+ ms\\)`));
    expect(log).toMatch(/pid \d+: exit code 0 \(stopped\)/);
  });

  it('creates missing log folders itself when constructed directly', async () => {
    const paths = runPaths(join(box.root, 'fresh-run'));
    const pool = new LocalPool({
      python: await python(),
      processCount: 1,
      init: {
        entry: join(ENTRIES, 'prints.py'),
        args: [],
        workingDir: ENTRIES,
        logDir: paths.userLogs,
        outputDir: box.output,
        loggingLevel: 'INFO',
        models: {},
        rowFormat: 'none',
      },
      runInvocationTimeoutMs: 30_000,
      initTimeoutMs: 30_000,
      paths,
      runId: 'direct',
    });
    await pool.waitForSlot();
    await pool.stop('graceful');
    expect(await readFile(paths.stdout('worker-0'), 'utf8')).toContain('init stdout line');
    expect(await readFile(paths.workerLog('worker-0'), 'utf8')).toContain('ready in');
  });
});
