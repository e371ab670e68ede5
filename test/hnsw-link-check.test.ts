// The link check's fast pass (src/image/link-check.ts) on small hand-made graphs: what it must
// refuse outright, what the reciprocity checksum must catch, and that reachability is exact
// whatever the slot order (the first pass is heuristic, finishReachability must settle it).
import { describe, expect, test } from 'vitest';
import { checkLinks, finishReachability, finishReachabilityIn, threadScratchBytes, type LinkImage } from '../src/image/link-check.js';
import { COUNT_MASK } from '../src/hnsw/layout.js';
import { createSharedWasmMemory } from '../src/hnsw/platform.js';

const M = 2; // level-0 capacity 4
const STRIDE = 4 * (1 + 2 * M); // meta word, then the links

/** A level-0-only image from adjacency lists (slot → targets); `dead` slots are not live. */
function image(lists: number[][], entry: number, dead: number[] = []): LinkImage {
  const hw = lists.length;
  const i32 = new Int32Array((hw * STRIDE) / 4);
  const lvl = new Int8Array(hw);
  lists.forEach((targets, s) => {
    i32[(s * STRIDE) / 4] = targets.length & COUNT_MASK;
    targets.forEach((t, j) => (i32[(s * STRIDE) / 4 + 1 + j] = t));
    lvl[s] = dead.includes(s) ? -1 : 0;
  });
  return { i32, hi32: new Int32Array(0), lvl, hw, M, recBase: 0, stride: STRIDE, linkOff: 4, entry };
}

function run(img: LinkImage): { verdict: number; cancels: boolean; lanes: number[]; reached: Int32Array } {
  const out = new Int32Array(3);
  const reached = new Int32Array(Math.ceil(img.hw / 32));
  checkLinks(img, reached, Uint32Array.from([0x1234567, 0x89abcdef, 0x2468ace, 0x13579bdf]), out);
  return { verdict: out[2], cancels: (out[0] | out[1]) === 0, lanes: [out[0], out[1]], reached };
}

/** An undirected graph as reciprocal lists. */
function undirected(n: number, edges: Array<[number, number]>): number[][] {
  const lists: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) {
    lists[a].push(b);
    lists[b].push(a);
  }
  return lists;
}

describe('link check fast pass', () => {
  test('reciprocal lists cancel; a one-way link, or a link to a node that is not live, does not', () => {
    const lists = undirected(6, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0]]);
    expect(run(image(lists, 0))).toMatchObject({ verdict: 1, cancels: true });
    const oneWay = lists.map((l) => [...l]);
    oneWay[0].push(3);
    expect(run(image(oneWay, 0))).toMatchObject({ verdict: 1, cancels: false });
    // 5 is not live: its list is not swept, so 0→5 and 4→5 have no partner.
    expect(run(image(lists, 0, [5]))).toMatchObject({ verdict: 1, cancels: false });
  });

  test('out of bounds, self links and duplicates are refused outright', () => {
    const lists = undirected(4, [[0, 1], [1, 2], [2, 3]]);
    for (const bad of [[...lists[0], 4], [...lists[0], -1], [...lists[0], 0], [lists[0][0], lists[0][0]]]) {
      const l = lists.map((x) => [...x]);
      l[0] = bad;
      expect(run(image(l, 0)).verdict, JSON.stringify(bad)).toBe(0);
    }
  });

  test('duplicates in both directions, which would cancel in the checksum, are still refused', () => {
    const lists = [[1, 1], [0, 0]];
    expect(run(image(lists, 0)).verdict).toBe(0);
  });

  test('reachability is exact whatever the slot order', () => {
    // A path laid out so that the first pass, in slot order from the entry (slot 9), reaches
    // almost nothing: 0-1-2-…-9.
    const path = undirected(10, Array.from({ length: 9 }, (_, i) => [i, i + 1] as [number, number]));
    let img = image(path, 9);
    let r = run(img);
    expect(r).toMatchObject({ verdict: 1, cancels: true });
    expect(finishReachability(img, r.reached)).toBe(0);
    // Two components: {0,1,2} with the entry, {3,4} cut off.
    img = image(undirected(5, [[0, 1], [1, 2], [3, 4]]), 1);
    r = run(img);
    expect(r).toMatchObject({ verdict: 1, cancels: true });
    expect(finishReachability(img, r.reached)).toBe(2);
    // A lone node with no links at all, and the rest connected.
    img = image(undirected(4, [[0, 1], [1, 2]]), 2);
    r = run(img);
    expect(finishReachability(img, r.reached)).toBe(1);
  });
});

describe('level 0 exactly (small images, one thread, no WebAssembly)', () => {
  const salt = Uint32Array.from([0x1234567, 0x89abcdef, 0x2468ace, 0x13579bdf]);
  function exact(img: LinkImage): { verdict: number; cancels: boolean; reached: Int32Array } {
    const out = new Int32Array(3);
    const reached = new Int32Array(Math.ceil(img.hw / 32));
    checkLinks(img, reached, salt, out, { exact: true });
    return { verdict: out[2], cancels: (out[0] | out[1]) === 0, reached };
  }
  /** Seeded random undirected graph with up to 2·M links a node (level 0's capacity). */
  function randomGraph(n: number, seed: number): number[][] {
    let x = seed;
    const next = (k: number): number => {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      return (x >>> 0) % k;
    };
    const lists: number[][] = Array.from({ length: n }, () => []);
    for (let tries = 0; tries < 3 * n; tries++) {
      const a = next(n);
      const b = next(n);
      if (a === b || lists[a].includes(b) || lists[a].length >= 2 * M || lists[b].length >= 2 * M) continue;
      lists[a].push(b);
      lists[b].push(a);
    }
    return lists;
  }

  test('a sound image passes with the hashed pass’s reachability marks; every fault the hashed pass finds, it finds', () => {
    const covered = new Set<string>();
    for (const n of [1, 2, 31, 32, 33, 100, 512]) {
      const lists = randomGraph(n, n + 7);
      const sound = image(lists, 0);
      const hashed = run(sound);
      const mine = exact(sound);
      expect(hashed).toMatchObject({ verdict: 1, cancels: true });
      expect(mine).toMatchObject({ verdict: 1, cancels: true });
      expect([...mine.reached], `n ${n}`).toEqual([...hashed.reached]);
      if (n < 3) continue;
      // One-way link, link to a slot that is not live, out of bounds, self link, duplicate.
      const from = lists.findIndex((l) => l.length < 2 * M && l.length > 0);
      const target = lists.findIndex((l, t) => t !== from && !lists[from].includes(t));
      const faults: Array<[string, number[][], number[]]> = [
        ['one-way', lists.map((l, s) => (s === from ? [...l, target] : l)), []],
        ['not live', lists, [lists[from][0]]],
        ['out of bounds', lists.map((l, s) => (s === from ? [...l, n] : l)), []],
        ['negative', lists.map((l, s) => (s === from ? [...l, -1] : l)), []],
        ['self', lists.map((l, s) => (s === from ? [...l, from] : l)), []],
        ['duplicate', lists.map((l, s) => (s === from ? [...l, l[0]] : l)), []],
      ];
      // The one pass checks a link to a lower slot by its reverse bit and counts links to higher
      // slots: faults both ways, from a node in the middle.
      const mid = lists.findIndex((l, s) => s >= n >>> 1 && l.length < 2 * M && l.length > 0);
      const oneWay = (t: number): number[][] => lists.map((l, s) => (s === mid ? [...l, t] : l));
      const up = lists.findIndex((l, t) => t > mid && !lists[mid].includes(t));
      const down = lists.findIndex((l, t) => t < mid && !lists[mid].includes(t));
      if (up >= 0) faults.push(['one-way to a higher slot', oneWay(up), []]);
      if (down >= 0) faults.push(['one-way to a lower slot', oneWay(down), []]);
      const above = lists[mid].find((t) => t > mid);
      const below = lists[mid].find((t) => t < mid);
      if (above !== undefined) faults.push(['not live, higher', lists, [above]]);
      if (below !== undefined) faults.push(['not live, lower', lists, [below]]);
      for (const [label, bad, dead] of faults) {
        covered.add(label);
        const img = image(bad, 0, dead);
        const h = run(img);
        expect(h.verdict === 1 && h.cancels, `${label}, n ${n}: the hashed pass`).toBe(false);
        expect(exact(img).verdict, `${label}, n ${n}`).toBe(0);
      }
    }
    for (const label of ['one-way to a higher slot', 'one-way to a lower slot', 'not live, higher', 'not live, lower']) expect(covered.has(label), label).toBe(true);
  });

  test('duplicates in both directions, and checks one after another: nothing carries over', () => {
    expect(exact(image([[1, 1], [0, 0]], 0)).verdict).toBe(0);
    // A refused image leaves the matrix clean: the next sound one passes.
    const lists = randomGraph(200, 3);
    expect(exact(image(lists.map((l, s) => (s === 5 ? [...l, l[0]] : l)), 0)).verdict).toBe(0);
    expect(exact(image(lists, 0)).verdict).toBe(1);
    expect(exact(image(lists.map((l, s) => (s === 9 ? [...l, 9] : l)), 0)).verdict).toBe(0);
    expect(exact(image(lists, 0)).verdict).toBe(1);
  });

  test('past 512 slots the hashed pass runs: lanes, not a verdict, tell a one-way link', () => {
    const lists = randomGraph(513, 11);
    const from = lists.findIndex((l) => l.length < 2 * M && l.length > 0);
    const target = lists.findIndex((l, t) => t !== from && !lists[from].includes(t));
    const r = exact(image(lists.map((l, s) => (s === from ? [...l, target] : l)), 0));
    expect(r).toMatchObject({ verdict: 1, cancels: false });
  });
});

describe('level 0 in WebAssembly', () => {
  /** The same image laid out in a shared WebAssembly memory, levels and scratch after the records. */
  function inWasm(img: LinkImage): { img: LinkImage; reached: Int32Array; stackPtr: number } {
    const records = img.hw * STRIDE;
    const lvlPtr = Math.ceil(records / 64) * 64;
    const scratch = Math.ceil((lvlPtr + img.hw) / 64) * 64;
    // Then room for the reachability walk's stack.
    const stackPtr = Math.ceil((scratch + threadScratchBytes(img.hw, img.M)) / 64) * 64;
    const end = stackPtr + 4 * img.hw;
    const memory = createSharedWasmMemory(Math.ceil(end / 65536));
    if (memory === null) throw new Error('no shared WebAssembly memory');
    const i32 = new Int32Array(memory.buffer, 0, records / 4);
    i32.set(img.i32);
    const lvl = new Int8Array(memory.buffer, lvlPtr, img.hw);
    lvl.set(img.lvl);
    return { img: { ...img, i32, lvl, wasm: { memory } }, reached: new Int32Array(memory.buffer, scratch, Math.ceil(img.hw / 32)), stackPtr };
  }

  test('the reachability walk counts and marks as the JavaScript one, and leaves its stack zeroed', () => {
    const salt = Uint32Array.from([0x1234567, 0x89abcdef, 0x2468ace, 0x13579bdf]);
    // A long path whose first pass reaches almost nothing (the walk goes 300 deep), two
    // components, a lone node, and a dead slot in the middle of a path.
    const path = (n: number): number[][] => undirected(n, Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number]));
    const cases: Array<[string, number[][], number, number[]]> = [
      ['path', path(300), 299, []],
      ['two components', undirected(9, [[0, 1], [1, 2], [3, 4], [4, 5], [5, 3], [6, 7], [7, 8]]), 1, []],
      ['lone node', undirected(4, [[0, 1], [1, 2]]), 2, []],
      ['dead slot', path(40).map((l, s) => (s === 20 ? [] : l.filter((t) => t !== 20))), 39, [20]],
    ];
    for (const [label, lists, entry, dead] of cases) {
      const plain = image(lists, entry, dead);
      const js = run(plain);
      expect(js.verdict, label).toBe(1);
      const expected = finishReachability(plain, js.reached);
      const w = inWasm(plain);
      const out = new Int32Array(3);
      checkLinks(w.img, w.reached, salt, out);
      expect(out[2], label).toBe(1);
      expect(finishReachabilityIn(w.img.wasm!.memory, w.img, w.reached, w.stackPtr), label).toBe(expected);
      expect([...w.reached], label).toEqual([...js.reached]);
      expect(new Int32Array(w.reached.buffer, w.stackPtr, plain.hw).every((x) => x === 0), label).toBe(true);
    }
  });

  test('gives the same verdict, lanes and marks as the JavaScript twin', () => {
    const ring = undirected(40, Array.from({ length: 40 }, (_, i) => [i, (i + 7) % 40] as [number, number]));
    const oneWay = ring.map((l) => [...l]);
    oneWay[3].push(20);
    const dup = ring.map((l) => [...l]);
    dup[5].push(dup[5][0]);
    const outOfBounds = ring.map((l) => [...l]);
    outOfBounds[9].push(400);
    // Full lists (4 links: the WebAssembly takes four at a time with SIMD) and lists of 3.
    const full = undirected(40, Array.from({ length: 80 }, (_, i) => [i % 40, (i % 40) + (i < 40 ? 1 : 7)].map((x) => x % 40) as [number, number]));
    const three = full.map((l, i) => (i % 5 === 0 ? l.slice(0, 3) : l));
    for (const [label, lists, dead] of [
      ['ring', ring, []],
      ['one-way', oneWay, []],
      ['dead', ring, [12]],
      ['duplicate', dup, []],
      ['bounds', outOfBounds, []],
      ['full', full, []],
      ['full, one dead', full, [3]],
      ['some lists of three', three, []],
    ] as const) {
      const plain = image(lists as number[][], 2, [...dead]);
      const js = run(plain);
      const w = inWasm(plain);
      const out = new Int32Array(3);
      checkLinks(w.img, w.reached, Uint32Array.from([0x1234567, 0x89abcdef, 0x2468ace, 0x13579bdf]), out);
      expect(out[2], label).toBe(js.verdict);
      if (js.verdict === 1) {
        expect([out[0], out[1]], label).toEqual(js.lanes);
        expect([...w.reached], label).toEqual([...js.reached]);
      }
    }
  });

  test('streaming (each chunk waits for its records to be read) gives the same result; a failed read gives none', () => {
    const ring = undirected(40, Array.from({ length: 40 }, (_, i) => [i, (i + 7) % 40] as [number, number]));
    const oneWay = ring.map((l) => [...l]);
    oneWay[3].push(20);
    const salt = Uint32Array.from([0x1234567, 0x89abcdef, 0x2468ace, 0x13579bdf]);
    for (const [label, lists, dead] of [['ring', ring, []], ['one-way', oneWay, []], ['dead', ring, [12]]] as const) {
      const plain = image(lists as number[][], 2, [...dead]);
      const js = run(plain);
      const w = inWasm(plain);
      const readTo = new Int32Array(new SharedArrayBuffer(4));
      readTo[0] = plain.hw;
      const out = new Int32Array(3);
      checkLinks(w.img, w.reached, salt, out, { levels: 'zero', readTo });
      expect(out[2], label).toBe(1);
      expect([out[0], out[1]], label).toEqual(js.lanes);
      expect([...w.reached], label).toEqual([...js.reached]);
      w.reached.fill(0);
      readTo[0] = -1;
      checkLinks(w.img, w.reached, salt, out, { levels: 'zero', readTo });
      expect(out[2], label).toBe(-1);
    }
  });
});
