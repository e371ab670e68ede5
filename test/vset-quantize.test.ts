// Normalisation, quantisation, reconstruction and scores: the spec's worked examples (§3.7)
// bit for bit, and round-trip bounds on random data.
import { describe, expect, test } from 'vitest';
import { Quant, SearchResults, VectorSet } from '../src/vset/index.js';
import { normalizeInPlace, quantizeBin, quantizeQ8, roundf } from '../src/vset/quantize.js';
import { Prng } from '../src/hnsw/prng.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (b: Uint8Array): string => Buffer.from(b).toString();
const vec = (...xs: number[]): Float32Array => Float32Array.from(xs);

function pointsSet(): VectorSet {
  const set = VectorSet.create({ dim: 2, seed: 1 });
  set.add(enc('pt:A'), vec(1, 1));
  set.add(enc('pt:B'), vec(-1, -1));
  set.add(enc('pt:C'), vec(-1, 1));
  set.add(enc('pt:D'), vec(1, -1));
  set.add(enc('pt:E'), vec(1, 0));
  return set;
}

function namesAndScores(set: VectorSet, r: SearchResults): [string, number][] {
  const out: [string, number][] = [];
  for (let i = 0; i < r.count; i++) out.push([dec(set.nameOf(r.ids[i])), r.score(i)]);
  return out;
}

describe('spec §3.7 worked examples', () => {
  test('VEMB of the Q8 points set', () => {
    const set = pointsSet();
    expect(Array.from(set.reconstruct(set.lookup(enc('pt:A'))))).toEqual([0.9999999403953552, 0.9999999403953552]);
    expect(Array.from(set.reconstruct(set.lookup(enc('pt:E'))))).toEqual([1, 0]);
    const raw = set.raw(set.lookup(enc('pt:A')));
    expect(raw.l2).toBe(1.4142135381698608);
    expect(raw.range).toBe(0.7071067690849304);
    expect(Array.from(new Int8Array(raw.bytes.buffer))).toEqual([127, 127]);
    expect(set.quantName).toBe('int8');
  });

  test('VSIM points ELE pt:A WITHSCORES COUNT 4', () => {
    const set = pointsSet();
    const r = set.search(set.queryFromNode(set.lookup(enc('pt:A'))), { count: 4 });
    const got = namesAndScores(set, r);
    expect(got.slice(0, 2)).toEqual([
      ['pt:A', 1],
      ['pt:E', 0.8535534143447876],
    ]);
    // C and D tie at exactly 0.5; their order is unspecified.
    expect(got.slice(2).sort()).toEqual([
      ['pt:C', 0.5],
      ['pt:D', 0.5],
    ]);
  });

  test('VSIM points VALUES 2 0.9 0.1 → E, A, D, C, B', () => {
    const set = pointsSet();
    const r = set.search(set.prepare(vec(0.9, 0.1)), { count: 10 });
    const got = namesAndScores(set, r);
    expect(got.map((g) => g[0])).toEqual(['pt:E', 'pt:A', 'pt:D', 'pt:C', 'pt:B']);
    const expected = [0.99694, 0.89013, 0.81265, 0.18735, 0.10987];
    got.forEach(([, s], i) => expect(s).toBeCloseTo(expected[i], 5));
  });

  test('VEMB of (1.262185, 1.958231) under Q8, NOQUANT and BIN', () => {
    const cases: [Quant, number[]][] = [
      [Quant.Q8, [1.2643694877624512, 1.958230972290039]],
      [Quant.NoQuant, [1.262184977531433, 1.958230972290039]],
      [Quant.Bin, [1, 1]],
    ];
    for (const [quant, want] of cases) {
      const set = VectorSet.create({ dim: 2, quant, seed: 1 });
      set.add(enc('v'), vec(1.262185, 1.958231));
      expect(Array.from(set.reconstruct(set.lookup(enc('v'))))).toEqual(want);
    }
  });

  test('EPSILON example (Q8): a b c d e from query (1,1)', () => {
    const set = VectorSet.create({ dim: 2, seed: 3 });
    const pts: [string, number[]][] = [
      ['a', [1, 1]],
      ['b', [0, 1]],
      ['c', [0, 0]],
      ['d', [0, -1]],
      ['e', [-1, -1]],
    ];
    for (const [n, v] of pts) set.add(enc(n), vec(...v));
    const q = set.prepare(vec(1, 1));
    const all = namesAndScores(set, set.search(q, { count: 10 }));
    expect(all.map((x) => x[0])).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(all[0][1]).toBe(1);
    expect(all[1][1]).toBeCloseTo(0.8536, 4);
    expect(all[2][1]).toBe(0.5);
    expect(all[3][1]).toBeCloseTo(0.1464, 4);
    expect(all[4][1]).toBe(0);
    const names = (epsilon: number): string[] =>
      namesAndScores(set, set.search(q, { count: 10, epsilon })).map((x) => x[0]);
    expect(names(0.5)).toEqual(['a', 'b', 'c']);
    expect(names(0.2)).toEqual(['a', 'b']);
    expect(names(0.001)).toEqual(['a']);
    expect(names(1.0)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // TRUTH gives the same order.
    expect(namesAndScores(set, set.search(q, { count: 10, truth: true })).map((x) => x[0])).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('normalisation and quantisation rules', () => {
  test('roundf rounds halves away from zero', () => {
    expect([roundf(2.5), roundf(-2.5), roundf(0.5), roundf(-0.5), roundf(1.49), roundf(-1.51)]).toEqual([3, -3, 1, -1, 1, -2]);
  });

  test('Q8 quants are roundf(u·(127/range)) exactly, halves and near-halves included', () => {
    // Vectors whose scaled components land on and next to .5: each component k/2 of a range of
    // 127 (so scale = 1), then nudged by one float step either way.
    let x = 0x2545f491;
    const next = (): number => {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
    const cases: Float32Array[] = [];
    for (let t = 0; t < 300; t++) {
      const u = new Float32Array(16);
      u[0] = t % 2 === 0 ? 127 : -127;
      for (let j = 1; j < 16; j++) {
        const half = Math.fround((Math.floor(next() * 254) - 127) / 2);
        const step = [0, 1, -1][j % 3] * 2 ** -20 * Math.max(1, Math.abs(half));
        u[j] = t < 100 ? half : t < 200 ? Math.fround(half + step) : Math.fround((next() * 2 - 1) * 127);
      }
      cases.push(u);
    }
    for (const u of cases) {
      const out = new Int8Array(16);
      const range = quantizeQ8(u, out);
      const scale = Math.fround(127 / range);
      const want = Array.from(u, (v) => roundf(Math.fround(v * scale)) + 0);
      expect(Array.from(out)).toEqual(want);
    }
  });

  test('a zero vector stays zero with l2 = 1, range 0, and scores 0.5 against anything', () => {
    for (const quant of [Quant.Q8, Quant.NoQuant]) {
      const set = VectorSet.create({ dim: 3, quant, seed: 1 });
      set.add(enc('zero'), vec(0, 0, 0));
      set.add(enc('x'), vec(1, 2, 3));
      const z = set.lookup(enc('zero'));
      expect(set.raw(z).l2).toBe(1);
      expect(set.raw(z).range).toBe(0);
      expect(Array.from(set.reconstruct(z))).toEqual([0, 0, 0]);
      const r = set.search(set.prepare(vec(1, 2, 3)), { count: 2 });
      const scores = namesAndScores(set, r);
      expect(scores.find((s) => s[0] === 'zero')?.[1]).toBe(0.5);
    }
  });

  test('the largest component always maps to ±127 and range is max |u|', () => {
    const rng = new Prng(5);
    const q = new Int8Array(37);
    for (let t = 0; t < 200; t++) {
      const x = Float32Array.from({ length: 37 }, () => rng.gauss() * 10);
      normalizeInPlace(x);
      const range = quantizeQ8(x, q);
      const maxAbs = Math.max(...Array.from(x, Math.abs));
      expect(range).toBe(Math.fround(maxAbs));
      expect(Math.max(...Array.from(q, Math.abs))).toBe(127);
    }
  });

  test('BIN: bit j of byte j>>3 is set iff u[j] > 0, unused high bits zero', () => {
    const u = Float32Array.from({ length: 70 }, (_, j) => (j % 3 === 0 ? 1 : j % 3 === 1 ? -1 : 0));
    const out = new Uint8Array(16);
    quantizeBin(u, out);
    for (let j = 0; j < 70; j++) expect(((out[j >> 3] >> (j & 7)) & 1) === 1).toBe(u[j] > 0);
    for (let j = 70; j < 128; j++) expect((out[j >> 3] >> (j & 7)) & 1).toBe(0);
  });

  test('Q8 round trip: |x − VEMB(x)| ≤ l2·range/254 (+ float rounding) per component', () => {
    // Each quant is within half a step (range/127/2) of the normalised component; the
    // reconstruction multiplies back by l2. Float rounding adds a few ulps.
    const rng = new Prng(11);
    for (const dim of [3, 16, 100, 128]) {
      const set = VectorSet.create({ dim, seed: 2 });
      for (let t = 0; t < 50; t++) {
        const scale = 10 ** (rng.int(6) - 3);
        const x = Float32Array.from({ length: dim }, () => rng.gauss() * scale);
        const { node } = set.add(enc(`v${t}`), x);
        const back = set.reconstruct(node);
        const { l2, range } = set.raw(node);
        const bound = (l2 * range) / 254 + 4e-7 * l2;
        for (let i = 0; i < dim; i++) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(bound);
      }
    }
  });

  test('NOQUANT round trip is exact up to float rounding; RAW is the normalised float32 LE', () => {
    const rng = new Prng(12);
    const set = VectorSet.create({ dim: 20, quant: Quant.NoQuant, seed: 2 });
    const x = Float32Array.from({ length: 20 }, () => rng.gauss());
    const node = set.add(enc('v'), x).node;
    const raw = set.raw(node);
    expect(raw.bytes.length).toBe(80);
    const u = new Float32Array(raw.bytes.buffer.slice(0));
    const norm = Float32Array.from(x);
    const l2 = normalizeInPlace(norm);
    expect(raw.l2).toBe(l2);
    expect(Array.from(u)).toEqual(Array.from(norm));
    const back = set.reconstruct(node);
    for (let i = 0; i < 20; i++) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 3e-7 + 1e-7);
    expect(set.quantName).toBe('f32');
  });

  test('BIN scores are 1 − hamming/D and VEMB gives ±1', () => {
    const set = VectorSet.create({ dim: 4, quant: Quant.Bin, seed: 1 });
    set.add(enc('a'), vec(1, 1, 1, 1));
    set.add(enc('b'), vec(1, -1, 1, -1));
    set.add(enc('c'), vec(-1, -1, -1, -1));
    const r = namesAndScores(set, set.search(set.prepare(vec(1, 1, 1, 1)), { count: 3 }));
    expect(r).toEqual([
      ['a', 1],
      ['b', 0.5],
      ['c', 0],
    ]);
    expect(Array.from(set.reconstruct(set.lookup(enc('b'))))).toEqual([1, -1, 1, -1]);
    expect(set.raw(set.lookup(enc('b'))).bytes).toEqual(Uint8Array.from([0b0101, 0, 0, 0, 0, 0, 0, 0]));
  });

  test('NOQUANT self scores are ≈ 1 (unclamped float distances)', () => {
    const set = VectorSet.create({ dim: 3, quant: Quant.NoQuant, seed: 1 });
    const rng = new Prng(3);
    for (let t = 0; t < 100; t++) {
      const x = Float32Array.from({ length: 3 }, () => rng.gauss());
      const node = set.add(enc(`v${t}`), x).node;
      const r = set.search(set.queryFromNode(node), { count: 1, truth: true });
      expect(Math.abs(r.score(0) - 1)).toBeLessThan(1e-6);
      // The distance is 1 − dot, unclamped: it may be a hair below 0, never clamped to it.
      expect(r.dists[0]).toBe(Math.fround(r.dists[0]));
    }
  });
});
