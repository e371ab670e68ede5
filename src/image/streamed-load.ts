// A snapshot load that checks while it reads: with a helper thread, the records' own checks and
// the level-0 links run chunk by chunk as the records image arrives (streamLinkCheck, LinkStream),
// and the heap image can be read into a staging memory that serves as the check memory while the
// helper copies it into the set's heap (stageHeap, StagedHeap). SetCheck collects both.

import { copyBlocks, HELPER_ALWAYS, HELPER_MIN_NODES, JOB_CANCELLED, type CheckHelper, type CheckJobMessage, type CopyJobMessage } from './check-helper.js';
import { makeRoom, recordsPass, scratchLayout, type ScratchLayout } from './check-scratch.js';
import { headerGeometry } from './image-header.js';
import type { LinkImage, RecordsPass } from './link-check.js';
import { loadHelper, usesCheckMemory } from './load-scope.js';
import { collectDigest, collectPieces, piecesRead, pieceCrcs } from './piece-crc.js';
import { warmUpChecks } from './warm-up.js';
import { COMPACT_HEADER_BYTES, H, MAX_LEVEL, randomWords } from '../hnsw/layout.js';
import { createSharedWasmMemory, isWasmMemory, WASM_MAX_PAGES, WASM_PAGE, type WasmMemory } from '../hnsw/platform.js';

/**
 * Bytes a snapshot load reads between two reports to a streaming link check (streamLinkCheck):
 * small enough that the helper follows the read closely, large enough that the reports cost
 * nothing; small pieces for tests (VSETD_LOAD_HELPER=always, HELPER_ALWAYS).
 */
export const STREAM_PIECE_BYTES = HELPER_ALWAYS ? 4096 : 4 * 1024 * 1024;
/**
 * The first piece, read and checksummed before the stream starts: the header and a few records,
 * so that the helper starts on the records (and their checksums) early.
 */
export const STREAM_FIRST_BYTES = HELPER_ALWAYS ? 4096 : 256 * 1024;

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
  const { dim, M, g, recBase } = geo;
  const hw = w[H.HIGH_WATER];
  if (!(hw >= HELPER_MIN_NODES && recordsBytes === recBase + hw * g.stride)) return null;
  const maxLevel = w[H.MAX_LEVEL];
  if (!(maxLevel >= 0 && maxLevel <= MAX_LEVEL)) return null;
  const entry = w[H.ENTRY];
  const layout = scratchLayout(recordsBytes, hw, M);
  if (!makeRoom(mem, layout)) return null;
  const records = recordsPass(layout, hw, w[H.HEAP_TOP], dim, g.navQuant, M, g.vecBytes, maxLevel);
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
