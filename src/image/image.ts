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
//  elements (elements.ts) the name table, every element found by its own name, names unique,
//           one element per live node and back, attributes counted;
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
// to cancel out. Only when that pass fails does a per-node pass (linksDetailed: D[x] accumulates
// f(y, level) over x's out- and in-links, zero when reciprocal) find the culprit to name.
//
// Images may hold what a live set holds between two reclamations: slots and heap blocks retired
// but not yet reclaimed. Deleted slots are listed (`deleted`) and heap bytes nobody points at
// are "gaps": the loader turns both into free slots and free blocks (see VectorSet.fromImages).

import { blockBytes, classBytes, HEAP_CLASSES, heapFree } from '../hnsw/heap.js';
import { CheckHelper, copyBlocks, HELPER_ALWAYS, HELPER_MIN_NODES, JOB_CANCELLED, type CheckJobMessage, type CopyJobMessage, type ReachJobMessage, type UpperJobMessage } from './check-helper.js';
import { CheckMemory } from './check-memory.js';
import { CHUNK, checkLinks, finishReachability, fmix32, imageCheckWasm, recordsChunk, threadScratchBytes, type LinkImage, type RecordsPass } from './link-check.js';
import { createSharedWasmMemory, isWasmMemory, WASM_MAX_PAGES, WASM_PAGE, type WasmMemory } from '../hnsw/platform.js';
import { collectDigest, collectPieces, piecesRead, pieceCrcs } from './piece-crc.js';
import {
  COUNT_MASK,
  EMPTY_LINK,
  F,
  FLAGS_SHIFT,
  geometry,
  H,
  COMPACT_HEADER_BYTES,
  HEADER_BYTES,
  LAYOUT_COMPACT,
  layoutBases,
  LAYOUT_VERSION,
  LEVEL_MASK,
  LEVEL_SHIFT,
  MAGIC,
  MAX_DIM,
  MAX_LEVEL,
  MAX_M,
  MIN_M,
  quantBytes,
  R,
  randomWords,
  READER_SLOTS,
  upperBlockBytes,
  metaOf,
  type Geometry,
  type Quant,
  type SetViews,
} from '../hnsw/layout.js';
import { loadMark } from '../persistence/load-trace.js';
import { warmUpChecks } from './warm-up.js';

/** Largest heap the engine makes (heap.ts); the checker trusts no larger size. */
const HEAP_LIMIT = 2 ** 31 - 8;
const MAX_PROBLEMS = 50;

/** The helper thread of the load in progress (see check-helper.ts for when it pays). */
let loadHelper: CheckHelper | null = null;
/**
 * Below these sizes the heap-side checks run in WebAssembly over a copy of the heap (see
 * recordsFast); the heap limit keeps the copy from doubling a large heap's memory during a load.
 */
let checkMemoryMaxNodes = 262_144;
const CHECK_MEMORY_MAX_HEAP = 64 * 1024 * 1024;

/** Whether an image of these sizes gets its heap-side checks in a check memory. */
const usesCheckMemory = (hw: number, heapTop: number): boolean => hw < checkMemoryMaxNodes && heapTop <= CHECK_MEMORY_MAX_HEAP;

/**
 * For tests: the image size (nodes) from which the heap-side checks run in JS, as they do for
 * large sets; 0 makes every image take that path. Returns the previous value.
 */
export function heapChecksInJsFrom(nodes: number): number {
  const previous = checkMemoryMaxNodes;
  checkMemoryMaxNodes = nodes;
  return previous;
}

/**
 * Bytes a snapshot load reads between two reports to a streaming link check (streamLinkCheck):
 * small enough that the helper follows the read closely, large enough that the reports cost
 * nothing; small pieces for tests (as above).
 */
export const STREAM_PIECE_BYTES = HELPER_ALWAYS ? 4096 : 4 * 1024 * 1024;
/**
 * The first piece, read and checksummed before the stream starts: the header and a few records,
 * so that the helper starts on the records (and their checksums) early.
 */
export const STREAM_FIRST_BYTES = HELPER_ALWAYS ? 4096 : 256 * 1024;

/** Lets image checks use `helper` until called again with null (the loader's scope). */
export function useCheckHelper(helper: CheckHelper | null): void {
  loadHelper = helper;
}

/** Where a check's scratch goes after a records image of `recordsBytes` bytes (SetCheck.placeScratch). */
interface ScratchLayout {
  from: number;
  /** lvl, and the records pass's lists and per-chunk counts (link-check.ts, RecordsPass). */
  lvlPtr: number;
  elems: number;
  specials: number;
  info: number;
  chunks: number;
  /** Each thread's link-check scratch (threadScratchBytes). */
  threads: [number, number];
  /**
   * The helper's reachability walk (finishReachabilityIn): a copy of the level-0 marks, then its
   * stack (hw words, touched only as deep as the walk goes, and zeroed by it).
   */
  reach: number;
  stack: number;
  end: number;
}

function scratchLayout(recordsBytes: number, hw: number, M: number): ScratchLayout {
  const align = (x: number): number => Math.ceil(x / 64) * 64;
  const from = align(recordsBytes);
  const perThread = align(threadScratchBytes(hw, M));
  const chunks = Math.ceil(hw / CHUNK);
  const lvlPtr = from;
  const elems = lvlPtr + align(hw);
  const specials = elems + align(hw * 4);
  const info = specials + align(hw * 12);
  const t0 = info + align(chunks * 8);
  const reach = t0 + 2 * perThread;
  const stack = reach + align(Math.ceil(hw / 32) * 4);
  return { from, lvlPtr, elems, specials, info, chunks, threads: [t0, t0 + perThread], reach, stack, end: stack + align(hw * 4) };
}

/**
 * Grows `mem` to hold the layout and clears the scratch (chunks marked not done); false when it
 * cannot grow. Pages the growth adds are zero already and are left untouched, so the parts of
 * the scratch a check does not write (most of `specials`) never take memory.
 */
function makeRoom(mem: WasmMemory, sc: ScratchLayout): boolean {
  const had = mem.buffer.byteLength;
  try {
    if (had < sc.end) mem.grow(Math.ceil((sc.end - had) / WASM_PAGE));
  } catch {
    return false;
  }
  if (had > sc.from) new Uint8Array(mem.buffer, sc.from, Math.min(had, sc.end) - sc.from).fill(0);
  new Int32Array(mem.buffer, sc.info, sc.chunks * 2).fill(CHUNK_NOT_DONE);
  return true;
}

/**
 * Zeroes what a check wrote into its scratch (see makeRoom): all of it but the unused lists, and
 * the element refs only when records0 wrote them (zeroing untouched pages would commit them).
 */
function clearRoom(mem: WasmMemory, sc: ScratchLayout, elemsWritten: boolean, stackWritten: boolean): void {
  const info = new Int32Array(mem.buffer, sc.info, sc.chunks * 2);
  const buf = mem.buffer;
  // Each chunk's list as far as records0 wrote it (a failed chunk, −1, anywhere in its part), so
  // the pages of the parts no chunk reached stay untouched. A chunk before the last one done that
  // was never finished may have been written in part (a streamed pass stopped): all of it.
  let last = -1;
  for (let k = 0; k < sc.chunks; k++) if (info[2 * k] !== CHUNK_NOT_DONE) last = k;
  const lists = new Int32Array(buf, sc.specials, (sc.info - sc.specials) >>> 2);
  for (let k = 0; k <= last; k++) {
    const n = info[2 * k];
    const from = 3 * k * CHUNK;
    lists.fill(0, from, Math.min(lists.length, from + 3 * (n >= 0 ? n : CHUNK)));
  }
  new Uint8Array(buf, sc.from, (elemsWritten ? sc.specials : sc.elems) - sc.from).fill(0);
  new Uint8Array(buf, sc.info, (stackWritten ? sc.end : sc.stack) - sc.info).fill(0);
}

/** A chunk's info word before records0 ran over it (−1 means it failed). */
const CHUNK_NOT_DONE = -2;

/** The records pass's parameters for an image with these header values (see RecordsPass). */
function recordsPass(sc: ScratchLayout, hw: number, heapTop: number, dim: number, quant: Quant, M: number, vecBytes: number, maxLevel: number): RecordsPass {
  return {
    lvlPtr: sc.lvlPtr,
    // Element refs only for the check memory (every slot's ref written would stay committed).
    elemsPtr: usesCheckMemory(hw, heapTop) ? sc.elems : 0,
    specialsPtr: sc.specials,
    infoPtr: sc.info,
    maxLevel,
    linkCap: 2 * M,
    padFrom: R.VEC + quantBytes(dim, quant),
    padTo: R.VEC + vecBytes,
    // BIN stores whole 64-bit words: the bits past the dimension in the last word must be 0.
    binTail: quant === 2 && dim % 64 !== 0 ? dim : -1,
  };
}

const samePass = (a: RecordsPass, b: RecordsPass): boolean => (Object.keys(a) as Array<keyof RecordsPass>).every((k) => a[k] === b[k]);

/**
 * The records' own checks and the level-0 link check of an image that is still being read (a
 * snapshot load): the helper thread checks each chunk of node records as soon as the loader has
 * read it (records0, then links0, while the chunk is in cache), so on two cores most of the
 * biggest check is done by the time the file is read. SetCheck picks the job up (its scratch,
 * salt and cursor) and the loader's thread takes whatever chunks the helper has not.
 */
export interface LinkStream {
  /** The loader read the first `bytes` bytes of the records image. */
  progress(bytes: number): void;
  /**
   * The CRC-32 and length of each piece after the first, in order: the loader reads those with
   * rawIntoUnchecked, the helper checksums them between its chunks, and once the loader has read
   * on (the heap) it collects them here, taking any the helper has not.
   */
  checksums(): Array<[crc: number, bytes: number]>;
  /** For an image under a digest (streamLinkCheck's `digested`): adds the pieces' digest to `sum`. */
  digest(sum: Int32Array): void;
  /** The read failed (or the check no longer wants the job): the helper stops at its next chunk. */
  abort(): void;
  readonly recordsBytes: number;
  readonly hw: number;
  readonly M: number;
  readonly layout: ScratchLayout;
  readonly records: RecordsPass;
  readonly salt: Uint32Array;
  readonly cursor: Int32Array;
  readonly job: CheckJobMessage;
  readonly helper: CheckHelper;
}

/**
 * Starts a streaming records and level-0 check when the load has a helper (booted or still
 * booting: a late helper starts with the pieces read by then and catches up) and the image is
 * large enough, once the records image's header is in `mem` (the image is `recordsBytes` long);
 * null when it does not pay or the header does not describe a plausible image (the full check
 * says why). Only the geometry is taken from the header here, with the header check's own
 * rules; the records check decides everything else before the helper's verdict is used.
 */
export function streamLinkCheck(mem: WasmMemory, recordsBytes: number, digested = false): LinkStream | null {
  if (loadHelper === null || recordsBytes < COMPACT_HEADER_BYTES) return null;
  const w = new Int32Array(mem.buffer, 0, COMPACT_HEADER_BYTES / 4);
  const geo = headerGeometry((i) => w[i]);
  if (typeof geo === 'string') return null;
  const { dim, quant, M, g, recBase } = geo;
  const hw = w[H.HIGH_WATER];
  if (!(hw >= HELPER_MIN_NODES && recordsBytes === recBase + hw * g.stride)) return null;
  const maxLevel = w[H.MAX_LEVEL];
  if (!(maxLevel >= 0 && maxLevel <= MAX_LEVEL)) return null;
  const entry = w[H.ENTRY];
  const layout = scratchLayout(recordsBytes, hw, M);
  if (!makeRoom(mem, layout)) return null;
  const records = recordsPass(layout, hw, w[H.HEAP_TOP], dim, quant, M, g.vecBytes, maxLevel);
  const readTo = new Int32Array(new SharedArrayBuffer(4));
  const cursor = new Int32Array(new SharedArrayBuffer(4));
  const salt = randomWords(4);
  const buffer = mem.buffer as SharedArrayBuffer;
  const img: LinkImage = {
    i32: new Int32Array(buffer, 0, layout.from >>> 2),
    hi32: new Int32Array(new SharedArrayBuffer(0)),
    lvl: new Int8Array(new SharedArrayBuffer(0)),
    hw,
    M,
    recBase,
    stride: g.stride,
    linkOff: g.linkOff,
    entry: entry >= 0 && entry < hw ? entry : -1,
    wasm: { memory: mem },
  };
  const reached = new Int32Array(buffer, layout.threads[1], Math.ceil(hw / 32));
  const helper = loadHelper;
  const crcs = pieceCrcs(
    new Uint8Array(buffer, STREAM_FIRST_BYTES, Math.max(0, recordsBytes - STREAM_FIRST_BYTES)),
    STREAM_PIECE_BYTES,
    digested ? { memory: mem, at: STREAM_FIRST_BYTES } : undefined,
  );
  const job = helper.submit(img, reached, salt, { cursor, levels: 'zero', readTo, records, crcs });
  // This thread's checks tier up while it reads the rest (see warm-up.ts).
  warmUpChecks('loader');
  return {
    progress(bytes: number): void {
      if (Atomics.load(readTo, 0) < 0) return;
      piecesRead(crcs, Math.ceil((bytes - STREAM_FIRST_BYTES) / STREAM_PIECE_BYTES));
      Atomics.store(readTo, 0, Math.max(0, Math.min(hw, Math.floor((bytes - recBase) / g.stride))));
      Atomics.notify(readTo, 0);
    },
    abort(): void {
      Atomics.store(readTo, 0, -1);
      Atomics.notify(readTo, 0);
    },
    checksums: () => collectPieces(crcs, () => helper.settled(job)),
    digest: (sum) => collectDigest(crcs, () => helper.settled(job), sum),
    recordsBytes,
    hw,
    M,
    layout,
    records,
    salt,
    cursor,
    job,
    helper,
  };
}

/**
 * A heap image read into a fresh check memory rather than into the set's heap buffer (a
 * snapshot load with a helper thread, see stageHeap): the check memory then needs no copy of the
 * heap (CheckMemory.build takes it in place), and the helper copies the image into the set's
 * heap while the loading thread checks it. On two cores that takes the copy (~9 ms of first-touch
 * faults and memcpy at 100k elements) off the loading thread.
 */
export interface StagedHeap {
  /** Where the loader reads the heap image: the start of `mem`. */
  readonly bytes: Uint8Array;
  readonly mem: WasmMemory;
  /**
   * Posts the copy to the helper: by the check once it has posted the helper's other jobs, which
   * it waits for sooner (the copy is needed only when the set is made).
   */
  startCopy(): void;
  /** Once the image passed its check: the set's heap holds it (the helper's copy, else one here). */
  fill(): void;
}

/**
 * A staged heap for an image whose records (already read into `recordsMem`) describe a set the
 * check memory serves and the load has a helper; null otherwise (the heap is read in place). The
 * header's node count is only a hint here: the check decides from checked values whether to use
 * the staged memory as its check memory, and checks the heap where it lies either way.
 */
export function stageHeap(recordsMem: unknown, heap: { hp: SharedArrayBuffer | null; heap: Uint8Array }, heapBytes: number): StagedHeap | null {
  const helper = loadHelper;
  if (helper === null || heap.hp === null || !isWasmMemory(recordsMem) || recordsMem.buffer.byteLength < COMPACT_HEADER_BYTES) return null;
  const hp = heap.hp;
  const hw = new Int32Array(recordsMem.buffer, 0, COMPACT_HEADER_BYTES / 4)[H.HIGH_WATER];
  if (!(hw >= HELPER_MIN_NODES && usesCheckMemory(hw, heapBytes)) || heapBytes % 4 !== 0) return null;
  const mem = createSharedWasmMemory(Math.max(1, Math.ceil(heapBytes / WASM_PAGE)), WASM_MAX_PAGES);
  if (mem === null) return null;
  const bytes = new Uint8Array(mem.buffer, 0, heapBytes);
  let job: CopyJobMessage | null = null;
  return {
    bytes,
    mem,
    startCopy(): void {
      job ??= helper.submitCopy(bytes.buffer as SharedArrayBuffer, hp, heapBytes);
    },
    fill(): void {
      if (job === null) {
        heap.heap.set(bytes);
        return;
      }
      if (HELPER_ALWAYS) helper.awaitPickup(job);
      // The blocks the helper has not taken; then its own, unless it never started (this thread
      // took every block) or did not finish them (a thread that failed: all again here).
      copyBlocks(job);
      const finished = helper.await(job);
      if (!(Atomics.load(job.status, 0) === JOB_CANCELLED || (finished && job.status[1] === 1))) heap.heap.set(bytes);
    },
  };
}

/**
 * The layout a records header describes (magic, version, dimension, quantisation, M, record
 * geometry and base offsets, each word against the others), or the first problem: the header
 * check's own rules, which the streamed load's helper also needs before the check has run.
 */
function headerGeometry(w: (i: number) => number): { dim: number; quant: Quant; M: number; g: Geometry; recBase: number } | string {
  if (w(H.MAGIC) >>> 0 !== MAGIC) return 'bad magic in the records header (not a vsetd vector set)';
  const version = w(H.LAYOUT_VERSION);
  if (version !== LAYOUT_VERSION && version !== LAYOUT_COMPACT) return `unsupported layout version ${version} (this engine reads ${LAYOUT_VERSION} and ${LAYOUT_COMPACT})`;
  const dim = w(H.DIM);
  const quant = w(H.QUANT);
  const M = w(H.M);
  if (!(dim >= 1 && dim <= MAX_DIM)) return `dimension ${dim} out of range 1..${MAX_DIM}`;
  if (!(quant >= 0 && quant <= 2)) return `unknown quantisation ${quant}`;
  if (!(M >= MIN_M && M <= MAX_M)) return `M ${M} out of range ${MIN_M}..${MAX_M}`;
  const g = geometry(dim, quant as Quant, M);
  if (w(H.STRIDE) !== g.stride || w(H.VEC_BYTES) !== g.vecBytes) {
    return `record stride ${w(H.STRIDE)} / vector bytes ${w(H.VEC_BYTES)} do not match dimension ${dim}, M ${M}`;
  }
  const { scratchBase, recBase } = layoutBases(version, g.stride);
  if (w(H.SCRATCH_BASE) !== scratchBase || w(H.REC_BASE) !== recBase) return 'record base offsets do not match the layout';
  return { dim, quant: quant as Quant, M, g, recBase };
}

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

/** Header words that hold something; every other word of the 4 KiB header must be zero. */
function headerWordUsed(i: number): boolean {
  if (i <= H.HEAP_LIVE) return true; // 0 … 30, all named
  if (i >= H.ACTIVE_EPOCH && i < H.ACTIVE_EPOCH + READER_SLOTS) return true;
  if (i >= H.FREE_LISTS && i < H.FREE_LISTS + HEAP_CLASSES) return true;
  if (i === H.NAME_KEY || i === H.NAME_KEY + 1) return true;
  return false;
}


/** A printable, bounded rendering of a name for messages. */
export function showName(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.subarray(0, 40)).toString('latin1');
  return JSON.stringify(bytes.length > 40 ? `${s}…` : s);
}

/**
 * The checker's state, shared by the graph checks here and the element checks in elements.ts.
 * `image` mode checks bytes to be loaded (the records must end exactly at the high-water mark);
 * live mode checks a set in use (its buffers are longer than what is used).
 */
export class SetCheck {
  readonly problems: string[] = [];
  readonly v: CheckViews;
  readonly image: boolean;

  dim = 0;
  quant = 0 as Quant;
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
  lvl: Int8Array = new Int8Array(0);
  /** Slots found deleted (in limbo when the image was taken). */
  readonly deleted: number[] = [];
  /** Bytes of blocks in use (everything claimed but free blocks and deleted nodes' upper blocks). */
  liveHeapBytes = 0;
  /** Bytes of live nodes' upper-link blocks, as the writer counts them (H.UPPER_BYTES). */
  upperBytes = 0;
  private used: Int32Array = new Int32Array(0);

  /**
   * The WebAssembly memory holding the records image, when the check may use it: the per-node
   * scratch (levels, reachability bitmaps) then goes after the image in that memory, so the
   * level-0 link check can run in WebAssembly (link-check.ts). `clearScratch` zeroes it again.
   */
  private readonly wasmMemory: WasmMemory | null;
  private scratch: ScratchLayout | null = null;
  /** A level-0 check the helper began while the records were read (streamLinkCheck), until taken. */
  private stream: LinkStream | null;

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
  private placeScratch(recordsBytes: number): boolean {
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
  private dropStream(): void {
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
  private reachedFor(thread: 0 | 1): Int32Array {
    const words = Math.ceil(this.hw / 32);
    if (this.scratch !== null && this.wasmMemory !== null) return new Int32Array(this.wasmMemory.buffer, this.scratch.threads[thread], words);
    return new Int32Array(thread === 1 ? new SharedArrayBuffer(words * 4) : new ArrayBuffer(words * 4));
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

  // ---- the checks ------------------------------------------------------------------------

  /** Header words against each other and against the buffer lengths. */
  header(recordsBytes: number, heapBytes: number): boolean {
    const w = (i: number): number => this.word(i);
    const geo = headerGeometry(w);
    if (typeof geo === 'string') return !this.fail(geo);
    const { dim, M, g, recBase } = geo;
    this.dim = dim;
    this.quant = geo.quant;
    this.M = M;
    this.stride = g.stride;
    this.vecBytes = g.vecBytes;
    this.linkOff = g.linkOff;
    this.recBase = recBase;
    const hw = w(H.HIGH_WATER);
    const slots = Math.floor((recordsBytes - recBase) / g.stride);
    if (!(hw >= 0 && hw <= slots)) return !this.fail(`high-water mark ${hw} beyond the ${Math.max(0, slots)} records in the image`);
    if (this.image && recordsBytes !== recBase + hw * g.stride) {
      return !this.fail(`records image of ${recordsBytes} bytes, but ${hw} records end at ${recBase + hw * g.stride}`);
    }
    this.hw = hw;
    const top = w(H.HEAP_TOP);
    if (!(top >= 8 && (top & 7) === 0 && top <= HEAP_LIMIT && (this.image ? top === heapBytes : top <= heapBytes))) {
      return !this.fail(`heap top ${top} does not match the heap image (${heapBytes} bytes)`);
    }
    this.heapTop = top;
    const proj = w(H.PROJ_INPUT_DIM);
    if (proj !== 0 && !(proj >= dim && proj <= MAX_DIM)) return !this.fail(`projection input dimension ${proj} invalid for dimension ${dim}`);
    if ((proj === 0) !== (w(H.PROJ_REF) === 0)) return !this.fail('projection input dimension and projection matrix disagree');
    const count = w(H.COUNT);
    if (!(count >= 0 && count <= hw)) return !this.fail(`element count ${count} larger than the ${hw} records`);
    this.count = count;
    const maxLevel = w(H.MAX_LEVEL);
    if (!(maxLevel >= 0 && maxLevel <= MAX_LEVEL)) return !this.fail(`max level ${maxLevel} out of range 0..${MAX_LEVEL}`);
    this.maxLevel = maxLevel;
    const entry = w(H.ENTRY);
    if (!(entry >= -1 && entry < hw)) return !this.fail(`entry point ${entry} out of range`);
    this.entry = entry;
    const free = w(H.FREE_SLOT);
    if (!(free >= -1 && free < hw)) return !this.fail(`free slot list head ${free} out of range`);
    const attrs = w(H.ATTR_COUNT);
    if (!(attrs >= 0 && attrs <= count)) return !this.fail(`attributes-count ${attrs} outside 0..${count}`);
    if (w(H.NAME_USED) < 0) return !this.fail(`name table entry count ${w(H.NAME_USED)} negative`);
    const idHi = w(H.LAST_ID_HI);
    if (!(idHi >= 0 && idHi < 2 ** 21)) return !this.fail('node id counter out of range');
    if (idHi * 2 ** 32 + (w(H.LAST_ID_LO) >>> 0) < count) return !this.fail('node id counter below the element count');
    if ((w(H.RNG) | w(H.RNG + 1) | w(H.RNG + 2) | w(H.RNG + 3)) === 0) return !this.fail('level generator state is all zero');
    // The compact layout's header ends where its records start; the classic one is 4 KiB.
    const headerWords = Math.min(this.recBase, HEADER_BYTES) / 4;
    for (let i = 0; i < headerWords; i++) {
      if (!headerWordUsed(i) && w(i) !== 0) return !this.fail(`header word ${i} is not zero`);
    }
    return true;
  }

  private recordsPassFor(sc: ScratchLayout): RecordsPass {
    return recordsPass(sc, this.hw, this.heapTop, this.dim, this.quant, this.M, this.vecBytes, this.maxLevel);
  }

  /**
   * Level 0's verdict, lanes and reachability marks when it was checked together with the
   * records (a streamed load: recordsFast); `links` then checks only the upper levels.
   */
  private level0: { out: Int32Array; reached: Int32Array; salt: Uint32Array; helper: CheckHelper } | null = null;

  /**
   * Node records: flags, levels, upper blocks, padding. Fills `lvl` and `deleted`. In
   * WebAssembly when the image is in a WebAssembly memory (recordsFast), the heap half after;
   * the JS pass (recordsDetailed) runs when that finds anything, to name it.
   */
  records(): boolean {
    this.used = new Int32Array(Math.ceil((this.heapTop >>> 3) / 32));
    if (this.recordsFast()) return true;
    // The JS pass rewrites the scratch: no streamed pass may still be writing it.
    this.dropStream();
    this.level0 = null;
    this.checkMemory = null;
    this.freeCount = -1;
    this.used = new Int32Array(Math.ceil((this.heapTop >>> 3) / 32));
    this.liveHeapBytes = 0;
    this.upperBytes = 0;
    this.deleted.length = 0;
    return this.recordsDetailed();
  }

  /**
   * records0 (image-check.wat) over every chunk — on a streamed load mostly done by the helper
   * thread while the file was read, this thread taking the chunks left and the helper's level-0
   * verdict with them — then the heap half for the slots it listed: upper blocks claimed, their
   * lists terminated, deleted slots collected; in WebAssembly over a check memory below
   * checkMemoryMaxNodes and CHECK_MEMORY_MAX_HEAP (the element and upper-link checks then use
   * it too), else in JS.
   * False on any fault (nothing is named).
   */
  private recordsFast(): boolean {
    const mem = this.wasmMemory;
    if (mem === null || !this.placeScratch(this.recBase + this.hw * this.stride) || this.scratch === null) return false;
    const sc = this.scratch;
    const rp = this.recordsPassFor(sc);
    const hw = this.hw;
    this.lvl = new Int8Array(mem.buffer, sc.lvlPtr, hw);
    const img = this.linkImage();
    const { records0 } = imageCheckWasm(mem);
    const st = this.stream;
    this.stream = null;
    if (st !== null) {
      const mine = this.reachedFor(0);
      const out = new Int32Array(3);
      const theirs = new Int32Array(3);
      if (HELPER_ALWAYS) st.helper.awaitFirstShare(st.job);
      checkLinks(img, mine, st.salt, out, { cursor: st.cursor, levels: 'zero', records: rp });
      const delivered = st.helper.finish(st.job, theirs);
      if (!st.helper.settled(st.job)) throw new Error('the load helper thread did not finish its share of the check');
      if (delivered) {
        combine(out, theirs);
        const helperReached = st.job.reached;
        for (let i = 0; i < mine.length; i++) mine[i] |= helperReached[i];
        this.level0 = { out, reached: mine, salt: st.salt, helper: st.helper };
        // The reachability walk on the helper while this thread goes on (it needs level 0 only,
        // in bounds when it passed); reachability collects it.
        if (out[2] === 1 && CheckHelper.canShare(img)) {
          // In WebAssembly over the scratch's walk area (finishReachabilityIn).
          const walk = { reached: new Int32Array(mem.buffer, sc.reach, mine.length), stackPtr: sc.stack };
          this.reachJob = { job: st.helper.submitReach(img, mine, walk), helper: st.helper };
        }
      } else {
        // The helper gave up (its chunks may be half done): all records again here, level 0 later.
        new Int32Array(mem.buffer, sc.info, sc.chunks * 2).fill(CHUNK_NOT_DONE);
      }
    }
    const info = new Int32Array(mem.buffer, sc.info, sc.chunks * 2);
    for (let k = 0; k < sc.chunks; k++) {
      const from = k * CHUNK;
      // Not done: checked alone, or a link fault stopped the streamed pass before this chunk.
      if (info[2 * k] === CHUNK_NOT_DONE && !recordsChunk(records0, img, rp, from, Math.min(hw, from + CHUNK))) return false;
    }
    const counts = new Int32Array(sc.chunks);
    let live = 0;
    for (let k = 0; k < sc.chunks; k++) {
      if (info[2 * k] < 0) return false;
      counts[k] = info[2 * k];
      live += info[2 * k + 1];
    }
    if (live !== this.count) return false;
    const specials = new Int32Array(mem.buffer, sc.specials, 3 * hw);
    // The heap half in WebAssembly over a copy of the heap (check-memory.ts; over the staged
    // image itself when the loader staged it) when recordsPass chose it (it then had records0
    // extract the element refs), i.e. up to a size: the copy's fresh pages cost 70-400 ms at a
    // million elements on these VMs (first-touch faults), where the JS checks are warm anyway
    // and shared with the helper thread.
    const cm = rp.elemsPtr !== 0 ? CheckMemory.build(this.v.hu8, this.heapTop, hw, this.M, { lvl: this.lvl, elems: new Int32Array(mem.buffer, sc.elems, hw), specials, counts, chunk: CHUNK }, this.stagedHeap?.mem ?? null) : null;
    if (cm === null) {
      if (!this.recordsHeapHalf(specials, counts)) return false;
    } else {
      // The helper takes the upper levels over the copy now (they only read it; a fault this
      // thread finds meanwhile discards them), while this thread runs the heap half and elements.
      const l0 = this.level0;
      if (l0 !== null) this.upperJob = l0.helper.submitUpper(cm.share(), l0.salt, F.LIVE);
      const half = cm.heapHalf(F.DELETED);
      if (half === null) return false;
      this.used = cm.used;
      for (const s of half.deleted) this.deleted.push(s);
      this.upperBytes += half.upperBytes;
      this.liveHeapBytes += half.liveBytes;
      this.checkMemory = cm;
    }
    // records0 let through live, deleted and free slots only.
    this.freeCount = hw - this.count - this.deleted.length;
    return true;
  }

  /** Free slots, when recordsFast counted them (else −1: freeSlots counts). */
  private freeCount = -1;

  /**
   * The heap half of the records check in JS, for the slots records0 listed (triples slot, upper
   * block, meta word per chunk, in slot order so `deleted` comes out as the JS pass makes it).
   */
  private recordsHeapHalf(specials: Int32Array, counts: Int32Array): boolean {
    for (let k = 0; k < counts.length; k++) {
      for (let j = 0, n = counts[k], at = 3 * k * CHUNK; j < n; j++, at += 3) if (!this.listedSlot(specials[at], specials[at + 1], specials[at + 2])) return false;
    }
    return true;
  }

  /** A deleted node, or a live one with upper levels: its upper block claimed, its lists terminated. */
  private listedSlot(s: number, upper: number, meta: number): boolean {
    const hi32 = this.v.hi32;
    const M = this.M;
    const level = (meta >>> LEVEL_SHIFT) & LEVEL_MASK;
    const deleted = meta >>> FLAGS_SHIFT === F.DELETED;
    if (level > 0 && this.claimBlock(upper, upperBlockBytes(level, M), !deleted) !== 0) return false;
    if (deleted) {
      this.deleted.push(s);
      return true;
    }
    this.upperBytes += upperBlockBytes(level, M);
    for (let l = 1; l <= level; l++) if (!listTerminated(hi32, (upper >>> 2) + (l - 1) * M, M)) return false;
    return true;
  }

  /**
   * The check memory recordsFast built (the heap-side checks then run in WebAssembly: elements
   * in vset/elements.ts, the upper-level links here); null when the JS passes run.
   */
  checkMemory: CheckMemory | null = null;

  /** Whether level 0 was checked with the records (a streamed load; see level0). */
  get level0Done(): boolean {
    return this.level0 !== null;
  }

  /** The records check in JS, naming the first problem (see records). */
  private recordsDetailed(): boolean {
    const { i32, u8, hi32 } = this.v;
    const hw = this.hw;
    const M = this.M;
    // In the records' WebAssembly memory when there is one (link-check.ts), else shared when a
    // helper thread may read it (startLinks).
    const shared = loadHelper !== null && hw >= HELPER_MIN_NODES;
    const lvl = (this.lvl = (
      this.placeScratch(this.recBase + hw * this.stride) && this.wasmMemory !== null && this.scratch !== null
        ? new Int8Array(this.wasmMemory.buffer, this.scratch.lvlPtr, hw)
        : new Int8Array(shared ? new SharedArrayBuffer(hw) : new ArrayBuffer(hw))
    ).fill(-1));
    const padFrom = R.VEC + quantBytes(this.dim, this.quant);
    const padTo = R.VEC + this.vecBytes;
    // BIN stores whole 64-bit words: the bits past the dimension in the last word must be 0.
    const binTail = this.quant === 2 && this.dim % 64 !== 0 ? this.dim : -1;
    let live = 0;
    for (let s = 0; s < hw; s++) {
      const rec = this.recOff(s);
      const meta = i32[rec >>> 2];
      const flags = meta >>> FLAGS_SHIFT;
      const level = (meta >>> LEVEL_SHIFT) & LEVEL_MASK;
      const upper = i32[(rec + R.UPPER) >>> 2];
      if (((meta >>> 21) & 7) !== 0) {
        if (!this.fail(`slot ${s}: unknown bits in its meta word`)) return false;
        continue;
      }
      if (flags === F.FREE) {
        if ((meta & COUNT_MASK) !== 0 || level !== 0 || upper !== 0) {
          if (!this.fail(`free slot ${s} has links, a level or an upper block`)) return false;
        }
        continue;
      }
      if (flags !== F.LIVE && flags !== F.DELETED) {
        if (!this.fail(`slot ${s}: bad flags ${flags}`)) return false;
        continue;
      }
      if (level > MAX_LEVEL) {
        if (!this.fail(`node ${s}: level ${level} above ${MAX_LEVEL}`)) return false;
        continue;
      }
      const deleted = flags === F.DELETED;
      if (level === 0) {
        if (upper !== 0) {
          if (!this.fail(`node ${s}: level 0 but an upper block`)) return false;
          continue;
        }
      } else {
        const r = this.claimBlock(upper, upperBlockBytes(level, M), !deleted);
        if (r !== 0) {
          if (!this.fail(this.claimProblem(r, upper, upperBlockBytes(level, M), `node ${s}'s upper links`))) return false;
          continue;
        }
      }
      if (deleted) {
        this.deleted.push(s);
        continue;
      }
      live++;
      if (level > this.maxLevel) {
        if (!this.fail(`node ${s}: level ${level} above the graph's max level ${this.maxLevel}`)) return false;
        continue;
      }
      if ((meta & COUNT_MASK) > 2 * M) {
        if (!this.fail(`node ${s}: ${meta & COUNT_MASK} links on level 0, capacity ${2 * M}`)) return false;
        continue;
      }
      if (level > 0) this.upperBytes += upperBlockBytes(level, M);
      let clean = true;
      for (let l = 1; l <= level && clean; l++) {
        clean = listTerminated(hi32, (upper >>> 2) + (l - 1) * M, M);
        if (!clean && !this.fail(`node ${s} level ${l}: link after the end of the list`)) return false;
      }
      if (!clean) continue;
      for (let b = padFrom; b < padTo; b++) {
        if (u8[rec + b] !== 0) {
          clean = false;
          break;
        }
      }
      if (clean && binTail >= 0) {
        const last = rec + R.VEC + (binTail >>> 3);
        if (u8[last] >>> (binTail & 7) !== 0) clean = false;
        for (let b = last + 1; b < rec + padFrom; b++) if (u8[b] !== 0) clean = false;
      }
      if (!clean) {
        if (!this.fail(`node ${s}: vector padding is not zero`)) return false;
        continue;
      }
      lvl[s] = level;
    }
    if (!this.ok) return false;
    if (live !== this.count) return !this.fail(`header count ${this.count} but ${live} live nodes`);
    return true;
  }

  /**
   * Links: bounds, liveness, levels, self links, duplicates, reciprocity. The fast pass decides
   * (link-check.ts, possibly on the helper thread since `startLinks`); only when it finds a fault
   * does the detailed pass (`linksDetailed`) run, to name the culprit.
   */
  links(): boolean {
    if (this.linksFast()) return true;
    if (this.linksDetailed()) this.fail('links are not reciprocated (found by the edge checksum)');
    return false;
  }

  /** Level-0 reachability marks from the fast pass, for `reachability`; null until it passed. */
  private reached: Int32Array | null = null;
  /**
   * The link check shared with the helper thread, if any (startLinks): one job over every level,
   * or a streaming level-0 job (streamLinkCheck) and an upper-level job, each with its cursor.
   */
  private linkJobs: { salt: Uint32Array; parts: Array<{ job: CheckJobMessage; helper: CheckHelper }> } | null = null;

  private linkImage(): LinkImage {
    const { i32, hi32 } = this.v;
    const wasm = this.scratch !== null && this.wasmMemory !== null ? { memory: this.wasmMemory } : undefined;
    return { i32, hi32, lvl: this.lvl, hw: this.hw, M: this.M, recBase: this.recBase, stride: this.stride, linkOff: this.linkOff, entry: this.entry, wasm };
  }

  /**
   * After `records`: starts the load's helper thread on the link check when there is one and the
   * image is large enough (the upper levels only when it has been checking level 0 since the
   * records were read); `links` joins in and collects. The checks run meanwhile only read.
   */
  startLinks(): void {
    const img = this.linkImage();
    const l0 = this.level0;
    const cm = this.checkMemory;
    if (l0 !== null) {
      // Level 0 was checked with the records. Over a check memory the helper has the upper
      // levels already (recordsFast); else it shares them with us.
      if (cm !== null) return;
      const upper = l0.helper.submit(img, this.reachedFor(1), l0.salt, { cursor: new Int32Array(new SharedArrayBuffer(4)), levels: 'upper' });
      this.linkJobs = { salt: l0.salt, parts: [{ job: upper, helper: l0.helper }] };
      return;
    }
    if (loadHelper === null || this.hw < HELPER_MIN_NODES || !CheckHelper.canShare(img)) return;
    const salt = randomWords(4);
    const levels = cm !== null ? 'zero' : 'all';
    const job = loadHelper.submit(img, this.reachedFor(1), salt, { cursor: new Int32Array(new SharedArrayBuffer(4)), levels });
    this.linkJobs = { salt, parts: [{ job, helper: loadHelper }] };
  }

  /**
   * The helper's jobs after a streamed level 0, until collected: the upper levels over the check
   * memory (posted by recordsFast, collected by linksFast) and the reachability walk.
   */
  private upperJob: UpperJobMessage | null = null;
  private reachJob: { job: ReachJobMessage; helper: CheckHelper } | null = null;
  /** A walk the helper began and did not finish by the time it was needed (its stack may be dirty). */
  private walkUnsettled = false;

  /**
   * Takes the helper's reachability walk, if one was posted (after waiting for the helper to pick
   * it up when `pickup`): its count of unreachable live nodes when it ran to a verdict, else null.
   * A walk still running then may yet write its stack: walkUnsettled.
   */
  private collectWalk(pickup: boolean): number | null {
    const walk = this.reachJob;
    this.reachJob = null;
    if (walk === null) return null;
    if (pickup) walk.helper.awaitPickup(walk.job);
    if (walk.helper.await(walk.job) && walk.job.status[2] === 1) return walk.job.status[1];
    if (!walk.helper.settled(walk.job)) this.walkUnsettled = true;
    return null;
  }

  /** The fast pass (link-check.ts); true when every link holds. */
  private linksFast(): boolean {
    const out = new Int32Array(3);
    const img = this.linkImage();
    const jobs = this.linkJobs;
    this.linkJobs = null;
    const l0 = this.level0;
    this.level0 = null;
    const cm = this.checkMemory;
    const part = new Int32Array(3);
    if (l0 !== null) {
      // Level 0 is done (recordsFast); the upper levels in WebAssembly, with the helper, or alone.
      out.set(l0.out);
      let upperDone = false;
      const upperJob = this.upperJob;
      this.upperJob = null;
      if (upperJob !== null && HELPER_ALWAYS) l0.helper.awaitPickup(upperJob);
      if (upperJob !== null && l0.helper.await(upperJob) && upperJob.status[3] >= 0) {
        part.set(upperJob.status.subarray(1, 4));
        combine(out, part);
        upperDone = true;
      } else if (cm !== null && (upperJob === null || l0.helper.settled(upperJob))) {
        // (Not while a job the helper began and never finished may use the memory's scratch.)
        cm.upperLinks(F.LIVE, l0.salt, part);
        combine(out, part);
        upperDone = true;
      } else if (jobs !== null) {
        const { job, helper } = jobs.parts[0];
        if (HELPER_ALWAYS) helper.awaitFirstShare(job);
        const both = new Int32Array(3);
        checkLinks(img, l0.reached, l0.salt, both, { cursor: job.pass.cursor, levels: 'upper' });
        if (helper.finish(job, part)) {
          combine(both, part);
          combine(out, both);
          upperDone = true;
        }
      }
      if (!upperDone) {
        checkLinks(img, l0.reached, l0.salt, part, { levels: 'upper' });
        combine(out, part);
      }
      if (out[2] !== 1 || (out[0] | out[1]) !== 0) return false;
      this.reached = l0.reached;
      return true;
    }
    // With a check memory the JS passes take level 0 only; its upper levels come after.
    const levels = cm !== null ? 'zero' : 'all';
    let salt = jobs?.salt ?? randomWords(4);
    let reached: Int32Array | null = null;
    if (jobs !== null) {
      // This thread's share of each part (the chunks the helper has not taken), then the helper's.
      const mine = this.reachedFor(0);
      let delivered = true;
      out[2] = 1;
      for (const { job, helper } of jobs.parts) {
        if (HELPER_ALWAYS) helper.awaitFirstShare(job);
        checkLinks(img, mine, jobs.salt, part, { cursor: job.pass.cursor, levels: job.pass.levels });
        combine(out, part);
      }
      for (const { job, helper } of jobs.parts) {
        if (!helper.finish(job, part)) delivered = false;
        combine(out, part);
      }
      if (delivered) {
        const theirs = jobs.parts[0].job.reached;
        for (let i = 0; i < mine.length; i++) mine[i] |= theirs[i];
        reached = mine;
      }
    }
    if (reached === null) {
      // Alone (no helper, or it failed: start over on zeroed scratch).
      reached = this.reachedFor(0);
      reached.fill(0);
      if (this.scratch !== null) new Int32Array(reached.buffer, reached.byteOffset + reached.byteLength, threadScratchBytes(this.hw, this.M) / 4 - reached.length).fill(0);
      salt = randomWords(4);
      checkLinks(img, reached, salt, out, { levels });
    }
    if (cm !== null) {
      cm.upperLinks(F.LIVE, salt, part);
      combine(out, part);
    }
    if (out[2] !== 1 || (out[0] | out[1]) !== 0) return false;
    this.reached = reached;
    return true;
  }

  /** The per-node check: slower (a cache miss per link), but it names what is wrong. */
  private linksDetailed(): boolean {
    const { i32, hi32 } = this.v;
    const hw = this.hw;
    const M = this.M;
    const lvl = this.lvl;
    // One 8-word record per node so that a link costs one random memory access:
    // [level or -1, duplicate stamp, D lane 1, D lane 2, f(node, 0) lane 1, f(node, 0) lane 2].
    const info = new Int32Array(hw * 8);
    const salt = randomWords(4);
    const s0 = salt[0] | 0;
    const s1 = salt[1] | 1;
    const s2 = salt[2] | 0;
    const s3 = salt[3] | 0;
    for (let x = 0; x < hw; x++) {
      const o = x << 3;
      info[o] = lvl[x];
      info[o + 4] = fmix32((x + s0) ^ s1);
      info[o + 5] = fmix32(Math.imul(x ^ s2, 0x9e3779b1) + s3);
    }
    let stamp = 0;
    for (let s = 0; s < hw; s++) {
      const level = lvl[s];
      if (level < 0) continue;
      const rec = this.recOff(s);
      const so = s << 3;
      for (let l = 0; l <= level; l++) {
        let words: Int32Array;
        let base: number;
        let n: number;
        let fs1: number;
        let fs2: number;
        if (l === 0) {
          words = i32;
          base = (rec + this.linkOff) >>> 2;
          n = i32[rec >>> 2] & COUNT_MASK;
          fs1 = info[so + 4];
          fs2 = info[so + 5];
        } else {
          words = hi32;
          base = (i32[(rec + R.UPPER) >>> 2] >>> 2) + (l - 1) * M;
          n = 0;
          while (n < M && words[base + n] !== EMPTY_LINK) n++;
          fs1 = fmix32((s + s0) ^ Math.imul(l + 1, s1));
          fs2 = fmix32(Math.imul(s ^ s2, 0x9e3779b1) + l + s3);
        }
        stamp++;
        for (let j = 0; j < n; j++) {
          const t = words[base + j];
          const to = t << 3;
          let bad: string | null = null;
          if (!(t >= 0 && t < hw)) bad = `link to ${t} out of bounds`;
          else if (t === s) bad = 'link to itself';
          else if (info[to] < 0) bad = `link to ${t}, which is not live`;
          else if (info[to] < l) bad = `link to ${t}, which has no level ${l}`;
          else if (info[to + 1] === stamp) bad = `duplicate link to ${t}`;
          if (bad !== null) {
            if (!this.fail(`node ${s} level ${l}: ${bad}`)) return false;
            continue;
          }
          info[to + 1] = stamp;
          if (l === 0) {
            info[so + 2] ^= info[to + 4];
            info[so + 3] ^= info[to + 5];
          } else {
            info[so + 2] ^= fmix32((t + s0) ^ Math.imul(l + 1, s1));
            info[so + 3] ^= fmix32(Math.imul(t ^ s2, 0x9e3779b1) + l + s3);
          }
          info[to + 2] ^= fs1;
          info[to + 3] ^= fs2;
        }
      }
    }
    if (!this.ok) return false;
    let mismatched = 0;
    // Naming the culprits costs O(links²) per node: spend a bounded amount of work on it.
    this.work = 0;
    for (let s = 0; s < hw; s++) {
      if ((info[(s << 3) + 2] | info[(s << 3) + 3]) === 0) continue;
      mismatched++;
      if (this.work > 20_000_000) continue;
      const culprit = this.oneWayLink(s);
      if (culprit !== null && !this.fail(culprit)) return false;
    }
    if (mismatched > 0 && this.ok) this.fail(`links of ${mismatched} node(s) are not reciprocated`);
    return this.ok;
  }

  /** The first link of `s` that is not reciprocated, as a message (slow; error path only). */
  private oneWayLink(s: number): string | null {
    const level = this.lvl[s];
    for (let l = 0; l <= level; l++) {
      for (const t of this.list(s, l)) {
        const back = this.list(t, l);
        this.work += back.length;
        if (!back.includes(s)) return `node ${s} level ${l}: link to ${t} is not reciprocated`;
      }
    }
    return null;
  }
  private work = 0;

  /** A node's links at a level (already checked to be well formed). */
  list(s: number, l: number): number[] {
    const { i32, hi32 } = this.v;
    const rec = this.recOff(s);
    const out: number[] = [];
    if (l === 0) {
      const n = i32[rec >>> 2] & COUNT_MASK;
      const base = (rec + this.linkOff) >>> 2;
      for (let j = 0; j < n; j++) out.push(i32[base + j]);
    } else {
      const base = (i32[(rec + R.UPPER) >>> 2] >>> 2) + (l - 1) * this.M;
      for (let j = 0; j < this.M && hi32[base + j] !== EMPTY_LINK; j++) out.push(hi32[base + j]);
    }
    return out;
  }

  /** The free-slot list: in bounds, free slots only, no cycle, every free slot on it. */
  freeSlots(): boolean {
    const i32 = this.v.i32;
    const hw = this.hw;
    let free = this.freeCount;
    if (free < 0) {
      free = 0;
      for (let s = 0; s < hw; s++) if (i32[this.recOff(s) >>> 2] >>> FLAGS_SHIFT === F.FREE) free++;
    }
    const seen = new Uint8Array(hw);
    let walked = 0;
    for (let s = i32[H.FREE_SLOT]; s !== -1; ) {
      if (!(s >= 0 && s < hw)) return !this.fail(`free slot list points to ${s}, outside 0..${hw - 1}`);
      if (i32[this.recOff(s) >>> 2] >>> FLAGS_SHIFT !== F.FREE) return !this.fail(`free slot list reaches slot ${s}, which is not free`);
      if (seen[s]) return !this.fail(`free slot list loops at slot ${s}`);
      seen[s] = 1;
      walked++;
      s = i32[(this.recOff(s) + R.ELEM) >>> 2];
    }
    if (walked !== free) return !this.fail(`${free - walked} free slot(s) are not on the free slot list`);
    return true;
  }

  /** The allocator's free lists: every block inside the heap and overlapping nothing. */
  freeBlocks(): boolean {
    const { i32, hi32 } = this.v;
    for (let c = 0; c < HEAP_CLASSES; c++) {
      const bytes = classBytes(c);
      // Each step claims at least 8 new bytes, so the walk ends within heapTop / 8 steps; a
      // cycle revisits a claimed block and fails as an overlap.
      for (let off = i32[H.FREE_LISTS + c]; off !== 0; off = hi32[off >>> 2]) {
        if (!this.claim(off, bytes, `free list of ${bytes}-byte blocks`, false)) return false;
      }
    }
    return true;
  }

  /** The REDUCE matrix: dim × input-dim floats inside the heap, all finite. */
  projection(): boolean {
    const from = this.word(H.PROJ_INPUT_DIM);
    if (from === 0) return true;
    const ref = this.word(H.PROJ_REF);
    const bytes = this.dim * from * 4;
    if (!this.inHeap(ref, bytes)) return !this.fail(`projection matrix (${this.dim} × ${from}) outside the heap`);
    if (!this.claim(ref, bytes, 'the projection matrix')) return false;
    const hi32 = this.v.hi32;
    for (let i = ref >>> 2, end = (ref + bytes) >>> 2; i < end; i++) {
      if ((hi32[i] & 0x7f800000) === 0x7f800000) return !this.fail('projection matrix holds a non-finite value');
    }
    return true;
  }

  /** Entry point live on the top level; every live node reachable from it on level 0. */
  reachability(): boolean {
    const lvl = this.lvl;
    if (this.count === 0) {
      if (this.entry !== -1 || this.maxLevel !== 0) return !this.fail(`empty set with entry point ${this.entry}, max level ${this.maxLevel}`);
      return true;
    }
    const entry = this.entry;
    if (entry < 0 || lvl[entry] < 0) return !this.fail(`entry point ${entry} is not a live node`);
    if (lvl[entry] !== this.maxLevel) return !this.fail(`max level ${this.maxLevel} but the entry point has level ${lvl[entry]}`);
    const unreachable = this.unreachable(entry);
    if (unreachable !== 0) return !this.fail(`${unreachable} live node(s) unreachable from the entry point on level 0`);
    return true;
  }

  /**
   * Live nodes not reachable from the entry point on level 0: the helper's walk when it ran one,
   * else the walk finishing the link check's marks, else a breadth-first search.
   */
  private unreachable(entry: number): number {
    const walked = this.collectWalk(HELPER_ALWAYS);
    if (walked !== null) return walked;
    if (this.reached !== null) return finishReachability(this.linkImage(), this.reached);
    const i32 = this.v.i32;
    const hw = this.hw;
    const seen = new Uint8Array(hw);
    const queue = new Int32Array(this.count);
    let head = 0;
    let tail = 0;
    seen[entry] = 1;
    queue[tail++] = entry;
    while (head < tail) {
      const rec = this.recOff(queue[head++]);
      const n = i32[rec >>> 2] & COUNT_MASK;
      const base = (rec + this.linkOff) >>> 2;
      for (let j = 0; j < n; j++) {
        const t = i32[base + j];
        if (seen[t]) continue;
        seen[t] = 1;
        queue[tail++] = t;
      }
    }
    return this.count - tail;
  }
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
 * Whether the upper-level list of M words at word `base` is links, then EMPTY_LINK to its end
 * (appendLink relies on it; heap-check.wat's heapHalf checks the same).
 */
function listTerminated(hi32: Int32Array, base: number, M: number): boolean {
  let e = 0;
  while (e < M && hi32[base + e] !== EMPTY_LINK) e++;
  for (; e < M; e++) if (hi32[base + e] !== EMPTY_LINK) return false;
  return true;
}

/** Folds one share of a link check into `out` (XOR of lanes, every share must pass). */
function combine(out: Int32Array, part: Int32Array): void {
  out[0] ^= part[0];
  out[1] ^= part[1];
  if (part[2] !== 1) out[2] = 0;
}

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
 * After a successful image check, on the fresh shared buffers holding a copy of the images:
 * reset what belongs to the process that wrote them (seqlock, epoch, reader slots), turn slots
 * that were in limbo into free slots and heap bytes nobody points at (blocks that were in limbo)
 * into free blocks, and recount the heap statistics — so nothing the image held is leaked.
 */
export function adoptImage(v: SetViews, c: SetCheck): void {
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
  for (let i = 0; i < gaps.length; i += 2) {
    // Carve the run into blocks the allocator can hand out again: powers of two from 2 KiB,
    // then small blocks (every size class holds exactly its class size, blocks never merge).
    let off = gaps[i];
    let rem = gaps[i + 1] - off;
    while (rem >= 2048) {
      const p = 2 ** Math.floor(Math.log2(rem));
      heapFree(v, off, p);
      off += p;
      rem -= p;
    }
    while (rem > 1024) {
      heapFree(v, off, 1024);
      off += 1024;
      rem -= 1024;
    }
    if (rem > 0) heapFree(v, off, rem);
  }
  h[H.HEAP_LIVE] = c.liveHeapBytes;
  h[H.UPPER_BYTES] = c.upperBytes;
}

