/**
 * A run directory that cannot be made is an error a user can act on (exit 3, a message, no stack
 * trace); a run's files are the user's alone; secrets given with --env are not shown.
 */
import { readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeModule, moduleArgs, names } from '../helpers/module.js';

const NO_STACK = /\n\s+at |internal error/;

describe('the run directory', () => {
  it('under a file: exit 3, saying which path is a file', async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    const file = join(m.root, 'a-file');
    writeFileSync(file, 'x');
    const r = await runCli([...moduleArgs(m).slice(0, -3), '--run-dir', join(file, 'run'), '--no-progress']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`cannot create the run directory ${join(file, 'run')}: ${file} is a file, not a folder`);
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it('under /proc: refused at once (exit 3), naming the file system', async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    const r = await runCli([...moduleArgs(m).slice(0, -3), '--run-dir', '/proc/self/minibatch-run', '--no-progress'], { timeoutMs: 60_000 });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('cannot create the run directory /proc/self/minibatch-run: /proc/self is on proc');
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it("is the owner's alone (0700, run.json 0600), and explain masks secret-looking --env values", async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    const env = ['--env', 'API_KEY=sk-12345', '--env', 'HF_TOKEN=hf_abc', '--env', 'PLAIN=visible'];
    const r = await runCli([...moduleArgs(m), ...env]);
    expect(r.exitCode).toBe(0);
    expect(statSync(m.runDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(m.runDir, 'run.json')).mode & 0o777).toBe(0o600);
    const explain = await runCli(['explain', m.spec, '--input', `Data=${m.data}`, '--output', `Out=${m.out}`, ...env]);
    expect(explain.exitCode).toBe(0);
    expect(explain.stdout).toContain('API_KEY=***');
    expect(explain.stdout).toContain('HF_TOKEN=***');
    expect(explain.stdout).toContain('PLAIN=visible');
    expect(explain.stdout).not.toMatch(/sk-12345|hf_abc/);
    const json = await runCli(['explain', m.spec, '--input', `Data=${m.data}`, '--output', `Out=${m.out}`, ...env, '--json']);
    expect(json.stdout).not.toMatch(/sk-12345|hf_abc/);
  });
});

describe('secret-looking --env values', () => {
  it('are masked by status (text and --json) and on the run page and its report', async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    const env = ['--env', 'API_KEY=sk-12345', '--env', 'DB_PASSWORD=pw-678', '--env', 'PLAIN=visible'];
    const r = await runCli([...moduleArgs(m), ...env]);
    expect(r.exitCode).toBe(0);
    for (const args of [['status', m.runDir], ['status', m.runDir, '--json']]) {
      const status = await runCli(args);
      expect(status.exitCode).toBe(0);
      expect(status.stdout).not.toMatch(/sk-12345|pw-678/);
    }
    // The run writes its report as it ends; the page's data is the same (src/ui/data/job-view.ts).
    const report = readFileSync(join(m.runDir, 'logs', 'report.html'), 'utf8');
    expect(report).toContain('API_KEY=***');
    expect(report).toContain('PLAIN=visible');
    expect(report).not.toMatch(/sk-12345|pw-678/);
  });
});

describe('an input that is a symbolic link loop', () => {
  it('is called a loop, not missing (exit 2)', async () => {
    const m = makeModule({ entry: 'ok', files: names(1) });
    const loop = join(m.root, 'loop');
    symlinkSync(loop, loop);
    const r = await runCli(['explain', m.spec, '--input', `Data=${loop}`, '--output', `Out=${m.out}`]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${loop} is a loop of symbolic links`);
    expect(r.stderr).not.toContain('does not exist');
  });
});

describe('--processes', () => {
  it('past the bound is refused before any process starts (exit 2)', async () => {
    const m = makeModule({ entry: 'ok', files: names(2) });
    const r = await runCli([...moduleArgs(m), '--processes', '100000']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/must be at most \d+ \(16 per CPU, at least 256\): each is a Python process; found `?100000/);
    expect(r.stderr).not.toMatch(NO_STACK);
  });
});
