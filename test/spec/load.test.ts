import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/core/errors.js';
import { readYamlFile } from '../../src/spec/load.js';

const DIR = fileURLToPath(new URL('../fixtures/specs/unreadable/', import.meta.url));

/** The error a user sees when `name` cannot be read as a module spec. */
async function unreadable(name: string): Promise<string> {
  const error = await readYamlFile(name, 'module spec', DIR).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SpecError);
  expect((error as SpecError).code).toBe('SPEC_UNREADABLE');
  expect((error as SpecError).exitCode).toBe(2);
  return (error as SpecError).message;
}

describe('reading a spec that is not readable YAML', () => {
  it('a missing file', async () => {
    expect(await unreadable('missing.yaml')).toBe(`missing.yaml:1:1: cannot read the module spec: no such file (${DIR}missing.yaml)`);
  });

  it('a directory, naming the YAML files in it', async () => {
    expect(await unreadable('folder')).toBe('folder:1:1: cannot read the module spec: it is a directory: name a file in it, e.g. folder/module.yaml');
  });

  it('a binary file, at its first NUL byte', async () => {
    expect(await unreadable('binary.yaml')).toBe(
      'binary.yaml:2:16: cannot read the module spec: it is not a text file (it holds a NUL byte), and a module spec is YAML text',
    );
  });

  it('a file that is not UTF-8', async () => {
    expect(await unreadable('latin1.yaml')).toBe(
      'latin1.yaml:1:1: cannot read the module spec: it is not a text file (it is not valid UTF-8), and a module spec is YAML text',
    );
  });

  it('an empty file, and one with only comments', async () => {
    const message = 'the module spec is empty: a module spec is a YAML mapping (amlModuleIdentifier:, inputs:, implementation:, …)';
    expect(await unreadable('empty.yaml')).toBe(`empty.yaml:1:1: ${message}`);
    expect(await unreadable('comments-only.yaml')).toBe(`comments-only.yaml:1:1: ${message}`);
  });

  it('malformed YAML, with line and column', async () => {
    expect(await unreadable('malformed.yaml')).toBe(
      'malformed.yaml:4:1: malformed YAML: flow sequence in block collection must be sufficiently indented and end with a ]',
    );
  });

  it('a tab used for indentation', async () => {
    expect(await unreadable('tab.yaml')).toBe('tab.yaml:3:1: malformed YAML: a tab indents this line; YAML indents with spaces only');
  });

  it('two YAML documents in one file', async () => {
    expect(await unreadable('two-documents.yaml')).toBe(
      'two-documents.yaml:2:1: malformed YAML: the file holds more than one YAML document (a `---` line), and a module spec is one document',
    );
  });

  it('a duplicate key, naming where it was first set', async () => {
    expect(await unreadable('duplicate-keys.yaml')).toBe(
      'duplicate-keys.yaml:4:3: duplicate key `moduleName`: it is already set at line 2, and a key may appear once in a mapping; keep one',
    );
  });

  it('a device or a pipe (/dev/zero), without reading it, and a file too large to be a spec', async () => {
    const started = Date.now();
    expect(await unreadable('/dev/zero')).toBe(
      '/dev/zero:1:1: cannot read the module spec: /dev/zero is not a regular file (a device, a pipe or a socket), and a module spec is a YAML file',
    );
    // Not read: reading /dev/zero never ends. 20 s leaves room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(20_000);
    const big = join(mkdtempSync(join(tmpdir(), 'mb-big-')), 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    expect(await unreadable(big)).toMatch(/cannot read the module spec: it is 5,242,883 bytes, over the 4,194,304 a module spec may have/);
  });

  it('many plain aliases of one anchor pass: it is the expanded size that is bounded, not the count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mb-alias-'));
    const aliases = Array.from({ length: 101 }, (_, i) => `  k${i}: *v\n`).join('');
    writeFileSync(join(dir, 'many.yaml'), `anchor: &v {a: 1, b: [x, y]}\nuses:\n${aliases}`);
    const file = await readYamlFile('many.yaml', 'module spec', dir);
    expect(Object.keys((file.value as { uses: object }).uses)).toHaveLength(101);
  });

  it('a YAML bomb (aliases that expand exponentially), quickly and at its first alias', async () => {
    const started = Date.now();
    expect(await unreadable('bomb.yaml')).toBe(
      'bomb.yaml:2:8: the YAML aliases (*name) expand to more than 100,000 values, as a "billion laughs" bomb does: write the values out instead of aliasing aliases',
    );
    // At its first alias: an expanding bomb takes minutes and gigabytes. 20 s leaves room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('reading a spec', () => {
  it('keeps the path as the user gave it for messages, and the absolute path', async () => {
    const file = await readYamlFile('folder/module.yaml', 'module spec', DIR);
    expect(file.display).toBe('folder/module.yaml');
    expect(file.path).toBe(`${DIR}folder/module.yaml`);
    expect(file.value).toMatchObject({ jobType: 'parallel' });
  });
});
