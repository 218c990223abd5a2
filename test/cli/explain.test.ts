import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const SPECS = fileURLToPath(new URL('../fixtures/specs/', import.meta.url));
const V = `${SPECS}valid`;
/** What `python3` resolves to here: explain shows the interpreter's own sys.executable. */
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const PY_VERSION = execFileSync('python3', ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' }).trim();

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'minibatch-explain-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

const BINDINGS = ['--input', `Images=${V}/images`, '--input', `model=${V}/model`, '--param', 'Batch Label=night shift'];

describe('minibatch explain', () => {
  it('prints the resolved job: bindings, settings with their sources, command, environment, dataset', async () => {
    const result = await runCli(['explain', `${V}/module.yaml`, ...BINDINGS, '--processes', '2', '--env', 'FOO=bar'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const runId = /^run {7}(\d{8}-\d{6}-[0-9a-f]{4}) /m.exec(result.stdout)?.[1] ?? 'no run id';
    const out = `${cwd}/.minibatch/runs/${runId}/outputs`;
    expect(result.stdout).toBe(`module    Score Images 1.2.0  (${V}/module.yaml)
job file  (none)
run       ${runId}  (.minibatch/runs/${runId}; explain creates nothing)

inputs
  Images  ${V}/images
  Model   ${V}/model
parameters
  Threshold    0.5
  Batch Label  night shift
  Top K        3
  Verbose      false
  Mode         fast
outputs
  Scores        ${out}/scores
  Debug Output  ${out}/debug_output

settings
  miniBatchSize         4                          spec
  processCountPerNode   2                          flag
  nodeCount             1                          default
  runInvocationTimeout  30s                        spec
  runMaxTry             3                          default
  errorThreshold        -1                         default
  allowedFailedCount    none                       default
  allowedFailedPercent  none                       default
  outputAction          summary_only               default
  appendRowFileName     parallel_run_step.txt      default
  appendRowFormat       txt                        default
  loggingLevel          INFO                       default
  environmentVariables  OMP_NUM_THREADS=1 FOO=bar  flag
  initTimeout           2m                         default
  python                python3                    spec
  partitionKeys         none                       default
  gpus                  detect                     default
  inputFormat           (none: files)              default

interpreter  ${PYTHON}  (Python ${PY_VERSION}, from python3)
working dir  ${V}
command      ${PYTHON} ${V}/score.py --model ${V}/model --threshold 0.5 --label 'night shift' --top-k 3 --verbose false --mode fast --debug-dir ${out}/debug_output --output ${out}/scores
gpus         none (nvidia-smi -L found none)

environment
  AZUREML_BI_OUTPUT_PATH=${out}/scores
  MINIBATCH_RUN_ID=${runId}
  MINIBATCH_WORKER_ID=<one per worker process>
  MINIBATCH_WORKER_SLOT=<0…1>
  PYTHONFAULTHANDLER=1
  OMP_NUM_THREADS=1
  FOO=bar
  AZUREML_NODE_COUNT=1
  AZ_BATCHAI_GPU_COUNT_FOUND=0
  MINIBATCH_RUN_DIR=${cwd}/.minibatch/runs/${runId}
  MINIBATCH_MODEL_REGISTRY=${cwd}/.minibatch/models
  AZUREML_MODEL_DIR=${V}

dataset
  Images  ${V}/images  files, 4 per mini-batch
  9 items in 3 mini-batches
  mini-batch 0  Images  4 items  img1.txt, img2.txt, img3.txt, … (1 more)
  mini-batch 1  Images  4 items  img5.txt, img6.txt, img7.txt, … (1 more)
  mini-batch 2  Images  1 item   img9.txt
`);
    // explain creates nothing: no run directory, no output folder.
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('prints the same as JSON with --json', async () => {
    const result = await runCli(['explain', `${V}/module.yaml`, ...BINDINGS, '--mini-batch-size', '5', '--limit', '1', '--json'], { cwd });
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    const runId = json.runId as string;
    const out = `${cwd}/.minibatch/runs/${runId}/outputs`;
    expect(json).toMatchObject({
      runDir: `${cwd}/.minibatch/runs/${runId}`,
      module: { name: 'Score Images', version: '1.2.0', file: `${V}/module.yaml`, sourceDir: V, entry: `${V}/score.py` },
      jobFile: null,
      inputs: { Images: `${V}/images`, Model: `${V}/model` },
      parameters: { Threshold: 0.5, 'Batch Label': 'night shift', 'Top K': 3, Verbose: false, Mode: 'fast' },
      outputs: { Scores: `${out}/scores`, 'Debug Output': `${out}/debug_output` },
      settings: {
        miniBatchSize: { value: { unit: 'items', count: 5 }, display: '5', source: 'flag' },
        runInvocationTimeoutMs: { value: 30_000, display: '30s', source: 'spec' },
        initTimeoutMs: { value: 120_000, display: '2m', source: 'default' },
      },
      interpreter: { command: 'python3', executable: PYTHON, version: PY_VERSION },
      workingDir: V,
      argv: [PYTHON, `${V}/score.py`, '--model', `${V}/model`, '--threshold', '0.5', '--label', 'night shift', '--top-k', '3', '--verbose', 'false', '--mode', 'fast', '--debug-dir', `${out}/debug_output`, '--output', `${out}/scores`],
      environment: { AZUREML_BI_OUTPUT_PATH: `${out}/scores`, MINIBATCH_RUN_ID: runId, PYTHONFAULTHANDLER: '1', OMP_NUM_THREADS: '1' },
      // --limit 1: only the first mini-batch is planned.
      dataset: { inputs: [{ name: 'Images', path: `${V}/images`, readAs: 'files, 5 per mini-batch' }], items: 5, miniBatches: 1 },
    });
    expect((json.dataset as { first: unknown[] }).first).toEqual([
      { index: 0, input: 'Images', key: expect.any(String) as string, items: ['img1.txt', 'img2.txt', 'img3.txt', 'img4.txt', 'img5.txt'], rows: null },
    ]);
  });

  it('explains a job file: its bindings relative to it, its settings, its warnings', async () => {
    const result = await runCli(['explain', 'jobs/job.yaml', '--run-max-try', '9'], { cwd: SPECS });
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(result.stdout).toContain(`job file  ${SPECS}jobs/job.yaml\n`);
    expect(result.stdout).toContain(`  Scores        ${SPECS}jobs/scores\n`);
    expect(result.stdout).toContain('  Batch Label  1.10\n');
    expect(result.stdout).toMatch(/^ {2}miniBatchSize +2 +job$/m);
    expect(result.stdout).toMatch(/^ {2}runMaxTry +9 +flag$/m);
    expect(result.stdout).toContain('  9 items in 5 mini-batches\n');
  });

  it('lists every missing binding in one error, exit 2', async () => {
    const result = await runCli(['explain', `${V}/module.yaml`], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        'error: the job has 2 problems:',
        '  input `Images` is required: bind it with --input Images=PATH, or under inputs: in a job file',
        '  input `Model` is required: bind it with --input Model=PATH, or under inputs: in a job file',
        '',
      ].join('\n'),
    );
  });

  it('refuses bad flag values, all at once, exit 2', async () => {
    const result = await runCli(['explain', `${V}/module.yaml`, ...BINDINGS, '--run-invocation-timeout', 'soon', '--error-threshold', '-2', '--limit', '0', '--input', 'no-equals-sign'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      [
        'error: 4 flags are wrong:',
        '  --input no-equals-sign must be NAME=PATH, e.g. --input \'Data Input 1=./data\'',
        '  --run-invocation-timeout must be a duration such as 90 (seconds), 90s, 1.5s, 500ms or 5m; found `soon`',
        '  --error-threshold must be -1 or more; found `-2`',
        '  --limit must be a whole number of mini-batches, 1 or more; found `0`',
        '',
      ].join('\n'),
    );
  });

  it('exits 3 when the interpreter cannot be started here', async () => {
    const result = await runCli(['explain', `${V}/module.yaml`, ...BINDINGS, '--python', '/no/such/python'], { cwd });
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: .*\/no\/such\/python/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('exits 2 with the spec’s problems when the spec is invalid', async () => {
    const result = await runCli(['explain', 'seed/module_spec.yaml'], { cwd: SPECS });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(3);
  });
});
