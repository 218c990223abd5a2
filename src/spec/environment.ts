/**
 * `implementation.parallel.amlEnvironment` / `image`. minibatch builds no environments: it runs the
 * entry with the interpreter the user chooses (docs/ARCHITECTURE.md, "Entry script"). So an Azure ML environment is accepted
 * as written and reduced to what minibatch uses (`python.interpreterPath`, `environmentVariables`);
 * the dependencies it declares are listed once, as a note, so nobody believes they were installed.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Diagnostics, YamlPath } from './diagnostics.js';
import { formatPath, valueAt } from './diagnostics.js';
import { checkKeys, describeValue, mappingSchema, parseAt, textSchema } from './schema.js';
import { resolveInterpreterPath } from './settingsMapping.js';
import { SETTING_PARSERS } from './settings.js';
import type { Environment, RunSettings } from './types.js';

const ENVIRONMENT_KEYS = ['name', 'version', 'python', 'docker', 'environmentVariables', 'spark', 'r', 'inferencingStackVersion'];
const PYTHON_KEYS = ['interpreterPath', 'condaDependencies', 'condaDependenciesFile', 'userManagedDependencies', 'baseCondaEnvironment'];
const HOW_CHOSEN = 'it runs the entry with the interpreter you choose: --python, else settings.python, else amlEnvironment.python.interpreterPath, else python3';

export interface ResolvedEnvironment {
  readonly environment: Environment;
  /** What the environment sets that minibatch honours, as spec-level settings. */
  readonly settings: Partial<RunSettings>;
}

export async function checkEnvironment(
  diags: Diagnostics,
  parallel: YamlPath,
  sourceDir: string,
): Promise<ResolvedEnvironment | undefined> {
  const block = valueAt(diags.file.value, parallel) as Record<string, unknown>;
  const hasEnv = 'amlEnvironment' in block;
  const hasImage = 'image' in block;
  if (hasEnv && hasImage) {
    diags.error([...parallel, 'image'], 'implementation.parallel has both amlEnvironment and image: keep one', 'key');
    return undefined;
  }
  if (!hasEnv && !hasImage) {
    diags.error(parallel, 'implementation.parallel has no environment: add `amlEnvironment:` (left empty, it means the default environment) or `image:`', 'key');
    return undefined;
  }
  if (hasImage) {
    const image = parseAt(diags, [...parallel, 'image'], textSchema.min(1, { message: 'a container image name' }));
    if (image === undefined) return undefined;
    diags.note([...parallel, 'image'], `image \`${image}\` is not used: minibatch runs no containers; ${HOW_CHOSEN}`, 'key');
    return { environment: { kind: 'image', image }, settings: {} };
  }
  return checkAmlEnvironment(diags, [...parallel, 'amlEnvironment'], sourceDir);
}

async function checkAmlEnvironment(diags: Diagnostics, path: YamlPath, sourceDir: string): Promise<ResolvedEnvironment | undefined> {
  const env = valueAt(diags.file.value, path);
  const none: Environment = { kind: 'amlEnvironment', interpreterPath: null, declaredDependencies: [] };
  if (env === null) return { environment: none, settings: {} };
  if (typeof env === 'string') {
    diags.note(path, `environment \`${env}\` is not used: minibatch builds no environments; ${HOW_CHOSEN}`, 'key');
    return { environment: { ...none, declaredDependencies: [env] }, settings: {} };
  }
  if (typeof env !== 'object' || Array.isArray(env)) {
    diags.error(path, `amlEnvironment must be a mapping (python:, docker:, …), or empty for the default environment; found ${describeValue(env)}`);
    return undefined;
  }
  checkKeys(diags, path, ENVIRONMENT_KEYS);
  const settings: { python?: string; environmentVariables?: Record<string, string> } = {};
  const declared: string[] = [];
  let interpreterPath: string | null = null;
  let broken = false;

  const python = valueAt(diags.file.value, [...path, 'python']);
  if (python !== undefined && python !== null) {
    if (parseAt(diags, [...path, 'python'], mappingSchema) === undefined) return undefined;
    checkKeys(diags, [...path, 'python'], PYTHON_KEYS);
    const interp = valueAt(diags.file.value, [...path, 'python', 'interpreterPath']);
    if (interp !== undefined && interp !== null) {
      const parsed = parseAt(diags, [...path, 'python', 'interpreterPath'], textSchema.min(1, { message: 'an interpreter command or path' }));
      if (parsed === undefined) broken = true;
      else interpreterPath = settings.python = resolveInterpreterPath(parsed, sourceDir);
    }
    declared.push(...condaDependencies(valueAt(diags.file.value, [...path, 'python', 'condaDependencies'])));
    const file = valueAt(diags.file.value, [...path, 'python', 'condaDependenciesFile']);
    if (typeof file === 'string') {
      const deps = await condaDependenciesFile(resolve(sourceDir, file));
      if (deps === null) diags.warning([...path, 'python', 'condaDependenciesFile'], `condaDependenciesFile \`${file}\` cannot be read as YAML in the module's folder (${sourceDir})`);
      else declared.push(...deps);
    }
  }
  const baseImage = valueAt(diags.file.value, [...path, 'docker', 'baseImage']);
  if (typeof baseImage === 'string') declared.push(`docker image ${baseImage}`);

  const vars = valueAt(diags.file.value, [...path, 'environmentVariables']);
  if (vars !== undefined && vars !== null) {
    const parsed = SETTING_PARSERS.environmentVariables(vars);
    if (parsed.ok) settings.environmentVariables = parsed.value;
    else {
      diags.error([...path, 'environmentVariables'], `${formatPath([...path, 'environmentVariables'])} ${parsed.problem}`);
      broken = true;
    }
  }
  if (broken) return undefined;
  if (declared.length > 0) {
    diags.note(path, `amlEnvironment declares dependencies that minibatch does not install (${HOW_CHOSEN}): ${declared.join(', ')}`, 'key');
  }
  return { environment: { kind: 'amlEnvironment', interpreterPath, declaredDependencies: declared }, settings };
}

/** A conda environment's `dependencies`, pip's nested list flattened: `python=3.8`, `numpy`, … */
function condaDependencies(conda: unknown): string[] {
  if (conda === null || typeof conda !== 'object') return [];
  const deps = (conda as { dependencies?: unknown }).dependencies;
  if (!Array.isArray(deps)) return [];
  const out: string[] = [];
  for (const dep of deps) {
    if (typeof dep === 'string' || typeof dep === 'number') out.push(String(dep));
    else if (dep !== null && typeof dep === 'object') {
      const pip = (dep as { pip?: unknown }).pip;
      if (Array.isArray(pip)) out.push(...pip.map((p) => String(p)));
    }
  }
  return out;
}

async function condaDependenciesFile(path: string): Promise<string[] | null> {
  try {
    return condaDependencies(parseYaml(await readFile(path, 'utf8'), { maxAliasCount: 100 }) as unknown);
  } catch {
    return null;
  }
}
