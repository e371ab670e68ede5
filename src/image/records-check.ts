// The header and node-record passes of a set check, and the checks of the free lists and the
// projection matrix (RecordsCheck; SetCheck adds the links and reachability).

import { classBytes, HEAP_CLASSES } from '../hnsw/heap.js';
import { CheckHelper, HELPER_ALWAYS, HELPER_MIN_NODES } from './check-helper.js';
import { CheckMemory } from './check-memory.js';
import { CHUNK_NOT_DONE } from './check-scratch.js';
import { CheckState } from './check-state.js';
import { HEAP_LIMIT, headerGeometry, headerWordUsed } from './image-header.js';
import { CHUNK, checkLinks, imageCheckWasm, recordsChunk } from './link-check.js';
import { loadHelper } from './load-scope.js';
import { COUNT_MASK, EMPTY_LINK, F, FLAGS_SHIFT, H, HEADER_BYTES, LEVEL_MASK, LEVEL_SHIFT, MAX_DIM, MAX_LEVEL, quantBytes, R, upperBlockBytes } from '../hnsw/layout.js';

/**
 * The header words that must be zero (those headerWordUsed leaves out), in order: the check reads
 * only these — asking headerWordUsed of each of a compact header's 224 words was ~0.4 µs of a
 * small set's check, a tenth of a 5-element set's.
 */
const UNUSED_HEADER_WORDS = Int32Array.from({ length: HEADER_BYTES / 4 }, (_, i) => i).filter((i) => !headerWordUsed(i));

/**
 * The first passes of a check (see image.ts for what they establish): the header, the node
 * records (in WebAssembly, with a streamed load's level-0 verdict when there is one, else in JS
 * naming the problem), the free-slot list, the allocator's free lists and the REDUCE matrix.
 */
export class RecordsCheck extends CheckState {
  /** Header words against each other and against the buffer lengths. */
  header(recordsBytes: number, heapBytes: number): boolean {
    const w = (i: number): number => this.word(i);
    const geo = headerGeometry(w);
    if (typeof geo === 'string') return !this.fail(geo);
    const { dim, M, g, recBase } = geo;
    this.dim = dim;
    this.quant = geo.quant;
    this.navQuant = g.navQuant;
    this.exactOff = g.exactOff;
    this.exactBytes = g.exactBytes;
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
    // A live set writes records up to its capacity without asking for room: they must all lie in
    // its records memory (an arena set's, in its block). An image's word is set on adoption.
    const cap = w(H.NODE_CAPACITY);
    if (!this.image && !(cap >= hw && cap <= slots)) return !this.fail(`node capacity ${cap} outside ${hw}..${Math.max(0, slots)} (the records memory holds ${Math.max(0, slots)})`);
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
    const i32 = this.v.i32;
    for (let k = 0; k < UNUSED_HEADER_WORDS.length; k++) {
      const i = UNUSED_HEADER_WORDS[k];
      if (i >= headerWords) break;
      if (i32[i] !== 0) return !this.fail(`header word ${i} is not zero`);
    }
    return true;
  }

  /**
   * Node records: flags, levels, upper blocks, padding. Fills `lvl` and `deleted`. In
   * WebAssembly when the image is in a WebAssembly memory (recordsFast), the heap half after;
   * the JS pass (recordsDetailed) runs when that finds anything, to name it.
   */
  records(): boolean {
    const used = new Int32Array(Math.ceil((this.heapTop >>> 3) / 32));
    this.used = used;
    if (this.recordsFast()) return this.exactPadding();
    // The JS pass rewrites the scratch: no streamed pass may still be writing it.
    this.dropStream();
    this.level0 = null;
    this.checkMemory = null;
    this.freeCount = -1;
    // The claims start over (the same array again: a small set's check, on the load's helper
    // thread, always comes here — its images are in no WebAssembly memory of its own).
    this.used = used.fill(0);
    this.liveHeapBytes = 0;
    this.upperBytes = 0;
    this.deleted.length = 0;
    return this.recordsDetailed() && this.exactPadding();
  }

  /**
   * An exact set's float32 copies (layout.ts geometry): the padding after the dimension is zero
   * in every live record, as in the vector at R.VEC — the float kernel reads it. There is
   * padding only when the dimension is not a multiple of 4.
   */
  private exactPadding(): boolean {
    const from = this.exactOff + 4 * this.dim;
    const to = this.exactOff + this.exactBytes;
    if (from >= to) return true;
    const u8 = this.v.u8;
    const lvl = this.lvl;
    for (let s = 0; s < this.hw; s++) {
      if (lvl[s] < 0) continue;
      const rec = this.recOff(s);
      for (let b = from; b < to; b++) {
        if (u8[rec + b] !== 0) return !this.fail(`node ${s}: padding of its float32 vector is not zero`);
      }
    }
    return true;
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
        : shared
          ? new Int8Array(new SharedArrayBuffer(hw))
          : new Int8Array(hw) // (on V8's heap when small: see CheckState.reachedFor)
    ).fill(-1));
    const padFrom = R.VEC + quantBytes(this.dim, this.navQuant);
    const padTo = R.VEC + this.vecBytes;
    // BIN stores whole 64-bit words: the bits past the dimension in the last word must be 0.
    const binTail = this.navQuant === 2 && this.dim % 64 !== 0 ? this.dim : -1;
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
    // Most of a small set's 149 lists are empty: a pass that only ORs the heads first (walking
    // them all, a class size each, was a quarter of a 1-element set's check).
    const heads = H.FREE_LISTS;
    let any = 0;
    for (let c = 0; c < HEAP_CLASSES; c++) any |= i32[heads + c];
    if (any === 0) return true;
    for (let c = 0; c < HEAP_CLASSES; c++) {
      let off = i32[heads + c];
      if (off === 0) continue;
      const bytes = classBytes(c);
      // Each step claims at least 8 new bytes, so the walk ends within heapTop / 8 steps; a
      // cycle revisits a claimed block and fails as an overlap.
      for (; off !== 0; off = hi32[off >>> 2]) {
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
export function combine(out: Int32Array, part: Int32Array): void {
  out[0] ^= part[0];
  out[1] ^= part[1];
  if (part[2] !== 1) out[2] = 0;
}
