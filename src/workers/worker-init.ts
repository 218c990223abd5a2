/**
 * What a worker needs to know of a job, derived once from the resolved job: the fields of the
 * `init` message (docs/ARCHITECTURE.md, "Entry script", "Host channels").
 */
import { dirname, join } from 'node:path';
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
    codeDir: job.module.sourceDir,
    logDir: paths.userLogs,
    outputDir: outputDataPath(job),
    loggingLevel: settings.loggingLevel,
    models: modelInputs(job),
    inputs: job.inputs,
    rowFormat:
      settings.outputAction === 'summary_only' ? 'none' : settings.appendRowFormat === 'txt' ? 'lines' : 'table',
  };
}

/**
 * The outputData folder (`EntryScript().output_dir`, AZUREML_BI_OUTPUT_PATH). An output of type
 * `uri_file` is a file: its folder is the one.
 */
export function outputDataPath(job: ResolvedJob): string {
  const path = job.outputs[job.module.outputData];
  if (path === undefined) throw new Error(`outputData ${job.module.outputData} is not bound`);
  return isFileOutput(job, job.module.outputData) ? dirname(path) : path;
}

/** Where append_row writes: the outputData file itself (`uri_file`), else appendRowFileName in its folder. */
export function appendRowFile(job: ResolvedJob): string {
  const path = job.outputs[job.module.outputData] ?? '';
  return isFileOutput(job, job.module.outputData) ? path : join(path, job.settings.appendRowFileName);
}

/** An output of type `uri_file` (Azure ML v2) names a file, not a folder. */
export function isFileOutput(job: ResolvedJob, name: string): boolean {
  return job.module.outputs.some((o) => o.name === name && o.type === 'uri_file');
}

/** The folders a run creates before it starts: each output's (a `uri_file` output's parent). */
export function outputFolders(job: ResolvedJob): string[] {
  return Object.entries(job.outputs).map(([name, path]) => (isFileOutput(job, name) ? dirname(path) : path));
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
