/**
 * `inputs` and `outputs` of a module spec: data ports and the five parameter types,
 * each with the rules of its kind; names unique, without reserved characters.
 */
import type { Diagnostics, YamlPath } from './diagnostics.js';
import { positionAt, sourceText, valueAt } from './diagnostics.js';
import { reservedCharsIn, snakeCase } from './names.js';
import { convertParam, isParamType, likelyParamType, PARAM_TYPES, rangeProblem } from './params.js';
import { checkKeys, inputSchema, KNOWN_KEYS, listSchema, outputSchema, parseAt } from './schema.js';
import type { RawInput } from './schema.js';
import { closest } from './suggest.js';
import type { InputDecl, OutputDecl, ParamDecl, ParamType, PortDecl } from './types.js';

/** Data types of Azure ML's designer; others are accepted too (a module may define its own). */
export const KNOWN_DATA_TYPES = [
  'AnyDirectory', 'AnyFile', 'ModelDirectory', 'DataFrameDirectory', 'ImageDirectory', 'UntrainedModelDirectory',
  'TransformationDirectory', 'ZipFile', 'CsvFile', 'TsvFile', 'GenericCsv', 'GenericTsv',
];

export interface Declarations<T> {
  readonly decls: T[];
  /** Where each valid declaration is (for "already declared at line N"). */
  readonly paths: Map<T, YamlPath>;
  /** Names of entries that were invalid (references to them are not reported again). */
  readonly broken: Set<string>;
}

export function checkInputs(diags: Diagnostics): Declarations<InputDecl> {
  return checkList(diags, 'inputs', (at) => checkInput(diags, at));
}

export function checkOutputs(diags: Diagnostics): Declarations<OutputDecl> {
  return checkList(diags, 'outputs', (at) => checkOutput(diags, at));
}

function checkList<T extends { name: string }>(
  diags: Diagnostics,
  key: 'inputs' | 'outputs',
  check: (at: YamlPath) => T | undefined,
): Declarations<T> {
  const result: Declarations<T> = { decls: [], paths: new Map(), broken: new Set() };
  const raw = valueAt(diags.file.value, [key]);
  if (raw === undefined || raw === null || parseAt(diags, [key], listSchema) === undefined) return result;
  (raw as unknown[]).forEach((_item, i) => {
    const at = [key, i];
    const decl = check(at);
    if (decl !== undefined) {
      result.decls.push(decl);
      result.paths.set(decl, at);
      return;
    }
    const name = valueAt(diags.file.value, [...at, 'name']);
    if (typeof name === 'string') result.broken.add(name);
  });
  return result;
}

function checkName(diags: Diagnostics, at: YamlPath, name: string, what: string): boolean {
  const reserved = reservedCharsIn(name);
  if (reserved.length === 0) return true;
  const fixed = name.replace(/[_/@[\]]+/g, ' ').replace(/\s+/g, ' ').trim();
  diags.error(
    [...at, 'name'],
    `${what} name \`${name}\` contains ${reserved.map((c) => `\`${c}\``).join(' and ')}: names cannot contain _ / @ [ ] (the command line writes \`Data Input 1\` as data_input_1); rename it, e.g. \`${fixed}\``,
  );
  return false;
}

function checkInput(diags: Diagnostics, at: YamlPath): InputDecl | undefined {
  checkKeys(diags, at, KNOWN_KEYS.input);
  const raw = parseAt(diags, at, inputSchema);
  if (raw === undefined || !checkName(diags, at, raw.name, 'input')) return undefined;
  const types = typeof raw.type === 'string' ? [raw.type] : raw.type;
  const paramTypes = types.filter(isParamType);
  if (paramTypes.length > 0 && types.length > 1) {
    diags.error([...at, 'type'], `input \`${raw.name}\`: a list of types is for data ports, and \`${paramTypes[0]}\` is a parameter type; a parameter has one type`);
    return undefined;
  }
  const [first] = types;
  if (first !== undefined && types.length === 1 && isParamType(first)) return checkParam(diags, at, raw, first);
  for (const [i, type] of types.entries()) {
    const typePath = typeof raw.type === 'string' ? [...at, 'type'] : [...at, 'type', i];
    const meant = likelyParamType(type);
    if (meant !== null) {
      diags.error(typePath, `input \`${raw.name}\`: type \`${type}\` is not a type minibatch knows (did you mean \`${meant}\`?); parameter types are ${PARAM_TYPES.join(', ')}`);
      return undefined;
    }
    const near = KNOWN_DATA_TYPES.includes(type) ? null : closest(type, KNOWN_DATA_TYPES);
    if (near !== null) diags.warning(typePath, `input \`${raw.name}\`: \`${type}\` is not a known data type (did you mean \`${near}\`?); it is taken as a data port all the same`);
  }
  let ok = true;
  for (const key of ['default', 'min', 'max', 'options'] as const) {
    if (raw[key] === undefined || raw[key] === null) continue;
    diags.error([...at, key], `input \`${raw.name}\` is a data port (${types.join(', ')}): \`${key}\` applies to parameters only`, 'key');
    ok = false;
  }
  if (!ok) return undefined;
  const port: PortDecl = { kind: 'port', name: raw.name, types, optional: raw.optional ?? false, description: raw.description ?? null };
  return port;
}

function checkParam(diags: Diagnostics, at: YamlPath, raw: RawInput, type: ParamType): ParamDecl | undefined {
  const before = diags.errorCount;
  const label = `parameter \`${raw.name}\``;
  const numeric = type === 'Integer' || type === 'Float';
  for (const key of ['min', 'max'] as const) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (!numeric) diags.error([...at, key], `${label} (${type}): \`${key}\` applies to Integer and Float parameters only`, 'key');
    else if (type === 'Integer' && !Number.isInteger(value)) diags.error([...at, key], `${label} (Integer): ${key} must be a whole number; found ${value}`);
  }
  const min = numeric ? (raw.min ?? null) : null;
  const max = numeric ? (raw.max ?? null) : null;
  if (min !== null && max !== null && min > max) diags.error([...at, 'max'], `${label}: max ${max} is below min ${min}`);

  let options: string[] = [];
  if (type === 'Enum') {
    options = (raw.options ?? []).map((_o, i) => sourceText(diags.file, [...at, 'options', i]) ?? '');
    if (options.length === 0) {
      const where = raw.options === undefined || raw.options === null ? [...at, 'name'] : [...at, 'options'];
      diags.error(where, `${label} (Enum) has no options: add \`options: [first, second]\``);
    }
    options.forEach((option, i) => {
      if (options.indexOf(option) !== i) diags.error([...at, 'options', i], `${label}: option \`${option}\` is listed twice`);
    });
  } else if (raw.options !== undefined && raw.options !== null) {
    diags.error([...at, 'options'], `${label} (${type}): \`options\` applies to Enum parameters only`, 'key');
  }
  if (diags.errorCount !== before) return undefined;

  let value: ParamDecl['default'] = null;
  if (raw.default !== undefined && raw.default !== null) {
    const text = sourceText(diags.file, [...at, 'default']) ?? String(raw.default);
    const converted = convertParam(type, raw.default, text, options);
    const problem = converted.ok ? rangeProblem({ min, max }, converted.value) : converted.problem;
    if (problem !== null) {
      diags.error([...at, 'default'], `${label}: default ${problem}`);
      return undefined;
    }
    if (converted.ok) value = converted.value;
  }
  return { kind: 'param', name: raw.name, type, optional: raw.optional ?? false, default: value, min, max, options, description: raw.description ?? null };
}

function checkOutput(diags: Diagnostics, at: YamlPath): OutputDecl | undefined {
  checkKeys(diags, at, KNOWN_KEYS.output);
  const raw = parseAt(diags, at, outputSchema);
  if (raw === undefined || !checkName(diags, at, raw.name, 'output')) return undefined;
  const meant = isParamType(raw.type) ? raw.type : likelyParamType(raw.type);
  if (meant !== null) {
    diags.error([...at, 'type'], `output \`${raw.name}\`: type \`${raw.type}\` is a parameter type, and an output is data (a folder): use a data type such as AnyDirectory`);
    return undefined;
  }
  return { name: raw.name, type: raw.type, description: raw.description ?? null };
}

/**
 * Names are unique across inputs and outputs, and so are their snake_case forms (the command line
 * and job files may use either). Reports each later duplicate at its name.
 */
export function checkUniqueNames(
  diags: Diagnostics,
  inputs: Declarations<InputDecl>,
  outputs: Declarations<OutputDecl>,
): void {
  const seen = new Map<string, { name: string; path: YamlPath }>();
  const all = [
    ...inputs.decls.map((d) => ({ name: d.name, path: inputs.paths.get(d) ?? [] })),
    ...outputs.decls.map((d) => ({ name: d.name, path: outputs.paths.get(d) ?? [] })),
  ];
  for (const entry of all) {
    const snake = snakeCase(entry.name);
    const first = seen.get(snake);
    if (first === undefined) {
      seen.set(snake, entry);
      continue;
    }
    const line = positionAt(diags.file, [...first.path, 'name']).line;
    const message =
      first.name === entry.name
        ? `\`${entry.name}\` is already declared at line ${line}: names must be unique across inputs and outputs`
        : `\`${entry.name}\` and \`${first.name}\` (line ${line}) are both written ${snake} on the command line and in job files: rename one`;
    diags.error([...entry.path, 'name'], message);
  }
}
