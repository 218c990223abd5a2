/**
 * The local backend: `processCountPerNode` persistent Python workers on this machine
 * (docs/ARCHITECTURE.md, "Entry script", "Host channels"). Each worker has a slot 0…N−1 that its
 * replacement inherits, one running and prefetched tries; a worker that crashes, times out or fails
 * `init()` is replaced. After 3 × N init failures in a row the pool gives up and says why.
 *
 * The scheduler drives it through `Executor`: `await waitForSlot()`, then `submit(task)` (not awaited
 * before the next `waitForSlot`), and `stop()` at the end.
 */
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';

import { EnvironmentError, RunFailedError } from '../core/errors.js';
import type { RunPaths } from '../core/run-paths.js';
import type { Executor, WorkerEvent, TryOutcome, TryTask } from '../core/tries.js';
import { HOST_SCRIPT } from './host-script.js';
import type { WorkerError } from '../core/tries.js';
import type { InitRequest } from './protocol.js';
import { forkWorkers, type ForkedProcess } from './fork-server.js';
import { closeLogs, type LogFiles } from './host-process.js';
import { KILL_GRACE_MS, PythonWorker, SHUTDOWN_TIMEOUT_MS, type StopMode } from './python-worker.js';
import type { Backlog } from './try-line.js';
import { userEnvironment } from './user-env.js';
import { WorkerLog } from './worker-log.js';

/** Init failures in a row, per worker process, before the pool gives up. */
export const INIT_FAILURES_PER_WORKER = 3;

/** How often an idle worker looks again at another's line that was not too long yet (`rebalance`). */
const REBALANCE_RECHECK_MS = 10;

export interface LocalPoolOptions {
  /** The resolved interpreter: `(await resolveInterpreter(settings.python)).executable`. */
  readonly python: string;
  /** Worker processes (`processCountPerNode`). */
  readonly processCount: number;
  /**
   * What every worker's `init` message carries. The pool adds the per-worker fields: `entryLogFile`
   * (`paths.entryLog(name)`), `agentName` (the worker's name) and `stateFile` (`paths.workerState(name)`).
   */
  readonly init: Omit<InitRequest, 'type' | 'entryLogFile' | 'agentName' | 'stateFile'>;
  /** Added to the workers' environment (`environmentVariables`). @default {} */
  readonly env?: Readonly<Record<string, string>>;
  readonly runInvocationTimeoutMs: number;
  readonly initTimeoutMs: number;
  readonly paths: RunPaths;
  /** `MINIBATCH_RUN_ID`. */
  readonly runId: string;
  /** Worker names are `<namePrefix>worker-<slot>` (a machine's name on the redis backend). @default '' */
  readonly namePrefix?: string;
  /** @default the package's `python/minibatch_host.py` */
  readonly hostScript?: string;
  /** How long `shutdown()` may take in a graceful stop. @default SHUTDOWN_TIMEOUT_MS (30 s) */
  readonly shutdownTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace. @default KILL_GRACE_MS (2 s) */
  readonly killGraceMs?: number;
  /** Lifecycle events, for progress and logs. @default none */
  readonly onEvent?: (event: WorkerEvent) => void;
  /**
   * Whether an idle worker takes back half of another's waiting line (`rebalance`). Off where the
   * pool is fed a few tries at a time from elsewhere (a Redis worker machine): withdrawn tries would
   * travel back through the queue for nothing. @default true
   */
  readonly rebalance?: boolean;
  /** How much work, in ms of past run() durations, a worker's line of short runs holds. @default 10 */
  readonly prefetchTargetMs?: number;
}

type PoolState = 'running' | 'stopping' | 'failed';

interface Slot {
  readonly index: number;
  readonly name: string;
  readonly log: WorkerLog;
  worker: PythonWorker;
  /** Processes this slot has had, counting the current one. */
  generation: number;
}

interface Queued {
  readonly task: TryTask;
  readonly resolve: (outcome: TryOutcome) => void;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Creates the log folders (so that an unwritable run directory is reported at once) and starts the
 * workers; resolves before they are ready. `new LocalPool(options)` does the same without the check.
 */
export async function createLocalPool(options: LocalPoolOptions): Promise<LocalPool> {
  const { paths } = options;
  try {
    await Promise.all(
      [paths.workersDir, paths.stdoutDir, paths.stderrDir, paths.entryLogDir].map((dir) => mkdir(dir, { recursive: true, mode: 0o700 })),
    );
  } catch (error) {
    throw new EnvironmentError('OUTPUT_UNWRITABLE', `cannot create the run's log folders under ${paths.logs}: ${String(error)}`, {
      cause: error,
    });
  }
  return new LocalPool(options);
}

export class LocalPool implements Executor {
  private state: PoolState = 'running';
  private readonly slots: Slot[] = [];
  private readonly queue: Queued[] = [];
  private waiters: Waiter[] = [];
  private failure: RunFailedError | EnvironmentError | null = null;
  private initFailuresInARow = 0;
  private everReady = false;
  private stopping: Promise<void> | null = null;
  private rebalancing: NodeJS.Immediate | null = null;
  /** A later look while a worker is idle beside a line that is not (yet) too long: its run in progress may be slow. */
  private recheck: NodeJS.Timeout | null = null;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly onEvent: (event: WorkerEvent) => void;

  /** Starts the workers (each creates its log folders if missing); they become ready in the background. */
  constructor(private readonly options: LocalPoolOptions) {
    if (!Number.isInteger(options.processCount) || options.processCount < 1) {
      throw new RangeError(`processCount must be a positive integer, not ${options.processCount}`);
    }
    const userEnv = options.env ?? {};
    this.baseEnv = {
      // Without a UTF-8 locale a print() of non-ASCII text would raise in user code.
      PYTHONIOENCODING: 'utf-8:backslashreplace',
      ...userEnvironment(),
      ...userEnv,
      // The contract's variables win over the user's (docs/ARCHITECTURE.md, "Entry script").
      AZUREML_BI_OUTPUT_PATH: options.init.outputDir,
      MINIBATCH_RUN_ID: options.runId,
      PYTHONFAULTHANDLER: '1',
      // The Node running minibatch: the worker host decodes Parquet with it where pyarrow is missing.
      MINIBATCH_NODE: process.execPath,
    };
    // Every worker's files go here; made once, so that no worker makes them again elsewhere.
    for (const dir of [options.paths.workersDir, options.paths.stdoutDir, options.paths.stderrDir, options.paths.entryLogDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    const onEvent = options.onEvent ?? (() => undefined);
    this.onEvent = (event) => {
      if (event.type === 'worker_ready') {
        this.initFailuresInARow = 0;
        this.everReady = true;
      }
      onEvent(event);
    };
    for (let index = 0; index < options.processCount; index++) {
      const name = `${options.namePrefix ?? ''}worker-${index}`;
      const log = new WorkerLog(options.paths.workerLog(name));
      this.slots.push({ index, name, log, worker: this.newWorker(index, name, log), generation: 1 });
    }
    this.startFirstWorkers();
  }

  /**
   * Two or more: forked from one Python start-up (fork-server.ts), which is most of a worker's
   * start-up cost. Replacements are started one by one (`startWorker`).
   */
  private startFirstWorkers(): void {
    const { options } = this;
    if (this.slots.length < 2) {
      for (const slot of this.slots) slot.worker.start();
      return;
    }
    const opened: { slot: Slot; logs: LogFiles }[] = [];
    for (const slot of this.slots) {
      const logs = slot.worker.openLogs();
      if (logs !== null) opened.push({ slot, logs });
    }
    try {
      const forks = opened.map(({ slot, logs }) => ({ name: slot.name, slot: slot.index, stdoutFd: logs.stdout, stderrFd: logs.stderr }));
      const processes = forkWorkers(options.python, options.hostScript ?? HOST_SCRIPT, this.baseEnv, forks);
      opened.forEach(({ slot }, i) => slot.worker.adopt(processes[i] as ForkedProcess));
    } finally {
      // The server has its own copies of the descriptors.
      for (const { logs } of opened) closeLogs(logs);
    }
  }

  waitForSlot(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    // Once stopping, submit() answers `not_started` at once; waiting would only hang the caller.
    if (this.state !== 'running' || (this.queue.length === 0 && this.freeCapacity() > 0)) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  submit(task: TryTask): Promise<TryOutcome> {
    if (this.state !== 'running') return Promise.resolve(notStarted(task));
    const worker = this.pick();
    if (worker !== null) return worker.submit(task);
    return new Promise((resolve) => this.queue.push({ task, resolve }));
  }

  stop(mode: StopMode): Promise<void> {
    if (this.stopping !== null) {
      // Ctrl-C twice: a graceful stop becomes immediate.
      if (mode === 'now') for (const slot of this.slots) void slot.worker.stop('now');
      return this.stopping;
    }
    if (this.state === 'running') this.state = 'stopping';
    this.releaseWaiting();
    this.stopping = Promise.all(this.slots.map((slot) => slot.worker.stop(mode))).then(async () => {
      await Promise.all(this.slots.map((slot) => slot.log.close()));
    });
    return this.stopping;
  }

  /** A busy worker runs one try; the others in its line wait (prefetched). */
  runningTries(): number {
    let running = 0;
    for (const slot of this.slots) if (slot.worker.state === 'busy') running++;
    return running;
  }

  /** Tries the pool can take now without queueing (each worker's `capacity`). */
  private freeCapacity(): number {
    let free = 0;
    for (const slot of this.slots) free += slot.worker.capacity;
    return free;
  }

  /** An idle worker if any (so work spreads before it queues), else the one with most room for a prefetch. */
  private pick(): PythonWorker | null {
    let best: PythonWorker | null = null;
    let bestCapacity = 0;
    for (const slot of this.slots) {
      const worker = slot.worker;
      if (worker.state === 'idle') return worker;
      const capacity = worker.capacity;
      if (capacity > bestCapacity) {
        best = worker;
        bestCapacity = capacity;
      }
    }
    return best;
  }

  private readonly onCapacity = (): void => {
    if (this.state !== 'running') return;
    while (this.queue.length > 0) {
      const worker = this.pick();
      if (worker === null) return;
      const queued = this.queue.shift() as Queued;
      void worker.submit(queued.task).then(queued.resolve);
    }
    let free = this.freeCapacity();
    while (free > 0 && this.waiters.length > 0) {
      (this.waiters.shift() as Waiter).resolve();
      free--;
    }
    this.rebalanceSoon();
  };

  /** Checks for an idle worker once the scheduler has had its turn to give it work. */
  private rebalanceSoon(): void {
    if (this.options.rebalance === false) return;
    if (this.rebalancing !== null || !this.slots.some((slot) => slot.worker.state === 'idle')) return;
    this.rebalancing = setImmediate(() => {
      this.rebalancing = null;
      this.rebalance();
    });
  }

  /**
   * A worker with nothing to do while another has more work waiting than a line should hold: its
   * tries were handed out when run() was short, and are not. The newest half of what that worker
   * still has to run is withdrawn; the scheduler hands the tries out again, to the idle worker
   * first. So a run never ends with one worker busy on a queue of slow mini-batches while another
   * waits.
   *
   * A deep line of tries that are still short is left alone: it ends within about the prefetch
   * target anyway, and its host is usually further along it than its answers, which come in groups,
   * tell. Withdrawing those cost a cancel, an answer and a second send each, and happened dozens of
   * times a second whenever planning fell behind (bench/).
   */
  private rebalance(): void {
    if (this.state !== 'running' || !this.slots.some((slot) => slot.worker.state === 'idle')) return;
    let fullest: (Backlog & { readonly worker: PythonWorker }) | null = null;
    for (const { worker } of this.slots) {
      if (worker.waitingCount < 2) continue; // nothing to take back (and no run-state file to read)
      const backlog = worker.backlog();
      if (fullest === null || backlog.workMs > fullest.workMs) fullest = { worker, ...backlog };
    }
    if (fullest === null) return;
    if (fullest.overloaded) fullest.worker.withdraw(Math.floor(fullest.tries / 2));
    else if (fullest.tries >= 2 && this.recheck === null) {
      // Its run in progress may be the first of many slow ones: how long it has taken so far counts.
      this.recheck = setTimeout(() => {
        this.recheck = null;
        this.rebalance();
      }, REBALANCE_RECHECK_MS);
      this.recheck.unref();
    }
  }

  private readonly onExit = (worker: PythonWorker, initError: WorkerError | null): void => {
    const slot = this.slots.find((s) => s.worker === worker);
    if (slot === undefined || this.state !== 'running') return;
    if (initError !== null) {
      this.initFailuresInARow++;
      if (this.initFailuresInARow >= INIT_FAILURES_PER_WORKER * this.slots.length) {
        this.fail(slot, initError);
        return;
      }
    }
    slot.generation++;
    slot.log.line(`replacing the worker (process ${slot.generation} of this slot)`);
    slot.worker = this.startWorker(slot.index, slot.name, slot.log);
  };

  private startWorker(slot: number, name: string, log: WorkerLog): PythonWorker {
    const worker = this.newWorker(slot, name, log);
    worker.start();
    return worker;
  }

  private newWorker(slot: number, name: string, log: WorkerLog): PythonWorker {
    const { options } = this;
    const { paths } = options;
    return new PythonWorker({
      name,
      python: options.python,
      hostScript: options.hostScript ?? HOST_SCRIPT,
      env: { ...this.baseEnv, MINIBATCH_WORKER_ID: name, MINIBATCH_WORKER_SLOT: String(slot) },
      init: { type: 'init', ...options.init, entryLogFile: paths.entryLog(name), agentName: name, stateFile: paths.workerState(name) },
      stdoutFile: paths.stdout(name),
      stderrFile: paths.stderr(name),
      log,
      runTimeoutMs: options.runInvocationTimeoutMs,
      initTimeoutMs: options.initTimeoutMs,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? SHUTDOWN_TIMEOUT_MS,
      killGraceMs: options.killGraceMs ?? KILL_GRACE_MS,
      ...(options.prefetchTargetMs === undefined ? {} : { prefetchTargetMs: options.prefetchTargetMs }),
      onEvent: this.onEvent,
      onCapacity: this.onCapacity,
      onExit: this.onExit,
      onSystemError: this.onSystemError,
    });
  }

  /**
   * A worker could not start for a reason no replacement escapes (its log files cannot be opened,
   * no file descriptors are left): the pool stops, and the run with it, saying why; retrying would
   * only spin.
   */
  private readonly onSystemError = (error: NodeJS.ErrnoException): void => {
    if (this.state !== 'running') return;
    const where = error.path === undefined ? '' : ` (${error.path})`;
    const code = error.code === 'EMFILE' || error.code === 'ENFILE' ? 'TOO_MANY_OPEN_FILES' : 'OUTPUT_UNWRITABLE';
    this.failure = new EnvironmentError(code, `a worker cannot start: ${error.message}${where}`, { cause: error });
    this.state = 'failed';
    this.releaseWaiting();
    for (const s of this.slots) void s.worker.stop('now');
  };

  /**
   * Too many init failures in a row: nothing can run here. docs/ARCHITECTURE.md, "Tries": exit 1,
   * with the traceback.
   */
  private fail(slot: Slot, error: WorkerError): void {
    const n = this.slots.length;
    const since = this.everReady ? 'since a worker was last ready' : 'and no worker ever became ready';
    const { paths } = this.options;
    this.failure = new RunFailedError(
      `the workers cannot start: ${this.initFailuresInARow} init failures in a row ` +
        `(the limit is ${INIT_FAILURES_PER_WORKER} × processCountPerNode = ${INIT_FAILURES_PER_WORKER * n}) ${since}. ` +
        `The last, in ${slot.name} (Python: ${this.options.python}):\n${error.type}: ${error.message}\n${error.traceback}` +
        `${error.traceback.endsWith('\n') || error.traceback === '' ? '' : '\n'}` +
        `See ${paths.workerLog(slot.name)} and ${paths.stderr(slot.name)}.`,
    );
    this.state = 'failed';
    slot.log.line('too many init failures in a row: the pool gives up');
    this.releaseWaiting();
    for (const s of this.slots) void s.worker.stop('now');
  }

  /** Waiters learn the news (rejected on failure, released on stop); queued tries never started. */
  private releaseWaiting(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (this.failure !== null) waiter.reject(this.failure);
      else waiter.resolve();
    }
    for (const queued of this.queue.splice(0)) queued.resolve(notStarted(queued.task));
  }
}

function notStarted(task: TryTask): TryOutcome {
  return { kind: 'not_started', miniBatch: task.miniBatch, attempt: task.attempt };
}
