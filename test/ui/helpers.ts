/**
 * For the web view's tests: a module whose mini-batches vary in length and fail on `bad…` files
 * (fixtures/entries/varied.py), the `minibatch ui` server started as a user starts it, and a real
 * headless Chromium (Debian's `chromium`, driven by playwright-core; nothing is downloaded).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CLI, REPO_ROOT } from '../helpers/cli.js';
import { ENTRIES, writeSpec } from '../helpers/module.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots and other things to look at after a run of the tests (git-ignored). */
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

/** Why the browser tests cannot run here, or null. CI must have Chromium (`.ci/run` installs it). */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; CI installs Debian's chromium (.ci/run)`);
  return `${CHROMIUM} is missing (apt-get install chromium)`;
}

export async function launchBrowser(options: { readonly offline?: boolean } = {}): Promise<BrowserContext> {
  // A new, empty profile each time.
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'mb-chromium-')), {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 900 },
    offline: options.offline === true,
  });
}

export interface UiModule {
  readonly root: string;
  readonly spec: string;
  readonly data: string;
  /** `minibatch run …` arguments for a run in `runDir`. */
  runArgs(runDir: string, opts: { readonly processes: number; readonly sleepMs: number; readonly miniBatchSize?: number }): string[];
}

/** A module `Score Images` over `files` (content: the name). */
export function makeUiModule(root: string, files: readonly string[]): UiModule {
  const moduleDir = join(root, 'module');
  const data = join(root, 'data');
  mkdirSync(moduleDir, { recursive: true });
  mkdirSync(data, { recursive: true });
  copyFileSync(join(ENTRIES, 'varied.py'), join(moduleDir, 'varied.py'));
  const spec = join(moduleDir, 'module.yaml');
  writeSpec(spec, { moduleName: 'Score Images', moduleVersion: '1.2.0', input: 'Images', output: 'Scores', entry: 'varied.py' });
  for (const name of files) writeFileSync(join(data, name), name);
  return {
    root,
    spec,
    data,
    runArgs: (runDir, opts) => [
      'run', spec,
      '--input', `Images=${data}`,
      '--mini-batch-size', String(opts.miniBatchSize ?? 2),
      '--processes', String(opts.processes),
      '--output-action', 'append_row',
      '--run-max-try', '2',
      '--env', `SLEEP_MS=${opts.sleepMs}`,
      '--run-dir', runDir,
      '--no-progress',
    ],
  };
}

export interface UiServer {
  /** `http://127.0.0.1:PORT/` (with `?token=…` off loopback). */
  readonly url: string;
  readonly child: ChildProcess;
  /** What the server printed. */
  output(): string;
  stop(): Promise<void>;
}

/** `minibatch ui …args` in `cwd`, once it says where it serves. */
export async function startUi(args: readonly string[], cwd: string, env: Readonly<Record<string, string>>): Promise<UiServer> {
  const child = spawn(CLI, ['ui', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`minibatch ui did not start:\n${out}`)), 60_000);
    const look = (): void => {
      const match = /serving (\S+)/.exec(out);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`minibatch ui exited (${code}):\n${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
