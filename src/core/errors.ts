/**
 * The error classes of minibatch. Each has a stable `code` (for programs and tests) and an
 * `exitCode` (docs/ARCHITECTURE.md, "Tries"): 2 bad input, 3 cannot run here, 1 the run failed, 130 interrupted.
 *
 * The CLI prints a `MinibatchError` as its message alone; anything else is a bug and is
 * printed with its stack.
 */

export const EXIT = {
  ok: 0,
  runFailed: 1,
  badInput: 2,
  cannotRun: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type ErrorCode =
  /** The module spec cannot be read as YAML (missing, a directory, binary, malformed, a bomb). */
  | 'SPEC_UNREADABLE'
  /** The module spec was read but breaks rules; `diagnostics` lists each. */
  | 'SPEC_INVALID'
  /**
   * An input's MLTable file cannot be read or asks for what minibatch does not do (a remote path, an
   * unsupported transformation); `diagnostics` name each place.
   */
  | 'MLTABLE_INVALID'
  /** A job file, binding or flag is wrong (unknown name, bad value, missing required input). */
  | 'USAGE'
  /** A run directory exists and holds another run, or is not a run directory. */
  | 'RUN_DIR_CONFLICT'
  /** Another live process drives this run directory. */
  | 'RUN_DIR_LOCKED'
  /** The interpreter (or pandas, for tabular data) cannot be started here. */
  | 'INTERPRETER_UNAVAILABLE'
  /** Redis cannot be reached, refuses our password, or is configured unsafely. */
  | 'REDIS_UNAVAILABLE'
  /** An output or the run directory cannot be written (full disk, read-only). */
  | 'OUTPUT_UNWRITABLE'
  /** This process ran out of file descriptors (EMFILE, ENFILE): `ulimit -n`. */
  | 'TOO_MANY_OPEN_FILES'
  /** `minibatch ui` cannot listen on the port and address asked for. */
  | 'PORT_UNAVAILABLE'
  /** The run ended and failed (threshold exceeded, nothing succeeded, workers cannot init). */
  | 'RUN_FAILED'
  /** The user interrupted the run. */
  | 'INTERRUPTED';

/** One problem found in a file, at a place: `file:line:col: message`. Lines and columns count from 1. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning' | 'note';
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const tag = d.severity === 'error' ? '' : `${d.severity}: `;
  return `${d.file}:${d.line}:${d.col}: ${tag}${d.message}`;
}

export abstract class MinibatchError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly exitCode: ExitCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The spec (or a job file, or an input's MLTable) could not be read or broke rules. Exit 2. */
export class SpecError extends MinibatchError {
  readonly exitCode = EXIT.badInput;
  readonly code: 'SPEC_UNREADABLE' | 'SPEC_INVALID' | 'MLTABLE_INVALID';
  readonly diagnostics: readonly Diagnostic[];
  constructor(
    code: 'SPEC_UNREADABLE' | 'SPEC_INVALID' | 'MLTABLE_INVALID',
    diagnostics: readonly Diagnostic[],
    options?: { cause?: unknown },
  ) {
    super(diagnostics.map(formatDiagnostic).join('\n'), options);
    this.code = code;
    this.diagnostics = diagnostics;
  }
}

/** A binding, flag or job-file value is wrong. Exit 2. */
export class UsageError extends MinibatchError {
  readonly code = 'USAGE';
  readonly exitCode = EXIT.badInput;
}

/** A run directory holds another run, or is not a run directory. Exit 2. */
export class RunDirConflictError extends MinibatchError {
  readonly code = 'RUN_DIR_CONFLICT';
  readonly exitCode = EXIT.badInput;
}

type EnvironmentCode = 'RUN_DIR_LOCKED' | 'INTERPRETER_UNAVAILABLE' | 'REDIS_UNAVAILABLE' | 'OUTPUT_UNWRITABLE' | 'TOO_MANY_OPEN_FILES' | 'PORT_UNAVAILABLE';

/** Something this machine lacks or refuses: a lock, an interpreter, Redis, a writable disk. Exit 3. */
export class EnvironmentError extends MinibatchError {
  readonly exitCode = EXIT.cannotRun;
  readonly code: EnvironmentCode;
  constructor(
    code: EnvironmentCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
  }
}

/** The run ran and failed. Exit 1. The job result in the run directory says why in full. */
export class RunFailedError extends MinibatchError {
  readonly code = 'RUN_FAILED';
  readonly exitCode = EXIT.runFailed;
}

/** The user pressed Ctrl-C. Exit 130. */
export class InterruptedError extends MinibatchError {
  readonly code = 'INTERRUPTED';
  readonly exitCode = EXIT.interrupted;
}
