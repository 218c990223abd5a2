// `npm run bench:tabular`: minibatch on a table against Dask and against pandas chunks feeding a
// multiprocessing.Pool, on one generated CSV, the same interpreter, 2 processes, 1MB mini-batches,
// in alternating rounds (issue 15). Prints MB/s and rows/s; asserts nothing.
//
//   npm run bench:tabular                       10,000,000 rows (~1 GB), 3 rounds
//   BENCH_TABULAR_ROWS=2000000 npm run …        a smaller CSV (rows), for a quick run
//   BENCH_REPEATS=5                             rounds (medians are reported)
//   PYTHON=/path/to/python                      an interpreter with pandas and dask (default /usr/bin/python3)
//
// 1. summary_only: a run() returning one value per row, against Dask (read_csv blocksize 1MB,
//    map_partitions, processes scheduler, 2 workers) and the Pool; one process's read_csv of the
//    whole file is the limit (target: at least 70% of processes × that speed, and faster than both).
// 2. append_row csv, one prediction per row, against Dask's to_csv(single_file=True).
//
// The CSV is created once under <tmp>/minibatch-bench-cache/ and reused.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { BENCH_DIR, CLI, median, table } from './lib.mjs';

const ROWS = Number(process.env.BENCH_TABULAR_ROWS ?? 10_000_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const PROCESSES = 2;
const BLOCK = '1MB';
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const PEERS = join(BENCH_DIR, 'tabular_peers.py');

const SUMMARY_ENTRY = `def run(mini_batch):
    return mini_batch['price'].tolist()
`;
const APPEND_ENTRY = `def run(mini_batch):
    return mini_batch.assign(prediction=mini_batch['price'] * 2)[['id', 'prediction']]
`;

/** The CSV: `ROWS` rows of six columns, written once by Python (~100 bytes a row). */
function cachedCsv() {
  const dir = join(tmpdir(), 'minibatch-bench-cache', `table-${ROWS}`);
  const csv = join(dir, 'data', 'table.csv');
  if (existsSync(csv)) return csv;
  mkdirSync(join(dir, 'data'), { recursive: true });
  const partial = join(dir, 'partial.csv');
  const script = `
import random, sys
random.seed(15)
with open(sys.argv[1], 'w') as f:
    f.write('id,store,brand,price,qty,text\\n')
    for i in range(${ROWS}):
        f.write('%d,S%03d,B%d,%.4f,%d,"item %d, a longer description of it"\\n' % (i, i % 500, i % 7, random.random() * 100, i % 13, i))
`;
  const r = spawnSync(PYTHON, ['-c', script, partial], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not write the CSV');
  renameSync(partial, csv);
  return csv;
}

function module(dir, entry) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'entry.py'), entry);
  writeFileSync(
    join(dir, 'module.yaml'),
    `amlModuleIdentifier: {moduleName: Tabular Bench, moduleVersion: 1.0.0}
jobType: parallel
inputs:
  - {name: Data, type: AnyDirectory}
outputs:
  - {name: Out, type: AnyDirectory}
implementation:
  parallel:
    amlEnvironment: {}
    inputData: Data
    outputData: Out
    entry: entry.py
    args: []
`,
  );
  return join(dir, 'module.yaml');
}

/** Seconds of wall time of `command args`, failing on a non-zero exit. */
function timed(command, args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.resume();
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - t0) / 1000) : reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${err}`))));
  });
}

async function main() {
  const csv = cachedCsv();
  const bytes = statSync(csv).size;
  const mb = bytes / 1024 ** 2;
  const work = mkdtempSync(join(tmpdir(), 'minibatch-bench-tabular-'));
  const rowsPerChunk = Math.max(1, Math.round((1024 ** 2 * ROWS) / bytes));
  const summarySpec = module(join(work, 'summary'), SUMMARY_ENTRY);
  const appendSpec = module(join(work, 'append'), APPEND_ENTRY);
  const data = join(csv, '..');
  const mbArgs = (spec, run, extra) => [
    'run', spec, '--input', `Data=${data}`, '--input-format', 'Data=csv', '--mini-batch-size', BLOCK,
    '--processes', String(PROCESSES), '--python', PYTHON, '--run-dir', join(work, run), '--no-progress', ...extra,
  ];
  const contenders = {
    'pandas read_csv, 1 process (limit)': () => timed(PYTHON, [PEERS, 'read', csv]),
    'minibatch summary_only': () => timed(CLI, mbArgs(summarySpec, `s${Math.random()}`, [])),
    'dask map_partitions': () => timed(PYTHON, [PEERS, 'dask', csv, String(PROCESSES), BLOCK]),
    'pandas chunks + Pool': () => timed(PYTHON, [PEERS, 'pool', csv, String(PROCESSES), String(rowsPerChunk)]),
    'minibatch append_row csv': () => timed(CLI, mbArgs(appendSpec, `a${Math.random()}`, ['--output-action', 'append_row', '--append-row-format', 'csv', '--output', `Out=${join(work, `out${Math.random()}`)}`])),
    'dask to_csv single_file': () => timed(PYTHON, [PEERS, 'dask_csv', csv, String(PROCESSES), BLOCK, join(work, `dask${Math.random()}.csv`)]),
  };
  const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  console.log(`tabular bench: ${ROWS.toLocaleString()} rows, ${mb.toFixed(0)} MB, ${PROCESSES} processes, ${BLOCK} mini-batches, ${PYTHON}, ${REPEATS} alternating rounds; load ${loadavg()[0].toFixed(1)}`);
  try {
    for (let round = 0; round < REPEATS; round++) {
      for (const [name, run] of Object.entries(contenders)) times[name].push(await run());
      console.log(`round ${round + 1}: ${Object.entries(times).map(([k, v]) => `${k} ${v.at(-1).toFixed(1)}s`).join(', ')}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const rows = Object.entries(times).map(([name, list]) => {
    const s = median(list);
    return [name, `${s.toFixed(2)} s`, `${(mb / s).toFixed(1)} MB/s`, `${Math.round(ROWS / s).toLocaleString()} rows/s`];
  });
  console.log(table(rows, ['', 'median', 'MB/s', 'rows/s']));
  const speed = (name) => mb / median(times[name]);
  const limit = PROCESSES * speed('pandas read_csv, 1 process (limit)');
  console.log(
    `summary_only: ${(speed('minibatch summary_only') / limit * 100).toFixed(0)}% of ${PROCESSES} × one process's read speed ` +
      `(target ≥ 70%); ${(speed('minibatch summary_only') / speed('dask map_partitions')).toFixed(2)}× Dask, ` +
      `${(speed('minibatch summary_only') / speed('pandas chunks + Pool')).toFixed(2)}× the Pool`,
  );
  console.log(`append_row csv: ${(speed('minibatch append_row csv') / speed('dask to_csv single_file')).toFixed(2)}× Dask's to_csv(single_file=True)`);
}

await main();
