/**
 * The run directory's layout (docs/ARCHITECTURE.md, "Run directory"). Every path a run writes is named here, once.
 */
import { join } from 'node:path';

export interface RunPaths {
  readonly root: string;
  /** The resolved job: spec, bindings, settings, versions. */
  readonly runJson: string;
  /** The SQLite ledger (WAL). */
  readonly stateDb: string;
  /** Held while a process drives the run. */
  readonly lockFile: string;
  readonly logs: string;
  readonly readme: string;
  readonly progressOverview: string;
  readonly jobResultTxt: string;
  readonly jobResultJson: string;
  readonly jobErrorTxt: string;
  readonly processedMiniBatchesCsv: string;
  readonly workersDir: string;
  /** `EntryScript().log_dir`. */
  readonly userLogs: string;
  readonly stdoutDir: string;
  readonly stderrDir: string;
  readonly entryLogDir: string;
  /** Where unbound outputs go: `outputs/<snake_case name>`. */
  readonly outputsDir: string;
  workerLog(worker: string): string;
  /** The worker's run-state file (src/workers/run-state.ts): which run its process is in. */
  workerState(worker: string): string;
  stdout(worker: string): string;
  stderr(worker: string): string;
  entryLog(worker: string): string;
}

export function runPaths(root: string): RunPaths {
  const logs = join(root, 'logs');
  const userLogs = join(logs, 'user');
  const workersDir = join(logs, 'sys', 'workers');
  const stdoutDir = join(userLogs, 'stdout');
  const stderrDir = join(userLogs, 'stderr');
  const entryLogDir = join(userLogs, 'entry_script_log');
  return {
    root,
    runJson: join(root, 'run.json'),
    stateDb: join(root, 'state.db'),
    lockFile: join(root, 'run.lock'),
    logs,
    readme: join(logs, 'readme.txt'),
    progressOverview: join(logs, 'job_progress_overview.txt'),
    jobResultTxt: join(logs, 'job_result.txt'),
    jobResultJson: join(logs, 'job_result.json'),
    jobErrorTxt: join(logs, 'job_error.txt'),
    processedMiniBatchesCsv: join(logs, 'sys', 'processed_mini_batches.csv'),
    workersDir,
    userLogs,
    stdoutDir,
    stderrDir,
    entryLogDir,
    outputsDir: join(root, 'outputs'),
    workerLog: (w) => join(workersDir, `${w}.txt`),
    workerState: (w) => join(workersDir, `.${w}.run-state`),
    stdout: (w) => join(stdoutDir, `${w}.txt`),
    stderr: (w) => join(stderrDir, `${w}.txt`),
    entryLog: (w) => join(entryLogDir, `${w}.txt`),
  };
}
