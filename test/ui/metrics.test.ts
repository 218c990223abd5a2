/**
 * Metrics logged through `Run.log`, read from `logs/metrics.jsonl` of a run directory: numbers
 * become series, anything else shows its latest value, and a line that is not a metric is skipped
 * and counted, never an error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMetrics } from '../../src/ui/data/metrics.js';
import { tempDir } from '../data/tree.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir('minibatch-ui-metrics-');
});
afterAll(() => tmp.cleanup());

describe('readMetrics', () => {
  it('reads numbers as series, other values as their latest, and skips what is not a metric', () => {
    const run = join(tmp.dir, 'run');
    mkdirSync(join(run, 'logs'), { recursive: true });
    writeFileSync(
      join(run, 'logs', 'metrics.jsonl'),
      [
        '{"name": "accuracy", "value": 0.5, "time": "2026-12-07T10:00:00Z"}',
        '{"name": "accuracy", "value": 0.75, "time": 1796637600}',
        '{"key": "labels", "value": ["cat", "dog"]}',
        'not json',
        '{"value": 3}',
        '',
      ].join('\n'),
    );
    expect(readMetrics(run)).toEqual({
      file: join('logs', 'metrics.jsonl'),
      series: [{ name: 'accuracy', points: [[Date.parse('2026-12-07T10:00:00Z'), 0.5], [1796637600_000, 0.75]] }],
      latest: { labels: '["cat","dog"]' },
      unreadable: 2,
    });
  });

  it('is null when the run has no metrics file', () => {
    expect(readMetrics(join(tmp.dir, 'none'))).toBeNull();
  });
});
