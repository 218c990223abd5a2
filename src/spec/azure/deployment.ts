/**
 * A batch-endpoint deployment (`deployment.yml` with `code_configuration`): its scoring script
 * runs over the data `az ml batch-endpoint invoke --input` would send, bound here with
 * `--input PATH` (a folder or a file), and writes `output_file_name` (default predictions.csv)
 * into `--output PATH` or under the run directory. Keys and defaults follow Azure's documented
 * schema (CLI v2 batch deployment YAML): the settings live under `settings:` (`type: model`), or at
 * the top level in the older form without `type` (docs/AZURE.md).
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { YamlPath } from '../diagnostics.js';
import type { ModuleSpec, SettingName } from '../types.js';
import type { CompileContext } from './compile-context.js';
import { compileEnvironment } from './environment.js';
import { isRemotePath } from './inputs.js';

const SETTING_KEYS = ['max_concurrency_per_instance', 'error_threshold', 'logging_level', 'mini_batch_size', 'retry_settings', 'output_action', 'output_file_name', 'environment_variables'];
const DEPLOYMENT_KEYS = ['$schema', 'name', 'description', 'tags', 'endpoint_name', 'type', 'model', 'code_configuration', 'environment', 'compute', 'resources', 'settings', 'properties'];
const MODEL_KEYS = ['$schema', 'name', 'version', 'path', 'type', 'description', 'tags', 'properties', 'stage', 'flavors'];

/** The names of the deployment's input, output and model, as `--input`, `--output` and `Model.get_model_path` see them. */
export const DEPLOYMENT_INPUT = 'input';
export const DEPLOYMENT_OUTPUT = 'output';
export const DEPLOYMENT_MODEL = 'model';

/** Azure's defaults for a model deployment, which differ from ParallelRunStep's. */
const DEFAULTS: readonly [SettingName, unknown][] = [
  ['processCountPerNode', 1],
  ['runMaxTry', 3],
  ['runInvocationTimeoutMs', 30],
  ['outputAction', 'append_row'],
  ['appendRowFileName', 'predictions.csv'],
];

export async function compileDeployment(ctx: CompileContext): Promise<ModuleSpec | undefined> {
  const type = ctx.text(['type'], 'model or pipeline');
  if (type === 'pipeline') {
    ctx.diags.error(['type'], 'a pipeline component deployment is not supported: minibatch runs model deployments (type: model) and parallel pipeline nodes (--node)');
    return undefined;
  }
  if (type !== undefined && type !== 'model') ctx.diags.error(['type'], `type \`${type}\` must be model or pipeline`);
  // With `type`, settings live under `settings:`; without it, at the top level (Azure's older form).
  const at: YamlPath = type === undefined ? [] : ['settings'];
  ctx.strictKeys([], type === undefined ? [...DEPLOYMENT_KEYS.filter((k) => k !== 'settings'), ...SETTING_KEYS] : DEPLOYMENT_KEYS);
  if (type !== undefined) ctx.strictKeys(['settings'], SETTING_KEYS);
  ctx.strictKeys([...at, 'retry_settings'], ['max_retries', 'timeout']);
  ctx.strictKeys(['code_configuration'], ['code', 'scoring_script']);
  ctx.strictKeys(['resources'], ['instance_count', 'instance_type', 'properties']);

  for (const [name, value] of DEFAULTS) ctx.defaultSetting(name, value, 'batch deployment default');
  const p = (...keys: string[]): YamlPath => [...at, ...keys];
  ctx.setting('processCountPerNode', p('max_concurrency_per_instance'));
  ctx.setting('errorThreshold', p('error_threshold'));
  ctx.setting('loggingLevel', p('logging_level'));
  ctx.setting('miniBatchSize', p('mini_batch_size'));
  ctx.setting('runMaxTry', p('retry_settings', 'max_retries'));
  ctx.setting('runInvocationTimeoutMs', p('retry_settings', 'timeout'));
  ctx.setting('outputAction', p('output_action'));
  ctx.setting('appendRowFileName', p('output_file_name'));
  ctx.setting('environmentVariables', p('environment_variables'));
  ctx.setting('nodeCount', ['resources', 'instance_count']);
  for (const key of ['compute', 'endpoint_name']) {
    if (ctx.value([key]) !== undefined) ctx.diags.note([key], `${key} is ignored: the deployment is scored on this machine`, 'key');
  }
  if (ctx.value(['resources', 'instance_type']) !== undefined) ctx.diags.note(['resources', 'instance_type'], 'resources.instance_type is ignored: minibatch runs no cloud instances', 'key');

  ctx.inputs.push({ kind: 'port', name: DEPLOYMENT_INPUT, types: ['uri_folder', 'uri_file', 'AnyDirectory', 'AnyFile'], optional: false, description: 'the data to score' });
  ctx.missing[DEPLOYMENT_INPUT] = 'a batch deployment scores the data given with --input PATH (a folder or a file), as `az ml batch-endpoint invoke --input` takes it';
  ctx.outputs.push({ name: DEPLOYMENT_OUTPUT, type: 'uri_folder', description: 'where output_file_name is written' });
  compileModel(ctx);

  const code = resolve(ctx.baseDir, ctx.text(['code_configuration', 'code'], 'a folder of source code') ?? '.');
  const script = await scoringScript(ctx, code);
  const environment = compileEnvironment(ctx, ['environment']);
  if (ctx.diags.errorCount > 0 || script === undefined) return undefined;
  const name = ctx.text(['name'], 'a name') ?? 'deployment';
  return {
    file: ctx.file.path,
    sourceDir: code,
    name,
    version: '(unversioned)',
    namespace: ctx.text(['endpoint_name'], 'an endpoint name') ?? null,
    description: ctx.text(['description'], 'a text') ?? null,
    isDeterministic: null,
    inputs: ctx.inputs,
    outputs: ctx.outputs,
    environment,
    inputData: [DEPLOYMENT_INPUT],
    outputData: DEPLOYMENT_OUTPUT,
    entry: script,
    args: [],
    passOutputArg: false,
    settings: ctx.resolvedSettings(),
    settingOrigins: ctx.origins,
  };
}

/** `model: {path: ./model}` is the model input; `azureml:name:version` must be bound with --input model=PATH. */
function compileModel(ctx: CompileContext): void {
  const model = ctx.value(['model']);
  if (model === undefined || model === null) return;
  ctx.inputs.push({ kind: 'port', name: DEPLOYMENT_MODEL, types: ['custom_model', 'ModelDirectory'], optional: false, description: 'the model' });
  const path = typeof model === 'string' ? model : (model as Record<string, unknown>).path;
  const at: YamlPath = typeof model === 'string' ? ['model'] : ['model', 'path'];
  if (typeof model === 'object') ctx.strictKeys(['model'], MODEL_KEYS);
  if (typeof path !== 'string' || path.trim() === '') {
    ctx.missing[DEPLOYMENT_MODEL] = `the model has no local path (${ctx.origin(['model'])}): bind one with --input ${DEPLOYMENT_MODEL}=PATH`;
  } else if (isRemotePath(path)) {
    ctx.diags.note(at, `\`${path}\` is a model in an Azure workspace, not on this machine: bind a local copy with --input ${DEPLOYMENT_MODEL}=PATH`);
    ctx.missing[DEPLOYMENT_MODEL] = `the model is \`${path}\` (${ctx.origin(at)}), which is not on this machine: bind a local copy with --input ${DEPLOYMENT_MODEL}=PATH`;
  } else {
    ctx.inputBindings.push(ctx.binding(at, DEPLOYMENT_MODEL, path));
  }
}

async function scoringScript(ctx: CompileContext, code: string): Promise<string | undefined> {
  const given = ctx.text(['code_configuration', 'scoring_script'], 'a Python file in code_configuration.code');
  if (given === undefined) {
    ctx.diags.error(ctx.value(['code_configuration']) === undefined ? [] : ['code_configuration'], 'the deployment has no code_configuration.scoring_script: minibatch runs a scoring script (MLflow models without one are not supported)', 'key');
    return undefined;
  }
  const file = resolve(code, given);
  const rel = relative(code, file);
  const info = await stat(file).catch(() => null);
  if (rel.startsWith('..') || isAbsolute(rel) || info === null || !info.isFile()) {
    ctx.diags.error(['code_configuration', 'scoring_script'], `scoring_script \`${given}\` is not a file in code_configuration.code (${code})`);
    return undefined;
  }
  return file;
}
