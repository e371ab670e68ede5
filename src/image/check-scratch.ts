// A check's scratch in the WebAssembly memory that holds the records image, after the image: the
// nodes' levels, the records pass's lists and per-chunk counts, each thread's link-check scratch
// and the helper's reachability walk (laid out here, placed by SetCheck.placeScratch or by a
// streamed load, streamLinkCheck); and the records pass's parameters (link-check.ts, RecordsPass).

import { CHUNK, threadScratchBytes, type RecordsPass } from './link-check.js';
import { quantBytes, R, type Quant } from '../hnsw/layout.js';
import { WASM_PAGE, type WasmMemory } from '../hnsw/platform.js';
import { usesCheckMemory } from './load-scope.js';

/** Where a check's scratch goes after a records image of `recordsBytes` bytes (SetCheck.placeScratch). */
export interface ScratchLayout {
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

export function scratchLayout(recordsBytes: number, hw: number, M: number): ScratchLayout {
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
export function makeRoom(mem: WasmMemory, sc: ScratchLayout): boolean {
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
export function clearRoom(mem: WasmMemory, sc: ScratchLayout, elemsWritten: boolean, stackWritten: boolean): void {
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
export const CHUNK_NOT_DONE = -2;

/** The records pass's parameters for an image with these header values (see RecordsPass). */
export function recordsPass(sc: ScratchLayout, hw: number, heapTop: number, dim: number, quant: Quant, M: number, vecBytes: number, maxLevel: number): RecordsPass {
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

export const samePass = (a: RecordsPass, b: RecordsPass): boolean => (Object.keys(a) as Array<keyof RecordsPass>).every((k) => a[k] === b[k]);
