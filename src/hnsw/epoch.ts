// One writer, many readers: the seqlock, the reclamation epochs and the limbo.
//
// The graph is changed only by one thread (the main thread) while any number of searches run in
// workers over the same memory. Readers take no lock. Three mechanisms make that safe:
//
// 1. Publication order. The writer fills a new node's record completely (vector, l2, range,
//    element, empty links) and stores its meta word with Atomics before any other node links to
//    it, so a reader that follows a link always finds a complete node. Link slots are single
//    aligned 32-bit words: a reader may see a list mid-change (an old or a new neighbour in a
//    slot, a count that is one off) but every id it reads names a complete record. The visited
//    set makes duplicates harmless.
//
// 2. No reuse before quiescence (design invariant 2). A deleted node is unlinked at once, but its
//    slot, its upper-level link block and its element/attribute blocks go to a *limbo* tagged with
//    the epoch in which they were retired; the epoch is then advanced. Every search publishes the
//    epoch it started in into its reader slot (`ACTIVE_EPOCH[i]`) for its whole duration. Retired
//    items with tag < oldest active epoch can no longer be reached by anyone — every search still
//    running started after they were unlinked — and `reclaim(oldest)` returns them to the free
//    lists. With no search running, everything in limbo is reclaimable immediately.
//
//    Why tag = epoch at retirement and "tag < oldest": a reader publishes the epoch it saw at
//    start, *then* re-reads the global epoch; if it changed, it publishes again. So a reader whose
//    published epoch is E may have started before anything retired in E was unlinked, and one
//    whose published epoch is E+1 started after the writer advanced past E — after the unlink.
//
// 3. The seqlock word (`SEQ`), odd while a change is in progress. Searches do not need it for
//    safety (1 and 2 suffice), but a caller that wants a result consistent with one single moment
//    can compare `SEQ` before and after and retry.
//
// Epochs are 32-bit counters that skip 0; comparisons are modular, which is fine because limbo
// items never live for 2^31 epochs.

import { H, READER_SLOTS, type SetViews } from './layout.js';

export function beginWrite(v: SetViews): void {
  Atomics.add(v.i32, H.SEQ, 1);
}

export function endWrite(v: SetViews): void {
  Atomics.add(v.i32, H.SEQ, 1);
}

export function readSeq(v: SetViews): number {
  return Atomics.load(v.i32, H.SEQ);
}

export function currentEpoch(v: SetViews): number {
  return Atomics.load(v.i32, H.EPOCH);
}

/** a < b in modular epoch order. */
export function epochBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/**
 * Claim a free reader slot and publish the current epoch in it. Returns the slot index, or -1
 * when all READER_SLOTS are busy (the caller then waits or queues, as the reference does beyond
 * 32 concurrent searches).
 */
export function enterRead(v: SetViews): number {
  const h = v.i32;
  for (let i = 0; i < READER_SLOTS; i++) {
    let e = Atomics.load(h, H.EPOCH);
    if (Atomics.compareExchange(h, H.ACTIVE_EPOCH + i, 0, e) !== 0) continue;
    // Re-check: if the writer advanced meanwhile, publish the newer epoch (conservative either way).
    if (readerRecord !== null) Atomics.store(readerRecord, 1, i + 1);
    for (;;) {
      const now = Atomics.load(h, H.EPOCH);
      if (now === e) return i;
      e = now;
      Atomics.store(h, H.ACTIVE_EPOCH + i, e);
    }
  }
  return -1;
}

export function exitRead(v: SetViews, slot: number): void {
  Atomics.store(v.i32, H.ACTIVE_EPOCH + slot, 0);
  if (readerRecord !== null) Atomics.store(readerRecord, 1, 0);
}

/**
 * A search worker's record of the reader slot it holds, for the pool to clear if the worker dies
 * inside a read section (a dead thread's published epoch would otherwise block reclamation in
 * that set forever): [set id + 1 (set by the worker per task), slot + 1 (0: none)].
 */
let readerRecord: Int32Array | null = null;

export function setReaderRecord(record: Int32Array): void {
  readerRecord = record;
}

/** Clear a dead reader's slot in a set of its own (the pool, after its worker died). */
export function releaseReaderSlot(records: SharedArrayBuffer, slot: number): void {
  if (!(slot >= 0 && slot < READER_SLOTS)) return;
  Atomics.store(new Int32Array(records, 0, H.ACTIVE_EPOCH + READER_SLOTS), H.ACTIVE_EPOCH + slot, 0);
}

/** The oldest epoch any running search started in; the current epoch when none is running. */
export function oldestActiveEpoch(v: SetViews): number {
  const h = v.i32;
  let oldest = Atomics.load(h, H.EPOCH);
  for (let i = 0; i < READER_SLOTS; i++) {
    const e = Atomics.load(h, H.ACTIVE_EPOCH + i);
    if (e !== 0 && epochBefore(e, oldest)) oldest = e;
  }
  return oldest;
}

/** Number of reader slots currently running a search. */
export function activeReaders(v: SetViews): number {
  let n = 0;
  for (let i = 0; i < READER_SLOTS; i++) if (Atomics.load(v.i32, H.ACTIVE_EPOCH + i) !== 0) n++;
  return n;
}

export const LimboKind = { Slot: 0, Heap: 1 } as const;
export type LimboKind = (typeof LimboKind)[keyof typeof LimboKind];

/**
 * The writer's list of retired items, oldest first. It lives in the writer thread only (a plain
 * JS array of (epoch, kind, offset, size) quadruples: every set has one, most of them empty):
 * items are added in epoch order, so reclaiming pops from the front.
 */
export class Limbo {
  private items: number[] = [];
  private head = 0;

  get length(): number {
    return (this.items.length - this.head) >>> 2;
  }

  add(epoch: number, kind: LimboKind, off: number, size: number): void {
    this.items.push(epoch, kind, off, size);
  }

  /** Remove and hand to `release` every item, whatever its epoch. */
  drainAll(release: (kind: LimboKind, off: number, size: number) => void): number {
    const l = this.items;
    let n = 0;
    for (let i = this.head; i < l.length; i += 4, n++) release(l[i + 1] as LimboKind, l[i + 2], l[i + 3]);
    this.items = [];
    this.head = 0;
    return n;
  }

  /** Remove and hand to `release` every item retired before `oldest`. */
  drain(oldest: number, release: (kind: LimboKind, off: number, size: number) => void): number {
    const l = this.items;
    let n = 0;
    let i = this.head;
    while (i < l.length && epochBefore(l[i], oldest)) {
      release(l[i + 1] as LimboKind, l[i + 2], l[i + 3]);
      i += 4;
      n++;
    }
    this.head = i;
    if (i === l.length) {
      if (i > 0) {
        this.items = [];
        this.head = 0;
      }
    } else if (i > 4096 && i * 2 > l.length) {
      this.items = l.slice(i);
      this.head = 0;
    }
    return n;
  }
}

/** Advance the global epoch (skipping 0). Returns the epoch that was current before. */
export function advanceEpoch(v: SetViews): number {
  const h = v.i32;
  const e = h[H.EPOCH];
  let next = (e + 1) | 0;
  if (next === 0) next = 1;
  Atomics.store(h, H.EPOCH, next);
  return e;
}
