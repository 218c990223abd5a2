/**
 * Validating a module spec: every problem is found in one pass and reported
 * at once, sorted by position; the result is a `ModuleSpec`, parsed once, that nothing downstream
 * needs to check again.
 */
import { dirname } from 'node:path';
import type { ZodType } from 'zod';
import type { Diagnostic } from '../core/errors.js';
import { SpecError } from '../core/errors.js';
import { checkInputs, checkOutputs, checkUniqueNames } from './declarations.js';
import { Diagnostics, sourceText, valueAt } from './diagnostics.js';
import { isMapping, readYamlFile } from './load.js';
import type { YamlFile } from './load.js';
import { checkParallel } from './parallel.js';
import {
  booleanSchema,
  checkKeys,
  describeValue,
  identifierSchema,
  KNOWN_KEYS,
  mappingSchema,
  metadataSchema,
  parseAt,
  textSchema,
} from './schema.js';
import { didYouMean } from './suggest.js';
import type { ModuleSpec } from './types.js';

/** Job types of Azure ML modules that minibatch refuses: it runs parallel modules only. */
const REFUSED_JOB_TYPES = ['basic', 'mpi', 'hdinsight'];

export interface SpecResult {
  /** Null when any diagnostic is an error. */
  readonly spec: ModuleSpec | null;
  /** Errors, warnings and notes, sorted by position. */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Reads and validates the spec at `given` (relative to `cwd`). Throws `SpecError` with every
 * diagnostic (warnings and notes included) when it is unreadable or has errors; otherwise returns
 * the spec and its warnings and notes.
 */
export async function loadSpec(
  given: string,
  cwd: string = process.cwd(),
): Promise<{ spec: ModuleSpec; diagnostics: readonly Diagnostic[] }> {
  return requireValid(await validateSpec(await readYamlFile(given, 'module spec', cwd)));
}

/** The spec of a validation, or a `SpecError('SPEC_INVALID')` carrying every diagnostic. */
export function requireValid(result: SpecResult): { spec: ModuleSpec; diagnostics: readonly Diagnostic[] } {
  if (result.spec === null) throw new SpecError('SPEC_INVALID', result.diagnostics);
  return { spec: result.spec, diagnostics: result.diagnostics };
}

export async function validateSpec(file: YamlFile): Promise<SpecResult> {
  const diags = new Diagnostics(file);
  for (const w of file.warnings) diags.push(w);
  if (!isMapping(file)) {
    diags.error([], `a module spec is a YAML mapping (amlModuleIdentifier:, inputs:, implementation:, …); found ${describeValue(file.value)}`);
    return { spec: null, diagnostics: diags.sorted() };
  }
  checkKeys(diags, [], KNOWN_KEYS.root);
  const identity = checkIdentity(diags);
  checkMetadata(diags);
  const description = optional(diags, 'description', textSchema);
  const isDeterministic = optional(diags, 'isDeterministic', booleanSchema);
  const jobTypeOk = checkJobType(diags);

  const inputs = checkInputs(diags);
  const outputs = checkOutputs(diags);
  checkUniqueNames(diags, inputs, outputs);
  const sourceDir = dirname(file.path);
  const declared = { inputs: inputs.decls, outputs: outputs.decls, broken: new Set([...inputs.broken, ...outputs.broken]) };
  // A basic or mpi module's implementation is not ours to judge: one clear error is enough.
  const parallel = jobTypeOk ? await checkParallel(diags, declared, sourceDir) : undefined;

  if (diags.errorCount > 0 || identity === undefined || parallel === undefined) {
    return { spec: null, diagnostics: diags.sorted() };
  }
  const spec: ModuleSpec = {
    file: file.path,
    sourceDir,
    name: identity.name,
    version: identity.version,
    namespace: identity.namespace,
    description: description ?? null,
    isDeterministic: isDeterministic ?? null,
    inputs: inputs.decls,
    outputs: outputs.decls,
    ...parallel,
  };
  return { spec, diagnostics: diags.sorted() };
}

function optional<T>(diags: Diagnostics, key: string, schema: ZodType<T>): T | undefined {
  const value = valueAt(diags.file.value, [key]);
  return value === undefined || value === null ? undefined : parseAt(diags, [key], schema);
}

function checkIdentity(diags: Diagnostics): { name: string; version: string; namespace: string | null } | undefined {
  if (valueAt(diags.file.value, ['amlModuleIdentifier']) === undefined) {
    diags.error([], 'the module spec has no `amlModuleIdentifier`: add it, with moduleName and moduleVersion');
    return undefined;
  }
  checkKeys(diags, ['amlModuleIdentifier'], KNOWN_KEYS.amlModuleIdentifier);
  const id = parseAt(diags, ['amlModuleIdentifier'], identifierSchema);
  if (id === undefined) return undefined;
  // A version written as a number (`1.10`) keeps its text.
  const version = sourceText(diags.file, ['amlModuleIdentifier', 'moduleVersion']) ?? String(id.moduleVersion);
  return { name: id.moduleName, version, namespace: id.namespace ?? null };
}

function checkMetadata(diags: Diagnostics): void {
  const metadata = valueAt(diags.file.value, ['metadata']);
  if (metadata === undefined || metadata === null) return;
  if (parseAt(diags, ['metadata'], mappingSchema) === undefined) return;
  checkKeys(diags, ['metadata'], KNOWN_KEYS.metadata);
  checkKeys(diags, ['metadata', 'annotations'], KNOWN_KEYS.annotations);
  parseAt(diags, ['metadata'], metadataSchema);
}

/** False when the job type is one minibatch refuses (basic, mpi, hdinsight). */
function checkJobType(diags: Diagnostics): boolean {
  if (valueAt(diags.file.value, ['jobType']) === undefined) {
    diags.error([], 'the module spec has no `jobType`: add `jobType: parallel`');
    return true;
  }
  const jobType = parseAt(diags, ['jobType'], textSchema);
  if (jobType === undefined || jobType === 'parallel') return true;
  if (REFUSED_JOB_TYPES.includes(jobType.toLowerCase())) {
    diags.error(['jobType'], `jobType \`${jobType}\` is not supported: minibatch runs parallel modules (jobType: parallel), which split their input into mini-batches; run this ${jobType} module with Azure ML`);
    return false;
  }
  diags.error(['jobType'], `jobType \`${jobType}\` is not supported: minibatch runs parallel modules (jobType: parallel)${didYouMean(jobType, ['parallel'])}`);
  // Probably a misspelt `parallel`: the rest is still worth checking.
  return true;
}
