/**
 * The files of a starter module (`minibatch init`): the smallest parallel module that runs as it is,
 * commented where a user will change it. The entry parses its arguments with `parse_known_args`, as
 * on Azure, because minibatch appends `--output PATH`.
 */

export const STARTER_FILES: Readonly<Record<string, string>> = {
  'module.yaml': `# A parallel module (Azure ML's module spec, jobType: parallel). \`minibatch validate module.yaml\`
# checks it; \`minibatch explain job.yaml\` shows what a run would do.
amlModuleIdentifier:
  moduleName: Word Count
  moduleVersion: 0.0.1
description: Counts the words of each text file.
jobType: parallel
inputs:
  # The data split into mini-batches: every file under the folder bound to it.
  - name: Texts
    type: AnyDirectory
  - name: Min Length
    type: Integer
    default: 1
    min: 1
    description: words shorter than this are not counted
outputs:
  - name: Counts
    type: AnyDirectory
implementation:
  parallel:
    amlEnvironment:
      python:
        interpreterPath: python3
    inputData: Texts
    outputData: Counts
    entry: score.py
    # {inputValue: NAME} becomes the parameter's value; minibatch appends --output <Counts folder>.
    args:
      - --min-length
      - {inputValue: Min Length}
    settings:
      miniBatchSize: 2
      # Collect what run() returns into one file in the output folder (parallel_run_step.txt).
      outputAction: append_row
`,
  'job.yaml': `# A job: the module, its bindings and run settings (paths relative to this file).
# Run it with: minibatch run job.yaml
module: module.yaml
inputs:
  Texts: data
parameters:
  Min Length: 3
settings:
  runMaxTry: 2
`,
  'score.py': `"""The entry script: init() once per worker process, run(mini_batch) for each mini-batch."""
import argparse
import os

min_length = 1


def init():
    global min_length
    parser = argparse.ArgumentParser()
    parser.add_argument('--min-length', type=int, default=1)
    parser.add_argument('--output')
    # parse_known_args, as on Azure: arguments this script does not declare are left alone.
    args, _unknown = parser.parse_known_args()
    min_length = args.min_length


def run(mini_batch):
    """mini_batch: a list of file paths. Returns one row per file (a shorter list fails the rest)."""
    rows = []
    for path in mini_batch:
        with open(path, encoding='utf-8') as f:
            words = [w for w in f.read().split() if len(w) >= min_length]
        rows.append('%s %d' % (os.path.basename(path), len(words)))
    return rows
`,
  'data/a.txt': 'the quick brown fox jumps over the lazy dog\n',
  'data/b.txt': 'a mini-batch is a few consecutive files of one input\n',
  'data/c.txt': 'init runs once per worker and run once per mini-batch\n',
};
