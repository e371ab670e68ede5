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

/** A set's verdict: the problem that refuses it, or what adopting it needs (CheckedImage's facts). */
export type SetVerdict = { problem: string } | { problem: null; stride: number; recBase: number; deleted: number[]; liveHeapBytes: number; upperBytes: number; gaps: number[] };

/** The message the helper posts for a batch it checked. */
export interface SetsVerdictMessage {
  batch: number;
  verdicts: SetVerdict[];
}

/** What the helper runs a set's check with (vset/image-load.ts checkImages, passed in to keep this module light). */
export type ImageChecker = (records: Uint8Array, heap: Uint8Array) => { ok: boolean; problems: string[] } & CheckedImage;

/** Helper side: checks every set of a batch over the arena memories it was sent. */
export function checkSetBatch(job: SetsJobMessage, memories: ReadonlyMap<number, WasmMemory>, check: ImageChecker): SetVerdict[] {
  const out: SetVerdict[] = [];
  const s = job.sets;
  for (let i = 0; i + 4 < s.length; i += 5) {
    const memory = memories.get(s[i]);
    if (memory === undefined) throw new Error(`arena ${s[i]} was never sent`);
    const buf = memory.buffer;
    const c = check(new Uint8Array(buf, s[i + 1], s[i + 2]), new Uint8Array(buf, s[i + 3], s[i + 4]));
    out.push(c.ok ? verdictOf(c) : { problem: c.problems[0] ?? 'refused' });
  }
  return out;
}

function verdictOf(c: CheckedImage): SetVerdict {
  return { problem: null, stride: c.stride, recBase: c.recBase, deleted: [...c.deleted], liveHeapBytes: c.liveHeapBytes, upperBytes: c.upperBytes, gaps: c.gaps() };
}

/** A passed verdict as the CheckedImage adoptImage takes. */
export function checkedImageOf(v: Extract<SetVerdict, { problem: null }>): CheckedImage {
  return { stride: v.stride, recBase: v.recBase, deleted: v.deleted, liveHeapBytes: v.liveHeapBytes, upperBytes: v.upperBytes, gaps: () => v.gaps };
}
