// True deletion: unlink a node everywhere, relink the neighbours it orphans, fix the entry point.
//
// Because every link is reciprocal, a node's own lists name exactly the nodes that point at it,
// so unlinking costs O(links) — no scan of the graph. Each former neighbour loses one link; left
// alone, repeated deletions would thin the graph until parts of it are unreachable. So after
// unlinking, on every level the orphaned neighbours are re-paired among themselves, as the
// reference does (hnsw.c, hnsw_reconnect_nodes):
//
//   - build the distance matrix among the k orphans;
//   - score every possible pair (i, j) not already linked by
//        0.7 · (2 − d(i,j)) + 0.3 · (mean distance of i's and j's *other* options)
//     i.e. prefer close pairs, but prefer even more a pair whose members had no other good
//     option — greedy "best pair first" alone leaves the last orphans with bad partners;
//   - repeatedly link the best-scoring pair of two unpaired nodes that both have room;
//   - every orphan may take one more, diverse, link among the other orphans (see reconnect);
//   - any orphan left unpaired gets one new link: first among the other orphans with room
//     (no diversity check), otherwise through a search of the level from the entry point (EF 200)
//     and the insert's neighbour selection in aggressive mode.
//
// If the deleted node was the entry point, the neighbour with the highest level among its
// links on its top-most non-empty level becomes the entry point (a full scan only if it had
// no links at all, which only happens when the set is disconnected or becomes empty).
//
// The slot and upper block are retired to limbo, not freed (epoch.ts): a running search may be
// standing on the node. The element block belongs to the vset layer, which retires it itself
// (an update keeps it and points it at the new node).

import { beginWrite, endWrite } from './epoch.js';
import { F, FLAGS_SHIFT, H, metaOf, type SetViews } from './layout.js';
import { levelOf, linkCount, hasLink, listBase, listWords, maxLinks, readLinks, removeLink, appendLink } from './links.js';
import { DEFAULT_EF_CONSTRUCTION, forceOneLink, makeRoom, selectNeighbours } from './insert.js';
import type { GraphWriter } from './writer.js';

const W1 = 0.7;
const W2 = 0.3;
/** Above this many orphans on one level the O(k²) pairing is skipped (only with very large M). */
const MAX_PAIRING = 96;

export function deleteNode(w: GraphWriter, slot: number): void {
  const v = w.v;
  const h = v.i32;
  beginWrite(v);
  try {
    const level = levelOf(v, slot);
    // Keep each level's former neighbours: they are needed after the links are gone.
    const starts = new Int32Array(level + 2);
    let total = 0;
    for (let lc = 0; lc <= level; lc++) total += linkCount(v, slot, lc);
    if (w.nbrs.length < total) w.nbrs = new Int32Array(total * 2);
    const nbrs = w.nbrs;
    for (let lc = 0; lc <= level; lc++) {
      const n = readLinks(v, slot, lc, nbrs.subarray(starts[lc]));
      starts[lc + 1] = starts[lc] + n;
    }
    // 1. Unlink: remove the back link from every neighbour. The node's own lists stay intact
    //    for searches that are standing on it.
    for (let lc = 0; lc <= level; lc++) {
      for (let i = starts[lc]; i < starts[lc + 1]; i++) removeLink(v, nbrs[i], lc, slot);
    }
    const rec = v.recOff(slot);
    Atomics.store(h, rec >>> 2, metaOf(h[rec >>> 2] & 0xffff, level, F.DELETED));
    Atomics.sub(h, H.COUNT, 1);

    // 2. Entry point.
    if (h[H.ENTRY] === slot) chooseNewEntry(w, slot, level, nbrs, starts);

    // 3. Relink orphans, level by level.
    if (h[H.COUNT] > 1) {
      for (let lc = 0; lc <= level; lc++) {
        const k = starts[lc + 1] - starts[lc];
        if (k === 0) continue;
        const orphans = nbrs.slice(starts[lc], starts[lc + 1]);
        reconnect(w, orphans, lc);
        keepOrphansConnected(w, orphans, lc);
      }
    }
    w.retireSlot(slot);
  } finally {
    endWrite(v);
  }
}

function isLive(v: SetViews, slot: number): boolean {
  return ((v.i32[v.recOff(slot) >>> 2] >>> FLAGS_SHIFT) & F.LIVE) !== 0;
}

function chooseNewEntry(w: GraphWriter, slot: number, level: number, nbrs: Int32Array, starts: Int32Array): void {
  const v = w.v;
  const h = v.i32;
  let entry = -1;
  let entryLevel = -1;
  for (let lc = level; lc >= 0 && entry < 0; lc--) {
    for (let i = starts[lc]; i < starts[lc + 1]; i++) {
      const n = nbrs[i];
      const l = levelOf(v, n);
      if (isLive(v, n) && l > entryLevel) {
        entry = n;
        entryLevel = l;
      }
    }
  }
  if (entry < 0 && h[H.COUNT] > 0) {
    // No neighbour at all: scan for the highest live node.
    const hw = h[H.HIGH_WATER];
    for (let s = 0; s < hw; s++) {
      if (s === slot || !isLive(v, s)) continue;
      const l = levelOf(v, s);
      if (l > entryLevel) {
        entry = s;
        entryLevel = l;
      }
    }
  }
  if (entry < 0) {
    Atomics.store(h, H.MAX_LEVEL, 0);
    Atomics.store(h, H.ENTRY, -1);
    return;
  }
  // Level first, then entry: a reader clamps the level to its entry's own level, so any mix of
  // old and new values is safe (the old entry is in limbo, still complete).
  Atomics.store(h, H.MAX_LEVEL, entryLevel);
  Atomics.store(h, H.ENTRY, entry);
}

/** Re-pair the nodes in `orphans` (all lost one link at `level`). */
function reconnect(w: GraphWriter, orphans: Int32Array, level: number): void {
  const v = w.v;
  const k = orphans.length;
  const cap = maxLinks(v, level);
  const used = new Uint8Array(k);
  let dist: Float64Array | null = null;

  if (k >= 2 && k <= MAX_PAIRING) {
    dist = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        const d = w.distance(orphans[i], orphans[j]);
        dist[i * k + j] = d;
        dist[j * k + i] = d;
      }
    }
    const rowAvg = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      let sum = 0;
      for (let j = 0; j < k; j++) if (j !== i) sum += dist[i * k + j];
      rowAvg[i] = sum / (k - 1);
    }
    const score = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        if (i === j || hasLink(v, orphans[i], level, orphans[j])) {
          score[i * k + j] = -1;
          continue;
        }
        const d = dist[i * k + j];
        let avgI = 0;
        let avgJ = 0;
        if (k > 2) {
          avgI = (rowAvg[i] * (k - 1) - d) / (k - 2);
          avgJ = (rowAvg[j] * (k - 1) - d) / (k - 2);
        }
        score[i * k + j] = W1 * (2 - d) + W2 * ((avgI + avgJ) / 2);
      }
    }
    for (;;) {
      let best = -1;
      let bi = -1;
      let bj = -1;
      for (let i = 0; i < k; i++) {
        if (used[i] || linkCount(v, orphans[i], level) >= cap) continue;
        for (let j = 0; j < k; j++) {
          if (i === j || used[j]) continue;
          const sc = score[i * k + j];
          if (sc < 0 || sc <= best) continue;
          if (linkCount(v, orphans[j], level) >= cap) continue;
          best = sc;
          bi = i;
          bj = j;
        }
      }
      if (bi < 0) break;
      appendLink(v, orphans[bi], level, orphans[bj]);
      appendLink(v, orphans[bj], level, orphans[bi]);
      used[bi] = 1;
      used[bj] = 1;
    }
  }

  // Beyond the reference: every orphan may also take one *new direction* among the other
  // orphans — a candidate that passes the insert's diversity test against the orphan's current
  // links. Pairing alone restores each orphan's link count, but after many deletions the links
  // it makes drift away from the true nearest survivors (measured: recall@10 at EF 100 fell to
  // 0.89 after deleting 95% of 100k clustered vectors); letting orphans keep picking nearby
  // diverse links among the deleted node's neighbours keeps the graph local (0.94 on the same
  // run) for about 50% more delete time. This is FreshDiskANN's repair idea (candidates = the
  // deleted node's neighbours) restricted to what reciprocal links allow.
  if (dist !== null) {
    for (let i = 0; i < k; i++) {
      const node = orphans[i];
      if (!isLive(v, node)) continue;
      const have = linkCount(v, node, level);
      if (have >= cap) continue;
      let n = 0;
      ensureCand(w, k);
      for (let j = 0; j < k; j++) {
        if (j === i || hasLink(v, node, level, orphans[j])) continue;
        w.candIds[n] = orphans[j];
        w.candDists[n] = dist[i * k + j];
        n++;
      }
      sortCandidates(w, n);
      selectNeighbours(w, node, level, n, have + 1, 0);
    }
  }

  // Orphans left without a partner get one more link.
  for (let i = 0; i < k; i++) {
    if (used[i]) continue;
    const node = orphans[i];
    if (!isLive(v, node)) continue;
    const have = linkCount(v, node, level);
    if (have >= cap) continue;
    // With very large M (no pairing matrix) a well-connected orphan does not need help.
    if (dist === null && have > w.M >>> 1) continue;
    const wanted = have + 1;
    if (dist !== null) {
      // Local candidates with room, nearest first.
      let n = 0;
      ensureCand(w, k);
      for (let j = 0; j < k; j++) {
        if (j === i || linkCount(v, orphans[j], level) >= cap) continue;
        w.candIds[n] = orphans[j];
        w.candDists[n] = dist[i * k + j];
        n++;
      }
      sortCandidates(w, n);
      if (n > 0) selectNeighbours(w, node, level, n, wanted, 1);
      if (linkCount(v, node, level) >= wanted) continue;
    }
    // Search the level for candidates.
    const n = searchAround(w, node, level);
    selectNeighbours(w, node, level, n, wanted, have > w.M >>> 1 ? 1 : 2);
    if (linkCount(v, node, level) === 0) forceOneLink(w, node, level, n);
  }
}

function ensureCand(w: GraphWriter, n: number): void {
  if (w.candIds.length < n) {
    w.candIds = new Int32Array(n * 2);
    w.candDists = new Float64Array(n * 2);
  }
}

/** Insertion sort of the (small) candidate buffer by distance. */
function sortCandidates(w: GraphWriter, n: number): void {
  const ids = w.candIds;
  const ds = w.candDists;
  for (let i = 1; i < n; i++) {
    const id = ids[i];
    const d = ds[i];
    let j = i - 1;
    while (j >= 0 && ds[j] > d) {
      ids[j + 1] = ids[j];
      ds[j + 1] = ds[j];
      j--;
    }
    ids[j + 1] = id;
    ds[j + 1] = d;
  }
}

/** Descend from the entry point to `level` and beam-search it around `node`'s vector. */
function searchAround(w: GraphWriter, node: number, level: number): number {
  const v = w.v;
  const h = v.i32;
  const s = w.s;
  const entry = h[H.ENTRY];
  if (entry < 0) return 0;
  const q = v.recOff(node);
  const top = Math.min(h[H.MAX_LEVEL], levelOf(v, entry));
  if (top < level) return 0;
  s.descend(q, entry, s.dist(q, v.recOff(entry)), top, level);
  const n = s.searchLayer(q, s.greedyId, s.greedyDist, DEFAULT_EF_CONSTRUCTION, level);
  w.takeCandidates(n);
  return n;
}

/**
 * Make sure the orphans of one level are still connected to each other (then the whole level
 * is as connected as before the delete: every path through the deleted node went through two of
 * its neighbours). The pairing above usually achieves it, but not always — with many identical
 * vectors and a small M, groups of orphans could end up joined only through the deleted node.
 *
 * A breadth-first search grows from all orphans at once, each wave labelled with its orphan;
 * where two waves meet their orphans are joined (union–find). It stops as soon as a single
 * group remains — usually within a couple of hops — or after a budget of visited nodes. Groups
 * still apart then get a direct link between their closest orphans that can take one.
 */
function keepOrphansConnected(w: GraphWriter, orphans: Int32Array, level: number): void {
  const v = w.v;
  const k = orphans.length;
  if (k < 2) return;
  const parent = new Int32Array(k);
  for (let i = 0; i < k; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  let groups = k;
  const stamp = w.nextStamp();
  const marks = w.marks;
  const owner = w.owners;
  const budget = 64 * k + 1024;
  const queue = new Int32Array(budget);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < k; i++) {
    const o = orphans[i];
    if (marks[o] === stamp) {
      // The same node twice cannot happen (no duplicate links), but stay safe.
      const j = find(owner[o]);
      if (j !== find(i)) {
        parent[j] = find(i);
        groups--;
      }
      continue;
    }
    marks[o] = stamp;
    owner[o] = i;
    queue[tail++] = o;
  }
  const words = listWords(v, level);
  while (head < tail && groups > 1) {
    const x = queue[head++];
    const ox = owner[x];
    const n = linkCount(v, x, level);
    const base = listBase(v, x, level);
    for (let j = 0; j < n && groups > 1; j++) {
      const y = words[base + j];
      if (marks[y] === stamp) {
        const a = find(ox);
        const b = find(owner[y]);
        if (a !== b) {
          parent[b] = a;
          groups--;
        }
      } else if (tail < budget) {
        marks[y] = stamp;
        owner[y] = ox;
        queue[tail++] = y;
      }
    }
  }
  if (groups === 1) return;
  // Join every other group to the group of orphan 0, closest pair first. An orphan that is full
  // first gives up a link its own group does not need (makeRoom keeps it connected).
  const cap = maxLinks(v, level);
  const pairs: number[] = [];
  const pairDist: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      pairs.push(i * k + j);
      pairDist.push(w.distance(orphans[i], orphans[j]));
    }
  }
  const order = pairs.map((_, i) => i).sort((x, y) => pairDist[x] - pairDist[y]);
  for (const p of order) {
    if (groups === 1) return;
    const i = Math.floor(pairs[p] / k);
    const j = pairs[p] % k;
    const gi = find(i);
    const gj = find(j);
    if (gi === gj) continue;
    const a = orphans[i];
    const b = orphans[j];
    if (linkCount(v, a, level) >= cap && !makeRoom(w, a, level)) continue;
    if (linkCount(v, b, level) >= cap && !makeRoom(w, b, level)) continue;
    appendLink(v, a, level, b);
    appendLink(v, b, level, a);
    parent[gj] = gi;
    groups--;
  }
}
