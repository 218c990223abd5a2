/**
 * What `minibatch status` shows: one run's state, counts, pace, ETA, slowest mini-batches
 * and most common errors, as text for people and as JSON (`--json`) for programs. Both come from
 * one `StatusReport`, built from a read-only snapshot of the run directory.
 */
import { formatMetricValue, latestMetrics } from './metrics.js';
import type { LatestMetric } from './metrics.js';
import { formatWhen } from './when.js';
import type { RunDirStatus, RunView } from './run-view.js';
import { formatDuration } from './result.js';
import { formatTryItems, isParquetFile, tryItems, type TryItems } from './try-items.js';
import type { MiniBatchRecord } from '../ledger/types.js';

export interface StatusReport {
  readonly runDir: string;
  readonly runId: string;
  readonly module: { readonly name: string; readonly version: string };
  readonly createdAt: string;
  readonly state: RunDirStatus;
  /** The process driving a running run. */
  readonly driver: { readonly pid: number; readonly host: string; readonly since: string } | null;
  /** `listing`: still planning (live); `stopped`: a crash cut planning short (resume finishes it). */
  readonly planning: 'done' | 'listing' | 'stopped';
  readonly miniBatches: {
    readonly total: number;
    readonly succeeded: number;
    readonly partial: number;
    readonly failed: number;
    readonly pending: number;
  };
  readonly items: { readonly total: number; readonly succeeded: number; readonly failed: number; readonly pending: number };
  readonly tries: number;
  /** Tries whose run() is under way (not those prefetched); null unless the run is live on this machine. */
  readonly running: number | null;
  /** Items settled per second over the latest stretch of activity; null before any try. */
  readonly throughput: { readonly itemsPerSecond: number; readonly overMs: number } | null;
  /** Only while running, with a known pace. */
  readonly etaMs: number | null;
  readonly slowest: readonly {
    readonly miniBatch: number;
    readonly status: string;
    readonly durationMs: number;
    readonly tries: number;
    readonly items: number;
    readonly firstItem: string | null;
  }[];
  readonly errors: readonly {
    readonly outcome: string;
    readonly type: string;
    /** Failed tries. */
    readonly count: number;
    /** The mini-batches they hit, in order (the first few), and how many in all. */
    readonly miniBatches: readonly number[];
    readonly miniBatchCount: number;
    /** The latest such try. */
    readonly example: {
      readonly miniBatch: number;
      readonly attempt: number;
      readonly worker: string;
      readonly message: string;
      /** Its mini-batch's files (the first few), or its table file and range; null if it left the plan. */
      readonly items: TryItems | null;
      /** Every failed try with its traceback. */
      readonly log: string;
      /** What the worker printed to stderr. */
      readonly workerLog: string;
      /** The worker's logs: what it printed, and what the entry script logged. */
      readonly workerLogs: { readonly stdout: string; readonly stderr: string; readonly entryScript: string };
    };
  }[];
  /** The recorded outcome of a finished run. */
  readonly result: { readonly status: string; readonly reason: string; readonly exitCode: number } | null;
  /** What to run next, if anything. */
  readonly next: string | null;
  readonly logs: string;
  /** Metrics the entry script logged through azureml.core's Run, latest value each. */
  readonly metrics: readonly LatestMetric[];
}

export function buildStatus(s: RunView, now: number = Date.now()): StatusReport {
  const c = s.counts;
  const insight = s.insight;
  const pendingItems = c.items - c.succeededItems - c.failedItems;
  const pace = insight?.pace ?? null;
  const overMs = pace === null ? 0 : Math.round(Math.max(pace.toMs, s.state === 'running' ? now : 0) - pace.fromMs);
  const throughput = pace !== null && overMs > 0 ? { itemsPerSecond: (pace.items * 1000) / overMs, overMs } : null;
  const etaMs =
    s.state === 'running' && throughput !== null && throughput.itemsPerSecond > 0 && s.planningDone
      ? (pendingItems / throughput.itemsPerSecond) * 1000
      : null;
  return {
    runDir: s.paths.root,
    runId: s.runJson.runId,
    module: { name: s.runJson.job.module.name, version: s.runJson.job.module.version },
    createdAt: s.runJson.createdAt,
    state: s.state,
    driver: s.owner === null ? null : { pid: s.owner.pid, host: s.owner.host, since: s.owner.since },
    planning: s.planningDone ? 'done' : s.state === 'running' ? 'listing' : 'stopped',
    miniBatches: { total: c.miniBatches, succeeded: c.succeeded, partial: c.partial, failed: c.failed, pending: c.pending },
    items: { total: c.items, succeeded: c.succeededItems, failed: c.failedItems, pending: pendingItems },
    tries: c.tries,
    running: s.runningTries,
    throughput,
    etaMs,
    slowest: (insight?.slowest ?? []).map((mb) => ({
      miniBatch: mb.index,
      status: mb.status,
      durationMs: mb.durationMs,
      tries: mb.tries,
      items: mb.items.length,
      firstItem: mb.items[0]?.path ?? null,
    })),
    errors: (insight?.errors ?? []).map((g) => {
      const worker = g.example.worker;
      return {
        outcome: g.outcome,
        type: g.type,
        count: g.count,
        miniBatches: g.miniBatches,
        miniBatchCount: g.miniBatchCount,
        example: {
          miniBatch: g.example.miniBatch,
          attempt: g.example.attempt,
          worker,
          message: firstLine(g.example.error?.message ?? ''),
          items: g.exampleMiniBatch === undefined ? null : miniBatchItems(g.exampleMiniBatch),
          log: s.paths.jobErrorTxt,
          workerLog: s.paths.stderr(worker),
          workerLogs: { stdout: s.paths.stdout(worker), stderr: s.paths.stderr(worker), entryScript: s.paths.entryLog(worker) },
        },
      };
    }),
    result: s.recorded === null ? null : { status: s.recorded.status, reason: s.recorded.reason, exitCode: s.recorded.exitCode },
    next: nextStep(s),
    logs: s.paths.logs,
    metrics: latestMetrics(s.paths),
  };
}

function miniBatchItems(mb: MiniBatchRecord): TryItems {
  const paths = mb.items.map((i) => i.path);
  const first = paths[0];
  const table = mb.slice === null || first === undefined ? null : { slice: mb.slice, parquet: isParquetFile(first) };
  return tryItems(paths, table);
}

function nextStep(s: RunView): string | null {
  const dir = s.paths.root;
  if (s.state === 'running') return null;
  const r = s.recorded;
  if (r === null || r.status === 'interrupted' || r.resumable === true) return `minibatch resume ${dir}`;
  if (r.threshold !== null) return `minibatch retry-failed ${dir} (or resume with ${r.threshold.setting} raised)`;
  const c = s.counts;
  return c.failed + c.partial + c.pending > 0 ? `minibatch retry-failed ${dir}` : null;
}

export function formatStatus(r: StatusReport): string {
  const mb = r.miniBatches;
  const done = mb.succeeded + mb.partial + mb.failed;
  const planning = r.planning === 'listing' ? ' (still listing inputs)' : r.planning === 'stopped' ? ' (planning cut short; resume finishes it)' : '';
  const lines = [
    `run ${r.runId}: ${r.module.name} ${r.module.version}, started ${formatWhen(r.createdAt)}`,
    `  directory     ${r.runDir}`,
    `  state         ${describeState(r)}`,
    `  mini-batches  ${done}/${mb.total} done: ${mb.succeeded} succeeded, ${mb.partial} partial, ${mb.failed} failed; ${mb.pending} pending${planning}`,
    `  items         ${r.items.succeeded + r.items.failed}/${r.items.total} done: ${r.items.succeeded} succeeded, ${r.items.failed} failed; ${r.items.pending} pending`,
    `  tries         ${r.tries}${r.running === null ? '' : `; ${r.running} running now`}`,
  ];
  if (r.throughput !== null) {
    lines.push(`  throughput    ${r.throughput.itemsPerSecond.toFixed(1)} items/s (over the latest ${formatDuration(r.throughput.overMs)} of activity)`);
  }
  if (r.etaMs !== null) lines.push(`  ETA           ${formatDuration(r.etaMs)}`);
  if (r.slowest.length > 0) {
    lines.push('  slowest mini-batches:');
    for (const s of r.slowest) {
      lines.push(
        `    #${s.miniBatch}  ${formatDuration(s.durationMs)}  ${s.status}, ${s.tries} ${s.tries === 1 ? 'try' : 'tries'}, ` +
          `${s.items} items${s.firstItem === null ? '' : `, from ${s.firstItem}`}`,
      );
    }
  }
  if (r.errors.length > 0) {
    lines.push('  most common errors:');
    for (const e of r.errors) {
      const x = e.example;
      const batches = `${e.miniBatches.join(', ')}${e.miniBatchCount > e.miniBatches.length ? ', …' : ''}`;
      const hit = e.miniBatchCount === 1 ? `mini-batch ${batches}` : `${e.miniBatchCount} mini-batches (${batches})`;
      lines.push(
        `    ${e.count}× ${e.type} (${e.outcome}) in ${hit}; the latest, mini-batch ${x.miniBatch} try ${x.attempt} on ${x.worker}: ${x.message}`,
      );
      if (x.items !== null) lines.push(`       items      ${formatTryItems(x.items)}`);
      lines.push(
        `       traceback  ${x.log}`,
        `       logs       ${x.workerLogs.stdout}, ${x.workerLogs.stderr}, ${x.workerLogs.entryScript}`,
      );
    }
  }
  if (r.metrics.length > 0) {
    lines.push('  metrics (latest):');
    const width = Math.max(...r.metrics.map((m) => m.name.length));
    for (const m of r.metrics) lines.push(`    ${m.name.padEnd(width)}  ${formatMetricValue(m.value)}${m.count > 1 ? `  (${m.count} logged)` : ''}`);
  }
  if (r.result !== null) lines.push(`  result        ${r.result.reason} (exit code ${r.result.exitCode})`);
  lines.push(`  logs          ${r.logs}`);
  if (r.next !== null) lines.push(`  next          ${r.next}`);
  return lines.join('\n') + '\n';
}

function describeState(r: StatusReport): string {
  switch (r.state) {
    case 'running':
      return `running (process ${r.driver?.pid ?? '?'} on ${r.driver?.host ?? '?'}, since ${r.driver?.since ?? '?'})`;
    case 'killed':
      return 'stopped without recording an outcome (killed, crashed, or its machine stopped)';
    case 'interrupted':
      return 'interrupted';
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    default: {
      const never: never = r.state;
      return never;
    }
  }
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 200 ? line.slice(0, 197) + '...' : line;
}
