// Structural validation of a set's graph: the checks the tests run after every change and the
// snapshot loader will run before accepting a file (spec §11.3, design invariant 4).
//
// Returns a list of human-readable problems; an empty list means the graph is sound:
//  - header: counts in range, entry point live and on the top level (or -1 for an empty set);
//  - every slot below the high-water mark is live, deleted (in limbo) or free, and the live
//    count matches the header;
//  - every live node: level ≤ 16, links per level ≤ capacity, every link in bounds, not to
//    itself, not duplicated, to a live node that has that level, and reciprocated;
//  - every live node is reachable from the entry point on level 0 (which implies reachable at
//    all: search always ends with a level-0 walk, so level-0 connectivity is what matters).
//
// `graphStats` reports the same walk's figures for benchmarks (unreachable counts, degrees).

import { COUNT_MASK, F, FLAGS_SHIFT, H, LEVEL_MASK, LEVEL_SHIFT, MAX_LEVEL, R, type SetViews } from './layout.js';
import { linkCount, listBase, listWords, maxLinks } from './links.js';

const MAX_PROBLEMS = 50;

export interface GraphStats {
  live: number;
  /** Live nodes not reachable from the entry point over level-0 links. */
  unreachable: number;
  /** Live nodes with no level-0 link (in a set of more than one node). */
  isolated: number;
  avgDegree0: number;
  maxLevel: number;
}

export function validateGraph(v: SetViews): string[] {
  const problems: string[] = [];
  const add = (msg: string): boolean => {
    if (problems.length < MAX_PROBLEMS) problems.push(msg);
    return problems.length < MAX_PROBLEMS;
  };
  v.refresh();
  const h = v.i32;
  const hw = h[H.HIGH_WATER];
  const count = h[H.COUNT];
  const entry = h[H.ENTRY];
  const maxLevel = h[H.MAX_LEVEL];
  if (hw < 0 || hw > v.visibleSlots) return [`high-water mark ${hw} outside the records memory (${v.visibleSlots} slots)`];
  if (count < 0 || count > hw) add(`count ${count} outside 0..${hw}`);

  let live = 0;
  for (let s = 0; s < hw; s++) {
    const meta = h[v.recOff(s) >>> 2];
    const flags = meta >>> FLAGS_SHIFT;
    if (flags !== F.LIVE && flags !== F.DELETED && flags !== F.FREE) {
      if (!add(`slot ${s}: bad flags ${flags}`)) return problems;
    }
    if (flags === F.LIVE) live++;
  }
  if (live !== count) add(`header count ${count} but ${live} live nodes`);

  if (count === 0) {
    if (entry !== -1) add(`empty set with entry point ${entry}`);
    return problems;
  }
  if (entry < 0 || entry >= hw || (h[v.recOff(entry) >>> 2] >>> FLAGS_SHIFT) !== F.LIVE) {
    add(`entry point ${entry} is not a live node`);
    return problems;
  }
  const entryLevel = (h[v.recOff(entry) >>> 2] >>> LEVEL_SHIFT) & LEVEL_MASK;
  if (entryLevel !== maxLevel) add(`max level ${maxLevel} but the entry point has level ${entryLevel}`);

  for (let s = 0; s < hw; s++) {
    const rec = v.recOff(s);
    const meta = h[rec >>> 2];
    if (meta >>> FLAGS_SHIFT !== F.LIVE) continue;
    const level = (meta >>> LEVEL_SHIFT) & LEVEL_MASK;
    if (level > MAX_LEVEL) {
      if (!add(`node ${s}: level ${level} above ${MAX_LEVEL}`)) return problems;
      continue;
    }
    if (level > maxLevel) add(`node ${s}: level ${level} above the graph's max level ${maxLevel}`);
    if (level > 0 && h[(rec + R.UPPER) >>> 2] === 0) {
      if (!add(`node ${s}: level ${level} but no upper link block`)) return problems;
      continue;
    }
    if ((meta & COUNT_MASK) > maxLinks(v, 0)) {
      if (!add(`node ${s}: ${meta & COUNT_MASK} links on level 0, capacity ${maxLinks(v, 0)}`)) return problems;
      continue;
    }
    for (let lc = 0; lc <= level; lc++) {
      const n = linkCount(v, s, lc);
      const words = listWords(v, lc);
      const base = listBase(v, s, lc);
      for (let i = 0; i < n; i++) {
        const t = words[base + i];
        let bad: string | null = null;
        if (t < 0 || t >= hw) bad = `link to ${t} out of bounds`;
        else if (t === s) bad = 'link to itself';
        else if (h[v.recOff(t) >>> 2] >>> FLAGS_SHIFT !== F.LIVE) bad = `link to ${t}, which is not live`;
        else if (((h[v.recOff(t) >>> 2] >>> LEVEL_SHIFT) & LEVEL_MASK) < lc) bad = `link to ${t}, which has no level ${lc}`;
        else {
          for (let j = 0; j < i; j++) if (words[base + j] === t) bad = `duplicate link to ${t}`;
          if (bad === null) {
            const tn = linkCount(v, t, lc);
            const tw = listWords(v, lc);
            const tb = listBase(v, t, lc);
            let back = false;
            for (let j = 0; j < tn; j++) if (tw[tb + j] === s) back = true;
            if (!back) bad = `link to ${t} is not reciprocated`;
          }
        }
        if (bad !== null && !add(`node ${s} level ${lc}: ${bad}`)) return problems;
      }
    }
  }
  if (problems.length > 0) return problems;

  const stats = graphStats(v);
  if (stats.unreachable > 0) add(`${stats.unreachable} live node(s) unreachable from the entry point on level 0`);
  return problems;
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
