// Where a vector set lives, and moving it: a block of an arena while it is small, memories of its
// own once it is large (src/hnsw/arena.ts says why). Everything here runs on the owner thread.
//
// A set in an arena never grows in place. When an insert needs a slot or heap bytes the block
// lacks, `growArenaSet` copies the set into a block about a thirty-second larger (the used bytes only:
// a block is zeroed when it is handed out), points the owner's views at it and retires the old
// block, which search tasks already handed out may still be reading: it is released once they
// have all finished. Past PROMOTE_BYTES the set moves into memories of its own instead (the
// classic layout, which grows in place), converting the header: same words, other bases.

import {
  ARENA_MAX_STRIDE,
  arenaSpace,
  blockBytes,
  PROMOTE_BYTES,
} from '../hnsw/arena.js';
import {
  COMPACT_HEADER_BYTES,
  H,
  HEADER_BYTES,
  LAYOUT_COMPACT,
  LAYOUT_VERSION,
  layoutBases,
  READER_SLOTS,
  SetViews,
  type ArenaPlace,
  type Geometry,
} from '../hnsw/layout.js';
import { adoptedCounts, type CheckedImage } from '../image/image.js';

/** Raised when no memory can be had for a set: the command layer answers with an OOM error. */
export class SetMemoryError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'SetMemoryError';
  }
}

const HEAP_ALIGN = 16;
const GROWTH = 1.03125;
const roundHeap = (n: number): number => Math.ceil(n / HEAP_ALIGN) * HEAP_ALIGN;

/** Whether a set of this geometry starts in an arena (its record fits a thread's scratch slot). */
export function arenaEligible(g: Geometry, heapBytes: number): boolean {
  return g.stride <= ARENA_MAX_STRIDE && heapBytes + COMPACT_HEADER_BYTES + 2 * g.stride <= PROMOTE_BYTES;
}

/**
 * A block for a set with `heapBytes` of heap and at least `slots` records. The block's rounding
 * slack goes to the records. Throws SetMemoryError when no arena can hold it.
 */
export function allocPlace(heapBytes: number, slots: number, stride: number): ArenaPlace {
  return allocPlaceBytes(heapBytes, COMPACT_HEADER_BYTES + slots * stride);
}

/** A block with `heapBytes` of heap and at least `recordsBytes` after it (see allocPlace). */
export function allocPlaceBytes(heapBytes: number, recordsBytes: number): ArenaPlace {
  const heap = roundHeap(heapBytes);
  const want = heap + recordsBytes;
  const got = arenaSpace.alloc(want);
  if (got === null) throw new SetMemoryError(`out of memory: no arena block of ${want} bytes for a vector set`);
  return { arena: got.arena.id, memory: got.arena.memory, block: got.off, heapBytes: heap, recordsBytes: blockBytes(want) - heap };
}

/** Give an arena block back once every search task handed out so far has finished. */
export function retirePlace(p: ArenaPlace): void {
  arenaSpace.retire(arenaSpace.arena(p.arena), p.block, p.heapBytes + p.recordsBytes);
}

/**
 * Make room in an arena set for `slots` records and `heapBytes` of heap (either may be 0: no
 * change asked): a bigger block, or memories of its own past PROMOTE_BYTES. `moved` runs after
 * the views point at the new place (the owner re-binds its kernels there).
 */
export function growArenaSet(v: SetViews, slots: number, heapBytes: number, moved: (promoted: boolean) => void): void {
  const p = v.place as ArenaPlace;
  const cap = v.visibleSlots;
  // A thirty-second more each time (at least one record): about 1.5 % of a small set's records unused
  // on average — its bytes per element stay within a few percent of a big set's — and a set
  // copied about 33 times its size in all by the time it is promoted (~8 KB per insert of a
  // 128-dim set, a few microseconds beside the insert's ~100 µs).
  const newCap = slots > cap ? Math.max(slots, Math.ceil(cap * GROWTH) + 1) : cap;
  const newHeap = heapBytes > p.heapBytes ? roundHeap(Math.max(heapBytes, p.heapBytes * GROWTH)) : p.heapBytes;
  const used = v.usedBytes();
  if (newHeap + COMPACT_HEADER_BYTES + newCap * v.stride > PROMOTE_BYTES) {
    promote(v, used, newCap, newHeap);
    retirePlace(p);
    moved(true);
    return;
  }
  const np = allocPlace(newHeap, newCap, v.stride);
  const buf = np.memory.buffer as SharedArrayBuffer;
  new Uint8Array(buf, np.block, used.heap.byteLength).set(used.heap);
  new Uint8Array(buf, np.block + np.heapBytes, used.records.byteLength).set(used.records);
  v.moveTo(np);
  retirePlace(p);
  moved(false);
}

/** Copy a compact-layout set into memories of its own (classic layout) and point `v` there. */
function promote(v: SetViews, used: { records: Uint8Array; heap: Uint8Array }, slots: number, heapBytes: number): void {
  let mem;
  let hp;
  try {
    mem = SetViews.recordsMemory(layoutBases(LAYOUT_VERSION, v.stride).recBase + slots * v.stride);
    hp = SetViews.heapMemory(Math.max(heapBytes, used.heap.byteLength));
  } catch (e) {
    throw new SetMemoryError(`out of memory: ${(e as Error).message}`);
  }
  compactToClassic(used.records, mem.records, v.stride);
  hp.heap.set(used.heap);
  v.moveTo(null, mem.mem, hp.hp);
}

/**
 * Write a compact-layout records image as the classic layout into `out` (zeroed, long enough):
 * the header words, new bases, empty scratch records, the node records after them. Reader slots
 * and the seqlock start afresh: no reader has seen the new memory.
 */
export function compactToClassic(records: Uint8Array, out: Uint8Array, stride: number): void {
  const { scratchBase, recBase } = layoutBases(LAYOUT_VERSION, stride);
  out.set(records.subarray(0, COMPACT_HEADER_BYTES));
  out.set(records.subarray(COMPACT_HEADER_BYTES), recBase);
  const h = new Int32Array(out.buffer, out.byteOffset, HEADER_BYTES / 4);
  h[H.LAYOUT_VERSION] = LAYOUT_VERSION;
  h[H.SCRATCH_BASE] = scratchBase;
  h[H.REC_BASE] = recBase;
  resetReaders(h);
}

/**
 * The records image `records` (classic or compact) in the compact layout, written to `out` — which
 * may be `records` itself (then the tail the records leave is zeroed).
 */
export function toCompact(records: Uint8Array, out: Uint8Array, stride: number): void {
  const hw = new Int32Array(records.buffer, records.byteOffset, COMPACT_HEADER_BYTES / 4);
  const from = hw[H.REC_BASE];
  const length = records.byteLength;
  if (out !== records) out.set(records.subarray(0, COMPACT_HEADER_BYTES));
  // TypedArray.set copies overlapping ranges of one buffer correctly (as memmove).
  if (out !== records || from !== COMPACT_HEADER_BYTES) out.set(records.subarray(from), COMPACT_HEADER_BYTES);
  if (out === records) out.fill(0, COMPACT_HEADER_BYTES + (length - from));
  markCompact(new Int32Array(out.buffer, out.byteOffset, COMPACT_HEADER_BYTES / 4), 0);
}

/** The compact layout's header words, for a header at word `h` of `w`; the readers start afresh. */
function markCompact(w: Int32Array, h: number): void {
  w[h + H.LAYOUT_VERSION] = LAYOUT_COMPACT;
  w[h + H.SCRATCH_BASE] = 0;
  w[h + H.REC_BASE] = COMPACT_HEADER_BYTES;
  resetReaders(w, h);
}

/**
 * For a compact image read into its arena block with nothing to free (no slot in limbo, no heap
 * gap: what a SAVE writes after reclaim), after toCompact (which reset the readers and epoch): the
 * header words SetViews.inArena and adoptImage would write, written here, so that the set can be
 * adopted without views (VectorSet.adoptChecked). A load adopts thousands of small sets; making
 * each one's views (a dozen typed arrays) only for the hydration ring to drop all but the last
 * 512 sets' cost more than the fix-ups. Returns the set's fixed header words, or null when the
 * image needs more.
 */
export function headerWithoutViews(place: ArenaPlace, records: Uint8Array, check: CheckedImage): { dim: number; projectionDim: number } | null {
  if (!nothingToFree(check)) return null;
  return fixedWords(place, check, new Int32Array(records.buffer, records.byteOffset, COMPACT_HEADER_BYTES >>> 2), 0);
}

/**
 * toCompact and headerWithoutViews for the common case of a set a load read into an arena block
 * and checked (deferred-sets.ts): an image already compact, with nothing to free, written in
 * place through the arena's view of its memory — no view of the block is made (a load adopts
 * 100,000 sets; their views were most of what it left to the collector). Null, with nothing
 * written, when the image needs the general path (VectorSet.adoptChecked).
 */
export function compactInPlace(place: ArenaPlace, check: CheckedImage): { dim: number; projectionDim: number } | null {
  if (check.stride > ARENA_MAX_STRIDE || check.recBase !== COMPACT_HEADER_BYTES || !nothingToFree(check)) return null;
  const w = arenaSpace.arena(place.arena).words;
  const h = (place.block + place.heapBytes) >>> 2;
  markCompact(w, h);
  return fixedWords(place, check, w, h);
}

function nothingToFree(check: CheckedImage): boolean {
  return check.deleted.length === 0 && check.gaps().length === 0;
}

/** The header words SetViews.inArena and adoptImage would write (header at word `h` of `w`); the set's fixed words. */
function fixedWords(place: ArenaPlace, check: CheckedImage, w: Int32Array, h: number): { dim: number; projectionDim: number } {
  w[h + H.NODE_CAPACITY] = SetViews.arenaCapacity(place, check.stride);
  adoptedCounts(w, check, h);
  return { dim: w[h + H.DIM], projectionDim: w[h + H.PROJ_INPUT_DIM] };
}

/** Records bytes of an image once in the compact layout. */
export function compactRecordsBytes(records: Uint8Array): number {
  const from = new Int32Array(records.buffer, records.byteOffset, COMPACT_HEADER_BYTES / 4)[H.REC_BASE];
  return COMPACT_HEADER_BYTES + (records.byteLength - from);
}

function resetReaders(w: Int32Array, h = 0): void {
  w[h + H.SEQ] = 0;
  w[h + H.EPOCH] = 1;
  for (let i = 0; i < READER_SLOTS; i++) w[h + H.ACTIVE_EPOCH + i] = 0;
}

/**
 * A checked image pair (either layout) copied into a new arena block, in the compact layout,
 * with room for `spareSlots` more records. Throws SetMemoryError when no block can be had.
 */
export function placeImages(records: Uint8Array, heap: Uint8Array, stride: number, spareSlots = 0): SetViews {
  const recBytes = compactRecordsBytes(records);
  const slots = (recBytes - COMPACT_HEADER_BYTES) / stride + spareSlots;
  const p = allocPlace(heap.byteLength, slots, stride);
  const buf = p.memory.buffer as SharedArrayBuffer;
  new Uint8Array(buf, p.block, heap.byteLength).set(heap);
  toCompact(records, new Uint8Array(buf, p.block + p.heapBytes, recBytes), stride);
  return SetViews.inArena(p);
}

/**
 * Whether an exception says memory ran out: no arena block, a memory that could not grow or be
 * reserved (V8's RangeErrors), a set's heap at its 2 GiB limit.
 */
export function isMemoryFailure(e: unknown): boolean {
  if (e instanceof SetMemoryError) return true;
  return e instanceof RangeError && /allocation failed|out of memory|could not allocate|Maximum memory size|heap is full|larger than a vector set can be/i.test(e.message);
}

/** The error reply for a memory failure. */
export function memoryErrorText(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return `OOM command not allowed: ${message.replace(/[\r\n]+/g, ' ')}`;
}
