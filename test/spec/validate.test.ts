import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/core/errors.js';
import { readYamlFile } from '../../src/spec/load.js';
import { validateSpec } from '../../src/spec/validate.js';

const SPECS = fileURLToPath(new URL('../fixtures/specs/', import.meta.url));
const RULES = `${SPECS}rules`;

/** What `minibatch validate` prints for the spec `name` in `dir`, and the spec when valid. */
async function validate(dir: string, name: string) {
  const result = await validateSpec(await readYamlFile(name, 'module spec', dir));
  return { lines: result.diagnostics.map(formatDiagnostic), spec: result.spec };
}

describe('the seed sample spec (acceptance)', () => {
  it('reports exactly its three naming mistakes, each at its place', async () => {
    const { lines, spec } = await validate(`${SPECS}seed`, 'module_spec.yaml');
    expect(lines).toEqual([
      'module_spec.yaml:28:31: inputData names `Data Input 2`, which is not declared in inputs',
      'module_spec.yaml:29:17: outputData names `Data Output`, which is not declared in outputs (did you mean `Data Ouptut`?)',
      'module_spec.yaml:34:33: outputPath names `My Customized Output`, which is not declared in outputs (did you mean `My Customized Ouptut`?)',
    ]);
    expect(spec).toBeNull();
  });

  it('validates once the three are fixed', async () => {
    const { lines, spec } = await validate(`${SPECS}seed_fixed`, 'module_spec.yaml');
    expect(lines).toEqual([]);
    expect(spec?.name).toBe('Parallel Sample');
    expect(spec?.environment).toEqual({ kind: 'amlEnvironment', interpreterPath: null, declaredDependencies: [] });
    expect(spec?.inputData).toEqual(['Data Input 1', 'Data Input 2']);
    expect(spec?.outputData).toBe('Data Ouptut');
  });
});

describe('a valid spec', () => {
  it('resolves every field once', async () => {
    const { lines, spec } = await validate(`${SPECS}valid`, 'module.yaml');
    expect(lines).toEqual([]);
    expect(spec).toMatchObject({
      file: `${SPECS}valid/module.yaml`,
      sourceDir: `${SPECS}valid`,
      name: 'Score Images',
      version: '1.2.0',
      namespace: 'example.com/minibatch',
      description: 'Scores images with a model.',
      isDeterministic: true,
      entry: `${SPECS}valid/score.py`,
      inputData: ['Images', 'Extra Images'],
      outputData: 'Scores',
      environment: { kind: 'amlEnvironment', interpreterPath: 'python3', declaredDependencies: [] },
      settings: {
        python: 'python3',
        miniBatchSize: { unit: 'items', count: 4 },
        runInvocationTimeoutMs: 30_000,
        environmentVariables: { OMP_NUM_THREADS: '1' },
      },
    });
    expect(spec?.inputs.find((d) => d.name === 'Extra Images')).toEqual({
      kind: 'port', name: 'Extra Images', types: ['AnyDirectory', 'AnyFile'], optional: true, description: null,
    });
    expect(spec?.inputs.find((d) => d.name === 'Threshold')).toEqual({
      kind: 'param', name: 'Threshold', type: 'Float', optional: false, default: 0.5, min: 0, max: 1, options: [], description: null,
    });
    expect(spec?.inputs.find((d) => d.name === 'Mode')).toMatchObject({ type: 'Enum', options: ['fast', 'accurate'], default: 'fast' });
    expect(spec?.args.slice(0, 5)).toEqual([
      { kind: 'literal', value: '--model' },
      { kind: 'inputPath', name: 'Model' },
      { kind: 'literal', value: '--threshold' },
      { kind: 'inputValue', name: 'Threshold' },
      { kind: 'group', items: [{ kind: 'literal', value: '--label' }, { kind: 'inputValue', name: 'Batch Label' }] },
    ]);
  });

  it('keeps a version written as a number as it was written', async () => {
    const { spec } = await validate(RULES, 'identifier-version-number.yaml');
    expect(spec?.version).toBe('1.10');
  });
});

/** One fixture per rule: a copy of valid/module.yaml with one mistake, and exactly what is reported. */
const RULE_CASES: Record<string, string[]> = {
  'not-a-mapping': ['1:1: a module spec is a YAML mapping (amlModuleIdentifier:, inputs:, implementation:, …); found a list'],
  'identifier-missing': ['1:1: the module spec has no `amlModuleIdentifier`: add it, with moduleName and moduleVersion'],
  'identifier-no-name': ['1:1: amlModuleIdentifier has no `moduleName`: add it'],
  'identifier-version-empty': ['3:18: amlModuleIdentifier.moduleVersion must be a version such as 0.0.1; found the text ``'],
  'jobtype-missing': ['1:1: the module spec has no `jobType`: add `jobType: parallel`'],
  'jobtype-mpi': ['7:10: jobType `mpi` is not supported: minibatch runs parallel modules (jobType: parallel), which split their input into mini-batches; run this mpi module with Azure ML'],
  'jobtype-typo': ['7:10: jobType `Parallel` is not supported: minibatch runs parallel modules (jobType: parallel) (did you mean `parallel`?)'],
  'input-type-alias': ['26:11: input `Top K`: type `int` is not a type minibatch knows (did you mean `Integer`?); parameter types are String, Integer, Float, Boolean, Enum'],
  'input-type-list-with-parameter': ['13:11: input `Extra Images`: a list of types is for data ports, and `String` is a parameter type; a parameter has one type'],
  'input-type-missing': ['15:5: inputs[2] has no `type`: add it'],
  'input-type-empty': ['10:11: inputs[0].type must be a type name (String, Integer, Float, Boolean, Enum, or a data type such as AnyDirectory) or a list of data types; found the text ``'],
  'input-optional-not-boolean': ['14:15: inputs[1].optional must be true or false; found the text `maybe`'],
  'port-with-default': ['17:5: input `Model` is a data port (ModelDirectory): `default` applies to parameters only'],
  'default-not-integer': ['27:14: parameter `Top K`: default must be a whole number (Integer); found `2.5`'],
  'default-not-boolean': ['31:14: parameter `Verbose`: default must be true or false (Boolean); found `yes`'],
  'default-not-float': ['19:14: parameter `Threshold`: default must be a number (Float); found `high`'],
  'default-above-max': ['19:14: parameter `Threshold`: default is above the maximum 1; found 1.5'],
  'min-on-string': ['25:5: parameter `Batch Label` (String): `min` applies to Integer and Float parameters only'],
  'min-above-max': ['21:10: parameter `Threshold`: max 1 is below min 2'],
  'min-not-integer': ['28:10: parameter `Top K` (Integer): min must be a whole number; found 0.5'],
  'min-infinite': ['20:10: inputs[3].min must be a number; found the number Infinity'],
  'options-on-string': ['25:5: parameter `Batch Label` (String): `options` applies to Enum parameters only'],
  'enum-without-options': ['32:11: parameter `Mode` (Enum) has no options: add `options: [first, second]`'],
  'enum-default-not-option': ['35:14: parameter `Mode`: default must be one of its options (`fast`, `accurate`); found `fsat` (did you mean `fast`?)'],
  'enum-option-twice': ['34:31: parameter `Mode`: option `fast` is listed twice'],
  'name-duplicate': ['25:11: `Model` is already declared at line 15: names must be unique across inputs and outputs'],
  'name-duplicate-output': ['39:11: `Images` is already declared at line 9: names must be unique across inputs and outputs'],
  'name-snake-collision': ['29:11: `top k` and `Top K` (line 25) are both written top_k on the command line and in job files: rename one'],
  'name-reserved-underscore': ['22:11: input name `batch_label` contains `_`: names cannot contain _ / @ [ ] (the command line writes `Data Input 1` as data_input_1); rename it, e.g. `batch label`'],
  'name-reserved-slash': ['39:11: output name `Debug/Output` contains `/`: names cannot contain _ / @ [ ] (the command line writes `Data Input 1` as data_input_1); rename it, e.g. `Debug Output`'],
  'output-type-parameter': ['40:11: output `Debug Output`: type `String` is a parameter type, and an output is data (a folder): use a data type such as AnyDirectory'],
  'environment-both': ['46:5: implementation.parallel has both amlEnvironment and image: keep one'],
  'environment-none': ['42:3: implementation.parallel has no environment: add `amlEnvironment:` (left empty, it means the default environment) or `image:`'],
  'input-data-missing': ['42:3: implementation.parallel has no `inputData`: name the input ports whose files are the dataset (inputData: [Data Input 1])'],
  'input-data-typo-key': [
    '42:3: implementation.parallel has no `inputData`: name the input ports whose files are the dataset (inputData: [Data Input 1])',
    '46:5: warning: unknown key `inputdata` in implementation.parallel is ignored (did you mean `inputData`?)',
  ],
  'input-data-names-parameter': ['46:25: inputData names `Threshold`, which is a parameter: inputData names input ports (data, not parameters or outputs)'],
  'input-data-names-output': ['46:25: inputData names `Scores`, which is an output: inputData names input ports (data, not parameters or outputs)'],
  'input-data-twice': ['46:25: inputData lists `Images` twice'],
  'input-data-case': ['46:17: inputData names `images`, which is not declared in inputs (did you mean `Images`?)'],
  'input-data-empty-list': ['46:16: implementation.parallel.inputData must be an input port name or a list of them; found a list'],
  'output-data-missing': ['42:3: implementation.parallel has no `outputData`: name the output that receives --output and the append_row file (outputData: Output)'],
  'output-data-names-input': ['47:17: outputData names `Model`, which is a data port: outputData names one of the outputs'],
  // One error for the wrong type, not a second one for the length of the list.
  'output-data-list': ['47:17: implementation.parallel.outputData must be a string; found a list'],
  'entry-missing': [`48:12: entry \`scor.py\` does not exist in the module's folder (${RULES}) (did you mean \`score.py\`?)`],
  'entry-directory': ['48:12: entry `entry_dir` is a directory: name the script file that defines run(mini_batch)'],
  'entry-outside': [`48:12: entry \`../valid/score.py\` is outside the module's folder (${RULES}): a module's code lives in its folder, which is all a worker machine receives; move the script there`],
  'args-not-list': [
    '49:11: args must be a list, such as [--model, {inputPath: Model}]; found the text `--model`',
    '50:5: warning: unknown key `unused` in implementation.parallel is ignored (known keys: amlEnvironment, image, inputData, outputData, entry, args, settings)',
  ],
  'args-input-path-names-parameter': ['51:21: inputPath names `Threshold`, which is a parameter: use {inputValue: Threshold}'],
  'args-input-value-names-port': ['53:22: inputValue names `Model`, which is a data port: use {inputPath: Model}'],
  'args-output-path-names-input': ['63:22: outputPath names `Images`, which is a data port: use {inputPath: Images}'],
  'args-input-value-typo': ['57:22: inputValue names `Top-K`, which is not declared in inputs (did you mean `Top K`?)'],
  'args-unknown-placeholder': ['51:10: implementation.parallel.args[1]: unknown placeholder `inputpath` (did you mean `inputPath`?)'],
  'args-placeholder-two-keys': ['51:9: implementation.parallel.args[1]: a placeholder has exactly one key (inputPath, inputValue or outputPath); found `inputPath`, `inputValue`'],
  'args-empty-item': ['56:8: implementation.parallel.args[6] is empty: write a value, a placeholder ({inputValue: Name}) or an optional group ([--flag, {inputValue: Name}])'],
  'args-nested-group': ['54:19: implementation.parallel.args[4][1]: optional groups cannot be nested; write one flat group per optional input'],
  'args-empty-group': ['54:9: implementation.parallel.args[4] is an empty optional group: remove it, or write [--flag, {inputValue: Name}]'],
  'args-group-without-placeholder': ['54:9: implementation.parallel.args[4] is an optional group without a placeholder, so nothing can drop it: add {inputValue: Name} or {inputPath: Name}, or write its items directly in args'],
  'args-optional-outside-group': ['55:22: inputValue names `Batch Label`, which is optional without a default: put it in an optional group, [--flag, {inputValue: Batch Label}], so it is dropped when unset'],
  'settings-bad-values': [
    '66:29: implementation.parallel.settings.runInvocationTimeout must be a duration such as 90 (seconds), 90s, 1.5s, 500ms or 5m; found `soon`',
    '67:21: implementation.parallel.settings.outputAction must be one of summary_only, append_row; found `append`',
    '68:18: implementation.parallel.settings.runMaxTry must be 1 or more; found `0`',
  ],
  'settings-not-mapping': ['64:15: implementation.parallel.settings must be a mapping of run settings (miniBatchSize: 10, …); found the text `fast`'],
  // Every problem at once, sorted by position, whatever order they were found in.
  'many-problems': [
    '7:10: jobType `Parallel` is not supported: minibatch runs parallel modules (jobType: parallel) (did you mean `parallel`?)',
    '27:14: parameter `Top K`: default must be a whole number (Integer); found `many`',
    '69:1: warning: unknown key `extra` at the top level is ignored (known keys: amlModuleIdentifier, metadata, description, isDeterministic, jobType, inputs, outputs, implementation)',
  ],
};

describe('each rule of the spec format', () => {
  for (const [name, expected] of Object.entries(RULE_CASES)) {
    it(`${name}: reports exactly its mistake at its place`, async () => {
      const { lines, spec } = await validate(RULES, `${name}.yaml`);
      expect(lines).toEqual(expected.map((line) => `${name}.yaml:${line}`));
      expect(spec).toBeNull();
    });
  }
});

/** Warnings and notes do not stop a spec: it validates, and they are reported. */
const ACCEPTED_CASES: Record<string, string[]> = {
  'root-unknown-key': ['5:1: warning: unknown key `descripton` at the top level is ignored (did you mean `description`?)'],
  'input-type-typo': ['10:11: warning: input `Images`: `AnyDirctory` is not a known data type (did you mean `AnyDirectory`?); it is taken as a data port all the same'],
  'settings-unknown-key': ['65:7: warning: unknown key `mini_batch_size` in implementation.parallel.settings is ignored (did you mean `miniBatchSize`?)'],
  'environment-conda': [
    '43:5: note: amlEnvironment declares dependencies that minibatch does not install (it runs the entry with the interpreter you choose: --python, else settings.python, else amlEnvironment.python.interpreterPath, else python3): python=3.8, azureml-defaults, pillow, docker image mcr.microsoft.com/azureml/base:latest',
  ],
  'environment-image': [
    '43:5: note: image `python:3.11-slim` is not used: minibatch runs no containers; it runs the entry with the interpreter you choose: --python, else settings.python, else amlEnvironment.python.interpreterPath, else python3',
  ],
};

describe('warnings and notes', () => {
  for (const [name, expected] of Object.entries(ACCEPTED_CASES)) {
    it(`${name}: accepted, with what the user should know`, async () => {
      const { lines, spec } = await validate(RULES, `${name}.yaml`);
      expect(lines).toEqual(expected.map((line) => `${name}.yaml:${line}`));
      expect(spec).not.toBeNull();
    });
  }

  it('records the dependencies minibatch did not install', async () => {
    const { spec } = await validate(RULES, 'environment-conda.yaml');
    expect(spec?.environment).toEqual({
      kind: 'amlEnvironment',
      interpreterPath: null,
      declaredDependencies: ['python=3.8', 'azureml-defaults', 'pillow', 'docker image mcr.microsoft.com/azureml/base:latest'],
    });
  });
});
