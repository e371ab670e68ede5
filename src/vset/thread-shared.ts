// What the arena sets of one thread share: a writer and a searcher (rebound to one set at a
// time), encoding buffers, and the ring that decides which owned sets keep their views.

import type { SetViews } from '../hnsw/layout.js';
import { GraphWriter, type WriterState } from '../hnsw/writer.js';
import { Searcher } from '../hnsw/search.js';

/** What the hydration ring needs of a set. */
export interface HydratedSet {
  recentlyUsed: boolean;
  dehydrate(): boolean;
}


/** The thread's writer and searcher for arena sets (each points at one set at a time). */
let sharedWriter: GraphWriter | null = null;
let sharedReader: Searcher | null = null;

/** The thread's writer for arena sets, pointed at this set (and its writer state). */
export function sharedWriterFor(v: SetViews, st: WriterState): GraphWriter {
  if (sharedWriter === null) sharedWriter = new GraphWriter(v, 'wasm', st);
  else sharedWriter.rebind(v, st);
  return sharedWriter;
}

/** The thread's searcher for arena sets, pointed at this set and bound. */
export function sharedReaderFor(v: SetViews): Searcher {
  if (sharedReader === null) sharedReader = new Searcher(v, 'wasm');
  else sharedReader.rebind(v);
  sharedReader.bind();
  return sharedReader;
}

/** Vector buffers for encoding and projecting, per (dimension, stored bytes), per thread. */
const vectorBuffers = new Map<string, { work: Float32Array; projected: Float32Array; encoded: Uint8Array }>();

export function vectorScratch(v: SetViews): { work: Float32Array; projected: Float32Array; encoded: Uint8Array } {
  // An exact set's encoded form is its Q8 vector, then its float32 one (encodeFor).
  const key = `${v.dim}/${v.vecBytes}/${v.exactBytes}`;
  let b = vectorBuffers.get(key);
  if (b === undefined) {
    b = { work: new Float32Array(v.dim), projected: new Float32Array(v.dim), encoded: new Uint8Array(v.vecBytes + v.exactBytes) };
    vectorBuffers.set(key, b);
  }
  return b;
}

/**
 * The owned arena sets whose views are made, oldest first: past HYDRATED_KEPT the oldest that
 * was not used since its last turn drops its views (a second-chance clock). Re-making them costs
 * a few typed arrays, about a microsecond.
 */
class HydrationRing {
  private ring: HydratedSet[] = [];
  private head = 0;
  constructor(private readonly kept: number) {}

  admit(set: HydratedSet): void {
    this.ring.push(set);
    let turns = 0;
    while (this.ring.length - this.head > this.kept && turns++ < 2 * this.kept) {
      const s = this.ring[this.head++] as HydratedSet;
      if (s.recentlyUsed) {
        s.recentlyUsed = false;
        this.ring.push(s);
      } else {
        s.dehydrate();
      }
    }
    if (this.head > 1024 && this.head * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.head);
      this.head = 0;
    }
  }
}

const HYDRATED_KEPT = 512;
export const hydrated = new HydrationRing(HYDRATED_KEPT);

