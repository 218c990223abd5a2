/**
 * The run directory (docs/ARCHITECTURE.md, "Run directory"): creating it, locking it so two
 * processes never drive one run, and saving the resolved job in `run.json` with paths inside the
 * directory stored relative to it, so that a run directory can be moved and resumed elsewhere.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { EnvironmentError, MinibatchError, RunDirConflictError } from '../core/errors.js';
import type { StoredRedisBackend } from './choose-backend.js';
import type { ModuleSpec, ResolvedJob, RunSettings } from '../spec/types.js';
import { runPaths, type RunPaths } from '../core/run-paths.js';
import { writeAtomic } from './atomic-file.js';
import { diskProblem } from './disk-error.js';
import { drivenBy, lockHolder, lockRunDir, type LockOwner } from './run-lock.js';

export { lockRunDir } from './run-lock.js';

export const RUN_JSON_VERSION = 1;
/** Stands for the run directory inside `run.json`. */
const RUN_DIR_TOKEN = '$RUN_DIR';

export interface RunJson {
  readonly version: number;
  readonly runId: string;
  readonly createdAt: string;
  readonly minibatchVersion: string;
  readonly job: ResolvedJob;
  /** Absent: the local backend. A run on Redis: its server (no password), key prefix, own processes. */
  readonly backend?: StoredRedisBackend;
}

/**
 * Makes a new run directory and takes its lock, or refuses one that holds a run (or is being started
 * by another process). Returns its paths and the lock's release function.
 *
 * The folder's contents are judged twice: before locking, so that a folder of someone else's files
 * is never touched, and again under the lock, where no other `run` can be changing them.
 */
export function createRunDir(root: string): { paths: RunPaths; release: () => void } {
  const paths = runPaths(root);
  refuseTaken(paths, false);
  refusePseudoFileSystem(root);
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw unwritableRunDir(root, error);
  }
  const release = lockRunDir(paths);
  try {
    refuseTaken(paths, true);
    // A `run` killed before it wrote run.json: nothing of it can be resumed, and its process is gone
    // (we hold the lock): the user's second `run` takes the folder over.
    if (isUnstartedRun(paths)) {
      for (const name of readdirSync(root)) {
        if (name !== basename(paths.lockFile) && name !== basename(paths.ownerFile)) rmSync(join(root, name), { recursive: true, force: true });
      }
    }
    for (const dir of [paths.workersDir, paths.stdoutDir, paths.stderrDir, paths.entryLogDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    return { paths, release };
  } catch (error) {
    release();
    throw error instanceof MinibatchError ? error : unwritableRunDir(root, error);
  }
}

/**
 * Throws when `paths.root` holds a run, or files that are not a run's start. `locked`: this process
 * holds the lock, so nobody else drives the run.
 */
function refuseTaken(paths: RunPaths, locked: boolean): void {
  const root = paths.root;
  const holder = (): LockOwner | null => (locked ? null : lockHolder(paths));
  if (existsSync(paths.runJson) || existsSync(paths.stateDb)) {
    // Say who drives it, when someone does: that is what a user needs to know first.
    const owner = holder();
    if (owner !== null) throw drivenBy(paths, owner);
    throw new RunDirConflictError(
      `${root} already holds a run; continue it with \`minibatch resume ${root}\`, ` +
        `or choose another --run-dir`,
    );
  }
  if (!existsSync(root) || isUnstartedRun(paths)) return;
  if (!statSync(root).isDirectory() || readdirSync(root).some((name) => name !== basename(paths.lockFile))) {
    // A run starting there this very moment has files the checks above saw half-made.
    const owner = holder();
    if (owner !== null) throw drivenBy(paths, owner);
    // A run scatters logs/, outputs/ and its ledger in its folder: not among someone else's files.
    throw new RunDirConflictError(
      `${root} exists and is not an empty folder; give --run-dir a new or empty folder ` +
        `(by default runs go to .minibatch/runs/<run-id>)`,
    );
  }
}

/**
 * Whether `paths.root` holds only what `run` makes before it writes run.json (`createRunDir`'s empty
 * log folders, the lock, run.json written aside): a start killed before anything could be resumed.
 * An empty folder is not one (there is nothing to take over), nor one with any other file.
 */
function isUnstartedRun(paths: RunPaths): boolean {
  if (!existsSync(paths.root) || !statSync(paths.root).isDirectory()) return false;
  const names = readdirSync(paths.root);
  const ours = (name: string): boolean =>
    name === basename(paths.lockFile) ||
    name.startsWith(basename(paths.ownerFile)) ||
    name.startsWith(`${basename(paths.runJson)}.tmp-`) ||
    (name === basename(paths.logs) && onlyFolders(paths.logs));
  return names.length > 0 && names.every(ours);
}

/** Whether `dir` holds folders only, at any depth: no file. */
function onlyFolders(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).every((entry) => entry.isDirectory() && onlyFolders(join(dir, entry.name)));
}

export function writeRunJson(paths: RunPaths, runJson: RunJson): void {
  const text = JSON.stringify(runJson, (_key, value: unknown) => relativize(value, paths.root), 2);
  writeAtomic(paths.runJson, text + '\n');
}

export function readRunJson(paths: RunPaths): RunJson {
  if (!existsSync(paths.runJson)) {
    if (isUnstartedRun(paths)) {
      throw new RunDirConflictError(
        `${paths.root} holds a run stopped before it began (no run.json): nothing to resume; ` +
          `start it again with \`minibatch run <module> --run-dir ${paths.root}\``,
      );
    }
    throw new RunDirConflictError(`${paths.root} is not a minibatch run directory (no run.json)`);
  }
  const text = readFileSync(paths.runJson, 'utf8');
  return withLaterFields(JSON.parse(text, (_key, value: unknown) => absolutize(value, paths.root)) as RunJson);
}

/**
 * A run.json written before a field existed resumes with that field's default: the settings
 * partitionKeys and gpus, and a module spec's `--output` argument and setting origins.
 */
function withLaterFields(run: RunJson): RunJson {
  const job = run.job;
  const stored = job.module as Omit<ModuleSpec, 'settingOrigins' | 'passOutputArg'> & Partial<ModuleSpec>;
  const module: ModuleSpec = { ...stored, settingOrigins: stored.settingOrigins ?? {}, passOutputArg: stored.passOutputArg ?? true };
  const given = job.settings as Omit<RunSettings, 'partitionKeys' | 'gpus'> & Partial<RunSettings>;
  const settings: RunSettings = { ...given, partitionKeys: given.partitionKeys ?? [], gpus: given.gpus ?? { kind: 'detect' } };
  return { ...run, job: { ...job, module, settings } };
}

function relativize(value: unknown, root: string): unknown {
  if (typeof value !== 'string') return value;
  if (value === root) return RUN_DIR_TOKEN;
  if (value.startsWith(root + sep)) return RUN_DIR_TOKEN + value.slice(root.length);
  return value;
}

function absolutize(value: unknown, root: string): unknown {
  if (typeof value !== 'string' || !value.startsWith(RUN_DIR_TOKEN)) return value;
  return root + value.slice(RUN_DIR_TOKEN.length);
}

/**
 * Removes a new run's directory in which nothing ran (its backend could not start, e.g. a code
 * snapshot over the cap): what the run wrote there, and the folder itself unless it existed before
 * (an empty `--run-dir`). Otherwise each failed attempt would leave a run to trip over.
 */
export function discardRunDir(paths: RunPaths, keepFolder: boolean): void {
  for (const name of readdirSync(paths.root)) rmSync(join(paths.root, name), { recursive: true, force: true });
  if (!keepFolder) rmSync(paths.root, { recursive: true, force: true });
}

/**
 * The run directory cannot be made here (a read-only or foreign working directory, a `--run-dir`
 * under a file, a read-only file system): what and where, and the way out.
 */
function unwritableRunDir(root: string, error: unknown): EnvironmentError {
  const code = (error as NodeJS.ErrnoException).code;
  const problem =
    code === 'ENOTDIR' || code === 'EEXIST' ? `${nearestExisting(root)} is a file, not a folder` :
    // mkdir reports ENOENT for a parent it could not make on a read-only file system, say why.
    code === 'ENOENT' ? `${nearestExisting(root)} cannot hold new folders` :
    diskProblem(error) ?? (error instanceof Error ? error.message : String(error));
  return new EnvironmentError(
    'OUTPUT_UNWRITABLE',
    `cannot create the run directory ${root}: ${problem}; give --run-dir a folder you can write, ` +
      `or start minibatch from one (runs go to .minibatch/runs/ under the current directory)`,
    { cause: error },
  );
}

/** File systems of the kernel's own (statfs magic numbers): a run there can never work, and /proc spins. */
const PSEUDO_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x73636673, 'securityfs'],
]);

function refusePseudoFileSystem(root: string): void {
  const at = nearestExisting(root);
  let type: number;
  try {
    type = statfsSync(at).type;
  } catch {
    return; // mkdir will say what is wrong
  }
  const name = PSEUDO_FILE_SYSTEMS.get(type);
  if (name !== undefined) {
    throw new EnvironmentError(
      'OUTPUT_UNWRITABLE',
      `cannot create the run directory ${root}: ${at} is on ${name}, the kernel's own file system, which holds no files; ` +
        `give --run-dir a folder on a disk`,
    );
  }
}

/** The deepest existing path on the way to `path`. */
function nearestExisting(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/** The default parent of run directories: `.minibatch/runs` under the current directory. */
export function defaultRunsRoot(cwd: string = process.cwd()): string {
  return join(cwd, '.minibatch', 'runs');
}
