import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addJobOptions, parseJobFlags, resolveJobFromCli } from '../../src/cli/options.js';
import type { JobOptions } from '../../src/cli/options.js';

const SPECS = fileURLToPath(new URL('../fixtures/specs/', import.meta.url));

/** The options commander hands an action for `argv`. */
function parse(argv: string[]): JobOptions {
  const command = addJobOptions(new Command('x').exitOverride());
  command.parse(argv, { from: 'user' });
  return command.opts<JobOptions>();
}

describe('job flags', () => {
  it('split NAME=VALUE at the first =, keep spaces, and resolve paths from the current directory', () => {
    const flags = parseJobFlags(parse(['--input', 'Data Input 1=./a=b', '--param', 'expr=x=1', '--output', 'out=o']), '/work');
    expect(flags.inputs).toEqual([
      { name: 'Data Input 1', value: './a=b', text: './a=b', origin: "--input 'Data Input 1=./a=b'", baseDir: '/work' },
    ]);
    expect(flags.parameters[0]).toMatchObject({ name: 'expr', text: 'x=1' });
    expect(flags.outputs[0]).toMatchObject({ name: 'out', text: 'o' });
  });

  it('parse every setting into its resolved unit, and negative numbers as values', () => {
    const flags = parseJobFlags(
      parse([
        '--mini-batch-size', '1MB', '--processes', '3', '--nodes', '2', '--run-invocation-timeout', '90',
        '--init-timeout', '5m', '--run-max-try', '4', '--error-threshold', '-1', '--allowed-failed-count', '10',
        '--allowed-failed-percent', '2.5', '--output-action', 'append_row', '--append-row-file-name', 'rows.csv',
        '--append-row-format', 'csv', '--logging-level', 'warning', '--env', 'A=1', '--env', 'B=x=y',
        '--python', 'venv/bin/python', '--limit', '7',
      ]),
      '/work',
    );
    expect(flags.settings).toEqual({
      miniBatchSize: { unit: 'bytes', bytes: 1024 * 1024 },
      processCountPerNode: 3,
      nodeCount: 2,
      runInvocationTimeoutMs: 90_000,
      initTimeoutMs: 300_000,
      runMaxTry: 4,
      errorThreshold: -1,
      allowedFailedCount: 10,
      allowedFailedPercent: 2.5,
      outputAction: 'append_row',
      appendRowFileName: 'rows.csv',
      appendRowFormat: 'csv',
      loggingLevel: 'WARNING',
      environmentVariables: { A: '1', B: 'x=y' },
      python: '/work/venv/bin/python',
    });
    expect(flags.limit).toBe(7);
  });
});

describe('resolveJobFromCli', () => {
  it('goes from a target and flags to a ResolvedJob, creating nothing', async () => {
    const { job, diagnostics } = await resolveJobFromCli('jobs/job.yaml', parse(['--param', 'Top K=4', '--limit', '2']), '/runs/r1', SPECS);
    expect(diagnostics).toEqual([]);
    expect(job.module.name).toBe('Score Images');
    expect(job.parameters['Top K']).toBe(4);
    expect(job.outputs['Debug Output']).toBe('/runs/r1/outputs/debug_output');
    expect(job.limit).toBe(2);
    expect(job.settingSources.runMaxTry).toBe('job');
  });
});
