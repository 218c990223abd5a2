/**
 * Parameter values: one converter for a spec's `default` and for a value bound on the command
 * line or in a job file, so both follow the same rules (Integer, Float, Boolean true/false, Enum
 * options, min/max).
 */
import type { Parsed } from './settings.js';
import { didYouMean } from './suggest.js';
import type { ParamDecl, ParamType, ParamValue } from './types.js';

export const PARAM_TYPES: readonly ParamType[] = ['String', 'Integer', 'Float', 'Boolean', 'Enum'];

/** Spellings a user may mean a parameter type by (lower case). */
const PARAM_ALIASES: Readonly<Record<string, ParamType>> = {
  string: 'String',
  str: 'String',
  text: 'String',
  integer: 'Integer',
  int: 'Integer',
  long: 'Integer',
  float: 'Float',
  double: 'Float',
  number: 'Float',
  decimal: 'Float',
  boolean: 'Boolean',
  bool: 'Boolean',
  enum: 'Enum',
  choice: 'Enum',
};

/** The parameter type `type` is probably meant as (`int` → Integer), when it is not exactly one. */
export function likelyParamType(type: string): ParamType | null {
  return PARAM_ALIASES[type.toLowerCase()] ?? null;
}

export function isParamType(type: string): type is ParamType {
  return (PARAM_TYPES as readonly string[]).includes(type);
}

/**
 * `raw` as a value of `type`. `text` is how it was written (a YAML scalar's source, a flag's
 * text): a String parameter takes it as is, so `1.10` stays `1.10`.
 */
export function convertParam(
  type: ParamType,
  raw: unknown,
  text: string,
  options: readonly string[],
): Parsed<ParamValue> {
  const found = `\`${text}\``;
  switch (type) {
    case 'String':
      return { ok: true, value: text };
    case 'Integer': {
      const n = typeof raw === 'number' ? raw : /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : NaN;
      return Number.isSafeInteger(n) ? { ok: true, value: n } : { ok: false, problem: `must be a whole number (Integer); found ${found}` };
    }
    case 'Float': {
      const n = typeof raw === 'number' ? raw : text.trim() === '' ? NaN : Number(text);
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, problem: `must be a number (Float); found ${found}` };
    }
    case 'Boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const lower = text.trim().toLowerCase();
      if (lower === 'true' || lower === 'false') return { ok: true, value: lower === 'true' };
      return { ok: false, problem: `must be true or false (Boolean); found ${found}` };
    }
    case 'Enum':
      if (options.includes(text)) return { ok: true, value: text };
      return {
        ok: false,
        problem: `must be one of its options (${options.map((o) => `\`${o}\``).join(', ')}); found ${found}${didYouMean(text, options)}`,
      };
  }
}

/** Why `value` is outside the parameter's min/max, or null. */
export function rangeProblem(decl: Pick<ParamDecl, 'min' | 'max'>, value: ParamValue): string | null {
  if (typeof value !== 'number') return null;
  if (decl.min !== null && value < decl.min) return `is below the minimum ${decl.min}; found ${value}`;
  if (decl.max !== null && value > decl.max) return `is above the maximum ${decl.max}; found ${value}`;
  return null;
}
