/**
 * Parsing of the vector arguments shared by VADD and VSIM (spec §2): `FP32 <blob>`,
 * `VALUES <n> <v1> … <vn>`, and VADD's leading `REDUCE <dim>`. Every failure is the single
 * reply `ERR invalid vector specification`, as in Redis.
 */
import { parseStrictInt } from '../server/resp-reader.js';
import { isWord, strtod } from './args.js';

export const ERR_VECTOR_SPEC = 'ERR invalid vector specification';
export const MAX_DIMENSION = 65536;

export interface ParsedVector {
  vector: Float32Array;
  /** REDUCE target dimension, or 0 when REDUCE was not given. */
  reduceDim: number;
  /** Index of the first argument after the vector. */
  next: number;
}

/**
 * Parses one VALUES component as Redis does (strtod over the whole argument, no leading space,
 * overflow and underflow rejected) and narrows it to float. A value that is not finite as a
 * float is refused as well: such a vector cannot be normalised (spec §14.1, a deliberate
 * difference from Redis, which accepts `inf` and stores NaNs).
 */
export function parseComponent(arg: Buffer): number | null {
  if (arg.length === 0 || arg.length > 256) return null;
  const text = arg.toString('latin1');
  const d = strtod(text, false);
  if (d === null || !Number.isFinite(d)) return null;
  // strtod reports ERANGE when a non-zero literal underflows to zero.
  if (d === 0 && /[1-9]/.test(text.replace(/[eEpP][+-]?\d+$/, ''))) return null;
  const f = Math.fround(d);
  if (!Number.isFinite(f)) return null;
  return f;
}

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
    for (let k = 0; k < vector.length; k++) {
      const v = blob.readFloatLE(k * 4);
      // Redis does not look inside the blob; a NaN or Inf would poison every distance to this
      // node, so vsetd refuses it like the same value sent through VALUES.
      if (!Number.isFinite(v)) return null;
      vector[k] = v;
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
