/**
 * The variables an entry script finds as it would on Azure ML, on top of the ones docs/ARCHITECTURE.md ("Entry script") lists
 * (AZUREML_BI_OUTPUT_PATH, MINIBATCH_*): AZUREML_MODEL_DIR, AZUREML_NODE_COUNT,
 * AZ_BATCHAI_GPU_COUNT_FOUND, the slots' GPUs, and where the offline azureml.core keeps metrics,
 * uploads and registered models (docs/AZURE.md).
 */
import { dirname } from 'node:path';
import { MODEL_REGISTRY_ENV, modelRegistry } from '../core/model-registry.js';
import type { ResolvedJob } from '../spec/types.js';
import type { GpuAssignment } from './gpus.js';

/** The host reads this (comma-separated, index = slot) and sets CUDA_VISIBLE_DEVICES to its slot's. */
export const SLOT_DEVICES_ENV = 'MINIBATCH_SLOT_DEVICES';

/**
 * The model input: a bound port of a model type (a deployment's `model`, a module's
 * ModelDirectory). Azure sets AZUREML_MODEL_DIR to the folder that holds the model, so scripts
 * read `os.path.join(os.environ['AZUREML_MODEL_DIR'], 'model')`: its parent, here.
 */
export function modelDir(job: ResolvedJob): string | null {
  for (const input of job.module.inputs) {
    const path = job.inputs[input.name];
    if (input.kind === 'port' && input.types.includes('ModelDirectory') && path !== undefined) return dirname(path);
  }
  return null;
}

export function scriptEnvironment(job: ResolvedJob, runDir: string, gpus: GpuAssignment): Record<string, string> {
  const env: Record<string, string> = {
    ...job.settings.environmentVariables,
    AZUREML_NODE_COUNT: String(job.settings.nodeCount),
    AZ_BATCHAI_GPU_COUNT_FOUND: String(gpus.devices.length),
    MINIBATCH_RUN_DIR: runDir,
    [MODEL_REGISTRY_ENV]: modelRegistry(),
  };
  const model = modelDir(job);
  if (model !== null) env.AZUREML_MODEL_DIR = model;
  if (gpus.perSlot !== null) env[SLOT_DEVICES_ENV] = gpus.perSlot.join(',');
  return env;
}
