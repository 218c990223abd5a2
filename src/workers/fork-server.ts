/**
 * The first workers of a pool, forked from one Python start-up (`minibatch_host.py --fork-server`)
 * instead of one start-up each: the interpreter and `site` cost ~50 ms of CPU per process here,
 * and the start of a run is when the orchestrator has the most to do on the same cores.
 *
 * The orchestrator cannot hand pipes to a running process, so the server gets every worker's pipes
 * and log files when it starts, forks the workers, and reports each one's pid and exit status on
 * its fd 3. Each worker is then what a spawned one is (its own process group, fds 3 and 4, its
 * logs); replacements are spawned one by one as before (python-worker.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { LineSplitter } from './wire.js';

/** What a PythonWorker needs of its process: a spawned ChildProcess or a forked one. */
export interface WorkerProcess extends EventEmitter {
  /** Unknown until 'spawn' for a forked process. */
  readonly pid?: number | undefined;
}

export interface ForkSlot {
  readonly name: string;
  readonly slot: number;
  /** The worker's stdout and stderr log files, open for appending. */
  readonly stdoutFd: number;
  readonly stderrFd: number;
}

/** A worker forked by the server: emits 'spawn' (pid known), 'exit' and 'close' (code, signal), 'error'. */
export class ForkedProcess extends EventEmitter implements WorkerProcess {
  pid: number | undefined = undefined;
  private exitStatus: [number | null, string | null] | null = null;
  private outputClosed = false;

  constructor(
    readonly input: Writable,
    readonly output: Readable,
    /** The fork server's own pid, for the logs. */
    readonly serverPid: number | undefined,
  ) {
    super();
    output.once('close', () => {
      this.outputClosed = true;
      this.maybeClose();
    });
  }

  forked(pid: number): void {
    this.pid = pid;
    this.emit('spawn');
  }

  exited(code: number | null, signal: string | null): void {
    if (this.exitStatus !== null) return;
    this.exitStatus = [code, signal];
    this.emit('exit', code, signal);
    this.maybeClose();
  }

  /** The server ended before forking it (nothing runs), or before it could report its exit. */
  serverEnded(code: number | null, signal: string | null, spawnError: Error | null = null): void {
    if (this.exitStatus !== null) return;
    if (this.pid === undefined) {
      // A server that could not be spawned passes its error on (EMFILE: out of descriptors).
      this.emit('error', spawnError ?? new Error(`its fork server exited (${signal !== null ? `signal ${signal}` : `code ${code}`}) before starting it`));
      return;
    }
    // Forked and still running: it works on, but no one is left to report its exit status, so its
    // exit is known by its pipe closing.
    if (this.outputClosed) this.exited(null, null);
    else this.output.once('close', () => this.exited(null, null));
  }

  /**
   * Signals the server's process group: how a worker not forked yet is stopped or timed out (a
   * start-up that hangs). The workers it forked already have groups of their own; those it had not
   * yet forked then fail to start, and are replaced.
   */
  killServer(signal: NodeJS.Signals): void {
    if (this.serverPid === undefined || this.serverPid <= 0) return;
    try {
      process.kill(-this.serverPid, signal);
    } catch {
      // ESRCH: the server is gone already.
    }
  }

  private maybeClose(): void {
    if (this.exitStatus !== null && this.outputClosed) this.emit('close', ...this.exitStatus);
  }
}

/**
 * Starts the fork server with `slots` (at least one) and returns their processes, in order. Never
 * throws: a server that cannot start reports 'error' on every process that was not forked.
 */
export function forkWorkers(python: string, hostScript: string, env: NodeJS.ProcessEnv, slots: readonly ForkSlot[]): ForkedProcess[] {
  const first = slots[0];
  if (first === undefined) return [];
  // Its own stdout and stderr are the first worker's logs: a server that cannot start leaves its
  // traceback there. Then its status pipe, then each worker's fds 3 and 4, stdout and stderr.
  const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', first.stdoutFd, first.stderrFd, 'pipe'];
  for (const slot of slots) stdio.push('pipe', 'pipe', slot.stdoutFd, slot.stderrFd);
  const server = spawn(python, ['-u', hostScript, '--fork-server', JSON.stringify(slots.map((s) => [s.name, s.slot]))], {
    stdio,
    // Its own process group, like the workers: Ctrl-C is the orchestrator's to handle.
    detached: true,
    env,
  });
  // A spawn that failed (out of descriptors) has no pipes: the workers get idle stand-ins, and the
  // spawn's error on 'error' below.
  const pipes = server.stdio as ChildProcess['stdio'] | undefined;
  const pipe = (index: number): Readable & Writable => (pipes?.[index] as (Readable & Writable) | null | undefined) ?? new PassThrough();
  const processes = slots.map((_, i) => new ForkedProcess(pipe(4 + 4 * i), pipe(5 + 4 * i), server.pid));
  const bySlot = new Map(slots.map((s, i) => [s.slot, processes[i] as ForkedProcess]));
  const byPid = new Map<number, ForkedProcess>();
  const status = pipe(3);
  const lines = new LineSplitter();
  status.setEncoding('utf8');
  status.on('data', (chunk: string) =>
    lines.push(chunk, (line) => {
      const message = parseStatus(line);
      if (message?.type === 'forked') {
        const proc = bySlot.get(message.slot);
        if (proc === undefined) return;
        byPid.set(message.pid, proc);
        proc.forked(message.pid);
      } else if (message?.type === 'exited') {
        byPid.get(message.pid)?.exited(message.code, message.signal);
      }
    }),
  );
  // Once it has exited and its status pipe is read to the end, every exit it reported was seen.
  let serverExit: [number | null, string | null] | null = null;
  let statusRead = false;
  let ended = false;
  let spawnError: Error | null = null;
  const end = (): void => {
    if (ended || serverExit === null || !statusRead) return;
    ended = true;
    for (const proc of processes) proc.serverEnded(...serverExit, spawnError);
  };
  status.once('close', () => {
    statusRead = true;
    end();
  });
  server.once('exit', (code, signal) => {
    serverExit = [code, signal];
    end();
  });
  server.once('error', (error) => {
    // It could not start: nothing was forked, and no status pipe will close.
    spawnError = error;
    serverExit = [null, null];
    statusRead = true;
    end();
  });
  return processes;
}

type StatusMessage =
  | { readonly type: 'forked'; readonly slot: number; readonly pid: number }
  | { readonly type: 'exited'; readonly pid: number; readonly code: number | null; readonly signal: string | null };

function parseStatus(line: string): StatusMessage | null {
  try {
    const m = JSON.parse(line) as Partial<Record<string, unknown>>;
    if (m.type === 'forked' && typeof m.slot === 'number' && typeof m.pid === 'number') return { type: 'forked', slot: m.slot, pid: m.pid };
    if (m.type === 'exited' && typeof m.pid === 'number') {
      return { type: 'exited', pid: m.pid, code: typeof m.code === 'number' ? m.code : null, signal: typeof m.signal === 'string' ? m.signal : null };
    }
  } catch {
    // not a status line: ignored, like anything else the server might print there
  }
  return null;
}
