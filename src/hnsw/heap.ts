// A size-class allocator over a set's heap buffer (a growable SharedArrayBuffer).
//
// Only the writer allocates and frees; readers only follow offsets they found in the header or
// in records. All allocator state (the bump pointer and one free-list head per size class) lives
// in the set header, so a set attached from a handle — or loaded from a snapshot of its buffers —
// can be written to without rebuilding anything.
//
// Size classes:
//  - up to 1024 bytes: multiples of 8 (128 classes). Element blocks (short names), small
//    attributes and upper-level link blocks (L·M·4 bytes: 64, 128, … at M=16) land here and are
//    reused exactly, with no per-block header: the caller always knows the size it frees.
//  - above: powers of two up to 2^31 (21 classes). Only big attributes, the name table and the
//    REDUCE matrix are that large; the name table is itself a power of two.
//
// A freed block's first word links it into its class's list. Blocks are never merged, and split
// only when the heap would otherwise have to grow: then a free block of a larger class gives the
// request its first bytes and the rest goes back to the lists, carved into class sizes
// (`freeRun`). A small set's name table regrows 8 → 16 → … entries, and each old table would
// otherwise sit unused in its heap for good (a fifth of a 50-element set's heap).
//
// Frees that readers could still observe go through the epoch limbo (epoch.ts) first.

import { H, type SetViews } from './layout.js';
import { floorPow2, pow2 } from './pow2.js';

const SMALL_LIMIT = 1024;
const SMALL_CLASSES = SMALL_LIMIT / 8; // 128
const LARGE_MIN_LOG2 = 11; // 2048
const LARGE_MAX_LOG2 = 31;
export const HEAP_CLASSES = SMALL_CLASSES + (LARGE_MAX_LOG2 - LARGE_MIN_LOG2 + 1); // 149

function classOf(size: number): number {
  if (size <= SMALL_LIMIT) return Math.max(0, ((size + 7) >>> 3) - 1);
  const log2 = 32 - Math.clz32(size - 1);
  return SMALL_CLASSES + (log2 - LARGE_MIN_LOG2);
}

/** The block size of size class `cls` (what every block on its free list holds). */
export function classBytes(cls: number): number {
  return cls < SMALL_CLASSES ? (cls + 1) * 8 : pow2(cls - SMALL_CLASSES + LARGE_MIN_LOG2);
}

/** The bytes a request of `size` really takes. */
export function blockBytes(size: number): number {
  if (size <= SMALL_LIMIT) return Math.max(8, (size + 7) & ~7);
  return pow2(32 - Math.clz32(size - 1));
}

/** Allocate `size` bytes (8-aligned, contents undefined). Returns a heap offset > 0. */
export function heapAlloc(v: SetViews, size: number): number {
  const h = v.i32;
  const cls = classOf(size);
  const bytes = blockBytes(size);
  const head = h[H.FREE_LISTS + cls];
  let off: number;
  if (head !== 0) {
    off = head;
    h[H.FREE_LISTS + cls] = v.hi32[off >>> 2];
  } else {
    off = h[H.HEAP_TOP];
    const top = off + bytes;
    if (top > v.hu8.byteLength) {
      const split = splitLarger(v, cls, bytes);
      if (split !== 0) {
        v.i32[H.HEAP_LIVE] += bytes;
        return split;
      }
    }
    if (top > 2 ** 31 - 8) throw new RangeError('vector set heap is full (2 GiB)');
    v.ensureHeap(top);
    // An arena set may have moved to a bigger block just now: its header is elsewhere.
    v.i32[H.HEAP_TOP] = top;
  }
  v.i32[H.HEAP_LIVE] += bytes;
  return off;
}

/** A free block of a class above `cls`, its first `bytes` handed out, the rest freed; 0 when none. */
function splitLarger(v: SetViews, cls: number, bytes: number): number {
  const h = v.i32;
  for (let c = cls + 1; c < HEAP_CLASSES; c++) {
    const head = h[H.FREE_LISTS + c];
    if (head === 0) continue;
    h[H.FREE_LISTS + c] = v.hi32[head >>> 2];
    freeRun(v, head + bytes, classBytes(c) - bytes);
    return head;
  }
  return 0;
}

/**
 * Put a run of free heap bytes (8-aligned) on the free lists, carved into blocks the allocator
 * hands out again: powers of two from 2 KiB, then blocks of at most 1 KiB (every list holds blocks
 * of exactly its class size). HEAP_LIVE is the caller's to keep.
 */
export function freeRun(v: SetViews, off: number, len: number): void {
  carveRun(off, len, (at, size) => {
    const cls = classOf(size);
    v.hi32[at >>> 2] = v.i32[H.FREE_LISTS + cls];
    v.i32[H.FREE_LISTS + cls] = at;
  });
}

/** The blocks freeRun makes of a run: `block(offset, size)` for each, in order. */
function carveRun(off: number, len: number, block: (at: number, size: number) => void): void {
  while (len >= 2048) {
    const p = floorPow2(len);
    block(off, p);
    off += p;
    len -= p;
  }
  while (len > SMALL_LIMIT) {
    block(off, SMALL_LIMIT);
    off += SMALL_LIMIT;
    len -= SMALL_LIMIT;
  }
  if (len > 0) block(off, len);
}

/**
 * Whether allocations of `sizes`, in this order, can all be served without the heap growing:
 * from the free lists, the room left at the top, or free blocks split — the same choices
 * heapAlloc makes, simulated. A writer reserves heap before a change (VectorSet.reserve) and grows
 * it only when this says no, so no move happens halfway through the change.
 */
export function heapCanServe(v: SetViews, sizes: readonly number[]): boolean {
  const h = v.i32;
  let top = h[H.HEAP_TOP];
  const cap = v.hu8.byteLength;
  // Blocks taken from each list so far, and blocks the simulated splits added to it.
  const taken = new Map<number, number>();
  const added = new Map<number, number>();
  const listHas = (c: number, n: number): boolean => {
    let off = h[H.FREE_LISTS + c];
    for (let i = 0; i < n && off !== 0; i++) off = v.hi32[off >>> 2];
    return off !== 0;
  };
  const available = (c: number): boolean => {
    const t = taken.get(c) ?? 0;
    const extra = added.get(c) ?? 0;
    return extra > 0 || listHas(c, t);
  };
  const take = (c: number): void => {
    const extra = added.get(c) ?? 0;
    if (extra > 0) added.set(c, extra - 1);
    else taken.set(c, (taken.get(c) ?? 0) + 1);
  };
  const addRun = (len: number): void =>
    carveRun(0, len, (_at, size) => {
      const c = classOf(size);
      added.set(c, (added.get(c) ?? 0) + 1);
    });
  for (const size of sizes) {
    const cls = classOf(size);
    const bytes = blockBytes(size);
    if (available(cls)) {
      take(cls);
      continue;
    }
    if (top + bytes <= cap) {
      top += bytes;
      continue;
    }
    let found = -1;
    for (let c = cls + 1; c < HEAP_CLASSES && found < 0; c++) if (available(c)) found = c;
    if (found < 0) return false;
    take(found);
    addRun(classBytes(found) - bytes);
  }
  return true;
}

/** Return a block to its class. Only for blocks no reader can still reach (see epoch.ts). */
export function heapFree(v: SetViews, off: number, size: number): void {
  if (off === 0) return;
  const h = v.i32;
  const cls = classOf(size);
  v.hi32[off >>> 2] = h[H.FREE_LISTS + cls];
  h[H.FREE_LISTS + cls] = off;
  h[H.HEAP_LIVE] -= blockBytes(size);
}
