/**
 * Numbers as the query engine prints them in replies (RSValue_NumToString): an integral value in
 * the long long range as `%lld`, anything else as C's `%.12g` — twelve significant digits,
 * trailing zeros dropped, scientific notation below 1e-4 or from 1e12 on, with a two-digit
 * exponent at least. KNN distances reach clients this way (`vector_score`).
 */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return v > 0 ? 'nan' : '-nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63) return BigInt(v).toString();
  return formatG(v, 12);
}

/** C's `%.<precision>g` for a finite, non-integral-or-huge double. */
export function formatG(v: number, precision: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const [mant, expText] = Math.abs(v).toExponential(precision - 1).split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= precision) {
    const m = stripZeros(mant);
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  // Fixed notation with precision − 1 − exp decimals (toFixed rounds as printf does for these).
  return sign + stripZeros(Math.abs(v).toFixed(Math.max(0, precision - 1 - exp)));
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  s = s.replace(/0+$/, '');
  return s.endsWith('.') ? s.slice(0, -1) : s;
}
