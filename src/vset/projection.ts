// REDUCE: the fixed projection to fewer dimensions (spec §4).
//
// Despite its name in the docs ("random projection"), the reference's matrix is deterministic: a
// Walsh–Hadamard sign pattern, P[i][j] = ±1/sqrt(inputDim) with the sign given by the parity of
// popcount(i AND j). That way replicas and reloads agree without shipping any randomness, and
// vsetd's results match Redis's. The matrix is still stored with the set (in its heap), as the
// reference stores it in the RDB, so a future change of generator would not alter old sets.

const fround = Math.fround;

function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** The scale, `1.0f / sqrt((double)inputDim)` stored as float. */
export function projectionScale(inputDim: number): number {
  return fround(1 / Math.sqrt(inputDim));
}

/** Fill `out` (dim × inputDim floats, row-major) with the projection matrix. */
export function buildProjection(dim: number, inputDim: number, out: Float32Array): void {
  const scale = projectionScale(inputDim);
  for (let i = 0; i < dim; i++) {
    const row = i * inputDim;
    for (let j = 0; j < inputDim; j++) out[row + j] = parity(i & j) === 0 ? scale : -scale;
  }
}

/**
 * y[i] = Σ_j P[i][j]·x[j], summed in float in increasing j (spec §4). `matrix` may be a view
 * into the set's heap.
 */
export function project(matrix: Float32Array, dim: number, inputDim: number, x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < dim; i++) {
    const row = i * inputDim;
    let acc = 0;
    for (let j = 0; j < inputDim; j++) acc = fround(acc + fround(matrix[row + j] * x[j]));
    out[i] = acc;
  }
}
