/**
 * Azure ML's v2 formats of the same runtime, recognised by their keys and compiled into the same
 * module spec and job a module spec and a job file give: a `type: parallel` job or component, a
 * `type: pipeline` (one parallel node), a batch-endpoint deployment. Nothing after binding knows
 * which one it was (docs/AZURE.md).
 */
import { SpecError } from '../../core/errors.js';
import type { Diagnostic } from '../../core/errors.js';
import { sortDiagnostics, valueAt } from '../diagnostics.js';
import { jobSection, type JobFile } from '../job.js';
import { isMapping } from '../load.js';
import type { YamlFile } from '../load.js';
import type { ModuleSpec } from '../types.js';
import { CompileContext } from './compile-context.js';
import { compileDeployment } from './deployment.js';
import { compileParallel } from './parallel.js';
import { compilePipeline, describeNodes, pipelineNodes } from './pipeline.js';

export type AzureFormat = 'parallel' | 'pipeline' | 'deployment';

/** Which v2 format `file` is, from `$schema`, `type`, or a deployment's own keys; null for none. */
export function azureFormat(file: YamlFile): AzureFormat | null {
  if (!isMapping(file)) return null;
  const at = (key: string): unknown => valueAt(file.value, [key]);
  const schema = typeof at('$schema') === 'string' ? (at('$schema') as string).toLowerCase() : '';
  if (schema.includes('batchdeployment') || at('code_configuration') !== undefined || at('endpoint_name') !== undefined) return 'deployment';
  if (schema.includes('pipelinejob') || at('type') === 'pipeline') return 'pipeline';
  if (schema.includes('parallel') || at('type') === 'parallel') return 'parallel';
  return null;
}

export interface AzureOptions {
  /** `--node`: the pipeline node to run; null = the only parallel one. */
  readonly node: string | null;
}

/**
 * The module spec and the job (bindings and settings the file writes) of a v2 file. Throws
 * `SpecError` with every error; returns the warnings and notes (what is ignored, and why).
 */
export async function loadAzure(
  file: YamlFile,
  format: AzureFormat,
  options: AzureOptions,
): Promise<{ spec: ModuleSpec; job: JobFile; diagnostics: readonly Diagnostic[] }> {
  const ctx = new CompileContext(file);
  let spec: ModuleSpec | undefined;
  let bindings = ctx;
  if (format === 'pipeline') ({ spec, bindings } = await compilePipeline(ctx, options.node));
  else spec = format === 'parallel' ? await compileParallel(ctx, []) : await compileDeployment(ctx);
  const diagnostics = sortDiagnostics(ctx.diags.sorted());
  if (spec === undefined || diagnostics.some((d) => d.severity === 'error')) throw new SpecError('SPEC_INVALID', diagnostics);
  const job: JobFile = {
    // The file given: the job's bindings are its (and a component it names).
    path: file.path,
    module: spec.file,
    inputs: bindings.inputBindings,
    parameters: bindings.parameterBindings,
    outputs: bindings.outputBindings,
    // The file's settings are the spec's layer (spec.settings): a job file over it would be the next.
    settings: {},
    missing: bindings.missing,
    sections: { inputs: jobSection(file, 'inputs'), parameters: jobSection(file, 'inputs'), outputs: jobSection(file, 'outputs') },
  };
  return { spec, job, diagnostics };
}

/**
 * For a pipeline with several parallel nodes and no `--node`: its nodes and what each needs bound,
 * which `explain` prints instead of one node's job. Null when there is one node to explain.
 */
export function pipelineListing(file: YamlFile, node: string | null): string | null {
  if (node !== null || azureFormat(file) !== 'pipeline') return null;
  const nodes = pipelineNodes(new CompileContext(file));
  if (nodes.filter((n) => n.type === 'parallel').length < 2) return null;
  return `${file.display}: a pipeline; minibatch runs one parallel node, chosen with --node NAME\nnodes\n${describeNodes(nodes)}\n`;
}
