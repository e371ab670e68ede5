// Sets in arenas (src/hnsw/arena.ts, src/vset/placement.ts): many small sets share a few
// memories; a set grows by moving to a bigger block and, past PROMOTE_BYTES, into memories of its
// own; retired blocks wait for the search tasks handed out before; images round-trip either way.
import { describe, expect, test, vi } from 'vitest';
import { Quant, SearchResults, VectorSet } from '../src/vset/index.js';
import { Prng } from '../src/hnsw/prng.js';
import { SetViews } from '../src/hnsw/layout.js';
import { Arena, arenaSpace, blockBytes, blockClass, classSize, PROMOTE_BYTES } from '../src/hnsw/arena.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (b: Uint8Array): string => Buffer.from(b).toString();

function vec(rng: Prng, dim: number): Float32Array {
  const x = new Float32Array(dim);
  for (let j = 0; j < dim; j++) x[j] = rng.gauss();
  return x;
}

/** Exact nearest names by cosine over the input vectors (independent of the engine). */
function exactNearest(all: Map<string, Float32Array>, q: Float32Array, k: number): string[] {
  const norm = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0)) || 1;
  const nq = norm(q);
  return [...all.entries()]
    .map(([name, x]) => ({ name, d: 1 - x.reduce((s, v, i) => s + v * q[i], 0) / (norm(x) * nq) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, k)
    .map((e) => e.name);
}

describe('size classes', () => {
  test('every request fits its class, classes grow by at most a thirty-second', () => {
    for (let n = 1; n < 200000; n += 1 + Math.floor(n / 50)) {
      const c = blockClass(n);
      expect(classSize(c)).toBeGreaterThanOrEqual(n);
      if (c > 0) expect(classSize(c - 1)).toBeLessThan(n);
      expect(blockBytes(n) % 16).toBe(0);
      if (n > 512) expect(blockBytes(n)).toBeLessThanOrEqual(Math.ceil(n * 1.03125) + 16);
    }
  });
});

describe('an arena', () => {
  test('its views of its memory follow the memory as it grows: a block past the first size is zeroed when released', () => {
    // (A load reads each small set into its block through these views, and adopts it through them.)
    const a = Arena.create(99) as Arena;
    const first = a.bytes.byteLength;
    expect(a.words.length).toBe(first / 4);
    let last = -1;
    // (Bounded: with views that never follow the memory, its size would seem never to change.)
    for (let i = 0; i < 400 && a.committedBytes === first; i++) last = a.alloc(65536);
    expect(last + 65536).toBeGreaterThan(first);
    expect(a.bytes.byteLength).toBe(a.memory.buffer.byteLength);
    expect(a.words.length).toBe(a.memory.buffer.byteLength / 4);
    new Uint8Array(a.memory.buffer, last, 65536).fill(7);
    expect(a.bytes[last + 65535]).toBe(7);
    a.release(last, 65536);
    expect(new Uint8Array(a.memory.buffer, last, 65536).every((b) => b === 0)).toBe(true);
  });
});

describe('arena sets', () => {
  test('thousands of small sets share a few memories and each answers its own searches', () => {
    const rng = new Prng(7);
    const before = arenaSpace.usage();
    const sets: VectorSet[] = [];
    const data: Map<string, Float32Array>[] = [];
    for (let s = 0; s < 3000; s++) {
      const set = VectorSet.create({ dim: 8, quant: Quant.Q8, arena: true, seed: s + 1 });
      expect(set.inArena).toBe(true);
      const m = new Map<string, Float32Array>();
      for (let e = 0; e < 5; e++) {
        const x = vec(rng, 8);
        set.add(enc(`s${s}e${e}`), x);
        m.set(`s${s}e${e}`, x);
      }
      sets.push(set);
      data.push(m);
    }
    const after = arenaSpace.usage();
    expect(after.arenas - before.arenas).toBeLessThanOrEqual(1);
    // Bytes per 5-element set: the block, nowhere near a page.
    const perSet = (after.live - before.live) / 3000;
    expect(perSet).toBeLessThan(2500);
    for (let s = 0; s < 3000; s += 97) {
      const set = sets[s];
      expect(set.validate()).toEqual([]);
      expect(set.card).toBe(5);
      const q = vec(rng, 8);
      const out = set.search(set.prepare(q), { count: 5, truth: true }, new SearchResults());
      const names = Array.from({ length: out.count }, (_, i) => dec(set.nameOf(out.ids[i])));
      expect(new Set(names)).toEqual(new Set(data[s].keys()));
      // The approximate search finds the exact nearest in a set this small.
      const approx = set.search(set.prepare(q), { count: 1 }, new SearchResults());
      expect(dec(set.nameOf(approx.ids[0]))).toBe(exactNearest(data[s], q, 1)[0]);
    }
    for (const s of sets) s.dispose();
    arenaSpace.drain();
    expect(arenaSpace.usage().live).toBe(before.live);
  });

  test('a set grows from 1 element across moves and its promotion: the same graph as a set of its own', () => {
    const rng = new Prng(11);
    const dim = 64;
    // Same seed and name key: the arena set and the set of its own draw the same levels and
    // build the same graph, so moving between blocks and memories must not change one answer.
    const opts = { dim, quant: Quant.Q8, seed: 5, nameKey: [1, 2] as const };
    const set = VectorSet.create({ ...opts, arena: true });
    const own = VectorSet.create(opts);
    let promotedAt = -1;
    for (let i = 0; i < 42000; i++) {
      const x = vec(rng, dim);
      const attr = i % 3 === 0 ? enc(`{"i":${i}}`) : undefined;
      set.add(enc(`e${i}`), x, { ef: 16, attr });
      own.add(enc(`e${i}`), x, { ef: 16, attr });
      if (promotedAt < 0 && !set.inArena) promotedAt = i;
      if (i === 10 || i === 300 || (promotedAt === i && i > 0)) expect(set.validate()).toEqual([]);
    }
    // 42k × (20 + 64 + 128) bytes of records alone pass PROMOTE_BYTES.
    expect(promotedAt).toBeGreaterThan(0);
    expect(set.reservedBytes()).toBeGreaterThan(PROMOTE_BYTES);
    expect(set.validate()).toEqual([]);
    for (let t = 0; t < 20; t++) {
      const q = vec(rng, dim);
      const a = set.search(set.prepare(q), { count: 10, ef: 100 }, new SearchResults());
      const b = own.search(own.prepare(q), { count: 10, ef: 100 }, new SearchResults());
      expect(Array.from(a.ids.subarray(0, a.count))).toEqual(Array.from(b.ids.subarray(0, b.count)));
      expect(Array.from(a.dists.subarray(0, a.count))).toEqual(Array.from(b.dists.subarray(0, b.count)));
    }
    expect(dec(set.getAttr(set.lookup(enc('e3')))!)).toBe('{"i":3}');
  });

  test('deletes, updates and attribute changes in arena sets keep them valid; MEMORY USAGE follows', () => {
    const rng = new Prng(3);
    const set = VectorSet.create({ dim: 16, quant: Quant.NoQuant, arena: true, seed: 9 });
    for (let i = 0; i < 200; i++) set.add(enc(`n${i}`), vec(rng, 16));
    const used = set.memoryUsage();
    set.setAttr(set.lookup(enc('n5')), enc('x'.repeat(5000)));
    expect(set.memoryUsage()).toBeGreaterThan(used + 4900);
    for (let i = 0; i < 200; i += 2) expect(set.remove(enc(`n${i}`))).toBe(true);
    for (let i = 1; i < 200; i += 4) set.add(enc(`n${i}`), vec(rng, 16));
    set.reclaim();
    expect(set.validate()).toEqual([]);
    expect(set.card).toBe(100);
    const afterDeletes = set.memoryUsage();
    set.setAttr(set.lookup(enc('n5')), null);
    set.reclaim();
    expect(set.memoryUsage()).toBeLessThan(afterDeletes - 4900);
  });

  test('images of an arena set load into an arena or into memories of their own, and back', () => {
    const rng = new Prng(5);
    const set = VectorSet.create({ dim: 12, quant: Quant.Bin, arena: true, seed: 2, projectFrom: 20 });
    for (let i = 0; i < 50; i++) set.add(enc(`p${i}`), vec(rng, 20), { attr: enc(`"${i}"`) });
    const img = set.images();
    const records = img.records.slice();
    const heap = img.heap.slice();
    expect(VectorSet.validateImages(records, heap)).toBeNull();
    const again = VectorSet.fromImages(records, heap, { arena: true });
    expect(again.inArena).toBe(true);
    const own = VectorSet.fromImages(records, heap);
    expect(own.inArena).toBe(false);
    for (const s of [again, own]) {
      expect(s.validate()).toEqual([]);
      expect(s.card).toBe(50);
      expect(dec(s.getAttr(s.lookup(enc('p7')))!)).toBe('"7"');
    }
    // A set of its own saved (classic layout) loads into an arena too, converted.
    const ownImg = own.images();
    const back = VectorSet.fromImages(ownImg.records.slice(), ownImg.heap.slice(), { arena: true });
    expect(back.inArena).toBe(true);
    expect(back.validate()).toEqual([]);
    const q = vec(rng, 20);
    const a = set.search(set.prepare(q), { count: 5 }, new SearchResults());
    const b = back.search(back.prepare(q), { count: 5 }, new SearchResults());
    expect(Array.from(b.ids.subarray(0, b.count))).toEqual(Array.from(a.ids.subarray(0, a.count)));
    back.add(enc('new'), vec(rng, 20));
    expect(back.validate()).toEqual([]);
  });

  test('a set whose views were dropped gives its images and reclaims without making them again', () => {
    const rng = new Prng(13);
    const set = VectorSet.create({ dim: 16, quant: Quant.Q8, arena: true, seed: 4 });
    for (let i = 0; i < 40; i++) set.add(enc(`d${i}`), vec(rng, 16), { attr: enc(`{"i":${i}}`) });
    for (let i = 0; i < 40; i += 5) set.remove(enc(`d${i}`));
    set.reclaim();
    const img = set.images();
    const records = img.records.slice();
    const heap = img.heap.slice();
    expect(set.dehydrate()).toBe(true);
    const attach = vi.spyOn(SetViews, 'attach');
    try {
      expect(set.reclaim()).toBe(0);
      const without = set.images();
      expect(attach).not.toHaveBeenCalled();
      expect(Buffer.from(without.records).equals(Buffer.from(records))).toBe(true);
      expect(Buffer.from(without.heap).equals(Buffer.from(heap))).toBe(true);
    } finally {
      attach.mockRestore();
    }
    // And the bytes are the set's: they load as a set with the same elements.
    const again = VectorSet.fromImages(records, heap, { arena: true });
    expect(again.validate()).toEqual([]);
    expect(again.card).toBe(32);
    expect(dec(again.getAttr(again.lookup(enc('d7')))!)).toBe('{"i":7}');
    // A set with deletes in limbo still reclaims them once its views are dropped.
    set.remove(enc('d1'));
    expect(set.dehydrate()).toBe(true);
    const pending = set.pendingReclaim; // the node's slot and its heap blocks
    expect(pending).toBeGreaterThan(0);
    expect(set.dehydrate()).toBe(true);
    expect(set.reclaim()).toBe(pending);
    expect(set.pendingReclaim).toBe(0);
    expect(set.validate()).toEqual([]);
  });

  test('small images wider than a thread\'s scratch slot load into memories of their own', () => {
    // 2,100-dim float32 records are 8,548 bytes, past an arena's 8 KiB per-thread query scratch:
    // a search there would write its query into the next thread's slot.
    const rng = new Prng(13);
    const wide = VectorSet.create({ dim: 2100, quant: Quant.NoQuant, seed: 3, arena: true });
    expect(wide.inArena).toBe(false);
    for (let i = 0; i < 4; i++) wide.add(enc(`w${i}`), vec(rng, 2100));
    const img = wide.images();
    const loaded = VectorSet.fromImages(img.records.slice(), img.heap.slice(), { arena: true });
    expect(loaded.inArena).toBe(false);
    expect(loaded.validate()).toEqual([]);
    const q = vec(rng, 2100);
    const a = wide.search(wide.prepare(q), { count: 4 }, new SearchResults());
    const b = loaded.search(loaded.prepare(q), { count: 4 }, new SearchResults());
    expect(Array.from(b.dists.subarray(0, b.count))).toEqual(Array.from(a.dists.subarray(0, a.count)));
  });

  test('a moved block stays intact for a task handed out before the move', () => {
    const rng = new Prng(8);
    const set = VectorSet.create({ dim: 8, quant: Quant.Q8, arena: true, seed: 4 });
    set.add(enc('a'), vec(rng, 8));
    const ticket = arenaSpace.tickets.issue();
    let old = set.handle();
    let oldCard = 0;
    for (let i = 0; ; i++) {
      const h = set.handle();
      const card = set.card;
      set.add(enc(`b${i}`), vec(rng, 8));
      if (JSON.stringify({ ...set.handle(), memory: 0 }) !== JSON.stringify({ ...h, memory: 0 })) {
        old = h;
        oldCard = card;
        break;
      }
    }
    for (let i = 0; i < 100; i++) set.add(enc(`c${i}`), vec(rng, 8));
    // The old block is still what it was when the set left it.
    const reader = VectorSet.attach(old);
    expect(reader.card).toBe(oldCard);
    expect(dec(reader.nameOf(reader.lookup(enc('a'))))).toBe('a');
    const retired = arenaSpace.usage().retired;
    expect(retired).toBeGreaterThan(0);
    arenaSpace.tickets.complete(ticket);
    arenaSpace.drain();
    expect(arenaSpace.usage().retired).toBeLessThan(retired);
  });

  test('a freed heap block is split for new elements before the heap grows', () => {
    const rng = new Prng(12);
    const set = VectorSet.create({ dim: 8, quant: Quant.Q8, arena: true, seed: 6 });
    set.add(enc('a'), vec(rng, 8), { attr: enc('x'.repeat(900)) });
    set.setAttr(set.lookup(enc('a')), null);
    set.reclaim();
    const heapBytes = (set.handle() as { heapBytes: number }).heapBytes;
    // Eight more elements (names, a bigger name table, maybe upper links) fit in the 904 bytes
    // the attribute left: no move to a bigger block for heap.
    for (let i = 0; i < 8; i++) set.add(enc(`b${i}`), vec(rng, 8));
    expect((set.handle() as { heapBytes: number }).heapBytes).toBe(heapBytes);
    expect(set.validate()).toEqual([]);
    expect(set.card).toBe(9);
    for (let i = 0; i < 8; i++) expect(dec(set.nameOf(set.lookup(enc(`b${i}`))))).toBe(`b${i}`);
  });

  test('an allocation failure is an error and leaves the set as it was', () => {
    const rng = new Prng(1);
    const set = VectorSet.create({ dim: 8, quant: Quant.Q8, arena: true, seed: 4 });
    set.add(enc('a'), vec(rng, 8));
    // Every insert that needs a bigger block fails, as with memory exhausted.
    arenaSpace.failAllocations = 1000;
    let err: unknown = null;
    let before = 0;
    let digestBefore = '';
    for (let i = 0; i < 50 && err === null; i++) {
      before = set.card;
      digestBefore = JSON.stringify([...set.nodes()].map((n) => [dec(set.nameOf(n)), Array.from(set.raw(n).bytes)]));
      try {
        set.add(enc(`n${i}`), vec(rng, 8));
      } catch (e) {
        err = e;
      }
    }
    arenaSpace.failAllocations = 0;
    expect((err as Error).name).toBe('SetMemoryError');
    expect(set.card).toBe(before);
    expect(JSON.stringify([...set.nodes()].map((n) => [dec(set.nameOf(n)), Array.from(set.raw(n).bytes)]))).toBe(digestBefore);
    expect(set.validate()).toEqual([]);
    set.add(enc('after'), vec(rng, 8));
    expect(set.card).toBe(before + 1);
    expect(set.validate()).toEqual([]);
  });
});
