import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseSize, resolveSettings, SETTING_PARSERS } from '../../src/spec/settings.js';

describe('durations', () => {
  it.each([
    ['90', 90_000],
    [90, 90_000],
    ['90s', 90_000],
    ['1.5s', 1_500],
    ['500ms', 500],
    ['5m', 300_000],
    ['1h', 3_600_000],
  ])('%s is %d ms', (raw, ms) => {
    expect(parseDuration(raw)).toEqual({ ok: true, value: ms });
  });

  it.each(['soon', '-5s', '5 minutes', ''])('%s is refused, with the accepted forms', (raw) => {
    expect(parseDuration(raw)).toEqual({
      ok: false,
      problem: `must be a duration such as 90 (seconds), 90s, 1.5s, 500ms or 5m; found \`${raw}\``,
    });
  });

  it('0 is refused', () => {
    expect(parseDuration('0s')).toEqual({ ok: false, problem: 'must be longer than 0; found `0s`' });
  });

  it('more than 7 days is refused (timers cannot wait for the derived initTimeout)', () => {
    expect(parseDuration('168h')).toEqual({ ok: true, value: 604_800_000 });
    expect(parseDuration('999999')).toEqual({ ok: false, problem: 'must be at most 7 days (168h); found `999999`' });
  });

  it('prints as a user writes them', () => {
    expect([500, 1_500, 90_000, 120_000, 210_000].map(formatDuration)).toEqual(['500ms', '1.5s', '90s', '2m', '210s']);
  });
});

describe('mini-batch sizes', () => {
  it.each([
    ['10', { unit: 'items', count: 10 }],
    [10, { unit: 'items', count: 10 }],
    ['512KB', { unit: 'bytes', bytes: 512 * 1024 }],
    ['1MB', { unit: 'bytes', bytes: 1024 * 1024 }],
    ['2gb', { unit: 'bytes', bytes: 2 * 1024 ** 3 }],
    ['1000rows', { unit: 'rows', rows: 1000 }],
    ['1row', { unit: 'rows', rows: 1 }],
  ])('%s', (raw, size) => {
    expect(parseSize(raw)).toEqual({ ok: true, value: size });
  });

  it.each(['1.5MB', 'ten', '10 MB', '10 rows'])('%s is refused', (raw) => {
    expect(parseSize(raw)).toEqual({
      ok: false,
      problem: `must be a count of items such as 10, a size such as 512KB or 1MB, or rows such as 1000rows; found \`${raw}\``,
    });
  });
});

describe('other settings', () => {
  it('counts and thresholds, with -1 meaning "no limit"', () => {
    expect(SETTING_PARSERS.processCountPerNode('4')).toEqual({ ok: true, value: 4 });
    expect(SETTING_PARSERS.processCountPerNode('0')).toEqual({ ok: false, problem: 'must be 1 or more; found `0`' });
    expect(SETTING_PARSERS.errorThreshold(-1)).toEqual({ ok: true, value: -1 });
    expect(SETTING_PARSERS.allowedFailedCount('-1')).toEqual({ ok: true, value: null });
    expect(SETTING_PARSERS.allowedFailedPercent('12.5')).toEqual({ ok: true, value: 12.5 });
    expect(SETTING_PARSERS.allowedFailedPercent('120')).toEqual({
      ok: false,
      problem: 'must be a percentage from 0 to 100 (or -1 for no limit); found `120`',
    });
    expect(SETTING_PARSERS.runMaxTry('2.5')).toEqual({ ok: false, problem: 'must be a whole number; found `2.5`' });
  });

  it('choices', () => {
    expect(SETTING_PARSERS.loggingLevel('debug')).toEqual({ ok: true, value: 'DEBUG' });
    expect(SETTING_PARSERS.appendRowFormat('xml')).toEqual({ ok: false, problem: 'must be one of txt, csv, jsonl, parquet; found `xml`' });
    expect(SETTING_PARSERS.appendRowFileName('out/rows.txt')).toEqual({
      ok: false,
      problem: 'must be a file name without a folder (it is written in the outputData folder); found `out/rows.txt`',
    });
    expect(SETTING_PARSERS.appendRowFileName('..')).toEqual({ ok: false, problem: 'must name a file, not `..`; found `..`' });
    expect(parseSize('99999999999999999999')).toEqual({ ok: false, problem: 'is too large; found `99999999999999999999`' });
  });

  it('environment variables', () => {
    expect(SETTING_PARSERS.environmentVariables({ OMP_NUM_THREADS: 1, FLAG: true })).toEqual({
      ok: true,
      value: { OMP_NUM_THREADS: '1', FLAG: 'true' },
    });
    expect(SETTING_PARSERS.environmentVariables({ '1BAD': 'x' })).toEqual({
      ok: false,
      problem: 'has `1BAD`, which is not a valid environment variable name (letters, digits and _, not starting with a digit)',
    });
  });
});

describe('precedence: flag > job file > spec > default', () => {
  it('defaults are ParallelRunStep’s', () => {
    const { settings, sources } = resolveSettings([]);
    expect(settings).toEqual({
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
      initTimeoutMs: 3 * 60_000 + 30_000,
      python: 'python3',
      partitionKeys: [],
      gpus: { kind: 'detect' },
      inputFormat: {},
    });
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']));
  });

  it('each setting comes from the highest layer that sets it, whatever the order given', () => {
    const { settings, sources } = resolveSettings([
      { source: 'flag', values: { runMaxTry: 5 } },
      { source: 'spec', values: { runMaxTry: 1, nodeCount: 2, python: '/spec/python' } },
      { source: 'job', values: { runMaxTry: 2, python: '/job/python' } },
    ]);
    expect([settings.runMaxTry, sources.runMaxTry]).toEqual([5, 'flag']);
    expect([settings.python, sources.python]).toEqual(['/job/python', 'job']);
    expect([settings.nodeCount, sources.nodeCount]).toEqual([2, 'spec']);
    expect([settings.loggingLevel, sources.loggingLevel]).toEqual(['INFO', 'default']);
  });

  it('initTimeout follows the resolved runInvocationTimeout unless set', () => {
    const derived = resolveSettings([{ source: 'job', values: { runInvocationTimeoutMs: 10_000 } }]);
    expect([derived.settings.initTimeoutMs, derived.sources.initTimeoutMs]).toEqual([60_000, 'default']);
    const set = resolveSettings([
      { source: 'spec', values: { initTimeoutMs: 5_000 } },
      { source: 'flag', values: { runInvocationTimeoutMs: 10_000 } },
    ]);
    expect([set.settings.initTimeoutMs, set.sources.initTimeoutMs]).toEqual([5_000, 'spec']);
  });

  it('the rows file of appendRowFormat parquet is parallel_run_step.parquet unless named', () => {
    const derived = resolveSettings([{ source: 'flag', values: { appendRowFormat: 'parquet' } }]);
    expect(derived.settings.appendRowFileName).toBe('parallel_run_step.parquet');
    const named = resolveSettings([
      { source: 'spec', values: { appendRowFileName: 'scores.parquet' } },
      { source: 'flag', values: { appendRowFormat: 'parquet' } },
    ]);
    expect(named.settings.appendRowFileName).toBe('scores.parquet');
  });

  it('environment variables merge by name, the higher layer winning', () => {
    const { settings, sources } = resolveSettings([
      { source: 'spec', values: { environmentVariables: { A: 'spec', B: 'spec' } } },
      { source: 'flag', values: { environmentVariables: { B: 'flag' } } },
    ]);
    expect(settings.environmentVariables).toEqual({ A: 'spec', B: 'flag' });
    expect(sources.environmentVariables).toBe('flag');
  });
});
