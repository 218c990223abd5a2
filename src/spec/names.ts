/**
 * Names of inputs and outputs. A name may contain spaces (`Data Input 1`); on the command line and
 * in job files it may also be written in snake_case (`data_input_1`), as Azure's SDK did, which is
 * why `_` is reserved in names.
 */

/** Characters a declared name must not contain. */
export const RESERVED_CHARS = ['_', '/', '@', '[', ']'] as const;

/** The reserved characters `name` contains, in the order of RESERVED_CHARS. */
export function reservedCharsIn(name: string): string[] {
  return RESERVED_CHARS.filter((c) => name.includes(c));
}

/** `Data Input 1` → `data_input_1`: lower case, every run of other characters one `_`. */
export function snakeCase(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}

/** The declaration `given` names: exactly, else by its snake_case form. */
export function findByName<T extends { readonly name: string }>(
  decls: readonly T[],
  given: string,
): T | undefined {
  return decls.find((d) => d.name === given) ?? decls.find((d) => snakeCase(d.name) === given);
}

