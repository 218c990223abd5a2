// `npm run bench`: minibatch against Python's multiprocessing.Pool on the same work, and the Redis
// backend against the local one. Prints figures and ratios; asserts nothing. docs/PERFORMANCE.md
// says what each figure means and holds the latest ones.
//
// Both sides are timed the same way, as a user would time them: each run is a whole process
// (`dist/cli/minibatch run …`, or `python bench/pool_runner.py …` on the same interpreter binary)
// started and timed from outside by bench/measure.py, start-up and exit included, with nothing
// preloaded; the two take turns in alternating rounds, so neither always runs first.
//
//   npm run bench                 full size: 20,000 files (overhead), 20,000 and 200,000 (memory)
//   BENCH_QUICK=1 npm run bench   a fast check: 2,000 files, 2,000 and 20,000
//   BENCH_REPEATS=5               rounds of each timed comparison (default 3, quick 1); medians are reported
//   BENCH_OVERHEAD_REPEATS=15     rounds of the overhead and start-up comparisons (default 9, quick 1): their
//                                 rounds are short, and the Pool's own time swings by half between them here
//   BENCH_ONLY=memory             only these sections, by name, comma-separated: overhead, startup, memory, cpu,
//                                 redis (redis reuses the overhead and cpu sections' jobs, so it needs them too)
//   BENCH_MEMORY_FILES=200000     the memory section's dataset sizes, comma-separated (default 20,000 and 200,000)
//   PYTHON=/path/to/python        the interpreter (default python3, resolved to its sys.executable)
//   REDIS_SERVER_BIN=…            redis-server for section 5 (default: the one on PATH); section 5 runs only when
//                                 dist/cli/worker.js exists, else it prints "not measured: redis backend not available"
//
// Input files are created once under <tmp>/minibatch-bench-cache/ and reused; everything else goes
// to a fresh temp folder that is removed at the end.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { CLI, cachedFiles, calibrate, median, resolvePython, runMinibatch, runPool, runSerial, table, writeModule } from './lib.mjs';
import { redisAvailability, redisRows } from './redis.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const OVERHEAD_FILES = QUICK ? 2_000 : 20_000;
const MEMORY_FILES = process.env.BENCH_MEMORY_FILES
  ? process.env.BENCH_MEMORY_FILES.split(',').map(Number)
  : QUICK ? [2_000, 20_000] : [20_000, 200_000];
const SECTIONS = ['overhead', 'startup', 'memory', 'cpu', 'redis'];
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : SECTIONS;
const CPU_FILES = 300;
const CPU_MS_PER_ITEM = 20;
const PROCESSES = 2;
const REPEATS = Number(process.env.BENCH_REPEATS ?? (QUICK ? 1 : 3));
const OVERHEAD_REPEATS = Number(process.env.BENCH_OVERHEAD_REPEATS ?? (QUICK ? 1 : Math.max(9, REPEATS)));

const OVERHEAD_ENTRY = `"""bench: overhead. One value per file (its size); logs once from init()."""
import logging
import os

logger = logging.getLogger(__name__)


def init():
    logger.info("bench entry ready")


def run(mini_batch):
    return [os.path.getsize(path) for path in mini_batch]
`;

const MEMORY_ENTRY = `"""bench: memory. Trivial: one row per file."""


def init():
    pass


def run(mini_batch):
    return mini_batch
`;

const cpuEntry = (iterations) => `"""bench: CPU-bound. Each file costs ~${CPU_MS_PER_ITEM} ms of pure-Python CPU (calibrated: ${iterations} iterations)."""
ITERATIONS = ${iterations}


def burn(n):
    x = 0
    for i in range(n):
        x += i * i
    return x


def init():
    pass


def run(mini_batch):
    return [burn(ITERATIONS) for _ in mini_batch]
`;

const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);
const f3 = (x) => x.toFixed(3);
const secs = (x) => `${x.toFixed(2)} s`;
const mb = (x) => `${x.toFixed(1)} MB`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const say = (text) => process.stdout.write(`${text}\n`);
const note = (text) => process.stderr.write(`  … ${text}\n`);

async function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench does)`);
  const unknown = ONLY.filter((s) => !SECTIONS.includes(s));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names ${unknown.join(', ')}; the sections are ${SECTIONS.join(', ')}`);
  if (MEMORY_FILES.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`BENCH_MEMORY_FILES must list positive whole numbers, not ${process.env.BENCH_MEMORY_FILES}`);
  if (ONLY.includes('redis') && !(ONLY.includes('overhead') && ONLY.includes('cpu'))) {
    throw new Error('BENCH_ONLY: redis reuses the jobs of the overhead and cpu sections; name them too');
  }
  const t0 = performance.now();
  const python = resolvePython();
  const work = mkdtempSync(join(tmpdir(), 'minibatch-bench-'));
  const summary = [];
  say(`minibatch bench${QUICK ? ' (BENCH_QUICK=1: reduced sizes)' : ''}`);
  say(`  node ${process.version}, ${availableParallelism()} CPUs, load average ${load()} at start`);
  say(`  python: \`${python.command}\` → ${python.executable} (${python.version}), used by minibatch (--python) and by the Pool alike`);
  say(
    `  ${OVERHEAD_REPEATS} round(s) of the overhead comparison and ${REPEATS} of the others, alternating; medians are reported. ` +
      'The machine is shared: figures are noisy.',
  );
  say('');
  try {
    const overheadJob = ONLY.includes('overhead') ? await overhead(python.executable, work, summary) : null;
    if (ONLY.includes('startup')) await startUp(python.executable, work, summary);
    if (ONLY.includes('memory')) await memory(python.executable, work, summary);
    const cpuJob = ONLY.includes('cpu') ? await cpuBound(python.executable, work, summary) : null;
    if (ONLY.includes('redis')) await redis(python.executable, work, summary, overheadJob, cpuJob);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  say('## Summary (medians)');
  say(table(summary, ['figure', 'measured', 'target', '']));
  say('');
  say(`bench took ${f1((performance.now() - t0) / 1000)} s; load average ${load()} at the end`);
}

/** 1. Overhead: miniBatchSize 1, 2 processes, run() returns one value per file. */
async function overhead(python, work, summary) {
  const n = OVERHEAD_FILES;
  say(`## 1. Overhead: ${n.toLocaleString('en-US')} files, miniBatchSize 1, ${PROCESSES} processes, summary_only, logging INFO`);
  const files = cachedFiles(n);
  if (files.created) note(`created ${n} files in ${f1(files.seconds)} s (cached for next time)`);
  const module = writeModule(join(work, 'overhead'), { name: 'Bench Overhead', entrySource: OVERHEAD_ENTRY, miniBatchSize: 1, processes: PROCESSES });
  const rows = [];
  const mbs = [];
  const pools = [];
  for (let round = 0; round < OVERHEAD_REPEATS; round++) {
    // Alternate which goes first, so neither always runs on a warmer (or busier) machine.
    const order = round % 2 === 0 ? ['minibatch', 'pool'] : ['pool', 'minibatch'];
    const got = {};
    for (const who of order) {
      note(`round ${round + 1}/${OVERHEAD_REPEATS}: ${who} (load ${load()})`);
      got[who] =
        who === 'minibatch'
          ? await runMinibatch({ python, module, data: files.data, processes: PROCESSES, miniBatchSize: 1, work, label: `overhead-${round}` })
          : await runPool({ python, module, data: files.data, processes: PROCESSES, chunk: 1, work, label: `overhead-${round}` });
    }
    const m = got.minibatch;
    const p = got.pool;
    checkAll(m, p, n);
    mbs.push(m);
    pools.push(p);
    rows.push([`round ${round + 1}`, secs(m.wall), secs(p.wall), f3(m.wall / p.wall), f3(((m.wall - p.wall) / n) * 1000), f3((m.wall / n) * 1000)]);
  }
  const mW = median(mbs.map((m) => m.wall));
  const pW = median(pools.map((p) => p.wall));
  rows.push(['median', secs(mW), secs(pW), f3(mW / pW), f3(((mW - pW) / n) * 1000), f3((mW / n) * 1000)]);
  say(table(rows, ['', 'minibatch', 'Pool', 'ratio mb/Pool', 'overhead ms/mb', 'minibatch ms/mb']));
  const ratios = mbs.map((m, i) => m.wall / pools[i].wall);
  const pairedRatio = median(ratios);
  say(`  ratio = minibatch wall / Pool wall (target ≤ 1.0); overhead = (minibatch − Pool) / ${n.toLocaleString('en-US')} mini-batches.`);
  say(`  The median row takes each column's median; the per-round ratios' median is ${f3(pairedRatio)}, range ${range(ratios)}.`);
  say(`  Pool: multiprocessing.Pool(${PROCESSES}, initializer=init).imap_unordered(run, [[file] …], chunksize=1), start method ${pools[0].startMethod}.`);
  // Where the CPU goes (medians over rounds), per mini-batch: on 2 cores, CPU is what limits the wall.
  const us = (seconds) => f1((seconds / n) * 1e6);
  const mNode = median(mbs.map((m) => m.nodeCpu));
  const mWorkers = median(mbs.map((m) => m.workersCpu));
  const mTotal = median(mbs.map((m) => m.cpu));
  const pParent = median(pools.map((p) => p.parentCpu));
  const pWorkers = median(pools.map((p) => p.workersCpu));
  const pTotal = median(pools.map((p) => p.cpu));
  say(
    table(
      [
        ['minibatch', us(mNode), us(mWorkers), us(mTotal), f2(mTotal / mW)],
        ['Pool', us(pParent), us(pWorkers), us(pTotal), f2(pTotal / pW)],
      ],
      ['CPU per mini-batch (median)', 'orchestrator µs', 'workers µs', 'all µs', 'cores busy'],
    ),
  );
  say('  user+system CPU: the orchestrator is the Node process (minibatch) or the Pool\'s parent, with all their threads;');
  say('  the workers are the Python processes each waited for; "cores busy" = all CPU / wall; start-up and exit included.');
  say('');
  summary.push([
    'overhead: minibatch / Pool wall',
    f3(mW / pW),
    '≤ 1.0',
    `${secs(mW)} vs ${secs(pW)}; per-round ratios: median ${f3(pairedRatio)}, range ${range(ratios)}`,
  ]);
  summary.push(['overhead: orchestrator CPU per mini-batch', `${us(mNode)} µs`, '', `the Pool's parent ${us(pParent)} µs`]);
  summary.push(['overhead: workers\' CPU per mini-batch', `${us(mWorkers)} µs`, '', `the Pool's workers ${us(pWorkers)} µs`]);
  summary.push(['overhead per mini-batch vs Pool', `${f3(((mW - pW) / n) * 1000)} ms`, '', `minibatch ${f3((mW / n) * 1000)} ms per mini-batch`]);
  return { module, data: files.data, n };
}

/** 2. Start-up: a run of one file, where start-up and exit are nearly all of the time. */
async function startUp(python, work, summary) {
  say(`## 2. Start-up: a run of one file, ${PROCESSES} processes`);
  const files = cachedFiles(1);
  const module = writeModule(join(work, 'start-up'), { name: 'Bench Start Up', entrySource: OVERHEAD_ENTRY, miniBatchSize: 1, processes: PROCESSES });
  const mbs = [];
  const pools = [];
  for (let round = 0; round < OVERHEAD_REPEATS; round++) {
    const order = round % 2 === 0 ? ['minibatch', 'pool'] : ['pool', 'minibatch'];
    const got = {};
    for (const who of order) {
      note(`start-up round ${round + 1}/${OVERHEAD_REPEATS}: ${who} (load ${load()})`);
      got[who] =
        who === 'minibatch'
          ? await runMinibatch({ python, module, data: files.data, processes: PROCESSES, miniBatchSize: 1, work, label: `start-up-${round}` })
          : await runPool({ python, module, data: files.data, processes: PROCESSES, chunk: 1, work, label: `start-up-${round}` });
    }
    checkAll(got.minibatch, got.pool, 1);
    mbs.push(got.minibatch.wall);
    pools.push(got.pool.wall);
  }
  const ms = (x) => `${(x * 1000).toFixed(0)} ms`;
  const rows = mbs.map((m, round) => [`round ${round + 1}`, ms(m), ms(pools[round])]);
  const mW = median(mbs);
  const pW = median(pools);
  rows.push(['median', ms(mW), ms(pW)]);
  say(table(rows, ['', 'minibatch', 'Pool']));
  say('  Node, the command line, the spec, the run directory and the ledger against the Pool\'s one Python start-up.');
  say('');
  summary.push(['a run of one file', ms(mW), '', `the Pool ${ms(pW)}; minibatch ${range(mbs, ms)}, the Pool ${range(pools, ms)}`]);
}

/** 3. Peak RSS of the orchestrator (the Node process alone) for two dataset sizes. */
async function memory(python, work, summary) {
  say(`## 3. Orchestrator peak memory (the Node process's own peak RSS, getrusage RUSAGE_SELF), miniBatchSize 10, ${PROCESSES} processes`);
  const module = writeModule(join(work, 'memory'), { name: 'Bench Memory', entrySource: MEMORY_ENTRY, miniBatchSize: 10, processes: PROCESSES });
  const rows = [];
  for (const n of MEMORY_FILES) {
    const files = cachedFiles(n);
    if (files.created) note(`created ${n} files in ${f1(files.seconds)} s (cached for next time)`);
    note(`${n} files (load ${load()})`);
    const m = await runMinibatch({ python, module, data: files.data, processes: PROCESSES, miniBatchSize: 10, work, label: `memory-${n}`, peak: true });
    if (m.items.succeeded !== n) throw new Error(`minibatch succeeded ${m.items.succeeded} of ${n} items`);
    rows.push([`${n.toLocaleString('en-US')} files`, mb(m.nodeMaxRssMb), m.miniBatches.total.toLocaleString('en-US'), secs(m.wall), f1(n / m.wall)]);
    summary.push([`orchestrator peak RSS, ${n.toLocaleString('en-US')} files`, mb(m.nodeMaxRssMb), n === 200_000 ? '< 150 MB' : '', '']);
  }
  say(table(rows, ['', 'node peak RSS', 'mini-batches', 'wall', 'items/s']));
  say(`  files in folders of 1,000 (planning memory may grow with the largest folder, not with the dataset).`);
  say('');
}

/** 4. CPU-bound efficiency: ideal (serial CPU / processes) over wall time. */
async function cpuBound(python, work, summary) {
  const n = CPU_FILES;
  const iterations = calibrate(python, CPU_MS_PER_ITEM);
  say(`## 4. CPU-bound efficiency: ${n} files, ~${CPU_MS_PER_ITEM} ms of pure-Python CPU each (${iterations} loop iterations), miniBatchSize 1, ${PROCESSES} processes`);
  const files = cachedFiles(n);
  const module = writeModule(join(work, 'cpu'), { name: 'Bench CPU', entrySource: cpuEntry(iterations), miniBatchSize: 1, processes: PROCESSES });
  // The serial run takes a turn in every round too: one serial run in a noisy minute once made the
  // ideal time 1.7× too long (efficiencies of 1.5).
  const serials = [];
  const mbs = [];
  const pools = [];
  for (let round = 0; round < REPEATS; round++) {
    const order = [['minibatch', 'pool', 'serial'], ['pool', 'serial', 'minibatch'], ['serial', 'minibatch', 'pool']][round % 3];
    for (const who of order) {
      note(`round ${round + 1}/${REPEATS}: ${who} (load ${load()})`);
      if (who === 'minibatch') {
        const m = await runMinibatch({ python, module, data: files.data, processes: PROCESSES, miniBatchSize: 1, work, label: `cpu-${round}` });
        if (m.items.succeeded !== n) throw new Error(`minibatch succeeded ${m.items.succeeded} of ${n} items`);
        mbs.push(m.wall);
      } else if (who === 'pool') {
        const p = await runPool({ python, module, data: files.data, processes: PROCESSES, chunk: 1, work, label: `cpu-${round}` });
        pools.push(p.wall);
      } else {
        serials.push((await runSerial({ python, module, data: files.data, work, label: `cpu-serial-${round}` })).cpuSeconds);
      }
    }
  }
  const serialCpu = median(serials);
  const ideal = serialCpu / PROCESSES;
  const rows = mbs.map((mb, round) => [`round ${round + 1}`, secs(serials[round]), secs(mb), f3(ideal / mb), secs(pools[round]), f3(ideal / pools[round])]);
  const mW = median(mbs);
  const pW = median(pools);
  rows.push(['median', secs(serialCpu), secs(mW), f3(ideal / mW), secs(pW), f3(ideal / pW)]);
  say(
    `  serial: ${secs(serialCpu)} CPU (median of ${serials.length}, ${f1((serialCpu / n) * 1000)} ms an item) → ideal on ${PROCESSES} processes ${secs(ideal)}`,
  );
  say(table(rows, ['', 'serial CPU', 'minibatch', 'efficiency', 'Pool', 'Pool efficiency']));
  say(`  efficiency = ideal / wall (target ≥ 0.9), ideal = the median serial CPU / processes; the walls include process start-up, init() and listing.`);
  say('');
  summary.push(['CPU-bound efficiency, minibatch', f3(ideal / mW), '≥ 0.9', `${secs(mW)} (ideal ${secs(ideal)})`]);
  summary.push(['CPU-bound efficiency, Pool', f3(ideal / pW), '', secs(pW)]);
  return { module, data: files.data, n, ms: CPU_MS_PER_ITEM, serialCpu };
}

/** The Redis backend's rows: only when it is built and redis-server is installed. */
async function redis(python, work, summary, overheadJob, cpuJob) {
  say('## 5. Redis backend');
  const available = redisAvailability();
  if (!available.ok) {
    say(`  not measured: redis backend not available (${available.why})`);
    say('');
    summary.push(['redis: overhead job, redis − local', 'not measured', '< 2 ms/mb', 'redis backend not available']);
    summary.push(['redis: speed-up 1 → 2 worker machines', 'not measured', '≥ 1.8×', 'redis backend not available']);
    return;
  }
  await redisRows({ server: available.server, python, work, summary, say, note, load, repeats: REPEATS, overhead: overheadJob, cpu: cpuJob });
}

/** Both sides did all the work: a run that fell short would be timed doing less. */
function checkAll(minibatch, pool, n) {
  if (minibatch.items.succeeded !== n) throw new Error(`minibatch succeeded ${minibatch.items.succeeded} of ${n} items`);
  if (pool.results !== n) throw new Error(`the Pool returned ${pool.results} of ${n} results`);
}

/** "lowest–highest" of some values. */
const range = (values, format = f3) => `${format(Math.min(...values))}–${format(Math.max(...values))}`;

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
