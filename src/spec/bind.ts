/**
 * Binding a job: a path for each input port, a value for each parameter, a path for each
 * output, and the run settings, from a job file and flags (flags win). Every problem (an unknown
 * name, a bad value, a missing required input, a path that does not exist) is gathered into one
 * `UsageError`. Nothing is created here: unbound outputs are only named (under the run directory).
 */
import { lstat, readlink, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { bindingPath } from './job.js';
import type { Binding, Bindings, JobFile } from './job.js';
import { findByName, snakeCase } from './names.js';
import { convertParam, rangeProblem } from './params.js';
import { renderEntryArgs, shellQuote } from './render.js';
import { resolveSettings } from './settings.js';
import type { Parsed, SettingsLayer } from './settings.js';
import type { TableRead } from '../core/table-format.js';
import { closest } from './suggest.js';
import type { InputDecl, ModuleSpec, OutputDecl, ParamValue, ResolvedJob, RunSettings } from './types.js';

export interface FlagBindings extends Bindings {
  readonly settings: Partial<RunSettings>;
  /** `--limit`: plan only the first N mini-batches; null = all. */
  readonly limit: number | null;
}

export interface BindRequest {
  readonly spec: ModuleSpec;
  readonly job: JobFile | null;
  readonly flags: FlagBindings;
  /** The run's directory: unbound outputs default to `<runDir>/outputs/<snake_case name>`. */
  readonly runDir: string;
}

type Kind = 'inputs' | 'parameters' | 'outputs';
const FLAG: Record<Kind, string> = { inputs: '--input', parameters: '--param', outputs: '--output' };

export async function bindJob(req: BindRequest): Promise<ResolvedJob> {
  const { spec, job, flags, runDir } = req;
  const problems: string[] = [];
  // Job file first, flags after: a later binding of the same name replaces an earlier one.
  const chosen = {
    inputs: pick(spec, 'inputs', [job?.inputs ?? [], flags.inputs], problems),
    parameters: pick(spec, 'parameters', [job?.parameters ?? [], flags.parameters], problems),
    outputs: pick(spec, 'outputs', [job?.outputs ?? [], flags.outputs], problems),
  };

  const inputs: Record<string, string> = {};
  const parameters: Record<string, ParamValue | null> = {};
  for (const decl of spec.inputs) {
    if (decl.kind === 'port') {
      const binding = chosen.inputs.get(decl.name);
      if (binding === undefined) {
        if (!decl.optional) problems.push(job?.missing[decl.name] ?? missing(decl, job));
        continue;
      }
      if (binding.text.trim() === '') {
        problems.push(`${binding.origin}: input \`${decl.name}\` needs a path`);
        continue;
      }
      const path = bindingPath(binding);
      const unreachable = await whyUnreachable(path);
      if (unreachable !== null) problems.push(`${binding.origin}: input \`${decl.name}\`: ${path} ${unreachable}`);
      inputs[decl.name] = path;
      continue;
    }
    const binding = chosen.parameters.get(decl.name);
    if (binding === undefined) {
      if (!decl.optional && decl.default === null) problems.push(missing(decl, job));
      parameters[decl.name] = decl.default;
      continue;
    }
    const converted = convertParam(decl.type, binding.value, binding.text, decl.options);
    const problem = converted.ok ? rangeProblem(decl, converted.value) : converted.problem;
    if (problem !== null) problems.push(`${binding.origin}: parameter \`${decl.name}\` ${problem}`);
    else if (converted.ok) parameters[decl.name] = converted.value;
  }

  const outputs: Record<string, string> = {};
  for (const decl of spec.outputs) {
    const binding = chosen.outputs.get(decl.name);
    if (binding !== undefined && binding.text.trim() === '') problems.push(`${binding.origin}: output \`${decl.name}\` needs a path`);
    outputs[decl.name] = binding === undefined ? join(runDir, 'outputs', snakeCase(decl.name)) : bindingPath(binding);
    if (binding !== undefined && binding.text.trim() !== '') {
      const found = await stat(outputs[decl.name] ?? '').catch(() => null);
      if (found !== null && !found.isDirectory() && decl.type !== 'uri_file') {
        problems.push(`${binding.origin}: output \`${decl.name}\` must be a folder, but ${outputs[decl.name] ?? ''} is a file; name a folder (it is created if missing)`);
      }
    }
  }

  if (problems.length > 0) {
    const body = problems.length === 1 ? (problems[0] ?? '') : `the job has ${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`;
    throw new UsageError(body);
  }

  const layers: SettingsLayer[] = [{ source: 'spec', values: spec.settings }];
  if (job !== null) layers.push({ source: 'job', values: job.settings });
  layers.push({ source: 'flag', values: flags.settings });
  const resolved = resolveSettings(layers);
  const inputFormat = declaredFormats(spec, resolved.settings.inputFormat);
  if (!inputFormat.ok) throw new UsageError(inputFormat.problem);
  const settings = { ...resolved.settings, inputFormat: inputFormat.value };
  const sources = resolved.sources;
  const bound = { inputs, parameters, outputs };
  return {
    module: spec,
    jobFile: job?.path ?? null,
    ...bound,
    settings,
    settingSources: sources,
    entryArgs: renderEntryArgs(spec, bound),
    limit: flags.limit,
  };
}

/**
 * The binding chosen for each declared name, from layers in increasing precedence. Unknown names,
 * a name of the wrong kind, and a name bound twice in the same layer are problems.
 */
function pick(spec: ModuleSpec, kind: Kind, layers: readonly (readonly Binding[])[], problems: string[]): Map<string, Binding> {
  const chosen = new Map<string, Binding>();
  for (const layer of layers) {
    const seen = new Map<string, Binding>();
    for (const binding of layer) {
      const decl = binding.name === '' ? onlyOne(spec, kind) : findByName<InputDecl | OutputDecl>([...spec.inputs, ...spec.outputs], binding.name);
      const problem =
        binding.name === '' && decl === undefined ? notOnlyOne(spec, kind) : decl === undefined ? unknownName(spec, kind, binding.name) : wrongKind(kind, decl);
      if (problem !== null) {
        problems.push(`${binding.origin}: ${problem}`);
        continue;
      }
      const name = (decl as InputDecl | OutputDecl).name;
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        problems.push(`${binding.origin}: \`${name}\` is already bound by ${earlier.origin}: bind it once`);
        continue;
      }
      seen.set(name, binding);
      chosen.set(name, binding);
    }
  }
  return chosen;
}

/**
 * `--input PATH` (no name) binds the dataset input, and `--output PATH` the outputData, as
 * `az ml batch-endpoint invoke --input/--output` do; `--param` always needs a name.
 */
function onlyOne(spec: ModuleSpec, kind: Kind): InputDecl | OutputDecl | undefined {
  if (kind === 'outputs') return spec.outputs.find((o) => o.name === spec.outputData);
  if (kind === 'inputs' && spec.inputData.length === 1) return spec.inputs.find((d) => d.name === spec.inputData[0]);
  return undefined;
}

function notOnlyOne(spec: ModuleSpec, kind: Kind): string {
  const decls = [...spec.inputs, ...spec.outputs].filter((d) => declKind(d) === kind);
  const names = decls.map((d) => `\`${d.name}\``).join(', ');
  return `${FLAG[kind]} without NAME= binds the dataset input, and \`${spec.name}\` reads ${spec.inputData.length} (its ${kind}: ${names === '' ? 'none' : names}); write ${FLAG[kind]} NAME=${kind === 'parameters' ? 'VALUE' : 'PATH'}`;
}

/** `inputFormat` keyed by declared names (a snake_case name is found too); each must name an `inputData` port. */
function declaredFormats(spec: ModuleSpec, formats: RunSettings['inputFormat']): Parsed<Record<string, TableRead>> {
  const out: Record<string, TableRead> = {};
  for (const [name, read] of Object.entries(formats)) {
    const decl = findByName<InputDecl | OutputDecl>([...spec.inputs, ...spec.outputs], name);
    if (decl === undefined || !spec.inputData.includes(decl.name)) {
      const near = closest(name, [...spec.inputData, ...spec.inputData.map(snakeCase)]);
      const hint = near === null ? '' : ` (did you mean \`${near}\`?)`;
      return {
        ok: false,
        problem:
          `inputFormat names \`${name}\`, which is not one of the dataset's inputs${hint}; ` +
          `the inputData of module \`${spec.name}\` ${spec.inputData.length === 1 ? 'is' : 'are'} ${spec.inputData.map((n) => `\`${n}\``).join(', ')}`,
      };
    }
    out[decl.name] = read;
  }
  return { ok: true, value: out };
}

function declKind(decl: InputDecl | OutputDecl): Kind {
  return !('kind' in decl) ? 'outputs' : decl.kind === 'port' ? 'inputs' : 'parameters';
}

const KIND_WORDS: Record<Kind, string> = { inputs: 'an input port', parameters: 'a parameter', outputs: 'an output' };

function wrongKind(kind: Kind, decl: InputDecl | OutputDecl): string | null {
  const actual = declKind(decl);
  if (actual === kind) return null;
  return `\`${decl.name}\` is ${KIND_WORDS[actual]}, not ${KIND_WORDS[kind]}: bind it with ${FLAG[actual]} (or under ${actual}: in a job file)`;
}

function unknownName(spec: ModuleSpec, kind: Kind, name: string): string {
  const decls = [...spec.inputs, ...spec.outputs].filter((d) => declKind(d) === kind);
  // Compare with both spellings of each name, suggest the declared one.
  const bySnake = new Map(decls.map((d) => [snakeCase(d.name), d.name]));
  const near = closest(name, [...decls.map((d) => d.name), ...bySnake.keys()]);
  const hint = near === null ? '' : ` (did you mean \`${bySnake.get(near) ?? near}\`?)`;
  const list = decls.length === 0 ? `it has no ${kind}` : `its ${kind} are ${decls.map((d) => `\`${d.name}\``).join(', ')}`;
  return `module \`${spec.name}\` has no ${kind.replace(/s$/, '')} \`${name}\`${hint}; ${list}`;
}

/**
 * A required input or parameter nothing binds. With a job file, the message is placed in it (its
 * `inputs:` section, or its top) and says what to add there; the flag is the other way.
 */
function missing(decl: InputDecl, job: JobFile | null): string {
  const snake = snakeCase(decl.name);
  const alt = snake !== decl.name.toLowerCase() ? ` (or ${snake}=…)` : '';
  const port = decl.kind === 'port';
  const what = port ? `input \`${decl.name}\`` : `parameter \`${decl.name}\` (${decl.type})`;
  const flag = port ? `--input ${shellQuote(`${decl.name}=PATH`)}` : `--param ${shellQuote(`${decl.name}=VALUE`)}`;
  const kind = port ? 'inputs' : 'parameters';
  if (job === null) return `${what} is required: bind it with ${flag}${alt}, or under ${kind}: in a job file`;
  const section = job.sections[kind];
  const entry = `${decl.name}: ${port ? './path' : 'value'}`;
  const add = section.present ? `add \`${entry}\` under ${kind}: here` : `add \`${kind}: {${entry}}\` to it`;
  return `${section.origin}: ${what} is required and ${basename(job.path)} does not bind it: ${add}, or give ${flag}${alt}`;
}

/** Why an input path cannot be read, in words (a loop is not "missing"); null when it can be. */
async function whyUnreachable(path: string): Promise<string | null> {
  try {
    await stat(path);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'is a loop of symbolic links (each points, in the end, back to itself): bind the real folder';
    if (code === 'EACCES' || code === 'EPERM') return 'cannot be reached: permission denied';
    if (code === 'ENOTDIR') return 'does not exist: a part of the path is a file, not a folder';
    const link = await lstat(path).catch(() => null);
    if (link?.isSymbolicLink() === true) return `is a symbolic link to ${await readlink(path)}, which does not exist`;
    return 'does not exist';
  }
}
