// Normalisation, quantisation and reconstruction, bit-exact with the reference (spec §3).
//
// The reference stores and computes in C floats. JavaScript computes in doubles, so every float
// operation below is followed by Math.fround: a double operation on two floats, rounded once to
// float, gives exactly the float result (double has more than twice float's precision, so the
// double rounding is innocuous for +, −, ×, ÷ and sqrt).

import { Quant } from '../hnsw/layout.js';

const fround = Math.fround;

/**
 * L2-normalise `x` in place, as the reference does (spec §3.1): the squared length is summed in
 * float, four components at a time (each group summed left to right, then added to the total),
 * leftovers one at a time; then every component is divided by sqrtf of it. A zero vector is
 * left as is. Returns the length before normalisation (1 for a zero vector).
 */
export function normalizeInPlace(x: Float32Array): number {
  const dim = x.length;
  let l2 = 0;
  let i = 0;
  for (; i + 3 < dim; i += 4) {
    const group = fround(
      fround(fround(fround(x[i] * x[i]) + fround(x[i + 1] * x[i + 1])) + fround(x[i + 2] * x[i + 2])) +
        fround(x[i + 3] * x[i + 3]),
    );
    l2 = fround(l2 + group);
  }
  for (; i < dim; i++) l2 = fround(l2 + fround(x[i] * x[i]));
  if (l2 === 0) return 1;
  const len = fround(Math.sqrt(l2));
  for (let j = 0; j < dim; j++) x[j] = x[j] / len; // the Float32Array store rounds to float
  return len;
}

/** C's roundf: halves away from zero (Math.round rounds halves up). */
export function roundf(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/**
 * roundf for |v| < 2^30, in integer operations: v ± 0.5 is exact in double for a float v, and
 * `| 0` truncates toward zero. Quantising a 1024-dim vector took 15 µs with roundf, 9 with this.
 */
function roundfSmall(v: number): number {
  return v < 0 ? -((0.5 - v) | 0) : (v + 0.5) | 0;
}

/**
 * Q8 (spec §3.3): symmetric per-vector int8 with range = max |u[i]|; q[i] = roundf(u[i]·(127/range)).
 * Writes `u.length` quants to `out` and returns the range (0 for a zero vector, quants all 0).
 */
export function quantizeQ8(u: Float32Array, out: Int8Array): number {
  const dim = u.length;
  let maxAbs = 0;
  for (let j = 0; j < dim; j++) {
    if (u[j] > maxAbs) maxAbs = u[j];
    if (-u[j] > maxAbs) maxAbs = -u[j];
  }
  if (maxAbs === 0) {
    out.fill(0, 0, dim);
    return 0;
  }
  const scale = fround(127 / maxAbs);
  // |u[j]·scale| ≤ 127: roundfSmall is exact here.
  for (let j = 0; j < dim; j++) out[j] = roundfSmall(fround(u[j] * scale));
  return maxAbs;
}

/**
 * BIN (spec §3.4): bit j set iff u[j] > 0; component j is byte j>>3, bit j&7 (64-bit words,
 * least significant bit first, little-endian). Writes ceil(dim/64)·8 bytes.
 */
export function quantizeBin(u: Float32Array, out: Uint8Array): void {
  const dim = u.length;
  out.fill(0, 0, Math.ceil(dim / 64) * 8);
  for (let j = 0; j < dim; j++) if (u[j] > 0) out[j >>> 3] |= 1 << (j & 7);
}

export interface Encoded {
  l2: number;
  range: number;
}

/**
 * Turn a float vector of the set's stored dimension into its stored form: normalise a copy,
 * then quantise into `out` (which must be zero-padded storage of at least quantBytes). `work` is
 * a scratch Float32Array of `dim` floats; it holds the normalised vector afterwards.
 */
export function encodeVector(quant: Quant, input: Float32Array, work: Float32Array, out: Uint8Array): Encoded {
  work.set(input);
  if (quant === Quant.RawIP || quant === Quant.RawL2) {
    // As given: the query engine's IP and L2 fields compare the vectors themselves.
    new Uint8Array(out.buffer, out.byteOffset, work.length * 4).set(new Uint8Array(work.buffer, work.byteOffset, work.length * 4));
    return { l2: 1, range: 0 };
  }
  const l2 = normalizeInPlace(work);
  let range = 0;
  switch (quant) {
    case Quant.Q8:
      range = quantizeQ8(work, new Int8Array(out.buffer, out.byteOffset, work.length));
      break;
    case Quant.Bin:
      quantizeBin(work, out);
      break;
    case Quant.NoQuant:
      new Uint8Array(out.buffer, out.byteOffset, work.length * 4).set(
        new Uint8Array(work.buffer, work.byteOffset, work.length * 4),
      );
      break;
  }
  return { l2, range };
}

/** What encodeFor needs of a set (SetViews has it). */
export interface StoredForm {
  quant: Quant;
  dim: number;
  vecBytes: number;
  exactOff: number;
}

/**
 * A vector's stored form in a set: `encodeVector` for most sets; for an exact NOQUANT set
 * (layout.ts geometry) the walked Q8 vector in out[0, vecBytes) and the normalised float32
 * vector after it, at out[vecBytes] — `out` is vecBytes + exactBytes long. The range returned is
 * the Q8 one, which the record keeps for the Q8 kernels.
 */
export function encodeFor(f: StoredForm, input: Float32Array, work: Float32Array, out: Uint8Array): Encoded {
  if (f.exactOff === 0) return encodeVector(f.quant, input, work, out);
  const e = encodeVector(Quant.Q8, input, work, out);
  new Uint8Array(out.buffer, out.byteOffset + f.vecBytes, f.dim * 4).set(new Uint8Array(work.buffer, work.byteOffset, f.dim * 4));
  return e;
}

/**
 * Reconstruct a stored vector as VEMB returns it (spec §3.6), into `out` (float values, widened):
 *  - NOQUANT: u[i]·l2;
 *  - Q8: ((q[i]·range)/127)·l2, each step in float;
 *  - BIN: +1 / −1, not multiplied by l2.
 */
export function reconstruct(
  quant: Quant,
  dim: number,
  bytes: Uint8Array,
  l2: number,
  range: number,
  out: Float32Array | Float64Array,
): void {
  switch (quant) {
    case Quant.Q8: {
      const q = new Int8Array(bytes.buffer, bytes.byteOffset, dim);
      for (let i = 0; i < dim; i++) out[i] = fround(fround(fround(q[i] * range) / 127) * l2);
      break;
    }
    case Quant.Bin:
      for (let i = 0; i < dim; i++) out[i] = bytes[i >>> 3] & (1 << (i & 7)) ? 1 : -1;
      break;
    case Quant.NoQuant:
    case Quant.RawIP:
    case Quant.RawL2: {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, dim * 4);
      for (let i = 0; i < dim; i++) out[i] = fround(dv.getFloat32(i * 4, true) * l2);
      break;
    }
  }
}
