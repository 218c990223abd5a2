/**
 * `minibatch debug <run-dir>`: one mini-batch of an existing run, reproduced with the run's own job
 * (no retyping), without touching the run directory; and `--pdb` on either form.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeModule, names, writeSpec } from '../helpers/module.js';
import { debianPythonHas } from '../helpers/python.js';

const PANDAS_PYTHON = '/usr/bin/python3';

/** run() prints its argv and one --env variable, writes into its --output folder, and raises on a `bad` file. */
const ECHO_ENTRY = `import os, sys

def run(mini_batch):
    print('argv %s GREETING=%s' % (sys.argv[1:], os.environ.get('GREETING')), flush=True)
    out = sys.argv[sys.argv.index('--output') + 1]
    with open(os.path.join(out, 'touched.txt'), 'a') as f:
        f.write('x')
    for path in mini_batch:
        if 'bad' in os.path.basename(path):
            raise ValueError('cannot score %s' % os.path.basename(path))
    return [os.path.basename(p) for p in mini_batch]
`;

/** Every file under `dir` with its bytes and time, but SQLite's own -wal/-shm, which a reader may create. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (!/state\.db-(wal|shm)$/.test(e.name)) files[relative(dir, path)] = `${statSync(path).mtimeMs} ${readFileSync(path, 'base64')}`;
    }
  };
  walk(dir);
  return files;
}

const pandas = debianPythonHas(['pandas'], 'python3-pandas');

describe('minibatch debug <run-dir>', () => {
  it("reproduces a failed mini-batch with the run's job, its output in its own folder, the run untouched; --pdb opens in run() where it raised", async () => {
    const m = makeModule({ entry: 'ok', files: ['a', 'b', 'bad-1', 'c'] });
    writeFileSync(join(m.root, 'module', 'entry.py'), ECHO_ENTRY);
    const run = await runCli(
      ['run', m.spec, '--input', `Data=${m.data}`, '--run-dir', m.runDir, '--no-progress', '--processes', '1',
        '--mini-batch-size', '2', '--env', 'GREETING=hello', '--run-max-try', '1'],
      { cwd: m.root },
    );
    expect(run.exitCode).toBe(0); // tolerated: errorThreshold -1
    // The summary says how to reproduce the first error.
    expect(run.stdout).toContain(`1 try of mini-batch 1 (bad-1): ValueError: cannot score bad-1 at entry.py:10\n  reproduce: minibatch debug ${m.runDir} --mini-batch 1\n`);
    const before = snapshot(m.runDir);

    const r = await runCli(['debug', m.runDir, '--mini-batch', '1'], { cwd: m.root });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^python: \S+ \(Python 3\.\d+/m);
    expect(r.stderr).toMatch(/minibatch debug: mini-batch 1 of run \S+ \(2 items of Data: bad-1, c, failed after 1 try\); logs and outputs in (\S+)\n/);
    const scratch = /logs and outputs in (\S+)\n/.exec(r.stderr)?.[1] ?? '';
    expect(scratch.startsWith(join(m.root, '.minibatch', 'debug'))).toBe(true);
    // The run's bindings, --env and arguments, with --output moved to the session's own folder.
    expect(r.stdout).toContain(`argv ['--output', '${join(scratch, 'outputs', 'out')}'] GREETING=hello`);
    expect(r.stdout).toContain('calling run() on mini-batch 1 (2 items)');
    expect(r.stdout).toContain('run() raised ValueError: cannot score bad-1');
    expect(readFileSync(join(scratch, 'outputs', 'out', 'touched.txt'), 'utf8')).toBe('x');
    expect(snapshot(m.runDir)).toEqual(before);

    // The same mini-batch found by the file an error named; with --pdb, pdb opens in run()'s frame.
    const pdb = await runCli(['debug', m.runDir, '--item', join(m.data, 'bad-1'), '--pdb'], { cwd: m.root, input: 'p sorted(locals().keys())\np os.path.basename(path)\nq\n' });
    expect(pdb.stderr).toContain('minibatch debug: mini-batch 1 of run');
    expect(pdb.stdout).toContain('starting pdb post mortem where ValueError was raised');
    expect(pdb.stdout).toContain(`> ${join(m.root, 'module', 'entry.py')}(10)run()\n-> raise ValueError('cannot score %s' % os.path.basename(path))`);
    expect(pdb.stdout).toContain("(Pdb) ['f', 'mini_batch', 'out', 'path']");
    expect(pdb.stdout).toContain("(Pdb) 'bad-1'");
    expect(pdb.exitCode).toBe(1);
    expect(snapshot(m.runDir)).toEqual(before);
  });

  it('names the valid range, refuses a folder that is not a run and flags that would change the job (exit 2)', async () => {
    const m = makeModule({ entry: 'ok', files: names(3) });
    const run = await runCli(['run', m.spec, '--input', `Data=${m.data}`, '--run-dir', m.runDir, '--no-progress', '--processes', '1', '--mini-batch-size', '2']);
    expect(run.exitCode).toBe(0);

    const missing = await runCli(['debug', m.runDir, '--mini-batch', '7'], { cwd: m.root });
    expect(missing.stderr).toContain(`--mini-batch 7 does not exist: the run in ${m.runDir} has 2 mini-batches (0 to 1)`);
    expect(missing.exitCode).toBe(2);

    const notRun = await runCli(['debug', m.data], { cwd: m.root });
    expect(notRun.stderr).toContain(`${m.data} is not a minibatch run directory (it has no run.json)`);
    expect(notRun.exitCode).toBe(2);

    const retyped = await runCli(['debug', m.runDir, '--input', `Data=${m.data}`, '--mini-batch-size', '2'], { cwd: m.root });
    expect(retyped.stderr).toContain("--input, --mini-batch-size: a run directory's job is the one it ran");
    expect(retyped.exitCode).toBe(2);

    const notThere = await runCli(['debug', m.runDir, '--item', join(m.data, 'nope')], { cwd: m.root });
    expect(notThere.stderr).toContain(`no mini-batch of the run in ${m.runDir} holds ${join(m.data, 'nope')}`);
    expect(notThere.exitCode).toBe(2);
  });

  it.skipIf(!pandas)("hands run() a table's mini-batch as the DataFrame of its rows", async () => {
    const m = makeModule({ entry: 'ok', files: [] });
    writeSpec(m.spec, { moduleName: 'Tables', moduleVersion: '1.0.0', input: 'Data', output: 'Out', entry: 'entry.py' });
    writeFileSync(join(m.root, 'module', 'entry.py'), 'def run(mini_batch):\n    print(mini_batch.to_string(), flush=True)\n    return mini_batch\n');
    writeFileSync(join(m.data, 't.csv'), 'id,name\n1,one\n2,two\n3,three\n4,four\n5,five\n');
    const run = await runCli(['run', m.spec, '--input', `Data=${m.data}`, '--input-format', 'Data=csv', '--mini-batch-size', '2rows',
      '--python', PANDAS_PYTHON, '--run-dir', m.runDir, '--no-progress', '--processes', '1']);
    expect(run.exitCode).toBe(0);
    const r = await runCli(['debug', m.runDir, '--mini-batch', '1'], { cwd: m.root });
    expect(r.stderr).toContain(`mini-batch 1 of run`);
    expect(r.stderr).toContain(`(2 rows of ${join(m.data, 't.csv')}, succeeded after 1 try)`);
    expect(r.stdout).toMatch(/id\s+name\n\s*\d\s+3\s+three\n\s*\d\s+4\s+four\n/);
    expect(r.stdout).not.toContain('two');
    expect(r.exitCode).toBe(0);
    const byItem = await runCli(['debug', m.runDir, '--item', join(m.data, 't.csv')], { cwd: m.root });
    expect(byItem.stderr).toContain(`is a table that 3 mini-batches share (0, 1, 2): choose one with --mini-batch N`);
    expect(byItem.exitCode).toBe(2);
  });
});

describe('minibatch debug --pdb', () => {
  // On a run directory: the first test above.
  it('starts pdb post mortem where init() raised, from a module spec', async () => {
    const m = makeModule({ entry: 'init_raises', files: names(1) });
    const r = await runCli(['debug', m.spec, '--input', `Data=${m.data}`, '--pdb'], { cwd: m.root, input: 'where\nq\n' });
    expect(r.stdout).toContain('init failed after');
    expect(r.stdout).toContain('starting pdb post mortem where FileNotFoundError was raised');
    expect(r.stdout).toMatch(/entry\.py\(9\)init\(\)\n-> load_model\(\)\n> \S+entry\.py\(5\)load_model\(\)/);
    expect(r.exitCode).toBe(1);
  });
});
