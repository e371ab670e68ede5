// The writer's side of a graph: slot allocation, record writing, limbo and reclamation.
//
// Exactly one `GraphWriter` exists per set, on the thread that owns the set (the main thread).
// insert.ts and delete.ts are the two graph mutations; both run on a GraphWriter.

import { Limbo, LimboKind, advanceEpoch, oldestActiveEpoch } from './epoch.js';
import { arenaSpace } from './arena.js';
import { heapAlloc, heapFree } from './heap.js';
import { EMPTY_LINK, F, H, R, metaOf, upperBlockBytes, type SetViews } from './layout.js';
import { levelOf } from './links.js';
import { Searcher } from './search.js';
import type { KernelKind } from './kernels.js';

/**
 * What a set's writer must remember between writes: its limbo and how many slots it retired.
 * It belongs to the set (VectorSet), so one GraphWriter can serve many sets in turn (`rebind`).
 */
export interface WriterState {
  /** Null while empty (most sets' limbo is, and a million sets should not hold a million lists). */
  limbo: Limbo | null;
  retiredSlots: number;
}

export function newWriterState(): WriterState {
  return { limbo: null, retiredSlots: 0 };
}

export class GraphWriter {
  v: SetViews;
  /** The writer's own searcher (insert and delete search the graph). */
  readonly s: Searcher;
  st: WriterState;

  // Scratch for insert/delete, reused.
  candIds = new Int32Array(256);
  candDists = new Float64Array(256);
  nbrs = new Int32Array(64);
  worstIdx = -1;
  worstDist = 0;
  private linkDistScratch = new Float32Array(64);
  private linkIdScratch = new Int32Array(128);
  /** Per-slot stamps for set membership tests (insert.ts shareNeighbour); see nextStamp. */
  marks = new Int32Array(64);
  /** Per-slot scratch values that go with `marks` (delete.ts keepOrphansConnected). */
  owners = new Int32Array(64);
  private stamp = 0;
  constructor(v: SetViews, kernel?: KernelKind, st: WriterState = newWriterState()) {
    this.v = v;
    this.st = st;
    this.s = new Searcher(v, kernel);
    this.s.useWriterScratch();
  }

  /**
   * Serve another set (or the same set's new views): the scratch buffers stay, the set's own
   * state comes with it. The main thread writes every arena set through one GraphWriter.
   */
  rebind(v: SetViews, st: WriterState): void {
    this.st = st;
    if (this.v === v) return;
    this.v = v;
    this.s.rebind(v);
  }

  /** Items waiting in limbo. */
  get pending(): number {
    return this.st.limbo === null ? 0 : this.st.limbo.length;
  }

  private limbo(): Limbo {
    return (this.st.limbo ??= new Limbo());
  }

  /**
   * Slots retired so far. A slot is reused only after it was retired, so while this number has
   * not moved, every slot id a reader saw names the same node (VADD CAS plans rely on it).
   */
  get retiredSlots(): number {
    return this.st.retiredSlots;
  }

  get M(): number {
    return this.v.M;
  }

  distance(a: number, b: number): number {
    return this.s.dist(this.v.recOff(a), this.v.recOff(b));
  }

  /** Scratch for `n` distances (insert.ts findLinkToDrop and pruneFullList keep a list's distances from its owner here). */
  linkDists(n: number): Float32Array {
    if (this.linkDistScratch.length < n) this.linkDistScratch = new Float32Array(Math.max(n, this.linkDistScratch.length * 2));
    return this.linkDistScratch;
  }

  /** Scratch for `n` node ids (insert.ts pruneFullList orders a full list there). */
  linkIds(n: number): Int32Array {
    if (this.linkIdScratch.length < n) this.linkIdScratch = new Int32Array(Math.max(n, this.linkIdScratch.length * 2));
    return this.linkIdScratch;
  }

  /** A fresh stamp for `marks`, which is made to cover every slot below the high-water mark. */
  nextStamp(): number {
    const hw = this.v.i32[H.HIGH_WATER];
    if (this.marks.length < hw || this.stamp === 0x7fffffff) {
      this.marks = new Int32Array(Math.max(hw, this.marks.length * 2));
      this.owners = new Int32Array(this.marks.length);
      this.stamp = 0;
    }
    return ++this.stamp;
  }

  /** Make the candidate buffers hold at least `n` entries. */
  reserveCandidates(n: number): void {
    if (this.candIds.length < n) {
      this.candIds = new Int32Array(n * 2);
      this.candDists = new Float64Array(n * 2);
    }
  }

  /** Copy the searcher's last output into the candidate buffers. */
  takeCandidates(n: number): void {
    this.reserveCandidates(n);
    this.candIds.set(this.s.outIds.subarray(0, n));
    this.candDists.set(this.s.outDists.subarray(0, n));
  }

  /**
   * Take a free slot (reused only after reclamation) or a new one at the high-water mark, and
   * make sure the records memory covers it.
   */
  allocSlot(): number {
    const v = this.v;
    const h = v.i32;
    const free = h[H.FREE_SLOT];
    if (free >= 0) {
      h[H.FREE_SLOT] = v.i32[(v.recOff(free) + R.ELEM) >>> 2];
      return free;
    }
    const slot = h[H.HIGH_WATER];
    v.ensureSlots(slot + 1);
    // Publish the new high-water mark only after the memory covers it.
    Atomics.store(v.i32, H.HIGH_WATER, slot + 1);
    return slot;
  }

  /**
   * Fill a record completely — vector, l2, range, element, empty links, upper block — before
   * anything links to it. The meta word is stored last, with Atomics, and without the LIVE flag:
   * `publishNode` sets it once the node is linked (a search never returns, and a filter never
   * sees, a node that is not LIVE).
   */
  writeRecord(slot: number, level: number, elemRef: number, vec: Uint8Array, l2: number, range: number): void {
    const v = this.v;
    const rec = v.recOff(slot);
    let upper = 0;
    if (level > 0) {
      const bytes = upperBlockBytes(level, v.M);
      upper = heapAlloc(v, bytes);
      v.hi32.fill(EMPTY_LINK, upper >>> 2, (upper + bytes) >>> 2);
      v.i32[H.UPPER_BYTES] += bytes;
    }
    v.f32[(rec + R.L2) >>> 2] = l2;
    v.f32[(rec + R.RANGE) >>> 2] = range;
    v.i32[(rec + R.ELEM) >>> 2] = elemRef;
    v.i32[(rec + R.UPPER) >>> 2] = upper;
    v.u8.fill(0, rec + R.VEC, rec + R.VEC + v.vecBytes);
    v.u8.set(vec.subarray(0, Math.min(vec.length, v.vecBytes)), rec + R.VEC);
    if (v.exactOff !== 0) {
      // An exact set: `vec` carries the float32 vector after the walked one (encodeFor).
      v.u8.fill(0, rec + v.exactOff, rec + v.exactOff + v.exactBytes);
      v.u8.set(vec.subarray(v.vecBytes, v.vecBytes + v.dim * 4), rec + v.exactOff);
    }
    Atomics.store(v.i32, rec >>> 2, metaOf(0, level, 0));
    // Node ids count every insert (hnsw-max-node-uid).
    const lo = (v.i32[H.LAST_ID_LO] >>> 0) + 1;
    if (lo > 0xffffffff) {
      v.i32[H.LAST_ID_LO] = 0;
      v.i32[H.LAST_ID_HI] += 1;
    } else {
      v.i32[H.LAST_ID_LO] = lo | 0;
    }
  }

  /**
   * Retire a deleted node's slot (and with it its upper block) into limbo, tagged with the
   * current epoch; advance the epoch. The record keeps its content until reclaimed, so a search
   * that is still walking through it sees a complete node.
   */
  retireSlot(slot: number): void {
    this.st.retiredSlots++;
    this.limbo().add(this.retireTag(), LimboKind.Slot, slot, 0);
  }

  /**
   * The tag of something retired now. A set of its own counts epochs that its readers publish
   * in its header; an arena set's readers may be reading a copy of it that was left behind
   * when it moved, so it counts the search pool's tasks instead (arena.ts, ReaderTickets).
   */
  private retireTag(): number {
    return this.v.place !== null ? arenaSpace.tickets.tag() : advanceEpoch(this.v);
  }

  /** The oldest tag still protected (see retireTag). */
  oldestProtected(): number {
    return this.v.place !== null ? arenaSpace.tickets.oldest() : oldestActiveEpoch(this.v);
  }

  /** Retire a heap block (element, attribute, old hash table) the same way. */
  retireHeap(off: number, size: number): void {
    if (off === 0) return;
    this.limbo().add(this.retireTag(), LimboKind.Heap, off, size);
  }

  /**
   * Release everything retired before `oldest` (default: the oldest epoch any running search
   * started in, so a single-threaded caller can call reclaim() right after a delete).
   * Returns how many items were released.
   */
  reclaim(oldest: number = this.oldestProtected()): number {
    const l = this.st.limbo;
    if (l === null) return 0;
    const n = l.drain(oldest, this.release);
    if (l.length === 0) this.st.limbo = null;
    return n;
  }

  /**
   * Release everything in limbo now. Only when no reader can reach any of it: the set has just
   * been copied to memory no reader has seen yet (readers of the old copy keep the old copy).
   */
  reclaimAll(): number {
    const l = this.st.limbo;
    this.st.limbo = null;
    return l === null ? 0 : l.drainAll(this.release);
  }

  private readonly release = (kind: LimboKind, off: number, size: number): void => {
    if (kind === LimboKind.Heap) heapFree(this.v, off, size);
    else this.freeSlot(off);
  };

  private freeSlot(slot: number): void {
    const v = this.v;
    const rec = v.recOff(slot);
    const level = levelOf(v, slot);
    const upper = v.i32[(rec + R.UPPER) >>> 2];
    if (upper !== 0) {
      const bytes = upperBlockBytes(level, v.M);
      heapFree(v, upper, bytes);
      v.i32[H.UPPER_BYTES] -= bytes;
      v.i32[(rec + R.UPPER) >>> 2] = 0;
    }
    Atomics.store(v.i32, rec >>> 2, metaOf(0, 0, F.FREE));
    v.i32[(rec + R.ELEM) >>> 2] = v.i32[H.FREE_SLOT];
    v.i32[H.FREE_SLOT] = slot;
  }
}

/** Mark a linked node live and count it. */
export function publishNode(v: SetViews, slot: number): void {
  Atomics.or(v.i32, v.recOff(slot) >>> 2, F.LIVE << 24);
  Atomics.add(v.i32, H.COUNT, 1);
}
