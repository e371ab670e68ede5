// SetViews: the typed-array views over one set's memory (layout.ts describes that memory), in
// every thread; the writer's also grow or move the set. A set lies either at offset 0 of memories
// of its own (the classic layout) or in a block of an arena (the compact layout, arena.ts).

import {
  asGrowable,
  createGrowableSab,
  createSharedWasmMemory,
  isWasmMemory,
  WASM_PAGE,
  type GrowableSab,
  type WasmMemory,
} from './platform.js';
import { blockBytes as arenaBlockBytes, threadScratchOffset, WRITER_ZONE_BYTES, WRITER_ZONE_OFFSET } from './arena.js';
import {
  COMPACT_HEADER_BYTES,
  geometry,
  H,
  HEADER_BYTES,
  LAYOUT_COMPACT,
  LAYOUT_VERSION,
  layoutBases,
  MAGIC,
  R,
  randomWords,
  type Geometry,
  type Quant,
  type SetHandle,
} from './layout.js';

/**
 * Bytes of the memories of sets of their own that an owner accounts for (`SetViews.account`):
 * records and heap. Node's memory figures leave both out — a WebAssembly memory and a growable
 * SharedArrayBuffer are not ArrayBuffers to `process.memoryUsage()` — so used_memory adds them
 * from here. Counted explicitly, not through weak references: a WeakRef keeps its target alive to
 * the end of the current job, which a loop that loads thousands of images in one go cannot afford.
 */
export const ownMemory = { bytes: 0 };

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
  /**
   * An arena block the images were read straight into (records after the heap, as the compact
   * layout has them): checked there, converted in place if classic, and adopted without a copy.
   */
  place?: ArenaPlace;
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
  /** Whether this set's own memories count in `ownMemory` (see account). */
  private accounted = false;
  /** The writer's way to move an arena set that needs more room (set by the owner). */
  grower: SetGrower | null = null;

  readonly dim: number;
  /** The stored quantisation (what VINFO, VEMB and DUMP show). */
  readonly quant: Quant;
  /** The quantisation the graph is walked in: Q8 in an exact NOQUANT set (layout.ts geometry). */
  readonly navQuant: Quant;
  readonly M: number;
  readonly stride: number;
  readonly vecBytes: number;
  readonly linkOff: number;
  /** Offset of the float32 copy in an exact set's records, 0 in other sets. */
  readonly exactOff: number;
  readonly exactBytes: number;
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
    const g = geometry(this.dim, this.quant, this.M, h[H.EXACT] === 1);
    this.navQuant = g.navQuant;
    this.exactOff = g.exactOff;
    this.exactBytes = g.exactBytes;
    this.recBase = h[H.REC_BASE];
    this.scratchBase = h[H.SCRATCH_BASE];
    this.visibleSlots = this.slotsIn(this.u8.byteLength);
  }

  /** (Re-)make every view for where the set lies now. */
  private bindViews(): void {
    const p = this.place;
    if (p === null) {
      this.base = 0;
      this.bindHeapViews();
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
    h[H.EXACT] = g.exactOff !== 0 ? 1 : 0;
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
    h[H.NODE_CAPACITY] = SetViews.arenaCapacity(place, g.stride);
    return new SetViews(place.memory, null, place);
  }

  /**
   * The node records an arena block holds (its header's NODE_CAPACITY): a live set writes records
   * up to it without asking for room, so one more would write into the next block.
   */
  static arenaCapacity(place: ArenaPlace, stride: number): number {
    return Math.max(0, Math.floor((place.recordsBytes - COMPACT_HEADER_BYTES) / stride));
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
    // A set of its own grows in place: its handle never changes (asked for at every search).
    return (this.ownHandle ??= { kind: 'vsetd.vset', records: this.records, heap: this.heap as GrowableSab });
  }
  private ownHandle: SetHandle | null = null;

  /**
   * Move the set: to another arena block (`place`), or, with `place` null, into the memories
   * `records`/`heap` of its own. The caller has copied the bytes there (converting the layout for
   * a move out of the arena) and keeps the old block alive for readers that may still use it.
   */
  moveTo(place: ArenaPlace | null, records?: WasmMemory | GrowableSab, heap?: GrowableSab): void {
    this.place = place;
    this.zoneStart = -1;
    this.ownHandle = null;
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
   * yet interpreted: the loader checks the copies in place (src/image; the views are aligned and
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

  /** The set over memory of its own from `copyImages`, once its images passed the checks of src/image. */
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
   * Count (or, with `false`, stop counting) this set's own memories in `ownMemory`, growth
   * included. The owner of a live set does, until it disposes of it.
   */
  account(on: boolean): void {
    const mine = this.place === null;
    if (on && mine && !this.accounted) ownMemory.bytes += this.bufferBytes();
    if (!on && this.accounted) ownMemory.bytes -= this.bufferBytes();
    this.accounted = on && mine;
  }

  /**
   * Where the writer's zone (writer-zone.ts) lies, -1 when there is none: past the last record
   * the memory can hold, so only a set of its own has one.
   */
  zoneStart = -1;

  /** Make the writer's zone [start, end) fit in the records memory, past NODE_CAPACITY. Writer only. */
  ensureZone(start: number, end: number): void {
    const cur = this.currentRecordsBuffer().byteLength;
    if (end > cur) {
      const pages = Math.ceil((end - cur) / WASM_PAGE);
      (this.records as WasmMemory).grow(pages);
      if (this.accounted) ownMemory.bytes += pages * WASM_PAGE;
      this.refresh();
    }
    this.zoneStart = start;
    this.zoneBytes = end - start;
  }
  /** The zone's size at its last use: records growth leaves that much room for it at the end. */
  private zoneBytes = 0;

  /** Grow the records memory so that `slots` node records fit. Writer only. */
  ensureSlots(slots: number): void {
    if (slots <= this.i32[H.NODE_CAPACITY]) return;
    if (this.place !== null) {
      (this.grower as SetGrower).grow(slots, 0);
      return;
    }
    const cur = this.currentRecordsBuffer().byteLength;
    if (this.zoneStart >= 0) {
      // The records take the zone over: leave them the zeroes fresh memory would have. The
      // zone moves to the new end (writer-zone.ts lays it out again at its next use).
      this.u8.fill(0, this.zoneStart, cur);
      this.zoneStart = -1;
      // Room enough already, zone kept at the end: no grow (the zone's page is not wasted).
      const fit = this.slotsIn(cur - this.zoneBytes);
      if (slots <= fit) {
        Atomics.store(this.i32, H.NODE_CAPACITY, fit);
        return;
      }
    }
    const need = this.recBase + slots * this.stride + this.zoneBytes;
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
    if (this.accounted) ownMemory.bytes += pages * WASM_PAGE;
    this.refresh();
    Atomics.store(this.i32, H.NODE_CAPACITY, this.slotsIn(this.u8.byteLength - this.zoneBytes));
  }

  /**
   * Whether the heap views have a fixed length (the owner's) or track the heap's growth (a
   * reader's). V8 reads a length-tracking view over a growable SharedArrayBuffer about 15× slower
   * than a fixed one (measured, Node 20: 870 ms against 55 ms for 52 M random reads) — a third of
   * an insert's time went into upper-level links read that way. The owner grows the heap itself
   * (ensureHeap) and re-makes its views then. A reader in another thread cannot know when the
   * heap grew, so its views keep tracking.
   */
  private heapFixed = false;

  private bindHeapViews(): void {
    const heap = this.heap as GrowableSab;
    if (this.heapFixed) {
      const len = heap.byteLength;
      this.hi32 = new Int32Array(heap, 0, len >>> 2);
      this.hu8 = new Uint8Array(heap, 0, len);
      this.hf32 = new Float32Array(heap, 0, len >>> 2);
    } else {
      this.hi32 = new Int32Array(heap);
      this.hu8 = new Uint8Array(heap);
      this.hf32 = new Float32Array(heap);
    }
  }

  /** The owner (the writer's thread) takes fixed-length heap views: see heapFixed. */
  ownHeapViews(): void {
    if (this.heapFixed) return;
    this.heapFixed = true;
    if (this.place === null) this.bindHeapViews();
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
    if (this.heapFixed) this.bindHeapViews();
    if (this.accounted) ownMemory.bytes += next - cur;
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

/** Per thread: views over each arena's scratch area and writer zone (its first pages never move). */
const scratchViewCache = new WeakMap<object, { i32: Int32Array; f32: Float32Array; u8: Uint8Array }>();

function arenaScratchViews(memory: WasmMemory): { i32: Int32Array; f32: Float32Array; u8: Uint8Array } {
  let s = scratchViewCache.get(memory);
  if (s === undefined) {
    const buf = memory.buffer as SharedArrayBuffer;
    const bytes = WRITER_ZONE_OFFSET + WRITER_ZONE_BYTES;
    s = { i32: new Int32Array(buf, 0, bytes >>> 2), f32: new Float32Array(buf, 0, bytes >>> 2), u8: new Uint8Array(buf, 0, bytes) };
    scratchViewCache.set(memory, s);
  }
  return s;
}
