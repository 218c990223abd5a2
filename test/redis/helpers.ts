/**
 * Helpers for the Redis backend's end-to-end tests: the built CLI as long-running processes (an
 * orchestrator, `minibatch worker`s) that a test can watch, signal and kill like a user or a
 * failing machine would, and the environment that points them at a test's Redis and shortens the
 * backend's clocks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, REPO_ROOT, type CliResult } from '../helpers/cli.js';
import { makeModule, type ModuleOptions, type TestModule } from '../helpers/module.js';
import type { RedisServer } from '../helpers/redis-server.js';

const RECORDS_ENTRY = fileURLToPath(new URL('./fixtures/records.py', import.meta.url));

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<CliResult>;
  /** Resolves once stdout or stderr matches; rejects after `timeoutMs` (default 60 s: a wait on a loaded machine) or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** `minibatch …args` as a long-running process. */
export function startCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Proc {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` first`);
  const child = spawn(CLI, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of listeners) l();
  };
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
    notify();
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.once('close', (exitCode, signal) => {
      running.delete(child);
      resolve({ stdout: out, stderr: err, exitCode, signal });
      notify();
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    pid: child.pid ?? 0,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(out) || pattern.test(err)) finish(null);
          else if (done) finish(new Error(`exited before printing ${pattern}:\n${out}\n${err}`));
        };
        const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
        const finish = (error: Error | null): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** `pid` and every process below it (read from /proc), deepest first. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const walk = (p: number): number[] => [...(children.get(p) ?? []).flatMap(walk), p];
  return walk(pid);
}

/** A machine dies: `kill -9` of a process and all its descendants (Python workers included) at once. */
export function killMachine(pid: number): number[] {
  const tree = processTree(pid);
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return tree;
}

/** The environment of every process of a test cluster: its Redis prefix, short clocks, its own cache. */
export function clusterEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MINIBATCH_REDIS_PREFIX: prefix,
    MINIBATCH_REDIS_LOCK_MS: '1500',
    MINIBATCH_REDIS_STALLED_MS: '500',
    MINIBATCH_REDIS_POLL_MS: '200',
    MINIBATCH_CACHE_DIR: mkdtempSync(join(tmpdir(), 'mb-cache-')),
    ...extra,
  };
}

/** A module whose entry records its calls (fixtures/records.py); `calls` is the file it appends to. */
export function recordingModule(opts: Omit<ModuleOptions, 'entry'>): TestModule & { calls: string; moduleDir: string } {
  const m = makeModule({ ...opts, entry: 'ok' });
  const moduleDir = join(m.root, 'module');
  copyFileSync(RECORDS_ENTRY, join(moduleDir, 'entry.py'));
  return { ...m, calls: join(m.root, 'calls.txt'), moduleDir };
}

export interface Call {
  readonly miniBatch: number;
  readonly worker: string;
  readonly pid: number;
  readonly codeDir: string;
}

export function readCalls(file: string): Call[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [miniBatch = '', worker = '', pid = '', ...dir] = l.split(' ');
      return { miniBatch: Number(miniBatch), worker, pid: Number(pid), codeDir: dir.join(' ') };
    });
}

/** Polls until `predicate` holds (or throws after `timeoutMs`). */
export async function until(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `minibatch run` of `m` on the test's Redis. */
export function redisRunArgs(m: TestModule, server: RedisServer, extra: readonly string[] = []): string[] {
  return [
    'run', m.spec, '--input', `Data=${m.data}`, '--output', `Out=${m.out}`, '--run-dir', m.runDir,
    '--no-progress', '--backend', server.url, ...extra,
  ];
}
