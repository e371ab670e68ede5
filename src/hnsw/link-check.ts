// The link check of a set image (see image.ts, SetCheck.links), on its own so that a helper
// thread can run it (workers/check-worker.ts) while the loading thread checks the elements: on a
// large image these are the two biggest parts of a load.
//
// One sequential sweep over every list (level 0 in the records, upper levels in the heap) that
// touches nothing large at random, because at a million nodes a random access into a per-node
// array is a cache miss and there are 25 million links:
//  - bounds and self links: compares, no memory;
//  - duplicates within a list: a small table of the list's targets (≥ twice its length), in L1;
//  - reciprocity: one XOR accumulator (two 32-bit lanes) over all links of a salted hash of the
//    *unordered* pair and the level; reciprocated pairs cancel, so what remains is the XOR of
//    the one-way pairs' hashes, zero only by a 2^-64 accident (the salts are random, per check).
//    This also proves every target live and on that level: only live nodes' lists are swept,
//    and only up to each node's level, so a link to anything else has no partner to cancel it;
//  - level-0 reachability, first pass: a bitmap (one bit per slot, 128 KiB at a million nodes)
//    seeded with the entry point; a node whose list touches a marked node, or that is marked,
//    marks itself and its whole list. In slot order (roughly insertion order) this reaches
//    nearly every node; `finishReachability` settles the rest exactly.
// Level 0 — nearly all the links — runs in WebAssembly (image-check.wat) when the image is in a
// WebAssembly memory, which a loaded set's records always are unless the JS kernels were asked
// for; the JS loop below is its twin (same hash, same lanes) for the other cases.

import { COUNT_MASK, EMPTY_LINK, R } from './layout.js';
import { WASM_BYTES } from './image-check.wasm.generated.js';
import { compileWasm, instantiateWasm, type WasmMemory } from './platform.js';

/** Where the lists are: the records image and heap as words, and the geometry. */
export interface LinkImage {
  i32: Int32Array;
  hi32: Int32Array;
  /** Per slot below the high-water mark: the node's level if live, −1 otherwise. */
  lvl: Int8Array;
  hw: number;
  M: number;
  recBase: number;
  stride: number;
  linkOff: number;
  entry: number;
  /**
   * Set when the records image is in a WebAssembly memory and `lvl` is a view of that memory:
   * level 0 is then checked by image-check.wat. Each thread's `reached` must then be the start
   * of its own scratch region of that memory, `threadScratchBytes` long and zeroed.
   */
  wasm?: { memory: WasmMemory };
}

/** The duplicate table's size for lists of up to 2·M links: at least twice that, a power of two. */
function dupSlots(M: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(64, 4 * M)));
}

/**
 * Bytes of one thread's scratch for the WebAssembly level-0 check: the reachability bitmap, then
 * the duplicate table's keys and generations, then out = [lane 1, lane 2, generation].
 */
export function threadScratchBytes(hw: number, M: number): number {
  return Math.ceil(hw / 32) * 4 + 2 * dupSlots(M) * 4 + 16;
}

type Links0 = (...args: number[]) => number;
let links0Module: object | null = null;

/** image-check.wat's links0 over `memory` (compiled once per thread, instantiated per call). */
function wasmLinks0(memory: WasmMemory): Links0 {
  if (links0Module === null) links0Module = compileWasm(WASM_BYTES);
  return instantiateWasm(links0Module, { env: { memory } }).exports.links0 as Links0;
}

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The two lanes of the salted hash of the unordered pair {s, t} on level l (level 0 and the
 * upper levels are two loops, since their lists live in different kinds of memory; these keep
 * them hashing alike).
 */
function lane1(s: number, t: number, l: number, s0: number, s1: number): number {
  const a = s < t ? s : t;
  const b = s < t ? t : s;
  return fmix32(Math.imul(a ^ s0, 0xcc9e2d51) + Math.imul(b ^ s1, 0x1b873593) + l);
}

function lane2(s: number, t: number, l: number, s2: number, s3: number): number {
  const a = s < t ? s : t;
  const b = s < t ? t : s;
  return fmix32(Math.imul(b ^ s2, 0x85ebca6b) + Math.imul(a ^ s3, 0xc2b2ae35) + Math.imul(l, 0x27d4eb2f));
}

/**
 * Enters t in the current list's duplicate table (entries of older lists carry an older `gen`
 * and count as empty); false when the list already holds t.
 */
function firstInList(keys: Int32Array, gens: Int32Array, gen: number, t: number, shift: number, mask: number): boolean {
  let h = Math.imul(t, 0x9e3779b1) >>> shift;
  while (gens[h] === gen) {
    if (keys[h] === t) return false;
    h = (h + 1) & mask;
  }
  gens[h] = gen;
  keys[h] = t;
  return true;
}

/** Nodes per share when two threads split the check (see checkLinks' `cursor`). */
const CHUNK = 4096;

/**
 * Checks every list. `reached` (⌈hw/32⌉ words, zeroed) receives the first reachability pass.
 * Writes the two XOR lanes to out[0], out[1] and out[2] = 1, or out[2] = 0 as soon as a link is
 * out of bounds, to itself, or duplicated in its list (the caller then looks for the culprit).
 *
 * With `cursor` (shared memory, starting at 0), several threads can run this at once: each takes
 * the next CHUNK nodes until none are left, and its lanes cover the nodes it took (the XOR of
 * all threads' lanes is the whole check). A thread that finds a fault moves the cursor to the
 * end, so the others stop. Each thread marks its own `reached` (OR them afterwards): a shared
 * bitmap, written at random by two cores, ran both at half speed (its cache lines bounced).
 */
export function checkLinks(img: LinkImage, reached: Int32Array, salt: Uint32Array, out: Int32Array, cursor?: Int32Array): void {
  const { i32, hi32, lvl, hw, M, recBase, stride, linkOff } = img;
  const slots = dupSlots(M);
  const mask = slots - 1;
  const shift = 32 - Math.log2(slots);
  const keys = new Int32Array(slots);
  const gens = new Int32Array(slots);
  const s0 = salt[0] | 0;
  const s1 = salt[1] | 0;
  const s2 = salt[2] | 0;
  const s3 = salt[3] | 0;
  let g1 = 0;
  let g2 = 0;
  let gen = 0;
  out[2] = 0;
  // Level 0 in WebAssembly: its duplicate table and lanes in this thread's scratch, after `reached`.
  const links0 = img.wasm ? wasmLinks0(img.wasm.memory) : null;
  const reachedPtr = reached.byteOffset;
  const keysPtr = reachedPtr + Math.ceil(hw / 32) * 4;
  const gensPtr = keysPtr + slots * 4;
  const outPtr = gensPtr + slots * 4;
  const lvlPtr = lvl.byteOffset;
  if (img.entry >= 0 && img.entry < hw) reached[img.entry >>> 5] |= 1 << (img.entry & 31);
  const fault = (): void => {
    if (cursor) Atomics.store(cursor, 0, hw);
  };
  for (let from = cursor ? Atomics.add(cursor, 0, CHUNK) : 0; from < hw; from = cursor ? Atomics.add(cursor, 0, CHUNK) : hw) {
    const to = cursor ? Math.min(hw, from + CHUNK) : hw;
    if (links0 !== null) {
      if (links0(hw, recBase, stride, linkOff, lvlPtr, reachedPtr, keysPtr, gensPtr, shift, mask, s0, s1, s2, s3, from, to, outPtr) !== 1) return fault();
    } else {
      for (let s = from; s < to; s++) {
        if (lvl[s] < 0) continue;
        const rec = recBase + s * stride;
        const n = i32[rec >>> 2] & COUNT_MASK;
        const base = (rec + linkOff) >>> 2;
        gen++;
        let hit = (reached[s >>> 5] >>> (s & 31)) & 1;
        for (let j = 0; j < n; j++) {
          const t = i32[base + j];
          if (!(t >= 0 && t < hw) || t === s || !firstInList(keys, gens, gen, t, shift, mask)) return fault();
          g1 ^= lane1(s, t, 0, s0, s1);
          g2 ^= lane2(s, t, 0, s2, s3);
          hit |= (reached[t >>> 5] >>> (t & 31)) & 1;
        }
        if (hit !== 0) {
          reached[s >>> 5] |= 1 << (s & 31);
          for (let j = 0; j < n; j++) {
            const t = i32[base + j];
            reached[t >>> 5] |= 1 << (t & 31);
          }
        }
      }
    }
    // Upper levels: lists of M words in the node's heap block, EMPTY_LINK-terminated (records()
    // checked the block's bounds and the termination).
    for (let s = from; s < to; s++) {
      const level = lvl[s];
      if (level < 1) continue;
      const upper = i32[(recBase + s * stride + R.UPPER) >>> 2] >>> 2;
      for (let l = 1; l <= level; l++) {
        const ub = upper + (l - 1) * M;
        gen++;
        for (let j = 0; j < M; j++) {
          const t = hi32[ub + j];
          if (t === EMPTY_LINK) break;
          if (!(t >= 0 && t < hw) || t === s || !firstInList(keys, gens, gen, t, shift, mask)) return fault();
          g1 ^= lane1(s, t, l, s0, s1);
          g2 ^= lane2(s, t, l, s2, s3);
        }
      }
    }
  }
  if (links0 !== null) {
    const w = new Int32Array(reached.buffer, outPtr, 2);
    g1 ^= w[0];
    g2 ^= w[1];
  }
  out[0] = g1;
  out[1] = g2;
  out[2] = 1;
}

/**
 * Completes level-0 reachability after `checkLinks` passed (links in bounds and reciprocal):
 * every live node not yet marked that has a marked neighbour starts a depth-first walk marking
 * what it reaches. Linear: each node is walked at most once. Returns the live nodes left
 * unmarked — those not connected to the entry point.
 */
export function finishReachability(img: LinkImage, reached: Int32Array): number {
  const { i32, lvl, hw, recBase, stride, linkOff } = img;
  const isMarked = (x: number): boolean => ((reached[x >>> 5] >>> (x & 31)) & 1) !== 0;
  const stack: number[] = [];
  let unreached = 0;
  for (let u = 0; u < hw; u++) {
    if (lvl[u] < 0 || isMarked(u)) continue;
    const rec = recBase + u * stride;
    const n = i32[rec >>> 2] & COUNT_MASK;
    const base = (rec + linkOff) >>> 2;
    let touches = false;
    for (let j = 0; j < n && !touches; j++) touches = isMarked(i32[base + j]);
    if (!touches) continue;
    reached[u >>> 5] |= 1 << (u & 31);
    stack.push(u);
    while (stack.length > 0) {
      const x = stack.pop()!;
      const xr = recBase + x * stride;
      const xn = i32[xr >>> 2] & COUNT_MASK;
      const xb = (xr + linkOff) >>> 2;
      for (let j = 0; j < xn; j++) {
        const v = i32[xb + j];
        if (isMarked(v)) continue;
        reached[v >>> 5] |= 1 << (v & 31);
        stack.push(v);
      }
    }
  }
  for (let u = 0; u < hw; u++) if (lvl[u] >= 0 && !isMarked(u)) unreached++;
  return unreached;
}
