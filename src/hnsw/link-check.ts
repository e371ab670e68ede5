// The level-0 link check of a set image (see image.ts, SetCheck.links), on its own so that a
// helper thread can run it (workers/check-worker.ts) while the loading thread checks the
// elements: on a large image these are the two biggest parts of a load.
//
// One sequential sweep over the level-0 lists, touching small arrays at random (the levels, one
// byte per slot; duplicate stamps, two bytes per slot):
//  - bounds, self links, target live: `lvl`;
//  - duplicates within a list: a stamp per list;
//  - reciprocity: one XOR accumulator (two 32-bit lanes) over all links of a salted hash of the
//    *unordered* pair; reciprocated pairs cancel, so what remains is the XOR of the one-way
//    pairs' hashes, zero only by a 2^-64 accident (the salts are random, per check);
//  - the two ends of every link joined in a union–find (`parent`), which gives level-0
//    reachability without a breadth-first walk (links being reciprocal, reachable = connected).

import { COUNT_MASK } from './layout.js';

/** Where the level-0 lists are: the records image as words, and its geometry. */
export interface Level0Image {
  i32: Int32Array;
  /** Per slot below the high-water mark: the node's level if live, −1 otherwise. */
  lvl: Int8Array;
  hw: number;
  recBase: number;
  stride: number;
  linkOff: number;
}

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Checks every level-0 list; `parent` (hw entries, any content) receives the union–find
 * forest. Returns the two XOR lanes in out[0], out[1] and out[2] = 1, or out[2] = 0 as soon as
 * a link is out of bounds, to itself, to a slot that is not live, or duplicated in its list.
 */
export function checkLevel0Links(img: Level0Image, parent: Int32Array, salt: Uint32Array, out: Int32Array): void {
  const { i32, lvl, hw, recBase, stride, linkOff } = img;
  const stamps = new Uint16Array(hw);
  for (let x = 0; x < hw; x++) parent[x] = x;
  const s0 = salt[0] | 0;
  const s1 = salt[1] | 0;
  const s2 = salt[2] | 0;
  const s3 = salt[3] | 0;
  let g1 = 0;
  let g2 = 0;
  let stamp = 0;
  out[2] = 0;
  for (let s = 0; s < hw; s++) {
    if (lvl[s] < 0) continue;
    const rec = recBase + s * stride;
    const n = i32[rec >>> 2] & COUNT_MASK;
    const base = (rec + linkOff) >>> 2;
    if (++stamp === 0x10000) {
      stamps.fill(0);
      stamp = 1;
    }
    // The node's own root, once per node; unions keep it current.
    let ra = s;
    while (parent[ra] !== ra) ra = parent[ra] = parent[parent[ra]];
    for (let j = 0; j < n; j++) {
      const t = i32[base + j];
      if (!(t >= 0 && t < hw) || t === s || lvl[t] < 0 || stamps[t] === stamp) return;
      stamps[t] = stamp;
      const a = s < t ? s : t;
      const b = s < t ? t : s;
      g1 ^= fmix32(Math.imul(a ^ s0, 0xcc9e2d51) + Math.imul(b ^ s1, 0x1b873593));
      g2 ^= fmix32(Math.imul(b ^ s2, 0x85ebca6b) + Math.imul(a ^ s3, 0xc2b2ae35));
      if (s < t) {
        // Union with path halving; the smaller root wins.
        let rb = t;
        while (parent[rb] !== rb) rb = parent[rb] = parent[parent[rb]];
        if (ra < rb) parent[rb] = ra;
        else if (rb < ra) ra = parent[ra] = rb;
      }
    }
  }
  out[0] = g1;
  out[1] = g2;
  out[2] = 1;
}
