/**
 * A v2 `type: parallel` job or component (or a pipeline's parallel node, at `at`), compiled into a
 * module spec and the bindings its file writes. Keys follow Azure's documented schema (CLI v2
 * parallel job YAML; azure-ai-ml's ParallelComponentSchema); each setting keeps the name it had in
 * the file, for `explain` (docs/AZURE.md).
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { formatPath } from '../diagnostics.js';
import type { YamlPath } from '../diagnostics.js';
import type { ArgTemplate, Environment, ModuleSpec } from '../types.js';
import type { CompileContext } from './compile-context.js';
import { compileEnvironment } from './environment.js';
import { compileInputs, compileOutputs, isRemotePath } from './inputs.js';
import type { ExternalInput } from './inputs.js';
import { compileProgramArguments } from './program-arguments.js';

export const PARALLEL_KEYS = [
  '$schema', 'type', 'name', 'version', 'display_name', 'description', 'tags', 'is_deterministic', 'experiment_name',
  'properties', 'identity', 'compute', 'inputs', 'outputs', 'input_data', 'mini_batch_size', 'partition_keys',
  'mini_batch_error_threshold', 'error_threshold', 'logging_level', 'max_concurrency_per_instance', 'resources',
  'retry_settings', 'environment_variables', 'task',
];
const TASK_KEYS = ['type', 'code', 'entry_script', 'program_arguments', 'append_row_to', 'environment'];
const RESOURCES_KEYS = ['instance_count', 'instance_type', 'shm_size', 'docker_args', 'properties', 'locations'];
const RETRY_KEYS = ['max_retries', 'timeout'];

/** `${{inputs.x}}` → x. */
function reference(text: string | undefined, kind: 'inputs' | 'outputs'): string | null {
  const match = text === undefined ? null : new RegExp(`^\\$\\{\\{\\s*${kind}\\.([A-Za-z0-9_.-]+)\\s*\\}\\}$`).exec(text);
  return match === null ? null : (match[1] ?? null);
}

export async function compileParallel(
  ctx: CompileContext,
  at: YamlPath,
  external: ReadonlyMap<string, ExternalInput> = new Map(),
): Promise<ModuleSpec | undefined> {
  const p = (...keys: (string | number)[]): YamlPath => [...at, ...keys];
  ctx.strictKeys(at, PARALLEL_KEYS);
  ctx.strictKeys(p('task'), TASK_KEYS);
  ctx.strictKeys(p('resources'), RESOURCES_KEYS);
  ctx.strictKeys(p('retry_settings'), RETRY_KEYS);

  const values = compileInputs(ctx, p('inputs'), external);
  compileOutputs(ctx, p('outputs'));
  const port = (name: string): boolean => ctx.inputs.some((d) => d.kind === 'port' && d.name === name);

  const inputDataText = ctx.text(p('input_data'), 'one input, as ${{inputs.NAME}}');
  const inputData = reference(inputDataText, 'inputs');
  if (inputDataText === undefined) ctx.diags.error(at, `${formatPath(at) || 'the job'} has no \`input_data\`: name the input to split into mini-batches (input_data: \${{inputs.NAME}})`, 'key');
  else if (inputData === null) ctx.diags.error(p('input_data'), `input_data must be one input, as \${{inputs.NAME}}; found \`${inputDataText}\``);
  else if (!port(inputData)) ctx.diags.error(p('input_data'), `input_data names \`inputs.${inputData}\`, which is not a data input (uri_folder, uri_file or mltable) in inputs`);

  compileSettings(ctx, at);
  for (const key of ['compute', 'experiment_name', 'identity']) {
    const value = ctx.value(p(key));
    if (value !== undefined && value !== null) ctx.diags.note(p(key), `${key} is ignored: the job runs on this machine`, 'key');
  }
  for (const key of ['instance_type', 'shm_size', 'docker_args']) {
    if (ctx.value(p('resources', key)) !== undefined) ctx.diags.note(p('resources', key), `resources.${key} is ignored: minibatch runs no containers or cloud instances`, 'key');
  }

  const taskType = ctx.text(p('task', 'type'), 'run_function');
  if (taskType !== undefined && taskType !== 'run_function') {
    ctx.diags.error(p('task', 'type'), `task.type \`${taskType}\` is not supported: minibatch runs a Python entry script (task.type: run_function)`);
  }
  const codeText = ctx.text(p('task', 'code'), 'a folder of source code') ?? '.';
  if (isRemotePath(codeText)) ctx.diags.error(p('task', 'code'), `task.code \`${codeText}\` is not on this machine: give the local folder of the entry script`);
  const code = resolve(ctx.baseDir, codeText);
  const entry = await entryScript(ctx, p('task'), code);

  const appendText = ctx.text(p('task', 'append_row_to'), 'one output, as ${{outputs.NAME}}');
  const appendTo = reference(appendText, 'outputs');
  if (appendText !== undefined && (appendTo === null || !ctx.outputs.some((o) => o.name === appendTo))) {
    ctx.diags.error(p('task', 'append_row_to'), `task.append_row_to must name a declared output, as \${{outputs.NAME}}; found \`${appendText}\``);
  }
  if (appendTo !== null) {
    ctx.settingValue('outputAction', 'append_row', 'task.append_row_to', p('task', 'append_row_to'));
  } else {
    ctx.settingValue('outputAction', 'summary_only', 'task.append_row_to (absent)', p('task'));
  }

  const args = compileProgramArguments(ctx, p('task', 'program_arguments'), {
    inputKind: (name) => ctx.inputs.find((d) => d.name === name)?.kind,
    hasOutput: (name) => ctx.outputs.some((o) => o.name === name),
    parameterValue: (name) => values.get(name) ?? null,
  });
  checkUngroupedOptionals(ctx, p('task', 'program_arguments'), args);
  const environment = compileEnvironment(ctx, p('task', 'environment'));

  // EntryScript().output_dir and AZUREML_BI_OUTPUT_PATH need a folder even when nothing is appended.
  const outputData = appendTo ?? ctx.outputs[0]?.name ?? 'output';
  if (!ctx.outputs.some((o) => o.name === outputData)) ctx.outputs.push({ name: outputData, type: 'uri_folder', description: null });
  if (ctx.diags.errorCount > 0 || entry === undefined || inputData === null) return undefined;
  return moduleSpec(ctx, at, { entry, code, inputData, outputData, args, environment });
}

/** The v2 keys that are run settings, each under its own name. */
export function compileSettings(ctx: CompileContext, at: YamlPath): void {
  const p = (...keys: string[]): YamlPath => [...at, ...keys];
  ctx.setting('miniBatchSize', p('mini_batch_size'), (raw) => (typeof raw === 'string' ? raw.replace(/\s+/g, '') : raw));
  ctx.setting('partitionKeys', p('partition_keys'));
  ctx.setting('allowedFailedCount', p('mini_batch_error_threshold'));
  ctx.setting('errorThreshold', p('error_threshold'));
  ctx.setting('loggingLevel', p('logging_level'));
  ctx.setting('processCountPerNode', p('max_concurrency_per_instance'));
  ctx.setting('nodeCount', p('resources', 'instance_count'));
  // azure-ai-ml passes max_retries to ParallelRunStep as run_max_try: it counts tries, not retries.
  ctx.setting('runMaxTry', p('retry_settings', 'max_retries'));
  ctx.setting('runInvocationTimeoutMs', p('retry_settings', 'timeout'));
  ctx.setting('environmentVariables', p('environment_variables'));
  if (ctx.value(p('partition_keys')) !== undefined) {
    ctx.diags.note(p('partition_keys'), 'partition_keys is the partitionKeys setting: mini-batches by key values need tabular or MLTable input data', 'key');
  }
}

async function entryScript(ctx: CompileContext, task: YamlPath, code: string): Promise<string | undefined> {
  const given = ctx.text([...task, 'entry_script'], 'a Python file in task.code');
  if (given === undefined) {
    ctx.diags.error(task, `${formatPath(task)} has no \`entry_script\`: name the Python file that defines run(mini_batch), relative to task.code`, 'key');
    return undefined;
  }
  const file = resolve(code, given);
  const rel = relative(code, file);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    ctx.diags.error([...task, 'entry_script'], `entry_script \`${given}\` is outside task.code (${code}): move it into the code folder`);
    return undefined;
  }
  const info = await stat(file).catch(() => null);
  if (info === null || !info.isFile()) {
    ctx.diags.error([...task, 'entry_script'], `entry_script \`${given}\` is not a file in task.code (${code})`);
    return undefined;
  }
  return file;
}

/** A placeholder of an optional input outside `$[[ … ]]` would leave the script a dangling flag. */
function checkUngroupedOptionals(ctx: CompileContext, path: YamlPath, args: readonly ArgTemplate[]): void {
  const names = (arg: ArgTemplate): string[] =>
    arg.kind === 'concat' ? arg.parts.flatMap(names) : arg.kind === 'inputPath' || arg.kind === 'inputValue' ? [arg.name] : [];
  for (const name of args.flatMap(names)) {
    const decl = ctx.inputs.find((d) => d.name === name);
    const unset = decl !== undefined && decl.optional && (decl.kind === 'port' || decl.default === null);
    if (unset) ctx.diags.error(path, `inputs.${name} is optional: put it in an optional group, $[[--flag \${{inputs.${name}}}]], so it is left out when unset`);
  }
}

function moduleSpec(
  ctx: CompileContext,
  at: YamlPath,
  parts: { entry: string; code: string; inputData: string; outputData: string; args: readonly ArgTemplate[]; environment: Environment },
): ModuleSpec {
  const name = ctx.text([...at, 'name'], 'a name') ?? ctx.text([...at, 'display_name'], 'a name') ?? (typeof at[at.length - 1] === 'string' ? String(at[at.length - 1]) : 'parallel');
  const version = ctx.value([...at, 'version']);
  const versionText = typeof version === 'string' || typeof version === 'number' ? String(version) : '(unversioned)';
  return {
    file: ctx.file.path,
    sourceDir: parts.code,
    name,
    version: versionText,
    namespace: null,
    description: ctx.text([...at, 'description'], 'a text') ?? null,
    isDeterministic: typeof ctx.value([...at, 'is_deterministic']) === 'boolean' ? (ctx.value([...at, 'is_deterministic']) as boolean) : null,
    inputs: ctx.inputs,
    outputs: ctx.outputs,
    environment: parts.environment,
    inputData: [parts.inputData],
    outputData: parts.outputData,
    entry: parts.entry,
    args: parts.args,
    passOutputArg: false,
    settings: ctx.resolvedSettings(),
    settingOrigins: ctx.origins,
  };
}
