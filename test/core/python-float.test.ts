/**
 * pythonFloat against Python's own repr(), run on the same numbers (the interpreter on PATH).
 */
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { pythonFloat } from '../../src/core/python-float.js';

const NUMBERS = [
  0, -0, 3, -3, 0.1, 0.5, 1 / 3, 2 / 3, 123.456, 1e-4, 1.5e-4, 1e-5, 1.234e-7, 9.999e-5, 1e15, 1e16, 1.5e16, 12345678901234568,
  1e21, 1e22, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 100, 1234567.0, 0.30000000000000004, -1.5e-10, 6.02214076e23,
  Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
];

it('writes each float as Python repr() does', () => {
  // float.hex round-trips exactly, so Python sees the very numbers JavaScript has.
  const hex = NUMBERS.map((x) => (Number.isFinite(x) ? hexOf(x) : String(x)));
  const script = 'import sys\nfor t in sys.argv[1:]:\n    print(repr(float.fromhex(t) if "0x" in t else float(t)))';
  const expected = execFileSync('python3', ['-c', script, ...hex], { encoding: 'utf8' }).trim().split('\n');
  expect(NUMBERS.map(pythonFloat)).toEqual(expected);
});

/** A float's exact hexadecimal form, as Python's float.fromhex reads it. */
function hexOf(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? '-' : '';
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = (bits & ((1n << 52n) - 1n)).toString(16).padStart(13, '0');
  if (exponent === 0) return `${sign}0x0.${fraction}p-1022`;
  return `${sign}0x1.${fraction}p${exponent - 1023}`;
}
