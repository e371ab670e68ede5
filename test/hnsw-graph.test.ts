// Seeded property tests of the graph: random insert/update/delete sequences keep validate()
// green; searches never return deleted elements; TRUTH equals a brute-force scan; deleting most
// of a set leaves nothing unreachable; slots are reused only after reclamation.
import { describe, expect, test } from 'vitest';
import { Quant, SearchResults, VectorSet } from '../src/vset/index.js';
import { Prng } from '../src/hnsw/prng.js';
import { enterRead, exitRead } from '../src/hnsw/epoch.js';
import { H, SetViews } from '../src/hnsw/layout.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (b: Uint8Array): string => Buffer.from(b).toString();

function randomVector(rng: Prng, dim: number, clusters?: Float32Array[]): Float32Array {
  const x = new Float32Array(dim);
  const c = clusters ? clusters[rng.int(clusters.length)] : null;
  for (let j = 0; j < dim; j++) x[j] = (c ? c[j] : 0) + rng.gauss();
  return x;
}

function resultNames(set: VectorSet, r: SearchResults): string[] {
  const out: string[] = [];
  for (let i = 0; i < r.count; i++) out.push(dec(set.nameOf(r.ids[i])));
  return out;
}

/**
 * The exact k nearest, computed by the test alone from the vectors it inserted (and did not
 * remove), with the spec's formulas (§3: normalisation, Q8/BIN quantisation, distances): no
 * stored bytes, no node list and no search of the engine under test.
 */
function bruteForce(live: Map<string, Float32Array>, quant: Quant, query: Float32Array, k: number): { name: string; d: number }[] {
  const q = specQuantize(query, quant);
  const all: { name: string; d: number }[] = [];
  for (const [name, v] of live) all.push({ name, d: specDistance(specQuantize(v, quant), q, quant, query.length) });
  all.sort((x, y) => x.d - y.d);
  return all.slice(0, k);
}

interface SpecVector {
  u: Float32Array;
  q8: Int8Array;
  range: number;
  bits: Uint8Array;
}

function specQuantize(x: Float32Array, quant: Quant): SpecVector {
  const f = Math.fround;
  const dim = x.length;
  // §3.1: l2sq in float, four squares at a time, then the rest one by one.
  let l2sq = 0;
  let i = 0;
  for (; i + 4 <= dim; i += 4) l2sq = f(l2sq + f(f(f(f(x[i] * x[i]) + f(x[i + 1] * x[i + 1])) + f(x[i + 2] * x[i + 2])) + f(x[i + 3] * x[i + 3])));
  for (; i < dim; i++) l2sq = f(l2sq + f(x[i] * x[i]));
  const u = new Float32Array(x);
  if (l2sq !== 0) {
    const l2 = f(Math.sqrt(l2sq));
    for (let j = 0; j < dim; j++) u[j] = f(x[j] / l2);
  }
  const q8 = new Int8Array(dim);
  let range = 0;
  const bits = new Uint8Array(Math.ceil(dim / 64) * 8);
  if (quant === Quant.Q8) {
    for (let j = 0; j < dim; j++) range = Math.max(range, Math.abs(u[j]));
    if (range !== 0) {
      const scale = f(127 / range);
      for (let j = 0; j < dim; j++) {
        const v = f(u[j] * scale);
        q8[j] = Math.sign(v) * Math.round(Math.abs(v));
      }
    }
  } else if (quant === Quant.Bin) {
    for (let j = 0; j < dim; j++) if (u[j] > 0) bits[j >> 3] |= 1 << (j & 7);
  }
  return { u, q8, range, bits };
}

function specDistance(a: SpecVector, b: SpecVector, quant: Quant, dim: number): number {
  const f = Math.fround;
  if (quant === Quant.Q8) {
    if (a.range === 0 || b.range === 0) return 1;
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += a.q8[i] * b.q8[i];
    return Math.min(2, Math.max(0, f(1 - f(f(dot) * f(f(a.range / 127) * f(b.range / 127))))));
  }
  if (quant === Quant.Bin) {
    let ones = 0;
    for (let i = 0; i < a.bits.length; i++) {
      let x = a.bits[i] ^ b.bits[i];
      while (x) {
        ones += x & 1;
        x >>= 1;
      }
    }
    return f(f(ones * 2) / dim);
  }
  let dot = 0;
  for (let i = 0; i < dim; i++) dot += a.u[i] * b.u[i];
  return 1 - dot; // double here: compared with a tolerance
}

interface Config {
  quant: Quant;
  M: number;
  dim: number;
}

const configs: Config[] = [
  { quant: Quant.Q8, M: 4, dim: 8 },
  { quant: Quant.Q8, M: 16, dim: 24 },
  { quant: Quant.NoQuant, M: 8, dim: 12 },
  { quant: Quant.Bin, M: 6, dim: 70 },
];

describe('random insert / update / delete sequences', () => {
  for (const cfg of configs) {
    for (const seed of [1, 2]) {
      test(`quant ${cfg.quant}, M ${cfg.M}, dim ${cfg.dim}, seed ${seed}`, () => {
        const rng = new Prng(seed * 1000 + cfg.M);
        const set = VectorSet.create({ dim: cfg.dim, quant: cfg.quant, M: cfg.M, seed });
        const clusters = Array.from({ length: 8 }, () => randomVector(rng, cfg.dim).map((x) => x * 3));
        const alive = new Map<string, Float32Array>();
        const attrs = new Map<string, string>();
        let nextName = 0;
        let inserts = 0;
        const out = new SearchResults();
        for (let op = 0; op < 1500; op++) {
          const roll = rng.float();
          const names = [...alive.keys()];
          if (roll < 0.55 || alive.size < 5) {
            const name = `n${nextName++}`;
            const v = randomVector(rng, cfg.dim, clusters);
            const withAttr = rng.float() < 0.3;
            const r = set.add(enc(name), v, withAttr ? { attr: enc(`{"i":${nextName}}`) } : {});
            expect(r.added).toBe(true);
            alive.set(name, v);
            if (withAttr) attrs.set(name, `{"i":${nextName}}`);
            inserts++;
          } else if (roll < 0.7) {
            const name = names[rng.int(names.length)];
            const before = set.lookup(enc(name));
            const v = randomVector(rng, cfg.dim, clusters);
            const r = set.add(enc(name), v);
            expect(r.added).toBe(false);
            expect(r.node).not.toBe(-1);
            expect(set.isLive(before) && before !== r.node).toBe(false);
            alive.set(name, v);
            inserts++;
          } else {
            const name = names[rng.int(names.length)];
            expect(set.remove(enc(name))).toBe(true);
            expect(set.remove(enc(name))).toBe(false);
            alive.delete(name);
            attrs.delete(name);
          }
          if (op % 150 === 149) {
            expect(set.validate()).toEqual([]);
            expect(set.card).toBe(alive.size);
            expect(set.lastNodeId).toBe(inserts);
            expect(set.attributesCount).toBe(attrs.size);
            // Searches never return a deleted element, and every result resolves to itself.
            for (let t = 0; t < 5; t++) {
              const q = set.prepare(randomVector(rng, cfg.dim, clusters));
              set.search(q, { count: 10, ef: 20 }, out);
              for (const n of resultNames(set, out)) expect(alive.has(n)).toBe(true);
              for (let i = 0; i < out.count; i++) expect(set.lookup(set.nameOf(out.ids[i]))).toBe(out.ids[i]);
            }
          }
        }
        expect(set.validate()).toEqual([]);
        for (const [name, attr] of attrs) expect(dec(set.getAttr(set.lookup(enc(name))) as Uint8Array)).toBe(attr);
        // Every element is findable, and TRUTH with its own vector as the query finds the
        // distance the test computes on its own (the element itself, or a tie).
        let selfFirst = 0;
        for (const [name, v] of alive) {
          const node = set.lookup(enc(name));
          expect(node).toBeGreaterThanOrEqual(0);
          const r = set.search(set.prepare(v), { count: 1, truth: true });
          if (r.count === 1 && Math.abs(r.dists[0] - bruteForce(alive, cfg.quant, v, 1)[0].d) < 1e-6) selfFirst++;
        }
        expect(selfFirst).toBe(alive.size);
      });
    }
  }
});

describe('search', () => {
  test('TRUTH equals a brute-force scan with the spec formulas', () => {
    for (const cfg of configs) {
      const rng = new Prng(cfg.dim);
      const set = VectorSet.create({ dim: cfg.dim, quant: cfg.quant, M: cfg.M, seed: 3 });
      const live = new Map<string, Float32Array>();
      for (let i = 0; i < 400; i++) {
        const v = randomVector(rng, cfg.dim);
        set.add(enc(`e${i}`), v);
        live.set(`e${i}`, v);
      }
      for (let i = 0; i < 400; i += 3) {
        set.remove(enc(`e${i}`));
        live.delete(`e${i}`);
      }
      for (let t = 0; t < 10; t++) {
        const query = randomVector(rng, cfg.dim);
        const r = set.search(set.prepare(query), { count: 15, truth: true });
        const want = bruteForce(live, cfg.quant, query, 15);
        expect(r.count).toBe(15);
        for (let i = 0; i < 15; i++) {
          if (cfg.quant === Quant.NoQuant) expect(Math.abs(r.dists[i] - want[i].d)).toBeLessThan(1e-5);
          else expect(r.dists[i]).toBe(want[i].d);
        }
        // Same names up to ties at the boundary.
        const got = resultNames(set, r);
        const last = want[14].d;
        const strict = want.filter((w) => w.d < last - 1e-5).map((w) => w.name);
        for (const n of strict) expect(got).toContain(n);
      }
    }
  });

  test('HNSW recall against TRUTH is high on clustered data (M 16, EF 100)', () => {
    const rng = new Prng(21);
    const dim = 32;
    const clusters = Array.from({ length: 20 }, () => randomVector(rng, dim).map((x) => x * 2));
    const set = VectorSet.create({ dim, seed: 4 });
    for (let i = 0; i < 3000; i++) set.add(enc(`e${i}`), randomVector(rng, dim, clusters));
    let hits = 0;
    for (let t = 0; t < 50; t++) {
      const q = set.prepare(randomVector(rng, dim, clusters));
      const exact = new Set(resultNames(set, set.search(q, { count: 10, truth: true })));
      for (const n of resultNames(set, set.search(q, { count: 10, ef: 100 }))) if (exact.has(n)) hits++;
    }
    expect(hits / 500).toBeGreaterThan(0.9);
  });

  test('COUNT, EF capped by the cardinality, ascending distances', () => {
    const rng = new Prng(5);
    const set = VectorSet.create({ dim: 6, seed: 5 });
    for (let i = 0; i < 30; i++) set.add(enc(`e${i}`), randomVector(rng, 6));
    const q = set.prepare(randomVector(rng, 6));
    const r = set.search(q, { count: 100, ef: 1 });
    expect(r.count).toBe(30);
    for (let i = 1; i < r.count; i++) expect(r.dists[i]).toBeGreaterThanOrEqual(r.dists[i - 1]);
    expect(set.search(q, { count: 3 }).count).toBe(3);
  });

  test('a COUNT (or EF, FILTER-EF) far above the cardinality is capped inside the engine', () => {
    const rng = new Prng(55);
    const set = VectorSet.create({ dim: 4, seed: 55 });
    for (let i = 0; i < 40; i++) set.add(enc(`e${i}`), randomVector(rng, 4), { attr: enc('1') });
    const q = set.prepare(randomVector(rng, 4));
    const exact = set.search(q, { count: 2 ** 63, truth: true });
    expect(exact.count).toBe(40);
    for (let i = 1; i < exact.count; i++) expect(exact.dists[i]).toBeGreaterThanOrEqual(exact.dists[i - 1]);
    expect(set.search(q, { count: Number.MAX_VALUE, ef: 2 ** 63 }).count).toBe(40);
    expect(set.search(q, { count: Infinity, truth: true, filter: () => true }).count).toBe(40);
    expect(set.search(q, { count: 2 ** 53, filter: () => true, filterEf: 2 ** 63 }).count).toBe(40);
    // Nonsense below 1 (or NaN) means one result, as COUNT 1 would.
    expect(set.search(q, { count: NaN, ef: NaN }).count).toBe(1);
    expect(set.search(q, { count: 0, truth: true }).count).toBe(1);
  });

  test('filtered search returns only matching elements; TRUTH + filter is exact', () => {
    const rng = new Prng(6);
    const dim = 16;
    const set = VectorSet.create({ dim, seed: 6 });
    const vectors: Float32Array[] = [];
    for (let i = 0; i < 2000; i++) {
      vectors.push(randomVector(rng, dim));
      set.add(enc(`e${i}`), vectors[i], { attr: enc(String(i % 7)) });
    }
    // The test's own list of what matches (attribute '3'), for the expected values.
    const matching = new Map<string, Float32Array>(vectors.map((v, i): [string, Float32Array] => [`e${i}`, v]).filter((_, i) => i % 7 === 3));
    const matches = (node: number): boolean => dec(set.attrView(node) as Uint8Array) === '3';
    let calls = 0;
    const filter = (node: number): boolean => {
      calls++;
      return matches(node);
    };
    for (let t = 0; t < 10; t++) {
      const query = randomVector(rng, dim);
      const q = set.prepare(query);
      const r = set.search(q, { count: 10, filter });
      expect(r.count).toBe(10);
      for (let i = 0; i < r.count; i++) expect(matching.has(dec(set.nameOf(r.ids[i])))).toBe(true);
      const exact = set.search(q, { count: 10, filter, truth: true });
      const brute = bruteForce(matching, Quant.Q8, query, 10).map((w) => w.d);
      expect(Array.from(exact.dists.subarray(0, 10))).toEqual(brute);
    }
    // A tiny FILTER-EF budget bounds the work: few filter calls, maybe fewer results.
    calls = 0;
    const q = set.prepare(randomVector(rng, dim));
    const r = set.search(q, { count: 10, filter, filterEf: 3 });
    expect(r.count).toBeLessThanOrEqual(10);
    expect(calls).toBeLessThanOrEqual(3 * 2 * 16 + 1);
    // A filter nothing matches returns nothing.
    expect(set.search(q, { count: 10, filter: () => false }).count).toBe(0);
  });
});

describe('kernels and buffers', () => {
  test('a set on plain-JS kernels and buffers builds the very same graph as on WebAssembly', () => {
    // Same seed → same level draws; bit-identical distances → identical decisions everywhere.
    for (const quant of [Quant.Q8, Quant.NoQuant, Quant.Bin]) {
      const sets = (['wasm', 'js'] as const).map((kernel) => VectorSet.create({ dim: 20, quant, M: 8, seed: 77, kernel }));
      expect(sets.map((x) => x.kernel)).toEqual(['wasm', 'js']);
      for (const set of sets) {
        const rng = new Prng(78);
        for (let i = 0; i < 600; i++) set.add(enc(`e${i}`), randomVector(rng, 20));
        for (let i = 0; i < 600; i += 3) set.remove(enc(`e${i}`));
        expect(set.validate()).toEqual([]);
      }
      const [a, b] = sets;
      for (const node of a.nodes()) expect(b.links(node).links.map((l) => Array.from(l))).toEqual(a.links(node).links.map((l) => Array.from(l)));
      const rng = new Prng(79);
      for (let t = 0; t < 20; t++) {
        const x = randomVector(rng, 20);
        const ra = a.search(a.prepare(x), { count: 10 });
        const rb = b.search(b.prepare(x), { count: 10 });
        expect(Array.from(rb.ids.subarray(0, rb.count))).toEqual(Array.from(ra.ids.subarray(0, ra.count)));
        expect(Array.from(rb.dists.subarray(0, rb.count))).toEqual(Array.from(ra.dists.subarray(0, ra.count)));
      }
    }
  });

  test('a set rebuilt from its byte images searches identically and can be written to', () => {
    const rng = new Prng(80);
    const set = VectorSet.create({ dim: 12, seed: 80 });
    for (let i = 0; i < 500; i++) set.add(enc(`e${i}`), randomVector(rng, 12), i % 5 === 0 ? { attr: enc(`a${i}`) } : {});
    for (let i = 0; i < 500; i += 7) set.remove(enc(`e${i}`));
    set.reclaim();
    const img = set.images();
    const copy = VectorSet.fromImages(img.records.slice(), img.heap.slice());
    expect(copy.validate()).toEqual([]);
    expect([copy.card, copy.attributesCount, copy.lastNodeId, copy.maxLevel]).toEqual([set.card, set.attributesCount, set.lastNodeId, set.maxLevel]);
    for (let t = 0; t < 10; t++) {
      const x = randomVector(rng, 12);
      const ra = set.search(set.prepare(x), { count: 5 });
      const rb = copy.search(copy.prepare(x), { count: 5 });
      expect(Array.from(rb.ids.subarray(0, rb.count))).toEqual(Array.from(ra.ids.subarray(0, ra.count)));
    }
    expect(dec(copy.getAttr(copy.lookup(enc('e5'))) as Uint8Array)).toBe('a5');
    copy.add(enc('new'), randomVector(rng, 12));
    copy.remove(enc('e1'));
    expect(copy.validate()).toEqual([]);
    // The original is untouched.
    expect(set.lookup(enc('new'))).toBe(-1);
    expect(set.lookup(enc('e1'))).toBeGreaterThanOrEqual(0);
  });
});

describe('deletion', () => {
  test('deleting 95% of a set leaves no unreachable node and good recall', () => {
    for (const M of [4, 16]) {
      const rng = new Prng(40 + M);
      const dim = 16;
      const clusters = Array.from({ length: 10 }, () => randomVector(rng, dim).map((x) => x * 2));
      const set = VectorSet.create({ dim, M, seed: 7 });
      const n = 3000;
      for (let i = 0; i < n; i++) set.add(enc(`e${i}`), randomVector(rng, dim, clusters));
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const [from, to] of [
        [0, n / 2],
        [n / 2, Math.floor(n * 0.95)],
      ]) {
        for (let i = from; i < to; i++) expect(set.remove(enc(`e${order[i]}`))).toBe(true);
        expect(set.validate()).toEqual([]);
        expect(set.stats().unreachable).toBe(0);
        let hits = 0;
        for (let t = 0; t < 30; t++) {
          const q = set.prepare(randomVector(rng, dim, clusters));
          const exact = new Set(resultNames(set, set.search(q, { count: 10, truth: true })));
          for (const name of resultNames(set, set.search(q, { count: 10 }))) if (exact.has(name)) hits++;
        }
        expect(hits / 300).toBeGreaterThan(0.9);
      }
    }
  });

  test('many identical vectors: inserts keep every node reachable', () => {
    // New twins used to displace their twins' links to the rest of the graph until groups of
    // identical vectors were cut off (564 of 600 nodes unreachable at M 4 with 15 distinct
    // vectors). A link is now given up only when another path replaces it.
    for (const M of [4, 8]) {
      for (const distinct of [3, 15, 50]) {
        const set = VectorSet.create({ dim: 3, M, seed: M + distinct });
        for (let i = 0; i < 600; i++) {
          const j = i % distinct;
          set.add(enc(`n${i}`), Float32Array.from([j % 5, 1 + Math.floor(j / 5), (j * 7) % 3]));
        }
        expect(set.stats().unreachable).toBe(0);
        expect(set.validate()).toEqual([]);
      }
    }
  });

  test('many identical vectors: inserts, updates and deletes down to a few keep every node reachable', () => {
    // Orphans of a delete used to be left in two groups joined only through the deleted node
    // (these seeds did, at M 4 and 8 with 5 distinct vectors); now the orphans are checked to
    // be connected and joined when they are not.
    for (const [M, distinct, seed] of [
      [4, 5, 2],
      [8, 5, 5],
      [6, 5, 5],
    ]) {
      const rng = new Prng(seed * 100 + M);
      const set = VectorSet.create({ dim: 4, M, seed });
      const points = Array.from({ length: distinct }, (_, j) => randomVector(new Prng(j + 1), 4));
      const alive: string[] = [];
      let next = 0;
      const drop = (i: number): void => {
        expect(set.remove(enc(alive[i]))).toBe(true);
        alive[i] = alive[alive.length - 1];
        alive.pop();
      };
      for (let op = 0; op < 4000; op++) {
        const roll = rng.float();
        if (roll < 0.5 || alive.length < 10) {
          alive.push(`n${next++}`);
          set.add(enc(alive[alive.length - 1]), points[rng.int(distinct)]);
        } else if (roll < 0.65) {
          set.add(enc(alive[rng.int(alive.length)]), points[rng.int(distinct)]);
        } else {
          drop(rng.int(alive.length));
        }
        if (op % 250 === 249) expect(set.stats().unreachable).toBe(0);
      }
      while (alive.length > 50) {
        drop(rng.int(alive.length));
        if (alive.length % 25 === 0) expect(set.stats().unreachable).toBe(0);
      }
      expect(set.validate()).toEqual([]);
    }
  });

  test('large M (no pairing matrix on level 0): deletions keep the graph valid and connected', () => {
    const rng = new Prng(60);
    const set = VectorSet.create({ dim: 8, M: 64, seed: 60 });
    for (let i = 0; i < 800; i++) set.add(enc(`e${i}`), randomVector(rng, 8));
    for (let i = 0; i < 750; i++) set.remove(enc(`e${i}`));
    expect(set.validate()).toEqual([]);
    expect(set.stats().unreachable).toBe(0);
  });

  test('deleting the entry point again and again keeps the graph valid, down to empty', () => {
    const rng = new Prng(9);
    const set = VectorSet.create({ dim: 8, M: 6, seed: 9 });
    for (let i = 0; i < 300; i++) set.add(enc(`e${i}`), randomVector(rng, 8));
    const h = (set as unknown as { v: SetViews }).v.i32;
    while (set.card > 0) {
      const entry = h[H.ENTRY];
      const level = set.maxLevel;
      expect(set.level(entry)).toBe(level);
      expect(set.remove(set.nameOf(entry))).toBe(true);
      if (set.card % 25 === 0) expect(set.validate()).toEqual([]);
    }
    expect(set.validate()).toEqual([]);
    expect(h[H.ENTRY]).toBe(-1);
    // An emptied set can be filled again.
    set.add(enc('again'), randomVector(rng, 8));
    expect(set.validate()).toEqual([]);
    expect(set.lookup(enc('again'))).toBeGreaterThanOrEqual(0);
  });

  test('deleted slots are reused only after the searches that could see them ended', () => {
    const rng = new Prng(10);
    const set = VectorSet.create({ dim: 8, seed: 10 });
    for (let i = 0; i < 100; i++) set.add(enc(`e${i}`), randomVector(rng, 8));
    const v = (set as unknown as { v: SetViews }).v;
    const reader = enterRead(v); // a search in progress, started before the deletes
    expect(reader).toBeGreaterThanOrEqual(0);
    const freed = new Set<number>();
    for (let i = 0; i < 50; i++) {
      freed.add(set.lookup(enc(`e${i}`)));
      set.remove(enc(`e${i}`));
    }
    expect(set.pendingReclaim).toBeGreaterThan(0);
    expect(set.reclaim()).toBe(0);
    for (let i = 0; i < 50; i++) expect(freed.has(set.add(enc(`x${i}`), randomVector(rng, 8)).node)).toBe(false);
    exitRead(v, reader);
    // A search that starts now can not reach the deleted nodes: everything is reclaimable.
    expect(set.reclaim()).toBeGreaterThan(0);
    expect(set.pendingReclaim).toBe(0);
    let reused = 0;
    for (let i = 0; i < 50; i++) if (freed.has(set.add(enc(`y${i}`), randomVector(rng, 8)).node)) reused++;
    expect(reused).toBe(50);
    expect(set.validate()).toEqual([]);
  });
});

describe('elements', () => {
  test('updates keep the attribute unless replaced, and consume node ids', () => {
    const set = VectorSet.create({ dim: 3, seed: 1 });
    set.add(enc('a'), Float32Array.from([1, 0, 0]), { attr: enc('{"x":1}') });
    set.add(enc('b'), Float32Array.from([0, 1, 0]));
    expect(set.lastNodeId).toBe(2);
    expect(set.attributesCount).toBe(1);
    const r = set.add(enc('a'), Float32Array.from([0, 0, 1]));
    expect(r.added).toBe(false);
    expect(set.lastNodeId).toBe(3);
    expect(dec(set.getAttr(set.lookup(enc('a'))) as Uint8Array)).toBe('{"x":1}');
    expect(Array.from(set.reconstruct(set.lookup(enc('a'))))).toEqual([0, 0, 1]);
    set.add(enc('a'), Float32Array.from([1, 1, 0]), { attr: null });
    expect(set.getAttr(set.lookup(enc('a')))).toBe(null);
    expect(set.attributesCount).toBe(0);
    set.add(enc('b'), Float32Array.from([1, 1, 1]), { attr: new Uint8Array(0) });
    expect(set.getAttr(set.lookup(enc('b')))).toEqual(new Uint8Array(0));
    expect(set.attributesCount).toBe(1);
    set.setAttr(set.lookup(enc('b')), null);
    expect(set.attributesCount).toBe(0);
    expect(set.card).toBe(2);
    expect(set.validate()).toEqual([]);
  });

  test('binary-safe names, including the empty name', () => {
    const set = VectorSet.create({ dim: 2, seed: 1 });
    const names = [new Uint8Array(0), Uint8Array.from([0]), Uint8Array.from([0, 0]), Uint8Array.from([255, 0, 1]), Uint8Array.from(enc('é'))];
    names.forEach((n, i) => expect(set.add(n, Float32Array.from([i + 1, 1])).added).toBe(true));
    names.forEach((n) => expect(set.nameOf(set.lookup(n))).toEqual(n));
    expect(set.lookup(Uint8Array.from([0, 0, 0]))).toBe(-1);
    expect(set.card).toBe(5);
    expect(set.validate()).toEqual([]);
  });

  test('many names grow and rebuild the name table; removals leave it consistent', () => {
    const rng = new Prng(13);
    const set = VectorSet.create({ dim: 4, M: 4, seed: 13 });
    for (let i = 0; i < 5000; i++) set.add(enc(`name-${i}`), randomVector(rng, 4));
    for (let i = 0; i < 5000; i += 2) set.remove(enc(`name-${i}`));
    for (let i = 0; i < 5000; i++) expect(set.lookup(enc(`name-${i}`)) >= 0).toBe(i % 2 === 1);
    expect(set.validate()).toEqual([]);
  });

  test('links are reciprocal and scored as float(1 − d/2); random members are live', () => {
    const rng = new Prng(14);
    const set = VectorSet.create({ dim: 8, seed: 14 });
    for (let i = 0; i < 200; i++) set.add(enc(`e${i}`), randomVector(rng, 8));
    for (let i = 0; i < 200; i += 4) set.remove(enc(`e${i}`));
    for (const node of set.nodes()) {
      const { links, scores } = set.links(node, true);
      expect(links.length).toBe(set.level(node) + 1);
      links.forEach((ids, level) => {
        ids.forEach((other, i) => {
          expect(Array.from(set.links(other).links[level])).toContain(node);
          const s = (scores as Float64Array[])[level][i];
          expect(s).toBe(Math.fround(s));
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(1);
        });
      });
    }
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const n = set.randomNode(() => rng.float());
      expect(set.isLive(n)).toBe(true);
      seen.add(n);
    }
    expect(seen.size).toBe(set.card);
    expect([...set.nodes()].length).toBe(150);
  });

  test('memory usage grows with the set and node records stay compact', () => {
    const rng = new Prng(15);
    const set = VectorSet.create({ dim: 128, M: 16, seed: 15 });
    const empty = set.memoryUsage();
    for (let i = 0; i < 3000; i++) set.add(enc(`e${i}`), randomVector(rng, 128));
    expect(set.memoryUsage()).toBeGreaterThan(empty);
    // 128-dim Q8 at M 16: 276-byte records + upper links + the fixed header and scratch.
    expect(set.graphBytes() / 3000).toBeLessThan(320);
  });

  test('parameter validation', () => {
    expect(() => VectorSet.create({ dim: 0 })).toThrow(RangeError);
    expect(() => VectorSet.create({ dim: 65537 })).toThrow(RangeError);
    expect(() => VectorSet.create({ dim: 4, M: 3 })).toThrow(RangeError);
    expect(() => VectorSet.create({ dim: 4, M: 4097 })).toThrow(RangeError);
    const set = VectorSet.create({ dim: 3, seed: 1 });
    expect(() => set.add(enc('x'), new Float32Array(4))).toThrow(/Vector dimension mismatch - got 4 but set has 3/);
    expect(() => set.prepare(new Float32Array(2))).toThrow(/dimension mismatch/);
    expect(VectorSet.create({ dim: 65536, quant: Quant.Bin, M: 4, seed: 1 }).dim).toBe(65536);
  });
});
