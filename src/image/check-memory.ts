// The check memory: a temporary WebAssembly memory in which the heap half of a loaded image's
// check runs (heap-check.wat). The heap lives in a growable SharedArrayBuffer that WebAssembly
// cannot address (and Node 20 has no multi-memory), so the check copies what it needs here: the
// heap image at offset 0 (a heap offset is then an address), the claims bitmap the JS checks
// share (SetCheck.used is a view of it), and what records0 extracted from the node records —
// levels, element refs, the listed slots. A memcpy of the heap (6 MB at 100k elements) buys
// loops that run at full speed from the first node instead of cold JavaScript; the records
// check uses it below 256k elements and 64 MiB of heap (beyond, the copy costs more than it saves
// and the JS checks are warm). A snapshot load with a helper thread reads the heap image straight into a
// memory that then becomes the check memory, so that copy goes to the helper
// (streamed-load.ts, StagedHeap). The memory is dropped with the check.

import { WASM_BYTES } from './heap-check.wasm.generated.js';
import { dupSlots } from './link-check.js';
import { CALL_CHUNK, compileWasm, createSharedWasmMemory, instantiateWasm, WASM_PAGE, type WasmMemory } from '../hnsw/platform.js';

type WasmFn = (...args: number[]) => number;
export interface HeapCheckExports {
  heapHalf: WasmFn;
  nodeElements: WasmFn;
  tableSums: WasmFn;
  upperLinks: WasmFn;
  probeRuns: WasmFn;
  nextUnit: WasmFn;
  claimBlock: WasmFn;
  liveBytes: () => number;
}

let heapCheckModule: object | null = null;

/** heap-check.wat's functions over `memory` (compiled once per thread, instantiated per call). */
export function heapCheckWasm(memory: WasmMemory): HeapCheckExports {
  if (heapCheckModule === null) heapCheckModule = compileWasm(WASM_BYTES);
  return instantiateWasm(heapCheckModule, { env: { memory } }).exports as unknown as HeapCheckExports;
}

const align = (x: number): number => Math.ceil(x / 64) * 64;

/** heapHalf's listed slots per call: each does more (claims, whole upper lists) than a node's element. */
const HALF_CHUNK = 2048;

/** What records0 left in the records scratch (check-scratch.ts, ScratchLayout), as views. */
export interface RecordsExtract {
  lvl: Int8Array;
  elems: Int32Array;
  /** Triples (slot, upper block, meta) of each chunk at 3·chunkStart, `counts[k]` of them. */
  specials: Int32Array;
  counts: Int32Array;
  chunk: number;
}

/** The check memory's layout: byte offsets of its parts (see build). */
interface CheckMemoryLayout {
  used: number;
  lvl: number;
  elems: number;
  listed: number;
  deleted: number;
  keys: number;
  gens: number;
  runs: number;
  /** Two out areas of OUT_BYTES: the loading thread's, then the helper's. */
  out: number;
}

const OUT_BYTES = 64;

/**
 * What the load's helper thread needs to run the table and upper-link checks over a check
 * memory (check-helper.ts, `share`/`attach`): the memory is shared, the rest is numbers.
 */
export interface CheckMemoryShare {
  mem: WasmMemory;
  heapTop: number;
  hw: number;
  M: number;
  p: CheckMemoryLayout;
  usedWords: number;
  listedCount: number;
}

export class CheckMemory {
  /** The claims bitmap: one bit per 8 heap bytes. */
  readonly used: Int32Array;
  /** Slots listed by records0 (triples in `listed`). */
  readonly listedCount: number;
  private readonly fns: HeapCheckExports;
  /** This thread's out area (words), and its byte offset. */
  private readonly out: Int32Array;
  private readonly outPtr: number;

  private constructor(
    private readonly mem: WasmMemory,
    private readonly heapTop: number,
    private readonly hw: number,
    private readonly M: number,
    private readonly p: CheckMemoryLayout,
    private readonly usedWords: number,
    listedCount: number,
    helper = false,
  ) {
    this.fns = heapCheckWasm(mem);
    this.used = new Int32Array(mem.buffer, p.used, usedWords);
    this.outPtr = p.out + (helper ? OUT_BYTES : 0);
    this.out = new Int32Array(mem.buffer, this.outPtr, OUT_BYTES / 4);
    this.listedCount = listedCount;
  }

  /** For the load's helper thread: this memory, to `attach` there. */
  share(): CheckMemoryShare {
    return { mem: this.mem, heapTop: this.heapTop, hw: this.hw, M: this.M, p: this.p, usedWords: this.usedWords, listedCount: this.listedCount };
  }

  /**
   * On the helper thread: the same memory with an instance and out area of its own. Only the
   * read-only checks (tableSums, probeRuns, upperLinks) may run there, while the loading thread
   * runs nodeElements, which claims.
   */
  static attach(s: CheckMemoryShare): CheckMemory {
    return new CheckMemory(s.mem, s.heapTop, s.hw, s.M, s.p, s.usedWords, s.listedCount, true);
  }

  /**
   * Copies the heap image and records0's output in; null when the memory cannot be had. `staged`:
   * a memory that holds the heap image at its start already and nothing after it (the caller
   * read `heap` there, see streamed-load.ts, StagedHeap); it is grown and used, without the copy.
   */
  static build(heap: Uint8Array, heapTop: number, hw: number, M: number, rec: RecordsExtract, staged: WasmMemory | null = null): CheckMemory | null {
    let listed = 0;
    for (const n of rec.counts) listed += n;
    const slots = dupSlots(M);
    const usedWords = Math.ceil((heapTop >>> 3) / 32);
    const p: CheckMemoryLayout = { used: 0, lvl: 0, elems: 0, listed: 0, deleted: 0, keys: 0, gens: 0, runs: 0, out: 0 };
    p.used = align(heapTop);
    p.lvl = align(p.used + usedWords * 4);
    p.elems = align(p.lvl + hw);
    p.listed = align(p.elems + hw * 4);
    p.deleted = align(p.listed + listed * 12);
    p.keys = align(p.deleted + listed * 4);
    p.gens = p.keys + slots * 4;
    p.runs = align(p.gens + slots * 4);
    p.out = p.runs + 64 * 8;
    const pages = Math.max(1, Math.ceil((p.out + 2 * OUT_BYTES) / WASM_PAGE));
    const inPlace = staged !== null && heap.byteLength === heapTop;
    let mem: WasmMemory | null;
    if (inPlace) {
      // Everything after the image is still zero: the loader wrote only the image there.
      mem = staged;
      try {
        const had = staged.buffer.byteLength / WASM_PAGE;
        if (had < pages) staged.grow(pages - had);
      } catch {
        return null;
      }
    } else {
      // Exactly as large as needed, never grown: no address space is reserved beyond it.
      mem = createSharedWasmMemory(pages, pages);
      if (mem === null) return null;
    }
    const buf = mem.buffer;
    if (!inPlace) new Uint8Array(buf, 0, heapTop).set(heap.subarray(0, heapTop));
    new Int8Array(buf, p.lvl, hw).set(rec.lvl);
    new Int32Array(buf, p.elems, hw).set(rec.elems);
    const dst = new Int32Array(buf, p.listed, listed * 3);
    for (let k = 0, at = 0; k < rec.counts.length; k++) {
      const n = rec.counts[k];
      const from = 3 * k * rec.chunk;
      dst.set(rec.specials.subarray(from, from + 3 * n), at);
      at += 3 * n;
    }
    return new CheckMemory(mem, heapTop, hw, M, p, usedWords, listed);
  }

  /**
   * The heap half of the records check (heapHalf): null on a fault, else the deleted slots, the
   * upper bytes of live nodes and the live heap bytes claimed.
   */
  heapHalf(fDeleted: number): { deleted: Int32Array; upperBytes: number; liveBytes: number } | null {
    const o = this.out;
    o.fill(0, 0, 2);
    for (let from = 0; from < this.listedCount; from += HALF_CHUNK) {
      const to = Math.min(this.listedCount, from + HALF_CHUNK);
      if (this.fns.heapHalf(from, this.p.listed, to, this.p.used, this.heapTop, this.M, fDeleted, this.p.deleted, this.outPtr) !== 1) return null;
    }
    const deleted = new Int32Array(this.mem.buffer, this.p.deleted, o[0]).slice();
    return { deleted, upperBytes: o[1], liveBytes: this.claimedLive() };
  }

  /** SetCheck.claimBlock over this memory's claims bitmap (0 taken, 1 outside the heap, 2 overlap); live bytes not counted. */
  claimBlock(off: number, size: number): number {
    // A size the i32 parameter cannot carry (the 2^31-byte free list) would wrap negative and
    // read as an 8-byte block; past 2^30 a block takes 2^31 bytes, outside any heap, as in JS.
    if (size > 0x40000000) return 1;
    return this.fns.claimBlock(this.p.used, this.heapTop, off, size);
  }

  /**
   * SetCheck.gaps over this memory's claims bitmap: the runs of heap units (8 bytes) after the
   * first that nobody claimed, as byte offsets [start, end, start, end, …].
   */
  gaps(): number[] {
    const out: number[] = [];
    const units = this.heapTop >>> 3;
    for (let u = 1; u < units; ) {
      const start = this.fns.nextUnit(this.p.used, u, units, 0);
      if (start >= units) break;
      u = this.fns.nextUnit(this.p.used, start, units, 1);
      out.push(start * 8, u * 8);
    }
    return out;
  }

  /** Live heap bytes claimed in WebAssembly since the last call. */
  private claimedLive(): number {
    const now = this.fns.liveBytes() >>> 0;
    const delta = now - this.liveSeen;
    this.liveSeen = now;
    return delta;
  }
  private liveSeen = 0;

  /**
   * elementsByNode's node side (nodeElements): null on a fault, else the live nodes, attributes,
   * salted sums and the live heap bytes claimed.
   */
  nodeElements(k0: number, k1: number, salt: Uint32Array): { nodes: number; attrs: number; a1: number; a2: number; liveBytes: number } | null {
    const o = this.out;
    o.fill(0, 0, 4);
    for (let from = 0; from < this.hw; from += CALL_CHUNK) {
      const to = Math.min(this.hw, from + CALL_CHUNK);
      if (this.fns.nodeElements(from, to, this.p.lvl, this.p.elems, this.p.used, this.heapTop, k0, k1, salt[0] | 0, salt[1] | 0, salt[2] | 0, salt[3] | 0, this.outPtr) !== 1) return null;
    }
    return { nodes: o[0], attrs: o[1], a1: o[2], a2: o[3], liveBytes: this.claimedLive() };
  }

  /** tablePass over the name table at word offset t (tableSums): null when an empty entry holds a hash. */
  tableSums(t: number, cap: number, salt: Uint32Array): { used: number; live: number; a1: number; a2: number; emptyAt: number } | null {
    const o = this.out;
    o.fill(0, 0, 4);
    o[4] = -1;
    for (let from = 1; from < cap; from += CALL_CHUNK) {
      const to = Math.min(cap, from + CALL_CHUNK);
      if (this.fns.tableSums(from, t * 4, to, salt[0] | 0, salt[1] | 0, salt[2] | 0, salt[3] | 0, this.outPtr) !== 1) return null;
    }
    return { used: o[0], live: o[1], a1: o[2], a2: o[3], emptyAt: o[4] };
  }

  /**
   * probeRuns' verdict for tables whose runs are at most 64 entries long: true when every chain
   * is unbroken and names are unique; false at a fault or a longer run (the JS pass then decides).
   */
  probeRuns(t: number, cap: number, emptyAt: number): boolean {
    // Its state in out words 12-15 (see heap-check.wat).
    const o = this.out;
    o[12] = emptyAt;
    o[13] = 1;
    o[14] = 0;
    o[15] = 0;
    for (let to = 1 + CALL_CHUNK; ; to += CALL_CHUNK) {
      if (this.fns.probeRuns(t * 4, cap, to, this.p.runs, this.outPtr + 48) !== 1) return false;
      if (to >= cap) return true;
    }
  }

  /** The upper-level links of the listed live nodes (upperLinks) into out = [lane 1, lane 2, verdict]. */
  upperLinks(fLive: number, salt: Uint32Array, out: Int32Array): void {
    // Its own out words [lane 1, lane 2, generation] (8 …): the generation of the duplicate
    // table must only grow, or entries of an earlier call would read as this list's.
    const o = this.out;
    o[8] = 0;
    o[9] = 0;
    const slots = dupSlots(this.M);
    let ok = true;
    for (let k = 0; k < this.listedCount && ok; k += CALL_CHUNK) {
      const to = Math.min(this.listedCount, k + CALL_CHUNK);
      ok = this.fns.upperLinks(k, this.p.listed, to, this.M, this.hw, fLive, this.p.keys, this.p.gens, Math.clz32(slots) + 1, slots - 1, salt[0] | 0, salt[1] | 0, salt[2] | 0, salt[3] | 0, this.outPtr + 32) === 1;
    }
    out[0] = o[8];
    out[1] = o[9];
    out[2] = ok ? 1 : 0;
  }
}
