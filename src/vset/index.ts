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

import { beginWrite, endWrite } from '../hnsw/epoch.js';
import { blockBytes as heapBlockBytes, heapAlloc, heapCanServe } from '../hnsw/heap.js';
import { linkNewNode, linkPlannedNode, planUsable, DEFAULT_EF_CONSTRUCTION } from '../hnsw/insert.js';
import { planInsert, type InsertPlan } from '../hnsw/plan.js';
import { deleteNode } from '../hnsw/delete.js';
import {
  COMPACT_HEADER_BYTES,
  H,
  HEADER_BYTES,
  READER_SLOTS,
  MAX_DIM,
  MAX_M,
  MIN_M,
  Quant,
  SetViews,
  type ArenaPlace,
  type ImageMemory,
  geometry,
  upperBlockBytes,
  type SetHandle,
} from '../hnsw/layout.js';
import { drawLevel, seedState } from '../hnsw/prng.js';
import { adoptImage, type CheckedImage } from '../image/image.js';
import { ImageError } from '../image/check-state.js';
import type { LinkStream, StagedHeap } from '../image/streamed-load.js';
import { GraphWriter, publishNode, type WriterState } from '../hnsw/writer.js';
import type { Limbo } from '../hnsw/epoch.js';
import type { KernelKind } from '../hnsw/kernels.js';
import { isWasmMemory, type GrowableSab, type WasmMemory } from '../hnsw/platform.js';
import {
  attrBytes,
  elementBytes,
  indexGrowthBytes,
  createElement,
  elementNode,
  findElement,
  indexElement,
  removeElement,
  setAttribute,
  setElementNode,
} from './elements.js';
import { encodeFor, normalizeInPlace, quantizeBin, quantizeQ8 } from './quantize.js';
import { buildProjection } from './projection.js';
import { arenaEligible, allocPlace, compactInPlace, compactToClassic, growArenaSet, headerWithoutViews, placeImages, retirePlace, toCompact } from './placement.js';
import { ARENA_MAX_STRIDE, PROMOTE_BYTES } from '../hnsw/arena.js';
import { quantName, SetReader, type UnviewedArenaSet } from './set-reader.js';
import { checkImages } from './image-load.js';
import { hydrated, sharedWriterFor, vectorScratch } from './thread-shared.js';
export { SetMemoryError } from './placement.js';

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
  /**
   * NOQUANT only: walk and build the graph in Q8 and keep the float32 vectors beside it for the
   * final re-rank, VEMB, scores and exact scans (layout.ts geometry). Default on for NOQUANT:
   * inserts and searches at Q8's speed, answers at float32's recall. Off gives the plain
   * float32 graph (older images load as that).
   */
  exact?: boolean;
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

/**
 * A checked image pair (either layout) in memories of a set of its own, in the classic layout:
 * copied (compact images converted), the heap into `hp` when it is there already.
 */
function ownMemories(records: Uint8Array, heap: Uint8Array, hp: GrowableSab | null, stride: number, classic: boolean): SetViews {
  const recBase = HEADER_BYTES + (READER_SLOTS + 1) * stride;
  const mem = SetViews.recordsMemory(classic ? records.byteLength : recBase + (records.byteLength - COMPACT_HEADER_BYTES));
  if (classic) mem.records.set(records);
  else compactToClassic(records, mem.records, stride);
  let own = hp;
  if (own === null) {
    const h = SetViews.heapMemory(heap.byteLength);
    h.heap.set(heap);
    own = h.hp;
  }
  return SetViews.fromImageMemory({ mem: mem.mem, hp: own, records: mem.records });
}

export type { NodeLinks, RawVector } from './set-reader.js';

export class VectorSet extends SetReader implements WriterState {
  /** A writer of the set's own (a set in memories of its own); arena sets share the thread's. */
  private ownWriter: GraphWriter | null = null;
  /** The writer's memory of this set (WriterState, for GraphWriter.rebind): limbo and retired slots. */
  limbo: Limbo | null = null;
  retiredSlots = 0;
  /** Set by dispose(): the set's memory may belong to another set by now. */
  private disposed = false;

  private constructor(v: SetViews | UnviewedArenaSet, owner: boolean, kernel?: KernelKind) {
    super(v, owner, kernel);
    // Owned, in an arena, no views yet: its home is all it needs (set by SetReader).
    if (!(v instanceof SetViews)) return;
    if (owner && v.place !== null) {
      this.setHome(v.place);
      v.grower = this;
      hydrated.admit(this);
    } else if (owner) {
      this.ownWriter = new GraphWriter(v, kernel, this);
    }
    if (owner) {
      v.account(true);
      v.ownHeapViews();
    }
  }

  /** The writer: the set's own, or the thread's shared one pointed at this set. */
  private get writer(): GraphWriter | null {
    if (!this.owner) return null;
    if (this.ownWriter !== null) return this.ownWriter;
    return sharedWriterFor(this.v, this);
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

  /**
   * The set leaves the keyspace for good: an arena block goes back to its arena once every
   * search task handed out so far has finished. Writes after this throw.
   */
  dispose(): void {
    if (this.disposed || !this.owner) return;
    this.disposed = true;
    // An idle arena set is given back from where it lies, without making its views again.
    const place = this.arenaPlace();
    if (place !== null) {
      retirePlace(place);
      // Its views point at a block that is another set's once released.
      this.views = null;
    } else {
      this.v.account(false);
    }
    this.setHome(null);
  }

  /** Create a new, empty set owned by the calling thread. */
  static create(opts: CreateOptions): VectorSet {
    const dim = opts.dim;
    const quant = opts.quant ?? Quant.Q8;
    const M = opts.M ?? DEFAULT_M;
    const from = opts.projectFrom ?? 0;
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw new RangeError(`dimension ${dim} outside 1..${MAX_DIM}`);
    if (!Number.isInteger(M) || M < MIN_M || M > MAX_M) throw new RangeError(`M ${M} outside ${MIN_M}..${MAX_M}`);
    if (!(quant >= Quant.NoQuant && quant <= Quant.RawL2)) throw new RangeError('unknown quantisation');
    if (from !== 0 && (!Number.isInteger(from) || from < dim || from > MAX_DIM)) {
      throw new RangeError(`projection input dimension ${from} must be in ${dim}..${MAX_DIM}`);
    }
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    const key = opts.nameKey ? Uint32Array.from(opts.nameKey) : undefined;
    const g = geometry(dim, quant, M, quant === Quant.NoQuant && opts.exact !== false);
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
    return VectorSet.adoptChecked(memory, check, opts.kernel);
  }

  /**
   * A set over image memory whose check passed (`check`: the SetCheck, or its facts as the load's
   * helper thread found them, see deferred-sets.ts): converted or placed where it belongs and
   * fixed up (adoptImage).
   */
  static adoptChecked(memory: ImageMemory, check: CheckedImage, kernel?: KernelKind): VectorSet {
    const classic = check.recBase === HEADER_BYTES + (READER_SLOTS + 1) * check.stride;
    // Small images go to an arena — unless the records are wider than an arena's per-thread
    // query scratch (the sizes said small before the header was read): memories of their own.
    const small = memory.place !== undefined || memory.mem === null || memory.hp === null;
    let v: SetViews;
    if (small && check.stride > ARENA_MAX_STRIDE) {
      v = ownMemories(memory.records, memory.heap, null, check.stride, classic);
      if (memory.place !== undefined) retirePlace(memory.place);
    } else if (memory.place !== undefined) {
      // Read straight into an arena block: in place, converted there if it is a classic image.
      toCompact(memory.records, memory.records, check.stride);
      // Nothing to free: adopted without views (placement.ts headerWithoutViews).
      const fixed = headerWithoutViews(memory.place, memory.records, check);
      if (fixed !== null) return new VectorSet({ place: memory.place, ...fixed }, true, kernel);
      v = SetViews.inArena(memory.place);
    } else if (small) {
      // Small images, as plain bytes: into an arena block (converted to the compact layout).
      v = placeImages(memory.records, memory.heap, check.stride);
    } else if (classic) {
      v = SetViews.fromImageMemory({ mem: memory.mem as WasmMemory | GrowableSab, hp: memory.hp as GrowableSab, records: memory.records });
    } else {
      // A compact image (a set saved from an arena) read into memories of its own: convert.
      v = ownMemories(memory.records, memory.heap, memory.hp, check.stride, false);
    }
    adoptImage(v, check);
    return new VectorSet(v, true, kernel);
  }

  /** adoptChecked's common case for a set a load read into an arena block, without a view of it (compactInPlace); null, nothing changed, otherwise. */
  static adoptInArena(place: ArenaPlace, check: CheckedImage): VectorSet | null {
    const fixed = compactInPlace(place, check);
    return fixed === null ? null : new VectorSet({ place, dim: fixed.dim, projectionDim: fixed.projectionDim }, true);
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
    return this.usedBytesWithoutViews() ?? this.v.usedBytes();
  }

  /** The structured-cloneable handle for workers. */
  handle(): SetHandle {
    // An arena set's handle is its place: no need to make its views again to hand it out.
    const p = this.views === null ? this.arenaPlace() : null;
    if (p !== null) return { kind: 'vsetd.arena-set', arena: p.arena, memory: p.memory, block: p.block, heapBytes: p.heapBytes, recordsBytes: p.recordsBytes };
    return this.v.handle();
  }
  private requireWriter(): GraphWriter {
    if (this.writer === null) throw new Error('this VectorSet was attached read-only');
    if (this.disposed) throw new Error('this VectorSet was disposed');
    this.writer.s.bind();
    return this.writer;
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
    const { l2, range } = encodeFor(v, x, sc.work, sc.encoded);
    return this.insertEncoded(w, name, l2, range, opts);
  }

  /**
   * VADDRAW (an export's import): insert or update an element from its stored form as VEMB RAW
   * gives it — the quantised bytes (quantBytes long), l2 and range — so that a set moved between
   * servers holds the very same bytes, which no float vector re-encoded through VADD could
   * promise (and a REDUCE set's projected vectors could not be fed back at all). The caller has
   * checked the bytes (length, finite floats, BIN padding bits zero: a snapshot check refuses
   * anything else).
   */
  addStored(name: Uint8Array, bytes: Uint8Array, l2: number, range: number, opts: AddOptions = {}): AddResult {
    const w = this.requireWriter();
    w.reclaim();
    const v = this.v;
    const encoded = vectorScratch(v).encoded;
    encoded.fill(0);
    if (v.exactOff !== 0) {
      // The float32 copy as given; the walked Q8 vector made from it (it is already normalised).
      const floats = bytes.subarray(0, v.dim * 4);
      encoded.set(floats, v.vecBytes);
      const u = new Float32Array(v.dim);
      new Uint8Array(u.buffer).set(floats);
      range = quantizeQ8(u, new Int8Array(encoded.buffer, encoded.byteOffset, v.dim));
    } else {
      encoded.set(bytes.subarray(0, Math.min(bytes.length, encoded.length)));
    }
    return this.insertEncoded(w, name, l2, range, opts);
  }

  /** The insert proper, of the vector encoded in the thread's scratch (vectorScratch().encoded). */
  private insertEncoded(w: GraphWriter, name: Uint8Array, l2: number, range: number, opts: AddOptions): AddResult {
    const v = this.v;
    const ef = opts.ef ?? DEFAULT_EF_CONSTRUCTION;
    const cas = opts.cas;
    // Everything the insert will allocate is reserved first, so a set that must move (or finds
    // no memory) does so before anything changes: a failure leaves the set as it was.
    const level = cas !== undefined ? cas.ticket.level : drawLevel(v.i32);
    const existing = findElement(v, name);
    const attrLen = opts.attr !== undefined && opts.attr !== null ? opts.attr.length : -1;
    // The heap blocks the insert allocates, in the order it does: element, upper links,
    // attribute, and (indexElement runs once the node is live) a table for one more element.
    const sizes: number[] = [];
    if (existing === 0) sizes.push(elementBytes(name.length));
    if (level > 0) sizes.push(upperBlockBytes(level, v.M));
    if (attrLen >= 0) sizes.push(attrBytes(attrLen));
    const table = existing === 0 ? indexGrowthBytes(v, this.card + 1) : 0;
    if (table > 0) sizes.push(table);
    this.reserve(sizes);
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
   * Room for one more record (unless a free slot is waiting) and the heap blocks `heapSizes`, before a
   * write begins: an arena set moves now if it must (placement.ts).
   */
  private reserve(heapSizes: readonly number[]): void {
    const v = this.v;
    if (v.i32[H.FREE_SLOT] < 0) v.ensureSlots(v.i32[H.HIGH_WATER] + 1);
    this.reserveHeap(heapSizes);
  }

  private reserveHeap(heapSizes: readonly number[]): void {
    const v = this.v;
    // Free blocks (split if need be) may serve them all; otherwise room for all at the top.
    if (heapCanServe(v, heapSizes)) return;
    let bytes = 0;
    for (const size of heapSizes) bytes += heapBlockBytes(size);
    v.ensureHeap(v.i32[H.HEAP_TOP] + bytes);
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
    if (value !== null) this.reserveHeap([attrBytes(value.length)]);
    beginWrite(this.v);
    try {
      setAttribute(w, elem, value);
    } finally {
      endWrite(this.v);
    }
  }

  /**
   * Free deleted slots and blocks that no running search can reach any more. Called at the start
   * of every write anyway; call it explicitly after a burst of deletes to return memory sooner.
   */
  reclaim(oldest?: number): number {
    // Nothing in limbo (the writer keeps it here): binding the writer would only make the views
    // of a set the hydration ring let go again.
    if (this.limbo === null && this.owner && !this.disposed) return 0;
    return this.requireWriter().reclaim(oldest);
  }
  /** Items waiting in limbo. */
  get pendingReclaim(): number {
    return this.requireWriter().pending;
  }
}

/** Helpers for the command layer and tests. */
export const quantization = { normalizeInPlace, quantizeQ8, quantizeBin, quantName };

