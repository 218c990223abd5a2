/**
 * Runs the built `minibatch` executable (`dist/cli/minibatch`, which starts Node on
 * `dist/cli/main.cjs`) as a real subprocess, the way a user does, and captures what they would see.
 * Build first (`npm run build`; `npm test` does).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The `minibatch` executable: a shell script that starts Node (src/cli/minibatch.sh). */
export const CLI = fileURLToPath(new URL('../../dist/cli/minibatch', import.meta.url));

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code; null when a signal ended the process (see `signal`). */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface CliOptions {
  /** Working directory. @default the repository root */
  readonly cwd?: string;
  /** Added to (or, with `undefined` values, removed from) the inherited environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Written to stdin, which is then closed. @default nothing (stdin closed) */
  readonly input?: string;
  /** Killed (SIGKILL) after this long: a hung command, not a slow one on a loaded machine. @default 180 s */
  readonly timeoutMs?: number;
  /** Another path to the executable (a link to it, a copy). @default CLI */
  readonly executable?: string;
}

/** `minibatch ...args`, resolved when the process has exited. Never rejects for a non-zero exit. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` before the CLI tests`);
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  const child = spawn(options.executable ?? CLI, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
  try {
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, sig) => resolve([code, sig]));
    });
    return { stdout, stderr, exitCode, signal };
  } finally {
    clearTimeout(timer);
  }
}
