/**
 * `minibatch run <spec|job> [bindings] [settings] [--run-dir DIR]`: a new run on this machine
 * (issue 3). Prints the run directory first, progress on stderr, then the summary; exits 0 when the
 * run succeeded within its thresholds, 1 when it failed, 2 for bad input, 3 when it cannot run
 * here, 130 when interrupted.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { planJob } from '../data/dataset.js';
import { Ledger } from '../ledger/sqlite.js';
import { writeLogsReadme } from '../report/readme.js';
import { formatSummary } from '../report/summary.js';
import { executeRun } from '../run/execute.js';
import { createLocalBackend } from '../run/local-backend.js';
import { createRunDir, defaultRunsRoot, lockRunDir, RUN_JSON_VERSION, writeRunJson } from '../run/rundir.js';
import { newRunId } from '../run/runId.js';
import { MINIBATCH_VERSION } from '../version.js';
import { resolveInterpreter } from '../workers/interpreter.js';
import { addJobOptions, resolveJobFromCli, type JobOptions } from './options.js';
import { printDiagnostics } from './validate.js';

export interface RunOptions extends JobOptions {
  readonly runDir?: string;
  /** commander's `--no-progress`: false when given. */
  readonly progress: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('run')
    .description('run a parallel module over its inputs, on this machine')
    .argument('<spec|job>', 'a module spec, or a job file (module: ./module.yaml)');
  addJobOptions(command)
    .option('--run-dir <dir>', 'the run directory (default: .minibatch/runs/<run-id>)')
    .option('--no-progress', 'print progress lines instead of a bar, even on a terminal')
    .action(async (target: string, opts: RunOptions) => {
      process.exitCode = await runCommand(target, opts);
    });
}

export async function runCommand(target: string, opts: RunOptions): Promise<number> {
  const runId = newRunId();
  const root = opts.runDir === undefined ? join(defaultRunsRoot(), runId) : resolve(opts.runDir);
  const { job, diagnostics } = await resolveJobFromCli(target, opts, root);
  printDiagnostics(diagnostics);
  const plan = planJob(job);
  const interpreter = await resolveInterpreter(job.settings.python);

  const paths = createRunDir(root);
  const release = lockRunDir(paths);
  try {
    process.stdout.write(`run directory: ${root}\n`);
    writeRunJson(paths, {
      version: RUN_JSON_VERSION,
      runId,
      createdAt: new Date().toISOString(),
      minibatchVersion: MINIBATCH_VERSION,
      job,
    });
    writeLogsReadme(paths);
    const ledger = Ledger.create(root);
    try {
      const result = await executeRun({
        job,
        runId,
        paths,
        ledger,
        backend: createLocalBackend(job, paths, runId, interpreter.executable),
        plan,
        progressStream: process.stderr,
        plainProgress: !opts.progress,
        handleSignals: true,
        resumeHint: `minibatch resume ${root}`,
      });
      process.stdout.write(formatSummary(result));
      return result.exitCode;
    } finally {
      ledger.close();
    }
  } finally {
    release();
  }
}
