/**
 * The errors a user reads when a worker process dies or is killed (docs/ARCHITECTURE.md, "Tries", –§4): what
 * happened, to which mini-batch, with which exit code or signal, and the clue from its stderr.
 */
import type { TryTask } from '../core/tries.js';
import type { WorkerError } from '../core/tries.js';

/** Why the parent ended a process; null (in `Death`) means it died on its own: a crash. */
export type Ending<Attempt> =
  | { readonly kind: 'run_timeout'; readonly attempt: Attempt }
  | { readonly kind: 'init_timeout' }
  | { readonly kind: 'init_failed'; readonly error: WorkerError }
  | { readonly kind: 'protocol'; readonly problem: string }
  | { readonly kind: 'stopped' };

/** How a process ended. */
export interface Death {
  readonly worker: string;
  readonly pid: number;
  /** `code 7`, `signal SIGKILL`. */
  readonly exit: string;
  readonly signal: NodeJS.Signals | null;
  /** The last lines it wrote to stderr, and the faulthandler dump among them (or ''). */
  readonly tail: string;
  readonly dump: string;
  readonly ending: Ending<unknown> | null;
  readonly stderrFile: string;
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function lastLines(death: Death): string {
  return death.tail === '' ? '' : `; the last lines of ${death.stderrFile}:\n${indent(death.tail)}`;
}

export function timeoutError(death: Death, timeoutMs: number): WorkerError {
  return {
    type: 'Timeout',
    message:
      `run() did not return within ${seconds(timeoutMs)} (runInvocationTimeout); ${death.worker}'s process group was killed` +
      (death.dump === '' ? '' : '. Where run() was, from the stderr log, is below'),
    traceback: death.dump,
  };
}

export function crashError(task: TryTask, death: Death): WorkerError {
  const { ending, signal } = death;
  const why =
    ending?.kind === 'protocol'
      ? ` after a protocol error (${ending.problem}; does user code write to fd 4?)`
      : signal === 'SIGKILL'
        ? ' (killed: out of memory? see `dmesg`)'
        : signal === 'SIGSEGV' || signal === 'SIGBUS' || signal === 'SIGABRT' || signal === 'SIGFPE'
          ? ' (a crash in native code)'
          : '';
  return {
    type: 'Crash',
    message:
      `${death.worker} (pid ${death.pid}) exited with ${death.exit} while running mini-batch ${task.miniBatch} ` +
      `(try ${task.attempt})${why}${lastLines(death)}`,
    traceback: death.dump,
  };
}

/** Why a process that never became ready counts as an init failure. */
export function initFailure(death: Death, initTimeoutMs: number): WorkerError {
  const { ending } = death;
  switch (ending?.kind) {
    case 'init_failed':
      return ending.error;
    case 'init_timeout':
      return {
        type: 'InitTimeout',
        message:
          `init() did not finish within ${seconds(initTimeoutMs)} (initTimeout); the worker was killed` +
          (death.dump === '' ? '' : '. Where init() was, from the stderr log, is below'),
        traceback: death.dump,
      };
    case 'protocol':
      return { type: 'ProtocolError', message: `the worker host broke the protocol: ${ending.problem}`, traceback: '' };
    default:
      return {
        type: 'WorkerExited',
        message: `the worker exited with ${death.exit} before init() finished${lastLines(death)}`,
        traceback: death.dump,
      };
  }
}
