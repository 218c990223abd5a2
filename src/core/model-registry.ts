/**
 * The local model registry (docs/AZURE.md, "Offline azureml.core"): what `Model.register` and
 * `Run.register_model` write and `Model.get_model_path`, `Model.list` and `Model(ws, name)` read in
 * an entry script, and what `minibatch model register|list` writes and reads from the command line.
 * The format is shared with python/shims_azureml/azureml/core/model.py:
 *
 *   <registry>/<name>/<version>/model.json   {name, version, path, tags, properties, description, created_time, run_id}
 *   <registry>/<name>/<version>/<the model's own file or folder, copied>
 *
 * A version is taken by creating its folder (mkdir fails if another process took it), and
 * model.json is written last, by rename, so a reader never sees a half-registered model.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** Where the registry is; a user may point it elsewhere. */
export const MODEL_REGISTRY_ENV = 'MINIBATCH_MODEL_REGISTRY';

/** Shared by the runs started from one folder, so one run's register_model is the next run's Model.list. */
export function modelRegistry(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const given = env[MODEL_REGISTRY_ENV];
  return given !== undefined && given !== '' ? resolve(cwd, given) : join(cwd, '.minibatch', 'models');
}

export interface RegisteredModel {
  readonly name: string;
  readonly version: number;
  /** The model's file or folder inside the registry. */
  readonly path: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, string>>;
  readonly description: string | null;
  /** ISO 8601, UTC. */
  readonly created_time: string;
  readonly run_id: string | null;
}

export interface ModelToRegister {
  readonly name: string;
  /** A file or a folder. */
  readonly source: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly properties?: Readonly<Record<string, string>>;
  readonly description?: string | null;
}

// Azure ML's rule for asset names; it also keeps a name one folder of the registry.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/** Copies the model into the registry as its next version and returns its record. */
export function registerModel(registry: string, model: ModelToRegister): RegisteredModel {
  if (!NAME.test(model.name) || model.name === '.' || model.name === '..') {
    throw new UsageError(
      `model name ${JSON.stringify(model.name)}: use letters, digits, '-', '_' and '.', starting with a letter or digit (as Azure ML does)`,
    );
  }
  const source = resolve(model.source);
  if (!existsSync(source)) throw new UsageError(`model ${model.name}: ${source} does not exist; give the model's file or folder`);
  const folder = join(registry, model.name);
  mkdirSync(folder, { recursive: true });
  let version = (versionsOf(registry, model.name).at(-1) ?? 0) + 1;
  for (;;) {
    try {
      mkdirSync(join(folder, String(version)));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      version += 1;
    }
  }
  const target = join(folder, String(version), basename(source));
  cpSync(source, target, { recursive: statSync(source).isDirectory() });
  const record: RegisteredModel = {
    name: model.name,
    version,
    path: target,
    tags: { ...model.tags },
    properties: { ...model.properties },
    description: model.description ?? null,
    created_time: new Date().toISOString(),
    run_id: null,
  };
  const file = join(folder, String(version), 'model.json');
  writeFileSync(`${file}.partial`, JSON.stringify(record, null, 2));
  renameSync(`${file}.partial`, file);
  return record;
}

/** Registered models, by name, oldest version first; `name` limits it to one model. */
export function listModels(registry: string, name?: string): RegisteredModel[] {
  const names = name !== undefined ? [name] : existsSync(registry) ? readdirSync(registry).sort() : [];
  const found: RegisteredModel[] = [];
  for (const each of names) {
    for (const version of versionsOf(registry, each)) {
      const file = join(registry, each, String(version), 'model.json');
      // A version whose model.json is not there yet is being registered.
      if (existsSync(file)) found.push(JSON.parse(readFileSync(file, 'utf8')) as RegisteredModel);
    }
  }
  return found;
}

function versionsOf(registry: string, name: string): number[] {
  const folder = join(registry, name);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) return [];
  return readdirSync(folder)
    .filter((v) => /^\d+$/.test(v))
    .map(Number)
    .sort((a, b) => a - b);
}
