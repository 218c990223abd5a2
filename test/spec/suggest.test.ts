import { describe, expect, it } from 'vitest';
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
