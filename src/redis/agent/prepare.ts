/**
 * What a machine does before it serves a run: check that it can read the run's inputs (data paths
 * are read in place, on a shared file system), point the job at the code snapshot instead of the
 * module's folder on the orchestrator's machine, and choose where its logs go.
 *
 * Logs: into the run directory's `logs/` when this machine sees that directory (a shared file
 * system, or the orchestrator's own machine), so that a run's logs are in one place; otherwise
 * into `<cache>/runs/<run-id>/logs/` on this machine, which `minibatch worker` prints.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { runPaths, type RunPaths } from '../../core/run-paths.js';
import type { ResolvedJob } from '../../spec/types.js';
import { explainFsError } from '../snapshot/fs-errors.js';

/** Where code snapshots are unpacked: `<cache>/snapshots/<digest>/`. */
export function snapshotCache(root: string): string {
  return join(root, 'snapshots');
}

/** One sentence per bound input this machine cannot read. */
export async function unreadableInputs(job: ResolvedJob): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, path] of Object.entries(job.inputs)) {
    try {
      await access(path, constants.R_OK);
    } catch (error) {
      problems.push(`input ${name} at ${path} is not readable on this machine (${explainFsError(error)})`);
    }
  }
  return problems;
}

/**
 * The job as this machine runs it: the module's folder is the snapshot's, so the entry script,
 * its working directory and `sys.path` are there. Bound inputs and outputs keep their paths.
 */
export function jobInSnapshot(job: ResolvedJob, snapshotDir: string): ResolvedJob {
  const moved = (path: string): string => join(snapshotDir, relative(job.module.sourceDir, path));
  return {
    ...job,
    module: { ...job.module, sourceDir: snapshotDir, file: moved(job.module.file), entry: moved(job.module.entry) },
  };
}

/** The run directory's layout when it is visible and writable here, else one under the cache. */
export async function logPathsFor(runId: string, runDir: string | null, cache: string): Promise<RunPaths> {
  if (runDir !== null) {
    try {
      await access(join(runDir, 'logs'), constants.W_OK);
      return runPaths(runDir);
    } catch {
      // Not shared with this machine.
    }
  }
  const paths = runPaths(join(cache, 'runs', runId));
  await mkdir(dirname(paths.workersDir), { recursive: true });
  return paths;
}
