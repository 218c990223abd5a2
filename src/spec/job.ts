/**
 * Job files: a module spec plus its bindings and settings, recognised by a top-level
 * `module:` key. Paths in a job file are relative to the job file's folder.
 *
 * ```yaml
 * module: ./module.yaml
 * inputs:     { Data Input 1: ./data }     # or data_input_1
 * parameters: { Some Parameter: hello }
 * outputs:    { Data Output: ./out }
 * settings:   { miniBatchSize: 5, runInvocationTimeout: 2m }
 * python: .venv/bin/python                # shorthand for settings.python
 * ```
 */
import { homedir } from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { SpecError } from '../core/errors.js';
import type { Diagnostic } from '../core/errors.js';
import { Diagnostics, formatPath, positionAt, sourceText, valueAt } from './diagnostics.js';
import type { YamlPath } from './diagnostics.js';
import { isMapping } from './load.js';
import type { YamlFile } from './load.js';
import { checkKeys, describeValue, parseAt, textSchema } from './schema.js';
import { closest } from './suggest.js';
import { parseSettingsMapping, resolveInterpreterPath } from './settingsMapping.js';
import type { RunSettings } from './types.js';

/** One `NAME=VALUE` binding, from a job file or a flag. */
export interface Binding {
  /** The name as written (a declared name, or its snake_case form). */
  readonly name: string;
  /** The value as parsed (YAML scalar, or the flag's text). */
  readonly value: unknown;
  /** The value as written: a String parameter takes this, so `1.10` stays `1.10`. */
  readonly text: string;
  /** Where it was written, for messages: `job.yaml:5:3`, or `--input 'Data Input 1=./data'`. */
  readonly origin: string;
  /** What a relative path is relative to. */
  readonly baseDir: string;
}

export interface Bindings {
  readonly inputs: readonly Binding[];
  readonly parameters: readonly Binding[];
  readonly outputs: readonly Binding[];
}

export interface JobFile extends Bindings {
  /** Absolute path of the job file. */
  readonly path: string;
  /** The module spec, as given (relative to the current directory when the job file's was). */
  readonly module: string;
  readonly settings: Partial<RunSettings>;
  /**
   * Why an input is unbound and how to bind it, by declared name, when the file names a source
   * that cannot be read here (another pipeline node's output, a workspace data asset). Binding
   * says this instead of the generic "is required".
   */
  readonly missing: Readonly<Record<string, string>>;
  /**
   * Where a binding of each kind belongs, for the message about one the module needs and the file
   * lacks: the `inputs:` (`parameters:`, `outputs:`) key as `job.yaml:3:1`, or the file's top when
   * it has no such section (`present` false).
   */
  readonly sections: Readonly<Record<'inputs' | 'parameters' | 'outputs', JobSection>>;
}

/** A section of a job file (`inputs:`), or where one would go. */
export interface JobSection {
  /** `job.yaml:3:1`. */
  readonly origin: string;
  /** The file has this section. */
  readonly present: boolean;
}

/** Where the `key:` section of `file` is, or its top when it has none. */
export function jobSection(file: YamlFile, key: 'inputs' | 'parameters' | 'outputs'): JobSection {
  const present = valueAt(file.value, [key]) !== undefined;
  const { line, col } = present ? positionAt(file, [key], 'key') : { line: 1, col: 1 };
  return { origin: `${file.display}:${line}:${col}`, present };
}

const JOB_KEYS = ['module', 'inputs', 'parameters', 'outputs', 'settings', 'python'];

/** A job file is a mapping with a top-level `module:` key; anything else is taken for a spec. */
export function isJobFile(file: YamlFile): boolean {
  return isMapping(file) && valueAt(file.value, ['module']) !== undefined;
}

/** A `module:` that names no file is the job file's mistake: blamed on its line, with the YAML files beside it. */
function checkModulePath(diags: Diagnostics, file: string, given: string): void {
  if (existsSync(file)) return;
  let siblings: string[] = [];
  try {
    siblings = readdirSync(dirname(file)).filter((name) => /\.ya?ml$/.test(name));
  } catch {
    // No such folder either: no suggestion.
  }
  const near = closest(basename(file), siblings);
  const hint = near === null ? '' : ` (did you mean \`${join(dirname(given), near)}\`?)`;
  diags.error(['module'], `module \`${given}\` does not exist (${file})${hint}`);
}

/** Throws `SpecError('SPEC_INVALID')` with every problem; returns the job and its warnings. */
export function parseJobFile(file: YamlFile): { job: JobFile; diagnostics: readonly Diagnostic[] } {
  const diags = new Diagnostics(file);
  for (const w of file.warnings) diags.push(w);
  checkKeys(diags, [], JOB_KEYS, 'error');
  const baseDir = dirname(file.path);
  const module = parseAt(diags, ['module'], textSchema.min(1, { message: 'the path of a module spec' }));
  const inputs = bindingsAt(diags, 'inputs', baseDir);
  const parameters = bindingsAt(diags, 'parameters', baseDir);
  const outputs = bindingsAt(diags, 'outputs', baseDir);
  const settings: { -readonly [K in keyof RunSettings]?: RunSettings[K] } = parseSettingsMapping(diags, ['settings'], baseDir);
  // `python:` at the top is a shorthand for `settings.python` (the setting users change most).
  const python = valueAt(file.value, ['python']);
  if (python !== undefined && python !== null) {
    const parsed = parseAt(diags, ['python'], textSchema.min(1, { message: 'an interpreter command or path' }));
    if (parsed !== undefined && settings.python !== undefined) diags.error(['python'], 'python is set twice, here and in settings.python: keep one', 'key');
    else if (parsed !== undefined) settings.python = resolveInterpreterPath(parsed, baseDir);
  }
  if (module !== undefined) checkModulePath(diags, resolve(baseDir, module), module);
  const diagnostics = diags.sorted();
  if (diags.errorCount > 0 || module === undefined) throw new SpecError('SPEC_INVALID', diagnostics);
  const job: JobFile = {
    path: file.path,
    module: isAbsolute(module) ? module : join(dirname(file.display), module),
    inputs,
    parameters,
    outputs,
    settings,
    missing: {},
    sections: { inputs: jobSection(file, 'inputs'), parameters: jobSection(file, 'parameters'), outputs: jobSection(file, 'outputs') },
  };
  return { job, diagnostics };
}

function bindingsAt(diags: Diagnostics, key: 'inputs' | 'parameters' | 'outputs', baseDir: string): Binding[] {
  const raw = valueAt(diags.file.value, [key]);
  if (raw === undefined || raw === null) return [];
  const what = key === 'parameters' ? 'values' : 'paths';
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    diags.error([key], `${key} must be a mapping of names to ${what} (Name: ${key === 'parameters' ? 'value' : './path'}); found ${describeValue(raw)}`);
    return [];
  }
  const out: Binding[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const at: YamlPath = [key, name];
    if (value === null || typeof value === 'object') {
      const hint = value === null ? `; remove \`${name}\` to leave it unbound` : '';
      diags.error(at, `${formatPath(at)} must be a single ${key === 'parameters' ? 'value' : 'path'}; found ${describeValue(value)}${hint}`);
      continue;
    }
    const { line, col } = positionAt(diags.file, at, 'key');
    const text = sourceText(diags.file, at) ?? String(value as string);
    out.push({ name, value, text, origin: `${diags.file.display}:${line}:${col}`, baseDir });
  }
  return out;
}

/**
 * An absolute path for a bound path, relative to where it was written. `~/` is the home folder
 * (a shell does not expand it after `NAME=`, nor does YAML).
 */
export function bindingPath(binding: Binding): string {
  const text = binding.text;
  if (text === '~' || text.startsWith('~/')) return join(homedir(), text.slice(1));
  return resolve(binding.baseDir, text);
}
