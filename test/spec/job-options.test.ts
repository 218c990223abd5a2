/**
 * Typed job options (the library's `resolveJob`): bound and checked as flags are, without strings
 * to parse, with every bad option reported at once.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { resolveJob, type JobSettings } from '../../src/spec/job-options.js';
import { REPO_ROOT } from '../helpers/cli.js';

const EXAMPLES = join(REPO_ROOT, 'examples');

describe('resolveJob', () => {
  it('binds by declared or snake_case name over the job file, and reads a number duration as milliseconds', async () => {
    const { job } = await resolveJob(
      {
        spec: 'word-count/job.yaml',
        params: { min_length: 7 },
        outputs: { word_counts: 'out' },
        settings: { miniBatchSize: 3, runInvocationTimeout: 1500, initTimeout: '2m', allowedFailedCount: -1 },
        python: './venv/bin/python',
        limit: 2,
        cwd: EXAMPLES,
      },
      '/runs/r1',
    );
    expect(job.inputs).toEqual({ Documents: join(EXAMPLES, 'data', 'texts') });
    expect(job.parameters).toEqual({ 'Min Length': 7 });
    expect(job.outputs).toEqual({ 'Word Counts': join(EXAMPLES, 'out') });
    expect(job.settings).toMatchObject({
      miniBatchSize: { unit: 'items', count: 3 },
      runInvocationTimeoutMs: 1500,
      initTimeoutMs: 120_000,
      allowedFailedCount: null,
      outputAction: 'append_row',
      python: join(EXAMPLES, 'venv', 'bin', 'python'),
    });
    expect(job.limit).toBe(2);
    expect(job.entryArgs).toEqual(['--min-length', '7', '--output', join(EXAMPLES, 'out')]);
  });

  it('lists every bad setting in one UsageError', async () => {
    const error = await resolveJob(
      {
        spec: 'hello/module.yaml',
        inputs: { Documents: 'data/texts' },
        // `colour` as a program without types might pass it.
        settings: { miniBatchSize: '1XB', runMaxTry: 0, ...({ colour: 1 } as JobSettings) },
        limit: 0,
        cwd: EXAMPLES,
      },
      '/runs/r1',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      [
        '4 options are wrong:',
        '  settings.miniBatchSize must be a count of items such as 10, a size such as 512KB or 1MB, or rows such as 1000rows; found `1XB`',
        '  settings.runMaxTry must be 1 or more; found `0`',
        '  settings.colour is not a setting; the settings are miniBatchSize, processCountPerNode, nodeCount, ' +
          'runInvocationTimeout, runMaxTry, errorThreshold, allowedFailedCount, allowedFailedPercent, outputAction, ' +
          'appendRowFileName, appendRowFormat, loggingLevel, environmentVariables, initTimeout, partitionKeys, gpus, inputFormat',
        '  limit must be a whole number of mini-batches, 1 or more; found 0',
      ].join('\n'),
    );
  });

  it('rejects a parameter value of the wrong type, naming the option', async () => {
    const error = await resolveJob(
      { spec: 'word-count/job.yaml', params: { 'Min Length': 'three' }, cwd: EXAMPLES },
      '/runs/r1',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('params["Min Length"]: parameter `Min Length` must be a whole number (Integer); found `three`');
  });
});
