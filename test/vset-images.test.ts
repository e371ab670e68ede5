// Loading byte images (snapshots, AOF bases, RESTORE payloads) is a gate for arbitrary bytes:
// VectorSet.fromImages accepts only a fully consistent set and refuses anything else with an
// Error naming the problem — never another exception, never a hang, never a set that fails
// validate() or cannot be searched and written. Targeted damage first (each with the message it
// must produce); the seeded random corruptions are in vset-images-fuzz.test.ts.
import { describe, expect, onTestFinished, test } from 'vitest';
import { ImageError, SearchResults, VectorSet } from '../src/vset/index.js';
import { Prng } from '../src/hnsw/prng.js';
import { H, R } from '../src/hnsw/layout.js';
import { enterRead, exitRead } from '../src/hnsw/epoch.js';
import { hashName } from '../src/vset/elements.js';
import { heapChecksInJsFrom } from '../src/image/load-scope.js';
import type { StagedHeap } from '../src/image/streamed-load.js';
import { classBytes, HEAP_CLASSES } from '../src/hnsw/heap.js';
import { headerWordUsed } from '../src/image/image-header.js';
import { createSharedWasmMemory, WASM_PAGE } from '../src/hnsw/platform.js';
import type { SetViews } from '../src/hnsw/layout.js';
import { bases, enc, exercise, gauss, load, refused, setWord, word, type Base } from './helpers/images.js';

describe('targeted damage is refused with a precise message', () => {
  const base = bases[0];
  const rec = (): Uint8Array => base.records.slice();
  const heap = (): Uint8Array => base.heap.slice();
  const stride = word(base.records, H.STRIDE);
  const recBase = word(base.records, H.REC_BASE);
  const linkOff = R.VEC + word(base.records, H.VEC_BYTES);
  const hw = word(base.records, H.HIGH_WATER);
  const metaWord = (slot: number): number => (recBase + slot * stride) >>> 2;
  const linkWord = (slot: number, i: number): number => (recBase + slot * stride + linkOff) / 4 + i;
  const liveSlot = (b: Uint8Array, from = 0): number => {
    for (let s = from; s < hw; s++) if (word(b, metaWord(s)) >>> 24 === 1 && (word(b, metaWord(s)) & 0xffff) > 1) return s;
    throw new Error('no live slot');
  };

  test('the unchanged images load', () => {
    const set = load(rec(), heap());
    expect(typeof set).not.toBe('string');
    exercise(set as VectorSet, new Prng(1));
  });

  test('header', () => {
    let r = rec();
    setWord(r, H.DIM, 0);
    expect(refused(r, heap())).toMatch(/dimension 0 out of range/);
    r = rec();
    setWord(r, H.COUNT, word(r, H.COUNT) + 1);
    expect(refused(r, heap())).toMatch(/header count|live nodes/);
    r = rec();
    setWord(r, H.HIGH_WATER, hw + 1_000_000);
    expect(refused(r, heap())).toMatch(/high-water mark/);
    expect(refused(rec().subarray(0, base.records.length - 4), heap())).toMatch(/high-water mark|records image of/);
    expect(refused(new Uint8Array([...rec(), 0, 0, 0, 0]), heap())).toMatch(/records image of/);
    expect(refused(rec(), heap().subarray(0, base.heap.length - 8))).toMatch(/heap top/);
    expect(refused(rec().subarray(0, 100), heap())).toMatch(/shorter than the header/);
    r = rec();
    setWord(r, 700, 1);
    expect(refused(r, heap())).toMatch(/header word 700 is not zero/);
    r = rec();
    for (let i = 0; i < 4; i++) setWord(r, H.RNG + i, 0);
    expect(refused(r, heap())).toMatch(/level generator/);
    r = rec();
    setWord(r, H.LAYOUT_VERSION, 1);
    expect(refused(r, heap())).toMatch(/unsupported layout version 1/);
  });

  test('a node cut off with all its links removed both ways (reciprocal, but unreachable) is refused', () => {
    const r = rec();
    // A level-0 node (meta level bits 0): drop every link it has and each neighbour's link back,
    // keeping the neighbours' lists compact. Every remaining link is still reciprocated.
    let x = -1;
    for (let s = 0; s < hw && x < 0; s++) {
      const m = word(r, metaWord(s));
      if (m >>> 24 === 1 && ((m >>> 16) & 0x1f) === 0 && (m & 0xffff) > 0) x = s;
    }
    expect(x).toBeGreaterThanOrEqual(0);
    const count = (s: number): number => word(r, metaWord(s)) & 0xffff;
    for (let i = 0; i < count(x); i++) {
      const y = word(r, linkWord(x, i));
      const n = count(y);
      let k = 0;
      for (let j = 0; j < n; j++) {
        const t = word(r, linkWord(y, j));
        if (t !== x) setWord(r, linkWord(y, k++), t);
      }
      setWord(r, linkWord(y, n - 1), -1);
      setWord(r, metaWord(y), word(r, metaWord(y)) - 1);
    }
    for (let i = 0; i < count(x); i++) setWord(r, linkWord(x, i), -1);
    setWord(r, metaWord(x), word(r, metaWord(x)) & ~0xffff);
    expect(refused(r, heap())).toMatch(/1 live node\(s\) unreachable from the entry point on level 0/);
  });

  test('links: out of bounds, to itself, duplicated, one-way, to a level the target lacks', () => {
    const s = liveSlot(base.records);
    let r = rec();
    setWord(r, linkWord(s, 0), 5_000_000);
    expect(refused(r, heap())).toMatch(new RegExp(`node ${s} level 0: link to 5000000 out of bounds`));
    r = rec();
    setWord(r, linkWord(s, 0), s);
    expect(refused(r, heap())).toMatch(/link to itself/);
    r = rec();
    setWord(r, linkWord(s, 1), word(r, linkWord(s, 0)));
    expect(refused(r, heap())).toMatch(/duplicate link/);
    // One-way: s links a live node that does not link back.
    r = rec();
    const mine = new Set<number>();
    for (let i = 0; i < (word(r, metaWord(s)) & 0xffff); i++) mine.add(word(r, linkWord(s, i)));
    let target = -1;
    for (let t = 0; t < hw && target < 0; t++) {
      if (t === s || mine.has(t) || word(r, metaWord(t)) >>> 24 !== 1) continue;
      let back = false;
      for (let i = 0; i < (word(r, metaWord(t)) & 0xffff); i++) if (word(r, linkWord(t, i)) === s) back = true;
      if (!back) target = t;
    }
    setWord(r, linkWord(s, 0), target);
    expect(refused(r, heap())).toMatch(/is not reciprocated/);
    // A level-1 link in a level-0 node's list: claim level 1 for a node without an upper block.
    r = rec();
    setWord(r, metaWord(s), word(r, metaWord(s)) | (1 << 16));
    expect(refused(r, heap())).toMatch(/upper links|max level|outside the heap/);
  });

  test('a link duplicated in both directions (which the checksum cannot see) is refused', () => {
    // s lists t twice and t lists s twice: every pair still appears an even number of times, so
    // only the per-list duplicate check (WebAssembly on level 0 here) can refuse it.
    const M = word(base.records, H.M);
    const count = (b: Uint8Array, x: number): number => word(b, metaWord(x)) & 0xffff;
    const r = rec();
    let s = -1;
    let t = -1;
    for (let x = 0; x < hw && s < 0; x++) {
      if (word(r, metaWord(x)) >>> 24 !== 1 || count(r, x) === 0 || count(r, x) >= 2 * M) continue;
      const y = word(r, linkWord(x, 0));
      if (count(r, y) < 2 * M) [s, t] = [x, y];
    }
    expect(s).toBeGreaterThanOrEqual(0);
    setWord(r, linkWord(s, count(r, s)), t);
    setWord(r, metaWord(s), word(r, metaWord(s)) + 1);
    setWord(r, linkWord(t, count(r, t)), s);
    setWord(r, metaWord(t), word(r, metaWord(t)) + 1);
    expect(refused(r, heap())).toMatch(/duplicate link/);
  });

  test('elements, names, attributes, free lists and reachability', () => {
    // Two name-table entries pointing at the same element: an overlap in the heap.
    let h = heap();
    const table = word(base.records, H.NAME_TABLE);
    const cap = word(h, table / 4);
    const entries: number[] = [];
    for (let i = 1; i < cap; i++) if (word(h, table / 4 + 2 * i) > 1) entries.push(i);
    setWord(h, table / 4 + 2 * entries[1], word(h, table / 4 + 2 * entries[0]));
    expect(refused(rec(), h)).toMatch(/overlaps another block|wrong hash|not found by its name|does not point back/);
    // A name changed in place: its stored hash no longer matches.
    h = heap();
    const elem = word(h, table / 4 + 2 * entries[0]);
    h[elem + 12] ^= 0x20;
    expect(refused(rec(), h)).toMatch(/wrong hash in the name table/);
    // The attributes count.
    let r = rec();
    setWord(r, H.ATTR_COUNT, word(r, H.ATTR_COUNT) - 1);
    expect(refused(r, heap())).toMatch(/attributes-count/);
    // An element's node pointer.
    h = heap();
    setWord(h, (elem + 8) / 4, hw + 7);
    expect(refused(rec(), h)).toMatch(/not a live node/);
    // A free-list cycle in the heap allocator: a head pointing at a live block.
    r = rec();
    setWord(r, H.FREE_LISTS + 2, table);
    expect(refused(r, heap())).toMatch(/free list of 24-byte blocks: block at [0-9]+ (overlaps|of 24 bytes outside)|the name table: block at [0-9]+ overlaps/);
    // A free slot list head on a live slot.
    r = rec();
    setWord(r, H.FREE_SLOT, liveSlot(r));
    expect(refused(r, heap())).toMatch(/free slot list reaches slot/);
    // Cut a node off: drop both directions of all its level-0 links (reciprocity intact).
    r = rec();
    const s = liveSlot(r, 5);
    if (word(r, H.ENTRY) === s) throw new Error('pick another slot');
    const n = word(r, metaWord(s)) & 0xffff;
    for (let i = 0; i < n; i++) {
      const t = word(r, linkWord(s, i));
      const tn = word(r, metaWord(t)) & 0xffff;
      const links: number[] = [];
      for (let j = 0; j < tn; j++) if (word(r, linkWord(t, j)) !== s) links.push(word(r, linkWord(t, j)));
      links.forEach((x, j) => setWord(r, linkWord(t, j), x));
      setWord(r, metaWord(t), (word(r, metaWord(t)) & ~0xffff) | links.length);
    }
    setWord(r, metaWord(s), word(r, metaWord(s)) & ~0xffff);
    expect(refused(r, heap())).toMatch(/1 live node\(s\) unreachable from the entry point/);
  });

  test('free lists of the largest classes name blocks outside the heap, on both heap-check paths', () => {
    // Class sizes of 2^31 do not fit a 32-bit WebAssembly parameter; passed as one they once
    // read as a negative (so 8-byte) block, and a head at 8 was taken as an overlap or accepted.
    for (const jsFrom of [0, 262_144]) {
      const previous = heapChecksInJsFrom(jsFrom);
      try {
        for (const cls of [HEAP_CLASSES - 1, HEAP_CLASSES - 2]) {
          const bytes = classBytes(cls);
          for (const at of [8, 16, word(base.records, H.NAME_TABLE)]) {
            const r = rec();
            setWord(r, H.FREE_LISTS + cls, at);
            expect(refused(r, heap())).toBe(`free list of ${bytes}-byte blocks: block at ${at} of ${bytes} bytes outside the heap (${base.heap.length} bytes)`);
          }
        }
      } finally {
        heapChecksInJsFrom(previous);
      }
    }
  });

  test('duplicate names are refused even when both are findable', () => {
    // Two elements with the same name, both reachable by probing: a key under which 'ab' sits
    // right after 'aa' in the table, then 'ab' renamed to 'aa' with aa's hash. Only the
    // uniqueness check can catch this one. (A new set's table has 8 entries.)
    let key: [number, number] = [0, 0];
    for (let k = 1; ; k++) {
      const ha = hashName(k, 7, enc('aa')) & 7;
      const hb = hashName(k, 7, enc('ab')) & 7;
      if (ha >= 1 && ha <= 5 && hb === ha + 1) {
        key = [k, 7];
        break;
      }
    }
    const set = VectorSet.create({ dim: 2, seed: 9, nameKey: key });
    set.add(enc('aa'), Float32Array.from([1, 0]));
    set.add(enc('ab'), Float32Array.from([0, 1]));
    const img = set.images();
    const r = img.records.slice();
    const h = img.heap.slice();
    const table = word(r, H.NAME_TABLE);
    expect(word(h, table / 4)).toBe(8);
    const aa = hashName(key[0], key[1], enc('aa'));
    const at = aa & 7;
    const ab = word(h, table / 4 + 2 * (at + 1));
    expect(Buffer.from(h.subarray(ab + 12, ab + 14)).toString()).toBe('ab');
    h[ab + 13] = 0x61;
    setWord(h, table / 4 + 2 * (at + 1) + 1, aa);
    expect(refused(r, h)).toBe('duplicate element name "aa"');
  });

  test('a duplicate in a run that spans two calls of the WebAssembly run check is refused', () => {
    // The run check goes in calls of 8192 entries from the first empty one (src/image/check-memory.ts):
    // a table of 16384 entries, and a run of crafted names across the first boundary.
    const key: [number, number] = [4242, 99];
    const rng = new Prng(45);
    const set = VectorSet.create({ dim: 4, seed: 45, nameKey: key });
    for (let i = 0; i < 6200; i++) set.add(enc(`base${i}`), gauss(rng, 4));
    const entries = (h: Uint8Array, table: number): number => word(h, table / 4);
    let img = set.images();
    let table = word(img.records, H.NAME_TABLE);
    expect(entries(img.heap, table)).toBe(16384);
    let empty = 1;
    while (word(img.heap, table / 4 + 2 * empty) !== 0) empty++;
    // The last free entry up to the boundary: the first crafted name goes there, the others
    // after the entries that follow it, past the boundary.
    let home = empty + 8192;
    while (word(img.heap, table / 4 + 2 * home) !== 0) home--;
    const names: string[] = [];
    for (let i = 0; names.length < 8; i++) {
      const name = `y${String(i).padStart(7, '0')}`;
      if ((hashName(key[0], key[1], enc(name)) & 16383) === home) names.push(name);
    }
    for (const name of names) set.add(enc(name), gauss(rng, 4));
    img = set.images();
    const r = img.records.slice();
    const h = img.heap.slice();
    table = word(r, H.NAME_TABLE);
    expect(load(r, h)).toBeInstanceOf(VectorSet);
    // Where the crafted names went (from their home on, the first free entries).
    const at = new Map<string, number>();
    for (let e = home; e < home + 64; e++) {
      const ref = word(h, table / 4 + 2 * e);
      if (ref <= 1) continue;
      const name = Buffer.from(h.subarray(ref + 12, ref + 12 + word(h, ref / 4))).toString();
      if (names.includes(name)) at.set(name, e);
    }
    const first = at.get(names[0])!;
    const last = at.get(names[names.length - 1])!;
    // Both in one run, on either side of the boundary.
    expect(first).toBeLessThanOrEqual(empty + 8192);
    expect(last).toBeGreaterThan(empty + 8192);
    for (let e = first; e <= last; e++) expect(word(h, table / 4 + 2 * e)).not.toBe(0);
    const lastRef = word(h, table / 4 + 2 * last);
    h.set(enc(names[0]), lastRef + 12);
    setWord(h, table / 4 + 2 * last + 1, word(h, table / 4 + 2 * first + 1));
    expect(refused(r, h)).toBe(`duplicate element name "${names[0]}"`);
  });

  test('a long probe run (names crafted to share one home entry) loads; a duplicate inside it is refused', () => {
    // 70 names with the same home entry in a 128-entry table form one run: longer than the
    // pairwise comparison handles (16) and than the run buffer starts with (64).
    const key: [number, number] = [12345, 678];
    const names: string[] = [];
    for (let i = 0; names.length < 70; i++) {
      const name = `x${String(i).padStart(5, '0')}`;
      if ((hashName(key[0], key[1], enc(name)) & 127) === 5) names.push(name);
    }
    const rng = new Prng(44);
    const set = VectorSet.create({ dim: 4, seed: 44, nameKey: key });
    for (const name of names) set.add(enc(name), gauss(rng, 4));
    const img = set.images();
    const r = img.records.slice();
    const h = img.heap.slice();
    const table = word(r, H.NAME_TABLE);
    expect(word(h, table / 4)).toBe(128);
    expect(load(r, h)).toBeInstanceOf(VectorSet);
    // Rename the element in the run's last entry to the first one's name (same length, same
    // home), with the first one's hash: both stay findable, only uniqueness can catch it.
    const firstRef = word(h, table / 4 + 2 * 5);
    const lastEntry = 5 + names.length - 1;
    const lastRef = word(h, table / 4 + 2 * lastEntry);
    const firstName = Buffer.from(h.subarray(firstRef + 12, firstRef + 18)).toString();
    h.set(enc(firstName), lastRef + 12);
    setWord(h, table / 4 + 2 * lastEntry + 1, word(h, table / 4 + 2 * 5 + 1));
    expect(refused(r, h)).toBe(`duplicate element name "${firstName}"`);
  });
});

describe('the check leaves no trace', () => {
  // The check's scratch lies after the records image in the set's own memory, where the set's
  // next nodes go: every byte it wrote must be zero again once the set is made.
  for (const [base, path] of bases.flatMap((b) => [[b, 'in WebAssembly'], [b, 'in JS']] as const)) {
    test(`${base.label}, heap checks ${path}: the records memory past the image reads as zero`, () => {
      const previous = heapChecksInJsFrom(path === 'in JS' ? 0 : 262_144);
      onTestFinished(() => {
        heapChecksInJsFrom(previous);
      });
      const set = VectorSet.fromImages(base.records, base.heap);
      const v = (set as unknown as { v: SetViews }).v;
      const past = v.u8.subarray(base.records.length);
      expect(past.length).toBeGreaterThan(0);
      expect(past.findIndex((b) => b !== 0)).toBe(-1);
    });
  }
});

describe('limbo in an image', () => {
  test('slots and blocks retired but not reclaimed become free on load, not leaked', () => {
    const rng = new Prng(30);
    const set = VectorSet.create({ dim: 8, seed: 30 });
    for (let i = 0; i < 200; i++) set.add(enc(`e${i}`), gauss(rng, 8), { attr: enc(`attr-${i}`) });
    const v = (set as unknown as { v: SetViews }).v;
    const reader = enterRead(v); // a search in progress keeps everything deleted in limbo
    for (let i = 0; i < 100; i++) set.remove(enc(`e${i}`));
    expect(set.pendingReclaim).toBeGreaterThan(0);
    expect(set.validate()).toEqual([]);
    const img = set.images();
    const copy = VectorSet.fromImages(img.records.slice(), img.heap.slice());
    // The heap checks in JS find the same gaps (SetCheck.gaps) and free them the same way.
    const previous = heapChecksInJsFrom(0);
    let viaJs: VectorSet;
    try {
      viaJs = VectorSet.fromImages(img.records.slice(), img.heap.slice());
    } finally {
      heapChecksInJsFrom(previous);
    }
    expect(Buffer.from(copy.images().heap).equals(Buffer.from(viaJs.images().heap))).toBe(true);
    expect(Buffer.from(copy.images().records).equals(Buffer.from(viaJs.images().records))).toBe(true);
    exitRead(v, reader);
    expect(copy.validate()).toEqual([]);
    expect(copy.card).toBe(100);
    // The deleted slots are reused by the next inserts, before the high-water mark moves.
    const before = img.records.length;
    for (let i = 0; i < 100; i++) copy.add(enc(`n${i}`), gauss(rng, 8), { attr: enc(`attr-${i}`) });
    expect(copy.images().records.length).toBe(before);
    // … and the heap blocks of the deleted elements and attributes too: the heap grows little,
    // but for a name table rebuilt meanwhile (the deleted names' tombstones fill a small table:
    // at 7/8 of 256 entries, elements.ts tableLimit), which is room for live names, not a leak.
    const grown = copy.images();
    const table = word(grown.records, H.NAME_TABLE);
    const rebuilt = table !== word(img.records, H.NAME_TABLE) ? word(grown.heap, table / 4) * 8 : 0;
    expect(grown.heap.length).toBeLessThanOrEqual(img.heap.length + 4096 + rebuilt);
    expect(copy.validate()).toEqual([]);
  });
});

describe('a heap image staged in a check memory (a snapshot load with a helper thread)', () => {
  /**
   * The records image in fresh memory and the heap image in a staging memory (as stageHeap
   * makes it), with the set's own heap buffer holding `inHeap`; the staging records what the
   * check asks of it, and its fill copies as the helper would.
   */
  function stagedLoad(base: Base, staged: Uint8Array, inHeap: Uint8Array | null): { result: VectorSet | string; calls: string[] } {
    const rec = VectorSet.imageMemory.records(base.records.length);
    rec.records.set(base.records);
    const heap = VectorSet.imageMemory.heap(staged.length);
    if (inHeap !== null) heap.heap.set(inHeap);
    const mem = createSharedWasmMemory(Math.max(1, Math.ceil(staged.length / WASM_PAGE)));
    if (mem === null) throw new Error('no WebAssembly memory');
    const bytes = new Uint8Array(mem.buffer, 0, staged.length);
    bytes.set(staged);
    const calls: string[] = [];
    const staging: StagedHeap = {
      bytes,
      mem,
      startCopy: () => void calls.push('startCopy'),
      fill: () => {
        calls.push('fill');
        heap.heap.set(bytes);
      },
    };
    try {
      return { result: VectorSet.fromImageMemory({ ...rec, ...heap }, { staged: staging }), calls };
    } catch (e) {
      expect(e).toBeInstanceOf(ImageError);
      return { result: (e as Error).message, calls };
    }
  }

  const cases = bases.flatMap((b) => [[b.label, 'in WebAssembly', b] as const, [b.label, 'in JS', b] as const]);
  test.each(cases)('%s, heap checks %s: checked where it lies, then copied into the set before it is made', (_label, path, base) => {
    const previous = heapChecksInJsFrom(path === 'in JS' ? 0 : 262_144);
    onTestFinished(() => {
      heapChecksInJsFrom(previous);
    });
    // The set's heap buffer holds nothing until fill: a set made before it, or from it, would fail.
    const { result, calls } = stagedLoad(base, base.heap, null);
    expect(typeof result, String(result)).not.toBe('string');
    expect(calls).toEqual(['startCopy', 'fill']);
    const set = result as VectorSet;
    const plain = VectorSet.fromImages(base.records, base.heap);
    expect([...set.nodes()].map((n) => Buffer.from(set.nameOf(n)).toString())).toEqual([...plain.nodes()].map((n) => Buffer.from(plain.nameOf(n)).toString()));
    const rng = new Prng(7);
    const inputDim = base.inputDim;
    const a = new SearchResults();
    const b = new SearchResults();
    for (let i = 0; i < 5; i++) {
      const v = gauss(rng, inputDim);
      set.search(set.prepare(v), { count: 5, ef: 20 }, a);
      plain.search(plain.prepare(v), { count: 5, ef: 20 }, b);
      expect(Array.from(a.ids.subarray(0, a.count))).toEqual(Array.from(b.ids.subarray(0, b.count)));
    }
    exercise(set, rng);
  });

  test('a damaged staged image is refused even when the set buffer holds a sound one; fill is never asked', () => {
    const base = bases[0];
    const damaged = base.heap.slice();
    // The name table's capacity word (the table's first word).
    const table = word(base.records, H.NAME_TABLE);
    setWord(damaged, table >>> 2, 3);
    const { result, calls } = stagedLoad(base, damaged, base.heap);
    expect(result).toBe(refused(base.records, damaged));
    expect(calls).not.toContain('fill');
  });
});

describe('name table fill (elements.ts tableLimit)', () => {
  const capOf = (set: VectorSet): number => {
    const img = set.images();
    return word(img.heap, word(img.records, H.NAME_TABLE) / 4);
  };
  const setOf = (n: number, seed: number): VectorSet => {
    const rng = new Prng(seed);
    const set = VectorSet.create({ dim: 4, seed, arena: true });
    onTestFinished(() => set.dispose());
    for (let i = 0; i < n; i++) set.add(enc(`e${i}`), gauss(rng, 4));
    return set;
  };

  test('small tables hold up to 7/8 of their entries, larger ones 3/4', () => {
    // 8 entries (7 usable): 6 names; 64: 55; 256: 223; past 256 entries 3/4 (1024: 767). A rebuild
    // makes room for twice the live names (the 7th name: 32 entries). At 3/4, 50 names took 128.
    for (const [n, cap] of [[6, 8], [7, 32], [50, 64], [55, 64], [56, 128], [223, 256], [224, 512], [767, 1024], [768, 2048]] as const) {
      expect(capOf(setOf(n, n)), `${n} names`).toBe(cap);
    }
  });

  test('the image check holds a table to the same limit', () => {
    const set = setOf(55, 7);
    const img = set.images();
    expect(load(img.records.slice(), img.heap.slice())).toBeInstanceOf(VectorSet);
    // One tombstone more in an empty entry (and counted): 56 of 63 usable, past 7/8.
    const r = img.records.slice();
    const h = img.heap.slice();
    const t = word(r, H.NAME_TABLE) / 4;
    let e = 1;
    while (word(h, t + 2 * e) !== 0) e++;
    setWord(h, t + 2 * e, 1);
    setWord(r, H.NAME_USED, word(r, H.NAME_USED) + 1);
    expect(refused(r, h)).toBe('name table over-full (56 of 63 entries)');
    // A large table at 3/4 + 1: 768 of 1023.
    const big = setOf(767, 8).images();
    const br = big.records.slice();
    const bh = big.heap.slice();
    const bt = word(br, H.NAME_TABLE) / 4;
    expect(word(bh, bt)).toBe(1024);
    e = 1;
    while (word(bh, bt + 2 * e) !== 0) e++;
    setWord(bh, bt + 2 * e, 1);
    setWord(br, H.NAME_USED, word(br, H.NAME_USED) + 1);
    expect(refused(br, bh)).toBe('name table over-full (768 of 1023 entries)');
  });
});

describe('the header of a small set (compact layout)', () => {
  const set = VectorSet.create({ dim: 4, seed: 11, arena: true });
  const rng = new Prng(11);
  for (let i = 0; i < 20; i++) set.add(enc(`e${i}`), gauss(rng, 4));
  const img = set.images();
  const headerWords = word(img.records, H.REC_BASE) / 4;

  test('every word outside the named fields must be zero, and only those', () => {
    expect(headerWords).toBe(224);
    expect(load(img.records.slice(), img.heap.slice())).toBeInstanceOf(VectorSet);
    const zeroed: number[] = [];
    for (let i = 0; i < headerWords; i++) {
      if (headerWordUsed(i)) continue;
      zeroed.push(i);
      const r = img.records.slice();
      setWord(r, i, 1);
      expect(refused(r, img.heap.slice())).toBe(`header word ${i} is not zero`);
    }
    // The words after the free lists' heads, bar the name key: 213-215 and 218-223.
    expect(zeroed).toEqual([213, 214, 215, 218, 219, 220, 221, 222, 223]);
    // A reader slot of the process that wrote the image is not checked (adoption clears it).
    const r = img.records.slice();
    setWord(r, H.ACTIVE_EPOCH + 31, 5);
    expect(load(r, img.heap.slice())).toBeInstanceOf(VectorSet);
  });

  test('a free list head is walked in any class, the last one included', () => {
    for (const cls of [0, 40, HEAP_CLASSES - 1]) {
      const r = img.records.slice();
      const at = word(r, H.NAME_TABLE);
      setWord(r, H.FREE_LISTS + cls, at);
      expect(refused(r, img.heap.slice())).toMatch(new RegExp(`^free list of ${classBytes(cls)}-byte blocks: block at [0-9]+ (overlaps|of [0-9]+ bytes outside)`));
    }
  });
});
