// The exact scan of a set (VSIM TRUTH, and the query engine's scan of chosen slots): every live
// node, or the listed ones, keeping the best `k`. An exact NOQUANT set scans its float32 copies
// (layout.ts geometry), so TRUTH is exact there too.

import { F, FLAGS_SHIFT, H, R } from './layout.js';
import type { Searcher } from './search.js';

/** Results ascending in the searcher's outIds/outDists; returns how many. */
export function exactScan(s: Searcher, q: number, k: number, filter?: (slot: number) => boolean, among?: Int32Array): number {
  const v = s.v;
  const i32 = v.i32;
  const res = s.res;
  res.clear();
  res.reserve(k + 1);
  const highWater = Math.min(Atomics.load(i32, H.HIGH_WATER), v.visibleSlots);
  // An exact set scans its float32 copies: TRUTH and the query engine's scans are exact.
  const ek = s.exactK;
  const sh = s.exactShift; // 0 without an exact kernel
  const dist = ek === null ? s.dist : ek.dist;
  const qx = q + sh;
  if (among !== undefined && s.listOff >= 0) {
    // In batches, as the level-0 walk does: list the slots in the batch area while touching
    // their records (the CPU overlaps those cache misses: the matching documents of one tenant
    // lie scattered across the records), then one kernel call for all their distances.
    const size = 2 * v.M;
    const batch = s.batchIds(size);
    const f32 = v.sf32;
    const si32 = v.si32;
    const u8 = v.u8;
    const listWord = s.listOff >>> 2;
    const listRel = (s.listOff - v.base) | 0;
    const vecLast = R.VEC + Math.min(v.vecBytes, 128) - 1;
    const batchDist = ek === null ? s.batchDist : ek.batch;
    let touched = 0;
    for (let i = 0; i < among.length; ) {
      let m = 0;
      for (; i < among.length && m < size; i++) {
        const s = among[i];
        if (!(s >= 0 && s < highWater)) continue;
        const rec = v.recOff(s);
        if (((i32[rec >>> 2] >>> FLAGS_SHIFT) & F.LIVE) === 0) continue;
        if (filter && !filter(s)) continue;
        batch[m] = s;
        si32[listWord + m] = s;
        m++;
        touched ^= u8[rec + R.RANGE] ^ u8[rec + R.VEC + 64] ^ u8[rec + vecLast];
      }
      if (m > 0) batchDist(qx, listRel, m);
      for (let j = 0; j < m; j++) {
        const d = f32[listWord + j];
        if (res.size < k || d < res.dists[0]) {
          res.push(batch[j], d);
          if (res.size > k) res.pop();
        }
      }
    }
    s.sink ^= touched;
    s.distanceCount += among.length;
    s.reserveOut(res.size);
    return res.drainAscending(s.outIds, s.outDists);
  }
  // Every slot, or (outside a read section: no batch area) the chosen ones, a distance at a time.
  const n = among !== undefined ? among.length : highWater;
  for (let i = 0; i < n; i++) {
    const s = among !== undefined ? among[i] : i;
    if (!(s >= 0 && s < highWater)) continue;
    const rec = v.recOff(s);
    if (((i32[rec >>> 2] >>> FLAGS_SHIFT) & F.LIVE) === 0) continue;
    if (filter && !filter(s)) continue;
    const d = dist(qx, rec + sh);
    if (res.size < k || d < res.dists[0]) {
      res.push(s, d);
      if (res.size > k) res.pop();
    }
  }
  s.distanceCount += n;
  s.reserveOut(res.size);
  return res.drainAscending(s.outIds, s.outDists);
}
