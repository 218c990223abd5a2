/**
 * Run settings (docs/ARCHITECTURE.md, "Tries"): parsing one value (from YAML or from a flag) into the units of
 * `RunSettings`, the defaults, and the precedence flag > job file > spec > default.
 *
 * Parsers return a problem phrase instead of throwing, so callers can gather every problem and
 * report each where it was written (a spec or job file position, or a flag).
 */
import { availableParallelism } from 'node:os';
import type { TableRead } from '../core/table-format.js';
import { describeTableRead, parseInputFormats } from './input-format.js';
import { looksSecret, MASKED } from './secret-names.js';
import type {
  AppendRowFormat,
  GpuChoice,
  LoggingLevel,
  MiniBatchSize,
  OutputAction,
  RunSettings,
  SettingName,
  SettingSource,
} from './types.js';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

/** A YAML key or a flag's text, as the user wrote it. */
function shown(raw: unknown): string {
  return typeof raw === 'string' ? `\`${raw}\`` : Array.isArray(raw) ? 'a list' : raw !== null && typeof raw === 'object' ? 'a mapping' : `\`${String(raw)}\``;
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90` (seconds), `90s`, `1.5s`, `500ms`, `5m`, `1h` → milliseconds (rounded, > 0). */
/**
 * The longest timeout: timers cannot wait past 24.8 days, and the derived initTimeout
 * (3 × runInvocationTimeout + 30 s) must stay below that.
 */
const MAX_DURATION_MS = 7 * 24 * 3600 * 1000;

export function parseDuration(raw: unknown): Parsed<number> {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : null;
  const match = text === null ? null : /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?$/.exec(text);
  if (match === null) return bad(`must be a duration such as 90 (seconds), 90s, 1.5s, 500ms or 5m; found ${shown(raw)}`);
  const ms = Math.round(Number(match[1]) * (UNITS_MS[match[2] ?? 's'] ?? 1000));
  if (ms <= 0) return bad(`must be longer than 0; found ${shown(raw)}`);
  return ms <= MAX_DURATION_MS ? ok(ms) : bad(`must be at most 7 days (168h); found ${shown(raw)}`);
}

const UNITS_BYTES: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * `10` (files, or bytes of a table), `512KB`, `1MB`, `2GB` (bytes, powers of 1024), or `1000rows`
 * (rows of a table): docs/TABULAR.md.
 */
export function parseSize(raw: unknown): Parsed<MiniBatchSize> {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : null;
  const match = text === null ? null : /^(\d+)([kKmMgG][bB]|rows?)?$/.exec(text);
  if (match === null) {
    return bad(`must be a count of items such as 10, a size such as 512KB or 1MB, or rows such as 1000rows; found ${shown(raw)}`);
  }
  const n = Number(match[1]);
  if (n < 1) return bad(`must be at least 1; found ${shown(raw)}`);
  if (!Number.isSafeInteger(n * 1024 ** 3)) return bad(`is too large; found ${shown(raw)}`);
  const unit = match[2]?.toLowerCase();
  if (unit === undefined) return ok({ unit: 'items', count: n });
  if (unit.startsWith('row')) return ok({ unit: 'rows', rows: n });
  return ok({ unit: 'bytes', bytes: n * (UNITS_BYTES[unit[0] ?? ''] ?? 1) });
}

function parseInteger(raw: unknown, min: number): Parsed<number> {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) return bad(`must be a whole number; found ${shown(raw)}`);
  return n >= min ? ok(n) : bad(`must be ${min} or more; found ${shown(raw)}`);
}

/**
 * Worker processes a machine may be asked for: each is a Python interpreter (tens of MB), so 100,000
 * would fork until memory or file descriptors run out. Far above any useful count on this machine.
 */
export const MAX_PROCESSES = Math.max(256, 16 * availableParallelism());

function parseProcessCount(raw: unknown): Parsed<number> {
  const n = parseInteger(raw, 1);
  if (n.ok && n.value > MAX_PROCESSES) {
    return bad(`must be at most ${MAX_PROCESSES} (16 per CPU, at least 256): each is a Python process; found ${shown(raw)}`);
  }
  return n;
}

/** A count where -1 (ParallelRunStep's "no limit") means null. */
function parseLimit(raw: unknown): Parsed<number | null> {
  const n = parseInteger(raw, -1);
  return n.ok ? ok(n.value === -1 ? null : n.value) : n;
}

function parsePercent(raw: unknown): Parsed<number | null> {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (n === -1) return ok(null);
  if (!Number.isFinite(n) || n < 0 || n > 100) return bad(`must be a percentage from 0 to 100 (or -1 for no limit); found ${shown(raw)}`);
  return ok(n);
}

function parseChoice<T extends string>(choices: readonly T[], upper = false) {
  return (raw: unknown): Parsed<T> => {
    const text = typeof raw === 'string' ? (upper ? raw.trim().toUpperCase() : raw.trim()) : null;
    const found = choices.find((c) => c === text);
    return found !== undefined ? ok(found) : bad(`must be one of ${choices.join(', ')}; found ${shown(raw)}`);
  };
}

function parseText(raw: unknown): Parsed<string> {
  if (typeof raw === 'string' && raw.trim() !== '') return ok(raw.trim());
  return bad(`must be a non-empty text; found ${shown(raw)}`);
}

function parseFileName(raw: unknown): Parsed<string> {
  const name = parseText(raw);
  if (name.ok && (name.value === '.' || name.value === '..')) return bad(`must name a file, not \`${name.value}\`; found ${shown(raw)}`);
  if (name.ok && /[/\\]/.test(name.value)) return bad(`must be a file name without a folder (it is written in the outputData folder); found ${shown(raw)}`);
  return name;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseEnvironment(raw: unknown): Parsed<Record<string, string>> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return bad(`must be a mapping of variable names to values (FOO: bar); found ${shown(raw)}`);
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!ENV_NAME.test(name)) return bad(`has \`${name}\`, which is not a valid environment variable name (letters, digits and _, not starting with a digit)`);
    if (value !== null && typeof value === 'object') return bad(`must map \`${name}\` to a single value; found ${shown(value)}`);
    env[name] = value === null || value === undefined ? '' : String(value);
  }
  return ok(env);
}

const KEY_NAME = /^[^,{}]+$/;

/** `[Store, Brand]` (YAML) or `Store,Brand` (a flag, or YAML text). */
function parseKeys(raw: unknown): Parsed<readonly string[]> {
  const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : null;
  if (list === null || !list.every((k) => typeof k === 'string' || typeof k === 'number')) {
    return bad(`must be key names, a list or comma-separated, e.g. Store,Brand; found ${shown(raw)}`);
  }
  const keys = list.map((k) => String(k).trim()).filter((k) => k !== '');
  const wrong = keys.find((k) => !KEY_NAME.test(k));
  if (wrong !== undefined) return bad(`has \`${wrong}\`, which is not a key name (no braces or commas)`);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) return bad(`names \`${twice}\` twice`);
  return ok(keys);
}

/** `detect`, `none`, or device ids `0,1,2` (as nvidia-smi numbers them, or GPU UUIDs). */
function parseGpus(raw: unknown): Parsed<GpuChoice> {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : null;
  if (text === 'detect') return ok({ kind: 'detect' });
  if (text === 'none') return ok({ kind: 'none' });
  const devices = text === null ? [] : text.split(',').map((d) => d.trim());
  if (devices.length === 0 || devices.some((d) => !/^[A-Za-z0-9-]+$/.test(d))) {
    return bad(`must be detect, none, or device ids such as 0,1; found ${shown(raw)}`);
  }
  return ok({ kind: 'devices', devices });
}

/** One parser per setting, each returning the setting's resolved unit. */
export const SETTING_PARSERS: { readonly [K in SettingName]: (raw: unknown) => Parsed<RunSettings[K]> } = {
  miniBatchSize: parseSize,
  processCountPerNode: parseProcessCount,
  nodeCount: (raw) => parseInteger(raw, 1),
  runInvocationTimeoutMs: parseDuration,
  runMaxTry: (raw) => parseInteger(raw, 1),
  errorThreshold: (raw) => parseInteger(raw, -1),
  allowedFailedCount: parseLimit,
  allowedFailedPercent: parsePercent,
  outputAction: parseChoice<OutputAction>(['summary_only', 'append_row']),
  appendRowFileName: parseFileName,
  appendRowFormat: parseChoice<AppendRowFormat>(['txt', 'csv', 'jsonl', 'parquet']),
  loggingLevel: parseChoice<LoggingLevel>(['DEBUG', 'INFO', 'WARNING'], true),
  environmentVariables: parseEnvironment,
  initTimeoutMs: parseDuration,
  python: parseText,
  partitionKeys: parseKeys,
  gpus: parseGpus,
  inputFormat: parseInputFormats,
};

/** The key each setting has in YAML (`implementation.parallel.settings`, a job file's `settings`). */
export const SETTING_KEYS: { readonly [K in SettingName]: string } = {
  miniBatchSize: 'miniBatchSize',
  processCountPerNode: 'processCountPerNode',
  nodeCount: 'nodeCount',
  runInvocationTimeoutMs: 'runInvocationTimeout',
  runMaxTry: 'runMaxTry',
  errorThreshold: 'errorThreshold',
  allowedFailedCount: 'allowedFailedCount',
  allowedFailedPercent: 'allowedFailedPercent',
  outputAction: 'outputAction',
  appendRowFileName: 'appendRowFileName',
  appendRowFormat: 'appendRowFormat',
  loggingLevel: 'loggingLevel',
  environmentVariables: 'environmentVariables',
  initTimeoutMs: 'initTimeout',
  python: 'python',
  partitionKeys: 'partitionKeys',
  gpus: 'gpus',
  inputFormat: 'inputFormat',
};

export const SETTING_NAMES = Object.keys(SETTING_KEYS) as SettingName[];

/** A setting's value as the user would write it: `60s`, `10`, `1MB`, `none`. */
export function formatSetting<K extends SettingName>(name: K, value: RunSettings[K]): string {
  if (value === null) return 'none';
  if (name === 'runInvocationTimeoutMs' || name === 'initTimeoutMs') return formatDuration(value as number);
  if (name === 'miniBatchSize') {
    const size = value as MiniBatchSize;
    return size.unit === 'items' ? String(size.count) : size.unit === 'rows' ? `${size.rows}rows` : formatBytes(size.bytes);
  }
  if (name === 'partitionKeys') {
    const keys = value as readonly string[];
    return keys.length === 0 ? 'none' : keys.join(',');
  }
  if (name === 'gpus') {
    const gpus = value as GpuChoice;
    return gpus.kind === 'devices' ? gpus.devices.join(',') : gpus.kind;
  }
  if (name === 'environmentVariables') {
    const entries = Object.entries(value as Record<string, string>);
    // Shown masked wherever shown (explain, the run page, its report): the names say they are secrets.
    return entries.length === 0 ? '(none)' : entries.map(([k, v]) => `${k}=${looksSecret(k) ? MASKED : v}`).join(' ');
  }
  if (name === 'inputFormat') {
    const entries = Object.entries(value as Record<string, TableRead>);
    return entries.length === 0 ? '(none: files)' : entries.map(([k, v]) => `${k}=${describeTableRead(v)}`).join('; ');
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** Settings from one place, with where they came from. */
export interface SettingsLayer {
  readonly source: Exclude<SettingSource, 'default'>;
  readonly values: Partial<RunSettings>;
}

/**
 * The settings' defaults (ParallelRunStep's). `initTimeoutMs` is derived from the resolved run
 * timeout (see resolveSettings).
 */
export function defaultSettings(): Omit<RunSettings, 'initTimeoutMs'> {
  return {
    miniBatchSize: { unit: 'items', count: 10 },
    processCountPerNode: availableParallelism(),
    nodeCount: 1,
    runInvocationTimeoutMs: 60_000,
    runMaxTry: 3,
    errorThreshold: -1,
    allowedFailedCount: null,
    allowedFailedPercent: null,
    outputAction: 'summary_only',
    appendRowFileName: 'parallel_run_step.txt',
    appendRowFormat: 'txt',
    loggingLevel: 'INFO',
    environmentVariables: {},
    python: 'python3',
    partitionKeys: [],
    gpus: { kind: 'detect' },
    inputFormat: {},
  };
}

/**
 * Every setting from the highest layer that sets it: flag > job > spec > default. Layers may be
 * given in any order. Two exceptions, both what a user expects:
 * - `environmentVariables` merge by variable (a `--env` adds to the spec's, it does not erase them);
 *   the source is the highest layer that set any. `inputFormat` merges the same way, by input.
 * - `initTimeoutMs`, unless set, is 3 × the resolved runInvocationTimeout + 30 s (ParallelRunStep).
 * - `appendRowFileName`, unless set, is `parallel_run_step.parquet` for `appendRowFormat: parquet`.
 */
export function resolveSettings(layers: readonly SettingsLayer[]): {
  settings: RunSettings;
  sources: Record<SettingName, SettingSource>;
} {
  const rank: Record<SettingSource, number> = { default: 0, spec: 1, job: 2, flag: 3 };
  const ordered = [...layers].sort((a, b) => rank[a.source] - rank[b.source]);
  const settings: Record<string, unknown> = { ...defaultSettings() };
  const sources = Object.fromEntries(SETTING_NAMES.map((n) => [n, 'default'])) as Record<SettingName, SettingSource>;
  let env: Record<string, string> = {};
  let formats: Record<string, TableRead> = {};
  for (const layer of ordered) {
    for (const name of SETTING_NAMES) {
      const value = layer.values[name];
      if (value === undefined) continue;
      sources[name] = layer.source;
      if (name === 'environmentVariables') env = { ...env, ...(value as Record<string, string>) };
      else if (name === 'inputFormat') formats = { ...formats, ...(value as Record<string, TableRead>) };
      else settings[name] = value;
    }
  }
  settings.environmentVariables = env;
  settings.inputFormat = formats;
  // A Parquet file named `.txt` would mislead whoever opens it; a name the user chose is kept.
  if (sources.appendRowFileName === 'default' && settings.appendRowFormat === 'parquet') {
    settings.appendRowFileName = 'parallel_run_step.parquet';
  }
  if (sources.initTimeoutMs === 'default') {
    settings.initTimeoutMs = 3 * (settings.runInvocationTimeoutMs as number) + 30_000;
  }
  return { settings: settings as unknown as RunSettings, sources };
}
