import { describe, expect, it } from 'vitest';
import { entryEnvironment, renderArgs, renderEntryArgs, shellJoin, shellQuote } from '../../src/spec/render.js';
import type { Bound } from '../../src/spec/render.js';
import type { ArgTemplate, ModuleSpec, ResolvedJob } from '../../src/spec/types.js';

const args: ArgTemplate[] = [
  { kind: 'literal', value: '--model' },
  { kind: 'inputPath', name: 'Model' },
  { kind: 'literal', value: '--label' },
  { kind: 'inputValue', name: 'Label' },
  { kind: 'group', items: [{ kind: 'literal', value: '--extra' }, { kind: 'inputPath', name: 'Extra' }] },
  { kind: 'group', items: [{ kind: 'literal', value: '--note' }, { kind: 'inputValue', name: 'Note' }] },
  { kind: 'group', items: [{ kind: 'literal', value: '--verbose' }, { kind: 'inputValue', name: 'Verbose' }] },
  { kind: 'literal', value: '--debug' },
  { kind: 'outputPath', name: 'Debug Output' },
];

const bound: Bound = {
  inputs: { Model: '/data/my model' },
  parameters: { Label: 'two words', Note: null, Verbose: false },
  outputs: { Scores: '/out/scores', 'Debug Output': '/out/debug' },
};

describe('rendering args', () => {
  it('replaces placeholders, keeps spaces inside one argument, drops optional groups whose input is unset', () => {
    expect(renderArgs(args, bound)).toEqual([
      '--model', '/data/my model',
      '--label', 'two words',
      '--verbose', 'false',
      '--debug', '/out/debug',
    ]);
  });

  it('keeps an optional group whose input is set', () => {
    const set: Bound = { ...bound, inputs: { ...bound.inputs, Extra: '/data/extra' }, parameters: { ...bound.parameters, Note: 3.5 } };
    expect(renderArgs(args, set)).toEqual([
      '--model', '/data/my model',
      '--label', 'two words',
      '--extra', '/data/extra',
      '--note', '3.5',
      '--verbose', 'false',
      '--debug', '/out/debug',
    ]);
  });

  it('ends the entry args with --output <outputData path> ', () => {
    const spec = { args: [{ kind: 'literal', value: '-v' }], outputData: 'Scores' } as unknown as ModuleSpec;
    expect(renderEntryArgs(spec, bound)).toEqual(['-v', '--output', '/out/scores']);
  });
});

describe('shell quoting for display', () => {
  it('quotes only what needs it', () => {
    expect(shellQuote('/data/model-1.bin')).toBe('/data/model-1.bin');
    expect(shellQuote('two words')).toBe("'two words'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
    expect(shellJoin(['python3', 'score.py', '--label', 'a b'])).toBe("python3 score.py --label 'a b'");
  });
});

describe('the entry environment', () => {
  it('is the entry script’s variables, then environmentVariables, which cannot replace the run’s identity', () => {
    const job = {
      module: { outputData: 'Scores' },
      outputs: { Scores: '/out/scores' },
      settings: { environmentVariables: { OMP_NUM_THREADS: '1', MINIBATCH_RUN_ID: 'mine' } },
    } as unknown as ResolvedJob;
    expect(entryEnvironment(job, { runId: 'r1', workerId: 'w3', slot: 2 })).toEqual({
      AZUREML_BI_OUTPUT_PATH: '/out/scores',
      MINIBATCH_RUN_ID: 'r1',
      MINIBATCH_WORKER_ID: 'w3',
      MINIBATCH_WORKER_SLOT: '2',
      PYTHONFAULTHANDLER: '1',
      OMP_NUM_THREADS: '1',
    });
  });
});
