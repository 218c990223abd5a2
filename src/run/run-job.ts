/**
 * The library's way to run a job: typed options (spec/job-options.ts) in, a `JobResult` out, on
 * this machine's workers through the same `startRun` as `minibatch run` (docs/ARCHITECTURE.md,
 * "Flow"). Nothing is printed unless the caller passes a reporter.
 */
import { Writable } from 'node:stream';
import { join, resolve } from 'node:path';
import { formatDiagnostic } from '../core/errors.js';
import type { JobResult } from '../report/result.js';
import { resolveJob } from '../spec/job-options.js';
import type { ResolveJobOptions } from '../spec/job-options.js';
import type { RunReporter } from './reporter.js';
import { defaultRunsRoot } from './rundir.js';
import { newRunId } from './runId.js';
import { startRun } from './start-run.js';

export interface RunJobOptions extends ResolveJobOptions {
  /**
   * The run directory (`run.json`, `state.db`, `logs/`), relative to `cwd`: made when missing; one
   * that holds another run is refused (`RunDirConflictError`).
   * @default `.minibatch/runs/<run-id>` under the current directory
   */
  readonly runDir?: string;
  /**
   * What the run tells as it goes: its directory, notes (the spec's warnings among them), live
   * progress, and the result.
   * @default silent: nothing is written anywhere
   */
  readonly reporter?: RunReporter;
}

/**
 * Runs the job to its end on this machine and resolves with its result, whether it succeeded or
 * failed (`result.status`, `result.exitCode`; `logs/job_result.json` in the run directory says the
 * same). Rejects with a `MinibatchError` when it cannot start: `SpecError` (the spec or job file),
 * `UsageError` (a binding or setting), `RunDirConflictError`, `EnvironmentError` (no interpreter, a
 * locked run directory, a disk that cannot be written).
 *
 * Like `minibatch run`, it stops the run on SIGINT or SIGTERM while it runs (the run can be resumed).
 */
export async function runJob(options: RunJobOptions): Promise<JobResult> {
  const runId = newRunId();
  const cwd = options.cwd ?? process.cwd();
  const root = options.runDir === undefined ? join(defaultRunsRoot(cwd), runId) : resolve(cwd, options.runDir);
  const reporter = options.reporter ?? silentReporter();
  const { job, diagnostics } = await resolveJob(options, root);
  if (diagnostics.length > 0) reporter.note(diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join(''));
  return startRun({ job, runId, root, redis: null, ownProcesses: null }, reporter);
}

/** A reporter that tells nothing; its progress stream takes lines and drops them. */
export function silentReporter(): RunReporter {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  return {
    runDirectory: () => undefined,
    note: () => undefined,
    finished: () => undefined,
    // Not a terminal, so progress comes as plain lines, which the sink drops.
    progress: { stream: sink as unknown as NodeJS.WriteStream, plain: true },
  };
}
