/**
 * Metrics an entry script logged through `Run.log` (the offline `azureml.core.Run`), when the run
 * directory has them: one JSON object a line in `logs/metrics.jsonl`. The reader is tolerant, since
 * the writer may add fields: a metric's name is `name` (or `key`, `metric`), its value `value`, its
 * time `time` (or `timestamp`, `ts`: ISO text or epoch ms); a line that is not such an object is
 * counted and skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MetricsView } from './view.js';

/** Where the metrics may be, the first found is read. */
const METRICS_FILES = [join('logs', 'metrics.jsonl'), join('logs', 'user', 'metrics.jsonl'), 'metrics.jsonl'];
/** Points kept per series (the latest). */
const MAX_POINTS = 2000;

export function readMetrics(runDir: string): MetricsView | null {
  const file = METRICS_FILES.map((f) => join(runDir, f)).find((f) => existsSync(f));
  if (file === undefined) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const series = new Map<string, [number, number][]>();
  const latest: Record<string, string> = {};
  let unreadable = 0;
  let line = 0;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    line++;
    const entry = parseLine(raw);
    if (entry === null) {
      unreadable++;
      continue;
    }
    if (typeof entry.value === 'number' && Number.isFinite(entry.value)) {
      const points = series.get(entry.name) ?? [];
      points.push([entry.time ?? line, entry.value]);
      if (points.length > MAX_POINTS) points.shift();
      series.set(entry.name, points);
    } else {
      latest[entry.name] = JSON.stringify(entry.value);
    }
  }
  return {
    file: relative(runDir, file),
    series: [...series].map(([name, points]) => ({ name, points })),
    latest,
    unreadable,
  };
}

function parseLine(raw: string): { name: string; value: unknown; time: number | null } | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  const name = [o.name, o.key, o.metric].find((v): v is string => typeof v === 'string' && v !== '');
  if (name === undefined) return null;
  return { name, value: o.value ?? null, time: timeOf(o.time ?? o.timestamp ?? o.ts) };
}

function timeOf(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v; // epoch seconds or ms
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}
