/**
 * `minibatch model register NAME PATH` and `minibatch model list [NAME]`: the local model registry
 * from the command line (core/model-registry.ts), so that a script's `Model.get_model_path('iris')`
 * finds a model that was registered in an Azure workspace before, without writing Python to put
 * it there. Azure's own CLI does the same with `az ml model create --name --path`.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { listModels, modelRegistry, registerModel, type RegisteredModel } from '../core/model-registry.js';

interface RegisterOptions {
  readonly tag: readonly string[];
  readonly property: readonly string[];
  readonly description?: string;
  readonly registry?: string;
}

interface ListOptions {
  readonly json?: boolean;
  readonly registry?: string;
}

export function register(program: Command): void {
  const model = program
    .command('model')
    .description("the local model registry that an entry script's Model.get_model_path, Model.list and Model(ws, name) read");
  model
    .command('register')
    .description('copy a model file or folder into the registry as NAME\'s next version (1, 2, …)')
    .argument('<name>', "the model's name, as the script asks for it (Model.get_model_path('NAME'))")
    .argument('<path>', 'the model: a file (model.pkl) or a folder (an MLflow model)')
    .option('--tag <key=value>', 'a tag (repeatable), as Model.list(ws, tags=[…]) filters', collect, [])
    .option('--property <key=value>', 'a property (repeatable)', collect, [])
    .option('--description <text>', 'a description')
    .option('--registry <dir>', 'the registry (default: $MINIBATCH_MODEL_REGISTRY, else ./.minibatch/models)')
    .action((name: string, path: string, opts: RegisterOptions) => {
      const registry = opts.registry ?? modelRegistry();
      const record = registerModel(registry, {
        name,
        source: path,
        tags: pairs(opts.tag, '--tag'),
        properties: pairs(opts.property, '--property'),
        description: opts.description ?? null,
      });
      process.stdout.write(`registered ${record.name} version ${record.version}: ${record.path}\n`);
    });
  model
    .command('list')
    .description('the registered models and their versions')
    .argument('[name]', 'only this model')
    .option('--json', 'print the records as JSON, for scripts')
    .option('--registry <dir>', 'the registry (default: $MINIBATCH_MODEL_REGISTRY, else ./.minibatch/models)')
    .action((name: string | undefined, opts: ListOptions) => {
      const registry = opts.registry ?? modelRegistry();
      const models = listModels(registry, name);
      if (opts.json === true) process.stdout.write(JSON.stringify(models, null, 2) + '\n');
      else if (models.length === 0) process.stdout.write(`no models${name === undefined ? '' : ` named ${name}`} in ${registry}\n`);
      else process.stdout.write(formatModels(models));
    });
}

function formatModels(models: readonly RegisteredModel[]): string {
  const rows = models.map((m) => [
    m.name,
    String(m.version),
    Object.entries(m.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || '-',
    m.created_time.slice(0, 19).replace('T', ' '),
    m.path,
  ]);
  const header = ['name', 'version', 'tags', 'registered (UTC)', 'path'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ') + '\n';
  return line(header) + rows.map(line).join('');
}

function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

function pairs(values: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw new UsageError(`${flag} ${value}: expected KEY=VALUE`);
    out[value.slice(0, at)] = value.slice(at + 1);
  }
  return out;
}
