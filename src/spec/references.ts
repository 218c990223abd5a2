/**
 * Names that `inputData`, `outputData` and `args` placeholders mention must be declared, with the
 * right kind: a data port for inputData and {inputPath}, a parameter for {inputValue},
 * an output for outputData and {outputPath}.
 */
import type { Diagnostics, YamlPath } from './diagnostics.js';
import { didYouMean } from './suggest.js';
import type { InputDecl, OutputDecl } from './types.js';

export interface Declared {
  readonly inputs: readonly InputDecl[];
  readonly outputs: readonly OutputDecl[];
  /**
   * Names of declarations that were themselves invalid: a reference to one is not reported again
   * (the declaration's own error says what to fix).
   */
  readonly broken: ReadonlySet<string>;
}

export type ReferenceField = 'inputData' | 'outputData' | 'inputPath' | 'inputValue' | 'outputPath';
type Wanted = 'port' | 'param' | 'output';

const WANTED: Record<ReferenceField, Wanted> = {
  inputData: 'port',
  inputPath: 'port',
  inputValue: 'param',
  outputData: 'output',
  outputPath: 'output',
};

/** How to write a reference to a thing of `kind` in `field`'s place, for a wrong-kind message. */
function fixFor(field: ReferenceField, name: string, kind: Wanted): string {
  if (field === 'inputData') return 'inputData names input ports (data, not parameters or outputs)';
  if (field === 'outputData') return 'outputData names one of the outputs';
  const placeholder = kind === 'port' ? 'inputPath' : kind === 'param' ? 'inputValue' : 'outputPath';
  return `use {${placeholder}: ${name}}`;
}

const KIND_WORDS: Record<Wanted, string> = { port: 'a data port', param: 'a parameter', output: 'an output' };

/**
 * Reports `name` at `path` unless it is declared with the kind `field` needs. Suggestions exclude
 * `exclude`: the names the same field already lists. Returns the declaration found, or null.
 */
export function checkReference(
  diags: Diagnostics,
  path: YamlPath,
  field: ReferenceField,
  name: string,
  declared: Declared,
  exclude: readonly string[],
): InputDecl | OutputDecl | null {
  if (declared.broken.has(name)) return null;
  const wanted = WANTED[field];
  const input = declared.inputs.find((d) => d.name === name);
  const output = declared.outputs.find((d) => d.name === name);
  const found: Wanted | null = input !== undefined ? input.kind : output !== undefined ? 'output' : null;
  if (found === wanted) return input ?? output ?? null;
  if (found !== null) {
    diags.error(path, `${field} names \`${name}\`, which is ${KIND_WORDS[found]}: ${fixFor(field, name, found)}`);
    return null;
  }
  const candidates =
    wanted === 'output'
      ? declared.outputs.map((d) => d.name)
      : declared.inputs.filter((d) => d.kind === wanted).map((d) => d.name);
  const where = wanted === 'output' ? 'outputs' : 'inputs';
  diags.error(path, `${field} names \`${name}\`, which is not declared in ${where}${didYouMean(name, candidates, exclude)}`);
  return null;
}
