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
 * `records` is a shared WebAssembly.Memory, or a growable SharedArrayBuffer when no WebAssembly
 * memory could be reserved (then the engine uses its plain-JS kernels).
 */
export interface SetHandle {
  readonly kind: 'vsetd.vset';
  readonly records: WasmMemory | SharedArrayBuffer;
  readonly heap: SharedArrayBuffer;
}

/**
 * `n` random 32-bit words from the system's CSPRNG (name hash keys, validation salts). Through
 * randomFillSync: the Web Crypto getRandomValues loads its module on first use, 2-3 ms inside
 * a snapshot load, before its helper thread could start (0.1-0.2 ms this way).
 */
export function randomWords(n: number): Uint32Array {
  return randomFillSync(new Uint32Array(n));
}

const HEAP_MAX_BYTES = 2 ** 31 - 8;
const RECORDS_MAX_BYTES_GSAB = 2 ** 32 - WASM_PAGE;

/**
 * Typed-array views over a set's two buffers. Every thread has its own `SetViews`; the writer's
 * also grows the buffers. Views over `records` are fixed-length (a WebAssembly memory's buffer
 * object is replaced when it grows), so readers call `refresh()` when the header says the set
 * grew past what they see. Views over the heap track its length automatically.
 */
/** Copies of a set's two images in fresh shared memory (SetViews.copyImages). */
export interface ImageMemory {
  mem: WasmMemory | GrowableSab;
  hp: GrowableSab;
  /** The records image in `mem`, exactly as long as the input. */
  records: Uint8Array;
  /** The heap image in `hp`, exactly as long as the input. */
  heap: Uint8Array;
}

export class SetViews {
  readonly records: WasmMemory | GrowableSab;
  readonly heap: GrowableSab;
  readonly wasm: boolean;
  /** Records memory, as words/floats/bytes. Replaced by refresh(). */
  i32!: Int32Array;
  f32!: Float32Array;
  u8!: Uint8Array;
  i8!: Int8Array;
  /** Heap views (length-tracking). */
  readonly hi32: Int32Array;
  readonly hu8: Uint8Array;
  readonly hf32: Float32Array;
  /** Slots covered by the current record views. */
  visibleSlots = 0;

  readonly dim: number;
  readonly quant: Quant;
  readonly M: number;
  readonly stride: number;
  readonly vecBytes: number;
  readonly linkOff: number;
  readonly recBase: number;
  readonly scratchBase: number;

  private constructor(records: WasmMemory | GrowableSab, heap: GrowableSab) {
    this.records = records;
    this.heap = heap;
    this.wasm = isWasmMemory(records);
    this.hi32 = new Int32Array(heap);
    this.hu8 = new Uint8Array(heap);
    this.hf32 = new Float32Array(heap);
    this.refresh();
    const h = this.i32;
    if (h[H.MAGIC] !== MAGIC || h[H.LAYOUT_VERSION] !== LAYOUT_VERSION) {
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

  /** Attach to an existing set from its handle (any thread). */
  static attach(handle: SetHandle): SetViews {
    const records = isWasmMemory(handle.records) ? handle.records : asGrowable(handle.records as SharedArrayBuffer);
    return new SetViews(records, asGrowable(handle.heap));
  }

  /** Create the buffers of a new, empty set and write its header. Writer only. */
  static create(
    g: Geometry,
    projInputDim: number,
    seedWords: Uint32Array,
    forceJs = false,
    nameKey: Uint32Array = randomWords(2),
  ): SetViews {
    const scratchBase = HEADER_BYTES;
    // One scratch record per reader slot, plus one for the writer.
    const recBase = scratchBase + (READER_SLOTS + 1) * g.stride;
    // Room for a handful of nodes; grows on demand.
    const initialBytes = recBase + 16 * g.stride;
    const pages = Math.ceil(initialBytes / WASM_PAGE);
    let records: WasmMemory | GrowableSab | null = forceJs ? null : createSharedWasmMemory(pages);
    if (!records) records = createGrowableSab(pages * WASM_PAGE, RECORDS_MAX_BYTES_GSAB);
    const heap = createGrowableSab(WASM_PAGE, HEAP_MAX_BYTES);
    const buf = isWasmMemory(records) ? records.buffer : records;
    const h = new Int32Array(buf, 0, HEADER_BYTES / 4);
    h[H.MAGIC] = MAGIC;
    h[H.LAYOUT_VERSION] = LAYOUT_VERSION;
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
    h[H.NODE_CAPACITY] = Math.floor((buf.byteLength - recBase) / g.stride);
    return new SetViews(records, asGrowable(heap));
  }

  handle(): SetHandle {
    return { kind: 'vsetd.vset', records: this.records, heap: this.heap };
  }

  /**
   * Fresh shared memory holding a copy of `records` and `heap` bytes (as returned by `usedBytes`),
   * not yet interpreted: the loader checks the copies in place (image.ts; the views are aligned
   * and exactly as long as the images), then `fromImageMemory` turns them into a set. Checking
   * the copy instead of the input saves an aligned copy of the input, and copying aligned-to-
   * aligned is the fast path of a copy into shared memory. Throws RangeError for images larger
   * than a set can be.
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
  static recordsMemory(bytes: number, forceJs = false): Pick<ImageMemory, 'mem' | 'records'> {
    if (!(bytes >= 0 && bytes <= RECORDS_MAX_BYTES_GSAB)) throw new RangeError(`records image of ${bytes} bytes is larger than a vector set can be`);
    const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
    let mem: WasmMemory | GrowableSab | null = forceJs ? null : createSharedWasmMemory(pages);
    if (!mem) mem = createGrowableSab(pages * WASM_PAGE, RECORDS_MAX_BYTES_GSAB);
    const buf = (isWasmMemory(mem) ? mem.buffer : mem) as SharedArrayBuffer;
    return { mem, records: new Uint8Array(buf, 0, bytes) };
  }

  /** Fresh heap memory for an image of `bytes` bytes, and its view (see recordsMemory). */
  static heapMemory(bytes: number): Pick<ImageMemory, 'hp' | 'heap'> {
    if (!(bytes >= 0 && bytes <= HEAP_MAX_BYTES)) throw new RangeError(`heap image of ${bytes} bytes is larger than a vector set can be`);
    const hp = createGrowableSab(Math.max(WASM_PAGE, Math.ceil(bytes / WASM_PAGE) * WASM_PAGE), HEAP_MAX_BYTES);
    return { hp, heap: new Uint8Array(hp, 0, bytes) };
  }

  /** The set over memory from `copyImages`, once its images passed the checks of image.ts. */
  static fromImageMemory(m: ImageMemory): SetViews {
    if (m.records.byteLength < HEADER_BYTES) throw new Error('records image too short');
    const v = new SetViews(m.mem, m.hp);
    v.i32[H.NODE_CAPACITY] = v.visibleSlots;
    return v;
  }

  /** The meaningful prefix of both buffers (records up to the high-water mark, heap up to its top). */
  usedBytes(): { records: Uint8Array; heap: Uint8Array } {
    const recEnd = this.recOff(this.i32[H.HIGH_WATER]);
    return {
      records: this.u8.subarray(0, recEnd),
      heap: new Uint8Array(this.heap, 0, this.i32[H.HEAP_TOP]),
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
    const buf = this.currentRecordsBuffer();
    if (this.u8 !== undefined && this.u8.buffer === buf && this.u8.byteLength === buf.byteLength) return;
    // Fixed-length views in both cases: for a growable SAB they are re-made here as well, which
    // keeps the hot loops on plain (non length-tracking) typed arrays.
    const len = buf.byteLength;
    this.i32 = new Int32Array(buf, 0, len >>> 2);
    this.f32 = new Float32Array(buf, 0, len >>> 2);
    this.u8 = new Uint8Array(buf, 0, len);
    this.i8 = new Int8Array(buf, 0, len);
    if (this.stride !== undefined) this.visibleSlots = this.slotsIn(len);
  }

  /** Make sure the views cover every slot below the header's high-water mark. */
  syncWithHeader(): void {
    if (Atomics.load(this.i32, H.HIGH_WATER) > this.visibleSlots) this.refresh();
  }

  recOff(slot: number): number {
    return this.recBase + slot * this.stride;
  }

  /** Scratch record of a reader slot; READER_SLOTS is the writer's. */
  scratchOff(readerSlot: number): number {
    return this.scratchBase + readerSlot * this.stride;
  }

  // ---- writer side -------------------------------------------------------------------------

  /** Grow the records memory so that `slots` node records fit. Writer only. */
  ensureSlots(slots: number): void {
    if (slots <= this.i32[H.NODE_CAPACITY]) return;
    const cur = this.currentRecordsBuffer().byteLength;
    const need = this.recBase + slots * this.stride;
    // Small steps: at least 64 KiB, or 1/256 of the current size; never less than needed.
    // Every committed byte counts in bytes per element, and a grow costs only a few µs.
    const step = Math.max(need - cur, WASM_PAGE, Math.floor(cur / 256));
    const pages = Math.ceil(step / WASM_PAGE);
    if (this.wasm) {
      (this.records as WasmMemory).grow(pages);
    } else {
      const g = this.records as GrowableSab;
      g.grow(cur + pages * WASM_PAGE);
    }
    this.refresh();
    Atomics.store(this.i32, H.NODE_CAPACITY, this.slotsIn(this.u8.byteLength));
  }

  /** Grow the heap to at least `bytes`. Writer only. */
  ensureHeap(bytes: number): void {
    const cur = this.heap.byteLength;
    if (bytes <= cur) return;
    if (bytes > this.heap.maxByteLength) throw new RangeError('vector set heap is full (2 GiB)');
    const step = Math.max(bytes - cur, WASM_PAGE, Math.floor(cur / 64));
    const next = Math.min(this.heap.maxByteLength, Math.ceil((cur + step) / WASM_PAGE) * WASM_PAGE);
    this.heap.grow(next);
  }

  /** Real bytes held by the set's buffers. */
  bufferBytes(): number {
    return this.currentRecordsBuffer().byteLength + this.heap.byteLength;
  }

  recordsBytes(): number {
    return this.currentRecordsBuffer().byteLength;
  }
}
