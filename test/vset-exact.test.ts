// A NOQUANT set walks its graph in Q8 and answers in float32 (layout.ts geometry, `exact`): the
// graph is the one a Q8 set of the same data builds, every distance it replies is the float32
// one, and what it stores — VEMB, VEMB RAW, images — is a NOQUANT set's.
import { describe, expect, test } from 'vitest';
import { ImageError, Quant, SearchResults, VectorSet } from '../src/vset/index.js';
import { Prng } from '../src/hnsw/prng.js';
import { H } from '../src/hnsw/layout.js';

const enc = (s: string): Uint8Array => Buffer.from(s);

/** Clustered data: the walk must choose among near neighbours, where Q8's error shows. */
function data(dim: number, n: number, seed: number): Float32Array[] {
  const rng = new Prng(seed);
  const centres = Array.from({ length: 12 }, () => Float32Array.from({ length: dim }, () => rng.gauss()));
  return Array.from({ length: n }, (_, i) => Float32Array.from(centres[i % 12], (x) => x + 0.4 * rng.gauss()));
}

function build(opts: { dim: number; quant: Quant; exact?: boolean; kernel?: 'js' | 'wasm'; arena?: boolean }, xs: Float32Array[]): VectorSet {
  const set = VectorSet.create({ ...opts, M: 8, seed: 7 });
  xs.forEach((x, i) => set.add(enc(`e${i}`), x, i % 4 === 0 ? { attr: enc(`{"i":${i}}`) } : {}));
  for (let i = 0; i < xs.length; i += 7) set.remove(enc(`e${i}`));
  expect(set.validate()).toEqual([]);
  return set;
}

/** 1 − cos in float32 steps of the normalised vectors, near enough to tell it from a Q8 distance. */
function cosineDistance(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return 1 - ab / Math.sqrt(aa * bb);
}

const ids = (r: SearchResults): number[] => Array.from(r.ids.subarray(0, r.count));
const dists = (r: SearchResults): number[] => Array.from(r.dists.subarray(0, r.count));
const linksOf = (set: VectorSet): number[][][] => [...set.nodes()].map((n) => set.links(n).links.map((l) => Array.from(l)));

describe('a NOQUANT set walks in Q8 and answers in float32', () => {
  const dim = 24;
  const xs = data(dim, 600, 1);
  const queries = data(dim, 30, 2);

  test('the graph is the very one a Q8 set builds from the same data', () => {
    const exact = build({ dim, quant: Quant.NoQuant }, xs);
    const q8 = build({ dim, quant: Quant.Q8 }, xs);
    const plain = build({ dim, quant: Quant.NoQuant, exact: false }, xs);
    expect(linksOf(exact)).toEqual(linksOf(q8));
    // …and not the float32 graph (else this test could not tell the walks apart).
    expect(linksOf(plain)).not.toEqual(linksOf(q8));
  });

  test('every distance replied is the float32 one, ascending; TRUTH scans the float32 vectors', () => {
    const exact = build({ dim, quant: Quant.NoQuant }, xs);
    const plain = build({ dim, quant: Quant.NoQuant, exact: false }, xs);
    for (const x of queries) {
      for (const opts of [{ count: 10, ef: 50 }, { count: 1 }, { count: 40, ef: 10 }]) {
        const r = exact.search(exact.prepare(x), opts);
        expect(r.count).toBe(opts.count);
        for (let i = 0; i < r.count; i++) {
          const name = Buffer.from(exact.nameOf(r.ids[i])).toString();
          // A Q8 distance is off by about 1e-3 here.
          expect(Math.abs(r.dists[i] - cosineDistance(x, xs[Number(name.slice(1))]))).toBeLessThan(2e-6);
          if (i > 0) expect(r.dists[i]).toBeGreaterThanOrEqual(r.dists[i - 1]);
        }
      }
      // The same float kernel over the same normalised floats: bit for bit the plain set's scan.
      const te = exact.search(exact.prepare(x), { count: 10, truth: true });
      const tp = plain.search(plain.prepare(x), { count: 10, truth: true });
      expect(ids(te).map((n) => Buffer.from(exact.nameOf(n)).toString())).toEqual(ids(tp).map((n) => Buffer.from(plain.nameOf(n)).toString()));
      expect(dists(te)).toEqual(dists(tp));
      // The query engine's scan of chosen slots (`among`) too.
      const among = Int32Array.from(ids(te).reverse());
      expect(dists(exact.search(exact.prepare(x), { count: 10, among }))).toEqual(dists(te));
    }
  });

  test('recall at least the Q8 set’s: the re-rank puts the float32 order back', () => {
    const big = data(dim, 2000, 3);
    const exact = build({ dim, quant: Quant.NoQuant }, big);
    const q8 = build({ dim, quant: Quant.Q8 }, big);
    let hitsExact = 0;
    let hitsQ8 = 0;
    for (const x of queries) {
      const truth = new Set(ids(exact.search(exact.prepare(x), { count: 10, truth: true })).map((n) => Buffer.from(exact.nameOf(n)).toString()));
      for (const n of ids(exact.search(exact.prepare(x), { count: 10, ef: 40 }))) if (truth.has(Buffer.from(exact.nameOf(n)).toString())) hitsExact++;
      for (const n of ids(q8.search(q8.prepare(x), { count: 10, ef: 40 }))) if (truth.has(Buffer.from(q8.nameOf(n)).toString())) hitsQ8++;
    }
    expect(hitsExact).toBeGreaterThan(hitsQ8);
  });

  test('nodes deleted while a search runs: the candidates read past the re-ranked ones answer in float32 too', () => {
    const set = build({ dim, quant: Quant.NoQuant }, xs);
    const x = queries[3];
    const nameOf = (n: number): string => Buffer.from(set.nameOf(n)).toString();
    // The 25 nearest go while the walk runs (the filter is called for each node it reaches):
    // the walk has taken most of them by then, so the output skips them and reads past the
    // first max(2·10, 10 + 16) = 26 candidates, the ones the re-rank measured in float32.
    const nearest = ids(set.search(set.prepare(x), { count: 25, truth: true })).map(nameOf);
    let calls = 0;
    let taken = 0;
    const q = set.prepare(x);
    const r = set.search(q, {
      count: 10,
      ef: 200,
      filter: () => {
        if (++calls === 150) for (const name of nearest) taken += set.remove(enc(name)) ? 1 : 0;
        return true;
      },
    });
    expect(taken).toBe(25);
    expect(r.count).toBe(10);
    const got = ids(r).map(nameOf);
    for (const name of got) expect(nearest).not.toContain(name);
    for (let i = 0; i < r.count; i++) {
      // A Q8 distance is off by about 1e-3 here.
      expect(Math.abs(r.dists[i] - cosineDistance(x, xs[Number(got[i].slice(1))]))).toBeLessThan(2e-6);
      if (i > 0) expect(r.dists[i]).toBeGreaterThanOrEqual(r.dists[i - 1]);
    }
    expect(set.validate()).toEqual([]);
  });

  test('VEMB, VEMB RAW and VLINKS scores are a NOQUANT set’s', () => {
    const exact = build({ dim, quant: Quant.NoQuant }, xs);
    const plain = build({ dim, quant: Quant.NoQuant, exact: false }, xs);
    expect(exact.quantName).toBe('f32');
    for (const name of ['e1', 'e2', 'e100', 'e599']) {
      const a = exact.lookup(enc(name));
      const b = plain.lookup(enc(name));
      expect(Array.from(exact.reconstruct(a))).toEqual(Array.from(plain.reconstruct(b)));
      const ra = exact.raw(a);
      const rb = plain.raw(b);
      expect(ra).toEqual(rb);
      expect(ra.range).toBe(0);
      expect(ra.bytes.length).toBe(dim * 4);
      const la = exact.links(a, true);
      for (let lc = 0; lc < la.links.length; lc++) {
        la.links[lc].forEach((nb, i) => {
          const other = Number(Buffer.from(exact.nameOf(nb)).toString().slice(1));
          expect(Math.abs(la.scores![lc][i] - (1 - cosineDistance(xs[Number(name.slice(1))], xs[other]) / 2))).toBeLessThan(2e-6);
        });
      }
    }
  });

  test('the stored form moves between sets as is (VADDRAW), and the plain-JS kernels answer the same', () => {
    const exact = build({ dim, quant: Quant.NoQuant }, xs);
    const copy = VectorSet.create({ dim, quant: Quant.NoQuant, M: 8, seed: 7 });
    const js = build({ dim, quant: Quant.NoQuant, kernel: 'js' }, xs);
    for (const node of exact.nodes()) {
      const r = exact.raw(node);
      copy.addStored(exact.nameOf(node), r.bytes, r.l2, r.range);
    }
    expect(copy.validate()).toEqual([]);
    for (const node of copy.nodes()) expect(copy.raw(node)).toEqual(exact.raw(exact.lookup(copy.nameOf(node))));
    for (const x of queries.slice(0, 10)) {
      const want = exact.search(exact.prepare(x), { count: 10, truth: true });
      const got = copy.search(copy.prepare(x), { count: 10, truth: true });
      expect(dists(got)).toEqual(dists(want));
      const a = exact.search(exact.prepare(x), { count: 10 });
      const b = js.search(js.prepare(x), { count: 10 });
      expect(ids(b)).toEqual(ids(a));
      expect(dists(b)).toEqual(dists(a));
    }
  });

  test('REDUCE: the projected vector is what both copies hold', () => {
    const wide = data(40, 150, 8);
    const exact = VectorSet.create({ dim: 12, quant: Quant.NoQuant, projectFrom: 40, M: 8, seed: 7 });
    const plain = VectorSet.create({ dim: 12, quant: Quant.NoQuant, exact: false, projectFrom: 40, M: 8, seed: 7 });
    wide.forEach((x, i) => {
      exact.add(enc(`e${i}`), x);
      plain.add(enc(`e${i}`), x);
    });
    expect(exact.validate()).toEqual([]);
    for (const name of ['e0', 'e77', 'e149']) expect(exact.raw(exact.lookup(enc(name)))).toEqual(plain.raw(plain.lookup(enc(name))));
    for (const x of data(40, 5, 9)) {
      const te = exact.search(exact.prepare(x), { count: 5, truth: true });
      const tp = plain.search(plain.prepare(x), { count: 5, truth: true });
      expect(dists(te)).toEqual(dists(tp));
      // The graph's answer, re-ranked, carries the same float32 distances as the scan for the
      // elements both found.
      const r = exact.search(exact.prepare(x), { count: 5 });
      const byName = new Map(ids(te).map((n, i) => [Buffer.from(exact.nameOf(n)).toString(), te.dists[i]]));
      for (let i = 0; i < r.count; i++) {
        const want = byName.get(Buffer.from(exact.nameOf(r.ids[i])).toString());
        if (want !== undefined) expect(r.dists[i]).toBe(want);
      }
    }
  });

  test('in an arena, as the server makes sets, with a filter', () => {
    const set = build({ dim, quant: Quant.NoQuant, arena: true }, xs.slice(0, 60));
    const x = queries[0];
    const r = set.search(set.prepare(x), { count: 5, filter: (slot) => set.getAttr(slot) !== null });
    expect(r.count).toBe(5);
    for (let i = 0; i < r.count; i++) {
      expect(set.getAttr(r.ids[i])).not.toBeNull();
      const name = Buffer.from(set.nameOf(r.ids[i])).toString();
      expect(Math.abs(r.dists[i] - cosineDistance(x, xs[Number(name.slice(1))]))).toBeLessThan(2e-6);
    }
  });
});

describe('images of a NOQUANT set', () => {
  test('an exact set loads as one and answers the same; a float32-graph image loads as that', () => {
    const xs = data(6, 200, 4);
    for (const exactOpt of [true, false]) {
      const set = build({ dim: 6, quant: Quant.NoQuant, exact: exactOpt }, xs);
      const img = set.images();
      expect(new Int32Array(img.records.buffer, img.records.byteOffset, 64)[H.EXACT]).toBe(exactOpt ? 1 : 0);
      const back = VectorSet.fromImages(img.records.slice(), img.heap.slice());
      expect(back.validate()).toEqual([]);
      for (const x of data(6, 5, 5)) {
        const a = set.search(set.prepare(x), { count: 8 });
        const b = back.search(back.prepare(x), { count: 8 });
        expect(ids(b)).toEqual(ids(a));
        expect(dists(b)).toEqual(dists(a));
      }
      back.add(enc('new'), xs[0]);
      expect(back.validate()).toEqual([]);
    }
  });

  test('a damaged float32 copy’s padding, or the flag on another quantisation, is refused', () => {
    const set = build({ dim: 6, quant: Quant.NoQuant }, data(6, 50, 6));
    const img = set.images();
    const words = (b: Uint8Array): Int32Array => new Int32Array(b.buffer, b.byteOffset, b.byteLength >>> 2);
    const h = words(img.records);
    const node = [...set.nodes()][3];
    const rec = h[H.REC_BASE] + node * h[H.STRIDE];
    const padded = img.records.slice();
    // Floats 6 and 7 of the copy: after the links (M 8: 16 slots), after the 16 Q8 bytes.
    padded[rec + 20 + 16 + 64 + 6 * 4 + 1] = 1;
    expect(() => VectorSet.fromImages(padded, img.heap.slice())).toThrow(/padding of its float32 vector/);
    const q8flag = build({ dim: 6, quant: Quant.Q8 }, data(6, 20, 7)).images();
    const flagged = q8flag.records.slice();
    words(flagged)[H.EXACT] = 1;
    expect(() => VectorSet.fromImages(flagged, q8flag.heap.slice())).toThrow(ImageError);
    expect(() => VectorSet.fromImages(flagged, q8flag.heap.slice())).toThrow(/exact-copy flag/);
  });
});
