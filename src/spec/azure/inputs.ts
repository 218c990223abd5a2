/**
 * A v2 job's or component's `inputs` and `outputs`, as declarations (ports and parameters, as a
 * module spec has) and the bindings the file itself writes (a local `path`, a literal value, a
 * `default`). A path that names something in an Azure workspace cannot be read here: the input is
 * left unbound, and binding says how to give a local path (docs/AZURE.md).
 */
import { formatPath } from '../diagnostics.js';
import type { YamlPath } from '../diagnostics.js';
import type { Binding } from '../job.js';
import { describeValue } from '../schema.js';
import { closest } from '../suggest.js';
import type { ParamType, ParamValue } from '../types.js';
import type { CompileContext } from './compile-context.js';

/** Data types of v2 inputs and outputs, and the module-spec types a port of each also counts as. */
const DATA_TYPES: Readonly<Record<string, readonly string[]>> = {
  uri_folder: ['AnyDirectory'],
  uri_file: ['AnyFile'],
  // What an mltable input holds (files or rows) is the dataset layer's to decide from this type.
  mltable: [],
  custom_model: ['ModelDirectory'],
  mlflow_model: ['ModelDirectory'],
  triton_model: ['ModelDirectory'],
};
const LITERAL_TYPES: Readonly<Record<string, ParamType>> = { string: 'String', integer: 'Integer', number: 'Float', boolean: 'Boolean' };
const INPUT_KEYS = ['type', 'path', 'mode', 'default', 'optional', 'description', 'min', 'max', 'enum', 'datastore'];
const OUTPUT_KEYS = ['type', 'path', 'mode', 'description', 'name', 'version'];

/** An input whose value a pipeline writes elsewhere (`${{parent.inputs.x}}`, another node's output). */
export type ExternalInput =
  | { readonly kind: 'port'; readonly types: readonly string[]; readonly binding: Binding | null; readonly missing: string | null }
  | { readonly kind: 'param'; readonly type: ParamType; readonly value: ParamValue | null };

/** What a parameter's value is, as the file gives it, for settings-arguments. */
export type ParameterValues = Map<string, ParamValue | null>;

/** A path that is not on this machine: a workspace asset, a datastore or a cloud URI. */
export function isRemotePath(path: string): boolean {
  return /^(azureml:|https?:|wasbs?:|abfss?:|adl:|s3:|gs:)/i.test(path);
}

/**
 * Declares every input at `path` (`inputs` of a job, a component or a pipeline node). `external`
 * gives the inputs a pipeline binds; `flagFor` names how to bind one on the command line.
 */
export function compileInputs(
  ctx: CompileContext,
  path: YamlPath,
  external: ReadonlyMap<string, ExternalInput> = new Map(),
): ParameterValues {
  const values: ParameterValues = new Map();
  const inputs = ctx.mapping(path, 'a mapping of input names to values or {type, path}');
  for (const [name, raw] of Object.entries(inputs ?? {})) {
    const at = [...path, name];
    const given = external.get(name);
    if (given !== undefined) {
      declareExternal(ctx, name, given, values);
      continue;
    }
    if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'string') {
      const type: ParamType = typeof raw === 'boolean' ? 'Boolean' : typeof raw === 'string' ? 'String' : Number.isInteger(raw) ? 'Integer' : 'Float';
      if (typeof raw === 'string' && raw.includes('${{')) {
        ctx.diags.error(at, `${formatPath(at)} is \`${raw}\`, an expression that only a pipeline can resolve: give a value or {type, path}`);
        continue;
      }
      declareParam(ctx, name, type, false, raw, [], null);
      values.set(name, raw);
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      ctx.diags.error(at, `${formatPath(at)} must be a value or a mapping {type, path}; found ${describeValue(raw)}`);
      continue;
    }
    ctx.strictKeys(at, INPUT_KEYS);
    const spec = raw as Record<string, unknown>;
    const type = typeof spec.type === 'string' ? spec.type : 'uri_folder';
    const optional = spec.optional === true;
    const description = typeof spec.description === 'string' ? spec.description : null;
    const literal = LITERAL_TYPES[type];
    if (literal !== undefined) {
      const options = Array.isArray(spec.enum) ? spec.enum.map(String) : [];
      const value = (spec.default ?? null) as ParamValue | null;
      declareParam(ctx, name, options.length > 0 ? 'Enum' : literal, optional, value, options, description);
      values.set(name, value);
      continue;
    }
    const extra = DATA_TYPES[type];
    if (extra === undefined) {
      const near = closest(type, [...Object.keys(DATA_TYPES), ...Object.keys(LITERAL_TYPES)]);
      ctx.diags.error([...at, 'type'], `${formatPath([...at, 'type'])} \`${type}\` is not an input type${near === null ? '' : ` (did you mean \`${near}\`?)`}; use one of ${[...Object.keys(DATA_TYPES), ...Object.keys(LITERAL_TYPES)].join(', ')}`);
      continue;
    }
    ctx.inputs.push({ kind: 'port', name, types: [type, ...extra], optional, description });
    const where = spec.path;
    if (where === undefined || where === null) continue;
    if (typeof where !== 'string' || where.trim() === '') {
      ctx.diags.error([...at, 'path'], `${formatPath([...at, 'path'])} must be a path; found ${describeValue(where)}`);
    } else if (isRemotePath(where)) {
      const message = `input \`${name}\` is \`${where}\` (${ctx.origin([...at, 'path'])}), which is not on this machine: bind a local copy with --input ${name}=PATH`;
      ctx.diags.note([...at, 'path'], `\`${where}\` is not on this machine: bind a local copy with --input ${name}=PATH`);
      ctx.missing[name] = message;
    } else {
      ctx.inputBindings.push(ctx.binding([...at, 'path'], name, where));
    }
  }
  return values;
}

function declareExternal(ctx: CompileContext, name: string, given: ExternalInput, values: ParameterValues): void {
  if (given.kind === 'param') {
    declareParam(ctx, name, given.type, given.value === null, given.value, [], null);
    values.set(name, given.value);
    return;
  }
  ctx.inputs.push({ kind: 'port', name, types: given.types, optional: false, description: null });
  if (given.binding !== null) ctx.inputBindings.push({ ...given.binding, name });
  if (given.missing !== null) ctx.missing[name] = given.missing;
}

function declareParam(
  ctx: CompileContext,
  name: string,
  type: ParamType,
  optional: boolean,
  value: ParamValue | null,
  options: readonly string[],
  description: string | null,
): void {
  ctx.inputs.push({ kind: 'param', name, type, optional, default: value, min: null, max: null, options, description });
}

/** Declares every output at `path`; a local `path` is a binding, anything else defaults under the run directory. */
export function compileOutputs(ctx: CompileContext, path: YamlPath): void {
  const outputs = ctx.mapping(path, 'a mapping of output names to {type, path} (or nothing)');
  for (const [name, raw] of Object.entries(outputs ?? {})) {
    const at = [...path, name];
    if (raw === null || raw === undefined) {
      ctx.outputs.push({ name, type: 'uri_folder', description: null });
      continue;
    }
    if (typeof raw === 'string' && raw.includes('${{')) {
      // A node's output named for the pipeline's outputs: it is written under the run directory.
      ctx.outputs.push({ name, type: 'uri_folder', description: null });
      continue;
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      ctx.diags.error(at, `${formatPath(at)} must be a mapping {type, path} or nothing; found ${describeValue(raw)}`);
      continue;
    }
    ctx.strictKeys(at, OUTPUT_KEYS);
    const spec = raw as Record<string, unknown>;
    const type = typeof spec.type === 'string' ? spec.type : 'uri_folder';
    if (DATA_TYPES[type] === undefined) {
      ctx.diags.error([...at, 'type'], `${formatPath([...at, 'type'])} \`${type}\` is not an output type; use one of ${Object.keys(DATA_TYPES).join(', ')}`);
      continue;
    }
    ctx.outputs.push({ name, type, description: typeof spec.description === 'string' ? spec.description : null });
    const where = spec.path;
    if (typeof where === 'string' && isRemotePath(where)) {
      ctx.diags.note([...at, 'path'], `\`${where}\` is not on this machine: the output is written under the run directory (or where --output ${name}=PATH says)`);
    } else if (typeof where === 'string' && where.trim() !== '') {
      ctx.outputBindings.push(ctx.binding([...at, 'path'], name, where));
    }
  }
}
