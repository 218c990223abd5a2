/**
 * The shape of a module spec (what type each field has), checked with zod, and the bridge from
 * zod's issues to our positioned diagnostics in our own words. Rules between fields (a default of
 * the parameter's type, names that must be declared, …) are in validate.ts and parallel.ts.
 *
 * Each schema carries the phrase that completes "`field` must be …": as its error map (`mustBe`)
 * for the issues the schema raises itself, and as the message of each check. zod's own messages
 * never reach the user.
 *
 * zod 3, not 4: importing zod 4 costs ~70 ms of every start-up (it loads all its locales), zod 3
 * ~10 ms.
 */
import { z } from 'zod';
import type { Diagnostics, YamlPath } from './diagnostics.js';
import { formatPath, valueAt } from './diagnostics.js';
import { didYouMean } from './suggest.js';

/**
 * Every issue the schema raises itself reads `phrase`: a wrong type, no union option that fits, a
 * failed check without a message of its own. (Issues of the schemas inside it keep theirs.)
 */
function mustBe(phrase: string): { errorMap: z.ZodErrorMap } {
  return { errorMap: () => ({ message: phrase }) };
}

/**
 * A number other than YAML's `.inf` and `.nan`, which no field means (zod 3's z.number() takes
 * `.inf`). A union reports the issues of the one option whose type fits, so a number inside a
 * union carries the union's phrase.
 */
function finite(phrase: string): z.ZodNumber {
  return z.number(mustBe(phrase)).finite();
}

/** A non-empty string or a non-empty list of them; an empty one is reported in the same words. */
function nameOrNames(phrase: string): z.ZodUnion<[z.ZodString, z.ZodArray<z.ZodString>]> {
  const name = z.string().min(1, { message: phrase });
  return z.union([name, z.array(name).min(1, { message: phrase })], mustBe(phrase));
}

const SCALAR = 'a single value (text, a number or true/false)';
const text = z.string(mustBe('a string'));
const scalar = z.union([z.string(), finite(SCALAR), z.boolean()], mustBe(SCALAR));

const VERSION = 'a version such as 0.0.1';
export const identifierSchema = z.object(
  {
    moduleName: text.min(1, { message: 'a non-empty name' }),
    moduleVersion: z.union([z.string().min(1, { message: VERSION }), finite(VERSION)], mustBe(VERSION)),
    namespace: text.nullish(),
  },
  mustBe('a mapping with moduleName and moduleVersion'),
);

export const metadataSchema = z.object(
  {
    annotations: z
      .object(
        {
          tags: z.array(scalar, mustBe('a list of tags')).nullish(),
          contact: text.nullish(),
          helpDocument: text.nullish(),
        },
        mustBe('a mapping (tags, contact, helpDocument)'),
      )
      .nullish(),
  },
  mustBe('a mapping with annotations'),
);

export const inputSchema = z.object(
  {
    name: text.min(1, { message: 'a non-empty name' }),
    type: nameOrNames('a type name (String, Integer, Float, Boolean, Enum, or a data type such as AnyDirectory) or a list of data types'),
    description: text.nullish(),
    optional: z.boolean(mustBe('true or false')).nullish(),
    default: scalar.nullish(),
    min: finite('a number').nullish(),
    max: finite('a number').nullish(),
    options: z.array(scalar, mustBe('a list of values')).nullish(),
  },
  mustBe('a mapping with name and type'),
);
export type RawInput = z.infer<typeof inputSchema>;

const DATA_TYPE = 'a data type name such as AnyDirectory';
export const outputSchema = z.object(
  {
    name: text.min(1, { message: 'a non-empty name' }),
    type: z.string(mustBe(DATA_TYPE)).min(1, { message: DATA_TYPE }),
    description: text.nullish(),
  },
  mustBe('a mapping with name and type'),
);
export type RawOutput = z.infer<typeof outputSchema>;

export const listSchema = z.array(z.unknown(), mustBe('a list'));
export const mappingSchema = z.record(z.string(), z.unknown(), mustBe('a mapping'));
export const textSchema = text;
export const booleanSchema = z.boolean(mustBe('true or false'));
export const inputDataSchema = nameOrNames('an input port name or a list of them');

/** Keys known at each mapping of the spec; anything else is warned about and ignored. */
export const KNOWN_KEYS = {
  root: ['amlModuleIdentifier', 'metadata', 'description', 'isDeterministic', 'jobType', 'inputs', 'outputs', 'implementation'],
  amlModuleIdentifier: ['moduleName', 'moduleVersion', 'namespace'],
  metadata: ['annotations'],
  annotations: ['tags', 'contact', 'helpDocument'],
  input: ['name', 'type', 'description', 'optional', 'default', 'min', 'max', 'options'],
  output: ['name', 'type', 'description'],
  implementation: ['parallel'],
  parallel: ['amlEnvironment', 'image', 'inputData', 'outputData', 'entry', 'args', 'settings'],
} as const;

/**
 * Parses the value at `path` with `schema`; on failure reports each issue at its position and
 * returns undefined. A missing required key is reported at the mapping that lacks it.
 */
export function parseAt<T>(diags: Diagnostics, path: YamlPath, schema: z.ZodType<T>): T | undefined {
  const value = valueAt(diags.file.value, path);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const at = [...path, ...issue.path];
    const found = valueAt(diags.file.value, at);
    const field = formatPath(at) || 'the document';
    if (found === undefined && at.length > 0) {
      const parent = formatPath(at.slice(0, -1)) || 'the top level';
      diags.error(at.slice(0, -1), `${parent} has no \`${String(at[at.length - 1])}\`: add it`, 'key');
    } else {
      diags.error(at, `${field} must be ${issue.message}; found ${describeValue(found)}`);
    }
  }
  return undefined;
}

/**
 * Warns about each key of the mapping at `path` that is not in `known`, with a suggestion among
 * the known keys the mapping does not already have. `error`: where an ignored key would silently
 * change a run (a misspelt setting runs with its default), it is an error instead.
 */
export function checkKeys(diags: Diagnostics, path: YamlPath, known: readonly string[], severity: 'warning' | 'error' = 'warning'): void {
  const value = valueAt(diags.file.value, path);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const present = Object.keys(value);
  const presentSet = new Set(present);
  const knownSet = new Set(known);
  const where = path.length === 0 ? 'at the top level' : `in ${formatPath(path)}`;
  for (const key of present) {
    if (knownSet.has(key)) continue;
    const suggestion = didYouMean(key, known, presentSet);
    const hint = suggestion || ` (known keys: ${known.join(', ')})`;
    if (severity === 'error') {
      diags.error([...path, key], `unknown key \`${key}\` ${where}${hint}: a run would ignore it`, 'key');
    } else {
      diags.warning([...path, key], `unknown key \`${key}\` ${where} is ignored${hint}`, 'key');
    }
  }
}

/** `the string `abc``, `the number 5`, `a list`, … — what was found, for messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (an empty value)';
  if (typeof value === 'string') return `the text \`${value}\``;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `\`${value}\``;
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}
