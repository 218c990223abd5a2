/**
 * Resolving the Python interpreter (docs/ARCHITECTURE.md, "Entry script"): the configured command is run once per machine to
 * learn its own `sys.executable`, which workers are then started with. A pyenv shim is a bash script
 * that costs ~100 ms per start and `realpath` does not see through it; a virtualenv's
 * `bin/python` stays as it is (it is how the venv is activated).
 *
 * The probe runs with `-S` (no `site`): `sys.executable` and the version do not depend on it, and
 * `site` is most of a start-up (its `.pth` files may import packages: ~30 ms of ~40 here). What the
 * probe of a binary found is remembered in the cache folder (below).
 */
import { execFile } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

import { cacheRoot, writeCacheFile } from '../core/cache-root.js';
import { EnvironmentError } from '../core/errors.js';

export interface Interpreter {
  /** The interpreter's own `sys.executable`: what workers are started with. */
  readonly executable: string;
  /** `major.minor.micro`, e.g. `3.11.7`. */
  readonly version: string;
}

/** The worker host's floor (python/_minibatch_host.py is written for it). */
export const MIN_PYTHON: readonly [number, number] = [3, 8];

/** A cold start of conda or pyenv on a slow disk can take seconds; a hung one must not hang us. */
const PROBE_TIMEOUT_MS = 30_000;

const PROBE =
  'import sys, json; print(json.dumps({"executable": sys.executable, "version": "%d.%d.%d" % tuple(sys.version_info[:3])}))';

const HOW_TO_FIX =
  'Name a Python 3.8 or later with --python /path/to/python (or `python:` in the job file, or ' +
  '`amlEnvironment.python.interpreterPath` in the module spec).';

const interpreters = new Map<string, Promise<Interpreter>>();
const pandasChecks = new Map<string, Promise<string>>();

/**
 * The interpreter that `command` (a name on PATH or a path) starts, resolved once per process, and
 * once per machine for a binary (remembered in the cache folder while the file stays the same).
 * Throws `EnvironmentError('INTERPRETER_UNAVAILABLE')` saying what was tried and how to fix it.
 */
export async function resolveInterpreter(command: string): Promise<Interpreter> {
  return cached(interpreters, command, async () => {
    const binary = binaryInterpreter(command);
    const known = binary === null ? null : recall(binary);
    if (known !== null) {
      const tooOld = checkPythonVersion(command, known.version);
      if (tooOld !== null) throw new EnvironmentError('INTERPRETER_UNAVAILABLE', tooOld);
      return known;
    }
    const found = await probe(command);
    if (binary !== null) remember(binary, found);
    return found;
  });
}

// ---- interpreters probed before -------------------------------------------------------------
// A binary's version and `sys.executable` cannot change while the file stays the same: what its
// probe said is kept in `<cache>/interpreters.json` under its path, with the file's size, mtime
// and ctime, and a later run skips the probe (a Python start-up, ~20 ms of CPU while the workers
// start). Scripts (pyenv shims, wrappers) are probed every time: what they start can change.

interface Remembered extends Interpreter {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** Entries kept: the most recently probed. */
const REMEMBERED_MAX = 32;

const rememberedFile = (): string => join(cacheRoot(), 'interpreters.json');

function identity(binary: string): Pick<Remembered, 'size' | 'mtimeMs' | 'ctimeMs'> | null {
  try {
    const { size, mtimeMs, ctimeMs } = statSync(binary);
    return { size, mtimeMs, ctimeMs };
  } catch {
    return null;
  }
}

function readRemembered(): Record<string, Remembered> {
  try {
    const value: unknown = JSON.parse(readFileSync(rememberedFile(), 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, Remembered>) : {};
  } catch {
    return {}; // none yet, or unreadable: probe
  }
}

/** Only the version is taken from the file: what runs is the binary itself, whoever wrote the file. */
function recall(binary: string): Interpreter | null {
  const entry = readRemembered()[binary];
  const now = identity(binary);
  if (entry === undefined || now === null) return null;
  if (entry.size !== now.size || entry.mtimeMs !== now.mtimeMs || entry.ctimeMs !== now.ctimeMs) return null;
  if (entry.executable !== binary || typeof entry.version !== 'string') return null;
  return { executable: binary, version: entry.version };
}

/**
 * Keeps what the probe of `binary` found, when the binary is its own `sys.executable` (an embedded
 * or unusual interpreter that says otherwise is probed every time); a cache that cannot be written
 * costs only the next probe.
 */
function remember(binary: string, found: Interpreter): void {
  const id = identity(binary);
  if (id === null || found.executable !== binary) return;
  try {
    const entries = Object.entries(readRemembered()).filter(([path]) => path !== binary);
    entries.push([binary, { ...id, executable: found.executable, version: found.version }]);
    writeCacheFile(rememberedFile(), JSON.stringify(Object.fromEntries(entries.slice(-REMEMBERED_MAX)), null, 1) + '\n');
  } catch {
    // read-only or full: probe again next time
  }
}

/**
 * What `command` starts, when that is known without the probe: an executable binary, found as the
 * kernel and Python find it (a path, or the first match on PATH), is its own `sys.executable`.
 * Workers can then start while the probe checks the version. Null for a script (a pyenv shim, a
 * wrapper), which only the probe can see through, and for anything not found.
 */
export function binaryInterpreter(command: string): string | null {
  const candidates = command.includes('/')
    ? [resolve(command)]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => resolve(dir === '' ? '.' : dir, command));
  for (const candidate of candidates) {
    let fd: number;
    try {
      accessSync(candidate, constants.X_OK);
      if (!statSync(candidate).isFile()) continue;
      fd = openSync(candidate, 'r');
    } catch {
      continue;
    }
    try {
      const head = Buffer.alloc(2);
      const read = readSync(fd, head, 0, 2, 0);
      return read === 2 && head.toString('latin1') === '#!' ? null : candidate;
    } finally {
      closeSync(fd);
    }
  }
  return null;
}

/** Null when `version` (`3.11.7`) is one minibatch runs on; else why not. */
function checkPythonVersion(executable: string, version: string): string | null {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])) return null;
  return `\`${executable}\` is Python ${version}; minibatch needs ${MIN_PYTHON.join('.')} or later. ${HOW_TO_FIX}`;
}

/**
 * pandas's version as `executable` imports it; tabular data needs it (docs/ARCHITECTURE.md, "Entry script"), and its absence
 * is reported before a run starts. Throws `EnvironmentError('INTERPRETER_UNAVAILABLE')`.
 */
export async function checkPandas(executable: string): Promise<string> {
  return cached(pandasChecks, executable, async () => {
    const out = await runPython(executable, 'import pandas; print(pandas.__version__)').catch((error: unknown) => {
      throw new EnvironmentError(
        'INTERPRETER_UNAVAILABLE',
        `tabular data needs pandas, but \`import pandas\` fails with ${executable}: ${describeFailure(error)}. ` +
          `Install it into that interpreter (\`${executable} -m pip install pandas\`), or name one that has it with --python.`,
        { cause: error },
      );
    });
    return out.trim();
  });
}

async function probe(command: string): Promise<Interpreter> {
  let stdout: string;
  try {
    stdout = await runPython(command, PROBE, ['-S']);
  } catch (error) {
    throw new EnvironmentError(
      'INTERPRETER_UNAVAILABLE',
      `cannot start the Python interpreter \`${command}\`: ${describeFailure(error)}. ${HOW_TO_FIX}`,
      { cause: error },
    );
  }
  const found = parseProbe(stdout);
  if (found === null) {
    throw new EnvironmentError(
      'INTERPRETER_UNAVAILABLE',
      `\`${command}\` does not behave like Python: asked for its sys.executable, it printed ${JSON.stringify(stdout.slice(0, 200))}. ${HOW_TO_FIX}`,
    );
  }
  const tooOld = checkPythonVersion(command, found.version);
  if (tooOld !== null) throw new EnvironmentError('INTERPRETER_UNAVAILABLE', tooOld);
  // An embedded interpreter may not know its own path; the command itself then has to do.
  return { executable: found.executable === '' ? command : found.executable, version: found.version };
}

function parseProbe(stdout: string): Interpreter | null {
  try {
    const value: unknown = JSON.parse(stdout.trim());
    if (typeof value === 'object' && value !== null) {
      const { executable, version } = value as Record<string, unknown>;
      if (typeof executable === 'string' && typeof version === 'string') return { executable, version };
    }
  } catch {
    // fall through: not our probe's output
  }
  return null;
}

/** A failed `python -c`, with what it printed on stderr. */
class PythonFailure extends Error {
  constructor(
    readonly code: unknown,
    readonly killed: boolean,
    readonly stderr: string,
    options: { cause: unknown },
  ) {
    super(`python failed: ${String(code)}`, options);
  }
}

function runPython(command: string, code: string, flags: readonly string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...flags, '-c', code], { timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new PythonFailure(error.code, error.killed === true, stderr, { cause: error }));
      else resolve(stdout);
    });
  });
}

function describeFailure(error: unknown): string {
  if (!(error instanceof PythonFailure)) return String(error);
  if (error.code === 'ENOENT') return 'not found (neither a path nor a command on PATH)';
  if (error.code === 'EACCES') return 'not executable (permission denied)';
  if (error.killed) return `no answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  const last = error.stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .at(-1);
  if (last !== undefined) return last.trim();
  return typeof error.code === 'number' ? `it exited with code ${error.code}` : error.message;
}

function cached<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let promise = cache.get(key);
  if (promise === undefined) {
    promise = make();
    cache.set(key, promise);
    // A failure is not cached: the user may fix it (install pandas) and the process try again.
    void promise.catch(() => cache.delete(key));
  }
  return promise;
}
