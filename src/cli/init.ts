/**
 * `minibatch init [folder]`: writes a starter module (spec, job file, entry script, a few input
 * files) that runs as it is, and prints the command to run it. Refuses to overwrite a file.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { STARTER_FILES } from '../spec/starter.js';

export function register(program: Command): void {
  program
    .command('init')
    .description('write a small module that runs as it is (module.yaml, job.yaml, score.py, data/) to start from')
    .argument('[folder]', 'where to write it (created if needed)', '.')
    .action((folder: string) => {
      process.stdout.write(writeStarter(resolve(folder)));
    });
}

/** Writes the starter files into `dir`; returns what to tell the user. */
export function writeStarter(dir: string): string {
  const taken = Object.keys(STARTER_FILES).filter((name) => existsSync(join(dir, name)));
  if (taken.length > 0) {
    throw new UsageError(`${dir} already has ${taken.join(', ')}: minibatch init writes a new module; give an empty or new folder (minibatch init my-module)`);
  }
  for (const [name, text] of Object.entries(STARTER_FILES)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const rel = relative(process.cwd(), dir);
  const job = rel === '' ? 'job.yaml' : join(rel, 'job.yaml');
  return (
    `wrote a starter module in ${dir}: ${Object.keys(STARTER_FILES).join(', ')}\n` +
    `run it:      minibatch run ${job}\n` +
    `see a run:   minibatch explain ${job}\n`
  );
}
