/**
 * `implementation.parallel.args` : literals, placeholders (`{inputPath: N}`,
 * `{inputValue: N}`, `{outputPath: N}`) and optional groups (a nested list, dropped whole when a
 * placeholder in it names an optional input left unset).
 */
import type { Diagnostics, YamlPath } from './diagnostics.js';
import { formatPath, scalarString, sourceText, valueAt } from './diagnostics.js';
import { checkReference } from './references.js';
import type { Declared } from './references.js';
import { describeValue } from './schema.js';
import { didYouMean } from './suggest.js';
import type { ArgTemplate, InputDecl } from './types.js';

const PLACEHOLDERS = ['inputPath', 'inputValue', 'outputPath'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/** The args, or undefined when any is wrong (each problem reported). */
export function checkArgs(diags: Diagnostics, path: YamlPath, declared: Declared): ArgTemplate[] | undefined {
  const raw = valueAt(diags.file.value, path);
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    diags.error(path, `args must be a list, such as [--model, {inputPath: Model}]; found ${describeValue(raw)}`);
    return undefined;
  }
  // Names the args already mention are never suggested for a misspelt one (the user has them).
  const mentioned = namesIn(raw);
  const before = diags.errorCount;
  const args: ArgTemplate[] = [];
  raw.forEach((item, i) => {
    const at = [...path, i];
    if (Array.isArray(item)) {
      const group = checkGroup(diags, at, item, declared, mentioned);
      if (group !== undefined) args.push(group);
    } else {
      const arg = checkItem(diags, at, item, declared, mentioned, false);
      if (arg !== undefined) args.push(arg);
    }
  });
  return diags.errorCount === before ? args : undefined;
}

function checkGroup(
  diags: Diagnostics,
  path: YamlPath,
  items: unknown[],
  declared: Declared,
  mentioned: string[],
): ArgTemplate | undefined {
  if (items.length === 0) {
    diags.error(path, `${formatPath(path)} is an empty optional group: remove it, or write [--flag, {inputValue: Name}]`);
    return undefined;
  }
  const out: ArgTemplate[] = [];
  let placeholders = 0;
  items.forEach((item, i) => {
    const at = [...path, i];
    if (Array.isArray(item)) {
      diags.error(at, `${formatPath(at)}: optional groups cannot be nested; write one flat group per optional input`);
      return;
    }
    const arg = checkItem(diags, at, item, declared, mentioned, true);
    if (arg === undefined) return;
    if (arg.kind !== 'literal') placeholders++;
    out.push(arg);
  });
  if (placeholders === 0 && out.length === items.length) {
    diags.error(path, `${formatPath(path)} is an optional group without a placeholder, so nothing can drop it: add {inputValue: Name} or {inputPath: Name}, or write its items directly in args`);
    return undefined;
  }
  return out.length === items.length ? { kind: 'group', items: out } : undefined;
}

function checkItem(
  diags: Diagnostics,
  path: YamlPath,
  item: unknown,
  declared: Declared,
  mentioned: string[],
  inGroup: boolean,
): ArgTemplate | undefined {
  if (item === null || item === undefined) {
    diags.error(path, `${formatPath(path)} is empty: write a value, a placeholder ({inputValue: Name}) or an optional group ([--flag, {inputValue: Name}])`);
    return undefined;
  }
  if (typeof item === 'string') return { kind: 'literal', value: item };
  // A number keeps its text (`1.10`, not `1.1`), a boolean its spelling.
  if (typeof item !== 'object') return { kind: 'literal', value: sourceText(diags.file, path) ?? scalarString(item) };
  const keys = Object.keys(item);
  const [key] = keys;
  if (keys.length !== 1 || key === undefined) {
    const found = keys.length === 0 ? 'none' : keys.map((k) => `\`${k}\``).join(', ');
    diags.error(path, `${formatPath(path)}: a placeholder has exactly one key (inputPath, inputValue or outputPath); found ${found}`);
    return undefined;
  }
  if (!(PLACEHOLDERS as readonly string[]).includes(key)) {
    const hint = didYouMean(key, PLACEHOLDERS) || ' (placeholders are inputPath, inputValue and outputPath)';
    diags.error([...path, key], `${formatPath(path)}: unknown placeholder \`${key}\`${hint}`, 'key');
    return undefined;
  }
  const kind = key as Placeholder;
  const name = (item as Record<string, unknown>)[key];
  if (typeof name !== 'string' || name === '') {
    diags.error([...path, key], `{${kind}: …} must name ${kind === 'outputPath' ? 'an output' : 'an input'}; found ${describeValue(name)}`);
    return undefined;
  }
  const others = mentioned.filter((m) => m !== name);
  const decl = checkReference(diags, [...path, key], kind, name, declared, others);
  if (decl === null) return declared.broken.has(name) ? { kind, name } : undefined;
  if (!inGroup && kind !== 'outputPath' && mayBeUnset(decl as InputDecl)) {
    diags.error(
      [...path, key],
      `${kind} names \`${name}\`, which is optional${(decl as InputDecl).kind === 'param' ? ' without a default' : ''}: put it in an optional group, [--flag, {${kind}: ${name}}], so it is dropped when unset`,
    );
    return undefined;
  }
  return { kind, name };
}

/** An input that can be left unbound and then has no value to render. */
function mayBeUnset(decl: InputDecl): boolean {
  return decl.optional && (decl.kind === 'port' || decl.default === null);
}

function namesIn(items: readonly unknown[]): string[] {
  const names: string[] = [];
  for (const item of items) {
    if (Array.isArray(item)) names.push(...namesIn(item));
    else if (item !== null && typeof item === 'object') {
      for (const value of Object.values(item)) if (typeof value === 'string') names.push(value);
    }
  }
  return names;
}
