/**
 * `implementation.parallel` : the environment, `inputData`, `outputData`, `entry`,
 * `args` and `settings`.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { checkArgs } from './args.js';
import type { Diagnostics, YamlPath } from './diagnostics.js';
import { valueAt } from './diagnostics.js';
import { checkEnvironment } from './environment.js';
import { checkReference } from './references.js';
import type { Declared } from './references.js';
import { checkKeys, inputDataSchema, KNOWN_KEYS, mappingSchema, parseAt, textSchema } from './schema.js';
import { parseSettingsMapping } from './settingsMapping.js';
import { closest } from './suggest.js';
import type { ArgTemplate, Environment, RunSettings } from './types.js';

export interface ParallelPart {
  readonly environment: Environment;
  readonly inputData: readonly string[];
  readonly outputData: string;
  /** Absolute. */
  readonly entry: string;
  readonly args: readonly ArgTemplate[];
  readonly settings: Partial<RunSettings>;
}

const PARALLEL: YamlPath = ['implementation', 'parallel'];

export async function checkParallel(diags: Diagnostics, declared: Declared, sourceDir: string): Promise<ParallelPart | undefined> {
  const implementation = valueAt(diags.file.value, ['implementation']);
  if (implementation === undefined) {
    diags.error([], 'the module spec has no `implementation`: add implementation.parallel with inputData, outputData, entry and args');
    return undefined;
  }
  if (parseAt(diags, ['implementation'], mappingSchema) === undefined) return undefined;
  checkKeys(diags, ['implementation'], KNOWN_KEYS.implementation);
  if (valueAt(diags.file.value, PARALLEL) === undefined) {
    diags.error(['implementation'], 'implementation has no `parallel`: add implementation.parallel with inputData, outputData, entry and args', 'key');
    return undefined;
  }
  if (parseAt(diags, PARALLEL, mappingSchema) === undefined) return undefined;
  checkKeys(diags, PARALLEL, KNOWN_KEYS.parallel);

  const environment = await checkEnvironment(diags, PARALLEL, sourceDir);
  const inputData = checkInputData(diags, declared);
  const outputData = checkOutputData(diags, declared);
  const entry = await checkEntry(diags, sourceDir);
  const args = checkArgs(diags, [...PARALLEL, 'args'], declared);
  const own = parseSettingsMapping(diags, [...PARALLEL, 'settings'], sourceDir);
  if (!environment || !inputData || outputData === undefined || entry === undefined || !args) return undefined;

  // `settings` is the more specific place: it wins over what the environment says.
  const env = { ...environment.settings.environmentVariables, ...own.environmentVariables };
  const settings: Partial<RunSettings> = {
    ...environment.settings,
    ...own,
    ...(Object.keys(env).length > 0 ? { environmentVariables: env } : {}),
  };
  return { environment: environment.environment, inputData, outputData, entry, args, settings };
}

function requireKey(diags: Diagnostics, key: string, what: string): boolean {
  if (valueAt(diags.file.value, [...PARALLEL, key]) !== undefined) return true;
  diags.error(PARALLEL, `implementation.parallel has no \`${key}\`: ${what}`, 'key');
  return false;
}

function checkInputData(diags: Diagnostics, declared: Declared): string[] | undefined {
  if (!requireKey(diags, 'inputData', 'name the input ports whose files are the dataset (inputData: [Data Input 1])')) return undefined;
  const path = [...PARALLEL, 'inputData'];
  const raw = parseAt(diags, path, inputDataSchema);
  if (raw === undefined) return undefined;
  const names = typeof raw === 'string' ? [raw] : raw;
  const before = diags.errorCount;
  names.forEach((name, i) => {
    const at = typeof raw === 'string' ? path : [...path, i];
    if (names.indexOf(name) !== i) diags.error(at, `inputData lists \`${name}\` twice`);
    else checkReference(diags, at, 'inputData', name, declared, names);
  });
  return diags.errorCount === before ? names : undefined;
}

function checkOutputData(diags: Diagnostics, declared: Declared): string | undefined {
  if (!requireKey(diags, 'outputData', 'name the output that receives --output and the append_row file (outputData: Output)')) return undefined;
  const path = [...PARALLEL, 'outputData'];
  const name = parseAt(diags, path, textSchema.min(1, { message: 'an output name' }));
  if (name === undefined) return undefined;
  const found = checkReference(diags, path, 'outputData', name, declared, []);
  return found !== null || declared.broken.has(name) ? name : undefined;
}

/** The entry exists, is a file, and lives in the module's folder (the only folder a worker machine receives). */
async function checkEntry(diags: Diagnostics, sourceDir: string): Promise<string | undefined> {
  if (!requireKey(diags, 'entry', "name the script that defines run(mini_batch), relative to the spec's folder (entry: score.py)")) return undefined;
  const path = [...PARALLEL, 'entry'];
  const entry = parseAt(diags, path, textSchema.min(1, { message: "a script path relative to the spec's folder" }));
  if (entry === undefined) return undefined;
  const file = resolve(sourceDir, entry);
  const rel = relative(sourceDir, file);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    diags.error(path, `entry \`${entry}\` is outside the module's folder (${sourceDir}): a module's code lives in its folder, which is all a worker machine receives; move the script there`);
    return undefined;
  }
  const info = await stat(file).catch(() => null);
  if (info === null) {
    const siblings = await readdir(dirname(file)).catch(() => [] as string[]);
    const near = closest(basename(file), siblings);
    const hint = near === null ? '' : ` (did you mean \`${join(dirname(entry), near)}\`?)`;
    diags.error(path, `entry \`${entry}\` does not exist in the module's folder (${sourceDir})${hint}`);
    return undefined;
  }
  if (!info.isFile()) {
    diags.error(path, `entry \`${entry}\` is a directory: name the script file that defines run(mini_batch)`);
    return undefined;
  }
  return file;
}
