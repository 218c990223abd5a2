/**
 * Metrics an entry script logged through the offline `azureml.core` Run (`run.log`, `log_list`,
 * `log_row`, `log_table`, `log_image`): one JSON line each in `<run-dir>/logs/metrics.jsonl`,
 * written by the workers, read here for `minibatch status` (latest value per name).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunPaths } from '../core/run-paths.js';

/** The file's name under `logs/`; the UI reads it too. */
export const METRICS_FILE = 'metrics.jsonl';

export interface LatestMetric {
  readonly name: string;
  /** `log`, `list`, `row`, `table` or `image`. */
  readonly kind: string;
  readonly value: unknown;
  /** How many times the name was logged. */
  readonly count: number;
  readonly time: string;
}

export function metricsFile(paths: RunPaths): string {
  return join(paths.logs, METRICS_FILE);
}

/** The latest value of each metric, in the order names were first logged. A torn last line is skipped. */
export function latestMetrics(paths: RunPaths): LatestMetric[] {
  let text: string;
  try {
    text = readFileSync(metricsFile(paths), 'utf8');
  } catch {
    return [];
  }
  const latest = new Map<string, LatestMetric>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let record: { name?: unknown; kind?: unknown; value?: unknown; time?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue; // a worker is writing it right now
    }
    if (typeof record.name !== 'string') continue;
    const count = (latest.get(record.name)?.count ?? 0) + 1;
    latest.set(record.name, {
      name: record.name,
      kind: typeof record.kind === 'string' ? record.kind : 'log',
      value: record.value,
      count,
      time: typeof record.time === 'string' ? record.time : '',
    });
  }
  return [...latest.values()];
}

/** `0.93`, `[1, 2, 3]`, `{"loss": 0.1}`, cut to one short line. */
export function formatMetricValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
