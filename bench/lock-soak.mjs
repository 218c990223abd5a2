/**
 * Soak of the run lock, outside the test suite: N pairs of `resume` started together on a killed run,
 * and N pairs of `run` started together on one fresh --run-dir. Each pair must end with one driver
 * (exit 0) and one refusal (exit 3), every mini-batch tried once (the ledger's tries).
 *
 *   npm run build && node bench/lock-soak.mjs [pairs=200] [concurrency=3] [kinds=resume,run]
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli/minibatch', import.meta.url));
const ENTRY = fileURLToPath(new URL('../test/fixtures/entries/records_calls.py', import.meta.url));
const PAIRS = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.argv[3] ?? 3);
const FILES = 3;

const SPEC = `amlModuleIdentifier: {moduleName: Soak, moduleVersion: 1.0.0}
jobType: parallel
inputs: [{name: Data, type: AnyDirectory}]
outputs: [{name: Out, type: AnyDirectory}]
implementation:
  parallel: {amlEnvironment: {}, inputData: Data, outputData: Out, entry: records_calls.py, args: []}
`;

function cli(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(CLI, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINIBATCH_TEST_KILL_AT: '', ...env } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.resume();
    child.on('close', (code, signal) => resolve({ code: signal ?? code, err }));
  });
}

function job(root) {
  mkdirSync(join(root, 'module'), { recursive: true });
  mkdirSync(join(root, 'data'), { recursive: true });
  writeFileSync(join(root, 'module', 'module.yaml'), SPEC);
  copyFileSync(ENTRY, join(root, 'module', 'records_calls.py'));
  for (let i = 0; i < FILES; i++) writeFileSync(join(root, 'data', `f${i}.txt`), `content ${i}\n`);
  const runDir = join(root, 'run');
  const args = ['run', join(root, 'module', 'module.yaml'), '--input', `Data=${join(root, 'data')}`, '--mini-batch-size', '1',
    '--processes', '1', '--output-action', 'append_row', '--env', `CALLS_FILE=${join(root, 'calls.txt')}`, '--run-dir', runDir, '--no-progress'];
  return { runDir, args };
}

function tries(runDir) {
  const db = new Database(join(runDir, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT sum(tries) FROM mini_batches').pluck().get();
  } finally {
    db.close();
  }
}

const tally = { resume: { pairs: 0, oneDriver: 0, doubleDrive: 0, other: [] }, run: { pairs: 0, oneDriver: 0, doubleDrive: 0, other: [] } };

async function pair(kind, i, base) {
  const { runDir, args } = job(join(base, `${kind}-${i}`));
  if (kind === 'resume') await cli(args, { MINIBATCH_TEST_KILL_AT: 'plan-done' });
  const both = kind === 'resume'
    ? await Promise.all([cli(['resume', runDir, '--no-progress']), cli(['resume', runDir, '--no-progress'])])
    : await Promise.all([cli(args), cli(args)]);
  const t = tally[kind];
  t.pairs++;
  const codes = both.map((r) => r.code).sort().join(',');
  let n = null;
  try { n = tries(runDir); } catch { /* no ledger */ }
  if (codes === '0,0' || (n !== null && n > FILES)) t.doubleDrive++;
  if (codes === '0,3' && n === FILES && both.every((r) => !/internal error|\n\s+at /.test(r.err))) t.oneDriver++;
  else t.other.push({ i, codes, tries: n, err: both.map((r) => r.err.slice(0, 300)) });
}

const base = mkdtempSync(join(tmpdir(), 'minibatch-lock-soak-'));
const started = Date.now();
const queue = [];
const KINDS = (process.argv[4] ?? 'resume,run').split(',');
for (let i = 0; i < PAIRS; i++) for (const kind of KINDS) queue.push([kind, i]);
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) await pair(next[0], next[1], base);
}));
rmSync(base, { recursive: true, force: true });
console.log(JSON.stringify({ seconds: Math.round((Date.now() - started) / 1000), ...tally }, null, 2));
