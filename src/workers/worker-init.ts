/**
 * What a worker needs to know of a job, derived once from the resolved job: the fields of the
 * `init` message (docs/ARCHITECTURE.md, "Entry script", "Host channels").
 */
import { dirname } from 'node:path';
import type { RunPaths } from '../core/run-paths.js';
import type { ResolvedJob } from '../spec/types.js';
import type { InitRequest } from './protocol.js';

export type WorkerInit = Omit<InitRequest, 'type' | 'entryLogFile' | 'agentName' | 'stateFile'>;

export function workerInit(job: ResolvedJob, paths: RunPaths): WorkerInit {
  const settings = job.settings;
  return {
    entry: job.module.entry,
    args: job.entryArgs,
    workingDir: dirname(job.module.entry),
    logDir: paths.userLogs,
    outputDir: outputDataPath(job),
    loggingLevel: settings.loggingLevel,
    models: modelInputs(job),
    rowFormat:
      settings.outputAction === 'summary_only' ? 'none' : settings.appendRowFormat === 'txt' ? 'lines' : 'table',
  };
}

export function outputDataPath(job: ResolvedJob): string {
  const path = job.outputs[job.module.outputData];
  if (path === undefined) throw new Error(`outputData ${job.module.outputData} is not bound`);
  return path;
}

/** Bound ModelDirectory inputs by name, for `Model.get_model_path`. */
function modelInputs(job: ResolvedJob): Record<string, string> {
  const models: Record<string, string> = {};
  for (const input of job.module.inputs) {
    const path = job.inputs[input.name];
    if (input.kind === 'port' && input.types.includes('ModelDirectory') && path !== undefined) {
      models[input.name] = path;
    }
  }
  return models;
}
