// Data for the engine benchmark: seeded clustered synthetic vectors and Fashion-MNIST.
//
// Synthetic: `clusters` centres with N(0,1) components; each point is a random centre plus
// N(0, spread²) noise per component. With 1,000 clusters, spread 1.5, 100k × 128, hnswlib
// (M=16, EF construction 200) reaches recall@10 ≈ 0.96 at EF 50, as issue 3 describes.
// Queries are fresh points from the same distribution (not members of the set).
//
// Fashion-MNIST: Debian's `dataset-fashion-mnist` package (apt-get install -y
// dataset-fashion-mnist) installs the original IDX files under /usr/share/datasets/fashion-mnist;
// the 60k training images (784 uint8 pixels) are the set, test images are the queries.

import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Prng } from '../../src/hnsw/prng.js';

export interface Dataset {
  name: string;
  dim: number;
  /** n × dim, row-major. */
  data: Float32Array;
  n: number;
  queries: Float32Array;
  nq: number;
  description: string;
  /**
   * What made the data: the generator's name and version (bumped whenever the function's output
   * changes), its seed and parameters. The ground-truth cache is keyed by these (truth.ts
   * truthCacheKey), so truth computed for other data is never reused.
   */
  source: { generator: string; seed: number | string; params: Record<string, number | string> };
}

/** Bump the version when clustered() would produce different vectors for the same arguments. */
export const CLUSTERED_GENERATOR = 'clustered@1';
/** Bump when fashionMnist() changes what it reads or how it converts pixels. */
export const FASHION_GENERATOR = 'fashion-mnist-idx@1';

export function clustered(
  name: string,
  n: number,
  dim: number,
  clusters: number,
  spread: number,
  nq: number,
  seed: number,
): Dataset {
  const rng = new Prng(seed);
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = rng.gauss();
  const make = (out: Float32Array, count: number): void => {
    for (let i = 0; i < count; i++) {
      const c = rng.int(clusters) * dim;
      for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c + j] + spread * rng.gauss();
    }
  };
  const data = new Float32Array(n * dim);
  make(data, n);
  const queries = new Float32Array(nq * dim);
  make(queries, nq);
  return {
    name,
    dim,
    data,
    n,
    queries,
    nq,
    description: `synthetic, ${clusters} Gaussian clusters (centres N(0,1), spread ${spread}), seed ${seed}`,
    source: { generator: CLUSTERED_GENERATOR, seed, params: { n, dim, clusters, spread, nq } },
  };
}

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

function readIdxImages(file: string): { count: number; dim: number; pixels: Uint8Array } {
  const buf = gunzipSync(readFileSync(file));
  const magic = buf.readUInt32BE(0);
  if (magic !== 0x803) throw new Error(`${file}: not an IDX image file`);
  const count = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  return { count, dim: rows * cols, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * rows * cols) };
}

export function fashionAvailable(): boolean {
  return existsSync(`${FASHION_DIR}/train-images-idx3-ubyte.gz`) && existsSync(`${FASHION_DIR}/t10k-images-idx3-ubyte.gz`);
}

export function fashionMnist(n: number, nq: number): Dataset {
  const train = readIdxImages(`${FASHION_DIR}/train-images-idx3-ubyte.gz`);
  const test = readIdxImages(`${FASHION_DIR}/t10k-images-idx3-ubyte.gz`);
  const dim = train.dim;
  n = Math.min(n, train.count);
  nq = Math.min(nq, test.count);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n * dim; i++) data[i] = train.pixels[i];
  const queries = new Float32Array(nq * dim);
  for (let i = 0; i < nq * dim; i++) queries[i] = test.pixels[i];
  return {
    name: `fashion-mnist-${n / 1000}k-784`,
    dim,
    data,
    n,
    queries,
    nq,
    description: `Fashion-MNIST training images (uint8 pixels as floats) from Debian's dataset-fashion-mnist; queries: first ${nq} test images`,
    // No seed: the files are the data; their sizes stand in for a version of the package.
    source: { generator: FASHION_GENERATOR, seed: 'none', params: { n, nq, train: train.count, test: test.count } },
  };
}
