import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { bindJob } from '../../src/spec/bind.js';
import type { FlagBindings } from '../../src/spec/bind.js';
import type { Binding } from '../../src/spec/job.js';
import { parseJobFile } from '../../src/spec/job.js';
import { readYamlFile } from '../../src/spec/load.js';
import { loadSpec } from '../../src/spec/validate.js';

const SPECS = fileURLToPath(new URL('../fixtures/specs/', import.meta.url));
const VALID = `${SPECS}valid`;
const RUN_DIR = '/runs/20261127-211804-3f9a';

/** Flag bindings as `--input NAME=PATH` etc. give them, relative to the valid spec's folder. */
function flags(given: { inputs?: string[]; parameters?: string[]; outputs?: string[] } = {}, rest: Partial<FlagBindings> = {}): FlagBindings {
  const make = (flag: string, raws: string[] = []): Binding[] =>
    raws.map((raw) => {
      const [name = '', ...value] = raw.split('=');
      const text = value.join('=');
      return { name, value: text, text, origin: `${flag} ${raw}`, baseDir: VALID };
    });
  return {
    inputs: make('--input', given.inputs),
    parameters: make('--param', given.parameters),
    outputs: make('--output', given.outputs),
    settings: {},
    limit: null,
    ...rest,
  };
}

async function bind(f: FlagBindings, jobFile: string | null = null) {
  const job = jobFile === null ? null : parseJobFile(await readYamlFile(jobFile, 'job file', SPECS)).job;
  const { spec } = await loadSpec(job?.module ?? 'valid/module.yaml', SPECS);
  return bindJob({ spec, job, flags: f, runDir: RUN_DIR });
}

async function problem(f: FlagBindings): Promise<string> {
  const error = await bind(f).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  return (error as UsageError).message;
}

describe('binding with flags', () => {
  it('takes names as declared or in snake_case, and resolves paths', async () => {
    const job = await bind(flags({ inputs: ['Images=images', 'model=./model'], parameters: ['top_k=5', 'Verbose=true', 'Mode=accurate'] }));
    expect(job.inputs).toEqual({ Images: `${VALID}/images`, Model: `${VALID}/model` });
    expect(job.parameters).toEqual({ Threshold: 0.5, 'Batch Label': null, 'Top K': 5, Verbose: true, Mode: 'accurate' });
  });

  it('defaults unbound outputs to <runDir>/outputs/<snake_case name>, creating nothing', async () => {
    const job = await bind(flags({ inputs: ['Images=images', 'Model=model'], outputs: ['Scores=/data/scores'] }));
    expect(job.outputs).toEqual({ Scores: '/data/scores', 'Debug Output': `${RUN_DIR}/outputs/debug_output` });
  });

  it('lists every missing required input and parameter in one error', async () => {
    expect(await problem(flags())).toBe(
      [
        'the job has 2 problems:',
        "  input `Images` is required: bind it with --input Images=PATH, or under inputs: in a job file",
        "  input `Model` is required: bind it with --input Model=PATH, or under inputs: in a job file",
      ].join('\n'),
    );
  });

  it('says which flag is wrong and why, all at once', async () => {
    const message = await problem(
      flags({
        inputs: ['Images=images', 'Model=no-such-dir', 'Imagse=images', 'Threshold=1'],
        parameters: ['Top K=many', 'Threshold=1.5', 'Mode=fsat', 'Verbose=yes'],
      }),
    );
    expect(message.split('\n')).toEqual([
      'the job has 7 problems:',
      '  --input Imagse=images: module `Score Images` has no input `Imagse` (did you mean `Images`?); its inputs are `Images`, `Extra Images`, `Model`',
      '  --input Threshold=1: `Threshold` is a parameter, not an input port: bind it with --param (or under parameters: in a job file)',
      `  --input Model=no-such-dir: input \`Model\`: ${VALID}/no-such-dir does not exist`,
      '  --param Threshold=1.5: parameter `Threshold` is above the maximum 1; found 1.5',
      '  --param Top K=many: parameter `Top K` must be a whole number (Integer); found `many`',
      '  --param Verbose=yes: parameter `Verbose` must be true or false (Boolean); found `yes`',
      '  --param Mode=fsat: parameter `Mode` must be one of its options (`fast`, `accurate`); found `fsat` (did you mean `fast`?)',
    ]);
  });

  it('refuses a name bound twice by the same kind of flag', async () => {
    expect(await problem(flags({ inputs: ['Images=images', 'Model=model', 'images=model'] }))).toBe(
      '--input images=model: `Images` is already bound by --input Images=images: bind it once',
    );
  });

  it('renders the entry arguments: args, then --output <outputData>', async () => {
    const job = await bind(flags({ inputs: ['Images=images', 'Model=model'], outputs: ['Scores=/out'] }));
    expect(job.entryArgs).toEqual([
      '--model', `${VALID}/model`,
      '--threshold', '0.5',
      '--top-k', '3',
      '--verbose', 'false',
      '--mode', 'fast',
      '--debug-dir', `${RUN_DIR}/outputs/debug_output`,
      '--output', '/out',
    ]);
  });
});

describe('binding with a job file', () => {
  it('takes paths relative to the job file, and flags over the job file', async () => {
    const job = await bind(flags({ parameters: ['Threshold=0.75'] }), 'jobs/job.yaml');
    expect(job.jobFile).toBe(`${SPECS}jobs/job.yaml`);
    expect(job.inputs).toEqual({ Images: `${VALID}/images`, Model: `${VALID}/model` });
    expect(job.parameters).toMatchObject({ Threshold: 0.75, 'Batch Label': '1.10' });
    expect(job.outputs.Scores).toBe(`${SPECS}jobs/scores`);
  });

  it('applies settings flag > job file > spec > default, for every setting', async () => {
    const job = await bind(flags({}, { settings: { runMaxTry: 7, python: '/flag/python' } }), 'jobs/job.yaml');
    const seen = (name: keyof typeof job.settings) => [job.settings[name], job.settingSources[name]];
    expect(seen('runMaxTry')).toEqual([7, 'flag']);
    expect(seen('python')).toEqual(['/flag/python', 'flag']);
    expect(seen('miniBatchSize')).toEqual([{ unit: 'items', count: 2 }, 'job']);
    expect(seen('runInvocationTimeoutMs')).toEqual([30_000, 'spec']);
    expect(seen('initTimeoutMs')).toEqual([120_000, 'default']);
    expect(seen('nodeCount')).toEqual([1, 'default']);
    expect(seen('environmentVariables')).toEqual([{ OMP_NUM_THREADS: '1', FROM_JOB: 'yes' }, 'job']);
  });

  it('takes the interpreter from the spec, then the job file (paths relative to it)', async () => {
    const fromSpec = await bind(flags({ inputs: ['Images=images', 'Model=model'] }));
    expect([fromSpec.settings.python, fromSpec.settingSources.python]).toEqual(['python3', 'spec']);
    const fromJob = await bind(flags(), 'jobs/python-job.yaml');
    expect([fromJob.settings.python, fromJob.settingSources.python]).toEqual([`${SPECS}jobs/venv/bin/python`, 'job']);
  });

  it('reports a job file’s own mistakes at their places', async () => {
    const error = await bind(flags(), 'jobs/bad-job.yaml').then(() => null, (e: unknown) => e);
    expect((error as Error).message.split('\n')).toEqual([
      'jobs/bad-job.yaml:3:11: inputs.Images must be a single path; found a list',
      'jobs/bad-job.yaml:5:3: parameters.Threshold must be a single value; found nothing (an empty value); remove `Threshold` to leave it unbound',
      'jobs/bad-job.yaml:7:14: settings.runMaxTry must be a whole number; found `many`',
      'jobs/bad-job.yaml:8:3: unknown key `processes` in settings (known keys: miniBatchSize, processCountPerNode, nodeCount, runInvocationTimeout, runMaxTry, errorThreshold, allowedFailedCount, allowedFailedPercent, outputAction, appendRowFileName, appendRowFormat, loggingLevel, environmentVariables, initTimeout, python, partitionKeys, gpus, inputFormat): a run would ignore it',
    ]);
  });
});

describe('paths', () => {
  it('refuse an empty path, and take ~/ as the home folder', async () => {
    expect(await problem(flags({ inputs: ['Images=', 'Model=model'], outputs: ['Scores='] }))).toBe(
      'the job has 2 problems:\n  --input Images=: input `Images` needs a path\n  --output Scores=: output `Scores` needs a path',
    );
    const job = await bind(flags({ inputs: ['Images=images', 'Model=model'], outputs: ['Scores=~/scores'] }));
    expect(job.outputs.Scores).toBe(`${homedir()}/scores`);
  });
});
