/**
 * A v2 parallel task's `program_arguments`: one string of words, with `${{inputs.x}}` /
 * `${{outputs.y}}` placeholders and optional groups `$[[ ... ]]` (dropped whole when an input in
 * them is unset), compiled to the same `ArgTemplate`s as a module spec's `args`. ParallelRunStep's
 * own arguments (`--error_threshold 5`, …) are taken out: applied as settings, or warned about as
 * not applicable here; the script never sees them, as on Azure (docs/AZURE.md).
 */
import { formatPath } from '../diagnostics.js';
import type { YamlPath } from '../diagnostics.js';
import type { ArgTemplate, ParamValue, SettingName } from '../types.js';
import type { CompileContext } from './compile-context.js';

/** ParallelRunStep's arguments: the setting each sets, or null when it means nothing here (and why). */
const SETTING_ARGUMENTS: Readonly<Record<string, SettingName | { readonly why: string }>> = {
  error_threshold: 'errorThreshold',
  allowed_failed_percent: 'allowedFailedPercent',
  allowed_failed_count: 'allowedFailedCount',
  run_invocation_timeout: 'runInvocationTimeoutMs',
  run_max_try: 'runMaxTry',
  process_count_per_node: 'processCountPerNode',
  mini_batch_size: 'miniBatchSize',
  logging_level: 'loggingLevel',
  append_row_file_name: 'appendRowFileName',
  task_overhead_timeout: { why: 'a mini-batch starts as soon as a worker is free' },
  progress_update_timeout: { why: 'each run() has its own timeout (retry_settings.timeout)' },
  first_task_creation_timeout: { why: 'mini-batches are dispatched while the input is still listed' },
  resource_monitor_interval: { why: 'minibatch writes no resource-usage logs' },
  copy_logs_to_parent: { why: 'there is no parent pipeline run: logs stay in the run directory' },
  metrics_name_prefix: { why: 'metrics keep their names in logs/metrics.jsonl' },
  push_metrics_to_parent: { why: 'there is no parent pipeline run' },
};

/** What the compiler knows of the job's inputs and outputs when it reads the arguments. */
export interface ArgumentScope {
  /** `port`, `param`, or undefined when `name` is no input. */
  inputKind(name: string): 'port' | 'param' | undefined;
  hasOutput(name: string): boolean;
  /** A parameter's value as the file gives it (literal or default); null when unset. */
  parameterValue(name: string): ParamValue | null;
}

const PLACEHOLDER = /\$\{\{\s*(inputs|outputs)\.([A-Za-z0-9_.-]+)\s*\}\}/g;

interface Word {
  readonly text: string;
  /** Index of its optional group, or null. */
  readonly group: number | null;
}

export function compileProgramArguments(ctx: CompileContext, path: YamlPath, scope: ArgumentScope): ArgTemplate[] {
  const raw = ctx.value(path);
  if (raw === undefined || raw === null) return [];
  const where = formatPath(path);
  if (typeof raw !== 'string' && !Array.isArray(raw)) {
    ctx.diags.error(path, `${where} must be a string of arguments (--input_path \${{inputs.data}} --threshold 5)`);
    return [];
  }
  const text = typeof raw === 'string' ? raw : raw.map(String).join(' ');
  const words = splitWords(text, (message) => ctx.diags.error(path, `${where}: ${message}`));
  const kept = takeSettingArguments(ctx, path, words, scope);

  const out: ArgTemplate[] = [];
  const groups = new Map<number, ArgTemplate[]>();
  for (const word of kept) {
    const template = compileWord(ctx, path, word.text, scope);
    if (template === null) continue;
    if (word.group === null) {
      out.push(template);
      continue;
    }
    let items = groups.get(word.group);
    if (items === undefined) {
      items = [];
      groups.set(word.group, items);
      out.push({ kind: 'group', items });
    }
    items.push(template);
  }
  return out;
}

/** Words, split on blanks outside quotes; `$[[ … ]]` marks the words of an optional group. */
function splitWords(text: string, fail: (message: string) => void): Word[] {
  const words: Word[] = [];
  let group: number | null = null;
  let groups = 0;
  let current: string | null = null;
  let quote: string | null = null;
  const end = (): void => {
    if (current !== null) words.push({ text: current, group });
    current = null;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote !== null) {
      if (c === quote) quote = null;
      else current = (current ?? '') + c;
      continue;
    }
    if (text.startsWith('$[[', i)) {
      if (group !== null) fail('an optional group `$[[` opens inside another; groups do not nest');
      end();
      group = groups++;
      i += 2;
      continue;
    }
    if (text.startsWith(']]', i) && group !== null) {
      end();
      group = null;
      i += 1;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      current = current ?? '';
      continue;
    }
    if (/\s/.test(c)) end();
    else current = (current ?? '') + c;
  }
  if (quote !== null) fail(`a quote (${quote}) is never closed`);
  if (group !== null) fail('an optional group `$[[` is never closed with `]]`');
  end();
  return words;
}

/**
 * Takes ParallelRunStep's own arguments (`--name value` or `--name=value`) out of `words`, applying
 * each as a setting. One in an optional group whose input is unset is dropped with its group.
 */
function takeSettingArguments(ctx: CompileContext, path: YamlPath, words: readonly Word[], scope: ArgumentScope): Word[] {
  const kept: Word[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as Word;
    const match = /^--([a-z_]+)(?:=(.*))?$/.exec(word.text);
    const known = match === null ? undefined : SETTING_ARGUMENTS[match[1] ?? ''];
    if (match === null || known === undefined) {
      kept.push(word);
      continue;
    }
    const flag = `--${match[1] ?? ''}`;
    let valueText = match[2];
    if (valueText === undefined) {
      const next = words[i + 1];
      if (next === undefined || next.text.startsWith('--')) {
        ctx.diags.error(path, `${flag} in ${formatPath(path)} needs a value`);
        continue;
      }
      valueText = next.text;
      i++;
    }
    const where = `${flag} in program_arguments`;
    if (typeof known === 'object') {
      ctx.diags.warning(path, `${where} does not apply here (${known.why}); it is not passed to the script`);
      continue;
    }
    const value = placeholderValue(ctx, path, valueText, scope, where);
    if (value === undefined) continue;
    if (value === null) {
      if (word.group === null) ctx.diags.error(path, `${where} takes its value from an input that has none: give it a default`);
      continue; // its optional group is dropped
    }
    ctx.settingValue(known, value, where, path);
  }
  return kept;
}

/** A setting argument's value: literal text, or a parameter's value in the file (null when unset). */
function placeholderValue(ctx: CompileContext, path: YamlPath, text: string, scope: ArgumentScope, where: string): ParamValue | null | undefined {
  const whole = /^\$\{\{\s*inputs\.([A-Za-z0-9_.-]+)\s*\}\}$/.exec(text);
  if (whole === null) {
    if (text.includes('${{')) ctx.diags.error(path, `${where} must be a value or one \${{inputs.NAME}}; found \`${text}\``);
    return text.includes('${{') ? undefined : text;
  }
  const name = whole[1] ?? '';
  if (scope.inputKind(name) !== 'param') {
    ctx.diags.error(path, `${where} names \`inputs.${name}\`, which is not a literal input (string, integer, number or boolean)`);
    return undefined;
  }
  return scope.parameterValue(name);
}

/** One word: a literal, a placeholder, or a word made of both. */
function compileWord(ctx: CompileContext, path: YamlPath, text: string, scope: ArgumentScope): ArgTemplate | null {
  const parts: ArgTemplate[] = [];
  let last = 0;
  let ok = true;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const at = match.index ?? 0;
    if (at > last) parts.push({ kind: 'literal', value: text.slice(last, at) });
    last = at + match[0].length;
    const kind = match[1];
    const name = match[2] ?? '';
    if (kind === 'outputs') {
      if (!scope.hasOutput(name)) {
        ctx.diags.error(path, `${formatPath(path)} names \`outputs.${name}\`, which is not declared in outputs`);
        ok = false;
      }
      parts.push({ kind: 'outputPath', name });
      continue;
    }
    const inputKind = scope.inputKind(name);
    if (inputKind === undefined) {
      ctx.diags.error(path, `${formatPath(path)} names \`inputs.${name}\`, which is not declared in inputs`);
      ok = false;
    }
    parts.push(inputKind === 'param' ? { kind: 'inputValue', name } : { kind: 'inputPath', name });
  }
  if (last < text.length) parts.push({ kind: 'literal', value: text.slice(last) });
  if (!ok) return null;
  if (parts.length === 0) return { kind: 'literal', value: '' };
  return parts.length === 1 ? (parts[0] as ArgTemplate) : { kind: 'concat', parts };
}
