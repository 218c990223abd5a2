/**
 * One Python worker process (docs/ARCHITECTURE.md, "Host channels"): init, one running try and
 * prefetched ones, timeouts, crashes, stop. Its lifecycle is one explicit state:
 *
 *   starting ──ready──► idle ◄──result──► busy
 *      │                 │                 │
 *      └── init failed, init timeout, run timeout, stop ──► stopping ──► exited
 *                        (and any state ──process died──► exited)
 *
 * Failures are data: every try submitted here resolves with a `TryOutcome`, never rejects.
 *
 * The process and its pipes are host-process.ts. Longer than 400 lines because it is one state
 * machine: its states, timers and messages change together, and split further one transition
 * would be read in two files.
 */
import { fstatSync, openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

import type { WorkerEvent, FailureKind, TryOutcome, TryTask } from '../core/tries.js';
import { ForkedProcess, type WorkerProcess } from './fork-server.js';
import { closeLogs, HostPipes, signalGroup, spawnHost, type LogFiles } from './host-process.js';
import { assertNever, PROTOCOL_VERSION } from './protocol.js';
import type { WorkerError } from '../core/tries.js';
import type { InitRequest, WorkerMessage } from './protocol.js';
import { monotonicMs, RunStateFile } from './run-state.js';
import { withHint } from './failure-hints.js';
import { faulthandlerDump, readTail } from './stderr-tail.js';
import { TryLine, type Backlog, type Try } from './try-line.js';
import { encodeMessage, encodeRun, parseWorkerMessage } from './wire.js';
import { crashError, initFailure, seconds, timeoutError, type Death, type Ending } from './worker-errors.js';
import { LOG_FILE_MODE, type WorkerLog } from './worker-log.js';

export type WorkerState = 'starting' | 'idle' | 'busy' | 'stopping' | 'exited';
export type StopMode = 'graceful' | 'now';

/**
 * SIGTERM, then SIGKILL after this (docs/ARCHITECTURE.md, "Host channels"). Python dies on SIGTERM
 * at once, after faulthandler's dump.
 */
export const KILL_GRACE_MS = 2_000;
/** How long `shutdown()` may take in a graceful stop before the worker is killed. */
export const SHUTDOWN_TIMEOUT_MS = 30_000;
/**
 * After the process exits, how long to wait for its pipes to close. A grandchild that left the
 * process group could hold them open forever; we stop listening rather than hang.
 */
const PIPE_CLOSE_WAIT_MS = 1_000;
export interface PythonWorkerOptions {
  /** `worker-0`: log file names, `MINIBATCH_WORKER_ID`, `TryOutcome.worker`. */
  readonly name: string;
  /** The resolved interpreter (its own `sys.executable`). */
  readonly python: string;
  readonly hostScript: string;
  /** The complete environment of the process. */
  readonly env: NodeJS.ProcessEnv;
  readonly init: InitRequest & { readonly stateFile: string };
  /** The user's log files, opened in append mode as the process's fd 1 and 2. */
  readonly stdoutFile: string;
  readonly stderrFile: string;
  readonly log: WorkerLog;
  readonly runTimeoutMs: number;
  readonly initTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly killGraceMs: number;
  /** The work a line of short runs holds, in ms (try-line.ts). @default PREFETCH_TARGET_MS */
  readonly prefetchTargetMs?: number;
  readonly onEvent: (event: WorkerEvent) => void;
  /** It can take more tries now (it became ready, or a try finished). */
  readonly onCapacity: () => void;
  /**
   * The process is gone and every try it held has resolved. `initError` is set when it exited
   * before becoming ready for a reason other than a stop.
   */
  readonly onExit: (worker: PythonWorker, initError: WorkerError | null) => void;
  /**
   * The machine refused what any worker needs to start (its log files cannot be opened, no file
   * descriptors are left): not this worker's failure, and no replacement would fare better. The
   * worker still ends as one that failed to start. @default none
   */
  readonly onSystemError?: (error: NodeJS.ErrnoException) => void;
}

/** Spawn errors that are the machine's, not the interpreter's: out of descriptors. */
const DESCRIPTOR_ERRORS = new Set(['EMFILE', 'ENFILE']);

/** Why the parent is ending the process; none means it died on its own (a crash). */
type WorkerEnding = Ending<Try>;

export class PythonWorker {
  state: WorkerState = 'starting';
  pid = 0;
  private process: WorkerProcess | null = null;
  /** Its pipes (host-process.ts), from its start until it is finalized. */
  private pipes: HostPipes | null = null;
  /** The host was started and sent `init`: tries and messages may go to it. */
  private connected = false;
  /** The tries sent to the host: the running one, then those prefetched (try-line.ts). */
  private readonly line: TryLine;
  private ending: WorkerEnding | null = null;
  private stopMode: StopMode | null = null;
  private finalized = false;
  /** The host answered `shutdown` with `bye`: its exit that follows is the expected one. */
  private saidBye = false;
  private spawnedAt = 0;
  private readyAfterMs: number | null = null;
  private stderrStart = 0;
  private initTimer: NodeJS.Timeout | undefined = undefined;
  private killTimer: NodeJS.Timeout | undefined = undefined;
  private shutdownTimer: NodeJS.Timeout | undefined = undefined;
  private pipeTimer: NodeJS.Timeout | undefined = undefined;
  /**
   * One timer for the running try's timeout, re-armed lazily when it fires, instead of a timer
   * per try: tries of a few milliseconds must not each create and cancel one.
   */
  private runTimer: NodeJS.Timeout | undefined = undefined;
  /** Which run the host is in (run-state.ts): answers come in groups, a few milliseconds late. */
  private readonly runState: RunStateFile;
  private readonly exited: Promise<void>;
  private markExited: () => void = () => undefined;

  constructor(private readonly options: PythonWorkerOptions) {
    this.line = new TryLine(options.prefetchTargetMs);
    this.runState = new RunStateFile(options.init.stateFile);
    this.exited = new Promise((resolve) => {
      this.markExited = resolve;
    });
  }

  get name(): string {
    return this.options.name;
  }

  /**
   * Tries it can take now: idle, one to run and `depth` to wait; busy, room in the waiting line
   * (with a deep prefetch, only once it is half empty, so that refills come in groups).
   */
  get capacity(): number {
    switch (this.state) {
      case 'idle':
        return 1 + this.line.depth;
      case 'busy':
        return this.line.room;
      case 'starting':
      case 'stopping':
      case 'exited':
        return 0;
      default:
        return assertNever(this.state);
    }
  }

  /**
   * Opens the log files and spawns the host. Never throws: a failure to start is an init failure.
   * Synchronous (a few small file operations): the process starts now, not after the event loop's
   * next turns, which planning may keep busy at the start of a run.
   */
  start(): void {
    const logs = this.openLogs();
    if (logs === null) return;
    try {
      if (this.stopMode === null) this.spawn(logs);
      else void this.finalize(null, null); // stopped before it had a process
    } catch (error) {
      this.failToStart(error);
    } finally {
      closeLogs(logs); // the child has its own copies of the descriptors
    }
  }

  /**
   * Opens the log files its process writes to, for `start` or for a fork server (fork-server.ts):
   * the caller closes them once the process has its copies. Null when they cannot be opened: the
   * worker has then failed to start.
   */
  openLogs(): LogFiles | null {
    const { options } = this;
    const logs: { stdout: number | null; stderr: number | null } = { stdout: null, stderr: null };
    try {
      // Their folders are the pool's to make, once: a worker started after the run directory was
      // moved must not make them again at its old place.
      logs.stdout = openSync(options.stdoutFile, 'a', LOG_FILE_MODE);
      logs.stderr = openSync(options.stderrFile, 'a', LOG_FILE_MODE);
      this.stderrStart = fstatSync(logs.stderr).size;
      this.runState.reset();
      return { stdout: logs.stdout, stderr: logs.stderr };
    } catch (error) {
      closeLogs(logs);
      // Any worker would fail the same way: the run directory (or the descriptors) is the problem.
      this.options.onSystemError?.(error as NodeJS.ErrnoException);
      this.failToStart(error);
      return null;
    }
  }

  /** Takes the process a fork server forked for it, on the log files `openLogs` gave. */
  adopt(process: ForkedProcess): void {
    const { python, hostScript } = this.options;
    this.attach(process, process.input, process.output, `${python} -u ${hostScript} (forked by fork server pid ${process.serverPid ?? '?'})`);
  }

  /** Runs `task` now, or prefetched behind the running one; the host takes them in order. */
  submit(task: TryTask): Promise<TryOutcome> {
    return new Promise((resolve) => {
      if (this.capacity === 0 || !this.connected) {
        resolve(notStarted(task));
        return;
      }
      const attempt = this.line.add(task, resolve);
      this.send(encodeRun({ type: 'run', id: attempt.id, attempt: task.attempt, items: task.items, context: task.context, table: task.table }));
      this.state = 'busy';
      // It cannot have started before now, so it cannot time out before a full timeout from now.
      if (this.runTimer === undefined) this.armRunTimer(this.options.runTimeoutMs);
    });
  }

  /** Tries waiting behind the running one that are not being withdrawn. */
  get waitingCount(): number {
    return this.line.waitingCount;
  }

  /** What is still to run here behind the run in progress, as its run-state file tells (try-line.ts). */
  backlog(): Backlog {
    return this.line.backlog(this.runState.read(), monotonicMs());
  }

  /**
   * Withdraws the last `count` waiting tries, to run elsewhere: another worker has nothing to do
   * (the pool rebalances). Each resolves `not_started` once the host confirms it never started it,
   * which it does when it next reads its pipe (after the run in progress); one it started meanwhile
   * is answered as usual.
   */
  withdraw(count: number): void {
    if (this.state !== 'busy' || !this.connected || count <= 0) return;
    for (const attempt of this.line.withdraw(count)) this.send(encodeMessage({ type: 'cancel', id: attempt.id }));
  }

  /**
   * `graceful`: the running try finishes, the prefetched ones are withdrawn (`not_started`), then
   * `shutdown()` runs (killed after shutdownTimeoutMs). `now`: SIGKILL to the process group; every
   * try it held resolves `not_started`. Resolves once the process is gone.
   */
  stop(mode: StopMode): Promise<void> {
    if (this.state === 'exited') return this.exited;
    if (mode === 'now' || this.state === 'starting' || !this.connected) {
      this.stopMode = 'now';
      this.ending ??= { kind: 'stopped' };
      this.state = 'stopping';
      if (this.pid > 0) this.options.log.line(`pid ${this.pid}: stop now: SIGKILL to the process group`);
      this.killGroup('SIGKILL');
      return this.exited;
    }
    if (this.stopMode !== null) return this.exited;
    this.stopMode = 'graceful';
    if (this.ending !== null) return this.exited; // already being killed (a timeout, a failed init)
    this.state = 'stopping';
    for (const waiting of this.line.withdrawAll()) this.send(encodeMessage({ type: 'cancel', id: waiting.id }));
    this.send(encodeMessage({ type: 'shutdown' }));
    if (this.line.empty) this.armShutdownTimer();
    return this.exited;
  }

  /** Queues `text` for the host; everything queued in one tick leaves in one write, in order. */
  private send(text: string): void {
    this.pipes?.send(text);
  }

  private spawn(logs: LogFiles): void {
    const { options } = this;
    const { child, input, output } = spawnHost(options.python, options.hostScript, logs, options.env);
    this.attach(child, input, output, `${options.python} -u ${options.hostScript}`);
  }

  /** Listens to its process (spawned, or forked: its pid comes with 'spawn') and sends it `init`. */
  private attach(child: WorkerProcess, input: Writable, output: Readable, command: string): void {
    const { options } = this;
    this.spawnedAt = performance.now();
    this.process = child;
    this.pipes = new HostPipes(input, output, this.onLine);
    child.on('error', (error: Error) => {
      if (child.pid !== undefined) return;
      // Killed before it was forked (a stop, an init timeout: fork-server.ts): its ending says why.
      if (this.ending !== null) void this.finalize(null, null);
      else this.failToStart(error);
    });
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => this.onProcessExit(code, signal));
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => void this.finalize(code, signal));
    const started = (): void => {
      if (child.pid === undefined || this.state === 'exited') return;
      this.pid = child.pid;
      options.log.line(`pid ${this.pid}: start ${command}`);
      options.onEvent({ type: 'worker_started', worker: options.name, pid: this.pid });
      // Stopped or timed out while its pid was not known yet (a forked worker): now it can be killed.
      if (this.stopMode === 'now' || this.ending !== null) this.killGroup('SIGKILL');
    };
    if (child.pid === undefined && !(child instanceof ForkedProcess)) return; // a spawn that failed: 'error' follows
    this.connected = true;
    // The host reads it after its hello; the pipe holds it until then.
    this.send(encodeMessage(options.init));
    this.initTimer = setTimeout(() => this.onInitTimeout(), options.initTimeoutMs);
    if (child.pid !== undefined) started();
    else child.once('spawn', started);
  }

  private failToStart(error: unknown): void {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && DESCRIPTOR_ERRORS.has(code)) this.options.onSystemError?.(error as NodeJS.ErrnoException);
    const message = error instanceof Error ? error.message : String(error);
    this.fail({ type: 'SpawnError', message: `cannot start ${this.options.python}: ${message}`, traceback: '' });
  }

  /** A bound method: called for every line on fd 4, the hot path of the protocol. */
  private readonly onLine = (line: string): void => {
    if (this.ending?.kind === 'protocol') return; // after garbage, nothing on this pipe is trusted
    const parsed = parseWorkerMessage(line);
    if (!parsed.ok) {
      this.protocolViolation(parsed.problem);
      return;
    }
    this.onMessage(parsed.message);
  };

  private onMessage(message: WorkerMessage): void {
    const { options } = this;
    switch (message.type) {
      case 'hello':
        options.log.line(`pid ${this.pid}: Python ${message.pythonVersion} at ${message.executable}`);
        if (message.version !== PROTOCOL_VERSION) {
          this.failInit({
            type: 'ProtocolMismatch',
            message:
              `the worker host ${options.hostScript} speaks protocol ${message.version}, this minibatch ` +
              `speaks ${PROTOCOL_VERSION}: they come from different installations`,
            traceback: '',
          });
        }
        return;
      case 'ready': {
        clearTimeout(this.initTimer);
        if (this.state !== 'starting') return;
        this.readyAfterMs = Math.round(performance.now() - this.spawnedAt);
        options.log.line(
          `pid ${this.pid}: ready in ${this.readyAfterMs} ms (import and init(): ${Math.round(message.durationMs)} ms)`,
        );
        this.state = 'idle';
        options.onEvent({ type: 'worker_ready', worker: options.name, durationMs: this.readyAfterMs });
        options.onCapacity();
        return;
      }
      case 'init_failed':
        this.failInit(message.error);
        return;
      case 'result': {
        const attempt = this.take(message.id);
        if (attempt === null) return;
        this.line.ran(message.durationMs);
        attempt.resolve({
          kind: 'succeeded',
          miniBatch: attempt.task.miniBatch,
          attempt: attempt.task.attempt,
          worker: options.name,
          succeeded: message.succeeded,
          rows: message.rows,
          startedAt: message.startedAt,
          durationMs: message.durationMs,
        });
        this.advanced();
        return;
      }
      case 'run_failed': {
        const attempt = this.take(message.id);
        if (attempt === null) return;
        const error = withHint(message.error, '', options.python);
        attempt.resolve(this.failed(attempt, message.failure, error, message.startedAt, message.durationMs, null, null));
        this.advanced();
        return;
      }
      case 'cancelled': {
        // The host answers a cancel as soon as it reads it, whatever waits before that try.
        const attempt = this.line.running?.id === message.id ? this.take(message.id) : this.takeWaiting(message.id);
        if (attempt === null) return;
        attempt.resolve(notStarted(attempt.task));
        this.advanced();
        return;
      }
      case 'bye':
        this.saidBye = true;
        options.log.line(`pid ${this.pid}: shutdown done`);
        return;
      default:
        assertNever(message);
    }
  }

  /** A withdrawn try that never started, out of its turn. */
  private takeWaiting(id: string): Try | null {
    const attempt = this.line.takeWaiting(id);
    if (attempt === null) this.protocolViolation(`cancelled ${id}, which is not waiting`);
    return attempt;
  }

  /** The host answers runs in order, so a result is always about the head try. */
  private take(id: string): Try | null {
    const attempt = this.line.take(id);
    if (attempt === null) {
      this.protocolViolation(`an answer about run ${id}, but the oldest unanswered run is ${this.line.running?.id ?? 'none'}`);
    }
    return attempt;
  }

  /**
   * The try the host is running now, by its run-state file, with when it started; null when it runs
   * none of the tries held here (between runs, or before its first).
   */
  private inProgress(): { attempt: Try; startedMs: number } | null {
    const run = this.runState.read();
    const attempt = run === null ? null : this.line.find(run.id);
    return attempt === null || run === null ? null : { attempt, startedMs: run.startedMs };
  }

  private advanced(): void {
    if (this.state === 'busy' && this.line.empty) this.state = 'idle';
    if (this.state === 'stopping' && this.stopMode === 'graceful' && this.line.empty) this.armShutdownTimer();
    this.options.onCapacity();
  }

  /**
   * Armed while tries are held. Fires when the try in progress may have timed out, and re-arms for
   * the moment it would: the timeout counts from when the run started (the run-state file), not
   * from dispatch (docs/ARCHITECTURE.md, "Host channels"), so a prefetched try waits free. With no
   * run in progress, a run that starts later cannot time out within a full timeout from now.
   */
  private armRunTimer(delayMs: number): void {
    this.runTimer = setTimeout(this.onRunTimer, Math.max(0, delayMs));
  }

  private readonly onRunTimer = (): void => {
    this.runTimer = undefined;
    if (this.line.empty || this.ending !== null) return;
    const current = this.inProgress();
    if (current === null) {
      this.armRunTimer(this.options.runTimeoutMs);
      return;
    }
    const left = current.startedMs + this.options.runTimeoutMs - monotonicMs();
    if (left > 0) this.armRunTimer(left);
    else this.onRunTimeout(current.attempt);
  };

  private onRunTimeout(attempt: Try): void {
    this.ending = { kind: 'run_timeout', attempt };
    this.state = 'stopping';
    this.options.log.line(
      `pid ${this.pid}: mini-batch ${attempt.task.miniBatch} (try ${attempt.task.attempt}) ran longer than ` +
        `${seconds(this.options.runTimeoutMs)} (runInvocationTimeout): SIGTERM to the process group`,
    );
    this.terminate();
  }

  private onInitTimeout(): void {
    if (this.state !== 'starting' || this.ending !== null) return;
    this.ending = { kind: 'init_timeout' };
    this.state = 'stopping';
    this.options.log.line(
      `pid ${this.pid}: init() did not finish within ${seconds(this.options.initTimeoutMs)} (initTimeout): SIGTERM to the process group`,
    );
    this.terminate();
  }

  private failInit(error: WorkerError): void {
    clearTimeout(this.initTimer);
    if (this.ending !== null) return;
    this.ending = { kind: 'init_failed', error };
    this.state = 'stopping';
    this.options.log.line(`pid ${this.pid}: init failed: ${error.type}: ${error.message}\n${error.traceback}`);
    this.options.onEvent({ type: 'worker_init_failed', worker: this.options.name, error });
    // The host exits by itself after init_failed; the grace is for one that does not.
    this.armKillTimer();
  }

  private protocolViolation(problem: string): void {
    if (this.ending !== null && this.ending.kind !== 'stopped') return;
    this.ending = { kind: 'protocol', problem };
    this.state = 'stopping';
    this.options.log.line(`pid ${this.pid}: protocol error (${problem}): SIGKILL to the process group`);
    this.killGroup('SIGKILL');
  }

  /** The process could not even be started: it exits as an init failure without ever running. */
  private fail(error: WorkerError): void {
    if (this.state === 'exited') return;
    this.ending = { kind: 'init_failed', error };
    this.state = 'exited';
    this.options.log.line(`${error.type}: ${error.message}`);
    this.options.onEvent({ type: 'worker_init_failed', worker: this.options.name, error });
    // Later, not now: `start()` fails synchronously, before the pool has put this worker in its slot.
    queueMicrotask(() => void this.finalize(null, null));
  }

  private terminate(): void {
    this.killGroup('SIGTERM');
    this.armKillTimer();
  }

  private armKillTimer(): void {
    if (this.killTimer !== undefined) return;
    this.killTimer = setTimeout(() => {
      this.options.log.line(`pid ${this.pid}: still alive ${seconds(this.options.killGraceMs)} later: SIGKILL`);
      this.killGroup('SIGKILL');
    }, this.options.killGraceMs);
  }

  private armShutdownTimer(): void {
    if (this.shutdownTimer !== undefined || this.state === 'exited') return;
    this.shutdownTimer = setTimeout(() => {
      this.options.log.line(
        `pid ${this.pid}: shutdown() did not finish within ${seconds(this.options.shutdownTimeoutMs)}: SIGTERM to the process group`,
      );
      this.terminate();
    }, this.options.shutdownTimeoutMs);
  }

  /** The whole group: what user code started dies with it (docs/ARCHITECTURE.md, "Host channels"). */
  private killGroup(signal: NodeJS.Signals): void {
    signalGroup(this.pid, this.process, signal);
  }

  private onProcessExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.state = 'exited';
    clearTimeout(this.initTimer);
    clearTimeout(this.killTimer);
    clearTimeout(this.shutdownTimer);
    clearTimeout(this.runTimer);
    // Whatever the host left behind in its group (forked children) goes with it.
    this.killGroup('SIGKILL');
    this.pipeTimer = setTimeout(() => void this.finalize(code, signal), PIPE_CLOSE_WAIT_MS);
  }

  /** After exit and the last message read: resolve what it held, log, and tell the pool. Runs once. */
  private async finalize(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.finalized) return;
    this.finalized = true;
    this.process = null;
    // Closed at the latest now. A worker its fork server forked but was killed before reporting is
    // alive, in a group of its own, with a pid never heard of: the hang-up of its pipes is what
    // ends it (its watchdog, docs/ARCHITECTURE.md, "Host channels"), and open pipes would keep this
    // process from exiting.
    this.pipes?.close();
    this.state = 'exited';
    clearTimeout(this.pipeTimer);
    clearTimeout(this.initTimer);
    const { options } = this;
    const pid = this.pid;
    // The tries before the one in progress finished, but their answers died with the process
    // (they were held to leave in a group): they run again, no try charged.
    const current = this.inProgress();
    this.runState.remove();
    const { running, waiting } = this.line.clear();
    this.connected = false;

    const ending = this.ending;
    const exit = signal !== null ? `signal ${signal}` : code !== null ? `code ${code}` : 'no status';
    const crashed = (ending === null && !this.saidBye) || ending?.kind === 'protocol';
    const needsTail = crashed || ending?.kind === 'run_timeout' || ending?.kind === 'init_timeout' || ending?.kind === 'init_failed';
    const tail = needsTail ? await readTail(options.stderrFile, this.stderrStart) : '';
    const dump = faulthandlerDump(tail, options.hostScript);
    if (pid === 0) options.log.line('stopped before its process started');
    else options.log.line(`pid ${pid}: exit ${exit}${this.stopMode !== null && !crashed ? ' (stopped)' : ''}`);

    const death: Death = { worker: options.name, pid, exit, signal, tail, dump, ending, stderrFile: options.stderrFile };
    for (const attempt of running === null ? [] : [running, ...waiting]) {
      attempt.resolve(attempt === current?.attempt ? this.outcomeOfDeath(attempt, current.startedMs, death, code) : notStarted(attempt.task));
    }

    let initError: WorkerError | null = null;
    if (this.readyAfterMs === null && ending?.kind !== 'stopped') {
      initError = initFailure(death, options.initTimeoutMs, options.python);
    }
    options.onEvent({
      type: 'worker_exited',
      worker: options.name,
      exitCode: code,
      signal,
      expected: this.stopMode !== null && !crashed && ending?.kind !== 'run_timeout',
    });
    this.markExited();
    options.onExit(this, initError);
  }

  /** What the try in progress (since `startedMs`, monotonic) became when the process died. */
  private outcomeOfDeath(attempt: Try, startedMs: number, death: Death, code: number | null): TryOutcome {
    const { ending, signal } = death;
    const ranMs = Math.max(0, monotonicMs() - startedMs);
    const startedAt = Date.now() - ranMs;
    if (ending?.kind === 'run_timeout' && ending.attempt === attempt) {
      return this.failed(attempt, 'timeout', timeoutError(death, this.options.runTimeoutMs), startedAt, ranMs, code, signal);
    }
    // Killed by us for another reason (a stop, another try's timeout): no try is charged.
    if (ending !== null && ending.kind !== 'protocol') return notStarted(attempt.task);
    return this.failed(attempt, 'crash', crashError(attempt.task, death), startedAt, ranMs, code, signal);
  }

  private failed(
    attempt: Try,
    failure: FailureKind,
    error: WorkerError,
    startedAt: number,
    durationMs: number,
    exitCode: number | null,
    signal: string | null,
  ): TryOutcome {
    return {
      kind: 'failed',
      miniBatch: attempt.task.miniBatch,
      attempt: attempt.task.attempt,
      worker: this.options.name,
      failure,
      error,
      exitCode,
      signal,
      startedAt,
      durationMs,
    };
  }
}

function notStarted(task: TryTask): TryOutcome {
  return { kind: 'not_started', miniBatch: task.miniBatch, attempt: task.attempt };
}
