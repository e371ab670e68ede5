// The memory layout of one vector set.
//
// Two layouts share every word and record format. A *small* set lives in one block of an arena
// (arena.ts: the compact layout, version 3 — heap, an 896-byte header, records; no scratch
// records, since an arena's scratch belongs to threads), and moves to a bigger block when it needs
// room. A *large* set (past 8 MiB) has memories of its own in the classic layout described here,
// which grow in place. Offsets inside a set are relative to its header and heap in both cases.
//
// In the classic layout a set lives in exactly two shared buffers, both created by the writer
// (the main thread) and both growable *in place*, so a worker that attached them once keeps
// seeing every later node without being sent anything new:
//
//  1. `records` — a shared WebAssembly.Memory (its buffer is a SharedArrayBuffer). The distance
//     kernels run directly on it. It holds, in order:
//
//        [ header: 4 KiB of Int32 words            ]  counts, entry point, epoch, allocator state
//        [ 33 scratch records (32 readers, writer) ]  a search's prepared query, and its
//                                                     neighbour-list batch in the link area
//        [ node records, slot 0, 1, 2, …           ]  fixed stride, contiguous
//
//     Node records are one contiguous array indexed by slot, so the address of a node is
//     `recBase + slot * stride`: no chunk table, no indirection in the hot loop. The array grows
//     at the end of the memory with `memory.grow`, which never copies (V8 reserves the whole
//     4 GiB range up front). So growth is neither chunked nor doubling: it is in place, in small
//     steps (64 KiB, or 1/256 of the current size when larger), because every committed byte
//     counts in the bytes-per-element budget and a grow costs only ≈5 µs.
//
//     One node record (stride = 20 + vecBytes + 4·2M bytes):
//
//        +0   u32  meta: bits 0–15 level-0 link count, bits 16–20 level, bits 24–31 flags
//        +4   f32  l2     length of the vector before normalisation (1 for a zero vector)
//        +8   f32  range  Q8: max |u[i]| of the normalised vector (0 for a zero vector)
//        +12  u32  elem   heap offset of the element block (name, attribute, back pointer);
//                         for a slot on the free list: the next free slot (or -1)
//        +16  u32  upper  heap offset of the upper-level link block (0 when level is 0)
//        +20  vector, vecBytes (Q8: D int8; NOQUANT: 4·D float32; BIN: ceil(D/64) u64 words),
//             zero padded to a multiple of 16 so the SIMD kernels never need a tail loop
//        +20+vecBytes  level-0 links: 2·M u32 slots (the count is in meta)
//        +20+vecBytes+8M  NOQUANT sets made since H.EXACT: the float32 vector (4·D bytes, zero
//             padded to a multiple of 16), after the links; see `geometry`
//
//     The query scratch records have the same shape, so a kernel computes "query vs node" and
//     "node vs node" with the same function of two record offsets.
//
//  2. `heap` — a growable SharedArrayBuffer managed by a small size-class allocator (heap.ts):
//     upper-level link blocks, element blocks (name bytes + attribute pointer), attribute
//     strings, the name → element hash table and the REDUCE matrix.
//
//     Upper-level link block of a node of level L: L lists of M u32 slots, level l at
//     (l-1)·M·4. A list ends at the first EMPTY_LINK (-1) or after M entries: upper lists carry no
//     count word. That saves 4 bytes per upper level (about 1.3 bytes per element at M=16) in a
//     budget of 300.
//
// Everything a search needs is reachable from the header, so a structured-cloneable handle
// `{ records, heap }` is all a worker needs (see `SetViews.attach`).

import { randomFillSync } from 'node:crypto';
import type { WasmMemory } from './platform.js';

/**
 * Quantisation types, numbered as in the reference's RDB encoding (0–2). 3 and 4 are float32
 * vectors stored as given, not normalised, for the query engine's IP and L2 vector fields
 * (src/query): distance 1 − dot and squared L2. No V* command creates them.
 */
export const Quant = { NoQuant: 0, Q8: 1, Bin: 2, RawIP: 3, RawL2: 4 } as const;
export type Quant = (typeof Quant)[keyof typeof Quant];

export const MAX_LEVEL = 16;
export const MAX_DIM = 65536;
export const MIN_M = 4;
export const MAX_M = 4096;
/** How many searches may run on one set at the same time (the reference allows 32 too). */
export const READER_SLOTS = 32;

export const EMPTY_LINK = -1;

/** Header word indexes (Int32 words at the start of `records`). */
export const H = {
  MAGIC: 0,
  LAYOUT_VERSION: 1,
  DIM: 2,
  QUANT: 3,
  M: 4,
  STRIDE: 5,
  VEC_BYTES: 6,
  PROJ_INPUT_DIM: 7,
  /** Live nodes. */
  COUNT: 8,
  /** Entry point slot, -1 when the set is empty. */
  ENTRY: 9,
  MAX_LEVEL: 10,
  /** Slots ever used: every slot below this is live, in limbo, or on the free list. */
  HIGH_WATER: 11,
  /** Head of the free slot list (linked through the records' elem field), -1 when empty. */
  FREE_SLOT: 12,
  /** Slots the records memory currently covers. */
  NODE_CAPACITY: 13,
  /** Node id counter (`hnsw-max-node-uid`), a 53-bit number in two words. */
  LAST_ID_LO: 14,
  LAST_ID_HI: 15,
  /** Seqlock: odd while the writer is changing the graph. */
  SEQ: 16,
  /** Reclamation epoch, starts at 1, never 0 (0 marks an idle reader slot). */
  EPOCH: 17,
  ATTR_COUNT: 18,
  HEAP_TOP: 19,
  /** Heap offset of the name hash table. */
  NAME_TABLE: 20,
  /** Live + tombstone entries in the name table. */
  NAME_USED: 21,
  /** Heap offset of the REDUCE matrix (0 when none). */
  PROJ_REF: 22,
  /** Bytes of upper-level link blocks in use (for the bytes-per-element figure). */
  UPPER_BYTES: 23,
  /** xoshiro128** state for level draws, 4 words. */
  RNG: 24,
  SCRATCH_BASE: 28,
  REC_BASE: 29,
  /** Bytes of heap blocks in use. */
  HEAP_LIVE: 30,
  /**
   * 1 when a NOQUANT set walks its graph in Q8 and keeps the float32 vector after the links (the
   * record's `exactOff`); 0 in every other set and in images written before the word existed.
   */
  EXACT: 31,
  /** Per reader slot: the epoch its running search started in, 0 when idle. */
  ACTIVE_EPOCH: 32,
  /** Heap allocator free-list heads, one per size class (HEAP_CLASSES = 149 words). */
  FREE_LISTS: 64,
  /**
   * The name hash key, 2 words (a 64-bit HalfSipHash key): random per set at creation, kept in
   * images, so names from the network can not be chosen to collide (elements.ts).
   */
  NAME_KEY: 216,
} as const;

export const HEADER_BYTES = 4096;
export const MAGIC = 0x56534554; // 'VSET'
/**
 * 2: keyed name hashing (NAME_KEY). Images of version 1 (an unkeyed name table) are refused:
 * their table would have to be rebuilt, not loaded.
 */
export const LAYOUT_VERSION = 2;
/**
 * 3: the compact layout of a set in an arena (arena.ts): a header of COMPACT_HEADER_BYTES (every
 * word the classic header uses lies below it), no scratch records (an arena's scratch belongs to
 * threads), node records right after the header. Same words, same records, same heap: only
 * SCRATCH_BASE (0) and REC_BASE differ, so converting between the two is one copy.
 */
export const LAYOUT_COMPACT = 3;
export const COMPACT_HEADER_BYTES = 896;

/** Header bytes and the record base of a layout version (`stride` for the classic scratch). */
export function layoutBases(version: number, stride: number): { scratchBase: number; recBase: number } {
  return version === LAYOUT_COMPACT
    ? { scratchBase: 0, recBase: COMPACT_HEADER_BYTES }
    : { scratchBase: HEADER_BYTES, recBase: HEADER_BYTES + (READER_SLOTS + 1) * stride };
}

/** Record field byte offsets. */
export const R = {
  META: 0,
  L2: 4,
  RANGE: 8,
  ELEM: 12,
  UPPER: 16,
  VEC: 20,
} as const;

/** Node flags, in meta bits 24–31. */
export const F = {
  /** Linked into the graph and visible by name. */
  LIVE: 1,
  /** Unlinked; waiting in limbo until no search that could see it is running. */
  DELETED: 2,
  /** On the free list. */
  FREE: 4,
} as const;

export const COUNT_MASK = 0xffff;
export const LEVEL_SHIFT = 16;
export const LEVEL_MASK = 31;
export const FLAGS_SHIFT = 24;

export function metaOf(count0: number, level: number, flags: number): number {
  return (count0 & COUNT_MASK) | ((level & LEVEL_MASK) << LEVEL_SHIFT) | (flags << FLAGS_SHIFT);
}

/** Bytes of the stored (quantised) vector, before padding, as VEMB RAW returns them. */
export function quantBytes(dim: number, quant: Quant): number {
  switch (quant) {
    case Quant.NoQuant:
    case Quant.RawIP:
    case Quant.RawL2:
      return dim * 4;
    case Quant.Q8:
      return dim;
    case Quant.Bin:
      return Math.ceil(dim / 64) * 8;
  }
}

export interface Geometry {
  dim: number;
  /** The stored quantisation, as VINFO, VEMB and DUMP show it. */
  quant: Quant;
  M: number;
  /** The quantisation the graph is walked and built in: `quant`, or Q8 for an exact set. */
  navQuant: Quant;
  /** Padded bytes of the vector at R.VEC (the walked one: Q8 bytes in an exact set). */
  vecBytes: number;
  /** Byte offset of the level-0 links within a record. */
  linkOff: number;
  /** Byte offset of the float32 vector of an exact set (after the links); 0 in other sets. */
  exactOff: number;
  /** Padded bytes of that float32 vector (0 in other sets). */
  exactBytes: number;
  /** Record size in bytes (a multiple of 4). */
  stride: number;
}

/**
 * The record geometry. `exact` (NOQUANT only) makes the set walk its graph in Q8 — the walk,
 * the insert's searches and its neighbour choices all read the Q8 copy at R.VEC, which is a
 * quarter of the float bytes and of the cache misses — and keep the float32 vector after the
 * links, where only the final re-rank of a search, VEMB, scores and exact scans read it. Q8
 * walks lose little: the quantisation error changes the final order of the candidates far more
 * than the path to them, and the re-rank restores that order (issue 20: recall 0.963 at EF 100
 * on 100k × 128 either way, measured).
 */
export function geometry(dim: number, quant: Quant, M: number, exact = false): Geometry {
  if (exact && quant !== Quant.NoQuant) throw new RangeError('only a NOQUANT set keeps an exact copy');
  const navQuant = exact ? Quant.Q8 : quant;
  const vecBytes = (quantBytes(dim, navQuant) + 15) & ~15;
  const linkOff = R.VEC + vecBytes;
  const end = linkOff + 8 * M;
  const exactBytes = exact ? (dim * 4 + 15) & ~15 : 0;
  return { dim, quant, M, navQuant, vecBytes, linkOff, exactOff: exact ? end : 0, exactBytes, stride: end + exactBytes };
}

/** Bytes of the upper-level link block of a node of `level` (> 0). */
export function upperBlockBytes(level: number, M: number): number {
  return level * M * 4;
}

/**
 * The structured-cloneable description of a set: post it to a worker and `attach` there.
 *
 * - `vsetd.vset`, a set in memories of its own (the classic layout): `records` is a shared
 *   WebAssembly.Memory, or a growable SharedArrayBuffer when no WebAssembly memory could be
 *   reserved (then the engine uses its plain-JS kernels); `heap` a growable SharedArrayBuffer.
 * - `vsetd.arena-set`, a small set in an arena (arena.ts, the compact layout): the arena's memory
 *   and where the set's block lies in it *now*. A block is never resized in place, so a handle
 *   stays valid — showing the set as it was when the block was left — until the task that
 *   carried it has finished (arena.ts, ReaderTickets).
 */
export type SetHandle = DedicatedHandle | ArenaHandle;

export interface DedicatedHandle {
  readonly kind: 'vsetd.vset';
  readonly records: WasmMemory | SharedArrayBuffer;
  readonly heap: SharedArrayBuffer;
}

export interface ArenaHandle {
  readonly kind: 'vsetd.arena-set';
  /** The arena's number in this process, and its memory. */
  readonly arena: number;
  readonly memory: WasmMemory;
  /** Byte offset of the set's block: heap first, then header and records. */
  readonly block: number;
  readonly heapBytes: number;
  /** Header and record bytes after the heap. */
  readonly recordsBytes: number;
}

/**
 * `n` random 32-bit words from the system's CSPRNG (name hash keys, validation salts). Through
 * randomFillSync: the Web Crypto getRandomValues loads its module on first use, 2-3 ms inside
 * a snapshot load, before its helper thread could start (0.1-0.2 ms this way).
 */
export function randomWords(n: number): Uint32Array {
  // Taken from a pool filled 1,024 words at a time: a load of 100,000 small sets asks for a salt
  // per set, and each randomFillSync call costs about 10 µs whatever its size.
  if (n > POOL_WORDS) return randomFillSync(new Uint32Array(n));
  if (poolNext + n > POOL_WORDS) {
    randomFillSync(pool);
    poolNext = 0;
  }
  const out = pool.slice(poolNext, poolNext + n);
  // Each word is handed out once.
  pool.fill(0, poolNext, poolNext + n);
  poolNext += n;
  return out;
}

const POOL_WORDS = 1024;
const pool = new Uint32Array(POOL_WORDS);
let poolNext = POOL_WORDS;

// The views over a set's memory live in set-views.ts; importers keep finding them here.
export { SetViews, ownMemory, type ArenaPlace, type ImageMemory, type SetGrower } from './set-views.js';
