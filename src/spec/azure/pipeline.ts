/**
 * A v2 `type: pipeline` job: minibatch runs one of its parallel nodes (`--node NAME`; the only
 * one without it). The node's inputs may come from the pipeline's own inputs
 * (`${{parent.inputs.x}}`, with their paths and values) or from another node's outputs, which
 * minibatch does not produce: the user binds those, and the error says which node and which flag
 * (docs/AZURE.md).
 */
import { dirname, join } from 'node:path';
import { SpecError, UsageError } from '../../core/errors.js';
import { readYamlFile } from '../load.js';
import type { YamlFile } from '../load.js';
import { formatPath } from '../diagnostics.js';
import type { YamlPath } from '../diagnostics.js';
import { closest } from '../suggest.js';
import type { ModuleSpec, ParamType, ParamValue } from '../types.js';
import { CompileContext } from './compile-context.js';
import { isRemotePath } from './inputs.js';
import type { ExternalInput } from './inputs.js';
import { compileParallel, compileSettings } from './parallel.js';

const PIPELINE_KEYS = ['$schema', 'type', 'name', 'display_name', 'description', 'tags', 'experiment_name', 'properties', 'identity', 'compute', 'settings', 'inputs', 'outputs', 'jobs'];
const LITERAL: Readonly<Record<string, ParamType>> = { string: 'String', integer: 'Integer', number: 'Float', boolean: 'Boolean' };

/** A node of the pipeline, for `explain`'s listing and for errors. */
export interface PipelineNode {
  readonly name: string;
  readonly type: string;
  /** Its inputs that another node's output feeds: `input ← node.output`. */
  readonly fromNodes: readonly { input: string; node: string; output: string }[];
}

export function pipelineNodes(ctx: CompileContext): PipelineNode[] {
  const jobs = ctx.mapping(['jobs'], 'a mapping of node names to jobs') ?? {};
  return Object.entries(jobs).map(([name, job]) => {
    const spec = (job ?? {}) as Record<string, unknown>;
    const inputs = (spec.inputs ?? {}) as Record<string, unknown>;
    const fromNodes = Object.entries(typeof inputs === 'object' ? inputs : {}).flatMap(([input, value]) => {
      const match = typeof value === 'string' ? /^\$\{\{\s*parent\.jobs\.([A-Za-z0-9_.-]+)\.outputs\.([A-Za-z0-9_.-]+)\s*\}\}$/.exec(value) : null;
      return match === null ? [] : [{ input, node: match[1] ?? '', output: match[2] ?? '' }];
    });
    return { name, type: typeof spec.type === 'string' ? spec.type : '(no type)', fromNodes };
  });
}

/** `NAME (parallel; binds x ← prep.out with --input x=PATH)`, one line per node. */
export function describeNodes(nodes: readonly PipelineNode[]): string {
  const width = Math.max(0, ...nodes.map((n) => n.name.length));
  return nodes
    .map((n) => {
      const needs = n.fromNodes.map((f) => `${f.input} ← ${f.node}.outputs.${f.output} (--input ${f.input}=PATH)`);
      const what = n.type === 'parallel' ? (needs.length > 0 ? `parallel; needs ${needs.join(', ')}` : 'parallel') : `${n.type}; not run by minibatch`;
      return `  ${n.name.padEnd(width)}  (${what})`;
    })
    .join('\n');
}

/**
 * The chosen node's module spec, and the context that holds its bindings: the pipeline's own, or,
 * for a node that names a component file, the component's (with the node's inputs bound into it).
 */
export async function compilePipeline(ctx: CompileContext, node: string | null): Promise<{ spec: ModuleSpec | undefined; bindings: CompileContext }> {
  ctx.strictKeys([], PIPELINE_KEYS);
  const nodes = pipelineNodes(ctx);
  const parallel = nodes.filter((n) => n.type === 'parallel');
  if (parallel.length === 0) {
    ctx.diags.error(['jobs'], 'the pipeline has no parallel node (type: parallel) for minibatch to run', 'key');
    return { spec: undefined, bindings: ctx };
  }
  const chosen = node === null ? (parallel.length === 1 ? parallel[0] : undefined) : nodes.find((n) => n.name === node);
  if (chosen === undefined) {
    const near = node === null ? null : closest(node, nodes.map((n) => n.name));
    const why = node === null ? `it has ${parallel.length} parallel nodes: choose one with --node NAME` : `it has no node \`${node}\`${near === null ? '' : ` (did you mean \`${near}\`?)`}`;
    throw new UsageError(`${ctx.file.display}: ${why}; its nodes:\n${describeNodes(nodes)}`);
  }
  if (chosen.type !== 'parallel') {
    throw new UsageError(`${ctx.file.display}: node \`${chosen.name}\` is a ${chosen.type} node; minibatch runs parallel nodes: ${parallel.map((n) => n.name).join(', ')}`);
  }
  for (const other of nodes) {
    if (other.name !== chosen.name) ctx.diags.note(['jobs', other.name], `node \`${other.name}\` (${other.type}) is not run: minibatch runs node \`${chosen.name}\``, 'key');
  }
  for (const key of ['compute', 'settings', 'experiment_name']) {
    if (ctx.value([key]) !== undefined) ctx.diags.note([key], `${key} is ignored: the node runs on this machine`, 'key');
  }
  const at: YamlPath = ['jobs', chosen.name];
  const external = externalInputs(ctx, at, chosen.name);
  if (ctx.value([...at, 'component']) !== undefined) return compileComponentNode(ctx, at, external);
  return { spec: await compileParallel(ctx, at, external), bindings: ctx };
}

/** Keys a node that names a component may set: its bindings, and settings over the component's. */
const COMPONENT_NODE_KEYS = [
  'type', 'component', 'inputs', 'outputs', 'compute', 'display_name', 'description', 'tags', 'properties', 'identity',
  'input_data', 'mini_batch_size', 'partition_keys', 'mini_batch_error_threshold', 'error_threshold', 'logging_level',
  'max_concurrency_per_instance', 'resources', 'retry_settings', 'environment_variables',
];

/**
 * `component: ./score/parallel.yml`: the component file is compiled as a parallel component; the
 * node's inputs bind it (pipeline inputs, other nodes' outputs, literals, local paths), and the
 * node's settings override the component's.
 */
async function compileComponentNode(
  ctx: CompileContext,
  at: YamlPath,
  external: Map<string, ExternalInput>,
): Promise<{ spec: ModuleSpec | undefined; bindings: CompileContext }> {
  ctx.strictKeys(at, COMPONENT_NODE_KEYS);
  const given = ctx.text([...at, 'component'], 'a component file (./component.yml)');
  if (given === undefined) return { spec: undefined, bindings: ctx };
  if (isRemotePath(given)) {
    ctx.diags.error([...at, 'component'], `component \`${given}\` is in an Azure workspace: give the component's local YAML file instead`);
    return { spec: undefined, bindings: ctx };
  }
  const path = given.replace(/^file:/, '');
  let file: YamlFile;
  try {
    file = await readYamlFile(join(dirname(ctx.file.display), path), 'module spec or job file');
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    for (const d of error.diagnostics) ctx.diags.push(d);
    return { spec: undefined, bindings: ctx };
  }
  const component = new CompileContext(file);
  // The node's own literal values and local paths bind the component's inputs, from the pipeline file.
  const inputs = ctx.mapping([...at, 'inputs'], 'a mapping of input names to values') ?? {};
  for (const [name, value] of Object.entries(inputs)) {
    if (external.has(name)) continue;
    const where: YamlPath = [...at, 'inputs', name];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      component.parameterBindings.push(ctx.binding(where, name, value));
    } else if (value !== null && typeof value === 'object' && typeof (value as Record<string, unknown>).path === 'string') {
      component.inputBindings.push(ctx.binding([...where, 'path'], name, (value as Record<string, unknown>).path));
    }
  }
  const spec = await compileParallel(component, [], external);
  for (const d of component.diags.sorted()) ctx.diags.push(d);
  const outputs = ctx.mapping([...at, 'outputs'], 'a mapping of output names to {type, path}') ?? {};
  for (const [name, value] of Object.entries(outputs)) {
    const local = value !== null && typeof value === 'object' ? (value as Record<string, unknown>).path : undefined;
    if (typeof local === 'string' && !isRemotePath(local)) component.outputBindings.push(ctx.binding([...at, 'outputs', name, 'path'], name, local));
  }
  // The node's settings win over the component's; explain names them as the pipeline writes them.
  const node = new CompileContext(ctx.file);
  compileSettings(node, at);
  for (const d of node.diags.sorted()) ctx.diags.push(d);
  if (spec === undefined) return { spec: undefined, bindings: component };
  const settings = { ...spec.settings, ...node.resolvedSettings() };
  const origins = { ...spec.settingOrigins, ...Object.fromEntries(Object.entries(node.origins).map(([k, v]) => [k, `${ctx.file.display} ${v}`])) };
  return { spec: { ...spec, settings, settingOrigins: origins }, bindings: component };
}

/** The node's inputs that name the pipeline's inputs or another node's outputs. */
function externalInputs(ctx: CompileContext, at: YamlPath, node: string): Map<string, ExternalInput> {
  const external = new Map<string, ExternalInput>();
  const inputs = ctx.mapping([...at, 'inputs'], 'a mapping of input names to values') ?? {};
  for (const [name, value] of Object.entries(inputs)) {
    if (typeof value !== 'string') continue;
    const fromNode = /^\$\{\{\s*parent\.jobs\.([A-Za-z0-9_.-]+)\.outputs\.([A-Za-z0-9_.-]+)\s*\}\}$/.exec(value);
    if (fromNode !== null) {
      const missing = `input \`${name}\` of node \`${node}\` is node \`${fromNode[1] ?? ''}\`'s output \`${fromNode[2] ?? ''}\` (${ctx.origin([...at, 'inputs', name])}), which minibatch does not produce: bind it with --input ${name}=PATH`;
      external.set(name, { kind: 'port', types: ['uri_folder', 'AnyDirectory'], binding: null, missing });
      continue;
    }
    const fromParent = /^\$\{\{\s*parent\.inputs\.([A-Za-z0-9_.-]+)\s*\}\}$/.exec(value);
    if (fromParent === null) continue;
    const parentName = fromParent[1] ?? '';
    const given = parentInput(ctx, parentName, name);
    if (given === undefined) ctx.diags.error([...at, 'inputs', name], `${formatPath([...at, 'inputs', name])} names \`parent.inputs.${parentName}\`, which the pipeline's inputs do not declare`);
    else external.set(name, given);
  }
  return external;
}

function parentInput(ctx: CompileContext, parentName: string, name: string): ExternalInput | undefined {
  const at: YamlPath = ['inputs', parentName];
  const raw = ctx.value(at);
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const value = raw as ParamValue | null;
    const type: ParamType = typeof value === 'boolean' ? 'Boolean' : typeof value === 'number' ? (Number.isInteger(value) ? 'Integer' : 'Float') : 'String';
    return { kind: 'param', type, value };
  }
  const spec = raw as Record<string, unknown>;
  const type = typeof spec.type === 'string' ? spec.type : 'uri_folder';
  const literal = LITERAL[type];
  if (literal !== undefined) return { kind: 'param', type: literal, value: (spec.default ?? null) as ParamValue | null };
  const path = spec.path;
  const types = type === 'uri_file' ? ['uri_file', 'AnyFile'] : type === 'uri_folder' ? ['uri_folder', 'AnyDirectory'] : [type];
  if (typeof path !== 'string' || path.trim() === '') {
    return { kind: 'port', types, binding: null, missing: `input \`${name}\` is the pipeline's input \`${parentName}\`, which has no path: bind it with --input ${name}=PATH` };
  }
  if (isRemotePath(path)) {
    const missing = `input \`${name}\` is the pipeline's input \`${parentName}\`, \`${path}\` (${ctx.origin([...at, 'path'])}), which is not on this machine: bind a local copy with --input ${name}=PATH`;
    return { kind: 'port', types, binding: null, missing };
  }
  return { kind: 'port', types, binding: ctx.binding([...at, 'path'], name, path), missing: null };
}
