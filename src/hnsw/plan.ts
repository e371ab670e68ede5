// VADD CAS: an insert split in two, as the reference does it. The slow half — the beam searches
// that find the new node's candidate neighbours on each level — runs on a search thread against the
// shared graph (`planInsert`, a reader like any VSIM); the owner then links the node from those
// candidates (insert.ts linkPlannedNode) without searching again.
//
// A plan is only a hint. The owner uses it when nothing the plan could depend on was retired in
// between: no node deleted since the CAS was accepted (so every candidate id still names the node
// the search saw — a slot is reused only after a delete) and the same entry point (so the plan
// covers the levels the insert needs). Otherwise the insert is redone synchronously, exactly as a
// plain VADD. Nodes inserted meanwhile are simply not among the candidates: their own inserts may
// have linked them to this one's neighbours, and the graph stays valid either way.

import type { Searcher } from './search.js';
import type { PreparedQuery } from './search.js';

export interface InsertPlan {
  /** The entry point the searches started from; -1 when the set was empty. */
  entry: number;
  /** The node level the plan was made for (drawn by the owner when the CAS was accepted). */
  level: number;
  /** The highest level planned: min(level, the entry's level); -1 when the set was empty. */
  top: number;
  /** Candidates of level top, top-1, … 0, each level's run closest first. */
  ids: Int32Array;
  /** End of each level's run in `ids` (ends[0] for level top). */
  ends: Int32Array;
}

/**
 * The searches of linkNewNode, for a node of `level` whose vector is `query`, made by a reader:
 * greedy descent above `level`, then a beam search with `ef` on every level from
 * min(level, max level) down to 0, each starting from the previous level's closest candidate.
 */
export function planInsert(s: Searcher, query: PreparedQuery, level: number, ef: number): InsertPlan {
  return s.withQuery(query, (q) => {
    const maxLevel = s.descendFromEntry(q, level);
    if (maxLevel < 0) return { entry: -1, level, top: -1, ids: new Int32Array(0), ends: new Int32Array(0) };
    // The owner compares this entry with its own at the commit.
    const entry = s.entryId;
    let ep = s.greedyId;
    let dEp = s.greedyDist;
    const top = Math.min(level, maxLevel);
    const runs: Int32Array[] = [];
    const ends = new Int32Array(top + 1);
    let total = 0;
    for (let lc = top; lc >= 0; lc--) {
      const n = s.searchLayer(q, ep, dEp, Math.max(ef, 1), lc);
      runs.push(s.outIds.slice(0, n));
      total += n;
      ends[top - lc] = total;
      ep = s.outIds[0]!;
      dEp = s.outDists[0]!;
    }
    const ids = new Int32Array(total);
    let off = 0;
    for (const r of runs) {
      ids.set(r, off);
      off += r.length;
    }
    return { entry, level, top, ids, ends };
  });
}

/** A plan as bytes (it travels from a search worker in a reply buffer). */
export function encodePlan(p: InsertPlan): Uint8Array {
  const words = new Int32Array(4 + p.ends.length + p.ids.length);
  words[0] = p.entry;
  words[1] = p.level;
  words[2] = p.top;
  words[3] = p.ends.length;
  words.set(p.ends, 4);
  words.set(p.ids, 4 + p.ends.length);
  return new Uint8Array(words.buffer);
}

/** The inverse of encodePlan; null for bytes that are not a well-formed plan. */
export function decodePlan(bytes: Uint8Array): InsertPlan | null {
  if (bytes.byteLength < 16 || bytes.byteLength % 4 !== 0) return null;
  const words = new Int32Array(bytes.slice().buffer);
  const [entry, level, top, levels] = [words[0]!, words[1]!, words[2]!, words[3]!];
  if (levels < 0 || levels !== top + 1 || level < 0 || top > level || 4 + levels > words.length) return null;
  const ends = words.slice(4, 4 + levels);
  const ids = words.slice(4 + levels);
  // Every level's run is non-empty (a beam search returns at least its entry).
  let prev = 0;
  for (const e of ends) {
    if (e <= prev || e > ids.length) return null;
    prev = e;
  }
  if (levels > 0 && ends[levels - 1] !== ids.length) return null;
  return { entry, level, top, ids, ends };
}
