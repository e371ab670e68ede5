// The memory layout of one vector set.
//
// A set lives in exactly two shared buffers, both created by the writer (the main thread) and both
// growable *in place*, so a worker that attached them once keeps seeing every later node without
// being sent anything new:
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
import {
  asGrowable,
  createGrowableSab,
  createSharedWasmMemory,
  isWasmMemory,
  WASM_PAGE,
  type GrowableSab,
  type WasmMemory,
} from './platform.js';
import { blockBytes as arenaBlockBytes, SCRATCH_BYTES, SCRATCH_SLOTS, threadScratchOffset } from './arena.js';

/** Quantisation types, numbered as in the reference's RDB encoding. */
export const Quant = { NoQuant: 0, Q8: 1, Bin: 2 } as const;
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
      return dim * 4;
    case Quant.Q8:
      return dim;
    case Quant.Bin:
      return Math.ceil(dim / 64) * 8;
  }
}

export interface Geometry {
  dim: number;
  quant: Quant;
  M: number;
  /** Padded vector bytes in a record. */
  vecBytes: number;
  /** Byte offset of the level-0 links within a record. */
  linkOff: number;
  /** Record size in bytes (a multiple of 4). */
  stride: number;
}

export function geometry(dim: number, quant: Quant, M: number): Geometry {
  const vecBytes = (quantBytes(dim, quant) + 15) & ~15;
  const linkOff = R.VEC + vecBytes;
  return { dim, quant, M, vecBytes, linkOff, stride: linkOff + 8 * M };
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
  return randomFillSync(new Uint32Array(n));
}

/**
 * Bytes of the WebAssembly records memories of sets of their own that an owner accounts for
 * (`SetViews.account`): Node's memory figures leave WebAssembly memories out (they are not
 * ArrayBuffers to it), so used_memory adds them from here. Counted explicitly, not through weak
 * references: a WeakRef keeps its target alive to the end of the current job, which a loop that
 * loads thousands of images in one go cannot afford.
 */
export const ownRecords = { bytes: 0 };

const HEAP_MAX_BYTES = 2 ** 31 - 8;
const RECORDS_MAX_BYTES_GSAB = 2 ** 32 - WASM_PAGE;

/** Copies of a set's two images in fresh memory (SetViews.copyImages, a snapshot load). */
export interface ImageMemory {
  /** Shared memory for a set of its own; null for plain bytes (a small set bound for an arena). */
  mem: WasmMemory | GrowableSab | null;
  hp: GrowableSab | null;
  /** The records image in `mem`, exactly as long as the input. */
  records: Uint8Array;
  /** The heap image in `hp`, exactly as long as the input. */
  heap: Uint8Array;
}

/** Who moves an arena set that needs more room (its owner, the VectorSet). */
export interface SetGrower {
  grow(slots: number, heapBytes: number): void;
}

/** Where an arena set's block lies: its arena's memory, offset, heap and records parts. */
export interface ArenaPlace {
  readonly arena: number;
  readonly memory: WasmMemory;
  readonly block: number;
  readonly heapBytes: number;
  readonly recordsBytes: number;
}

/**
 * Typed-array views over a set's memory. Every thread has its own `SetViews`; the writer's also
 * grows the set.
 *
 * All offsets the engine uses — header words, record offsets, heap offsets — are relative to the
 * set: the record views start at the set's header and the heap views at its heap, wherever the
 * set lies (offset 0 of memories of its own, or a block of an arena). Only the distance kernels
 * see absolute addresses: they add `base` (kernels.ts). A query's scratch record may lie outside
 * the set (an arena's per-thread scratch): the `s*` views cover it, at `scratchAt` absolute.
 *
 * Views over a set's own `records` are fixed-length (a WebAssembly memory's buffer object is
 * replaced when it grows), so readers call `refresh()` when the header says the set grew past
 * what they see. An arena set never grows in place: the writer moves it (`place`), and a reader
 * keeps the block it was given until its task ends.
 */
export class SetViews {
  records: WasmMemory | GrowableSab;
  heap: GrowableSab | null;
  wasm: boolean;
  /** Where the set lies in an arena, or null for a set in memories of its own. */
  place: ArenaPlace | null;
  /** Absolute byte offset of the header (0 for a set of its own). */
  base = 0;
  /** Changes whenever the set moves (arena relocation or promotion): kernels re-bind. */
  generation = 0;
  /** Records memory, as words/floats/bytes, from the header on. */
  i32!: Int32Array;
  f32!: Float32Array;
  u8!: Uint8Array;
  i8!: Int8Array;
  /** Heap views. */
  hi32!: Int32Array;
  hu8!: Uint8Array;
  hf32!: Float32Array;
  /** Views that reach the query scratch, at absolute offsets (the record views, base 0, for a set of its own). */
  si32!: Int32Array;
  sf32!: Float32Array;
  su8!: Uint8Array;
  /** Slots covered by the current record views. */
  visibleSlots = 0;
  /** Whether this set's own WebAssembly records memory counts in `ownRecords` (see account). */
  private accounted = false;
  /** The writer's way to move an arena set that needs more room (set by the owner). */
  grower: SetGrower | null = null;

  readonly dim: number;
  readonly quant: Quant;
  readonly M: number;
  readonly stride: number;
  readonly vecBytes: number;
  readonly linkOff: number;
  recBase: number;
  scratchBase: number;

  private constructor(records: WasmMemory | GrowableSab, heap: GrowableSab | null, place: ArenaPlace | null) {
    this.records = records;
    this.heap = heap;
    this.wasm = isWasmMemory(records);
    this.place = place;
    this.bindViews();
    const h = this.i32;
    const version = h[H.LAYOUT_VERSION];
    if (h[H.MAGIC] !== MAGIC || (version !== LAYOUT_VERSION && version !== LAYOUT_COMPACT)) {
      throw new Error('not a vsetd vector set (bad magic or layout version)');
    }
    this.dim = h[H.DIM];
    this.quant = h[H.QUANT] as Quant;
    this.M = h[H.M];
    this.stride = h[H.STRIDE];
    this.vecBytes = h[H.VEC_BYTES];
    this.linkOff = R.VEC + this.vecBytes;
    this.recBase = h[H.REC_BASE];
    this.scratchBase = h[H.SCRATCH_BASE];
    this.visibleSlots = this.slotsIn(this.u8.byteLength);
  }

  /** (Re-)make every view for where the set lies now. */
  private bindViews(): void {
    const p = this.place;
    if (p === null) {
      const heap = this.heap as GrowableSab;
      this.base = 0;
      this.hi32 = new Int32Array(heap);
      this.hu8 = new Uint8Array(heap);
      this.hf32 = new Float32Array(heap);
      this.u8 = undefined as unknown as Uint8Array;
      this.refresh();
      return;
    }
    const buf = p.memory.buffer as SharedArrayBuffer;
    const hdr = p.block + p.heapBytes;
    this.base = hdr;
    this.hi32 = new Int32Array(buf, p.block, p.heapBytes >>> 2);
    this.hu8 = new Uint8Array(buf, p.block, p.heapBytes);
    this.hf32 = new Float32Array(buf, p.block, p.heapBytes >>> 2);
    this.i32 = new Int32Array(buf, hdr, p.recordsBytes >>> 2);
    this.f32 = new Float32Array(buf, hdr, p.recordsBytes >>> 2);
    this.u8 = new Uint8Array(buf, hdr, p.recordsBytes);
    this.i8 = new Int8Array(buf, hdr, p.recordsBytes);
    // The arena's scratch lies in its first pages, which every buffer object of it covers.
    const scratch = arenaScratchViews(p.memory);
    this.si32 = scratch.i32;
    this.sf32 = scratch.f32;
    this.su8 = scratch.u8;
    if (this.stride !== undefined) this.visibleSlots = this.slotsIn(p.recordsBytes);
  }

  /** Attach to an existing set from its handle (any thread). */
  static attach(handle: SetHandle): SetViews {
    if (handle.kind === 'vsetd.arena-set') {
      const { arena, memory, block, heapBytes, recordsBytes } = handle;
      return new SetViews(memory, null, { arena, memory, block, heapBytes, recordsBytes });
    }
    const records = isWasmMemory(handle.records) ? handle.records : asGrowable(handle.records as SharedArrayBuffer);
    return new SetViews(records, asGrowable(handle.heap), null);
  }

  /** Write the header of a new, empty set at the start of `h` (either layout). */
  private static writeHeader(h: Int32Array, g: Geometry, version: number, projInputDim: number, seedWords: Uint32Array, nameKey: Uint32Array): void {
    const { scratchBase, recBase } = layoutBases(version, g.stride);
    h[H.MAGIC] = MAGIC;
    h[H.LAYOUT_VERSION] = version;
    h[H.DIM] = g.dim;
    h[H.QUANT] = g.quant;
    h[H.M] = g.M;
    h[H.STRIDE] = g.stride;
    h[H.VEC_BYTES] = g.vecBytes;
    h[H.PROJ_INPUT_DIM] = projInputDim;
    h[H.COUNT] = 0;
    h[H.ENTRY] = -1;
    h[H.MAX_LEVEL] = 0;
    h[H.HIGH_WATER] = 0;
    h[H.FREE_SLOT] = -1;
    h[H.SEQ] = 0;
    h[H.EPOCH] = 1;
    h[H.HEAP_TOP] = 8; // heap offset 0 is the null reference
    h[H.SCRATCH_BASE] = scratchBase;
    h[H.REC_BASE] = recBase;
    for (let i = 0; i < 4; i++) h[H.RNG + i] = seedWords[i] | 0;
    h[H.NAME_KEY] = nameKey[0] | 0;
    h[H.NAME_KEY + 1] = nameKey[1] | 0;
  }

  /** Create the buffers of a new, empty set of its own and write its header. Writer only. */
  static create(
    g: Geometry,
    projInputDim: number,
    seedWords: Uint32Array,
    forceJs = false,
    nameKey: Uint32Array = randomWords(2),
  ): SetViews {
    const { recBase } = layoutBases(LAYOUT_VERSION, g.stride);
    // Room for a handful of nodes; grows on demand.
    const initialBytes = recBase + 16 * g.stride;
    const pages = Math.ceil(initialBytes / WASM_PAGE);
    let records: WasmMemory | GrowableSab | null = forceJs ? null : createSharedWasmMemory(pages);
    if (!records) records = createGrowableSab(pages * WASM_PAGE, RECORDS_MAX_BYTES_GSAB);
    const heap = createGrowableSab(WASM_PAGE, HEAP_MAX_BYTES);
    const buf = isWasmMemory(records) ? records.buffer : records;
    const h = new Int32Array(buf, 0, HEADER_BYTES / 4);
    SetViews.writeHeader(h, g, LAYOUT_VERSION, projInputDim, seedWords, nameKey);
    h[H.NODE_CAPACITY] = Math.floor((buf.byteLength - recBase) / g.stride);
    return new SetViews(records, asGrowable(heap), null);
  }

  /**
   * A new, empty set in an arena block laid out by `place` (zeroed memory): writes the compact
   * header. Writer only.
   */
  static createInArena(place: ArenaPlace, g: Geometry, projInputDim: number, seedWords: Uint32Array, nameKey: Uint32Array = randomWords(2)): SetViews {
    const h = new Int32Array(place.memory.buffer, place.block + place.heapBytes, COMPACT_HEADER_BYTES / 4);
    SetViews.writeHeader(h, g, LAYOUT_COMPACT, projInputDim, seedWords, nameKey);
    h[H.NODE_CAPACITY] = Math.floor((place.recordsBytes - COMPACT_HEADER_BYTES) / g.stride);
    return new SetViews(place.memory, null, place);
  }

  /** The set over an arena block that holds a checked compact image (see placeImages). */
  static inArena(place: ArenaPlace): SetViews {
    const v = new SetViews(place.memory, null, place);
    v.i32[H.NODE_CAPACITY] = v.visibleSlots;
    return v;
  }

  handle(): SetHandle {
    const p = this.place;
    if (p !== null) return { kind: 'vsetd.arena-set', arena: p.arena, memory: p.memory, block: p.block, heapBytes: p.heapBytes, recordsBytes: p.recordsBytes };
    return { kind: 'vsetd.vset', records: this.records, heap: this.heap as GrowableSab };
  }

  /**
   * Move the set: to another arena block (`place`), or, with `place` null, into the memories
   * `records`/`heap` of its own. The caller has copied the bytes there (converting the layout for
   * a move out of the arena) and keeps the old block alive for readers that may still use it.
   */
  moveTo(place: ArenaPlace | null, records?: WasmMemory | GrowableSab, heap?: GrowableSab): void {
    this.place = place;
    if (place === null) {
      this.records = records as WasmMemory | GrowableSab;
      this.heap = heap as GrowableSab;
      this.wasm = isWasmMemory(this.records);
      this.grower = null;
    } else {
      this.records = place.memory;
      this.heap = null;
      this.wasm = true;
    }
    this.bindViews();
    this.recBase = this.i32[H.REC_BASE];
    this.scratchBase = this.i32[H.SCRATCH_BASE];
    this.visibleSlots = this.slotsIn(this.u8.byteLength);
    this.i32[H.NODE_CAPACITY] = this.visibleSlots;
    this.generation++;
    if (place === null) this.account(true);
  }

  /**
   * Fresh memory holding a copy of `records` and `heap` bytes (as returned by `usedBytes`), not
   * yet interpreted: the loader checks the copies in place (image.ts; the views are aligned and
   * exactly as long as the images), then `fromImageMemory` turns them into a set. Checking the
   * copy instead of the input saves an aligned copy of the input, and copying aligned-to-aligned
   * is the fast path of a copy into shared memory. Throws RangeError for images larger than a set
   * can be.
   */
  static copyImages(records: Uint8Array, heap: Uint8Array, forceJs = false): ImageMemory {
    const r = SetViews.recordsMemory(records.byteLength, forceJs);
    const h = SetViews.heapMemory(heap.byteLength);
    r.records.set(records);
    h.heap.set(heap);
    return { ...r, ...h };
  }

  /**
   * Fresh, zeroed records memory for an image of `bytes` bytes, and the view the image goes in
   * (a snapshot load reads the file straight into it). Throws RangeError when too large.
   */
  static recordsMemory(bytes: number, forceJs = false): Pick<ImageMemory, 'mem' | 'records'> & { mem: WasmMemory | GrowableSab } {
    if (!(bytes >= 0 && bytes <= RECORDS_MAX_BYTES_GSAB)) throw new RangeError(`records image of ${bytes} bytes is larger than a vector set can be`);
    const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
    let mem: WasmMemory | GrowableSab | null = forceJs ? null : createSharedWasmMemory(pages);
    if (!mem) mem = createGrowableSab(pages * WASM_PAGE, RECORDS_MAX_BYTES_GSAB);
    const buf = (isWasmMemory(mem) ? mem.buffer : mem) as SharedArrayBuffer;
    return { mem, records: new Uint8Array(buf, 0, bytes) };
  }

  /** Fresh heap memory for an image of `bytes` bytes, and its view (see recordsMemory). */
  static heapMemory(bytes: number): Pick<ImageMemory, 'hp' | 'heap'> & { hp: GrowableSab } {
    if (!(bytes >= 0 && bytes <= HEAP_MAX_BYTES)) throw new RangeError(`heap image of ${bytes} bytes is larger than a vector set can be`);
    const hp = createGrowableSab(Math.max(WASM_PAGE, Math.ceil(bytes / WASM_PAGE) * WASM_PAGE), HEAP_MAX_BYTES);
    return { hp, heap: new Uint8Array(hp, 0, bytes) };
  }

  /** The set over memory of its own from `copyImages`, once its images passed the checks of image.ts. */
  static fromImageMemory(m: { mem: WasmMemory | GrowableSab; hp: GrowableSab; records: Uint8Array }): SetViews {
    if (m.records.byteLength < HEADER_BYTES) throw new Error('records image too short');
    const v = new SetViews(m.mem, m.hp, null);
    v.i32[H.NODE_CAPACITY] = v.visibleSlots;
    return v;
  }

  /** The meaningful prefix of both buffers (records up to the high-water mark, heap up to its top). */
  usedBytes(): { records: Uint8Array; heap: Uint8Array } {
    const recEnd = this.recOff(this.i32[H.HIGH_WATER]);
    return {
      records: this.u8.subarray(0, recEnd),
      heap: this.hu8.subarray(0, this.i32[H.HEAP_TOP]),
    };
  }

  private currentRecordsBuffer(): SharedArrayBuffer {
    return (this.wasm ? (this.records as WasmMemory).buffer : this.records) as SharedArrayBuffer;
  }

  private slotsIn(byteLength: number): number {
    return Math.max(0, Math.floor((byteLength - this.recBase) / this.stride));
  }

  /** Re-create the record views if the memory grew. Cheap when nothing changed. */
  refresh(): void {
    if (this.place !== null) return; // an arena block never grows in place
    const buf = this.currentRecordsBuffer();
    if (this.u8 !== undefined && this.u8.buffer === buf && this.u8.byteLength === buf.byteLength) return;
    // Fixed-length views in both cases: for a growable SAB they are re-made here as well, which
    // keeps the hot loops on plain (non length-tracking) typed arrays.
    const len = buf.byteLength;
    this.i32 = new Int32Array(buf, 0, len >>> 2);
    this.f32 = new Float32Array(buf, 0, len >>> 2);
    this.u8 = new Uint8Array(buf, 0, len);
    this.i8 = new Int8Array(buf, 0, len);
    this.si32 = this.i32;
    this.sf32 = this.f32;
    this.su8 = this.u8;
    if (this.stride !== undefined) this.visibleSlots = this.slotsIn(len);
  }

  /** Make sure the views cover every slot below the header's high-water mark. */
  syncWithHeader(): void {
    if (Atomics.load(this.i32, H.HIGH_WATER) > this.visibleSlots) this.refresh();
  }

  recOff(slot: number): number {
    return this.recBase + slot * this.stride;
  }

  /**
   * Absolute offset (in the `s*` views) of the scratch record a reader uses: its reader slot's
   * in a set of its own (READER_SLOTS is the writer's), its thread's in an arena.
   */
  scratchAt(readerSlot: number): number {
    return this.place !== null ? threadScratchOffset() : this.scratchBase + readerSlot * this.stride;
  }

  // ---- writer side -------------------------------------------------------------------------

  /**
   * Count (or, with `false`, stop counting) this set's own WebAssembly records memory in
   * `ownRecords`, growth included. The owner of a live set does, until it disposes of it.
   */
  account(on: boolean): void {
    const mine = this.place === null && this.wasm;
    if (on && mine && !this.accounted) ownRecords.bytes += this.recordsBytes();
    if (!on && this.accounted) ownRecords.bytes -= this.recordsBytes();
    this.accounted = on && mine;
  }

  /** Grow the records memory so that `slots` node records fit. Writer only. */
  ensureSlots(slots: number): void {
    if (slots <= this.i32[H.NODE_CAPACITY]) return;
    if (this.place !== null) {
      (this.grower as SetGrower).grow(slots, 0);
      return;
    }
    const cur = this.currentRecordsBuffer().byteLength;
    const need = this.recBase + slots * this.stride;
    // Small steps: at least 64 KiB, or 1/256 of the current size; never less than needed.
    // Every committed byte counts in bytes per element, and a grow costs only a few µs.
    const step = Math.max(need - cur, WASM_PAGE, Math.floor(cur / 256));
    const pages = Math.ceil(step / WASM_PAGE);
    if (this.wasm) {
      (this.records as WasmMemory).grow(pages);
      if (this.accounted) ownRecords.bytes += pages * WASM_PAGE;
    } else {
      const g = this.records as GrowableSab;
      g.grow(cur + pages * WASM_PAGE);
    }
    this.refresh();
    Atomics.store(this.i32, H.NODE_CAPACITY, this.slotsIn(this.u8.byteLength));
  }

  /** Grow the heap to at least `bytes`. Writer only. */
  ensureHeap(bytes: number): void {
    if (this.place !== null) {
      if (bytes > this.place.heapBytes) (this.grower as SetGrower).grow(0, bytes);
      return;
    }
    const heap = this.heap as GrowableSab;
    const cur = heap.byteLength;
    if (bytes <= cur) return;
    if (bytes > heap.maxByteLength) throw new RangeError('vector set heap is full (2 GiB)');
    const step = Math.max(bytes - cur, WASM_PAGE, Math.floor(cur / 64));
    const next = Math.min(heap.maxByteLength, Math.ceil((cur + step) / WASM_PAGE) * WASM_PAGE);
    heap.grow(next);
  }

  /** Real bytes held by the set's memory: its own buffers, or its arena block. */
  bufferBytes(): number {
    const p = this.place;
    if (p !== null) return arenaBlockBytes(p.heapBytes + p.recordsBytes);
    return this.currentRecordsBuffer().byteLength + (this.heap as GrowableSab).byteLength;
  }

  recordsBytes(): number {
    return this.place !== null ? this.place.recordsBytes : this.currentRecordsBuffer().byteLength;
  }
}

/** Per thread: views over each arena's scratch area (its first pages never move). */
const scratchViewCache = new WeakMap<object, { i32: Int32Array; f32: Float32Array; u8: Uint8Array }>();

function arenaScratchViews(memory: WasmMemory): { i32: Int32Array; f32: Float32Array; u8: Uint8Array } {
  let s = scratchViewCache.get(memory);
  if (s === undefined) {
    const buf = memory.buffer as SharedArrayBuffer;
    const bytes = SCRATCH_SLOTS * SCRATCH_BYTES;
    s = { i32: new Int32Array(buf, 0, bytes >>> 2), f32: new Float32Array(buf, 0, bytes >>> 2), u8: new Uint8Array(buf, 0, bytes) };
    scratchViewCache.set(memory, s);
  }
  return s;
}
