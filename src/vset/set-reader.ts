// The reading half of a vector set (VectorSet, index.ts, adds writing and the ways to make one):
// where the set's views come from — kept, or dropped and made again for an arena set that has
// not been used lately — its parameters, turning nodes into names, attributes and vectors, and
// searching. Every thread can read; a worker's sets are read-only ones (VectorSet.attach).

import { activeReaders, currentEpoch, oldestActiveEpoch, readSeq } from '../hnsw/epoch.js';
import { F, FLAGS_SHIFT, H, Quant, R, SetViews, quantBytes, type ArenaPlace, type SetGrower } from '../hnsw/layout.js';
import { levelOf, linkCount, listBase, listWords } from '../hnsw/links.js';
import { Searcher, SearchResults, type PreparedQuery, type SearchOptions } from '../hnsw/search.js';
import { graphStats, type GraphStats } from '../hnsw/validate.js';
import { SetCheck } from '../image/set-check.js';
import type { KernelKind } from '../hnsw/kernels.js';
import type { WasmMemory } from '../hnsw/platform.js';
import { arenaSpace } from '../hnsw/arena.js';
import { attrView, elementAttrRef, elementNameView, elementNode, findElement, nameTableStats, type NameTableStats } from './elements.js';
import { encodeFor, reconstruct } from './quantize.js';
import { project } from './projection.js';
import { runChecks } from './image-load.js';
import { hydrated, sharedReaderFor, vectorScratch } from './thread-shared.js';

export interface RawVector {
  quant: Quant;
  /** The stored bytes: normalised float32 LE, int8 quants or bit words (spec §7.6). */
  bytes: Uint8Array;
  l2: number;
  /** Q8 only: the quantisation range. */
  range: number;
}

export interface NodeLinks {
  /** links[level] = neighbour slots at that level, in internal order; level 0 first. */
  links: Int32Array[];
  /** With scores: scores[level][i] = float-rounded 1 − d/2 (VLINKS WITHSCORES). */
  scores?: Float64Array[];
}

export function quantName(q: Quant): 'f32' | 'int8' | 'bin' {
  return q === Quant.NoQuant ? 'f32' : q === Quant.Q8 ? 'int8' : 'bin';
}

/**
 * An arena set about to be owned without views (a load adopting thousands of small sets: the
 * hydration ring would drop all but the last few hundred sets' views at once).
 */
export interface UnviewedArenaSet {
  place: ArenaPlace;
  dim: number;
  projectionDim: number;
}

export abstract class SetReader implements SetGrower {
  /**
   * The set's views. An arena set owned by this thread drops them when it has not been used for
   * a while (`views`, the hydration ring below) and keeps only `home`, where it lies: a million
   * sets must not hold a million sets of typed arrays. Everything else a set needs between
   * commands is in its memory.
   */
  protected views: SetViews | null;
  /**
   * Where an owned arena set lies (arena -1 for other sets): its views can be made again from
   * it. Four numbers rather than an ArenaPlace: a few dozen bytes less, a million times.
   */
  protected homeArena = -1;
  private homeBlock = 0;
  private homeHeap = 0;
  private homeRecords = 0;
  /** Set on every use of the views; the hydration ring gives a used set a second chance. */
  recentlyUsed = true;
  protected readonly owner: boolean;
  /** A searcher of the set's own (a set in memories of its own); arena sets share the thread's. */
  private ownReader: Searcher | null = null;
  protected readonly kernelPref: KernelKind | undefined;

  /**
   * Header words fixed for the set's life, kept here: VSIM checks them on the main thread for
   * every query, and reading them through the views would make the views of a set the hydration
   * ring let go again (a dozen typed arrays) only to compare two numbers.
   */
  private readonly fixedDim: number;
  private readonly fixedProjectionDim: number;

  /** `v`: the set's views, or where an arena set lies and its fixed header words (it starts without views). */
  protected constructor(v: SetViews | UnviewedArenaSet, owner: boolean, kernel?: KernelKind) {
    this.owner = owner;
    this.kernelPref = kernel;
    if (v instanceof SetViews) {
      this.views = v;
      this.fixedDim = v.dim;
      this.fixedProjectionDim = v.i32[H.PROJ_INPUT_DIM]!;
    } else {
      this.views = null;
      this.setHome(v.place);
      this.fixedDim = v.dim;
      this.fixedProjectionDim = v.projectionDim;
    }
  }

  /** An arena set needs room (VectorSet: a bigger block, or memories of its own). */
  abstract grow(slots: number, heapBytes: number): void;

  /** The views, made again from `home` if they were dropped. */
  protected get v(): SetViews {
    const v = this.views;
    if (v !== null) {
      this.recentlyUsed = true;
      return v;
    }
    const arena = this.homeArena;
    if (arena < 0) throw new Error('this VectorSet was disposed');
    const again = SetViews.attach({
      kind: 'vsetd.arena-set',
      arena,
      memory: arenaSpace.arena(arena).memory,
      block: this.homeBlock,
      heapBytes: this.homeHeap,
      recordsBytes: this.homeRecords,
    });
    again.grower = this;
    this.views = again;
    this.recentlyUsed = true;
    hydrated.admit(this);
    return again;
  }

  /** Drop the views of an owned arena set (the hydration ring); false when it must keep them. */
  dehydrate(): boolean {
    if (this.homeArena < 0 || this.views === null) return false;
    this.views = null;
    return true;
  }

  protected setHome(p: ArenaPlace | null): void {
    // As small integers (`>>> 0`, `| 0`): the allocator's sizes come out of floating-point
    // arithmetic, and a field V8 has seen a double in keeps a 16-byte number box per set (two per
    // set, a million sets). Blocks lie below 4 GiB, heap and records parts below 8 MiB.
    this.homeArena = p === null ? -1 : p.arena;
    this.homeBlock = p === null ? 0 : p.block >>> 0;
    this.homeHeap = p === null ? 0 : p.heapBytes | 0;
    this.homeRecords = p === null ? 0 : p.recordsBytes | 0;
  }

  /** Where the set lies in an arena, without making its views again (null: memories of its own). */
  protected arenaPlace(): ArenaPlace | null {
    if (this.views !== null) return this.views.place;
    const arena = this.homeArena;
    if (arena < 0) return null;
    return { arena, memory: arenaSpace.arena(arena).memory, block: this.homeBlock, heapBytes: this.homeHeap, recordsBytes: this.homeRecords };
  }

  /** Whether the set lies in an arena (false once it has memories of its own). */
  get inArena(): boolean {
    return this.homeArena >= 0 || (this.views !== null && this.views.place !== null);
  }

  // ---- parameters (VINFO) ----------------------------------------------------------------

  get card(): number {
    return Atomics.load(this.v.i32, H.COUNT);
  }
  /**
   * The element count without making dropped views again: an owned arena set the hydration ring
   * let go reads it from its arena's memory. VSIM asks it of every set to choose where the search
   * runs, and most searches on such a set go to a worker, which makes views of its own.
   */
  get cardWithoutViews(): number {
    if (this.views !== null || this.homeArena < 0) return this.card;
    return Atomics.load(arenaSpace.arena(this.homeArena).words, (this.homeHeader() >>> 2) + H.COUNT);
  }
  /** The byte offset of an arena set's compact header in its memory: after the heap part of its block. */
  private homeHeader(): number {
    return this.homeBlock + this.homeHeap;
  }
  /**
   * The meaningful prefix of both images (SetViews.usedBytes) of an owned arena set the hydration
   * ring let go, read from its arena's memory without making its views again (a SAVE captures
   * every set once; null when the set has views, or memories of its own).
   */
  protected usedBytesWithoutViews(): { records: Uint8Array; heap: Uint8Array } | null {
    if (this.views !== null || this.homeArena < 0) return null;
    const arena = arenaSpace.arena(this.homeArena);
    const header = this.homeHeader();
    const words = arena.words;
    const h = header >>> 2;
    const recEnd = words[h + H.REC_BASE]! + Atomics.load(words, h + H.HIGH_WATER) * words[h + H.STRIDE]!;
    const bytes = arena.bytes;
    return { records: bytes.subarray(header, header + recEnd), heap: bytes.subarray(this.homeBlock, this.homeBlock + words[h + H.HEAP_TOP]!) };
  }
  /**
   * The WebAssembly memories `images()` lie in, so that a save reading them in place digests
   * them there (null where an image is not in one: the heap of a set with memories of its own).
   */
  imageMemories(): { records: WasmMemory | null; heap: WasmMemory | null } {
    const place = this.arenaPlace();
    if (place !== null) return { records: place.memory, heap: place.memory };
    const v = this.v;
    return { records: v.wasm ? (v.records as WasmMemory) : null, heap: null };
  }
  /** Node slots ever used (the high-water mark): every node number is below it. */
  get slotCount(): number {
    return Atomics.load(this.v.i32, H.HIGH_WATER);
  }

  get dim(): number {
    return this.fixedDim;
  }
  get quant(): Quant {
    return this.v.quant;
  }
  /** 'f32' | 'int8' | 'bin', as VINFO quant-type and VEMB RAW name them. */
  get quantName(): 'f32' | 'int8' | 'bin' {
    return quantName(this.v.quant);
  }
  get M(): number {
    return this.v.M;
  }
  /** The entry point's level (VINFO max-level). */
  get maxLevel(): number {
    return Atomics.load(this.v.i32, H.MAX_LEVEL);
  }
  /** REDUCE input dimension, 0 without projection (VINFO projection-input-dim). */
  get projectionInputDim(): number {
    return this.fixedProjectionDim;
  }
  get attributesCount(): number {
    return this.v.i32[H.ATTR_COUNT];
  }
  /** Node ids handed out so far (VINFO hnsw-max-node-uid). */
  get lastNodeId(): number {
    return (this.v.i32[H.LAST_ID_HI] >>> 0) * 4294967296 + (this.v.i32[H.LAST_ID_LO] >>> 0);
  }
  /** Which distance kernel this thread's searches use. */
  get kernel(): KernelKind {
    return this.searcher().kernel;
  }
  /**
   * Bytes the set uses (MEMORY USAGE): header and records up to the high-water mark, and the heap
   * blocks in use (names, attributes, upper links, name table). It grows with elements and
   * attributes and shrinks when they go; `reservedBytes` is what the set's memory holds.
   */
  memoryUsage(): number {
    const v = this.v;
    return v.recOff(v.i32[H.HIGH_WATER]) + v.i32[H.HEAP_LIVE] + 8;
  }
  /** Bytes the set's memory holds: its own buffers, or its arena block. */
  reservedBytes(): number {
    return this.v.bufferBytes();
  }
  /**
   * Bytes of the graph proper — records memory (header, scratch, node records with vectors and
   * level-0 links) plus upper-level link blocks — i.e. without names, attributes, name index.
   */
  graphBytes(): number {
    return this.v.recordsBytes() + this.v.i32[H.UPPER_BYTES];
  }

  /** Project (when REDUCE applies) into the stored dimension. */
  protected toStoredDim(input: Float32Array, forQuery: boolean): Float32Array {
    const from = this.projectionInputDim;
    if (from !== 0 && input.length === from) {
      const ref = this.v.i32[H.PROJ_REF] >>> 2;
      const m = this.v.hf32.subarray(ref, ref + this.v.dim * from);
      const projected = vectorScratch(this.v).projected;
      project(m, this.v.dim, from, input, projected);
      return projected;
    }
    if (input.length === this.v.dim && (from === 0 || forQuery)) return input;
    if (from !== 0) {
      throw new RangeError(`Input dimension mismatch for projection - got ${input.length} but projection expects ${from}`);
    }
    throw new RangeError(`Vector dimension mismatch - got ${input.length} but set has ${this.v.dim}`);
  }

  /**
   * Prepare a query vector (VSIM FP32/VALUES): project if it has the projection's input length
   * (a vector of the reduced length is used as is), normalise, quantise. The result can be
   * passed to `search` here or, structured-cloned, in a worker.
   */
  prepare(input: Float32Array): PreparedQuery {
    return this.queryOf(this.toStoredDim(input, true));
  }

  /**
   * The query for VSIM ELE: the element's stored vector reconstructed as VEMB returns it, then
   * normalised and quantised like an input vector (no projection: it is already reduced).
   */
  queryFromNode(node: number): PreparedQuery {
    const x = new Float32Array(this.v.dim);
    this.read(() => this.reconstructInto(node, x));
    return this.queryOf(x);
  }

  /** A vector of the stored dimension normalised and encoded as the set stores it (encodeFor). */
  private queryOf(x: Float32Array): PreparedQuery {
    const bytes = new Uint8Array(this.v.vecBytes + this.v.exactBytes);
    const { range } = encodeFor(this.v, x, new Float32Array(this.v.dim), bytes);
    return { bytes, range };
  }

  // ---- elements out ----------------------------------------------------------------------

  protected elementOf(node: number): number {
    const v = this.v;
    v.syncWithHeader();
    if (node < 0 || node >= v.visibleSlots) throw new RangeError(`no node ${node}`);
    return v.i32[(v.recOff(node) + R.ELEM) >>> 2];
  }

  /** The element's node, or -1 (VISMEMBER, VSIM ELE, VEMB …). */
  lookup(name: Uint8Array): number {
    return this.read(() => {
      const elem = findElement(this.v, name);
      return elem === 0 ? -1 : elementNode(this.v, elem);
    });
  }

  /** Whether `node` is a live node (not deleted). */
  isLive(node: number): boolean {
    const v = this.v;
    v.syncWithHeader();
    if (node < 0 || node >= v.visibleSlots) return false;
    return ((v.i32[v.recOff(node) >>> 2] >>> FLAGS_SHIFT) & F.LIVE) !== 0;
  }

  // Methods returning copies run in a read section of their own, so they are safe in a worker
  // while the owner writes. The *View methods return views into shared memory: call them inside
  // `read(fn)` (or on the owner thread between writes).

  /** A copy of the node's element name. */
  nameOf(node: number): Uint8Array {
    return this.read(() => this.nameView(node).slice());
  }

  /**
   * The name as a view into shared memory, without copying: valid until the element is deleted
   * and reclaimed, i.e. for the duration of a search's read section or on the writer thread
   * until the next write.
   */
  nameView(node: number): Uint8Array {
    return elementNameView(this.v, this.elementOf(node));
  }

  /** A copy of the attribute, or null when the element has none. */
  getAttr(node: number): Uint8Array | null {
    return this.read(() => {
      const view = this.attrView(node);
      return view === null ? null : view.slice();
    });
  }

  /** The attribute as a view into shared memory (same validity as nameView). */
  attrView(node: number): Uint8Array | null {
    const ref = elementAttrRef(this.v, this.elementOf(node));
    return ref === 0 ? null : attrView(this.v, ref);
  }

  /** VEMB: the reconstructed vector (spec §3.6) as doubles. */
  reconstruct(node: number): Float64Array {
    const out = new Float64Array(this.v.dim);
    this.read(() => this.reconstructInto(node, out));
    return out;
  }

  private reconstructInto(node: number, out: Float32Array | Float64Array): void {
    const v = this.v;
    const raw = this.rawView(node);
    reconstruct(v.quant, v.dim, raw, v.f32[(v.recOff(node) + R.L2) >>> 2], v.f32[(v.recOff(node) + R.RANGE) >>> 2], out);
  }

  private rawView(node: number): Uint8Array {
    const v = this.v;
    v.syncWithHeader();
    if (node < 0 || node >= v.visibleSlots) throw new RangeError(`no node ${node}`);
    // An exact set's stored vector is its float32 copy (the Q8 one only guides the walk).
    const off = v.recOff(node) + (v.exactOff !== 0 ? v.exactOff : R.VEC);
    return v.u8.subarray(off, off + quantBytes(v.dim, v.quant));
  }

  /** VEMB RAW: the stored bytes (a copy), l2 and range. */
  raw(node: number): RawVector {
    const v = this.v;
    return this.read(() => {
      const bytes = this.rawView(node).slice();
      const rec = v.recOff(node);
      // A NOQUANT vector has no range (an exact set's RANGE word is its Q8 copy's).
      return { quant: v.quant, bytes, l2: v.f32[(rec + R.L2) >>> 2], range: v.exactOff !== 0 ? 0 : v.f32[(rec + R.RANGE) >>> 2] };
    });
  }

  /** The node's top level. */
  level(node: number): number {
    return levelOf(this.v, node);
  }

  /** VLINKS: neighbours per level (index 0 = level 0), optionally with float-rounded scores. */
  links(node: number, withScores = false): NodeLinks {
    return this.read(() => this.linksInside(node, withScores));
  }

  private linksInside(node: number, withScores: boolean): NodeLinks {
    const v = this.v;
    const level = levelOf(v, node);
    const links: Int32Array[] = [];
    const scores: Float64Array[] = [];
    const s = this.searcher();
    for (let lc = 0; lc <= level; lc++) {
      const n = linkCount(v, node, lc);
      const words = listWords(v, lc);
      const base = listBase(v, node, lc);
      const ids = new Int32Array(n);
      for (let i = 0; i < n; i++) ids[i] = words[base + i];
      links.push(ids);
      if (withScores) {
        const sc = new Float64Array(n);
        for (let i = 0; i < n; i++) sc[i] = Math.fround(1 - s.exactDist(v.recOff(node), v.recOff(ids[i])) / 2);
        scores.push(sc);
      }
    }
    return withScores ? { links, scores } : { links };
  }

  /** A uniformly random live node, or -1 for an empty set (VRANDMEMBER). */
  randomNode(random: () => number = Math.random): number {
    const v = this.v;
    v.syncWithHeader();
    const hw = Math.min(Atomics.load(v.i32, H.HIGH_WATER), v.visibleSlots);
    if (this.card === 0 || hw === 0) return -1;
    const i32 = v.i32;
    for (let tries = 0; tries < 64; tries++) {
      const s = Math.floor(random() * hw);
      if (((i32[v.recOff(s) >>> 2] >>> FLAGS_SHIFT) & F.LIVE) !== 0) return s;
    }
    // A very sparse set (most slots free): walk from a random start to the next live slot.
    const start = Math.floor(random() * hw);
    for (let k = 0; k < hw; k++) {
      const s = (start + k) % hw;
      if (((i32[v.recOff(s) >>> 2] >>> FLAGS_SHIFT) & F.LIVE) !== 0) return s;
    }
    return -1;
  }

  /** Every live node, in slot order. */
  *nodes(): IterableIterator<number> {
    const v = this.v;
    v.syncWithHeader();
    const hw = Math.min(Atomics.load(v.i32, H.HIGH_WATER), v.visibleSlots);
    for (let s = 0; s < hw; s++) {
      if (((v.i32[v.recOff(s) >>> 2] >>> FLAGS_SHIFT) & F.LIVE) !== 0) yield s;
    }
  }

  // ---- search ----------------------------------------------------------------------------

  /** The searcher: the set's own, or the thread's shared one pointed at this set (arena sets). */
  protected searcher(): Searcher {
    const v = this.v;
    if (v.place !== null) {
      return sharedReaderFor(v);
    }
    if (this.ownReader === null) this.ownReader = new Searcher(v, this.kernelPref);
    else this.ownReader.rebind(v);
    this.ownReader.bind();
    return this.ownReader;
  }

  /**
   * VSIM: approximate k-NN (or exact with `truth`), ascending by distance. Results go to `out`
   * (reused when given). Safe in any thread; on the owner thread it simply runs inline.
   */
  search(query: PreparedQuery, opts: SearchOptions, out: SearchResults = new SearchResults()): SearchResults {
    this.searcher().search(query, opts, out);
    return out;
  }

  /**
   * Run `fn` inside a read section. Node slots, names and attributes obtained inside stay valid
   * until it returns, even while the owner deletes concurrently (their memory is reclaimed only
   * after every read section that could have seen them has ended). Workers should search and
   * build the whole reply in one `read`. Sections nest; `search` enters one on its own.
   */
  read<T>(fn: () => T): T {
    const s = this.searcher();
    s.enterRead();
    try {
      return fn();
    } finally {
      s.exitRead();
    }
  }

  /** Distance computations of this thread's searches so far (benchmarks). */
  get distanceCount(): number {
    return this.searcher().distanceCount;
  }

  // ---- concurrency hooks -----------------------------------------------------------------

  /** Seqlock word: odd while a write is in progress; changes with every write. */
  get seq(): number {
    return readSeq(this.v);
  }
  get epoch(): number {
    return currentEpoch(this.v);
  }
  oldestActiveEpoch(): number {
    return oldestActiveEpoch(this.v);
  }
  activeSearches(): number {
    return activeReaders(this.v);
  }
  // ---- checks ----------------------------------------------------------------------------

  /**
   * Every check `fromImages` makes, on the live set (owner thread, between writes): an empty list
   * means OK. Items waiting for reclamation are allowed, as they are in images.
   */
  validate(): string[] {
    const v = this.v;
    v.refresh();
    // Fixed-length heap views: element access through length-tracking ones is slower.
    const top = v.i32[H.HEAP_TOP];
    const views = { i32: v.i32, u8: v.u8, hi32: v.hi32.subarray(0, top >>> 2), hu8: v.hu8.subarray(0, top) };
    return runChecks(new SetCheck(views, false), v.u8.byteLength, top).problems;
  }

  stats(): GraphStats {
    return graphStats(this.v);
  }

  /** Name table figures: capacity, live entries, tombstones, probe lengths. */
  nameIndexStats(): NameTableStats {
    return nameTableStats(this.v);
  }
}
