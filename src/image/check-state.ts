// The state a check of a set's buffers keeps (CheckState, the base of SetCheck), the views it
// reads (CheckViews, imageViews) and the form of a refusal (ImageError).

import { blockBytes } from '../hnsw/heap.js';
import type { CheckHelper, ReachJobMessage, UpperJobMessage } from './check-helper.js';
import { HELPER_MIN_NODES } from './check-helper.js';
import type { CheckMemory } from './check-memory.js';
import { clearRoom, makeRoom, recordsPass, samePass, scratchLayout, type ScratchLayout } from './check-scratch.js';
import type { LinkImage, RecordsPass } from './link-check.js';
import { loadHelper } from './load-scope.js';
import type { LinkStream, StagedHeap } from './streamed-load.js';
import type { Quant } from '../hnsw/layout.js';
import type { WasmMemory } from '../hnsw/platform.js';

const MAX_PROBLEMS = 50;
/** A check's arrays before its passes make them: empty, so nothing can be written into them, and shared (a small set's check costs ~15 µs; two typed arrays made per check were a few percent of it). */
const NO_LEVELS = new Int8Array(0);
const NO_CLAIMS = new Int32Array(0);

/** The thrown form of a refusal: a plain Error with the first problem found as its message. */
export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** The four typed-array views the checker reads (a SetViews has them too). */
export interface CheckViews {
  /** Records memory (header, scratch, node records) as words and bytes. */
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  /** Heap as words and bytes. */
  readonly hi32: Int32Array;
  readonly hu8: Uint8Array;
}

/** A printable, bounded rendering of a name for messages. */
export function showName(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.subarray(0, 40)).toString('latin1');
  return JSON.stringify(bytes.length > 40 ? `${s}…` : s);
}

/**
 * Views over image bytes for the checker, without touching shared memory: the input itself when
 * it is 4-byte aligned, else an aligned copy.
 */
export function imageViews(records: Uint8Array, heap: Uint8Array): CheckViews {
  const aligned = (b: Uint8Array): Uint8Array => {
    if (b.byteOffset % 4 === 0 && b.byteLength % 4 === 0) return b;
    const copy = new Uint8Array(Math.ceil(b.byteLength / 4) * 4);
    copy.set(b);
    return copy;
  };
  const r = aligned(records);
  const h = aligned(heap);
  return {
    i32: new Int32Array(r.buffer, r.byteOffset, r.byteLength >>> 2),
    u8: r,
    hi32: new Int32Array(h.buffer, h.byteOffset, h.byteLength >>> 2),
    hu8: h,
  };
}

/**
 * The checker's state, shared by the graph checks (records-check.ts, set-check.ts) and the
 * element checks in element-check.ts: the header's values, the problems found, the check's
 * scratch after the records image (check-scratch.ts), the heap claims bitmap and its gaps, and
 * the jobs handed to the load's helper thread until they are collected. `image` mode checks
 * bytes to be loaded (the records must end exactly at the high-water mark); live mode checks a
 * set in use (its buffers are longer than what is used).
 */
export class CheckState {
  readonly problems: string[] = [];
  readonly v: CheckViews;
  readonly image: boolean;

  dim = 0;
  quant = 0 as Quant;
  /** The quantisation of the vector at R.VEC (Q8 in an exact NOQUANT set). */
  navQuant = 0 as Quant;
  /** An exact set's float32 copy: its record offset and padded bytes (0, 0 in other sets). */
  exactOff = 0;
  exactBytes = 0;
  M = 0;
  stride = 0;
  vecBytes = 0;
  linkOff = 0;
  recBase = 0;
  hw = 0;
  count = 0;
  entry = -1;
  maxLevel = 0;
  heapTop = 0;

  /** Per slot below the high-water mark: the node's level if live, -1 otherwise. */
  lvl: Int8Array = NO_LEVELS;
  /** Slots found deleted (in limbo when the image was taken). */
  readonly deleted: number[] = [];
  /** Bytes of blocks in use (everything claimed but free blocks and deleted nodes' upper blocks). */
  liveHeapBytes = 0;
  /** Bytes of live nodes' upper-link blocks, as the writer counts them (H.UPPER_BYTES). */
  upperBytes = 0;
  protected used: Int32Array = NO_CLAIMS;

  /**
   * The WebAssembly memory holding the records image, when the check may use it: the per-node
   * scratch (levels, reachability bitmaps) then goes after the image in that memory, so the
   * level-0 link check can run in WebAssembly (link-check.ts). `clearScratch` zeroes it again.
   */
  protected readonly wasmMemory: WasmMemory | null;
  protected scratch: ScratchLayout | null = null;
  /** A level-0 check the helper began while the records were read (streamLinkCheck), until taken. */
  protected stream: LinkStream | null;

  constructor(v: CheckViews, image: boolean, wasmMemory: WasmMemory | null = null, stream: LinkStream | null = null, stagedHeap: StagedHeap | null = null) {
    this.v = v;
    this.image = image;
    this.wasmMemory = wasmMemory;
    this.stream = stream;
    this.stagedHeap = stagedHeap;
  }

  /** The heap image's staging memory when `v`'s heap views are of it (the check memory may then be it). */
  readonly stagedHeap: StagedHeap | null;

  /**
   * Room after the records image for the check's per-node arrays (see wasmMemory), growing the
   * memory if needed; false (then plain arrays serve) when it cannot grow.
   */
  protected placeScratch(recordsBytes: number): boolean {
    const mem = this.wasmMemory;
    if (mem === null) return false;
    if (this.scratch !== null) return true;
    const st = this.stream;
    if (st !== null) {
      // The streaming job's scratch is this layout already (same header words); the helper's
      // half is in use, so it is not zeroed. Anything else would be a bug: drop the job.
      if (st.recordsBytes === recordsBytes && st.hw === this.hw && st.M === this.M && samePass(st.records, this.recordsPassFor(st.layout))) {
        this.scratch = st.layout;
        return true;
      }
      this.dropStream();
    }
    const sc = scratchLayout(recordsBytes, this.hw, this.M);
    if (!makeRoom(mem, sc)) return false;
    this.scratch = sc;
    return true;
  }

  /** Stops and waits out a streaming job nobody will collect (the helper writes into our scratch). */
  protected dropStream(): void {
    const st = this.stream;
    this.stream = null;
    if (st === null) return;
    st.abort();
    st.helper.finish(st.job, new Int32Array(3));
  }

  /** Zeroes the scratch (that memory becomes room for new records of the set). */
  clearScratch(): void {
    this.dropStream();
    // A walk nobody collected (the check failed first) may still be writing its stack.
    this.collectWalk(false);
    const sc = this.scratch;
    if (sc === null || this.wasmMemory === null) return;
    clearRoom(this.wasmMemory, sc, this.recordsPassFor(sc).elemsPtr !== 0, this.walkUnsettled);
    this.scratch = null;
  }

  /** This thread's (0) or the helper's (1) reachability bitmap: in the scratch, or plain shared memory. */
  protected reachedFor(thread: 0 | 1): Int32Array {
    const words = Math.ceil(this.hw / 32);
    if (this.scratch !== null && this.wasmMemory !== null) return new Int32Array(this.wasmMemory.buffer, this.scratch.threads[thread], words);
    // (This thread's: a plain typed array, which V8 keeps on its heap when small — an ArrayBuffer
    // made first always gets memory of its own from malloc, and the collector then sweeps it:
    // about 0.6 µs of a small set's 16 µs check.)
    return thread === 1 ? new Int32Array(new SharedArrayBuffer(words * 4)) : new Int32Array(words);
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }

  /** The load's helper thread, when there is one and a part of the check over `items` things pays. */
  helperFor(items: number): CheckHelper | null {
    return this.image && items >= HELPER_MIN_NODES ? loadHelper : null;
  }

  /** Record a problem; returns false once enough have been collected to stop. */
  fail(msg: string): boolean {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(msg);
    return this.problems.length < MAX_PROBLEMS;
  }

  word(i: number): number {
    return this.v.i32[i];
  }

  recOff(slot: number): number {
    return this.recBase + slot * this.stride;
  }

  /** Whether [off, off+bytes) is an 8-aligned range of the heap past the null reference. */
  inHeap(off: number, bytes: number): boolean {
    return (off & 7) === 0 && off >= 8 && bytes >= 0 && off + bytes <= this.heapTop;
  }

  /**
   * Mark the block [off, off + blockBytes(size)) as taken by `what`. Fails (once, with the
   * block's owner named) when it leaves the heap or overlaps a block claimed before.
   */
  claim(off: number, size: number, what: string, live = true): boolean {
    const r = this.claimBlock(off, size, live);
    if (r === 0) return true;
    this.fail(this.claimProblem(r, off, size, what));
    return false;
  }

  /** The message for a failed claimBlock. */
  claimProblem(code: number, off: number, size: number, what: string): string {
    return code === 1
      ? `${what}: block at ${off} of ${blockBytes(size)} bytes outside the heap (${this.heapTop} bytes)`
      : `${what}: block at ${off} overlaps another block of the heap`;
  }

  /** The check memory when the claims bitmap is its own: claims and gaps then run in WebAssembly there. */
  private get claimsInMemory(): CheckMemory | null {
    const cm = this.checkMemory;
    return cm !== null && this.used === cm.used ? cm : null;
  }

  /** claim without a message: 0 taken, 1 outside the heap, 2 overlapping. */
  claimBlock(off: number, size: number, live: boolean): number {
    const bytes = blockBytes(size);
    const cm = this.claimsInMemory;
    if (cm !== null) {
      const r = cm.claimBlock(off, size);
      if (r === 0 && live) this.liveHeapBytes += bytes;
      return r;
    }
    if (!this.inHeap(off, bytes)) return 1;
    const used = this.used;
    let u = off >>> 3;
    const end = (off + bytes) >>> 3;
    // Partial first word, whole words, partial last word.
    while (u < end && (u & 31) !== 0) {
      if (used[u >>> 5] & (1 << (u & 31))) return 2;
      used[u >>> 5] |= 1 << (u & 31);
      u++;
    }
    while (u + 32 <= end) {
      if (used[u >>> 5] !== 0) return 2;
      used[u >>> 5] = -1;
      u += 32;
    }
    while (u < end) {
      if (used[u >>> 5] & (1 << (u & 31))) return 2;
      used[u >>> 5] |= 1 << (u & 31);
      u++;
    }
    if (live) this.liveHeapBytes += bytes;
    return 0;
  }

  /** The heap claims so far, to be put back by restoreClaims (a pass that claimed, then failed). */
  saveClaims(): { used: Int32Array; liveHeapBytes: number } {
    return { used: this.used.slice(), liveHeapBytes: this.liveHeapBytes };
  }

  restoreClaims(saved: { used: Int32Array; liveHeapBytes: number }): void {
    this.used.set(saved.used);
    this.liveHeapBytes = saved.liveHeapBytes;
  }

  /** Runs of heap bytes nobody claimed, as [start, end) pairs (8-aligned, from offset 8). */
  gaps(): number[] {
    const cm = this.claimsInMemory;
    if (cm !== null) return cm.gaps();
    const out: number[] = [];
    const units = this.heapTop >>> 3;
    const used = this.used;
    let start = -1;
    for (let u = 1; u < units; ) {
      const word = used[u >>> 5];
      // A whole word that cannot end the current state (all taken outside a gap, all free
      // inside one) is skipped at once: a million-element heap is millions of units.
      if ((u & 31) === 0 && u + 32 <= units && word === (start < 0 ? -1 : 0)) {
        u += 32;
        continue;
      }
      const taken = (word & (1 << (u & 31))) !== 0;
      if (!taken && start < 0) start = u;
      else if (taken && start >= 0) {
        out.push(start * 8, u * 8);
        start = -1;
      }
      u++;
    }
    if (start >= 0) out.push(start * 8, units * 8);
    return out;
  }

  protected recordsPassFor(sc: ScratchLayout): RecordsPass {
    return recordsPass(sc, this.hw, this.heapTop, this.dim, this.navQuant, this.M, this.vecBytes, this.maxLevel);
  }

  /**
   * Level 0's verdict, lanes and reachability marks when it was checked together with the
   * records (a streamed load: recordsFast); `links` then checks only the upper levels.
   */
  protected level0: { out: Int32Array; reached: Int32Array; salt: Uint32Array; helper: CheckHelper } | null = null;

  /**
   * The check memory recordsFast built (the heap-side checks then run in WebAssembly: elements
   * in element-check.ts, the upper-level links in set-check.ts); null when the JS passes run.
   */
  checkMemory: CheckMemory | null = null;

  protected linkImage(): LinkImage {
    const { i32, hi32 } = this.v;
    const wasm = this.scratch !== null && this.wasmMemory !== null ? { memory: this.wasmMemory } : undefined;
    return { i32, hi32, lvl: this.lvl, hw: this.hw, M: this.M, recBase: this.recBase, stride: this.stride, linkOff: this.linkOff, entry: this.entry, wasm };
  }

  /**
   * The helper's jobs after a streamed level 0, until collected: the upper levels over the check
   * memory (posted by recordsFast, collected by linksFast) and the reachability walk.
   */
  protected upperJob: UpperJobMessage | null = null;
  protected reachJob: { job: ReachJobMessage; helper: CheckHelper } | null = null;
  /** A walk the helper began and did not finish by the time it was needed (its stack may be dirty). */
  private walkUnsettled = false;

  /**
   * Takes the helper's reachability walk, if one was posted (after waiting for the helper to pick
   * it up when `pickup`): its count of unreachable live nodes when it ran to a verdict, else null.
   * A walk still running then may yet write its stack: walkUnsettled.
   */
  protected collectWalk(pickup: boolean): number | null {
    const walk = this.reachJob;
    this.reachJob = null;
    if (walk === null) return null;
    if (pickup) walk.helper.awaitPickup(walk.job);
    if (walk.helper.await(walk.job) && walk.job.status[2] === 1) return walk.job.status[1];
    if (!walk.helper.settled(walk.job)) this.walkUnsettled = true;
    return null;
  }
}
