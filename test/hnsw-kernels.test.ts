// The WebAssembly SIMD kernels and their plain-JS twins must return identical float distances,
// for every quantisation and for dimensions below, at and above the SIMD thresholds.
import { describe, expect, test } from 'vitest';
import { jsDistance, jsKernel, wasmDistance, wasmKernel } from '../src/hnsw/kernels.js';
import { Quant, SetViews, geometry } from '../src/hnsw/layout.js';
import { Prng, seedState } from '../src/hnsw/prng.js';
import { GraphWriter } from '../src/hnsw/writer.js';
import { encodeVector } from '../src/vset/quantize.js';
import { VectorSet } from '../src/vset/index.js';

function records(quant: Quant, dim: number, n: number, seed: number): { v: SetViews; slots: number[] } {
  const v = SetViews.create(geometry(dim, quant, 8), 0, seedState(1));
  const w = new GraphWriter(v);
  const rng = new Prng(seed);
  const x = new Float32Array(dim);
  const work = new Float32Array(dim);
  const bytes = new Uint8Array(v.vecBytes);
  const slots: number[] = [];
  for (let i = 0; i < n; i++) {
    // Mix in exact zeros, opposite and identical vectors: the kernels' edge cases.
    if (i === 0) x.fill(0);
    else if (i === 2) for (let j = 0; j < dim; j++) x[j] = -x[j]; // opposite of #1
    else if (i === 3) {
      // identical to #2
    } else for (let j = 0; j < dim; j++) x[j] = rng.float() < 0.1 ? 0 : rng.gauss();
    const { l2, range } = encodeVector(quant, x, work, bytes);
    const slot = w.allocSlot();
    w.writeRecord(slot, 0, 0, bytes, l2, range);
    slots.push(slot);
  }
  return { v, slots };
}

describe('distance kernels: WebAssembly SIMD and JS agree bit for bit', () => {
  for (const [quant, name] of [
    [Quant.Q8, 'Q8'],
    [Quant.NoQuant, 'NOQUANT'],
    [Quant.Bin, 'BIN'],
    [Quant.RawIP, 'raw IP (query engine)'],
    [Quant.RawL2, 'raw L2 (query engine)'],
  ] as const) {
    test(name, () => {
      for (const dim of [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 63, 64, 65, 100, 128, 300]) {
        const { v, slots } = records(quant, dim, 24, dim * 31 + quant);
        const wasm = wasmDistance(v);
        const js = jsDistance(v);
        for (const a of slots) {
          for (const b of slots) {
            const dw = wasm(v.recOff(a), v.recOff(b));
            const dj = js(v.recOff(a), v.recOff(b));
            if (!Object.is(dw, dj)) expect({ dim, a, b, dw }).toEqual({ dim, a, b, dw: dj });
            expect(dw).toBe(Math.fround(dw));
            if (quant === Quant.RawL2 || quant === Quant.RawIP) {
              // Against the definition in double: squared L2, or 1 − dot of the stored vectors.
              const x = new Float32Array(v.f32.buffer, v.recOff(a) + 20, dim);
              const y = new Float32Array(v.f32.buffer, v.recOff(b) + 20, dim);
              let want = 0;
              for (let i = 0; i < dim; i++) want += quant === Quant.RawL2 ? (x[i] - y[i]) ** 2 : x[i] * y[i];
              if (quant === Quant.RawIP) want = 1 - want;
              expect(Math.abs(dw - want)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want)));
            } else if (quant !== Quant.NoQuant) {
              expect(dw).toBeGreaterThanOrEqual(0);
              expect(dw).toBeLessThanOrEqual(2);
            } else {
              expect(dw).toBeGreaterThan(-1e-5);
              expect(dw).toBeLessThan(2 + 1e-5);
            }
          }
        }
      }
    });
  }

  test('batch kernels (one call per neighbour list) equal single distances', () => {
    // 128 Q8 quants and up take four neighbours at a time (quadQ8): lists of every remainder, and
    // a zero vector (range 0) among them.
    for (const dim of [33, 128, 256, 1024]) {
      for (const quant of [Quant.Q8, Quant.NoQuant, Quant.Bin, Quant.RawIP, Quant.RawL2]) {
        const { v, slots } = records(quant, dim, 40, 5);
        if (quant === Quant.Q8) v.f32[(v.recOff(slots[6]) + 8) >> 2] = 0;
        const list = v.scratchAt(0) + v.linkOff; // room for 2·M slots (a set of its own: base 0)
        for (const k of [wasmKernel(v), jsKernel(v)]) {
          for (const length of [2 * v.M, 2 * v.M - 1, 2 * v.M - 2, 5, 3, 2, 1]) {
            const ids = slots.slice(3, 3 + length);
            ids.forEach((id, i) => (v.i32[(list >> 2) + i] = id));
            const q = v.recOff(slots[1]);
            k.batch(q, list, ids.length);
            ids.forEach((id, i) => expect(v.f32[(list >> 2) + i], `dim ${dim}, quant ${quant}, ${length} listed`).toBe(k.dist(q, v.recOff(id))));
          }
        }
      }
    }
  });

  test('NOQUANT below 16 dimensions follows the reference scalar order exactly', () => {
    // dot0 takes the first four of each block of 8 (summed left to right), dot1 the next four,
    // the tail goes into dot0; d = 1 − (dot0 + dot1), all in float.
    const f = Math.fround;
    const rng = new Prng(8);
    for (const dim of [2, 5, 8, 11, 15]) {
      const { v, slots } = records(Quant.NoQuant, dim, 6, 100 + dim);
      const wasm = wasmDistance(v);
      const vecOf = (s: number): Float32Array => new Float32Array(v.f32.buffer, v.recOff(s) + 20, dim);
      for (let t = 0; t < 10; t++) {
        const a = slots[rng.int(slots.length)];
        const b = slots[rng.int(slots.length)];
        const x = vecOf(a);
        const y = vecOf(b);
        let dot0 = 0;
        let dot1 = 0;
        let i = 0;
        for (; i + 7 < dim; i += 8) {
          dot0 = f(dot0 + f(f(f(f(x[i] * y[i]) + f(x[i + 1] * y[i + 1])) + f(x[i + 2] * y[i + 2])) + f(x[i + 3] * y[i + 3])));
          dot1 = f(dot1 + f(f(f(f(x[i + 4] * y[i + 4]) + f(x[i + 5] * y[i + 5])) + f(x[i + 6] * y[i + 6])) + f(x[i + 7] * y[i + 7])));
        }
        for (; i < dim; i++) dot0 = f(dot0 + f(x[i] * y[i]));
        expect(wasm(v.recOff(a), v.recOff(b))).toBe(f(1 - f(dot0 + dot1)));
      }
    }
  });

  test('Q8 distance is 1 − float(dot)·((ra/127)·(rb/127)), clamped', () => {
    const f = Math.fround;
    const { v, slots } = records(Quant.Q8, 40, 12, 77);
    const wasm = wasmDistance(v);
    for (const a of slots) {
      for (const b of slots) {
        const ra = v.f32[(v.recOff(a) + 8) >> 2];
        const rb = v.f32[(v.recOff(b) + 8) >> 2];
        let want: number;
        if (ra === 0 || rb === 0) want = 1;
        else {
          let dot = 0;
          for (let i = 0; i < 40; i++) dot += v.i8[v.recOff(a) + 20 + i] * v.i8[v.recOff(b) + 20 + i];
          want = f(1 - f(f(dot) * f(f(ra / 127) * f(rb / 127))));
          want = Math.min(2, Math.max(0, want));
        }
        expect(wasm(v.recOff(a), v.recOff(b))).toBe(want);
      }
    }
  });
});

describe('kernels in a whole build', () => {
  test('long vectors (the four-at-a-time kernels): the very same graph as on plain JS', () => {
    // Q8 from 128 quants measures links four at a time (batchQ8, and closer: the diversity check
    // of every insert), from 256 quants the walk widens the query too (quadDots); float32 sums four
    // accumulators with 8- and 4-float tails (44 floats: both tails). The JS kernels measure one
    // link at a time, so a four-at-a-time answer that differed anywhere would show here. A NOQUANT
    // set walks in Q8 and re-ranks in float32 (exact, the default); exact: false builds in float32.
    for (const [quant, dim, exact] of [[Quant.Q8, 128, false], [Quant.Q8, 300, false], [Quant.NoQuant, 44, false], [Quant.NoQuant, 44, true]] as const) {
      const sets = (['wasm', 'js'] as const).map((kernel) => VectorSet.create({ dim, quant, exact, M: 8, seed: 91, kernel }));
      for (const set of sets) {
        const rng = new Prng(92);
        const centres = Array.from({ length: 6 }, () => Float32Array.from({ length: dim }, () => rng.gauss()));
        for (let i = 0; i < 400; i++) set.add(Buffer.from(`e${i}`), Float32Array.from(centres[i % 6], (x) => x + 0.5 * rng.gauss()));
        for (let i = 0; i < 400; i += 5) set.remove(Buffer.from(`e${i}`));
        expect(set.validate()).toEqual([]);
      }
      const [a, b] = sets;
      for (const node of a.nodes()) expect(b.links(node).links.map((l) => Array.from(l))).toEqual(a.links(node).links.map((l) => Array.from(l)));
      const rng = new Prng(93);
      for (let t = 0; t < 10; t++) {
        const x = Float32Array.from({ length: dim }, () => rng.gauss());
        const ra = a.search(a.prepare(x), { count: 10 });
        const rb = b.search(b.prepare(x), { count: 10 });
        expect(Array.from(rb.ids.subarray(0, rb.count))).toEqual(Array.from(ra.ids.subarray(0, ra.count)));
        expect(Array.from(rb.dists.subarray(0, rb.count))).toEqual(Array.from(ra.dists.subarray(0, ra.count)));
      }
      a.dispose();
      b.dispose();
    }
  });
});
