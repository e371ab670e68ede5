// REDUCE (spec §4): the deterministic Walsh–Hadamard sign matrix, dimensions, and how vectors of
// the input and of the reduced length are treated.
import { describe, expect, test } from 'vitest';
import { VectorSet } from '../src/vset/index.js';
import { buildProjection, project, projectionScale } from '../src/vset/projection.js';
import { Prng } from '../src/hnsw/prng.js';

const enc = (s: string): Uint8Array => Buffer.from(s);

function popcount(x: number): number {
  let n = 0;
  while (x) {
    n += x & 1;
    x >>>= 1;
  }
  return n;
}

/**
 * The projection as spec §4 defines it, computed by the test alone: y[i] = Σ_j P[i][j]·x[j] in
 * float, in increasing j, with P[i][j] = ±fround(1/sqrt(inputDim)) by the parity of
 * popcount(i & j). Neither buildProjection nor project is used.
 */
function specProject(x: Float32Array, dim: number): Float32Array {
  const f = Math.fround;
  const inputDim = x.length;
  const scale = f(1 / Math.sqrt(inputDim));
  const y = new Float32Array(dim);
  for (let i = 0; i < dim; i++) {
    let acc = 0;
    for (let j = 0; j < inputDim; j++) acc = f(acc + f((popcount(i & j) % 2 === 0 ? scale : -scale) * x[j]));
    y[i] = acc;
  }
  return y;
}

describe('REDUCE projection', () => {
  test('P[i][j] = ±1/sqrt(inputDim) by the parity of popcount(i & j)', () => {
    for (const [dim, inputDim] of [
      [1, 1],
      [3, 10],
      [16, 300],
      [64, 64],
    ]) {
      const m = new Float32Array(dim * inputDim);
      buildProjection(dim, inputDim, m);
      const scale = Math.fround(1 / Math.sqrt(inputDim));
      expect(projectionScale(inputDim)).toBe(scale);
      for (let i = 0; i < dim; i++) {
        for (let j = 0; j < inputDim; j++) expect(m[i * inputDim + j]).toBe(popcount(i & j) % 2 === 0 ? scale : -scale);
      }
    }
    // Row 0 is all +scale; the first rows of a 4-input matrix are the Hadamard rows.
    const m = new Float32Array(4 * 4);
    buildProjection(4, 4, m);
    expect(Array.from(m, (x) => Math.sign(x))).toEqual([1, 1, 1, 1, 1, -1, 1, -1, 1, 1, -1, -1, 1, -1, -1, 1]);
  });

  test('projection sums float products in increasing j', () => {
    const rng = new Prng(3);
    const dim = 5;
    const inputDim = 23;
    const m = new Float32Array(dim * inputDim);
    buildProjection(dim, inputDim, m);
    const x = Float32Array.from({ length: inputDim }, () => rng.gauss());
    const y = new Float32Array(dim);
    project(m, dim, inputDim, x, y);
    expect(Array.from(y)).toEqual(Array.from(specProject(x, dim)));
  });

  test('a REDUCE set stores the reduced dimension and takes input-length vectors', () => {
    const rng = new Prng(4);
    const set = VectorSet.create({ dim: 8, projectFrom: 40, seed: 1 });
    expect(set.dim).toBe(8);
    expect(set.projectionInputDim).toBe(40);
    const xs = Array.from({ length: 50 }, () => Float32Array.from({ length: 40 }, () => rng.gauss()));
    xs.forEach((x, i) => set.add(enc(`e${i}`), x));
    expect(set.card).toBe(50);
    expect(set.validate()).toEqual([]);
    // VEMB returns the reduced dimension; l2 is the length of the projected vector.
    const node = set.lookup(enc('e0'));
    expect(set.reconstruct(node).length).toBe(8);
    const y = specProject(xs[0]!, 8);
    const l2 = Math.fround(Math.sqrt(y.reduce((a, v) => Math.fround(a + Math.fround(v * v)), 0)));
    expect(Math.abs(set.raw(node).l2 - l2) / l2).toBeLessThan(1e-6);
    // A query of the input length is projected; one of the reduced length is used as is.
    const viaInput = set.search(set.prepare(xs[0]), { count: 1 });
    expect(viaInput.ids[0]).toBe(node);
    const viaReduced = set.search(set.prepare(y), { count: 1 });
    expect(viaReduced.ids[0]).toBe(node);
    expect(Array.from(set.prepare(y).bytes)).toEqual(Array.from(set.prepare(xs[0]).bytes));
    // Adding needs the input length; any other length is refused.
    expect(() => set.add(enc('bad'), y)).toThrow(/Input dimension mismatch for projection - got 8 but projection expects 40/);
    expect(() => set.prepare(new Float32Array(9))).toThrow(/Input dimension mismatch for projection - got 9 but projection expects 40/);
  });

  test('invalid REDUCE parameters are refused', () => {
    expect(() => VectorSet.create({ dim: 10, projectFrom: 5 })).toThrow(RangeError);
    expect(() => VectorSet.create({ dim: 10, projectFrom: 65537 })).toThrow(RangeError);
    expect(VectorSet.create({ dim: 10, projectFrom: 10 }).projectionInputDim).toBe(10);
  });
});
