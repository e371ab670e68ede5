// Graph figures for benchmarks and VINFO-like reports: live, unreachable and isolated nodes,
// mean level-0 degree. The structural checks (bounds, reciprocity, reachability, the heap, the
// name table …) are in src/image/, shared by `VectorSet.validate()` and the image loader.

import { COUNT_MASK, F, FLAGS_SHIFT, H, type SetViews } from './layout.js';

export interface GraphStats {
  live: number;
  /** Live nodes not reachable from the entry point over level-0 links. */
  unreachable: number;
  /** Live nodes with no level-0 link (in a set of more than one node). */
  isolated: number;
  avgDegree0: number;
  maxLevel: number;
}

/** Reachability and degree figures (one BFS over level 0 from the entry point). */
export function graphStats(v: SetViews): GraphStats {
  v.refresh();
  const h = v.i32;
  const hw = h[H.HIGH_WATER];
  const entry = h[H.ENTRY];
  let live = 0;
  let isolated = 0;
  let degrees = 0;
  for (let s = 0; s < hw; s++) {
    const meta = h[v.recOff(s) >>> 2];
    if (meta >>> FLAGS_SHIFT !== F.LIVE) continue;
    live++;
    degrees += meta & COUNT_MASK;
    if ((meta & COUNT_MASK) === 0) isolated++;
  }
  let reached = 0;
  if (entry >= 0 && entry < hw) {
    const seen = new Uint8Array(hw);
    const queue = new Int32Array(hw);
    let head = 0;
    let tail = 0;
    seen[entry] = 1;
    queue[tail++] = entry;
    while (head < tail) {
      const s = queue[head++];
      reached++;
      const rec = v.recOff(s);
      const n = h[rec >>> 2] & COUNT_MASK;
      const base = (rec + v.linkOff) >>> 2;
      for (let i = 0; i < n; i++) {
        const t = h[base + i];
        if (t < 0 || t >= hw || seen[t]) continue;
        if (h[v.recOff(t) >>> 2] >>> FLAGS_SHIFT !== F.LIVE) continue;
        seen[t] = 1;
        queue[tail++] = t;
      }
    }
  }
  return {
    live,
    unreachable: live - reached,
    isolated: live > 1 ? isolated : 0,
    avgDegree0: live > 0 ? degrees / live : 0,
    maxLevel: h[H.MAX_LEVEL],
  };
}
