import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readYamlFile } from '../../src/spec/load.js';
import { validateSpec } from '../../src/spec/validate.js';
import { closest, editDistance } from '../../src/spec/suggest.js';
import { findByName, snakeCase } from '../../src/spec/names.js';

describe('suggestions', () => {
  it('count a swap of neighbours as one edit', () => {
    expect(editDistance('Output', 'Ouptut')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggest a near name, or a name that differs only in case', () => {
    expect(closest('Data Output', ['Data Ouptut', 'My Customized Ouptut'])).toBe('Data Ouptut');
    expect(closest('inputdata', ['inputData', 'outputData'])).toBe('inputData');
  });

  it('never suggest a name the field already lists, nor a far one', () => {
    expect(closest('Data Input 2', ['Data Input 1', 'Model'], ['Data Input 1', 'Data Input 2'])).toBeNull();
    expect(closest('foo', ['barbaz'])).toBeNull();
  });
});

describe('names', () => {
  it('snake_case', () => {
    expect(snakeCase('Data Input 1')).toBe('data_input_1');
    expect(snakeCase('My  Customized-Output ')).toBe('my_customized_output');
  });

  it('are found as declared or in snake_case', () => {
    const decls = [{ name: 'Data Input 1' }, { name: 'Model' }];
    expect(findByName(decls, 'Data Input 1')).toBe(decls[0]);
    expect(findByName(decls, 'data_input_1')).toBe(decls[0]);
    expect(findByName(decls, 'model')).toBe(decls[1]);
    expect(findByName(decls, 'Data_Input_1')).toBeUndefined();
  });
});

describe('validating many unknown keys', () => {
  /** validateSpec's time on a spec with `count` unknown top-level keys, each warned once. */
  async function timeKeys(count: number): Promise<number> {
    const dir = mkdtempSync(join(tmpdir(), 'mb-keys-'));
    const keys = Array.from({ length: count }, (_, i) => `unknownKey${i}: ${i}\n`).join('');
    writeFileSync(join(dir, 'module.yaml'), `amlModuleIdentifier: {moduleName: Keys, moduleVersion: 1.0.0}\njobType: parallel\n${keys}`);
    const file = await readYamlFile('module.yaml', 'module spec', dir);
    const started = performance.now();
    const result = await validateSpec(file);
    const ms = performance.now() - started;
    expect(result.diagnostics.filter((d) => d.message.startsWith('unknown key `unknownKey'))).toHaveLength(count);
    return ms;
  }

  it('takes time linear in the keys: 16,000 cost about 8 times 2,000, not 64 times', async () => {
    await timeKeys(500); // warm up
    const small = await timeKeys(2_000);
    const large = await timeKeys(16_000);
    expect(large / small, `${Math.round(small)} ms for 2,000 keys, ${Math.round(large)} ms for 16,000`).toBeLessThan(24);
  });
});
