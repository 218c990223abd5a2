/**
 * What compiling one of Azure ML's v2 formats gathers on the way to a module spec and a job: the
 * declarations, the bindings written in the file, the settings with where each was written, and
 * the diagnostics. Shared by the parallel job/component, pipeline and batch deployment compilers
 * (docs/AZURE.md).
 */
import { dirname } from 'node:path';
import type { Binding } from '../job.js';
import { Diagnostics, formatPath, positionAt, sourceText, valueAt } from '../diagnostics.js';
import type { YamlPath } from '../diagnostics.js';
import type { YamlFile } from '../load.js';
import { describeValue } from '../schema.js';
import { SETTING_PARSERS } from '../settings.js';
import { didYouMean } from '../suggest.js';
import type { InputDecl, OutputDecl, RunSettings, SettingName } from '../types.js';

export class CompileContext {
  readonly diags: Diagnostics;
  /** The file's folder: what its relative paths are relative to. */
  readonly baseDir: string;
  readonly inputs: InputDecl[] = [];
  readonly outputs: OutputDecl[] = [];
  readonly inputBindings: Binding[] = [];
  readonly parameterBindings: Binding[] = [];
  readonly outputBindings: Binding[] = [];
  readonly missing: Record<string, string> = {};
  readonly settings: Partial<Record<SettingName, unknown>> = {};
  readonly origins: Partial<Record<SettingName, string>> = {};
  /** Settings set by a format's own default, which the file may replace without a warning. */
  readonly #defaults = new Set<SettingName>();

  constructor(readonly file: YamlFile) {
    this.diags = new Diagnostics(file);
    for (const w of file.warnings) this.diags.push(w);
    this.baseDir = dirname(file.path);
  }

  value(path: YamlPath): unknown {
    return valueAt(this.file.value, path);
  }

  /** `file:line:col` of the value at `path`, for binding messages. */
  origin(path: YamlPath): string {
    const { line, col } = positionAt(this.file, path);
    return `${this.file.display}:${line}:${col}`;
  }

  /** A binding written in the file (a local path, a default value). */
  binding(path: YamlPath, name: string, value: unknown): Binding {
    const text = sourceText(this.file, path) ?? (typeof value === 'string' ? value : JSON.stringify(value));
    return { name, value, text, origin: this.origin(path), baseDir: this.baseDir };
  }

  /**
   * Each key of the mapping at `path` that Azure's schema does not know is an error (Azure refuses
   * the file too), with a did-you-mean among the keys the mapping does not already have.
   */
  strictKeys(path: YamlPath, known: readonly string[]): void {
    const value = this.value(path);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const present = Object.keys(value);
    const where = path.length === 0 ? 'at the top level' : `in ${formatPath(path)}`;
    for (const key of present) {
      if (known.includes(key)) continue;
      const hint = didYouMean(key, known, present) || ` (known keys: ${known.join(', ')})`;
      this.diags.error([...path, key], `unknown key \`${key}\` ${where}${hint}`, 'key');
    }
  }

  /** A mapping at `path`, or null (absent or empty); anything else is an error. */
  mapping(path: YamlPath, what: string): Record<string, unknown> | null {
    const value = this.value(path);
    if (value === undefined || value === null) return null;
    if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    this.diags.error(path, `${formatPath(path)} must be ${what}; found ${describeValue(value)}`);
    return null;
  }

  /** A non-empty string at `path`, or undefined (absent, or reported). */
  text(path: YamlPath, what: string): string | undefined {
    const value = this.value(path);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    this.diags.error(path, `${formatPath(path)} must be ${what}; found ${describeValue(value)}`);
    return undefined;
  }

  /**
   * Sets `name` from the value at `path` (parsed as the setting), remembering where it came from.
   * `convert` adapts Azure's value to the setting's (-1 meaning none, seconds, …).
   */
  setting(name: SettingName, path: YamlPath, convert: (raw: unknown) => unknown = (raw) => raw): void {
    const raw = this.value(path);
    if (raw === undefined || raw === null) return;
    this.settingValue(name, convert(raw), formatPath(path), path);
  }

  /** Sets `name` to `raw` (parsed as the setting); `where` names its place for `explain`. */
  settingValue(name: SettingName, raw: unknown, where: string, at: YamlPath): void {
    const parsed = SETTING_PARSERS[name](raw);
    if (!parsed.ok) {
      this.diags.error(at, `${where} ${parsed.problem}`);
      return;
    }
    const earlier = this.origins[name];
    if (earlier !== undefined && !this.#defaults.delete(name)) {
      this.diags.warning(at, `${where} sets what ${earlier} already set; ${where} wins`);
    }
    this.settings[name] = parsed.value;
    this.origins[name] = where;
  }

  /** A format's default (a batch deployment's, which differ from ParallelRunStep's). */
  defaultSetting(name: SettingName, raw: unknown, where: string): void {
    this.settingValue(name, raw, where, []);
    this.#defaults.add(name);
  }

  resolvedSettings(): Partial<RunSettings> {
    return this.settings as Partial<RunSettings>;
  }
}
