/**
 * The process side of one worker: its log files, starting the host, the two protocol pipes, and
 * signals to its process group. python-worker.ts holds the lifecycle and the protocol and calls
 * these; nothing here knows what a message means (docs/ARCHITECTURE.md, "Host channels").
 */
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

import { ForkedProcess, type WorkerProcess } from './fork-server.js';
import { LineSplitter } from './wire.js';

/** A worker's stdout and stderr log files, open for appending. */
export interface LogFiles {
  readonly stdout: number;
  readonly stderr: number;
}

/** Closes what `PythonWorker.openLogs` opened (once the process has its own copies). */
export function closeLogs(logs: { readonly stdout: number | null; readonly stderr: number | null }): void {
  if (logs.stdout !== null) closeSync(logs.stdout);
  if (logs.stderr !== null) closeSync(logs.stderr);
}

/**
 * Starts `hostScript` with the log files as fd 1 and 2 and the protocol pipes as fd 3 and 4,
 * detached: its own process group, so a timeout kills what run() started too.
 */
export function spawnHost(
  python: string,
  hostScript: string,
  logs: LogFiles,
  env: NodeJS.ProcessEnv,
): { readonly child: WorkerProcess; readonly input: Writable; readonly output: Readable } {
  const child = spawn(python, ['-u', hostScript], {
    stdio: ['ignore', logs.stdout, logs.stderr, 'pipe', 'pipe'],
    detached: true,
    env,
  });
  return { child, input: child.stdio[3] as Writable, output: child.stdio[4] as Readable };
}

/**
 * The host's two pipes: lines read from fd 4 go to `onLine`; messages to fd 3 written in one tick
 * leave in one write when it ends (a refill of many tries, or cancels and a shutdown, costs one
 * system call and one wake-up of the host, and no stream bookkeeping per message).
 */
export class HostPipes {
  private outbox = '';
  private readonly lines = new LineSplitter();
  /** Closed by `close`: nothing more is written. */
  private closed = false;

  constructor(
    private readonly input: Writable,
    private readonly output: Readable,
    onLine: (line: string) => void,
  ) {
    // Writing to a worker that just died fails with EPIPE; its exit tells the story.
    input.on('error', () => undefined);
    output.on('error', () => undefined);
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => this.lines.push(chunk, onLine));
  }

  /** Queues `text` for the host; everything queued in one tick leaves in one write, in order. */
  send(text: string): void {
    if (this.outbox === '') process.nextTick(this.flush);
    this.outbox += text;
  }

  private readonly flush = (): void => {
    const text = this.outbox;
    this.outbox = '';
    if (!this.closed) this.input.write(text);
  };

  /** Closes both ends: a host still alive sees the hang-up and exits (its watchdog). */
  close(): void {
    this.closed = true;
    this.input.destroy();
    this.output.destroy();
  }
}

/**
 * Signals the whole process group of `pid`: what user code started dies with it. Before the pid is
 * known (a worker its fork server has not forked yet), the fork server is what runs.
 */
export function signalGroup(pid: number, process: WorkerProcess | null, signal: NodeJS.Signals): void {
  if (pid <= 0) {
    // Never -0 or -1: those signal our own group, or everything.
    if (process instanceof ForkedProcess) process.killServer(signal);
    return;
  }
  try {
    globalThis.process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
