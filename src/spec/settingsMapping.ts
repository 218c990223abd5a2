/**
 * A `settings:` mapping in a YAML file (a spec's `implementation.parallel.settings` or a job
 * file's `settings`), parsed into `Partial<RunSettings>` with each problem at its position.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Diagnostics, YamlPath } from './diagnostics.js';
import { formatPath, valueAt } from './diagnostics.js';
import { checkKeys, describeValue } from './schema.js';
import { SETTING_KEYS, SETTING_NAMES, SETTING_PARSERS } from './settings.js';
import type { RunSettings, SettingName } from './types.js';

export function parseSettingsMapping(diags: Diagnostics, path: YamlPath, baseDir: string): Partial<RunSettings> {
  const raw = valueAt(diags.file.value, path);
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    diags.error(path, `${formatPath(path)} must be a mapping of run settings (miniBatchSize: 10, …); found ${describeValue(raw)}`);
    return {};
  }
  checkKeys(diags, path, Object.values(SETTING_KEYS), 'error');
  const values: Partial<Record<SettingName, unknown>> = {};
  for (const name of SETTING_NAMES) {
    const key = SETTING_KEYS[name];
    const value = (raw as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const parsed = SETTING_PARSERS[name](value);
    if (!parsed.ok) {
      diags.error([...path, key], `${formatPath([...path, key])} ${parsed.problem}`);
      continue;
    }
    values[name] = name === 'python' ? resolveInterpreterPath(parsed.value as string, baseDir) : parsed.value;
  }
  return values as Partial<RunSettings>;
}

/**
 * An interpreter written as a path (`.venv/bin/python`) is relative to the file that names it;
 * a bare command (`python3`) is looked up on PATH when the run starts.
 */
export function resolveInterpreterPath(python: string, baseDir: string): string {
  return python.includes('/') && !isAbsolute(python) ? resolve(baseDir, python) : python;
}
