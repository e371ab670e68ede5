// Inserting a node into the graph, with links that are always bidirectional.
//
// The new node's record is already written and published (writer.ts writeRecord); here we find
// its neighbours and link it in. Like the reference (hnsw.c) and unlike hnswlib, every link is
// reciprocal at all times: that is what makes true deletion possible (a node knows everyone who
// points at it) and what lets a delete relink the neighbours it orphans.
//
// Per level, from min(level, maxLevel) down to 0:
//   1. beam search with EF construction from the entry found on the level above;
//   2. choose up to M neighbours among those candidates with the *diversity heuristic*
//      (Malkov & Yashunin's "select neighbours heuristic", as in hnswlib and hnsw.c): walk the
//      candidates closest first and accept one only if it is closer to the new node than to
//      every neighbour accepted so far — this spreads links in different directions instead of
//      spending them all on one tight cluster, which is what keeps the graph navigable;
//   3. link each chosen neighbour both ways. When the neighbour's list is full (2·M on level 0,
//      M above): on level 0 the heuristic re-prunes it with the new node, as hnswlib does, and
//      the links it prunes go, both ways (pruneFullList); failing that, the new node takes the
//      place of one of its links, only if it is closer than the farthest one: the farthest link
//      the new node covers (findLinkToDrop: the heuristic's pruning rule), else the farthest.
//      Either way only while the node losing a link keeps more than M/2 links; the dropped
//      node's own back link is removed too, so reciprocity holds;
//   4. on level 0, if fewer than M/2 links were made, try again without the diversity check and
//      with M/4 as the floor for the dropped node ("aggressive 1"); if still fewer than M/4,
//      allow dropping any well-connected link of a full neighbour ("aggressive 2"). This mirrors
//      the reference's progressively more permissive fallbacks (spec §5);
//   5. as a last resort a node that would otherwise stay unlinked on a level takes a link from
//      its nearest candidate, dropping one whose owner keeps at least one link: an unlinked node
//      would be unreachable, and reachability is an invariant (design invariant 3).

import { F, FLAGS_SHIFT, H, type SetViews } from './layout.js';
import {
  appendLink,
  hasLink,
  levelOf,
  linkCount,
  listBase,
  listWords,
  maxLinks,
  removeLink,
  setLinkAt,
} from './links.js';
import type { GraphWriter } from './writer.js';
import type { InsertPlan } from './plan.js';
import { walkKind } from './writer-zone.js';

/** Default EF construction (VADD EF), also used when a delete must search for new links. */
export const DEFAULT_EF_CONSTRUCTION = 200;

/** Link the (already written) node `slot` into the graph. */
export function linkNewNode(w: GraphWriter, slot: number, efConstruction: number): void {
  const v = w.v;
  const h = v.i32;
  const s = w.s;
  const level = levelOf(v, slot);
  const q = v.recOff(slot);
  const entry = h[H.ENTRY];
  if (entry < 0) {
    Atomics.store(h, H.ENTRY, slot);
    Atomics.store(h, H.MAX_LEVEL, level);
    return;
  }
  const maxLevel = Math.min(h[H.MAX_LEVEL], levelOf(v, entry));
  s.descend(q, entry, s.dist(q, v.recOff(entry)), maxLevel, level);
  let ep = s.greedyId;
  let dEp = s.greedyDist;
  for (let lc = Math.min(level, maxLevel); lc >= 0; lc--) {
    const n = s.searchLayer(q, ep, dEp, Math.max(efConstruction, 1), lc);
    w.takeCandidates(n);
    connectNewNode(w, slot, lc, n);
    ep = w.candIds[0];
    dEp = w.candDists[0];
  }
  if (level > maxLevel) {
    // Entry first, then the level: a reader clamps the level to its entry's own level.
    Atomics.store(h, H.ENTRY, slot);
    Atomics.store(h, H.MAX_LEVEL, level);
  }
}

/**
 * Link the (already written) node `slot` from a VADD CAS plan (plan.ts) instead of searching:
 * per level, the plan's candidates that are still live and have that level, with their
 * distances to the new node measured here (node to node, like linkNewNode's), closest first;
 * then steps 2–5 as for any insert. The caller has checked `planUsable`.
 */
export function linkPlannedNode(w: GraphWriter, slot: number, plan: InsertPlan): void {
  const v = w.v;
  const h = v.i32;
  const level = levelOf(v, slot);
  const q = v.recOff(slot);
  const maxLevel = Math.min(h[H.MAX_LEVEL], levelOf(v, plan.entry));
  const queue = w.s.res;
  let start = 0;
  for (let i = 0; i < plan.ends.length; i++) {
    const lc = plan.top - i;
    const end = plan.ends[i];
    queue.clear();
    queue.reserve(end - start + 1);
    for (let k = start; k < end; k++) {
      const c = plan.ids[k];
      if (c === slot || !isLive(v, c) || levelOf(v, c) < lc) continue;
      queue.push(c, w.s.dist(q, v.recOff(c)));
    }
    start = end;
    const n = queue.size;
    w.reserveCandidates(n);
    queue.drainAscending(w.candIds, w.candDists);
    if (n > 0) connectNewNode(w, slot, lc, n);
  }
  if (level > maxLevel) {
    // Entry first, then the level: a reader clamps the level to its entry's own level.
    Atomics.store(h, H.ENTRY, slot);
    Atomics.store(h, H.MAX_LEVEL, level);
  }
}

/**
 * Whether a plan still fits the graph: made for this node level from the current entry point,
 * no slot retired since the CAS was accepted (`retiredAtAccept`), and at least one live
 * candidate on every planned level. Anything else: insert with linkNewNode instead.
 */
export function planUsable(w: GraphWriter, plan: InsertPlan, level: number, retiredAtAccept: number): boolean {
  const v = w.v;
  const h = v.i32;
  if (w.retiredSlots !== retiredAtAccept || plan.level !== level || plan.entry < 0 || plan.entry !== h[H.ENTRY]) return false;
  if (plan.top !== Math.min(level, h[H.MAX_LEVEL], levelOf(v, plan.entry))) return false;
  const hw = h[H.HIGH_WATER];
  let start = 0;
  for (let i = 0; i < plan.ends.length; i++) {
    let live = false;
    for (let k = start; k < plan.ends[i]; k++) {
      const c = plan.ids[k];
      if (c < 0 || c >= hw) return false;
      if (isLive(v, c)) live = true;
    }
    if (!live) return false;
    start = plan.ends[i];
  }
  return true;
}

/** Steps 2–5 above for one level; candidates are in w.candIds/candDists[0..n), ascending. */
function connectNewNode(w: GraphWriter, slot: number, level: number, n: number): void {
  const M = w.M;
  selectNeighbours(w, slot, level, n, M, 0);
  if (level === 0 && linkCount(w.v, slot, 0) < M >>> 1) {
    selectNeighbours(w, slot, level, n, M, 1);
    if (linkCount(w.v, slot, 0) < M >>> 2) selectNeighbours(w, slot, level, n, M >>> 2, 2);
  }
  if (linkCount(w.v, slot, level) === 0) forceOneLink(w, slot, level, n);
}

/**
 * Link `slot` at `level` with candidates from w.candIds/candDists[0..n) (ascending by distance
 * from `slot`) until it has `required` links. `aggressive` 0 applies the diversity heuristic and
 * only takes over a full neighbour's farthest link when the new link is shorter; 1 and 2 relax
 * this as described at the top of the file. Also used by delete.ts to re-link orphans.
 */
export function selectNeighbours(
  w: GraphWriter,
  slot: number,
  level: number,
  n: number,
  required: number,
  aggressive: number,
): void {
  const v = w.v;
  const cap = maxLinks(v, level);
  const want = Math.min(required, cap);
  const ids = w.candIds;
  const dists = w.candDists;
  const words = listWords(v, level);
  // Level-0 lists are in the records memory, where one kernel call checks a whole list.
  const closer = level === 0 ? w.s.k.closer : undefined;
  const kind = walkKind(v.navQuant);
  for (let i = 0; i < n; i++) {
    const c = ids[i];
    if (c === slot) continue;
    const count = linkCount(v, slot, level);
    if (count >= want) return;
    // Already linked: an earlier candidate's link may have been split through c (replaceLink).
    if (!isLive(v, c) || hasLink(v, slot, level, c)) continue;
    const d = dists[i];
    if (aggressive === 0) {
      // Diversity: skip c if some accepted neighbour r is closer to c than the new node is.
      const base = listBase(v, slot, level);
      if (closer !== undefined) {
        if (closer(kind, v.recOff(c), base << 2, count, d) !== 0) continue;
      } else {
        let diverse = true;
        for (let j = 0; j < count; j++) {
          if (w.distance(c, words[base + j]) < d) {
            diverse = false;
            break;
          }
        }
        if (!diverse) continue;
      }
    }
    tryLink(w, slot, c, d, level, aggressive);
  }
}

function isLive(v: SetViews, slot: number): boolean {
  return ((v.i32[v.recOff(slot) >>> 2] >>> FLAGS_SHIFT) & F.LIVE) !== 0;
}

/**
 * The link of `c` at `level` to give up: sets w.worstIdx / w.worstDist (-1 when c has none).
 * Without `slot`: the farthest link. With `slot` (a new node at distance `d` from c, nearer than
 * c's farthest link): the farthest link r that slot *covers* — d(slot, r) < d(c, r) and
 * d < d(c, r), so c still reaches r through slot — and the farthest link only when slot covers
 * none. This is the pruning rule of the diversity heuristic (hnswlib re-runs it over a full
 * list plus the new node) applied to the one link that must go: dropping the farthest link
 * regardless cut long links that were the only way across. Clustered 300k × 128 float32:
 * recall@10 at EF 50 0.921 → 0.947, at EF 100 0.968 → 0.973 (hnswlib-node 0.956 / 0.972).
 */
function findLinkToDrop(w: GraphWriter, c: number, level: number, slot = -1, d = 0, known = false): void {
  const v = w.v;
  const count = linkCount(v, c, level);
  const words = listWords(v, level);
  const base = listBase(v, c, level);
  const f32 = v.sf32;
  // The distances from c, in list order; `known`: pruneFullList left them there for this list.
  const fromC = w.linkDists(count);
  if (!known) {
    const at = w.s.distancesTo(v.recOff(c), words, base, count);
    for (let j = 0; j < count; j++) fromC[j] = f32[at + j];
  }
  let worst = -1;
  let worstDist = -Infinity;
  for (let j = 0; j < count; j++) {
    const dj = fromC[j];
    if (dj > worstDist) {
      worstDist = dj;
      worst = j;
    }
  }
  w.worstIdx = worst;
  w.worstDist = worstDist;
  if (slot < 0 || worst < 0 || d >= worstDist) return;
  const at = w.s.distancesTo(v.recOff(slot), words, base, count);
  let covered = -1;
  let coveredDist = -Infinity;
  for (let j = 0; j < count; j++) {
    const dcr = fromC[j];
    if (dcr > d && dcr > coveredDist && f32[at + j] < dcr) {
      covered = j;
      coveredDist = dcr;
    }
  }
  if (covered >= 0) {
    w.worstIdx = covered;
    w.worstDist = coveredDist;
  }
}

/**
 * A full neighbour c re-pruned as hnswlib re-prunes a full list, with links kept bidirectional:
 * the diversity heuristic runs over c's links and the new node `slot` (at distance `d` from c),
 * closest to c first, and keeps a link only if no link kept before it is closer to it than c is.
 * When it keeps `slot`, c gives up the links it pruned, farthest first, each only while the node
 * losing it keeps more than M/2 links and a short path still joins the two (nearbyPath), and
 * links `slot` once at least one went; returns whether it did. Otherwise nothing changes (false)
 * and the caller falls back on findLinkToDrop's single replacement.
 *
 * Why: swapping one link for the new node leaves a full list full of links that point the same
 * way; pruned, it keeps the diverse ones and has room again. Clustered 1M × 128 Q8, recall@10 at
 * EF 50 / 100 / 200: 0.809 / 0.911 / 0.961 → 0.855 / 0.941 / 0.964 (hnswlib-node 0.868 / 0.958 /
 * 0.982); 300k × 128 float32 at EF 50: 0.947 → 0.953 (hnswlib-node 0.956). Upper levels pruned
 * the same way measured no different at 300k, so only level 0 is.
 */
function pruneFullList(w: GraphWriter, c: number, slot: number, d: number, level: number): boolean {
  const v = w.v;
  const count = linkCount(v, c, level);
  const words = listWords(v, level);
  const base = listBase(v, c, level);
  const n = count + 1;
  // ids[0, n): c's links and slot by distance from c; ids[n, 2n): the pruned ones, in that order.
  const ids = w.linkIds(2 * n);
  // all[0, count): the distances from c in list order, kept for findLinkToDrop when the prune
  // does not apply (the list is then unchanged); all[count, count + n): sorted, with ids.
  const all = w.linkDists(count + n);
  const si32 = v.si32;
  const sf32 = v.sf32;
  const at = w.s.distancesTo(v.recOff(c), words, base, count);
  for (let j = 0; j < n; j++) {
    const id = j < count ? words[base + j] : slot;
    const dj = j < count ? sf32[at + j] : d;
    if (j < count) all[j] = dj;
    let k = j;
    for (; k > 0 && all[count + k - 1] > dj; k--) {
      ids[k] = ids[k - 1];
      all[count + k] = all[count + k - 1];
    }
    ids[k] = id;
    all[count + k] = dj;
  }
  // The kept links go where the distances were (the searcher's list scratch, in the memory the
  // kernels see), so that one `closer` call checks a candidate against all of them.
  const closer = w.s.k.closer;
  const kind = walkKind(v.navQuant);
  const listRel = ((at << 2) - v.base) | 0;
  let kept = 0;
  let pruned = 0;
  for (let j = 0; j < n; j++) {
    const x = ids[j];
    let diverse = true;
    if (kept > 0) {
      if (closer !== undefined) diverse = closer(kind, v.recOff(x), listRel, kept, all[count + j]) === 0;
      else for (let k = 0; k < kept && diverse; k++) diverse = w.distance(x, si32[at + k]) >= all[count + j];
    }
    if (diverse) {
      // (The scratch holds a full list, 2·M words: the last candidate is checked against none.)
      if (j < n - 1) si32[at + kept] = x;
      kept++;
    } else if (x === slot) return false;
    else ids[n + pruned++] = x;
  }
  const M = w.M;
  let dropped = 0;
  for (let k = pruned - 1; k >= 0; k--) {
    const r = ids[n + k];
    if (linkCount(v, r, level) <= M >>> 1 || !nearbyPath(w, c, r, slot, level)) continue;
    removeLink(v, r, level, c);
    removeLink(v, c, level, r);
    dropped++;
  }
  if (dropped === 0) return false;
  appendLink(v, c, level, slot);
  appendLink(v, slot, level, c);
  return true;
}

/**
 * Try to create the bidirectional link slot <-> c at `level` (d = their distance). Returns
 * whether it was created.
 */
function tryLink(w: GraphWriter, slot: number, c: number, d: number, level: number, aggressive: number): boolean {
  const v = w.v;
  const M = w.M;
  const cap = maxLinks(v, level);
  if (linkCount(v, c, level) < cap) {
    // Neighbour first, then the new node: either order is safe for readers.
    appendLink(v, c, level, slot);
    appendLink(v, slot, level, c);
    return true;
  }
  // c is full: on level 0 its list is pruned to make room; failing that (and above level 0) the
  // new node can only take the place of one of c's links.
  const prunable = aggressive === 0 && level === 0;
  if (prunable && pruneFullList(w, c, slot, d, level)) return true;
  findLinkToDrop(w, c, level, aggressive === 0 ? slot : -1, d, prunable);
  if (w.worstIdx < 0) return false;
  if (aggressive === 0 && d >= w.worstDist) return false;
  const words = listWords(v, level);
  const base = listBase(v, c, level);
  let dropIdx = w.worstIdx;
  let dropped = words[base + dropIdx];
  const droppedLinks = linkCount(v, dropped, level);
  if (aggressive === 0 && droppedLinks <= M >>> 1) return false;
  if (aggressive === 1 && droppedLinks <= M >>> 2) return false;
  if (aggressive >= 2 && droppedLinks <= M >>> 2) {
    // Look for another link of c whose owner stays well connected; prefer the farthest.
    dropIdx = -1;
    let far = -Infinity;
    const count = linkCount(v, c, level);
    for (let j = 0; j < count; j++) {
      const other = words[base + j];
      if (linkCount(v, other, level) <= M >>> 2) continue;
      const od = w.distance(c, other);
      if (od > far) {
        far = od;
        dropIdx = j;
      }
    }
    if (dropIdx < 0) return false;
    dropped = words[base + dropIdx];
  }
  return replaceLink(w, c, level, dropIdx, dropped, slot);
}

/**
 * In c's list at `level`, replace link #idx (to `dropped`) by `slot`, keeping reciprocity — and
 * connectivity. Taking a link away can cut the graph in two: with many identical vectors, say,
 * new twins keep displacing the farthest link of their twins until no link leaves the group of
 * twins at all (measured before this check: 600 inserts of 15 distinct vectors at M 4 left 564
 * nodes unreachable). So the link c–dropped is given up only when a short path still joins the
 * two (`nearbyPath`). Failing that, the link is *split*: dropped–slot–c replaces dropped–c, when
 * `slot` has room (`dropped` always has: it just lost c). Returns false, changing nothing, when
 * neither is possible. On 20k × 128 clustered vectors about 7% of replacements split a link and
 * recall is unchanged (0.9365 against 0.9355 at EF 100).
 */
function replaceLink(w: GraphWriter, c: number, level: number, idx: number, dropped: number, slot: number): boolean {
  const v = w.v;
  const split = !hasLink(v, slot, level, dropped) && !nearbyPath(w, c, dropped, slot, level);
  if (split && linkCount(v, slot, level) + 1 >= maxLinks(v, level)) return false;
  removeLink(v, dropped, level, c);
  setLinkAt(v, c, level, idx, slot);
  appendLink(v, slot, level, c);
  if (split) {
    appendLink(v, dropped, level, slot);
    appendLink(v, slot, level, dropped);
  }
  return true;
}

/**
 * Whether `b` reaches `a` at `level` over at most three links without using the link a–b,
 * counting `slot` (about to be linked to a) and its neighbours as a's neighbours. A sufficient
 * test, not an exact one: O(links²) with the writer's stamps, no search. A triangle alone is
 * too strict (most far links are in none: 81% of replacements would split), three links are
 * enough to leave only the true bridges.
 */
function nearbyPath(w: GraphWriter, a: number, b: number, slot: number, level: number): boolean {
  const v = w.v;
  const stamp = w.nextStamp();
  const marks = w.marks;
  const words = listWords(v, level);
  const na = linkCount(v, a, level);
  const ba = listBase(v, a, level);
  for (let j = 0; j < na; j++) marks[words[ba + j]] = stamp;
  marks[slot] = stamp;
  const ns = linkCount(v, slot, level);
  const bs = listBase(v, slot, level);
  for (let j = 0; j < ns; j++) marks[words[bs + j]] = stamp;
  marks[b] = 0;
  const nb = linkCount(v, b, level);
  const bb = listBase(v, b, level);
  for (let j = 0; j < nb; j++) {
    const y = words[bb + j];
    if (y !== a && marks[y] === stamp) return true;
  }
  for (let j = 0; j < nb; j++) {
    const y = words[bb + j];
    if (y === a) continue;
    const ny = linkCount(v, y, level);
    const by = listBase(v, y, level);
    for (let k = 0; k < ny; k++) {
      const z = words[by + k];
      if (z !== b && marks[z] === stamp) return true;
    }
  }
  return false;
}

/**
 * Free one link slot of `node` at `level` by dropping its farthest link whose other end stays
 * connected to it by a short path (and keeps another link). Returns whether a slot was freed.
 */
export function makeRoom(w: GraphWriter, node: number, level: number): boolean {
  const v = w.v;
  const words = listWords(v, level);
  const base = listBase(v, node, level);
  const n = linkCount(v, node, level);
  let best = -1;
  let bestDist = -Infinity;
  for (let j = 0; j < n; j++) {
    const z = words[base + j];
    if (linkCount(v, z, level) < 2) continue;
    const d = w.distance(node, z);
    if (d > bestDist && nearbyPath(w, node, z, node, level)) {
      bestDist = d;
      best = z;
    }
  }
  if (best < 0) return false;
  removeLink(v, best, level, node);
  removeLink(v, node, level, best);
  return true;
}

/**
 * Last resort for a node left with no link on a level: link it to the nearest candidate that
 * has room, or that can give up a link whose owner keeps at least one other link.
 */
export function forceOneLink(w: GraphWriter, slot: number, level: number, n: number): boolean {
  const v = w.v;
  const cap = maxLinks(v, level);
  const words = listWords(v, level);
  for (let i = 0; i < n; i++) {
    const c = w.candIds[i];
    if (c === slot || !isLive(v, c) || hasLink(v, slot, level, c)) continue;
    if (linkCount(v, c, level) < cap) {
      appendLink(v, c, level, slot);
      appendLink(v, slot, level, c);
      return true;
    }
    const base = listBase(v, c, level);
    const count = linkCount(v, c, level);
    let best = -1;
    let bestLinks = 1;
    for (let j = 0; j < count; j++) {
      const other = words[base + j];
      const links = linkCount(v, other, level);
      if (links > bestLinks) {
        bestLinks = links;
        best = j;
      }
    }
    if (best >= 0 && replaceLink(w, c, level, best, words[base + best], slot)) return true;
  }
  return false;
}
