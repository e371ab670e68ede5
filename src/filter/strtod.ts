// Number conversion with the rules of C's strtod() in the "C" locale, over bytes.
//
// The FILTER language converts text to numbers in three places, and Redis does all three with
// strtod(): number literals in the expression, JSON numbers in attributes, and strings used in a
// numeric context (`.s > 3`, `"12" == 12`). strtod and JavaScript's Number() disagree at the
// edges (strtod skips leading but not trailing whitespace, accepts hex floats, `nan(...)`, a
// trailing `.`), so the grammar is scanned here byte by byte and only the final rounding of a
// plain decimal is delegated to Number(), which like glibc rounds correctly.
//
// No function here allocates on the fast path: results come back through `scanned`.

/** isspace() in the C locale: space, \t \n \v \f \r. Bytes >= 0x80 are never space. */
export function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** isalpha() in the C locale: ASCII letters only. */
export function isAlpha(c: number): boolean {
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x7a;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Where scanDecimal() leaves its value. One object for the whole process: no allocation. */
export const scanned = { value: 0 };

// 10^0 … 10^22 are exact doubles; a mantissa below 2^53 times or divided by one of them is a
// single correctly rounded IEEE operation (Clinger's fast path), so it equals strtod's result.
const POW10: Float64Array = (() => {
  const t = new Float64Array(23);
  let v = 1;
  for (let i = 0; i < 23; i++) {
    t[i] = v;
    v *= 10;
  }
  return t;
})();

function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/**
 * Scan the longest prefix of b[p..end) that strtod would convert as a *decimal* number:
 * `[+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?`. Returns the index just after it
 * and sets scanned.value, or returns -1 when there is no digit at all (strtod: no conversion).
 */
export function scanDecimal(b: Uint8Array, p: number, end: number): number {
  const first = p;
  let neg = false;
  if (p < end && (b[p] === 0x2b || b[p] === 0x2d)) {
    neg = b[p] === 0x2d;
    p++;
  }
  // Mantissa digits, accumulated while they fit in 15 significant digits (< 2^53).
  let mant = 0;
  let sig = 0;
  let scale = 0;
  let exact = true;
  let digits = 0;
  while (p < end && isDigit(b[p]!)) {
    const d = b[p]! - 0x30;
    if (sig > 0 || d !== 0) {
      if (sig < 15) mant = mant * 10 + d;
      else exact = false;
      sig++;
    }
    digits++;
    p++;
  }
  if (p < end && b[p] === 0x2e) {
    p++;
    while (p < end && isDigit(b[p]!)) {
      const d = b[p]! - 0x30;
      if (sig > 0 || d !== 0) {
        if (sig < 15) mant = mant * 10 + d;
        else exact = false;
        sig++;
      }
      scale--;
      digits++;
      p++;
    }
  }
  if (digits === 0) return -1;
  // Exponent: consumed only when at least one digit follows the marker (and optional sign).
  let exp = 0;
  if (p < end && (b[p] === 0x65 || b[p] === 0x45)) {
    let q = p + 1;
    let eneg = false;
    if (q < end && (b[q] === 0x2b || b[q] === 0x2d)) {
      eneg = b[q] === 0x2d;
      q++;
    }
    if (q < end && isDigit(b[q]!)) {
      while (q < end && isDigit(b[q]!)) {
        if (exp < 100000) exp = exp * 10 + (b[q]! - 0x30);
        q++;
      }
      if (eneg) exp = -exp;
      p = q;
    }
  }
  let v: number;
  if (mant === 0 && exact) {
    v = 0;
  } else {
    const total = scale + exp;
    if (exact && total >= 0 && total <= 22) v = mant * POW10[total]!;
    else if (exact && total < 0 && total >= -22) v = mant / POW10[-total]!;
    else v = Math.abs(Number(latin1(b, first, p)));
  }
  scanned.value = neg ? -v : v;
  return p;
}

/** x · 2^e, exactly when the result is representable (no premature overflow or underflow). */
function ldexp(x: number, e: number): number {
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
    if (!Number.isFinite(x)) return x;
  }
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
    if (x === 0) return x;
  }
  return x * 2 ** e;
}

/** Round mant · 2^e2 to the nearest double (ties to even), subnormals included. */
function bigToDouble(mant: bigint, e2: number): number {
  if (mant === 0n) return 0;
  const bits = mant.toString(2).length;
  const top = bits - 1 + e2;
  if (top > 1100) return Infinity;
  const ulpExp = Math.max(top - 52, -1074);
  const shift = ulpExp - e2;
  if (shift > 0) {
    if (shift > bits + 1) return 0;
    const s = BigInt(shift);
    let q = mant >> s;
    const rem = mant - (q << s);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    mant = q;
    e2 = ulpExp;
  }
  return ldexp(Number(mant), e2);
}

/**
 * Scan a hexadecimal float after `0x`: hex digits with an optional point, then an optional
 * binary exponent `p[+-]digits`. `p` points just after the `x`. Returns the index after the
 * number and sets scanned.value (unsigned), or -1 when no hex digit follows (strtod then
 * converts only the leading `0`).
 */
function scanHex(b: Uint8Array, p: number, end: number): number {
  let mant = 0n;
  let digits = 0;
  let fracDigits = 0;
  while (p < end && hexValue(b[p]!) >= 0) {
    mant = (mant << 4n) | BigInt(hexValue(b[p]!));
    digits++;
    p++;
  }
  if (p < end && b[p] === 0x2e) {
    p++;
    while (p < end && hexValue(b[p]!) >= 0) {
      mant = (mant << 4n) | BigInt(hexValue(b[p]!));
      digits++;
      fracDigits++;
      p++;
    }
  }
  if (digits === 0) return -1;
  let exp = 0;
  if (p < end && (b[p] === 0x70 || b[p] === 0x50)) {
    let q = p + 1;
    let eneg = false;
    if (q < end && (b[q] === 0x2b || b[q] === 0x2d)) {
      eneg = b[q] === 0x2d;
      q++;
    }
    if (q < end && isDigit(b[q]!)) {
      while (q < end && isDigit(b[q]!)) {
        if (exp < 100000) exp = exp * 10 + (b[q]! - 0x30);
        q++;
      }
      if (eneg) exp = -exp;
      p = q;
    }
  }
  scanned.value = bigToDouble(mant, exp - 4 * fracDigits);
  return p;
}

function lowerIs(b: Uint8Array, p: number, end: number, word: string): boolean {
  if (end - p < word.length) return false;
  for (let i = 0; i < word.length; i++) {
    if ((b[p + i]! | 0x20) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** The maximum string length (exclusive) that a string → number conversion looks at. */
export const STRTOD_MAX_LEN = 256;

/**
 * A string's numeric value as the FILTER language defines it: strtod() over the whole string,
 * 0 when the string is 256 bytes or longer or when strtod does not consume all of it.
 * Like the C code, the string is a C string here: a NUL byte ends it.
 */
export function stringToNumber(b: Uint8Array, start: number, end: number): number {
  if (end - start >= STRTOD_MAX_LEN) return 0;
  let cend = start;
  while (cend < end && b[cend] !== 0) cend++;
  let p = start;
  while (p < cend && isSpace(b[p]!)) p++;
  let neg = false;
  let q = p;
  if (q < cend && (b[q] === 0x2b || b[q] === 0x2d)) {
    neg = b[q] === 0x2d;
    q++;
  }
  if (q >= cend) return 0;
  const c = b[q]! | 0x20;
  if (c === 0x69 /* i */) {
    if (!lowerIs(b, q, cend, 'inf')) return 0;
    let r = q + 3;
    if (lowerIs(b, r, cend, 'inity')) r += 5;
    if (r !== cend) return 0;
    return neg ? -Infinity : Infinity;
  }
  if (c === 0x6e /* n */) {
    if (!lowerIs(b, q, cend, 'nan')) return 0;
    let r = q + 3;
    if (r < cend && b[r] === 0x28) {
      let s = r + 1;
      while (s < cend && (isAlpha(b[s]!) || isDigit(b[s]!) || b[s] === 0x5f)) s++;
      if (s < cend && b[s] === 0x29) r = s + 1;
    }
    return r === cend ? NaN : 0;
  }
  if (b[q] === 0x30 && q + 1 < cend && (b[q + 1]! | 0x20) === 0x78) {
    const r = scanHex(b, q + 2, cend);
    if (r >= 0) {
      if (r !== cend) return 0;
      return neg ? -scanned.value : scanned.value;
    }
    // "0x" without hex digits: strtod converts the "0" and stops at the x.
    return 0;
  }
  const r = scanDecimal(b, p, cend);
  if (r !== cend) return 0;
  return scanned.value;
}
