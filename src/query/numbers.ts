// Number parsing as RediSearch does it in the query language. The module reads query numbers and
// numeric parameters with fast_float's strtod, built to skip leading white space and to accept a
// leading '+': it reads decimals with an optional exponent, "inf"/"infinity" and "nan", and no
// hexadecimal (unlike C strtod). On top of it sit ParseDouble (whole string, out of range refused)
// and parseDoubleRange (numeric range bounds, with a leading '(' for an exclusive bound).

import { QueryError } from './errors.js';

const FF_RE = /^[ \t\n\v\f\r]*([+-]?)(?:(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|(inf(?:inity)?|nan(?:\([A-Za-z0-9_]*\))?))/i;

export interface StrtodResult {
  readonly value: number;
  /** Index just past the number; equal to the start when nothing was read. */
  readonly end: number;
  /** The decimal overflowed to ±inf or a non-zero value underflowed to 0. */
  readonly erange: boolean;
}

/** fast_float_strtod over s from `start`. */
export function fastFloatStrtod(s: string, start = 0): StrtodResult {
  const m = FF_RE.exec(start === 0 ? s : s.slice(start));
  if (m === null) return { value: 0, end: start, erange: false };
  const neg = m[1] === '-';
  if (m[4] !== undefined) {
    const isNan = m[4][0] === 'n' || m[4][0] === 'N';
    return { value: isNan ? NaN : neg ? -Infinity : Infinity, end: start + m[0].length, erange: false };
  }
  const text = m[0].trimStart();
  const value = Number(text.startsWith('+') ? text.slice(1) : text);
  const mantissaNonZero = /[1-9]/.test(m[2]!);
  const erange = !Number.isFinite(value) || (value === 0 && mantissaNonZero);
  return { value: erange && value === 0 ? 0 : value, end: start + m[0].length, erange };
}

/**
 * ParseDouble: the whole string must be a number and must not overflow or underflow; the empty
 * string reads as 0 (glibc strtod compatibility). `sign` -1 negates. Returns null when invalid.
 */
export function parseDoubleFF(s: string, sign = 1): number | null {
  if (s === '') return 0;
  const r = fastFloatStrtod(s);
  if (r.end !== s.length || r.erange) return null;
  return sign === -1 ? -r.value : r.value;
}

/**
 * parseDoubleRange: a numeric range bound given as a parameter value. A leading '(' is skipped
 * (the module reads but does not apply it); "-inf"/"+inf"/"inf" are the infinities on the side
 * where they make sense; anything else must be a whole finite number.
 */
export function parseDoubleRange(s: string, isMin: boolean, sign: number): number {
  if (s.startsWith('(')) s = s.slice(1);
  const lower = s.toLowerCase();
  const unsigned = lower.startsWith('+') ? lower.slice(1) : lower;
  if (isMin && ((sign === 1 && lower === '-inf') || (sign === -1 && unsigned === 'inf'))) return -Infinity;
  if (!isMin && ((sign === 1 && unsigned === 'inf') || (sign === -1 && lower === '-inf'))) return Infinity;
  const r = fastFloatStrtod(s);
  if (r.end !== s.length || r.value === Infinity || r.value === -Infinity) {
    throw new QueryError('PARSE_ARGS', `${isMin ? 'Bad lower range' : 'Bad upper range'}: ${s.replace(/[\r\n]/g, ' ')}`);
  }
  return sign === -1 ? -r.value : r.value;
}

/** C's "%f": fixed notation with six decimals ("inf", "-inf", "nan" for the special values). */
export function formatFixed6(n: number): string {
  if (Number.isNaN(n)) return n < 0 ? '-nan' : 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  // toFixed switches to exponent notation from 1e21; C never does.
  if (Math.abs(n) < 1e21) return (Object.is(n, -0) ? '-' : '') + n.toFixed(6);
  return BigInt(Math.trunc(n)).toString() + '.000000';
}

/** strtoll over the whole string (leading blanks and a sign allowed), as ParseInteger. */
export function parseStrtoll(s: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s);
  if (m === null) return null;
  const v = Number(m[1]);
  return Math.abs(v) > 9223372036854775807 ? null : v;
}

export function parseBoolean(s: string): boolean | null {
  const l = s.toLowerCase();
  if (l === 'true' || l === '1') return true;
  if (l === 'false' || l === '0') return false;
  return null;
}

/** C's "%g". */
export function formatG(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = n.toExponential(5).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const ev = Number(e);
    return `${mant}e${ev < 0 ? '-' : '+'}${String(Math.abs(ev)).padStart(2, '0')}`;
  }
  const s = n.toPrecision(6);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
