// The link check of a set image (see set-check.ts, SetCheck.links), on its own so that a helper
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

import { COUNT_MASK, EMPTY_LINK, F, MAX_LEVEL, R } from '../hnsw/layout.js';
import { WASM_BYTES } from './image-check.wasm.generated.js';
import { CALL_CHUNK, compileWasm, instantiateWasm, type WasmMemory } from '../hnsw/platform.js';
import { takeReadPieces, type PieceCrcs } from './piece-crc.js';
import { pow2 } from '../hnsw/pow2.js';
import { HELPER_SCRATCH_SLOT, SCRATCH_BYTES } from '../hnsw/arena.js';
import { threadId } from 'node:worker_threads';

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
export function dupSlots(M: number): number {
  return pow2(32 - Math.clz32(Math.max(64, 4 * M) - 1));
}

/**
 * Bytes of one thread's scratch for the WebAssembly level-0 check: the reachability bitmap, then
 * the duplicate table's keys and generations, then out = [lane 1, lane 2, generation].
 */
export function threadScratchBytes(hw: number, M: number): number {
  return Math.ceil(hw / 32) * 4 + 2 * dupSlots(M) * 4 + 16;
}

type WasmFn = (...args: number[]) => number;
let checkModule: object | null = null;

/**
 * Where the load's helper is checking a small set that lies in an arena (set-batch.ts): the
 * arena's memory, the buffer the check's views were made of, and the records image's byte offset
 * in it. level0Matrix then runs in WebAssembly in the helper's scratch slot of that arena.
 */
export interface ArenaImageAt {
  memory: WasmMemory;
  buffer: ArrayBufferLike;
  recordsAt: number;
}
let arenaImage: ArenaImageAt | null = null;

/** Tells the link check that the image it checks next is this one in an arena (null: none). */
export function checkingInArena(at: ArenaImageAt | null): void {
  arenaImage = at;
}

/** Images of up to this many slots take matrix0: the lock word, the marks and the matrix fit one scratch slot. */
const MATRIX_WASM_MAX_SLOTS = 224;
/** Per arena memory, on the helper: matrix0 over it, and the helper's scratch slot as words. */
const arenaMatrices = new WeakMap<WasmMemory, { matrix0: WasmFn; scratch: Int32Array }>();

/**
 * level0Matrix in WebAssembly (image-check.wat, matrix0) for an image in an arena: ~20 % faster,
 * and it is the largest part of a small set's check. The scratch slot's first word is a lock: a
 * helper of an earlier load may not have stopped yet. Null when it cannot run (then the JS pass does).
 */
function level0MatrixWasm(at: ArenaImageAt, img: LinkImage, reached: Int32Array): boolean | null {
  const hw = img.hw;
  if (hw > MATRIX_WASM_MAX_SLOTS || img.i32.buffer !== at.buffer || img.i32.byteOffset !== at.recordsAt) return null;
  let am = arenaMatrices.get(at.memory);
  if (am === undefined) {
    if (checkModule === null) checkModule = compileWasm(WASM_BYTES);
    const e = instantiateWasm(checkModule, { env: { memory: at.memory } }).exports;
    am = { matrix0: e.matrix0 as WasmFn, scratch: new Int32Array(at.memory.buffer, HELPER_SCRATCH_SLOT * SCRATCH_BYTES, SCRATCH_BYTES / 4) };
    arenaMatrices.set(at.memory, am);
  }
  const sc = am.scratch;
  if (Atomics.compareExchange(sc, 0, 0, threadId + 1) !== 0) return null;
  try {
    const W = (hw + 31) >>> 5;
    for (let k = 0; k < W; k++) sc[1 + k] = reached[k];
    const base = sc.byteOffset;
    const ok = am.matrix0(hw, at.recordsAt + img.recBase, img.stride, img.linkOff, F.LIVE, base + 4 * (1 + W), base + 4) === 1;
    for (let k = 0; k < W; k++) reached[k] = sc[1 + k];
    return ok;
  } finally {
    Atomics.store(sc, 0, 0);
  }
}

/** image-check.wat's functions over `memory` (compiled once per thread, instantiated per call). */
export function imageCheckWasm(memory: WasmMemory): { links0: WasmFn; records0: WasmFn; reach: WasmFn; unreached: WasmFn } {
  if (checkModule === null) checkModule = compileWasm(WASM_BYTES);
  const e = instantiateWasm(checkModule, { env: { memory } }).exports;
  return { links0: e.links0 as WasmFn, records0: e.records0 as WasmFn, reach: e.reach as WasmFn, unreached: e.unreached as WasmFn };
}

/**
 * The node records' own checks (image-check.wat, records0; SetCheck.records in records-check.ts) run
 * chunk by chunk just before the chunk's level-0 links, over the scratch of SetCheck's layout:
 * lvl, every slot's element ref (elems), the per-chunk lists of slots left for the heap checks
 * (triples slot, upper block, meta at specials + 12·from) and the per-chunk counts
 * (info + 8·chunk: [slots listed or −1 after a fault, live nodes]).
 */
export interface RecordsPass {
  lvlPtr: number;
  elemsPtr: number;
  specialsPtr: number;
  infoPtr: number;
  maxLevel: number;
  linkCap: number;
  padFrom: number;
  padTo: number;
  binTail: number;
}

/** records0 over [from, to) (see RecordsPass); false when a slot fails (info then says −1). */
export function recordsChunk(records0: WasmFn, img: LinkImage, rp: RecordsPass, from: number, to: number): boolean {
  const info = rp.infoPtr + (from / CHUNK) * 8;
  const ok =
    records0(from, to, img.recBase, img.stride, rp.lvlPtr, rp.specialsPtr + from * 12, info, rp.maxLevel, rp.linkCap, rp.padFrom, rp.padTo, rp.binTail, R.VEC, R.UPPER, F.LIVE, F.DELETED, F.FREE, MAX_LEVEL, rp.elemsPtr, R.ELEM) === 1;
  // The memory's current buffer: the scratch lies past the records view's (pre-growth) one.
  if (!ok) new Int32Array(img.wasm!.memory.buffer, info, 1)[0] = -1;
  return ok;
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

/**
 * Nodes per share when two threads split the check (see checkLinks' `cursor`); tiny when tests
 * send small images to the load helper (VSETD_LOAD_HELPER=always), so they take many shares.
 */
export const CHUNK = process.env.VSETD_LOAD_HELPER === 'always' ? 16 : 4096;

/**
 * This thread's duplicate table for checkLinks' JS loops (one call at a time per thread), kept
 * between calls: an off-heap typed array costs about 0.4 µs to allocate and as much again to
 * sweep, and a load of many tenants' sets checks thousands of small images one after another.
 * Only the generations need clearing (an entry of an older generation counts as empty).
 */
let dupKeys = new Int32Array(0);
let dupGens = new Int32Array(0);

/** Which part of the check one call runs, and with whom (see checkLinks). */
export interface LinkPass {
  /** Shared memory starting at 0: the next node to take, when several threads share the pass. */
  cursor?: Int32Array;
  /** 'zero': level 0 only; 'upper': the upper levels only; default both. */
  levels?: 'all' | 'zero' | 'upper';
  /**
   * Level 0 while the records are still being read into memory (the load's helper thread):
   * readTo[0] is the number of node records read so far, −1 once the read failed. Each chunk
   * waits until its records are in.
   */
  readTo?: Int32Array;
  /** Check each chunk's records first (filling `lvl`, which level 0 then uses); see RecordsPass. */
  records?: RecordsPass;
  /** With readTo: the read pieces' checksums to take between chunks (see piece-crc.ts). */
  crcs?: PieceCrcs;
  /**
   * One thread alone, no WebAssembly, at most MATRIX_MAX_SLOTS slots: level 0 checked exactly
   * (level0Matrix). Its lanes are then 0, and a one-way link ends the pass as a duplicate does
   * (out[2] = 0). The caller's detailed pass names the fault either way.
   */
  exact?: boolean;
}

/** How long a streaming pass waits for more records before giving up (the loader died). */
const READ_WAIT_MS = 60_000;

/** Waits until the first `nodes` records are read; false when the read failed or stalled. */
function awaitRecords(readTo: Int32Array, nodes: number): boolean {
  const deadline = Date.now() + READ_WAIT_MS;
  for (let have = Atomics.load(readTo, 0); have < nodes; have = Atomics.load(readTo, 0)) {
    if (have < 0 || Date.now() > deadline) return false;
    Atomics.wait(readTo, 0, have, 100);
  }
  return true;
}

/**
 * Checks every list. `reached` (⌈hw/32⌉ words, zeroed) receives the first reachability pass.
 * Writes the two XOR lanes to out[0], out[1] and out[2] = 1, or out[2] = 0 as soon as a link is
 * out of bounds, to itself, or duplicated in its list (the caller then looks for the culprit);
 * out[2] = −1 when a streaming pass could not finish (the read failed: no verdict).
 *
 * With `pass.cursor` (shared memory, starting at 0), several threads can run this at once: each
 * takes the next CHUNK nodes until none are left, and its lanes cover the nodes it took (the XOR
 * of all threads' lanes is the whole check). A thread that finds a fault moves the cursor to the
 * end, so the others stop. Each thread marks its own `reached` (OR them afterwards): a shared
 * bitmap, written at random by two cores, ran both at half speed (its cache lines bounced).
 * Level 0 and the upper levels may run as two passes (`levels`), each with its own cursor; the
 * XOR of both passes' lanes is then the whole check.
 */
export function checkLinks(img: LinkImage, reached: Int32Array, salt: Uint32Array, out: Int32Array, pass: LinkPass = {}): void {
  const { hw, M } = img;
  const { cursor, readTo } = pass;
  const levels = pass.levels ?? 'all';
  const doZero = levels !== 'upper';
  const doUpper = levels !== 'zero' && readTo === undefined;
  // Level 0 in WebAssembly: its duplicate table and lanes in this thread's scratch, after `reached`.
  const wasm = img.wasm && doZero ? imageCheckWasm(img.wasm.memory) : null;
  const rp = pass.records;
  if ((readTo !== undefined || rp !== undefined) && (wasm === null || levels !== 'zero')) throw new Error('streaming and records passes are level 0 in WebAssembly only');
  const slots = dupSlots(M);
  if (dupGens.length !== slots) {
    dupKeys = new Int32Array(slots);
    dupGens = new Int32Array(slots);
  } else {
    dupGens.fill(0);
  }
  const keys = dupKeys;
  const gens = dupGens;
  const shift = Math.clz32(slots) + 1; // 32 − log2(slots)
  const mask = slots - 1;
  // [generation of the duplicate table, lane 1, lane 2] of the JS loops.
  const state = new Int32Array(3);
  const reachedPtr = reached.byteOffset;
  const keysPtr = reachedPtr + Math.ceil(hw / 32) * 4;
  const gensPtr = keysPtr + slots * 4;
  const outPtr = gensPtr + slots * 4;
  const lvlPtr = rp !== undefined ? rp.lvlPtr : img.lvl.byteOffset;
  const [s0, s1, s2, s3] = [salt[0] | 0, salt[1] | 0, salt[2] | 0, salt[3] | 0];
  out[2] = 0;
  if (doZero && img.entry >= 0 && img.entry < hw) reached[img.entry >>> 5] |= 1 << (img.entry & 31);
  const fault = (): void => {
    if (cursor) Atomics.store(cursor, 0, hw);
  };
  // A small image checked by one thread without WebAssembly (each small set of a snapshot load,
  // when asked): level 0 exactly, by a bit matrix, instead of hashing every link.
  const matrix = pass.exact === true && wasm === null && doZero && cursor === undefined && readTo === undefined && hw <= MATRIX_MAX_SLOTS;
  if (matrix) {
    const inArena = arenaImage !== null ? level0MatrixWasm(arenaImage, img, reached) : null;
    if (!(inArena ?? level0Matrix(img.i32, img.lvl, hw, img.recBase, img.stride, img.linkOff, reached))) return fault();
  }
  // In chunks even alone: V8 first runs WebAssembly as quickly compiled baseline code and swaps
  // in optimised code (about twice as fast here) only between calls. The loops are functions of
  // their own (JS: V8 compiles a small hot function in a few milliseconds, a large one in tens).
  for (let from = cursor ? Atomics.add(cursor, 0, CHUNK) : 0; from < hw; from = cursor ? Atomics.add(cursor, 0, CHUNK) : from + CHUNK) {
    const to = Math.min(hw, from + CHUNK);
    if (readTo !== undefined && !awaitRecords(readTo, to)) {
      out[2] = -1;
      return;
    }
    if (pass.crcs !== undefined) takeReadPieces(pass.crcs);
    if (rp !== undefined && !recordsChunk(wasm!.records0, img, rp, from, to)) return fault();
    if (wasm !== null) {
      if (wasm.links0(hw, img.recBase, img.stride, img.linkOff, lvlPtr, reachedPtr, keysPtr, gensPtr, shift, mask, s0, s1, s2, s3, from, to, outPtr) !== 1) return fault();
    } else if (doZero && !matrix && !level0Js(img.i32, img.lvl, hw, img.recBase, img.stride, img.linkOff, reached, keys, gens, shift, mask, salt, state, from, to)) return fault();
    if (doUpper && !upperLevels(img.i32, img.hi32, img.lvl, hw, M, img.recBase, img.stride, keys, gens, shift, mask, salt, state, from, to)) return fault();
  }
  let g1 = state[1];
  let g2 = state[2];
  if (wasm !== null) {
    const w = new Int32Array(reached.buffer, outPtr, 2);
    g1 ^= w[0];
    g2 ^= w[1];
  }
  out[0] = g1;
  out[1] = g2;
  out[2] = 1;
}

/** R.UPPER as a plain number for the loop below. */
const UPPER_OFF: number = R.UPPER;

// The JS loops take arrays and numbers only, and keep `state` current inside the loop with
// nothing but a return after it: V8 compiles a long-running loop on the stack before the code
// after the loop has ever run, and such code then deoptimised at the end of every chunk
// (measured: 25-120 deoptimisations and ~150 ms of a million-node load).

/** Images of up to this many slots may take level0Matrix (its matrix: 32 KiB at most). */
const MATRIX_MAX_SLOTS = 512;
/** Per thread: level0Matrix's matrix, hw rows of ⌈hw/32⌉ words, all zero between checks. */
let linkMatrix = new Int32Array(0);

/**
 * Level 0 of a whole small image, exactly, in one pass in slot order: bit (s, x) of a matrix for
 * each link s → x (a bit already set is a duplicate). A link down (x < s) finds x's list entered
 * already, so its reverse bit (x, s) must be set now; a link up (x > s) is counted. Every link
 * down that found its reverse is the reverse of one link up, a different one for each (lists
 * hold no duplicates), so when as many links went down as went up, every link up has its
 * reverse too. A link to a slot that is not live finds no reverse bit (down) or no link coming
 * back to cancel its count (up), since only live nodes' lists are entered. What it establishes
 * is what level0Js does, with certainty instead of a 2^-64 chance: bounds, no self links, no
 * duplicates, every link reciprocated; and it marks `reached` the same way. Its lanes are zero
 * (a reciprocated pair cancels in the hashed check too). Small sets are most of a snapshot of
 * many tenants' sets, and this pass was the largest part of their check: 50 elements × 128
 * dims, 15.4 µs hashing each link, 7.6 µs with two passes over the matrix, about 5 in one.
 */
function level0Matrix(i32: Int32Array, lvl: Int8Array, hw: number, recBase: number, stride: number, linkOff: number, reached: Int32Array): boolean {
  const W = (hw + 31) >>> 5;
  if (linkMatrix.length < hw * W) linkMatrix = new Int32Array(MATRIX_MAX_SLOTS * (MATRIX_MAX_SLOTS >>> 5));
  const m = linkMatrix;
  let ok = true;
  let up = 0;
  let down = 0;
  for (let s = 0; s < hw; s++) {
    if (lvl[s] < 0) continue;
    const rec = recBase + s * stride;
    const n = i32[rec >>> 2] & COUNT_MASK;
    const base = (rec + linkOff) >>> 2;
    const row = s * W;
    const col = s >>> 5;
    const bitS = 1 << (s & 31);
    for (let j = 0; j < n; j++) {
      const x = i32[base + j];
      const bit = 1 << (x & 31);
      const w = row + (x >>> 5);
      if (!(x >= 0 && x < hw) || x === s || (m[w] & bit) !== 0) {
        ok = false;
        break;
      }
      m[w] |= bit;
      if (x > s) {
        up++;
      } else if ((m[x * W + col] & bitS) !== 0) {
        down++;
      } else {
        ok = false;
        break;
      }
    }
    if (!ok) break;
    // The row is the list as a bitmap: the reachability marks take it a word at a time (marking
    // link by link, each an update of one of a few words, waited on the one before).
    let hit = (reached[s >>> 5] >>> (s & 31)) & 1;
    for (let k = 0; k < W; k++) hit |= reached[k] & m[row + k];
    if (hit !== 0) {
      reached[s >>> 5] |= bitS;
      for (let k = 0; k < W; k++) reached[k] |= m[row + k];
    }
  }
  m.fill(0, 0, hw * W);
  return ok && up === down;
}

/** Level 0 of slots [from, to) in JS (the twin of image-check.wat's links0); false at a bad link. */
function level0Js(
  i32: Int32Array,
  lvl: Int8Array,
  hw: number,
  recBase: number,
  stride: number,
  linkOff: number,
  reached: Int32Array,
  keys: Int32Array,
  gens: Int32Array,
  shift: number,
  mask: number,
  salt: Uint32Array,
  state: Int32Array,
  from: number,
  to: number,
): boolean {
  const s0 = salt[0] | 0;
  const s1 = salt[1] | 0;
  const s2 = salt[2] | 0;
  const s3 = salt[3] | 0;
  let gen = state[0];
  let g1 = state[1];
  let g2 = state[2];
  for (let s = from; s < to; s++) {
    if (lvl[s] < 0) continue;
    const rec = recBase + s * stride;
    const n = i32[rec >>> 2] & COUNT_MASK;
    const base = (rec + linkOff) >>> 2;
    gen++;
    let hit = (reached[s >>> 5] >>> (s & 31)) & 1;
    for (let j = 0; j < n; j++) {
      const x = i32[base + j];
      if (!(x >= 0 && x < hw) || x === s || !firstInList(keys, gens, gen, x, shift, mask)) return false;
      g1 ^= lane1(s, x, 0, s0, s1);
      g2 ^= lane2(s, x, 0, s2, s3);
      hit |= (reached[x >>> 5] >>> (x & 31)) & 1;
    }
    if (hit !== 0) {
      reached[s >>> 5] |= 1 << (s & 31);
      for (let j = 0; j < n; j++) {
        const x = i32[base + j];
        reached[x >>> 5] |= 1 << (x & 31);
      }
    }
    state[0] = gen;
    state[1] = g1;
    state[2] = g2;
  }
  return true;
}

/**
 * The upper levels of slots [from, to): lists of M words in the node's heap block,
 * EMPTY_LINK-terminated (records() checked the block's bounds and the termination).
 */
function upperLevels(
  i32: Int32Array,
  hi32: Int32Array,
  lvl: Int8Array,
  hw: number,
  M: number,
  recBase: number,
  stride: number,
  keys: Int32Array,
  gens: Int32Array,
  shift: number,
  mask: number,
  salt: Uint32Array,
  state: Int32Array,
  from: number,
  to: number,
): boolean {
  const s0 = salt[0] | 0;
  const s1 = salt[1] | 0;
  const s2 = salt[2] | 0;
  const s3 = salt[3] | 0;
  let gen = state[0];
  let g1 = state[1];
  let g2 = state[2];
  for (let s = from; s < to; s++) {
    const level = lvl[s];
    if (level < 1) continue;
    const upper = i32[(recBase + s * stride + UPPER_OFF) >>> 2] >>> 2;
    for (let l = 1; l <= level; l++) {
      const ub = upper + (l - 1) * M;
      gen++;
      for (let j = 0; j < M; j++) {
        const x = hi32[ub + j];
        if (x === EMPTY_LINK) break;
        if (!(x >= 0 && x < hw) || x === s || !firstInList(keys, gens, gen, x, shift, mask)) return false;
        g1 ^= lane1(s, x, l, s0, s1);
        g2 ^= lane2(s, x, l, s2, s3);
      }
    }
    state[0] = gen;
    state[1] = g1;
    state[2] = g2;
  }
  return true;
}

/**
 * finishReachability in WebAssembly (image-check.wat, reach), for an image in a WebAssembly
 * memory with `reached` in it too and room for a stack of hw words at byte `stackPtr` (read as
 * zero, and left so). On a load's helper thread the JS walk ran cold: 4-9 ms at 100k nodes.
 */
export function finishReachabilityIn(memory: WasmMemory, img: LinkImage, reached: Int32Array, stackPtr: number): number {
  const { reach, unreached } = imageCheckWasm(memory);
  const lvlPtr = img.lvl.byteOffset;
  // In calls, like the other loops (V8 swaps in optimised code only between calls).
  for (let from = 0; from < img.hw; from += CALL_CHUNK) reach(from, Math.min(img.hw, from + CALL_CHUNK), img.recBase, img.stride, img.linkOff, lvlPtr, reached.byteOffset, stackPtr);
  return unreached(img.hw, lvlPtr, reached.byteOffset);
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
