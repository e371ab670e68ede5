// VADD CAS in the engine: a plan made by a reader (here an attached copy of the set, as a search
// worker holds) links the node without a second search when the graph did not change under it,
// and a stale plan falls back to the ordinary insert. Either way the graph stays valid and as
// good as one built with plain inserts.
import { describe, expect, test } from 'vitest';
import { decodePlan, encodePlan, SearchResults, VectorSet, type InsertPlan } from '../src/vset/index.js';
import { Prng } from '../src/hnsw/prng.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const gauss = (rng: Prng, dim: number): Float32Array => Float32Array.from({ length: dim }, () => rng.gauss());

/** Recall@10 of approximate searches against exact ones, over `queries` random queries. */
function recall(set: VectorSet, rng: Prng, dim: number, queries: number): number {
  const a = new SearchResults();
  const t = new SearchResults();
  let hit = 0;
  for (let i = 0; i < queries; i++) {
    const q = set.prepare(gauss(rng, dim));
    set.search(q, { count: 10, ef: 100 }, a);
    set.search(q, { count: 10, truth: true }, t);
    const truth = new Set(t.ids.subarray(0, t.count));
    for (let k = 0; k < a.count; k++) if (truth.has(a.ids[k]!)) hit++;
  }
  return hit / (queries * 10);
}

describe('VADD CAS in the engine', () => {
  test('inserts linked from plans give a valid graph with the recall of plain inserts', () => {
    const dim = 16;
    const n = 1500;
    const plain = VectorSet.create({ dim, seed: 3 });
    const cas = VectorSet.create({ dim, seed: 3 });
    const reader = VectorSet.attach(cas.handle());
    const rng = new Prng(11);
    let planned = 0;
    for (let i = 0; i < n; i++) {
      const x = gauss(rng, dim);
      plain.add(enc(`e${i}`), x);
      const ticket = cas.casTicket();
      // The plan travels as bytes from a worker: go through the same encoding.
      const plan = decodePlan(encodePlan(reader.planInsert(x, ticket.level, 200)));
      expect(plan).not.toBeNull();
      const r = cas.add(enc(`e${i}`), x, { cas: { ticket, plan } });
      expect(r.added).toBe(true);
      if (r.planned) planned++;
    }
    // Only the very first insert (empty set) has nothing to plan from.
    expect(planned).toBe(n - 1);
    expect(cas.validate()).toEqual([]);
    expect(cas.stats().unreachable).toBe(0);
    const rc = recall(cas, new Prng(5), dim, 100);
    const rp = recall(plain, new Prng(5), dim, 100);
    expect(rc).toBeGreaterThan(0.9);
    expect(rc).toBeGreaterThan(rp - 0.05);
  });

  test('a delete, an update or a new entry point between plan and commit makes the insert search again', () => {
    const dim = 8;
    const set = VectorSet.create({ dim, seed: 7 });
    const rng = new Prng(2);
    for (let i = 0; i < 300; i++) set.add(enc(`e${i}`), gauss(rng, dim));
    const attempt = (between: () => void, name: string): boolean | undefined => {
      const x = gauss(rng, dim);
      const ticket = set.casTicket();
      const plan = set.planInsert(x, ticket.level, 100);
      between();
      const r = set.add(enc(name), x, { cas: { ticket, plan } });
      expect(set.validate()).toEqual([]);
      return r.planned;
    };
    expect(attempt(() => {}, 'n0')).toBe(true);
    // Inserts meanwhile do not invalidate a plan (their nodes are simply not candidates).
    expect(attempt(() => set.add(enc('other'), gauss(rng, dim)), 'n1')).toBe(true);
    expect(attempt(() => set.remove(enc('e5')), 'n2')).toBe(false);
    expect(attempt(() => set.add(enc('e6'), gauss(rng, dim)), 'n3')).toBe(false);
    // A plan made for another level than the ticket's, or a damaged one, is never used.
    const x = gauss(rng, dim);
    const ticket = set.casTicket();
    const plan = set.planInsert(x, ticket.level + 1, 100);
    expect(set.add(enc('n4'), x, { cas: { ticket, plan } }).planned).toBe(false);
    const bogus: InsertPlan = { ...set.planInsert(x, 0, 10), ids: new Int32Array([1 << 30]) };
    const t2 = set.casTicket();
    expect(set.add(enc('n5'), x, { cas: { ticket: { ...t2, level: 0 }, plan: bogus } }).planned).toBe(false);
    expect(set.validate()).toEqual([]);
    // 300, plus n0 … n5 and "other", minus e5.
    expect(set.card).toBe(300 + 7 - 1);
  });

  test('plans of concurrent CAS inserts, committed in any order, keep the graph valid', () => {
    const dim = 12;
    const set = VectorSet.create({ dim, seed: 9 });
    const rng = new Prng(4);
    for (let i = 0; i < 200; i++) set.add(enc(`e${i}`), gauss(rng, dim));
    for (let round = 0; round < 20; round++) {
      // Ten CAS inserts accepted together, all planned against the same graph, committed in a
      // shuffled order, with a delete now and then in between.
      const pending = Array.from({ length: 10 }, (_, k) => {
        const x = gauss(rng, dim);
        const ticket = set.casTicket();
        return { name: `r${round}k${k}`, x, ticket, plan: set.planInsert(x, ticket.level, 50) };
      });
      pending.sort(() => rng.float() - 0.5);
      for (const p of pending) {
        if (rng.float() < 0.1) set.remove(enc(`e${rng.int(200)}`));
        set.add(enc(p.name), p.x, { cas: { ticket: p.ticket, plan: p.plan } });
      }
      expect(set.validate()).toEqual([]);
    }
    expect(set.stats().unreachable).toBe(0);
  });

  test('decodePlan refuses malformed bytes', () => {
    expect(decodePlan(new Uint8Array(3))).toBeNull();
    expect(decodePlan(new Uint8Array(new Int32Array([0, 1, 1, 2, 1]).buffer))).toBeNull();
    expect(decodePlan(new Uint8Array(new Int32Array([0, 0, 0, 1, 2, 5]).buffer))).toBeNull();
    expect(decodePlan(new Uint8Array(new Int32Array([0, 0, 0, 1, 1, 5]).buffer))).toEqual({
      entry: 0,
      level: 0,
      top: 0,
      ids: new Int32Array([5]),
      ends: new Int32Array([1]),
    });
  });
});
