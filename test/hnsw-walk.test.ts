// The writer's walk in WebAssembly (src/hnsw/writer-zone.ts, kernels.wat walk), at level 0 and
// above (the upper lists copied in by upperLinks), must build exactly the graph the JavaScript
// path builds: same candidates, same order, ties
// included. Each case builds one set twice from the same seeded operations — inserts, deletes
// (whose relinking searches too), re-inserts, the set growing past the zone — once with the walk
// and once without, and compares every node's links on every level, then the search answers.
import { afterEach, describe, expect, test } from 'vitest';
import { Quant, SearchResults, VectorSet } from '../src/vset/index.js';
import { Prng } from '../src/hnsw/prng.js';
import { setWasmWalk } from '../src/hnsw/writer-zone.js';

const enc = (s: string): Uint8Array => Buffer.from(s);

afterEach(() => setWasmWalk(true));

/** A seeded sequence of VADD/VREM on a set of its own; returns the set. */
function build(walk: boolean, quant: Quant, dim: number, n: number, seed: number, arena = false, exact?: boolean): VectorSet {
  setWasmWalk(walk);
  const rng = new Prng(seed);
  const set = VectorSet.create({ dim, quant, M: 8, seed: 3, nameKey: [1, 2], arena, ...(exact !== undefined ? { exact } : {}) });
  const centres = Array.from({ length: 12 }, () => Float32Array.from({ length: dim }, () => rng.gauss()));
  const vec = (): Float32Array => {
    const c = centres[rng.int(centres.length)];
    // A few exact duplicates: equal distances exercise the queues' tie order.
    if (rng.int(20) === 0) return new Float32Array(c);
    return Float32Array.from(c, (x) => x + 0.7 * rng.gauss());
  };
  for (let i = 0; i < n; i++) {
    set.add(enc(`e${i}`), vec(), { ef: 40 + rng.int(160) });
    if (i > 50 && rng.int(4) === 0) set.remove(enc(`e${rng.int(i)}`));
  }
  setWasmWalk(true);
  return set;
}

function graphOf(set: VectorSet): string[] {
  const out: string[] = [];
  for (let node = 0; node < set.slotCount; node++) {
    if (!set.isLive(node)) continue;
    const links = set.links(node);
    out.push(`${Buffer.from(set.nameOf(node)).toString()}:${JSON.stringify(links)}`);
  }
  return out;
}

describe('WebAssembly walk', () => {
  // Sets of their own, and sets in an arena (the arena's writer zone; the set moves from block
  // to block as it grows).
  // (A NOQUANT set walks in Q8; `exact: false` keeps the float32 graph, the walk's F32 kind, and
  // the query engine's raw L2 vectors are its L2 kind.)
  const cases: [string, Quant, number, number, boolean, boolean?][] = [
    ['Q8 × 32', Quant.Q8, 32, 1500, false],
    ['Q8 × 300 (long-vector kernel)', Quant.Q8, 300, 600, false],
    ['NOQUANT × 24', Quant.NoQuant, 24, 1200, false],
    ['NOQUANT float32 graph × 24', Quant.NoQuant, 24, 1200, false, false],
    ['raw L2 × 16', Quant.RawL2, 16, 1200, false],
    ['BIN × 64', Quant.Bin, 64, 1200, false],
    ['arena Q8 × 32', Quant.Q8, 32, 1500, true],
    ['arena Q8 × 300', Quant.Q8, 300, 600, true],
    ['arena NOQUANT × 24', Quant.NoQuant, 24, 800, true],
  ];
  for (const [name, quant, dim, n, arena, exact] of cases) {
    test(`${name}: same graph and answers as the JavaScript path`, () => {
      const a = build(true, quant, dim, n, 11, arena, exact);
      const b = build(false, quant, dim, n, 11, arena, exact);
      expect(a.inArena).toBe(arena);
      expect(a.card).toBeGreaterThan(n / 2);
      expect(a.validate()).toEqual([]);
      const ga = graphOf(a);
      expect(ga.length).toBe(a.card);
      expect(ga).toEqual(graphOf(b));
      const rng = new Prng(5);
      const ra = new SearchResults(20);
      const rb = new SearchResults(20);
      for (let q = 0; q < 20; q++) {
        const x = Float32Array.from({ length: dim }, () => rng.gauss());
        a.search(a.prepare(x), { count: 10, ef: 50 }, ra);
        b.search(b.prepare(x), { count: 10, ef: 50 }, rb);
        expect(Array.from(ra.ids.subarray(0, ra.count))).toEqual(Array.from(rb.ids.subarray(0, rb.count)));
      }
      a.dispose();
      b.dispose();
    });
  }

  test('the walk runs where it should: a set of its own has a zone, the JavaScript path none', () => {
    const zoneOf = (set: VectorSet): number => (set as unknown as { v: { zoneStart: number } }).v.zoneStart;
    const count = (set: VectorSet): number => (set as unknown as { writer: { s: { distanceCount: number } } }).writer.s.distanceCount;
    const a = build(true, Quant.Q8, 16, 400, 2);
    const b = build(false, Quant.Q8, 16, 400, 2);
    expect(zoneOf(a)).toBeGreaterThan(0);
    expect(zoneOf(b)).toBe(-1);
    // The walk reports its own distance count (zone word 0): equal counts mean it visited
    // exactly the nodes the JavaScript search visits.
    expect(count(a)).toBeGreaterThan(400 * 10);
    expect(count(a)).toBe(count(b));
    a.dispose();
    b.dispose();
  });
});
