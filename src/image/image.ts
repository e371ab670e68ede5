// Checking a set's two buffers completely: the loader's gate for byte images (snapshots, AOF
// bases, RESTORE payloads — arbitrary bytes as far as this file knows) and `validate()` for a
// live set. Design invariant 4: a file that fails is refused with a precise message; nothing
// here may crash, hang, read outside the images or allocate by an unchecked number.
//
// What "consistent" means — everything the engine relies on without checking again later:
//
//  header   magic and layout version; dimension, quantisation and M in range and agreeing with
//           the record stride and bases; the records image exactly as long as the high-water
//           mark says; counts, entry point, max level, free-slot head in range; the heap image
//           exactly as long as the heap top; the level generator's state not all zero (it would
//           then draw level 16 for every node); every unused header word zero;
//  records  every slot below the high-water mark live, deleted (in limbo when the image was
//           taken) or free, with no unknown meta bits; a live node's level ≤ 16 and ≤ the max
//           level, at most 2·M level-0 links, an upper-level block inside the heap and sized for
//           its level (none at level 0), upper lists terminated cleanly, vector padding zero;
//  links    every link in bounds, not to itself, not duplicated in its list, to a live node
//           that has that level, and reciprocated — checked in one pass with salted,
//           order-independent hashes (below) and only then, to name the culprit, link by link;
//  lists    the free-slot list and the heap allocator's 149 free lists, each walked at most
//           once per item (a cycle is an overlap, see heap blocks);
//  heap     every block anyone points at (upper links, elements, attributes, the name table,
//           the REDUCE matrix, free blocks) inside the heap and overlapping no other block —
//           a bitmap with one bit per 8 bytes; this is what makes every later write safe;
//  elements (element-check.ts) the name table, every element found by its own name, names
//           unique, one element per live node and back, attributes counted;
//  graph    the entry point live and on the top level; every live node reachable from it on
//           level 0.
//
// Every check is linear in the image size (the name-table duplicate check is O(n log n) at
// worst), and the checker allocates only arrays sized by the high-water mark or the heap size,
// both already bounded by the byte lengths of the images.
//
// Reciprocity in one pass (link-check.ts): one XOR over all links of a salted hash of the
// unordered pair and the level; reciprocated pairs cancel. The salts come from the CSPRNG per
// check (two independent 32-bit lanes), so a crafted image can not arrange for its one-way links
// to cancel out. Only when that pass fails does a per-node pass (SetCheck.linksDetailed: D[x]
// accumulates f(y, level) over x's out- and in-links, zero when reciprocal) find the culprit.
//
// Images may hold what a live set holds between two reclamations: slots and heap blocks retired
// but not yet reclaimed. Deleted slots are listed (`deleted`) and heap bytes nobody points at
// are "gaps": the loader turns both into free slots and free blocks (see VectorSet.fromImages).
//
// Where the parts live (README.md in this folder has the whole table): checkGraph and adoptImage
// here; the checker's state, scratch and heap claims in check-state.ts (the scratch's layout in
// check-scratch.ts); header and records in records-check.ts (the header's rules in
// image-header.ts); links and reachability in set-check.ts (SetCheck, the class callers use);
// the streamed load's records/level-0 job and staged heap in streamed-load.ts; the load's helper
// and the check-memory sizes in load-scope.ts.

import { freeRun, heapFree } from '../hnsw/heap.js';
import { COMPACT_HEADER_BYTES, F, H, LEVEL_MASK, LEVEL_SHIFT, metaOf, R, READER_SLOTS, upperBlockBytes, type SetViews } from '../hnsw/layout.js';
import { loadMark } from '../persistence/load-trace.js';
import type { SetCheck } from './set-check.js';

/**
 * Every check but reachability: the graph's here, then `elements` (the element half, in
 * vset/elements.ts); true when all passed. The level-0 links may be checked on the load's helper
 * thread while this thread checks the rest (everything after `records` only reads); their
 * problems are reported first all the same, as when they were checked in that order.
 */
export function checkGraph(c: SetCheck, recordsBytes: number, heapBytes: number, elements: (c: SetCheck) => boolean, prepareElements?: (c: SetCheck) => void): boolean {
  if (recordsBytes < COMPACT_HEADER_BYTES) return !c.fail(`records image of ${recordsBytes} bytes is shorter than the header`);
  if (!(c.header(recordsBytes, heapBytes) && c.records())) return false;
  loadMark('records');
  // Helper jobs run in the order posted: the element half's first, the links' upper levels after.
  prepareElements?.(c);
  c.startLinks();
  c.stagedHeap?.startCopy();
  const mark = c.problems.length;
  const rest = c.freeSlots() && c.freeBlocks() && c.projection() && elements(c);
  const restProblems = c.problems.splice(mark);
  if (!c.links()) return false;
  loadMark('links');
  c.problems.push(...restProblems);
  return rest;
}

/**
 * What a passed check found that adopting the image needs: a SetCheck, or the same facts carried
 * back from the load's helper thread (vset/deferred-sets.ts), which checks small sets' images.
 */
export interface CheckedImage {
  readonly stride: number;
  readonly recBase: number;
  /** Slots that were in limbo when the image was taken. */
  readonly deleted: readonly number[];
  readonly liveHeapBytes: number;
  readonly upperBytes: number;
  /** Heap ranges nobody points at, as [start, end) pairs. */
  gaps(): number[];
}

/**
 * After a successful image check, on the fresh shared buffers holding a copy of the images:
 * reset what belongs to the process that wrote them (seqlock, epoch, reader slots), turn slots
 * that were in limbo into free slots and heap bytes nobody points at (blocks that were in limbo)
 * into free blocks, and recount the heap statistics — so nothing the image held is leaked.
 */
export function adoptImage(v: SetViews, c: CheckedImage): void {
  const h = v.i32;
  const gaps = c.gaps();
  h[H.SEQ] = 0;
  h[H.EPOCH] = 1;
  for (let i = 0; i < READER_SLOTS; i++) h[H.ACTIVE_EPOCH + i] = 0;
  for (const s of c.deleted) {
    const rec = v.recOff(s);
    const level = (h[rec >>> 2] >>> LEVEL_SHIFT) & LEVEL_MASK;
    const upper = h[(rec + R.UPPER) >>> 2];
    if (upper !== 0) heapFree(v, upper, upperBlockBytes(level, v.M));
    h[rec >>> 2] = metaOf(0, 0, F.FREE);
    h[(rec + R.UPPER) >>> 2] = 0;
    h[(rec + R.ELEM) >>> 2] = h[H.FREE_SLOT];
    h[H.FREE_SLOT] = s;
  }
  // Heap bytes nobody points at become free blocks the allocator hands out again.
  for (let i = 0; i < gaps.length; i += 2) freeRun(v, gaps[i], gaps[i + 1] - gaps[i]);
  adoptedCounts(h, c);
}

/** The heap statistics a passed check recounted, into the header words `h` (adoptImage). */
export function adoptedCounts(w: Int32Array, c: CheckedImage, h = 0): void {
  w[h + H.HEAP_LIVE] = c.liveHeapBytes;
  w[h + H.UPPER_BYTES] = c.upperBytes;
}

