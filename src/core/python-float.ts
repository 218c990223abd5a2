/**
 * A float as Python writes it (`repr(x)`, which pandas' `to_csv` and `to_json` follow): the
 * shortest digits that read back to the same number, always with a decimal point or an exponent
 * (`3.0`, not `3`), in exponent form below 1e-4 and from 1e16 on (`1e-05`, `1e+16`). JavaScript's
 * own `String(x)` differs on all three, and a column of `3` reads back as integers.
 */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest round-trip digits.
  const [mantissa = '', exponentText = '0'] = x.toExponential().split('e');
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  const exponent = Number(exponentText);
  // Python's rule (float_repr_style 'short'): fixed notation while -4 <= exponent < 16.
  if (exponent < -4 || exponent >= 16) {
    const rest = digits.slice(1);
    const e = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
    return `${sign}${digits[0] ?? '0'}${rest === '' ? '' : `.${rest}`}e${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}
