// Exact cosine k-NN (the ground truth recall is measured against), in double precision over
// the original float vectors — independent of both engines' quantisation and kernels.

import { createHash } from 'node:crypto';

/** What identifies a cached ground truth: the data's origin and which truth over it. */
export interface TruthKeyParts {
  /** Dataset label (only for a readable file name; not what makes the key unique). */
  name: string;
  /** Generator name and version, e.g. clustered@1 (datasets.ts). */
  generator: string;
  seed: number | string;
  params: Record<string, number | string>;
  k: number;
  /** Which truth: all elements, or the survivors of a delete phase. */
  tag: string;
}

/**
 * The cache file name for a ground truth. Keyed by generator AND seed AND parameters (issue 20,
 * rule e): the old key (dataset name and query count) silently reused truth after the generator
 * changed, which made recall figures wrong without any error.
 */
export function truthCacheKey(p: TruthKeyParts): string {
  const params = Object.keys(p.params)
    .sort()
    .map((k) => [k, p.params[k]]);
  const digest = createHash('sha256')
    .update(JSON.stringify([p.generator, String(p.seed), params, p.k, p.tag]))
    .digest('hex')
    .slice(0, 16);
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${safe(p.name)}-${safe(p.generator)}-${digest}-${safe(p.tag)}.truth`;
}

export function normalizedRows(data: Float32Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[i * dim + j] * data[i * dim + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) out[i * dim + j] = data[i * dim + j] * inv;
  }
  return out;
}

/**
 * For each query, the ids of the k most similar rows among those with alive[id] (all when
 * alive is null), most similar first. Returns nq × k ids (-1 padding if fewer rows).
 */
export function exactKnn(
  rows: Float64Array,
  n: number,
  dim: number,
  queries: Float64Array,
  nq: number,
  k: number,
  alive: Uint8Array | null = null,
): Int32Array {
  const out = new Int32Array(nq * k).fill(-1);
  const bestSim = new Float64Array(k);
  const bestId = new Int32Array(k);
  for (let q = 0; q < nq; q++) {
    bestSim.fill(-Infinity);
    bestId.fill(-1);
    const qo = q * dim;
    for (let i = 0; i < n; i++) {
      if (alive !== null && alive[i] === 0) continue;
      const ro = i * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let j = 0;
      for (; j + 3 < dim; j += 4) {
        s0 += rows[ro + j] * queries[qo + j];
        s1 += rows[ro + j + 1] * queries[qo + j + 1];
        s2 += rows[ro + j + 2] * queries[qo + j + 2];
        s3 += rows[ro + j + 3] * queries[qo + j + 3];
      }
      for (; j < dim; j++) s0 += rows[ro + j] * queries[qo + j];
      const sim = s0 + s1 + s2 + s3;
      if (sim <= bestSim[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && bestSim[p - 1] < sim) {
        bestSim[p] = bestSim[p - 1];
        bestId[p] = bestId[p - 1];
        p--;
      }
      bestSim[p] = sim;
      bestId[p] = i;
    }
    out.set(bestId, q * k);
  }
  return out;
}

/** Mean fraction of the true top-k found in each result list. */
export function recallAtK(truth: Int32Array, found: Int32Array[], k: number): number {
  let hits = 0;
  let total = 0;
  for (let q = 0; q < found.length; q++) {
    const want = new Set<number>();
    for (let i = 0; i < k; i++) {
      const id = truth[q * k + i];
      if (id >= 0) want.add(id);
    }
    total += want.size;
    const got = found[q];
    for (let i = 0; i < Math.min(k, got.length); i++) if (want.has(got[i])) hits++;
  }
  return total === 0 ? 1 : hits / total;
}
