// Small sets' image checks on the load's helper thread, in batches.
//
// A snapshot of many small sets (one per tenant) is read into arena blocks one set after
// another; each set's check is short (tens of microseconds) but they add up to half of such a
// load, and on one thread a load of 10,000 sets × 50 elements ran at half the MB/s of one set of
// the same size, whose large check the helper shares. So the loader posts small sets' places in
// batches (vset/deferred-sets.ts) and goes on reading while the helper checks them; it adopts
// them once every record is read. The helper only reads the images: adopting (the fix-ups of
// adoptImage) stays on the loading thread. The verdicts come back as messages on a channel the
// first batch carries, which the loading thread takes synchronously (receiveMessageOnPort): the
// load is synchronous and never returns to the event loop.

import type { MessagePort } from 'node:worker_threads';
import type { CheckedImage } from './image.js';
import type { WasmMemory } from '../hnsw/platform.js';
import { checkingInArena, type ArenaImageAt } from './link-check.js';

/** A batch of small sets' images in arena memories, for the helper. */
export interface SetsJobMessage {
  kind: 'sets';
  /** Its number in the load (verdicts name it). */
  batch: number;
  /** Arena memories the helper has not been sent before, by arena id. */
  memories: Array<[number, WasmMemory]>;
  /** Five numbers per set: arena id, records byte offset, records bytes, heap byte offset, heap bytes. */
  sets: number[];
  /** The channel for verdicts (the first batch of a load carries it). */
  port?: MessagePort;
  /** [state, verdict]: states as every helper job (check-helper.ts); verdict 1 delivered, −1 not (the loading thread then checks the batch itself). */
  status: Int32Array;
}

/**
 * The message the helper posts for a batch it checked: the verdicts packed as numbers, so that
 * taking them is one copy rather than the structured clone of an object and two arrays per set
 * (a load of 100,000 sets took 100,000 of them, all kept until the sets were adopted).
 */
export interface SetsVerdictMessage {
  batch: number;
  /** Per set, in order: stride (0: refused, its problem in `problems`), recBase, liveHeapBytes, upperBytes, deleted count, gap count, the deleted slots, the gaps' bounds. */
  facts: Int32Array;
  /** The problems of the refused sets, in order. */
  problems: string[];
}

/** Numbers per set in SetsVerdictMessage.facts before its lists. */
const FIXED = 6;
const NO_SLOTS: readonly number[] = Object.freeze([]);

/**
 * Helper side: a batch's verdicts packed as each set is checked, straight from its check (no
 * verdict object or copied lists per set in between: the helper's collector ran ~180 times in a
 * load of 100,000 sets).
 */
export class VerdictPacker {
  private facts = new Int32Array(FIXED * 64);
  private at = 0;
  private readonly problems: string[] = [];

  /** A set refused for `problem`. */
  refuse(problem: string): void {
    this.room(1);
    // A stride is never 0: a refused set's only number.
    this.facts[this.at++] = 0;
    this.problems.push(problem);
  }

  /** A set that passed: what adopting it needs. */
  pass(c: CheckedImage): void {
    const deleted = c.deleted;
    const gaps = c.gaps();
    this.room(FIXED + deleted.length + gaps.length);
    const f = this.facts;
    let at = this.at;
    f[at++] = c.stride;
    f[at++] = c.recBase;
    f[at++] = c.liveHeapBytes;
    f[at++] = c.upperBytes;
    f[at++] = deleted.length;
    f[at++] = gaps.length;
    for (const slot of deleted) f[at++] = slot;
    for (const bound of gaps) f[at++] = bound;
    this.at = at;
  }

  /** The message for batch `batch`: every set added so far, in order. */
  message(batch: number): SetsVerdictMessage {
    return { batch, facts: this.facts.slice(0, this.at), problems: this.problems };
  }

  private room(n: number): void {
    if (this.at + n <= this.facts.length) return;
    const bigger = new Int32Array(Math.max(2 * this.facts.length, this.at + n));
    bigger.set(this.facts.subarray(0, this.at));
    this.facts = bigger;
  }
}

/** Loading-thread side: a batch's verdicts as posted, each read when its set is adopted. */
export class BatchVerdicts {
  /** Where each set's numbers start in `facts`. */
  private readonly starts: Int32Array;
  /** Each refused set's problem, by set. */
  private readonly refused = new Map<number, string>();

  constructor(private readonly m: SetsVerdictMessage, sets: number) {
    this.starts = new Int32Array(sets);
    const f = m.facts;
    let at = 0;
    let problem = 0;
    for (let i = 0; i < sets; i++) {
      if (at >= f.length) throw new Error(`batch ${m.batch}: verdicts for ${i} of ${sets} sets`);
      this.starts[i] = at;
      if (f[at] === 0) {
        this.refused.set(i, m.problems[problem++] ?? 'refused');
        at += 1;
      } else {
        at += FIXED + f[at + 4]! + f[at + 5]!;
      }
    }
    if (at !== f.length) throw new Error(`batch ${m.batch}: verdicts for more than ${sets} sets`);
  }

  get length(): number {
    return this.starts.length;
  }

  /** The problem that refused set `i`, or null when it passed. */
  problem(i: number): string | null {
    return this.refused.get(i) ?? null;
  }

  /** A passed set's facts, as the CheckedImage adoptImage takes. */
  checked(i: number): CheckedImage {
    const f = this.m.facts;
    const at = this.starts[i]!;
    const deleted = f[at + 4]!;
    const gaps = f[at + 5]!;
    const gapsFrom = at + FIXED + deleted;
    return {
      stride: f[at]!,
      recBase: f[at + 1]!,
      liveHeapBytes: f[at + 2]!,
      upperBytes: f[at + 3]!,
      // (Most sets a SAVE wrote have neither: no list to make.)
      deleted: deleted === 0 ? NO_SLOTS : Array.from(f.subarray(at + FIXED, gapsFrom)),
      gaps: () => (gaps === 0 ? [] : Array.from(f.subarray(gapsFrom, gapsFrom + gaps))),
    };
  }
}

/** What the helper runs a set's check with (vset/image-load.ts checkImages, passed in to keep this module light). */
export type ImageChecker = (records: Uint8Array, heap: Uint8Array) => { ok: boolean; problems: string[] } & CheckedImage;

/** Where the helper's line reads go, so that no compiler drops them as unused. */
let touched = 0;

/**
 * Reads one word of each 64-byte line of words [from, to) of `w`. A small set's images are cold
 * on the helper (the loading thread wrote them on the other core, often thousands of sets
 * before), and the check's own reads wait on one another (a record's meta word, then its links);
 * these reads do not, so the core has many lines on their way at once. Checks of 20,000 cold
 * 50-element sets: 12.5 µs each, 11.5 with this pass first (its time included).
 */
export function touchLines(w: Int32Array, from: number, to: number): void {
  let acc = 0;
  for (let i = from; i < to; i += 16) acc |= w[i];
  touched ^= acc;
}

/** Helper side: checks every set of a batch over the arena memories it was sent; its verdicts as the message posts them. */
export function checkSetBatch(job: SetsJobMessage, memories: ReadonlyMap<number, WasmMemory>, check: ImageChecker): SetsVerdictMessage {
  const packer = new VerdictPacker();
  const s = job.sets;
  let words: Int32Array | null = null;
  // Where each set lies, for the link check's WebAssembly pass (one object, updated per set).
  let at: ArenaImageAt | null = null;
  for (let i = 0; i + 4 < s.length; i += 5) {
    const memory = memories.get(s[i]);
    if (memory === undefined) throw new Error(`arena ${s[i]} was never sent`);
    const buf = memory.buffer;
    // (A view of the whole memory, made again when the set is in another memory or it grew.)
    if (words === null || words.buffer !== buf) words = new Int32Array(buf);
    touchLines(words, s[i + 1] >>> 2, (s[i + 1] + s[i + 2]) >>> 2);
    touchLines(words, s[i + 3] >>> 2, (s[i + 3] + s[i + 4]) >>> 2);
    if (at === null) {
      at = { memory, buffer: buf, recordsAt: s[i + 1] };
    } else {
      at.memory = memory;
      at.buffer = buf;
      at.recordsAt = s[i + 1];
    }
    checkingInArena(at);
    let c: ReturnType<ImageChecker>;
    try {
      c = check(new Uint8Array(buf, s[i + 1], s[i + 2]), new Uint8Array(buf, s[i + 3], s[i + 4]));
    } finally {
      checkingInArena(null);
    }
    if (c.ok) packer.pass(c);
    else packer.refuse(c.problems[0] ?? 'refused');
  }
  return packer.message(job.batch);
}
