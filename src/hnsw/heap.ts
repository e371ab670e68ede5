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
// A freed block's first word links it into its class's list. Blocks are never split or merged:
// the workload (many same-sized blocks, replaced one by one) does not fragment much, and a set
// whose heap would be better compacted is simply rewritten by the snapshot/rewrite path later.
//
// Frees that readers could still observe go through the epoch limbo (epoch.ts) first.

import { H, type SetViews } from './layout.js';

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
  return cls < SMALL_CLASSES ? (cls + 1) * 8 : 2 ** (cls - SMALL_CLASSES + LARGE_MIN_LOG2);
}

/** The bytes a request of `size` really takes. */
export function blockBytes(size: number): number {
  if (size <= SMALL_LIMIT) return Math.max(8, (size + 7) & ~7);
  return 2 ** (32 - Math.clz32(size - 1));
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
    if (top > 2 ** 31 - 8) throw new RangeError('vector set heap is full (2 GiB)');
    v.ensureHeap(top);
    // An arena set may have moved to a bigger block just now: its header is elsewhere.
    v.i32[H.HEAP_TOP] = top;
  }
  v.i32[H.HEAP_LIVE] += bytes;
  return off;
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
