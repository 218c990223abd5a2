/**
 * What each kind of entry script's run() becomes: a TryOutcome with counts, rows and errors as a
 * user reads them (docs/ARCHITECTURE.md, "Tries", "Entry script").
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { TryOutcome } from '../../src/core/tries.js';
import { ENTRIES, poolsPerTest, type Sandbox } from './helpers.js';

let box: Sandbox;
const poolFor = poolsPerTest((b) => (box = b));

function expectSucceeded(outcome: TryOutcome): Extract<TryOutcome, { kind: 'succeeded' }> {
  if (outcome.kind !== 'succeeded') throw new Error(`expected success, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function expectFailed(outcome: TryOutcome): Extract<TryOutcome, { kind: 'failed' }> {
  if (outcome.kind !== 'failed') throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('run() outcomes', () => {
  it('counts one result per item and returns rows in order (ok.py)', async () => {
    const { run } = await poolFor('ok.py');
    const items = await box.files('a.txt', 'bb.txt', 'ccc.txt');
    const outcome = expectSucceeded(await run(items, 4, 2));
    expect(outcome).toMatchObject({ miniBatch: 4, attempt: 2, worker: 'worker-0', succeeded: 3 });
    expect(outcome.rows).toEqual({ kind: 'lines', lines: ['ok a.txt 5', 'ok bb.txt 6', 'ok ccc.txt 7'] });
    expect(outcome.startedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('records the traceback when run() raises, and the worker goes on (raises.py)', async () => {
    const { run, pids } = await poolFor('raises.py');
    const [good, bad] = await box.files('good.txt', 'bad.txt');
    const failed = expectFailed(await run([good as string, bad as string]));
    expect(failed.failure).toBe('raised');
    expect(failed.error.type).toBe('ValueError');
    expect(failed.error.message).toBe('cannot score bad.txt');
    expect(failed.error.traceback).toContain('raises.py", line 7, in check');
    expect(failed.error.traceback).toContain('ValueError: cannot score bad.txt');
    expect(failed.error.traceback).not.toContain('minibatch_host.py');
    expect(failed).toMatchObject({ exitCode: null, signal: null });
    expectSucceeded(await run([good as string]));
    expect(pids()).toHaveLength(1);
  });

  it('fails a try that returns None, naming what was returned and what is expected (bad_return.py)', async () => {
    const { run } = await poolFor('bad_return.py');
    const failed = expectFailed(await run(await box.files('a', 'b')));
    expect(failed.failure).toBe('bad_return');
    expect(failed.error.type).toBe('BadReturn');
    expect(failed.error.message).toContain('run() returned None');
    expect(failed.error.message).toContain('expected a list, tuple, generator or pandas DataFrame');
    expect(failed.error.message).toContain('(2 items)');
  });

  it('counts a short return as fewer succeeded items, not as a failure (short_return.py)', async () => {
    const { run } = await poolFor('short_return.py');
    const outcome = expectSucceeded(await run(await box.files('a', 'b', 'c')));
    expect(outcome.succeeded).toBe(1);
    expect(outcome.rows).toEqual({ kind: 'lines', lines: [join(box.data, 'a')] });
  });

  it('materializes a generator; an exception while generating fails the try (generator.py)', async () => {
    const { run } = await poolFor('generator.py', { init: { rowFormat: 'table' } });
    const outcome = expectSucceeded(await run(await box.files('x', 'yy')));
    expect(outcome.succeeded).toBe(2);
    expect(outcome.rows).toEqual({
      kind: 'table',
      columns: ['name', 'size'],
      values: [
        ['x', 1],
        ['yy', 2],
      ],
    });
    const failed = expectFailed(await run(await box.files('ok', 'bad-one')));
    expect(failed.failure).toBe('raised');
    expect(failed.error).toMatchObject({ type: 'RuntimeError', message: 'generator failed on bad-one' });
    expect(failed.error.traceback).toContain('generator.py');
  });

  it('passes mini_batch_context to a two-argument run() (two_arg.py)', async () => {
    const { run } = await poolFor('two_arg.py');
    const [a] = await box.files('a');
    const outcome = expectSucceeded(await run([a as string], 17));
    expect(outcome.rows).toEqual({ kind: 'lines', lines: [`17 ${a}`] });
  });

  it('carries big mini-batches and results whole (messages of many pipe buffers)', async () => {
    const { run } = await poolFor('two_arg.py');
    const items = Array.from({ length: 20_000 }, (_, i) => `/data/${'deep/'.repeat(10)}file-${i}.txt`);
    const outcome = expectSucceeded(await run(items, 2));
    expect(outcome.succeeded).toBe(20_000);
    expect(outcome.rows).toEqual({ kind: 'lines', lines: items.map((item) => `2 ${item}`) });
  });

  it('carries names in any script whole, also split across pipe reads (two_arg.py)', async () => {
    // Multi-byte characters on both sides of 64 KiB read boundaries: the host decodes whole lines.
    const { run } = await poolFor('two_arg.py');
    const items = Array.from({ length: 3_000 }, (_, i) => `/données/é😀${'ü'.repeat(i % 7)}\u2028/fichier-${i}.txt`);
    const outcome = expectSucceeded(await run(items, 5));
    expect(outcome.rows).toEqual({ kind: 'lines', lines: items.map((item) => `5 ${item}`) });
  });

  it('sends no rows when the job does not collect them (rowFormat none)', async () => {
    const { run } = await poolFor('ok.py', { init: { rowFormat: 'none' } });
    const outcome = expectSucceeded(await run(await box.files('a', 'b')));
    expect(outcome.succeeded).toBe(2);
    expect(outcome.rows).toBeNull();
  });

  it('takes a table header from the first dict and orders every row by it (dict_rows.py)', async () => {
    const { run } = await poolFor('dict_rows.py', { init: { rowFormat: 'table' } });
    const outcome = expectSucceeded(await run(await box.files('a', 'bb')));
    expect(outcome.rows).toEqual({
      kind: 'table',
      columns: ['size', 'name'],
      values: [
        [1, 'a'],
        [2, 'bb'],
      ],
    });
  });

  it('fails a try whose dict rows do not fit the header, naming the row (dict_rows.py)', async () => {
    const { run } = await poolFor('dict_rows.py', { init: { rowFormat: 'table' } });
    const failed = expectFailed(await run(await box.files('a', 'odd')));
    expect(failed.failure).toBe('bad_return');
    expect(failed.error.message).toBe(
      "row 1 of what run() returned does not fit the header ['size', 'name'] (the keys of row 0): missing ['size'], extra ['weight']",
    );
  });

  it('gives table rows one column `result` for plain values', async () => {
    const { run } = await poolFor('ok.py', { init: { rowFormat: 'table' } });
    const outcome = expectSucceeded(await run(await box.files('a')));
    expect(outcome.rows).toEqual({ kind: 'table', columns: ['result'], values: [['ok a 1']] });
  });

  it('gives the worker the environment, argv and working directory an entry script expects (env.py)', async () => {
    const { run } = await poolFor('env.py', {
      init: { rowFormat: 'table', args: ['--scale', '2', '--output', '/out'] },
      env: { MY_SETTING: 'on', MINIBATCH_RUN_ID: 'user cannot override this' },
    });
    const outcome = expectSucceeded(await run(await box.files('a')));
    if (outcome.rows?.kind !== 'table') throw new Error('expected a table');
    const row = Object.fromEntries(outcome.rows.columns.map((c, i) => [c, outcome.rows?.kind === 'table' ? outcome.rows.values[0]?.[i] : null]));
    expect(row).toEqual({
      AZUREML_BI_OUTPUT_PATH: box.output,
      MINIBATCH_RUN_ID: 'test-run',
      MINIBATCH_WORKER_ID: 'worker-0',
      MINIBATCH_WORKER_SLOT: '0',
      PYTHONFAULTHANDLER: '1',
      MY_SETTING: 'on',
      argv: ['--scale', '2', '--output', '/out'],
      cwd: ENTRIES,
      path0: ENTRIES,
      name: 'env',
    });
  });

  it('keeps the protocol intact when the script prints a lot, JSON included (prints.py)', async () => {
    const { run } = await poolFor('prints.py');
    const items = await box.files('a', 'b');
    const outcome = expectSucceeded(await run(items));
    expect(outcome.succeeded).toBe(2);
    expectSucceeded(await run(items));
  });
});

describe('Azure ML compatibility', () => {
  it('runs a script written for Azure: EntryScript, parse_known_args, shutdown() (entry_script.py)', async () => {
    const p = await poolFor('entry_script.py', { init: { args: ['--scale', '3', '--output', box.output] } });
    const [a] = await box.files('abcd');
    const outcome = expectSucceeded(await p.run([a as string]));
    expect(outcome.rows).toEqual({ kind: 'lines', lines: ['abcd'] });
    expect(await readFile(join(box.output, 'abcd.out'), 'utf8')).toBe('12');
    await p.pool.stop('graceful');
    const [agent, logDir, workingDir, cwd, slot] = (await readFile(join(box.output, 'init.txt'), 'utf8')).split('\n');
    expect({ agent, logDir, workingDir, cwd, slot }).toEqual({
      agent: 'worker-0',
      logDir: box.paths.userLogs,
      workingDir: ENTRIES,
      cwd: ENTRIES,
      slot: '0',
    });
    expect(await readFile(join(box.output, 'shutdown.txt'), 'utf8')).toBe('bye\n');
    const log = await readFile(box.paths.entryLog('worker-0'), 'utf8');
    expect(log).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO EntryScript \[pid \d+\] init: scale=3 unknown=\['--output', /m);
    expect(log).toContain('WARNING user.module');
    expect(log).toContain('run: 1 items');
    expect(log).toContain('shutdown called');
    expect(log).not.toContain('a debug line'); // loggingLevel INFO
  });

  it('logs DEBUG lines when loggingLevel is DEBUG', async () => {
    const p = await poolFor('entry_script.py', { init: { loggingLevel: 'DEBUG' } });
    expectSucceeded(await p.run(await box.files('a')));
    await p.pool.stop('graceful');
    expect(await readFile(box.paths.entryLog('worker-0'), 'utf8')).toContain('DEBUG EntryScript');
  });

  it('finds the bound model and logs Run metrics to the entry log (azure_model.py)', async () => {
    const model = join(box.root, 'model');
    await mkdir(model);
    await writeFile(join(model, 'weights.txt'), 'w42\n');
    const p = await poolFor('azure_model.py', { init: { models: { 'Model Input': model } } });
    const outcome = expectSucceeded(await p.run(await box.files('a', 'b')));
    expect(outcome.rows).toEqual({ kind: 'lines', lines: ['w42:a', 'w42:b'] });
    await p.pool.stop('graceful');
    const log = await readFile(box.paths.entryLog('worker-0'), 'utf8');
    expect(log).toContain('metric model_loaded = 1');
    expect(log).toContain('metric batch_size = 2');
  });

  it('leaves azureml.core alone when a real one is importable', async () => {
    // A module folder that vendors its own azureml.core (as an installed azureml-core would be found).
    const dir = join(box.root, 'module');
    await mkdir(join(dir, 'azureml', 'core'), { recursive: true });
    await writeFile(join(dir, 'azureml', 'core', '__init__.py'), 'REAL = True\n');
    await writeFile(join(dir, 'score.py'), 'import azureml.core\ndef run(mb):\n    return [getattr(azureml.core, "REAL", False) for _ in mb]\n');
    const p = await poolFor('ok.py', { init: { entry: join(dir, 'score.py'), workingDir: dir, codeDir: dir } });
    expect(expectSucceeded(await p.run(await box.files('a'))).rows).toEqual({ kind: 'lines', lines: ['True'] });
  });

  it('says which models are bound when the name matches none', async () => {
    const p = await poolFor('azure_model.py', {
      processCount: 1,
      init: { models: { first: '/m1', second: '/m2' } },
    });
    const failed = await p.event('worker_init_failed');
    expect(failed.error.type).toBe('ModelNotFoundError');
    expect(failed.error.message).toBe(
      "Model.get_model_path('my_model'): no bound model input has that name (the bound ones are 'first', 'second'), " +
        `and the local registry (${join(ENTRIES, '.minibatch', 'models')}) has no such model: register it with \`minibatch model register my_model PATH\``,
    );
  });
});

const PANDAS_PYTHON = '/usr/bin/python3';
const hasPandas = ((): boolean => {
  try {
    execFileSync(PANDAS_PYTHON, ['-c', 'import pandas'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
// CI installs Debian's python3-pandas (.ci/run): there, a missing pandas is a failure, not a skip.
const skipDataFrame = !hasPandas && process.env['CI'] !== 'true';

if (skipDataFrame) {
  it.skip(`DataFrame results: skipped, ${PANDAS_PYTHON} cannot import pandas (apt-get install python3-pandas; CI always runs them)`, () => {});
}

describe.runIf(!skipDataFrame)(`DataFrame results (${PANDAS_PYTHON} with python3-pandas)`, () => {
  it('counts DataFrame rows and shapes them as txt lines (dataframe.py)', async () => {
    const p = await poolFor('dataframe.py', { python: PANDAS_PYTHON, init: { rowFormat: 'lines' } });
    const outcome = expectSucceeded(await p.run(await box.files('a', 'bb')));
    expect(outcome.succeeded).toBe(2);
    expect(outcome.rows).toEqual({ kind: 'lines', lines: ['a 1 0.5', 'bb 2 nan'] });
  });

  it('takes the header from the columns and makes numpy values JSON (dataframe.py, table)', async () => {
    const p = await poolFor('dataframe.py', { python: PANDAS_PYTHON, init: { rowFormat: 'table' } });
    const items = await box.files('a', 'bb', 'ccc');
    const outcome = expectSucceeded(await p.run(items));
    expect(outcome.rows).toEqual({
      kind: 'table',
      columns: ['name', 'size', 'score'],
      values: [
        ['a', 1, 0.5],
        ['bb', 2, 0.5],
        ['ccc', 3, null],
      ],
    });
    expect(items.map((i) => basename(i))).toEqual(['a', 'bb', 'ccc']);
  });
});
