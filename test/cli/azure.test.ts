/**
 * Azure ML's v2 formats run as they are (docs/AZURE.md): a parallel job, a parallel component pair
 * that registers and then lists models, a pipeline with a command node and two parallel nodes, a
 * batch deployment. Fixtures (test/fixtures/azure/) follow Azure's documented schemas; each runs
 * with its entry script unchanged, in a copy of the fixture folder.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/azure/', import.meta.url));
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mb-azure-'));
  cpSync(FIXTURES, root, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const lines = (file: string): string[] => readFileSync(file, 'utf8').trim().split('\n');

describe('a v2 parallel job (type: parallel)', () => {
  it('runs unchanged: program_arguments rendered, ParallelRunStep arguments taken out, rows appended to a uri_folder output', async () => {
    const cwd = join(root, 'parallel');
    const result = await runCli(['run', 'job.yml', '--run-dir', 'rd', '--no-progress'], { cwd });
    expect(result.stdout).toContain('Succeeded: Every mini-batch succeeded.');
    expect(result.exitCode).toBe(0);
    // append_row_to a uri_folder: ParallelRunStep's file name in that folder.
    expect(lines(join(cwd, 'rd/outputs/scores/parallel_run_step.txt'))).toEqual(
      ['f1.txt', 'f2.txt', 'f3.txt', 'f4.txt', 'f5.txt'].map((f) => `scored ${f} 0.5 none`),
    );
    expect(readdirSync(join(cwd, 'rd/outputs/results')).sort()).toEqual(['f1.txt.out', 'f2.txt.out', 'f3.txt.out', 'f4.txt.out', 'f5.txt.out']);
  });

  it("explain names each setting's source in the file's terms, and what does not apply here", async () => {
    const cwd = join(root, 'parallel');
    const result = await runCli(['explain', 'job.yml', '--param', 'label=night'], { cwd });
    expect(result.exitCode).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/^ {2}runInvocationTimeout +45s +spec: retry_settings\.timeout$/m);
    expect(out).toMatch(/^ {2}runMaxTry +2 +spec: retry_settings\.max_retries$/m);
    expect(out).toMatch(/^ {2}allowedFailedPercent +30 +spec: --allowed_failed_percent in program_arguments$/m);
    expect(out).toMatch(/^ {2}errorThreshold +10 +spec: --error_threshold in program_arguments$/m);
    expect(out).toMatch(/^ {2}allowedFailedCount +5 +spec: mini_batch_error_threshold$/m);
    expect(out).toMatch(/^ {2}processCountPerNode +2 +spec: max_concurrency_per_instance$/m);
    expect(out).toMatch(/^ {2}outputAction +append_row +spec: task\.append_row_to$/m);
    // The optional group is kept once its input is set; ParallelRunStep's arguments never reach the script.
    const command = /^command +(.*)$/m.exec(out)?.[1] ?? '';
    expect(command).toContain('scoring/score.py --threshold 0.5 --label night --results ');
    expect(command).not.toMatch(/allowed_failed|error_threshold|task_overhead/);
    expect(result.stderr).toContain('job.yml:6:1: note: compute is ignored: the job runs on this machine');
    expect(result.stderr).toContain('warning: --task_overhead_timeout in program_arguments does not apply here');
    expect(result.stderr).toMatch(/note: task\.environment \(image `[^`]+`, conda_file `\.\/environment\/conda\.yml`\) is not built here: the entry runs with --python if given, else python3/);
  });

  it('validate of a misspelt key exits 2 with file:line:col and did-you-mean', async () => {
    const cwd = join(root, 'parallel');
    writeFileSync(join(cwd, 'job.yml'), readFileSync(join(cwd, 'job.yml'), 'utf8').replace('mini_batch_size:', 'mini_bach_size:'));
    const result = await runCli(['validate', 'job.yml'], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('job.yml:25:1: unknown key `mini_bach_size` at the top level (did you mean `mini_batch_size`?)');
  });
});

describe('a parallel component pair through the local model registry', () => {
  it('trains and registers a model per mini-batch, then lists them by tag and scores with them; status shows the metrics', async () => {
    const cwd = join(root, 'registry');
    const env = { MINIBATCH_MODEL_REGISTRY: join(root, 'models') };
    const train = await runCli(['run', 'train.yml', '--run-dir', 'train-run', '--no-progress'], { cwd, env });
    expect(train.exitCode).toBe(0);
    // append_row_to a uri_file output: that file itself.
    expect(lines(join(cwd, 'out/registered.txt'))).toEqual(['model_north:1', 'model_south:1']);
    expect(readdirSync(join(root, 'models')).sort()).toEqual(['model_north', 'model_south']);
    const trained = lines(join(cwd, 'train-run/logs/metrics.jsonl')).map((l) => JSON.parse(l) as { name: string; kind: string; value: unknown });
    expect(trained.filter((m) => m.name === 'trained_items').map((m) => m.value)).toEqual([2, 2]);
    expect(trained.filter((m) => m.kind === 'row').map((m) => m.value)).toContainEqual({ store: 'north', mean: 4.5 });

    const score = await runCli(['run', 'score.yml', '--run-dir', 'score-run', '--no-progress'], { cwd, env });
    expect(score.exitCode).toBe(0);
    expect(lines(join(cwd, 'score-run/outputs/scores/parallel_run_step.txt'))).toEqual([
      'north1.txt north -1.5',
      'north2.txt north 1.5',
      'south1.txt south -1.5',
      'south2.txt south 1.5',
    ]);
    const status = await runCli(['status', 'score-run'], { cwd });
    expect(status.stdout).toMatch(/^ {2}metrics \(latest\):\n {4}scored {2}\d {2}\(2 logged\)$/m);
  });
});

describe('a v2 pipeline (type: pipeline)', () => {
  it('explain without --node lists the nodes and what each needs bound', async () => {
    const result = await runCli(['explain', 'pipeline.yml'], { cwd: join(root, 'pipeline') });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [
        'pipeline.yml: a pipeline; minibatch runs one parallel node, chosen with --node NAME',
        'nodes',
        '  prep          (command; not run by minibatch)',
        '  tag_raw       (parallel)',
        '  tag_prepared  (parallel; needs reference ← prep.outputs.prepared (--input reference=PATH))',
        '',
      ].join('\n'),
    );
  });

  it("runs a node that names a component file, its inputs the pipeline's, its settings over the component's", async () => {
    const cwd = join(root, 'pipeline');
    const explain = await runCli(['explain', 'pipeline.yml', '--node', 'tag_raw'], { cwd });
    expect(explain.stdout).toMatch(/^ {2}miniBatchSize +3 +spec: pipeline\.yml jobs\.tag_raw\.mini_batch_size$/m);
    expect(explain.stdout).toMatch(/^ {2}runMaxTry +3 +spec: retry_settings\.max_retries$/m);
    expect(explain.stdout).toMatch(/^ {2}errorThreshold +2 +spec: --error_threshold in program_arguments$/m);
    const result = await runCli(['run', 'pipeline.yml', '--node', 'tag_raw', '--run-dir', 'rd', '--no-progress'], { cwd });
    expect(result.exitCode).toBe(0);
    expect(lines(join(cwd, 'rd/outputs/tagged/parallel_run_step.txt'))).toEqual([1, 2, 3, 4, 5].map((i) => `raw 0.75 p${i}.txt 0`));
    expect(result.stderr).toContain('note: node `prep` (command) is not run: minibatch runs node `tag_raw`');
  });

  it("refuses a node fed by another node's output until it is bound, naming the node and the flag", async () => {
    const cwd = join(root, 'pipeline');
    const refused = await runCli(['run', 'pipeline.yml', '--node', 'tag_prepared', '--no-progress'], { cwd });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(
      "error: input `reference` of node `tag_prepared` is node `prep`'s output `prepared` (pipeline.yml:43:18), which minibatch does not produce: bind it with --input reference=PATH",
    );
    mkdirSync(join(cwd, 'ref'));
    writeFileSync(join(cwd, 'ref/a'), '');
    const result = await runCli(['run', 'pipeline.yml', '--node', 'tag_prepared', '--input', 'reference=ref', '--output', 'tagged=out/tagged.txt', '--no-progress'], { cwd });
    expect(result.exitCode).toBe(0);
    expect(lines(join(cwd, 'out/tagged.txt'))).toEqual([1, 2, 3, 4, 5].map((i) => `prepared None p${i}.txt 1`));
  });
});

describe('a batch deployment (code_configuration)', () => {
  it('scores --input PATH into --output PATH with output_file_name; init() finds the model through AZUREML_MODEL_DIR', async () => {
    const cwd = join(root, 'deployment');
    const result = await runCli(['run', 'deployment.yml', '--input', 'data', '--output', 'out', '--no-progress'], { cwd });
    expect(result.exitCode).toBe(0);
    expect(lines(join(cwd, 'out/scores.csv'))).toEqual(['d1.csv 4.5', 'd2.csv 9', 'd3.csv 13.5', 'd4.csv 18', 'd5.csv 22.5'].map((l) => l.replace(/ (\d+)$/, ' $1.0')));
  });

  it("explain shows Azure's deployment defaults and each setting's place; the data to score must be given", async () => {
    const cwd = join(root, 'deployment');
    writeFileSync(join(cwd, 'deployment.yml'), readFileSync(join(cwd, 'deployment.yml'), 'utf8').replace(/ {2}output_file_name: .*\n/, ''));
    const result = await runCli(['explain', 'deployment.yml', '--input', 'data'], { cwd });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ {2}appendRowFileName +predictions\.csv +spec: batch deployment default$/m);
    expect(result.stdout).toMatch(/^ {2}runMaxTry +2 +spec: settings\.retry_settings\.max_retries$/m);
    expect(result.stdout).toMatch(/^ {2}processCountPerNode +2 +spec: settings\.max_concurrency_per_instance$/m);
    expect(result.stdout).toContain(`AZUREML_MODEL_DIR=${cwd}\n`);
    const missing = await runCli(['explain', 'deployment.yml'], { cwd });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('error: a batch deployment scores the data given with --input PATH (a folder or a file)');
  });
});

describe('GPUs', () => {
  /** A v2 job whose entry reports what it sees, and a stand-in nvidia-smi listing `gpus` devices. */
  function gpuJob(gpus: number): { cwd: string; env: Record<string, string> } {
    const cwd = join(root, 'gpu');
    mkdirSync(join(cwd, 'data'), { recursive: true });
    mkdirSync(join(cwd, 'bin'));
    for (const i of [1, 2, 3, 4]) writeFileSync(join(cwd, 'data', `g${i}`), '');
    writeFileSync(
      join(cwd, 'gpu.py'),
      "import os\ndef run(mb):\n    return ['%s %s' % (os.environ.get('CUDA_VISIBLE_DEVICES', '-'), os.environ['AZ_BATCHAI_GPU_COUNT_FOUND']) for _ in mb]\n",
    );
    writeFileSync(
      join(cwd, 'job.yml'),
      'type: parallel\ninputs:\n  data: {type: uri_folder, path: ./data}\noutputs:\n  seen: {}\ninput_data: ${{inputs.data}}\nmini_batch_size: "1"\n' +
        'task:\n  code: .\n  entry_script: gpu.py\n  append_row_to: ${{outputs.seen}}\n',
    );
    const list = Array.from({ length: gpus }, (_, i) => `echo 'GPU ${i}: Stand-in GPU (UUID: GPU-${i})'`).join('\n');
    writeFileSync(join(cwd, 'bin', 'nvidia-smi'), `#!/bin/sh\n${list}\n`);
    chmodSync(join(cwd, 'bin', 'nvidia-smi'), 0o755);
    return { cwd, env: { PATH: `${join(cwd, 'bin')}:${process.env.PATH ?? ''}` } };
  }

  it('gives each slot one device when there are as many devices as processes, and explain shows it', async () => {
    const { cwd, env } = gpuJob(2);
    const explain = await runCli(['explain', 'job.yml', '--processes', '2'], { cwd, env });
    expect(explain.stdout).toMatch(/^gpus +slot 0 → 0, slot 1 → 1 \(nvidia-smi -L; CUDA_VISIBLE_DEVICES per slot\)$/m);
    expect(explain.stdout).toContain('AZ_BATCHAI_GPU_COUNT_FOUND=2\n');
    const run = await runCli(['run', 'job.yml', '--processes', '2', '--run-dir', 'rd', '--no-progress'], { cwd, env });
    expect(run.exitCode).toBe(0);
    const seen = lines(join(cwd, 'rd/outputs/seen/parallel_run_step.txt'));
    expect(seen).toHaveLength(4);
    for (const line of seen) expect(['0 2', '1 2']).toContain(line);
  });

  it("keeps a slot's device for the worker that replaces a crashed one", async () => {
    const { cwd, env } = gpuJob(2);
    writeFileSync(
      join(cwd, 'gpu.py'),
      [
        'import os, time',
        'def init():',
        "    with open(os.path.join(os.environ['INITS'], 'inits.txt'), 'a') as f:",
        "        f.write('%s %s\\n' % (os.environ['MINIBATCH_WORKER_SLOT'], os.environ['CUDA_VISIBLE_DEVICES']))",
        'def run(mb):',
        "    marker = os.path.join(os.environ['INITS'], 'crashed')",
        "    if os.environ['MINIBATCH_WORKER_SLOT'] == '1' and not os.path.exists(marker):",
        "        open(marker, 'w').close()",
        '        os._exit(3)',
        '    time.sleep(0.3)',
        "    return [os.environ['CUDA_VISIBLE_DEVICES'] for _ in mb]",
        '',
      ].join('\n'),
    );
    for (const i of [5, 6, 7, 8]) writeFileSync(join(cwd, 'data', `g${i}`), '');
    const run = await runCli(['run', 'job.yml', '--processes', '2', '--run-dir', 'rd', '--no-progress'], { cwd, env: { ...env, INITS: cwd } });
    expect(run.exitCode).toBe(0);
    const inits = lines(join(cwd, 'inits.txt')).sort();
    expect(inits).toEqual(['0 0', '1 1', '1 1']);
  });

  it('leaves every slot all devices when there are fewer devices than processes, and none with --gpus none', async () => {
    const { cwd, env } = gpuJob(2);
    const fewer = await runCli(['explain', 'job.yml', '--processes', '3'], { cwd, env });
    expect(fewer.stdout).toMatch(/^gpus +0,1 \(nvidia-smi -L\); fewer devices than processes: every slot sees all$/m);
    const none = await runCli(['run', 'job.yml', '--processes', '2', '--gpus', 'none', '--run-dir', 'rd', '--no-progress'], { cwd, env });
    expect(none.exitCode).toBe(0);
    expect(lines(join(cwd, 'rd/outputs/seen/parallel_run_step.txt'))).toEqual(['- 0', '- 0', '- 0', '- 0']);
  });
});
