/**
 * The library entry as a program uses it: a Node program in its own folder imports `minibatch`
 * (the built package, through its `exports` map), runs the word-count example with real Python
 * workers through `runJob`, and prints what it got back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

const TEXTS = join(REPO_ROOT, 'examples', 'data', 'texts');
const WORD_COUNT = join(REPO_ROOT, 'examples', 'word-count', 'module.yaml');

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** A folder whose `node_modules/minibatch` is this repository, as `npm install` would make it. */
function programFolder(): string {
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) throw new Error('dist/index.js does not exist: run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'minibatch-library-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'minibatch'), 'dir');
  folders.push(dir);
  return dir;
}

/** Runs `source` as `program.mjs` in `dir` with Node; its stdout is one JSON line. */
function runProgram(dir: string, source: string): { exitCode: number | null; printed: Record<string, unknown>; stderr: string } {
  writeFileSync(join(dir, 'program.mjs'), source);
  // Killed only when hung: a loaded machine is slow, not stuck.
  const r = spawnSync(process.execPath, ['program.mjs'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  return { exitCode: r.status, printed: JSON.parse(r.stdout.trim() || '{}') as Record<string, unknown>, stderr: r.stderr };
}

describe('runJob (the library entry)', () => {
  it('runs a module from typed options and resolves with its result; the rows file holds every file once', () => {
    const dir = programFolder();
    const { exitCode, printed, stderr } = runProgram(
      dir,
      `import { runJob } from 'minibatch';
const result = await runJob({
  spec: ${JSON.stringify(WORD_COUNT)},
  inputs: { Documents: ${JSON.stringify(TEXTS)} },
  params: { min_length: 3 },
  outputs: { 'Word Counts': './counts' },
  settings: { miniBatchSize: 5, processCountPerNode: 2, runInvocationTimeout: 30_000 },
  runDir: './run',
});
console.log(JSON.stringify(result));
`,
    );
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(printed).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      miniBatches: { total: 5, succeeded: 5, partial: 0, failed: 0, notRun: 0 },
      items: { total: 24, succeeded: 24, failed: 0 },
      rows: 24,
      rowsFile: join(dir, 'counts', 'word_counts.csv'),
    });
    // The rows, in mini-batch order, each with the words of at least 3 letters (`params` reached the script).
    const files = readdirSync(TEXTS).sort();
    const lines = readFileSync(join(dir, 'counts', 'word_counts.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('file,words,top_word,top_count');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(
      files.map((f) => `${f},${readFileSync(join(TEXTS, f), 'utf8').split(/\s+/).filter((w) => w.length >= 3).length}`),
    );
    expect(JSON.parse(readFileSync(join(dir, 'run', 'logs', 'job_result.json'), 'utf8'))).toMatchObject({ status: 'succeeded', rows: 24 });
    // A duration given as a number is milliseconds.
    const runJson = JSON.parse(readFileSync(join(dir, 'run', 'run.json'), 'utf8')) as { job: { settings: Record<string, unknown> } };
    expect(runJson.job.settings).toMatchObject({ runInvocationTimeoutMs: 30_000, initTimeoutMs: 120_000 });
  });

  it('rejects a binding to an undeclared name with a UsageError (code USAGE) before making a run directory', () => {
    const dir = programFolder();
    const { exitCode, printed } = runProgram(
      dir,
      `import { runJob, UsageError } from 'minibatch';
try {
  await runJob({ spec: ${JSON.stringify(WORD_COUNT)}, inputs: { Documnets: '.' }, runDir: './run' });
  console.log(JSON.stringify({ resolved: true }));
} catch (error) {
  console.log(JSON.stringify({ usage: error instanceof UsageError, code: error.code, exitCode: error.exitCode, message: error.message }));
}
`,
    );
    expect(exitCode).toBe(0);
    expect(printed).toMatchObject({ usage: true, code: 'USAGE', exitCode: 2 });
    expect(printed['message']).toContain('inputs["Documnets"]: module `Word Count` has no input `Documnets` (did you mean `Documents`?)');
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });
});
