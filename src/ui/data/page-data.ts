/**
 * A run directory read into a `RunPageData` (view.ts): the status (`minibatch status`'s own report),
 * the ledger's tries aggregated for the charts, failures grouped with their tracebacks and the
 * worker's log tail, the job as `explain` shows it, logged metrics and links to the logs.
 * Read-only (the ledger is opened read-only, beside a live run's writer).
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { FailureGroup, TryTuple } from '../../ledger/history.js';
import { Ledger } from '../../ledger/sqlite.js';
import { buildStatus } from '../../report/status.js';
import { snapshotRun, type RunSnapshot } from '../../run/inspect.js';
import { runState } from '../../run/run-status.js';
import { outputDataPath } from '../../workers/worker-init.js';
import { buildHistogram, buildThroughput, buildTimeline, rates } from './aggregate.js';
import { jobView } from './job-view.js';
import { readMetrics } from './metrics.js';
import type { BarDetail, FailureView, LinkView, RunPageData } from './view.js';

export interface PageDataOptions {
  /**
   * Read by the run's own process once it has finished (the report `run` writes): its lock is still
   * held, so the state is the recorded outcome, not `running`.
   * @default false
   */
  readonly ended?: boolean;
  /**
   * Embed the details of failed mini-batches, and of every mini-batch of a small run, for a page
   * that cannot ask the server (the report).
   * @default false
   */
  readonly embedDetails?: boolean;
  /** @default Date.now() */
  readonly now?: number;
}

/** Failure groups shown. */
const FAILURE_GROUPS = 50;
/** Items named per failure and per embedded mini-batch. */
const SHOWN_ITEMS = 20;
/** Runs of at most this many mini-batches with tries embed every one's details. */
const EMBED_ALL_UP_TO = 1000;
const LOG_TAIL_BYTES = 8192;
const LOG_TAIL_LINES = 40;

export function buildPageData(dir: string, options: PageDataOptions = {}): RunPageData {
  const now = options.now ?? Date.now();
  let snapshot = snapshotRun(dir, { insight: true });
  if (options.ended === true) snapshot = { ...snapshot, owner: null, state: runState(null, snapshot.recorded) };
  const live = snapshot.state === 'running' ? now : null;
  const status = buildStatus(snapshot, now);
  const root = snapshot.paths.root;
  let tries: TryTuple[] = [];
  let groups: FailureGroup[] = [];
  let durations: number[] = [];
  let failures: FailureView[] = [];
  const details: Record<number, BarDetail> = {};
  if (existsSync(snapshot.paths.stateDb)) {
    const ledger = openLedger(root);
    if (ledger !== null) {
      try {
        ({ tries, failures: groups, durations } = ledger.history(FAILURE_GROUPS));
        failures = groups.map((g) => failureView(g, ledger, snapshot));
        if (options.embedDetails === true) {
          const wanted = new Set(groups.map((g) => g.example.miniBatch));
          if (tries.length <= EMBED_ALL_UP_TO) for (const t of tries) wanted.add(t[4]);
          for (const index of wanted) {
            const detail = barDetail(ledger, index);
            if (detail !== null) details[index] = detail;
          }
        }
      } finally {
        ledger.close();
      }
    }
  }
  const r = rates(tries, live);
  return {
    id: snapshot.runJson.runId,
    runDir: root,
    readAt: now,
    status,
    progress: {
      doneItems: status.items.succeeded + status.items.failed,
      totalItems: status.items.total,
      etaMs: status.etaMs,
      wholeRunPerSecond: r.wholeRun,
      lastMinutePerSecond: r.lastMinute,
      elapsedMs: r.elapsedMs,
    },
    throughput: buildThroughput(tries, live),
    timeline: buildTimeline(tries, live),
    histogram: buildHistogram(durations),
    failures,
    job: jobView(snapshot.runJson),
    metrics: readMetrics(root),
    links: links(snapshot),
    details,
  };
}

/** The ledger read-only, or null while a live run is still creating it. */
function openLedger(root: string): Ledger | null {
  try {
    return Ledger.open(root, { readonly: true });
  } catch {
    return null;
  }
}

/** One mini-batch's items and tries, for a bar's tooltip. */
export function barDetail(ledger: Ledger, index: number): BarDetail | null {
  const history = ledger.miniBatchHistory(index);
  if (history === undefined) return null;
  return {
    items: history.miniBatch.items.slice(0, SHOWN_ITEMS).map((i) => i.rel),
    itemCount: history.miniBatch.items.length,
    tries: history.tries.map((t) => ({
      attempt: t.attempt,
      worker: t.worker,
      outcome: t.outcome,
      startedAt: t.startedAt,
      durationMs: t.durationMs,
      error: t.error === null ? null : { type: t.error.type, message: t.error.message, traceback: t.error.traceback },
    })),
  };
}

function failureView(g: FailureGroup, ledger: Ledger, s: RunSnapshot): FailureView {
  const e = g.example;
  const items = ledger.miniBatchHistory(e.miniBatch)?.miniBatch.items ?? [];
  const workerLog = s.paths.stderr(e.worker);
  return {
    outcome: g.outcome,
    type: g.type,
    message: g.message,
    count: g.count,
    example: {
      miniBatch: e.miniBatch,
      attempt: e.attempt,
      worker: e.worker,
      durationMs: e.durationMs,
      message: e.error?.message ?? '',
      traceback: e.error?.traceback ?? '',
      items: items.slice(0, SHOWN_ITEMS).map((i) => i.rel),
      itemCount: items.length,
      workerLogTail: tail(workerLog),
      workerLog: relative(s.paths.root, workerLog),
    },
  };
}

/** The last lines of `file`, or '' when it is missing. */
function tail(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(file).size;
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    if (length < size) lines.shift(); // cut mid-line
    return lines.slice(-LOG_TAIL_LINES).join('\n');
  } finally {
    closeSync(fd);
  }
}

/** The rows file and the logs that exist, relative to the run directory when inside it. */
function links(s: RunSnapshot): LinkView[] {
  const p = s.paths;
  const rel = (file: string): string => {
    const r = relative(p.root, file);
    return r.startsWith(`..${sep}`) || isAbsolute(r) ? file : r;
  };
  const out: LinkView[] = [];
  const job = s.runJson.job;
  if (job.settings.outputAction === 'append_row') {
    const rows = s.recorded?.rowsFile ?? join(outputDataPath(job), job.settings.appendRowFileName);
    if (existsSync(rows)) out.push({ worker: null, label: 'rows file', path: rel(rows) });
  }
  const named: [string, string][] = [
    ['job result', p.jobResultTxt],
    ['errors (every failed try)', p.jobErrorTxt],
    ['progress overview', p.progressOverview],
    ['tries (csv)', p.processedMiniBatchesCsv],
    ['what each log holds', p.readme],
  ];
  for (const [label, file] of named) if (existsSync(file)) out.push({ worker: null, label, path: rel(file) });
  const perWorker: [string, string][] = [
    ['lifecycle', p.workersDir],
    ['stderr', p.stderrDir],
    ['stdout', p.stdoutDir],
    ['entry log', p.entryLogDir],
  ];
  for (const [kind, dir] of perWorker) {
    for (const name of listTxt(dir)) out.push({ worker: name.replace(/\.txt$/, ''), label: kind, path: rel(join(dir, name)) });
  }
  return out;
}

function listTxt(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.txt') && !n.startsWith('.'))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return [];
  }
}
