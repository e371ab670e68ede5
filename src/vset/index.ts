// The vector set: the one API the command layer (VADD, VSIM, VREM, VEMB, VLINKS, …) uses.
// See src/hnsw/README.md for the guided tour; this file is the facade over src/hnsw (the graph
// in shared memory) and src/vset (quantisation, REDUCE, names and attributes).
//
// Plain data in and out: names and attributes are Uint8Array (binary-safe), vectors Float32Array,
// search results typed arrays of node slots and float distances. A "node" is a slot number: valid
// while the element exists (an update gives the element a new node).
//
// Threads: the thread that calls `VectorSet.create` owns the set and is its only writer. Any
// thread can `VectorSet.attach(handle)` — the handle is structured-cloneable — and then search,
// resolve names, read attributes, reconstruct vectors, all without the owner.

import { activeReaders, beginWrite, currentEpoch, endWrite, oldestActiveEpoch, readSeq } from '../hnsw/epoch.js';
import { blockBytes as heapBlockBytes, heapAlloc } from '../hnsw/heap.js';
import { linkNewNode, linkPlannedNode, planUsable, DEFAULT_EF_CONSTRUCTION } from '../hnsw/insert.js';
import { planInsert, type InsertPlan } from '../hnsw/plan.js';
import { deleteNode } from '../hnsw/delete.js';
import {
  F,
  FLAGS_SHIFT,
  H,
  HEADER_BYTES,
  READER_SLOTS,
  MAX_DIM,
  MAX_M,
  MIN_M,
  Quant,
  R,
  SetViews,
  type ImageMemory,
  geometry,
  quantBytes,
  upperBlockBytes,
  type SetHandle,
  type ArenaPlace,
  type SetGrower,
} from '../hnsw/layout.js';
import { levelOf, linkCount, listBase, listWords } from '../hnsw/links.js';
import { drawLevel, seedState } from '../hnsw/prng.js';
import { Searcher, SearchResults, type PreparedQuery, type SearchOptions } from '../hnsw/search.js';
import { graphStats, type GraphStats } from '../hnsw/validate.js';
import { adoptImage, checkGraph } from '../image/image.js';
import { ImageError, imageViews } from '../image/check-state.js';
import { SetCheck } from '../image/set-check.js';
import type { LinkStream, StagedHeap } from '../image/streamed-load.js';
import { GraphWriter, publishNode, type WriterState } from '../hnsw/writer.js';
import type { Limbo } from '../hnsw/epoch.js';
import type { KernelKind } from '../hnsw/kernels.js';
import { isWasmMemory, type WasmMemory } from '../hnsw/platform.js';
import {
  attrBytes,
  attrView,
  checkElements,
  elementBytes,
  indexGrowthBytes,
  prepareElements,
  createElement,
  elementAttrRef,
  elementNameView,
  elementNode,
  findElement,
  indexElement,
  nameTableStats,
  removeElement,
  setAttribute,
  setElementNode,
  type NameTableStats,
} from './elements.js';
import { encodeVector, normalizeInPlace, quantizeBin, quantizeQ8, reconstruct } from './quantize.js';
import { buildProjection, project } from './projection.js';
import { loadMark } from '../persistence/load-trace.js';
import { arenaEligible, allocPlace, allocPlaceBytes, compactToClassic, growArenaSet, placeImages, retirePlace, toCompact } from './placement.js';
export { SetMemoryError } from './placement.js';
import { arenaSpace, PROMOTE_BYTES } from '../hnsw/arena.js';

export { Quant, type SetHandle } from '../hnsw/layout.js';
export { ImageError } from '../image/check-state.js';
export { SearchResults, type PreparedQuery, type SearchOptions } from '../hnsw/search.js';
export type { GraphStats } from '../hnsw/validate.js';
export { encodePlan, decodePlan, type InsertPlan } from '../hnsw/plan.js';
export type { NameTableStats } from './elements.js';
export type { KernelKind } from '../hnsw/kernels.js';

export const DEFAULT_M = 16;
export { DEFAULT_EF_CONSTRUCTION };
export { DEFAULT_EF } from '../hnsw/search.js';

export interface CreateOptions {
  /** Stored dimension: the vector length, or the REDUCE target. 1 … 65536. */
  dim: number;
  /** Default Q8. */
  quant?: Quant;
  /** Graph degree, 4 … 4096, default 16. */
  M?: number;
  /** REDUCE: the input dimension of the projection (> dim not required; dim ≤ it). */
  projectFrom?: number;
  /** Seed of the level-draw generator; random when omitted. */
  seed?: number;
  /** Force the plain-JS kernels and buffers (tests, benchmarks); default: WebAssembly. */
  kernel?: KernelKind;
  /**
   * The 64-bit key of the name hash as two 32-bit words; random (from the system CSPRNG) when
   * omitted, which is what a server must do. Tests pin it to reproduce a table layout.
   */
  nameKey?: readonly [number, number];
  /**
   * Start the set in an arena (src/hnsw/arena.ts), as the server does for every new set, so that
   * a set costs only the bytes it holds. A set too wide for an arena gets memories of its own
   * regardless. Off by default for the engine's own users (tests, benchmarks).
   */
  arena?: boolean;
}

/**
 * Initial heap of an arena set: the null word, a minimal name table (8 entries), five short
 * names and two upper-level link blocks at M 16 — with the records of five 8-dim Q8 elements and
 * the header, a 2 KiB block. A set that needs more moves to a bigger block.
 */
const ARENA_INITIAL_HEAP = 320;

export interface AddOptions {
  /** EF construction (VADD EF), default 200. */
  ef?: number;
  /**
   * Attribute: undefined keeps the current one (or none for a new element), null removes it,
   * bytes (possibly empty) store it.
   */
  attr?: Uint8Array | null;
  /**
   * VADD CAS: the ticket taken when the command was accepted and the plan a search thread made
   * with it (null if none came back). Used for a new element when the plan still fits the graph;
   * otherwise the insert searches as usual, at the ticket's level.
   */
  cas?: { ticket: CasTicket; plan: InsertPlan | null };
}

/** What the owner notes when it accepts a VADD CAS (see hnsw/plan.ts). */
export interface CasTicket {
  /** The new node's level, drawn now so the plan can be made for it. */
  level: number;
  /** The writer's count of retired slots: the plan is stale once it moves. */
  retired: number;
}

export interface AddResult {
  /** True for a new element, false for an update of an existing one. */
  added: boolean;
  /** A CAS insert linked from its plan (false: it searched again, or no CAS). */
  planned?: boolean;
  /** The element's node after the call. */
  node: number;
}

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

function quantName(q: Quant): 'f32' | 'int8' | 'bin' {
  return q === Quant.NoQuant ? 'f32' : q === Quant.Q8 ? 'int8' : 'bin';
}

export class VectorSet implements SetGrower, WriterState {
  /**
   * The set's views. An arena set owned by this thread drops them when it has not been used for
   * a while (`views`, the hydration ring below) and keeps only `home`, where it lies: a million
   * sets must not hold a million sets of typed arrays. Everything else a set needs between
   * commands is in its memory.
   */
  private views: SetViews | null;
  /**
   * Where an owned arena set lies (arena -1 for other sets): its views can be made again from
   * it. Four numbers rather than an ArenaPlace: a few dozen bytes less, a million times.
   */
  private homeArena = -1;
  private homeBlock = 0;
  private homeHeap = 0;
  private homeRecords = 0;
  /** Set on every use of the views; the hydration ring gives a used set a second chance. */
  recentlyUsed = true;
  private readonly owner: boolean;
  /** A writer and a searcher of the set's own (a set in memories of its own); arena sets share the thread's. */
  private ownWriter: GraphWriter | null = null;
  private ownReader: Searcher | null = null;
  /** The writer's memory of this set (WriterState, for GraphWriter.rebind): limbo and retired slots. */
  limbo: Limbo | null = null;
  retiredSlots = 0;
  private readonly kernelPref: KernelKind | undefined;

  /** Set by dispose(): the set's memory may belong to another set by now. */
  private disposed = false;

  private constructor(v: SetViews, owner: boolean, kernel?: KernelKind) {
    this.views = v;
    this.owner = owner;
    this.kernelPref = kernel;
    if (owner && v.place !== null) {
      this.setHome(v.place);
      v.grower = this;
      hydrated.admit(this);
    } else if (owner) {
      this.ownWriter = new GraphWriter(v, kernel, this);
    }
    if (owner) v.account(true);
  }

  /** The views, made again from `home` if they were dropped. */
  private get v(): SetViews {
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

  /** The writer: the set's own, or the thread's shared one pointed at this set. */
  private get writer(): GraphWriter | null {
    if (!this.owner) return null;
    if (this.ownWriter !== null) return this.ownWriter;
    const v = this.v;
    if (sharedWriter === null) sharedWriter = new GraphWriter(v, 'wasm', this);
    else sharedWriter.rebind(v, this);
    return sharedWriter;
  }

  private setHome(p: ArenaPlace | null): void {
    this.homeArena = p === null ? -1 : p.arena;
    this.homeBlock = p === null ? 0 : p.block;
    this.homeHeap = p === null ? 0 : p.heapBytes;
    this.homeRecords = p === null ? 0 : p.recordsBytes;
  }

  /** An arena set needs room (SetGrower): a bigger block, or memories of its own (placement.ts). */
  grow(slots: number, heapBytes: number): void {
    const v = this.v;
    growArenaSet(v, slots, heapBytes, (promoted) => {
      const w = this.writer as GraphWriter;
      if (promoted) {
        // Nothing in limbo can be reached in the new memory: readers of the old copy keep it.
        w.reclaimAll();
        this.setHome(null);
        this.ownWriter = new GraphWriter(v, this.kernelPref, this);
        this.ownWriter.s.bind();
      } else {
        this.setHome(v.place);
      }
      w.s.bind();
    });
  }

  /** Whether the set lies in an arena (false once it has memories of its own). */
  get inArena(): boolean {
    return this.homeArena >= 0 || (this.views !== null && this.views.place !== null);
  }

  /**
   * The set leaves the keyspace for good: an arena block goes back to its arena once every
   * search task handed out so far has finished. Writes after this throw.
   */
  dispose(): void {
    if (this.disposed || !this.owner) return;
    this.disposed = true;
    const v = this.v;
    if (v.place !== null) retirePlace(v.place);
    else v.account(false);
    this.setHome(null);
    // Its views point at a block that is another set's once released.
    if (v.place !== null) this.views = null;
  }

  /** Create a new, empty set owned by the calling thread. */
  static create(opts: CreateOptions): VectorSet {
    const dim = opts.dim;
    const quant = opts.quant ?? Quant.Q8;
    const M = opts.M ?? DEFAULT_M;
    const from = opts.projectFrom ?? 0;
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw new RangeError(`dimension ${dim} outside 1..${MAX_DIM}`);
    if (!Number.isInteger(M) || M < MIN_M || M > MAX_M) throw new RangeError(`M ${M} outside ${MIN_M}..${MAX_M}`);
    if (quant !== Quant.NoQuant && quant !== Quant.Q8 && quant !== Quant.Bin) throw new RangeError('unknown quantisation');
    if (from !== 0 && (!Number.isInteger(from) || from < dim || from > MAX_DIM)) {
      throw new RangeError(`projection input dimension ${from} must be in ${dim}..${MAX_DIM}`);
    }
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    const key = opts.nameKey ? Uint32Array.from(opts.nameKey) : undefined;
    const g = geometry(dim, quant, M);
    const projBytes = from !== 0 ? dim * from * 4 : 0;
    const heapBytes = ARENA_INITIAL_HEAP + projBytes;
    const v =
      opts.arena === true && opts.kernel !== 'js' && arenaEligible(g, heapBytes)
        ? SetViews.createInArena(allocPlace(heapBytes, 1, g.stride), g, from, seedState(seed), key)
        : SetViews.create(g, from, seedState(seed), opts.kernel === 'js', key);
    const set = new VectorSet(v, true, opts.kernel);
    if (from !== 0) {
      const w = set.writer as GraphWriter;
      const ref = heapAlloc(w.v, projBytes);
      buildProjection(dim, from, v.hf32.subarray(ref >>> 2, (ref >>> 2) + dim * from));
      v.i32[H.PROJ_REF] = ref;
    }
    return set;
  }

  /**
   * Attach to a set from its handle, in any thread. Read-only unless `owner` is set (use that
   * only when the original owner is gone, e.g. after loading a snapshot into fresh buffers).
   */
  static attach(handle: SetHandle, opts: { owner?: boolean; kernel?: KernelKind } = {}): VectorSet {
    return new VectorSet(SetViews.attach(handle), opts.owner === true, opts.kernel);
  }

  /**
   * A set from a byte image of its two buffers (see `images`), owned by the calling thread.
   * The images may be arbitrary bytes (a file, a RESTORE payload): they are copied into fresh
   * shared memory as they are, the copies are checked completely (src/image, elements.ts)
   * before anything interprets them, and refused with an `ImageError` naming the first problem
   * unless they form a fully consistent set. Nothing is rebuilt. Slots and heap blocks that were waiting
   * for reclamation when the image was taken become free.
   */
  static fromImages(records: Uint8Array, heap: Uint8Array, opts: { kernel?: KernelKind; arena?: boolean } = {}): VectorSet {
    if (!(records instanceof Uint8Array) || !(heap instanceof Uint8Array)) throw new ImageError('images must be byte arrays');
    if (opts.arena === true && opts.kernel !== 'js' && VectorSet.imageMemory.fitsArena(records.byteLength, heap.byteLength)) {
      const plain = VectorSet.imageMemory.plain(records.byteLength, heap.byteLength);
      plain.records.set(records);
      plain.heap.set(heap);
      return VectorSet.fromImageMemory(plain, opts);
    }
    let memory;
    try {
      memory = SetViews.copyImages(records, heap, opts.kernel === 'js');
    } catch (e) {
      throw new ImageError((e as Error).message);
    }
    return VectorSet.fromImageMemory(memory, opts);
  }

  /** Fresh memory for images (`fromImageMemory` checks what is put there); see SetViews. */
  static readonly imageMemory = {
    records: (bytes: number, opts: { kernel?: KernelKind } = {}): Pick<ImageMemory, 'mem' | 'records'> => SetViews.recordsMemory(bytes, opts.kernel === 'js'),
    heap: (bytes: number): Pick<ImageMemory, 'hp' | 'heap'> => SetViews.heapMemory(bytes),
    /**
     * Plain bytes for the images of a set small enough for an arena (`fromImageMemory` checks
     * them there, then copies them into a block): no shared memory is reserved per set.
     */
    plain: (recordsBytes: number, heapBytes: number): ImageMemory => ({ mem: null, hp: null, records: new Uint8Array(recordsBytes), heap: new Uint8Array(heapBytes) }),
    /**
     * An arena block for images of a small set, to read them straight into (a snapshot load):
     * checked there and adopted without a copy. Throws SetMemoryError when no block can be had.
     */
    arena: (recordsBytes: number, heapBytes: number): ImageMemory => {
      const place = allocPlaceBytes(heapBytes, recordsBytes);
      const buf = place.memory.buffer as SharedArrayBuffer;
      return {
        mem: null,
        hp: null,
        records: new Uint8Array(buf, place.block + place.heapBytes, recordsBytes),
        heap: new Uint8Array(buf, place.block, heapBytes),
        place,
      };
    },
    /** Whether images of these sizes go to an arena (and so into `plain` memory). */
    fitsArena: (recordsBytes: number, heapBytes: number): boolean => recordsBytes + heapBytes <= PROMOTE_BYTES,
  };

  /**
   * A set over fresh memory holding byte images (as `fromImages` makes, or a snapshot load reads
   * a file into): checked completely in place, refused with an ImageError naming the first
   * problem. Nothing interprets the bytes before they pass, and refused memory is simply dropped.
   */
  static fromImageMemory(memory: ImageMemory, opts: { kernel?: KernelKind; stream?: LinkStream | null; staged?: StagedHeap | null } = {}): VectorSet {
    // A staged heap image is checked where it lies and copied into memory.hp meanwhile (fill).
    const staged = opts.staged ?? null;
    const check = checkImages(memory.records, staged?.bytes ?? memory.heap, isWasmMemory(memory.mem) ? memory.mem : null, opts.stream ?? null, staged);
    if (!check.ok) {
      if (memory.place !== undefined) retirePlace(memory.place);
      throw new ImageError(check.problems[0]);
    }
    staged?.fill();
    let v: SetViews;
    if (memory.place !== undefined) {
      // Read straight into an arena block: in place, converted there if it is a classic image.
      toCompact(memory.records, memory.records, check.stride);
      v = SetViews.inArena(memory.place);
    } else if (memory.mem === null || memory.hp === null) {
      // Small images, as plain bytes: into an arena block (converted to the compact layout).
      v = placeImages(memory.records, memory.heap, check.stride);
    } else if (memory.records.byteLength >= HEADER_BYTES && check.recBase === HEADER_BYTES + (READER_SLOTS + 1) * check.stride) {
      v = SetViews.fromImageMemory({ mem: memory.mem, hp: memory.hp, records: memory.records });
    } else {
      // A compact image (a set saved from an arena) read into memories of its own: convert.
      const mem = SetViews.recordsMemory(HEADER_BYTES + (READER_SLOTS + 1) * check.stride + (memory.records.byteLength - check.recBase));
      compactToClassic(memory.records, mem.records, check.stride);
      v = SetViews.fromImageMemory({ mem: mem.mem, hp: memory.hp, records: mem.records });
    }
    adoptImage(v, check);
    return new VectorSet(v, true, opts.kernel);
  }

  /**
   * Check byte images the way `fromImages` does, without loading them: null when they form a
   * consistent set, else the first problem.
   */
  static validateImages(records: Uint8Array, heap: Uint8Array): string | null {
    const check = checkImages(records, heap);
    return check.ok ? null : check.problems[0];
  }

  /**
   * Views of the meaningful bytes of the set's two buffers: records (header, scratch, node
   * records up to the high-water mark) and heap (up to its top). Copy them while no write runs;
   * `fromImages` turns them back into a set. Limbo items are not part of the image: deleted
   * slots it still holds simply stay unused (reclaim them first to avoid that).
   */
  images(): { records: Uint8Array; heap: Uint8Array } {
    return this.v.usedBytes();
  }

  /** The structured-cloneable handle for workers. */
  handle(): SetHandle {
    return this.v.handle();
  }

  // ---- parameters (VINFO) ----------------------------------------------------------------

  get card(): number {
    return Atomics.load(this.v.i32, H.COUNT);
  }
  get dim(): number {
    return this.v.dim;
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
    return this.v.i32[H.PROJ_INPUT_DIM];
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

  // ---- vectors in ------------------------------------------------------------------------

  private requireWriter(): GraphWriter {
    if (this.writer === null) throw new Error('this VectorSet was attached read-only');
    if (this.disposed) throw new Error('this VectorSet was disposed');
    this.writer.s.bind();
    return this.writer;
  }

  /** Project (when REDUCE applies) into the stored dimension. */
  private toStoredDim(input: Float32Array, forQuery: boolean): Float32Array {
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
    const x = this.toStoredDim(input, true);
    const bytes = new Uint8Array(this.v.vecBytes);
    const { range } = encodeVector(this.v.quant, x, new Float32Array(this.v.dim), bytes);
    return { bytes, range };
  }

  /**
   * The query for VSIM ELE: the element's stored vector reconstructed as VEMB returns it, then
   * normalised and quantised like an input vector (no projection: it is already reduced).
   */
  queryFromNode(node: number): PreparedQuery {
    const x = new Float32Array(this.v.dim);
    this.read(() => this.reconstructInto(node, x));
    const bytes = new Uint8Array(this.v.vecBytes);
    const { range } = encodeVector(this.v.quant, x, new Float32Array(this.v.dim), bytes);
    return { bytes, range };
  }

  /**
   * VADD: insert a new element, or update an existing one (delete + fresh insert: new node, new
   * level; the attribute is kept unless `opts.attr` says otherwise). The input has the set's
   * dimension, or the projection's input dimension on a REDUCE set.
   */
  add(name: Uint8Array, vector: Float32Array, opts: AddOptions = {}): AddResult {
    const w = this.requireWriter();
    const v = this.v;
    const x = this.toStoredDim(vector, false);
    w.reclaim();
    const sc = vectorScratch(v);
    const { l2, range } = encodeVector(v.quant, x, sc.work, sc.encoded);
    const ef = opts.ef ?? DEFAULT_EF_CONSTRUCTION;
    const cas = opts.cas;
    // Everything the insert will allocate is reserved first, so a set that must move (or finds
    // no memory) does so before anything changes: a failure leaves the set as it was.
    const level = cas !== undefined ? cas.ticket.level : drawLevel(v.i32);
    const existing = findElement(v, name);
    const attrLen = opts.attr !== undefined && opts.attr !== null ? opts.attr.length : -1;
    this.reserve(
      (level > 0 ? heapBlockBytes(upperBlockBytes(level, v.M)) : 0) +
        (attrLen >= 0 ? heapBlockBytes(attrBytes(attrLen)) : 0) +
        // indexElement runs once the node is live: the table is sized for one more element.
        (existing === 0 ? heapBlockBytes(elementBytes(name.length)) + indexGrowthBytes(v, this.card + 1) : 0),
    );
    beginWrite(v);
    try {
      if (existing !== 0) {
        const old = elementNode(v, existing);
        const slot = this.writeNewRecord(w, existing, l2, range, level);
        // The old node goes first, so the new one does not link to it; meanwhile the element
        // keeps resolving to a complete node (the old one, in limbo, then the new one).
        deleteNode(w, old);
        linkNewNode(w, slot, ef);
        publishNode(v, slot);
        setElementNode(v, existing, slot);
        if (opts.attr !== undefined) setAttribute(w, existing, opts.attr);
        return { added: false, node: slot };
      }
      const planned = cas !== undefined && cas.plan !== null && planUsable(w, cas.plan, cas.ticket.level, cas.ticket.retired);
      const elem = createElement(w, name, -1);
      const slot = this.writeNewRecord(w, elem, l2, range, level);
      setElementNode(v, elem, slot);
      if (opts.attr !== undefined && opts.attr !== null) setAttribute(w, elem, opts.attr);
      if (planned) linkPlannedNode(w, slot, cas.plan!);
      else linkNewNode(w, slot, ef);
      publishNode(v, slot);
      indexElement(w, elem, this.card);
      return { added: true, node: slot, planned };
    } finally {
      endWrite(v);
    }
  }

  /**
   * Room for one more record (unless a free slot is waiting) and `heapBytes` more heap, before a
   * write begins: an arena set moves now if it must (placement.ts).
   */
  private reserve(heapBytes: number): void {
    const v = this.v;
    if (v.i32[H.FREE_SLOT] < 0) v.ensureSlots(v.i32[H.HIGH_WATER] + 1);
    v.ensureHeap(v.i32[H.HEAP_TOP] + heapBytes);
  }

  /** Allocate and fill a record (not yet linked, not yet live) with the encoded vector. */
  private writeNewRecord(w: GraphWriter, elem: number, l2: number, range: number, level: number): number {
    const slot = w.allocSlot();
    w.writeRecord(slot, level, elem, vectorScratch(w.v).encoded, l2, range);
    return slot;
  }

  /**
   * VADD CAS, step 1 (owner): draw the new node's level and note the graph's state. Step 2 is
   * `planInsert` on any thread; step 3 is `add` with both.
   */
  casTicket(): CasTicket {
    return { level: drawLevel(this.v.i32), retired: this.requireWriter().retiredSlots };
  }

  /**
   * VADD CAS, step 2 (any thread, e.g. a search worker): the neighbour search of an insert of
   * `vector` (the set's input dimension) at the ticket's level, with EF `ef`.
   */
  planInsert(vector: Float32Array, level: number, ef: number = DEFAULT_EF_CONSTRUCTION): InsertPlan {
    return planInsert(this.searcher(), this.prepare(vector), level, ef);
  }

  /** VREM: delete an element. Returns false if it did not exist. */
  remove(name: Uint8Array): boolean {
    const w = this.requireWriter();
    const v = this.v;
    w.reclaim();
    const elem = findElement(v, name);
    if (elem === 0) return false;
    beginWrite(v);
    try {
      deleteNode(w, elementNode(v, elem));
      removeElement(w, elem);
    } finally {
      endWrite(v);
    }
    return true;
  }

  /** VSETATTR / VADD SETATTR: bytes (possibly empty) to set, null to remove. */
  setAttr(node: number, value: Uint8Array | null): void {
    const w = this.requireWriter();
    const elem = this.elementOf(node);
    if (value !== null) this.v.ensureHeap(this.v.i32[H.HEAP_TOP] + heapBlockBytes(attrBytes(value.length)));
    beginWrite(this.v);
    try {
      setAttribute(w, elem, value);
    } finally {
      endWrite(this.v);
    }
  }

  // ---- elements out ----------------------------------------------------------------------

  private elementOf(node: number): number {
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
    const off = v.recOff(node) + R.VEC;
    return v.u8.subarray(off, off + quantBytes(v.dim, v.quant));
  }

  /** VEMB RAW: the stored bytes (a copy), l2 and range. */
  raw(node: number): RawVector {
    const v = this.v;
    return this.read(() => {
      const bytes = this.rawView(node).slice();
      const rec = v.recOff(node);
      return { quant: v.quant, bytes, l2: v.f32[(rec + R.L2) >>> 2], range: v.f32[(rec + R.RANGE) >>> 2] };
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
        for (let i = 0; i < n; i++) sc[i] = Math.fround(1 - s.dist(v.recOff(node), v.recOff(ids[i])) / 2);
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
  private searcher(): Searcher {
    const v = this.v;
    if (v.place !== null) {
      if (sharedReader === null) sharedReader = new Searcher(v, 'wasm');
      else sharedReader.rebind(v);
      sharedReader.bind();
      return sharedReader;
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
  /**
   * Free deleted slots and blocks that no running search can reach any more. Called at the start
   * of every write anyway; call it explicitly after a burst of deletes to return memory sooner.
   */
  reclaim(oldest?: number): number {
    return this.requireWriter().reclaim(oldest);
  }
  /** Items waiting in limbo. */
  get pendingReclaim(): number {
    return this.requireWriter().pending;
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

/** Run every check; an exception (there should be none) becomes a problem, never escapes. */
function runChecks(c: SetCheck, recordsBytes: number, heapBytes: number): SetCheck {
  try {
    if (checkGraph(c, recordsBytes, heapBytes, checkElements, prepareElements)) c.reachability();
    loadMark('reachability');
  } catch (e) {
    c.fail(`check failed: ${(e as Error).message}`);
  }
  return c;
}

/**
 * `recordsMemory`: the WebAssembly memory the records image sits in (fromImageMemory), which the
 * check may use for scratch after the image (it zeroes it again before returning); `stagedHeap`:
 * where `heap` lies when the loader staged it (src/image/streamed-load.ts, StagedHeap).
 */
function checkImages(records: Uint8Array, heap: Uint8Array, recordsMemory: WasmMemory | null = null, stream: LinkStream | null = null, stagedHeap: StagedHeap | null = null): SetCheck {
  if (!(records instanceof Uint8Array) || !(heap instanceof Uint8Array)) {
    const c = new SetCheck(imageViews(new Uint8Array(0), new Uint8Array(0)), true);
    c.fail('images must be byte arrays');
    return c;
  }
  const views = imageViews(records, heap);
  // The staged memory serves as the check memory only while the check reads the image in it.
  const c = new SetCheck(views, true, recordsMemory, stream, views.hu8 === heap ? stagedHeap : null);
  try {
    return runChecks(c, records.byteLength, heap.byteLength);
  } finally {
    c.clearScratch();
  }
}

// ---- per thread: what arena sets share --------------------------------------------------------

/** The thread's writer and searcher for arena sets (each points at one set at a time). */
let sharedWriter: GraphWriter | null = null;
let sharedReader: Searcher | null = null;

/** Vector buffers for encoding and projecting, per (dimension, stored bytes), per thread. */
const vectorBuffers = new Map<string, { work: Float32Array; projected: Float32Array; encoded: Uint8Array }>();

function vectorScratch(v: SetViews): { work: Float32Array; projected: Float32Array; encoded: Uint8Array } {
  const key = `${v.dim}/${v.vecBytes}`;
  let b = vectorBuffers.get(key);
  if (b === undefined) {
    b = { work: new Float32Array(v.dim), projected: new Float32Array(v.dim), encoded: new Uint8Array(v.vecBytes) };
    vectorBuffers.set(key, b);
  }
  return b;
}

/**
 * The owned arena sets whose views are made, oldest first: past HYDRATED_KEPT the oldest that
 * was not used since its last turn drops its views (a second-chance clock). Re-making them costs
 * a few typed arrays, about a microsecond.
 */
class HydrationRing {
  private ring: VectorSet[] = [];
  private head = 0;
  constructor(private readonly kept: number) {}

  admit(set: VectorSet): void {
    this.ring.push(set);
    let turns = 0;
    while (this.ring.length - this.head > this.kept && turns++ < 2 * this.kept) {
      const s = this.ring[this.head++] as VectorSet;
      if (s.recentlyUsed) {
        s.recentlyUsed = false;
        this.ring.push(s);
      } else {
        s.dehydrate();
      }
    }
    if (this.head > 1024 && this.head * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.head);
      this.head = 0;
    }
  }
}

const HYDRATED_KEPT = 512;
const hydrated = new HydrationRing(HYDRATED_KEPT);

/** Helpers for the command layer and tests. */
export const quantization = { normalizeInPlace, quantizeQ8, quantizeBin, quantName };
