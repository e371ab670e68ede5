// The writer's zone: scratch memory for the WebAssembly walk of an insert (kernels.wat walk).
//
// An insert spends most of its time in one beam search at level 0 with EF construction (200 by
// default). In JavaScript, the visited checks and the two priority queues of that search cost
// more than its distances (profile of 20k × 128 Q8 inserts: 46 % in searchLayer's own code, 22 %
// in the distance kernel). The walk runs the same search inside WebAssembly, which needs its
// visited set and queues in the memory the kernels see — the set's records memory.
//
// One insert in M also searches the upper levels with EF construction, whose links live in the
// heap: for a set of its own another memory, out of the kernel's reach. There the walk asks
// `upperLinks` (an import) to copy each expanded node's list into the zone. In JavaScript those
// searches were a tenth of an insert's time (50k × 128); walked here, 100k × 128 builds ran 2–3 %
// (Q8) and 6 % (NOQUANT) faster, measured against the JavaScript upper levels in turns.
//
// Where: right after the last node record the memory can hold (NODE_CAPACITY), in a set with
// memories of its own. Only the writer (the main thread) uses it, only during an insert, so it
// needs no lock; readers never look past the high-water mark. It is not part of the set: images
// (snapshots, DUMP, replication) stop at the high-water mark, and when the records grow over it
// (SetViews.ensureSlots) its bytes are zeroed first, so a new record finds memory as fresh as
// before. Size: one visited bit per slot (125 KiB for a million slots) plus the queues (8 bytes
// an entry); the memory grows by at least a page when the zone first needs room.
//
// A set in an arena (src/hnsw/arena.ts) uses the arena's writer zone instead, a fixed 64 KiB
// after the threads' scratch slots: the main thread writes every arena set, one at a time.
//
// The walk gives the same results as the JavaScript path, ties included (test/hnsw-walk.test.ts
// builds the same set both ways and compares every link), so which path ran never changes a graph.

import { EMPTY_LINK, H, Quant, R, type SetViews } from './layout.js';
import type { WalkFn } from './kernels.js';
import { WRITER_ZONE_BYTES, WRITER_ZONE_OFFSET } from './arena.js';

/** Turned off by tests and benchmarks that compare against the JavaScript path. */
let enabled = process.env.VSETD_WASM_WALK !== '0';
export function setWasmWalk(on: boolean): void {
  enabled = on;
}
export function wasmWalkEnabled(): boolean {
  return enabled;
}

/** The walk's quantisation argument (kernels.wat $dist). */
export function walkKind(quant: Quant): number {
  return quant === Quant.Q8 ? 0 : quant === Quant.Bin ? 1 : quant === Quant.RawL2 ? 3 : 2;
}

export interface ZonePlan {
  /** Distances the last walk computed. */
  computed: number;
  /** Zone start: word 0 receives the distances computed, word 1 the prefetch sink. */
  start: number;
  /** The query's Q8 quants widened to i16 (2 · vecBytes). */
  qw: number;
  bits: number;
  batch: number;
  res: number;
  cand: number;
  candCap: number;
  /** Where upperLinks copies a list above level 0 (M slots): the batch area. */
  ulist: number;
  /** Slots the walk may visit (the records memory's capacity). */
  limit: number;
}

const align16 = (x: number): number => (x + 15) & ~15;

export function newZonePlan(): ZonePlan {
  return { computed: 0, start: 0, qw: 0, bits: 0, batch: 0, res: 0, cand: 0, candCap: 0, ulist: 0, limit: 0 };
}

/** The set whose upper lists the running walk reads, and where they go (set by walkInZone). */
let upperSet: SetViews | null = null;
let upperDst = 0;

/**
 * kernels.wat's `upperLinks` import: copies node `slot`'s link list at `level` (≥ 1) from the
 * heap to the walk's list area and returns its length, as search.ts's JavaScript upper-level
 * pass reads it (no block: 0; a list ends at EMPTY_LINK or after M).
 */
export function upperLinks(slot: number, level: number): number {
  const v = upperSet;
  if (v === null) return 0;
  const dst = upperDst;
  const ref = v.i32[(v.recBase + slot * v.stride + R.UPPER) >>> 2];
  if (ref === 0) return 0;
  const hi32 = v.hi32;
  const si32 = v.si32;
  const M = v.M;
  const from = (ref >>> 2) + (level - 1) * M;
  let n = 0;
  while (n < M) {
    const nb = hi32[from + n];
    if (nb === EMPTY_LINK) break;
    si32[dst + n] = nb;
    n++;
  }
  return n;
}

/**
 * searchLayer for the writer, in WebAssembly: results ascending into outIds/outDists (which hold
 * at least ef + 1 entries). Returns their count, or -1 when the JavaScript path must run instead
 * (no zone for this set, or the candidate queue would overflow).
 */
export function walkInZone(
  v: SetViews, walk: WalkFn, z: ZonePlan, q: number, ep: number, dEp: number, ef: number, level: number,
  outIds: Int32Array, outDists: Float64Array,
): number {
  if (!planZone(v, ef, z)) return -1;
  upperSet = level > 0 ? v : null;
  upperDst = (z.ulist + v.base) >>> 2;
  let n: number;
  try {
    n = walk(walkKind(v.navQuant), q, ep, dEp, ef, z.limit, v.linkOff, z.start, z.bits, z.batch, z.res, z.cand, z.candCap, z.qw, level, z.ulist);
  } finally {
    upperSet = null;
  }
  if (n < 0) return -1;
  // The scratch views reach the zone at absolute offsets in both places (the whole memory for
  // a set of its own, the arena's first pages otherwise); planZone may have grown the memory,
  // so they are read as they are now.
  const i32 = v.si32;
  const f32 = v.sf32;
  const w = (z.cand + v.base) >>> 2;
  for (let i = 0; i < n; i++) {
    outDists[i] = f32[w + 2 * i];
    outIds[i] = i32[w + 2 * i + 1];
  }
  z.computed = i32[(z.start + v.base) >>> 2];
  return n;
}

/**
 * Lay out (and make room for) the zone for a walk with `ef`; false when this set has none
 * (arena set, JS kernels, or turned off).
 */
function planZone(v: SetViews, ef: number, plan: ZonePlan): boolean {
  if (!enabled || !v.wasm) return false;
  const limit = v.i32[H.NODE_CAPACITY];
  const arena = v.place !== null;
  // Offsets are relative to the set's header, like every offset the kernels take: an arena's
  // zone lies before the set's block, so its start is negative there (the kernel's i32
  // arithmetic wraps back to the absolute offset).
  const start = arena ? WRITER_ZONE_OFFSET - v.base : align16(v.recBase + limit * v.stride);
  const qw = start + 16;
  const bits = qw + 2 * v.vecBytes;
  const batch = bits + align16((limit + 7) >>> 3);
  // Upper lists are copied into the batch area itself: the walk's first pass reads link j
  // before it writes batch entry m ≤ j, so filtering in place is safe.
  const ulist = batch;
  const res = batch + align16(8 * v.M);
  // A candidate enters the queue only when it enters the results, so 4·ef entries is rarely
  // reached; when it is, the walk says so and the JavaScript path (unbounded) runs instead.
  const candCap = Math.max(512, 4 * ef);
  const cand = res + 8 * (ef + 2);
  const end = cand + 8 * candCap;
  if (arena) {
    if (end - start > WRITER_ZONE_BYTES) return false;
  } else {
    v.ensureZone(start, end);
  }
  plan.start = start;
  plan.qw = qw;
  plan.bits = bits;
  plan.batch = batch;
  plan.res = res;
  plan.cand = cand;
  plan.candCap = candCap;
  plan.ulist = ulist;
  plan.limit = limit;
  return true;
}
