/**
 * The shape of a module spec (what type each field has), checked with zod, and the bridge from
 * zod's issues to our positioned diagnostics in our own words. Rules between fields (a default of
 * the parameter's type, names that must be declared, …) are in validate.ts and parallel.ts.
 *
 * Each schema carries, as its `error`, the phrase that completes "`field` must be …": zod's own
 * messages never reach the user.
 */
import { z } from 'zod';
import type { Diagnostics, YamlPath } from './diagnostics.js';
import { formatPath, valueAt } from './diagnostics.js';
import { didYouMean } from './suggest.js';

const text = z.string({ error: 'a string' });
const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'a single value (text, a number or true/false)' });

export const identifierSchema = z.object(
  {
    moduleName: text.min(1, { error: 'a non-empty name' }),
    moduleVersion: z.union([z.string().min(1), z.number()], { error: 'a version such as 0.0.1' }),
    namespace: text.nullish(),
  },
  { error: 'a mapping with moduleName and moduleVersion' },
);

export const metadataSchema = z.object(
  {
    annotations: z
      .object(
        {
          tags: z.array(scalar, { error: 'a list of tags' }).nullish(),
          contact: text.nullish(),
          helpDocument: text.nullish(),
        },
        { error: 'a mapping (tags, contact, helpDocument)' },
      )
      .nullish(),
  },
  { error: 'a mapping with annotations' },
);

export const inputSchema = z.object(
  {
    name: text.min(1, { error: 'a non-empty name' }),
    type: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
      error: 'a type name (String, Integer, Float, Boolean, Enum, or a data type such as AnyDirectory) or a list of data types',
    }),
    description: text.nullish(),
    optional: z.boolean({ error: 'true or false' }).nullish(),
    default: scalar.nullish(),
    min: z.number({ error: 'a number' }).nullish(),
    max: z.number({ error: 'a number' }).nullish(),
    options: z.array(scalar, { error: 'a list of values' }).nullish(),
  },
  { error: 'a mapping with name and type' },
);
export type RawInput = z.infer<typeof inputSchema>;

export const outputSchema = z.object(
  {
    name: text.min(1, { error: 'a non-empty name' }),
    type: z.string({ error: 'a data type name such as AnyDirectory' }).min(1, { error: 'a data type name such as AnyDirectory' }),
    description: text.nullish(),
  },
  { error: 'a mapping with name and type' },
);
export type RawOutput = z.infer<typeof outputSchema>;

export const listSchema = z.array(z.unknown(), { error: 'a list' });
export const mappingSchema = z.record(z.string(), z.unknown(), { error: 'a mapping' });
export const textSchema = text;
export const booleanSchema = z.boolean({ error: 'true or false' });
export const inputDataSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'an input port name or a list of them',
});

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
    const at = [...path, ...(issue.path as (string | number)[])];
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
 * the known keys the mapping does not already have.
 */
export function checkKeys(diags: Diagnostics, path: YamlPath, known: readonly string[]): void {
  const value = valueAt(diags.file.value, path);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const present = Object.keys(value);
  const where = path.length === 0 ? 'at the top level' : `in ${formatPath(path)}`;
  for (const key of present) {
    if (known.includes(key)) continue;
    const suggestion = didYouMean(key, known, present);
    const hint = suggestion || ` (known keys: ${known.join(', ')})`;
    diags.warning([...path, key], `unknown key \`${key}\` ${where} is ignored${hint}`, 'key');
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
