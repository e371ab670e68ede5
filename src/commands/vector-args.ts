/**
 * Parsing of the vector arguments shared by VADD and VSIM (spec §2): `FP32 <blob>`,
 * `VALUES <n> <v1> … <vn>`, and VADD's leading `REDUCE <dim>`. Every failure is the single
 * reply `ERR invalid vector specification`, as in Redis.
 */
import { parseStrictInt } from '../server/resp-reader.js';
import { isWord } from './args.js';

export const ERR_VECTOR_SPEC = 'ERR invalid vector specification';
export const MAX_DIMENSION = 65536;

export interface ParsedVector {
  vector: Float32Array;
  /** REDUCE target dimension, or 0 when REDUCE was not given. */
  reduceDim: number;
  /** Index of the first argument after the vector. */
  next: number;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const hexValue = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);

/** Index just past a run of decimal digits starting at `i`. */
function digitsEnd(b: Uint8Array, i: number): number {
  while (i < b.length && isDigit(b[i]!)) i++;
  return i;
}

/**
 * A hexadecimal floating constant as C's strtod reads it (`0x1A`, `0x1.8p1`, `0x.8`), starting
 * after the `0x`; null unless it runs to the end of the argument.
 */
function parseHex(b: Uint8Array, i: number): { value: number; nonZero: boolean } | null {
  let mant = 0n;
  let digits = 0;
  let fracDigits = 0;
  let nonZero = false;
  for (; i < b.length && hexValue(b[i]!) >= 0; i++, digits++) {
    const h = hexValue(b[i]!);
    mant = mant * 16n + BigInt(h);
    if (h !== 0) nonZero = true;
  }
  if (i < b.length && b[i] === 46 /* . */) {
    for (i++; i < b.length && hexValue(b[i]!) >= 0; i++, digits++, fracDigits++) {
      const h = hexValue(b[i]!);
      mant = mant * 16n + BigInt(h);
      if (h !== 0) nonZero = true;
    }
  }
  if (digits === 0) return null;
  let exp = 0;
  if (i < b.length && (b[i] === 112 || b[i] === 80) /* p P */) {
    let j = i + 1;
    let sign = 1;
    if (j < b.length && (b[j] === 43 || b[j] === 45)) sign = b[j++] === 45 ? -1 : 1;
    const e = digitsEnd(b, j);
    if (e === j) return null;
    exp = sign * Number(Buffer.from(b.buffer, b.byteOffset + j, e - j).toString('latin1'));
    i = e;
  }
  if (i !== b.length) return null;
  return { value: Number(mant) * 2 ** (exp - 4 * fracDigits), nonZero };
}

/** True when arg[i..] is, ignoring case, exactly `word`. */
function restIs(arg: Buffer, i: number, word: string): boolean {
  if (arg.length - i !== word.length) return false;
  for (let k = 0; k < word.length; k++) if ((arg[i + k]! | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * A double argument as Redis's string2d reads it (RedisModule_StringToDouble, used by VALUES
 * and EPSILON): C strtod over the whole argument — decimal, hexadecimal, `inf`/`infinity` —
 * with no leading whitespace; overflow to ±HUGE_VAL, underflow of a non-zero literal to 0, and
 * NaN rejected. Null when rejected.
 *
 * A hand-written scanner rather than a regular expression: it runs in linear time whatever the
 * length of the argument, so there is no need to cap the length of a number as a guard.
 */
export function parseString2d(arg: Buffer): number | null {
  const n = arg.length;
  let i = 0;
  if (n === 0) return null;
  let negative = false;
  if (arg[0] === 43 || arg[0] === 45) {
    negative = arg[0] === 45;
    i = 1;
  }
  // strtod's infinity (without ERANGE, so string2d keeps it); nan is rejected below anyway.
  if (restIs(arg, i, 'inf') || restIs(arg, i, 'infinity')) return negative ? -Infinity : Infinity;
  let d: number;
  let nonZero = false;
  if (i + 2 < n && arg[i] === 48 && (arg[i + 1] === 120 || arg[i + 1] === 88) && (hexValue(arg[i + 2]!) >= 0 || arg[i + 2] === 46)) {
    const h = parseHex(arg, i + 2);
    if (!h) return null;
    d = negative ? -h.value : h.value;
    nonZero = h.nonZero;
  } else {
    // [digits][.digits] with at least one digit, then an optional exponent.
    const intEnd = digitsEnd(arg, i);
    let j = intEnd;
    let fracEnd = j;
    if (j < n && arg[j] === 46) fracEnd = digitsEnd(arg, j + 1);
    if (intEnd === i && fracEnd <= j + 1) return null; // no digit at all ("", ".", "+", "nan")
    for (let k = i; k < fracEnd; k++) if (arg[k]! >= 49 && arg[k]! <= 57) nonZero = true;
    j = fracEnd;
    if (j < n && (arg[j] === 101 || arg[j] === 69) /* e E */) {
      let k = j + 1;
      if (k < n && (arg[k] === 43 || arg[k] === 45)) k++;
      const e = digitsEnd(arg, k);
      if (e === k) return null;
      j = e;
    }
    if (j !== n) return null;
    d = Number(arg.toString('latin1'));
  }
  // Overflow to ±HUGE_VAL and underflow of a non-zero literal to 0 are ERANGE for string2d.
  if (!Number.isFinite(d) || (d === 0 && nonZero)) return null;
  return d;
}

/**
 * Parses one VALUES component (string2d, above) and narrows it to float. A value that is not
 * finite as a float (`inf`, `1e39`) is refused: such a vector cannot be normalised (spec §14.1,
 * a deliberate difference from Redis, which stores NaNs).
 */
export function parseComponent(arg: Buffer): number | null {
  const d = parseString2d(arg);
  if (d === null) return null;
  const f = Math.fround(d);
  return Number.isFinite(f) ? f : null;
}

/** FP32 blobs are little-endian, as this machine's floats are (checked once). */
const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/**
 * Parses `[REDUCE dim] (FP32 blob | VALUES n …)` starting at `argv[start]`. Returns the vector or
 * null on any error. `allowReduce` is true for VADD only (VSIM treats REDUCE as an unknown word).
 */
export function parseVectorSpec(argv: Buffer[], start: number, allowReduce: boolean): ParsedVector | null {
  let i = start;
  let reduceDim = 0;
  if (allowReduce && isWord(argv[i], 'REDUCE')) {
    const arg = argv[i + 1];
    if (arg === undefined) return null;
    const d = parseStrictInt(arg, 0, arg.length);
    if (!Number.isFinite(d) || d <= 0 || d > MAX_DIMENSION) return null;
    reduceDim = d;
    i += 2;
  }
  const kind = argv[i];
  let vector: Float32Array;
  if (isWord(kind, 'FP32')) {
    const blob = argv[i + 1];
    if (blob === undefined || blob.length < 4 || blob.length % 4 !== 0 || blob.length > 4 * MAX_DIMENSION) return null;
    vector = new Float32Array(blob.length / 4);
    if (LITTLE_ENDIAN) {
      // One byte copy, then a typed-array pass (readFloatLE per component was 2–3 % of a
      // 1024-dim VADD's server time).
      new Uint8Array(vector.buffer).set(blob);
    } else {
      for (let k = 0; k < vector.length; k++) vector[k] = blob.readFloatLE(k * 4);
    }
    for (let k = 0; k < vector.length; k++) {
      // Redis does not look inside the blob; a NaN or Inf would poison every distance to this
      // node, so vsetd refuses it like the same value sent through VALUES.
      if (!Number.isFinite(vector[k])) return null;
    }
    i += 2;
  } else if (isWord(kind, 'VALUES')) {
    const countArg = argv[i + 1];
    if (countArg === undefined) return null;
    const n = parseStrictInt(countArg, 0, countArg.length);
    if (!Number.isFinite(n) || n < 1 || n > MAX_DIMENSION) return null;
    if (i + 2 + n > argv.length) return null;
    vector = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const v = parseComponent(argv[i + 2 + k]!);
      if (v === null) return null;
      vector[k] = v;
    }
    i += 2 + n;
  } else {
    return null;
  }
  if (reduceDim > vector.length) return null;
  return { vector, reduceDim, next: i };
}
