import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const SPECS = fileURLToPath(new URL('../fixtures/specs/', import.meta.url));

describe('minibatch validate', () => {
  it('prints every problem of the seed sample on stderr, sorted by position, and exits 2', async () => {
    const result = await runCli(['validate', 'module_spec.yaml'], { cwd: `${SPECS}seed` });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        'module_spec.yaml:28:31: inputData names `Data Input 2`, which is not declared in inputs',
        'module_spec.yaml:29:17: outputData names `Data Output`, which is not declared in outputs (did you mean `Data Ouptut`?)',
        'module_spec.yaml:34:33: outputPath names `My Customized Output`, which is not declared in outputs (did you mean `My Customized Ouptut`?)',
        '',
      ].join('\n'),
    );
  });

  it("checks a job file's bindings as run would, each at its place", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mb-validate-'));
    writeFileSync(
      join(dir, 'job.yaml'),
      `module: ${join(REPO_ROOT, 'examples/word-count/module.yaml')}\ninputs:\n  Documents: ${join(REPO_ROOT, 'examples/data/texts')}\n` +
        'parameters:\n  Min Lenght: 3\n',
    );
    const result = await runCli(['validate', 'job.yaml'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      'job.yaml:5:3: module `Word Count` has no parameter `Min Lenght` (did you mean `Min Length`?)',
    );
  });

  it('an input or parameter the job file does not bind is placed at its inputs: section, or its top, with the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mb-validate-'));
    const wordCount = join(REPO_ROOT, 'examples/word-count/module.yaml');
    writeFileSync(join(dir, 'job.yaml'), `module: ${wordCount}\nsettings:\n  miniBatchSize: 3\n`);
    const top = await runCli(['validate', 'job.yaml'], { cwd: dir });
    expect(top.exitCode).toBe(2);
    expect(top.stderr).toContain(
      'job.yaml:1:1: input `Documents` is required and job.yaml does not bind it: add `inputs: {Documents: ./path}` to it, or give --input Documents=PATH',
    );
    writeFileSync(join(dir, 'other.yaml'), `module: ${wordCount}\nsettings:\n  miniBatchSize: 3\ninputs:\n  Documnts: ./texts\n`);
    const section = await runCli(['run', 'other.yaml', '--no-progress'], { cwd: dir });
    expect(section.exitCode).toBe(2);
    expect(section.stderr).toContain(
      'other.yaml:4:1: input `Documents` is required and other.yaml does not bind it: add `Documents: ./path` under inputs: here, or give --input Documents=PATH',
    );
  });

  it('prints the path as the user gave it', async () => {
    const result = await runCli(['validate', 'test/fixtures/specs/seed/module_spec.yaml']);
    expect(result.stderr.split('\n')[0]).toMatch(/^test\/fixtures\/specs\/seed\/module_spec\.yaml:28:31: /);
  });

  it('summarizes a valid spec in one line and exits 0', async () => {
    const result = await runCli(['validate', 'module_spec.yaml'], { cwd: `${SPECS}seed_fixed` });
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(result.stdout).toBe(
      'module_spec.yaml: Parallel Sample 0.0.1 is valid; inputs: Data Input 1, Data Input 2, Model; parameters: Some Parameter; outputs: Data Ouptut, My Customized Ouptut; entry: worker.py\n',
    );
  });

  it('prints warnings and notes of a valid spec on stderr, and still exits 0', async () => {
    const result = await runCli(['validate', 'rules/root-unknown-key.yaml'], { cwd: SPECS });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('rules/root-unknown-key.yaml:5:1: warning: unknown key `descripton` at the top level is ignored (did you mean `description`?)\n');
    expect(result.stdout).toMatch(/^rules\/root-unknown-key\.yaml: Score Images 1\.2\.0 is valid; /);
  });

  it('reports an unreadable file briefly, without a stack trace, and exits 2', async () => {
    const result = await runCli(['validate', 'unreadable/bomb.yaml'], { cwd: SPECS });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      'unreadable/bomb.yaml:2:8: the YAML aliases (*name) expand to more than 100,000 values, as a "billion laughs" bomb does: write the values out instead of aliasing aliases\n',
    );
  });

  it('checks a job file and its module spec', async () => {
    const result = await runCli(['validate', 'jobs/job.yaml'], { cwd: SPECS });
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(result.stdout).toMatch(/^jobs\/job\.yaml: Score Images 1\.2\.0 is valid; inputs: Images, Extra Images, Model; /);
  });

  it('names a job file’s missing module spec by its path from the current directory', async () => {
    const result = await runCli(['validate', 'jobs/missing-module.yaml'], { cwd: SPECS });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`jobs/missing-module.yaml:1:9: module \`../nowhere/module.yaml\` does not exist (${SPECS}nowhere/module.yaml)\n`);
  });
});

describe('the command line', () => {
  it('exits 2 on a usage error', async () => {
    const missing = await runCli(['validate']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'spec|job'");
    const unknown = await runCli(['frobnicate']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'frobnicate'");
  });

  it('prints its version and help, exit 0', async () => {
    const version = await runCli(['--version']);
    expect(version).toMatchObject({ exitCode: 0, stdout: '0.1.0\n' });
    const help = await runCli(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('validate [options] <spec|job>');
    expect(help.stdout).toContain('explain [options] <spec|job>');
  });
});

describe('minibatch validate: what would silently change a run is an error (exit 2)', () => {
  /** A module folder with `module.yaml` (its input of `type`, its entry `entry`) and the files named. */
  function moduleDir(opts: { type?: string; entry?: string; files?: readonly string[] } = {}): string {
    const dir = mkdtempSync(join(tmpdir(), 'mb-validate-'));
    writeFileSync(
      join(dir, 'module.yaml'),
      `amlModuleIdentifier: {moduleName: M, moduleVersion: 0.0.1}\njobType: parallel\ninputs:\n  - name: Data\n    type: ${opts.type ?? 'AnyDirectory'}\n` +
        `outputs:\n  - {name: Out, type: AnyDirectory}\nimplementation:\n  parallel:\n    amlEnvironment: {}\n    inputData: Data\n    outputData: Out\n` +
        `    entry: ${opts.entry ?? 'score.py'}\n    args: []\n`,
    );
    for (const file of opts.files ?? ['score.py']) writeFileSync(join(dir, file), 'def run(mini_batch):\n    return mini_batch\n');
    return dir;
  }

  it('an unknown setting key in a job file, with its line and did-you-mean', async () => {
    const dir = moduleDir();
    writeFileSync(join(dir, 'job.yaml'), 'module: module.yaml\nsettings:\n  miniBatchSzie: 3\n');
    const result = await runCli(['validate', 'job.yaml'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('job.yaml:3:3: unknown key `miniBatchSzie` in settings (did you mean `miniBatchSize`?): a run would ignore it\n');
  });

  it("a job file's module: that does not exist, blamed on the job file's line, with did-you-mean", async () => {
    const dir = moduleDir();
    writeFileSync(join(dir, 'job.yaml'), 'module: ./modul.yaml\n');
    const result = await runCli(['validate', 'job.yaml'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`job.yaml:1:9: module \`./modul.yaml\` does not exist (${join(dir, 'modul.yaml')}) (did you mean \`module.yaml\`?)\n`);
  });

  it('a data type one edit from a known one; one further off stays a warning', async () => {
    const typo = await runCli(['validate', 'module.yaml'], { cwd: moduleDir({ type: 'AnyDirectry' }) });
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toBe('module.yaml:5:11: input `Data`: `AnyDirectry` is not a known data type (did you mean `AnyDirectory`?)\n');
    const own = await runCli(['validate', 'module.yaml'], { cwd: moduleDir({ type: 'AnyDirectoryX2' }) });
    expect(own.exitCode).toBe(0);
    expect(own.stderr).toContain('warning: input `Data`: `AnyDirectoryX2` is not a known data type (did you mean `AnyDirectory`?); it is taken as a data port all the same');
  });

  it('an entry that is not a Python file', async () => {
    const result = await runCli(['validate', 'module.yaml'], { cwd: moduleDir({ entry: 'score.txt', files: ['score.txt', 'score.py'] }) });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('module.yaml:13:12: entry `score.txt` is not a Python file: name the .py script that defines run(mini_batch) (did you mean `score.py`?)\n');
  });
});
