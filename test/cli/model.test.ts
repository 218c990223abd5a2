/**
 * `minibatch model register|list` (docs/AZURE.md): a model put into the local registry from the
 * command line is what an unchanged entry script's `Model.get_model_path(name)` opens. The last
 * test is a v1 tabular scoring module in the style of Azure's samples, with real scikit-learn and
 * pandas (Debian's, `/usr/bin/python3`).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeModule, moduleArgs, names } from '../helpers/module.js';
import { debianPythonHas } from '../helpers/python.js';

const IRIS = fileURLToPath(new URL('../fixtures/azure/v1-iris/', import.meta.url));
const PYTHON = '/usr/bin/python3';

const sklearn = debianPythonHas(['sklearn', 'pandas'], 'python3-sklearn');

interface Record {
  readonly name: string;
  readonly version: number;
  readonly path: string;
  readonly tags: { readonly [key: string]: string };
}

describe('minibatch model', () => {
  it('registers versions 1, 2, … as copies, and lists them; bad names and paths exit 2', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mb-models-'));
    mkdirSync(join(cwd, 'weights'));
    writeFileSync(join(cwd, 'weights', 'weights.txt'), 'first');
    const one = await runCli(['model', 'register', 'my_model', 'weights', '--tag', 'stage=test'], { cwd });
    expect(one.exitCode).toBe(0);
    const registry = join(cwd, '.minibatch', 'models');
    expect(one.stdout).toBe(`registered my_model version 1: ${join(registry, 'my_model', '1', 'weights')}\n`);
    writeFileSync(join(cwd, 'weights', 'weights.txt'), 'second');
    expect((await runCli(['model', 'register', 'my_model', 'weights'], { cwd })).stdout).toContain('registered my_model version 2');
    // A copy: what version 1 holds did not change with the source.
    expect(readFileSync(join(registry, 'my_model', '1', 'weights', 'weights.txt'), 'utf8')).toBe('first');

    const listed = JSON.parse((await runCli(['model', 'list', '--json'], { cwd })).stdout) as Record[];
    expect(listed.map((m) => [m.name, m.version, m.tags])).toEqual([
      ['my_model', 1, { stage: 'test' }],
      ['my_model', 2, {}],
    ]);
    expect((await runCli(['model', 'list'], { cwd })).stdout).toMatch(/^my_model +1 +stage=test +\d{4}-\d\d-\d\d [\d:]+ +\S+weights$/m);

    const missing = await runCli(['model', 'register', 'other', 'nowhere.pkl'], { cwd });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`${join(cwd, 'nowhere.pkl')} does not exist`);
    const badName = await runCli(['model', 'register', '../up', 'weights'], { cwd });
    expect(badName.exitCode).toBe(2);
    expect(badName.stderr).toContain('model name "../up": use letters, digits');
  });

  it("is what an unchanged script's Model.get_model_path opens; before registering, the failure says how", async () => {
    const m = makeModule({ entry: 'azure_model', files: names(3) });
    const before = await runCli(moduleArgs(m), { cwd: m.root });
    expect(before.exitCode).toBe(1);
    expect(before.stdout + before.stderr).toContain("register it with `minibatch model register my_model PATH`");

    mkdirSync(join(m.root, 'trained'));
    writeFileSync(join(m.root, 'trained', 'weights.txt'), 'w7');
    expect((await runCli(['model', 'register', 'my_model', 'trained'], { cwd: m.root })).exitCode).toBe(0);
    const run = await runCli([...moduleArgs(m), '--run-dir', join(m.root, 'run2'), '--output-action', 'append_row'], { cwd: m.root });
    expect(run.exitCode).toBe(0);
    expect(readFileSync(join(m.out, 'parallel_run_step.txt'), 'utf8').trim().split('\n')).toEqual(names(3).map((n) => `w7:${n}`));
  });

  it.skipIf(!sklearn)('a v1 tabular scoring module runs as it is on a registered scikit-learn model: every flower scored, once, in order', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mb-iris-'));
    cpSync(IRIS, cwd, { recursive: true });
    execFileSync(PYTHON, [join(cwd, 'train.py'), cwd]);
    expect((await runCli(['model', 'register', 'iris', 'model.pkl'], { cwd })).exitCode).toBe(0);

    const run = await runCli(['run', 'module.yaml', '--input', 'Iris=data', '--input-format', 'Iris=csv', '--output', 'Scores=out', '--no-progress'], {
      cwd,
      timeoutMs: 120_000,
    });
    expect(run.stdout).toContain('Succeeded: Every mini-batch succeeded.');
    expect(run.stdout).toMatch(/items +150 succeeded, 0 failed \(of 150\)/);
    const [header, ...rows] = readFileSync(join(cwd, 'out', 'scores.csv'), 'utf8').trim().split('\n');
    expect(header).toBe('sepal_length,sepal_width,petal_length,petal_width,variety');
    const input = readFileSync(join(cwd, 'data', 'iris.csv'), 'utf8').trim().split('\n').slice(1);
    // Every flower once, in input order, with the features it came with and a class 0, 1 or 2.
    // Floats are written as pandas writes them: 3.0 stays 3.0.
    expect(rows.map((r) => r.split(',').slice(0, 4).join(','))).toEqual(input);
    const classes = rows.map((r) => r.split(',')[4]);
    expect(new Set(classes)).toEqual(new Set(['0', '1', '2']));
    // The classifier is good: the first 50 flowers are setosa (class 0).
    expect(classes.slice(0, 50).every((c) => c === '0')).toBe(true);
  });
});
