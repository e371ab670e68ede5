// Searching the graph: greedy descent, beam search on a level, filtered search, exact scan.
//
// A `Searcher` belongs to one thread and one set. It owns everything a query needs besides the
// set's shared memory — a visited-generation array, two heaps, result buffers, its kernel
// instance — so a query allocates nothing per visited node. The writer uses one too (insert and
// delete search the graph); workers create theirs once from a handle and keep it.
//
// Queries are passed as *record offsets*: a reader copies its prepared query into its scratch
// record (one per reader slot, see layout.ts), the writer uses the new node's own record.
//
// The algorithm is the HNSW search of Malkov & Yashunin as the reference implements it:
//  - from the entry point, descend greedily (a beam of one) through levels max..1;
//  - on level 0, best-first search keeping the `ef` closest nodes found; stop when the closest
//    unexpanded candidate is farther than the worst of `ef` results;
//  - with a filter (spec §9.8): two queues — candidates to expand, matching or not, and results,
//    matching only — and a budget of expanded candidates (FILTER-EF).

import { bestKernel, exactTarget, jsKernel, wasmKernel, type BatchFn, type DistanceFn, type Kernel, type KernelKind, type KernelTarget } from './kernels.js';
import { COUNT_MASK, EMPTY_LINK, F, FLAGS_SHIFT, H, LEVEL_MASK, LEVEL_SHIFT, R, READER_SLOTS, type SetViews } from './layout.js';
import { enterRead, exitRead } from './epoch.js';
import { MaxQueue, MinQueue } from './pqueue.js';
import { newZonePlan, walkInZone, type ZonePlan } from './writer-zone.js';
import { exactScan } from './exact-scan.js';

export { SearchResults, type PreparedQuery, type SearchOptions } from './search-types.js';
import { SearchResults, type PreparedQuery, type SearchOptions } from './search-types.js';

export const DEFAULT_EF = 100;

/** The "slot" of a read section on an arena set, which publishes no epoch (see enterRead). */
const NO_READER_SLOT = READER_SLOTS + 1;

export class Searcher {
  v: SetViews;
  dist!: DistanceFn;
  batchDist!: BatchFn;
  kernel!: KernelKind;
  /** The kernel bound now (the writer's link checks call its batch functions too). */
  k!: Kernel;
  /**
   * An exact set's float32 kernel (layout.ts geometry), null for other sets: the final re-rank,
   * exact scans and scores. Its callers add `exactShift` to every record offset they pass.
   */
  exactK: Kernel | null = null;
  exactShift = 0;
  private readonly kernelPref: KernelKind | undefined;
  /** The set's generation the kernel was chosen for (SetViews.generation: the set moved). */
  private boundGeneration = -1;
  /**
   * Absolute byte offset (in the `s*` views) of this searcher's batch area: the link area of its
   * scratch record (room for 2·M slots, the longest neighbour list). Set per read section, or
   * once for the writer.
   */
  listOff = -1;

  private visited: Uint16Array;
  private gen = 0;
  readonly cand = new MinQueue();
  readonly res = new MaxQueue();
  /** Ascending output of the last searchLayer/knn call. */
  outIds = new Int32Array(256);
  outDists = new Float64Array(256);
  /** The entry point the last descendFromEntry started from. */
  entryId = -1;
  /** Result of the last greedy() call. */
  greedyId = -1;
  greedyDist = 0;
  /** Statistics of the last call, for benchmarks: distances computed. */
  distanceCount = 0;

  constructor(v: SetViews, kernel?: KernelKind) {
    this.v = v;
    this.kernelPref = kernel;
    this.bind();
    this.visited = new Uint16Array(Math.max(64, v.visibleSlots));
  }

  /**
   * Point the kernel at where the set lies now. Every entry point calls it: a kernel instance
   * serves all arena sets of one geometry on this thread, and a set that moved out of its arena
   * needs another instance altogether.
   */
  bind(): void {
    const v = this.v;
    if (this.boundGeneration !== v.generation) {
      const pref = v.place !== null ? 'wasm' : this.kernelPref;
      const pick = (t?: KernelTarget): Kernel => (pref === 'js' ? jsKernel(v, t) : pref === 'wasm' ? wasmKernel(v, t) : bestKernel(v, t));
      const k = pick();
      const exact = exactTarget(v);
      this.exactK = exact === null ? null : pick(exact);
      this.exactShift = exact === null ? 0 : exact.recShift;
      this.k = k;
      this.dist = k.dist;
      this.batchDist = k.batch;
      this.kernel = k.kind;
      this.boundGeneration = v.generation;
      if (this.writerListOff >= 0) this.useWriterScratch();
    }
    this.k.bind(v.base);
    this.exactK?.bind(v.base);
  }

  /**
   * The distance of two records as replied (scores, exact scans): the float32 copies' in an
   * exact set, else the graph's own.
   */
  exactDist(a: number, b: number): number {
    const k = this.exactK;
    if (k === null) return this.dist(a, b);
    const sh = this.exactShift;
    return k.dist(a + sh, b + sh);
  }

  /**
   * An exact set's last step: the first `r` of the walk's candidates in outIds, re-ordered by
   * their float32 distances to the query at `q`. The Q8 walk's error moves candidates a few
   * places, not dozens: re-ranking the first 2·COUNT (at least COUNT + 16) gave the recall of
   * re-ranking all EF on 128 and 1024 dimensions (issue 20), at a fraction of the cost — each
   * float32 copy is a cache miss of its own.
   */
  private rerank(q: number, r: number): void {
    const v = this.v;
    const res = this.res;
    res.clear();
    res.reserve(r + 1);
    const ids = this.outIds;
    for (let i = 0; i < r; i++) res.push(ids[i], this.exactDist(q, v.recOff(ids[i])));
    this.distanceCount += r;
    res.drainAscending(this.outIds, this.outDists);
  }

  /**
   * Search another set from now on (or the same set's new views): the buffers stay. One searcher
   * per thread serves every arena set, so a set this thread has never seen costs nothing more.
   */
  rebind(v: SetViews): void {
    if (v === this.v) return;
    if (this.readDepth > 0) throw new Error('a searcher cannot move to another set inside a read section');
    this.v = v;
    this.boundGeneration = -1;
    this.bind();
  }

  /** For the writer's searcher: use the writer's scratch record for batches. */
  useWriterScratch(): void {
    this.zone ??= newZonePlan();
    this.writerListOff = this.v.scratchAt(READER_SLOTS) + this.v.linkOff;
    this.listOff = this.writerListOff;
  }
  private writerListOff = -1;
  /** The writer's searcher only: its walks run in WebAssembly where the set allows (writer-zone.ts). */
  private zone: ZonePlan | null = null;

  /** Start a new visited generation, sized for every slot the views can see. */
  private newGeneration(): void {
    const slots = this.v.visibleSlots;
    if (this.visited.length < slots) {
      this.visited = new Uint16Array(Math.max(slots, this.visited.length * 2));
      this.gen = 0;
    }
    this.gen = (this.gen + 1) & 0xffff;
    if (this.gen === 0) {
      this.visited.fill(0);
      this.gen = 1;
    }
  }

  reserveOut(n: number): void {
    if (this.outIds.length >= n) return;
    let cap = this.outIds.length;
    while (cap < n) cap *= 2;
    this.outIds = new Int32Array(cap);
    this.outDists = new Float64Array(cap);
  }

  /**
   * Greedy descent on one upper level (≥ 1): move to the closest neighbour while that improves.
   * Sets greedyId/greedyDist.
   */
  greedy(q: number, ep: number, dEp: number, level: number): void {
    const v = this.v;
    const i32 = v.i32;
    const hi32 = v.hi32;
    const M = v.M;
    const recBase = v.recBase;
    const stride = v.stride;
    const limit = v.visibleSlots;
    const dist = this.dist;
    let cur = ep;
    let curDist = dEp;
    let changed = true;
    while (changed) {
      changed = false;
      const upper = i32[(recBase + cur * stride + R.UPPER) >>> 2];
      if (upper === 0) break;
      const base = (upper >>> 2) + (level - 1) * M;
      for (let j = 0; j < M; j++) {
        const nb = hi32[base + j];
        if (nb === EMPTY_LINK) break;
        if (nb >>> 0 >= limit) continue;
        const d = dist(q, recBase + nb * stride);
        this.distanceCount++;
        if (d < curDist) {
          curDist = d;
          cur = nb;
          changed = true;
        }
      }
    }
    this.greedyId = cur;
    this.greedyDist = curDist;
  }

  /**
   * Greedy descent from `ep` (at distance `dEp`) through levels `top` down to `above` + 1: the
   * upper-level half of every search and insert. Sets greedyId/greedyDist (to `ep` when
   * top ≤ above).
   */
  descend(q: number, ep: number, dEp: number, top: number, above: number): void {
    this.greedyId = ep;
    this.greedyDist = dEp;
    for (let lc = top; lc > above; lc--) this.greedy(q, this.greedyId, this.greedyDist, lc);
  }

  /**
   * A reader's way in: from the set's entry point, greedy descent down to level `above` + 1
   * (`descend`). Returns the level it started from — the max level, clamped to the entry's own
   * level — or -1 for an empty set; `entryId` is the entry point it read.
   */
  descendFromEntry(q: number, above: number): number {
    const v = this.v;
    const h = v.i32;
    const entry = Atomics.load(h, H.ENTRY);
    this.entryId = entry;
    if (entry < 0 || entry >= v.visibleSlots) return -1;
    // The entry and the max level are two words the writer updates one after the other: never
    // descend from a level the entry node does not have.
    const maxLevel = Math.min(Atomics.load(h, H.MAX_LEVEL), (h[v.recOff(entry) >>> 2] >>> LEVEL_SHIFT) & LEVEL_MASK);
    this.distanceCount++;
    this.descend(q, entry, this.dist(q, v.recOff(entry)), maxLevel, above);
    return maxLevel;
  }

  /**
   * Beam search on `level` from one entry point, keeping the `ef` closest nodes. Writes them to
   * outIds/outDists in ascending order and returns how many.
   */
  searchLayer(q: number, ep: number, dEp: number, ef: number, level: number): number {
    if (this.zone !== null && this.k.walk !== undefined) {
      this.reserveOut(ef + 1);
      const n = walkInZone(this.v, this.k.walk, this.zone, q, ep, dEp, ef, level, this.outIds, this.outDists);
      if (n >= 0) {
        this.distanceCount += this.zone.computed;
        return n;
      }
    }
    this.newGeneration();
    const cand = this.cand;
    const res = this.res;
    cand.clear();
    res.clear();
    res.reserve(ef + 1);
    const visited = this.visited;
    const gen = this.gen;
    const v = this.v;
    const recBase = v.recBase;
    const stride = v.stride;
    const limit = v.visibleSlots;
    visited[ep] = gen;
    cand.push(ep, dEp);
    res.push(ep, dEp);
    let computed = 0;
    // Both levels list a node's unvisited neighbours in the batch area, then take all their
    // distances in one kernel call. The area is in the scratch record: absolute in the s* views,
    // relative for the kernel.
    const i32 = v.i32;
    const batch = this.batchIds(2 * v.M);
    const f32 = v.sf32;
    const si32 = v.si32;
    const listOff = this.listOff;
    const listWord = listOff >>> 2;
    const listRel = (listOff - v.base) | 0;
    const batchDist = this.batchDist;
    if (listOff < 0) throw new Error('search outside a read section');
    if (level === 0) {
      // The hot loop: level-0 links are in the record, count in the meta word.
      const u8 = v.u8;
      const linkOff = v.linkOff;
      const vecLast = R.VEC + Math.min(v.vecBytes, 128) - 1;
      let touched = 0;
      while (cand.size > 0) {
        const dc = cand.topDist();
        if (res.size >= ef && dc > res.dists[0]) break;
        const c = cand.topId();
        cand.pop();
        const rec = recBase + c * stride;
        const n = i32[rec >>> 2] & COUNT_MASK;
        const lb = (rec + linkOff) >>> 2;
        // Pass 1: pick the unvisited neighbours, list them in the batch area, and touch their
        // vectors. The loads are independent, so the CPU overlaps their cache misses — the
        // software prefetch that JavaScript and WebAssembly lack (measured: +27% QPS on 100k ×
        // 128, where the walk is otherwise bound by one memory latency per distance).
        let m = 0;
        for (let j = 0; j < n; j++) {
          const nb = i32[lb + j];
          if (nb >>> 0 >= limit || visited[nb] === gen) continue;
          visited[nb] = gen;
          batch[m] = nb;
          si32[listWord + m] = nb;
          m++;
          const nr = recBase + nb * stride;
          touched ^= u8[nr + R.RANGE] ^ u8[nr + R.VEC + 64] ^ u8[nr + vecLast];
        }
        // Pass 2: all their distances in one kernel call, then the queues.
        if (m > 0) batchDist(q, listRel, m);
        for (let j = 0; j < m; j++) {
          const d = f32[listWord + j];
          if (res.size < ef || d < res.dists[0]) {
            const nb = batch[j];
            cand.push(nb, d);
            res.push(nb, d);
            if (res.size > ef) res.pop();
          }
        }
        computed += m;
      }
      this.sink ^= touched;
    } else {
      // Upper levels (inserts only): the same two passes over the heap's link lists.
      const hi32 = v.hi32;
      const M = v.M;
      while (cand.size > 0) {
        const dc = cand.topDist();
        if (res.size >= ef && dc > res.dists[0]) break;
        const c = cand.topId();
        cand.pop();
        const upper = i32[(recBase + c * stride + R.UPPER) >>> 2];
        if (upper === 0) continue;
        const base = (upper >>> 2) + (level - 1) * M;
        let m = 0;
        for (let j = 0; j < M; j++) {
          const nb = hi32[base + j];
          if (nb === EMPTY_LINK) break;
          if (nb >>> 0 >= limit || visited[nb] === gen) continue;
          visited[nb] = gen;
          batch[m] = nb;
          si32[listWord + m] = nb;
          m++;
        }
        if (m > 0) batchDist(q, listRel, m);
        computed += m;
        for (let j = 0; j < m; j++) {
          const d = f32[listWord + j];
          if (res.size < ef || d < res.dists[0]) {
            const nb = batch[j];
            cand.push(nb, d);
            res.push(nb, d);
            if (res.size > ef) res.pop();
          }
        }
      }
    }
    this.distanceCount += computed;
    this.reserveOut(res.size);
    return res.drainAscending(this.outIds, this.outDists);
  }

  private batch = new Int32Array(64);
  /** Keeps the prefetching loads observable, so the compiler cannot drop them. */
  sink = 0;

  /**
   * Distances from the record at `q` to the `n` slots words[from…from+n), in one kernel call
   * (the writer's link checks: one call per list instead of one per link). Returns the word
   * index in v.sf32 where the distances lie, in order; valid until the next search.
   */
  distancesTo(q: number, words: Int32Array, from: number, n: number): number {
    const listWord = this.listOff >>> 2;
    const si32 = this.v.si32;
    for (let j = 0; j < n; j++) si32[listWord + j] = words[from + j];
    if (n > 0) this.batchDist(q, (this.listOff - this.v.base) | 0, n);
    return listWord;
  }

  batchIds(n: number): Int32Array {
    if (this.batch.length < n) this.batch = new Int32Array(n);
    return this.batch;
  }

  /**
   * Filtered level-0 search (spec §9.8, the reference's two-queue scheme): candidates are
   * expanded whether or not they match, results hold only matching nodes, and at most
   * `maxCandidates` candidates are expanded.
   */
  searchLayer0Filtered(
    q: number,
    ep: number,
    dEp: number,
    ef: number,
    filter: (slot: number) => boolean,
    maxCandidates: number,
  ): number {
    this.newGeneration();
    const cand = this.cand;
    const res = this.res;
    cand.clear();
    res.clear();
    res.reserve(ef + 1);
    const visited = this.visited;
    const gen = this.gen;
    const v = this.v;
    const i32 = v.i32;
    const recBase = v.recBase;
    const stride = v.stride;
    const linkOff = v.linkOff;
    const limit = v.visibleSlots;
    const dist = this.dist;
    visited[ep] = gen;
    cand.push(ep, dEp);
    const isLive = (slot: number): boolean => ((i32[(recBase + slot * stride) >>> 2] >>> FLAGS_SHIFT) & F.LIVE) !== 0;
    if (isLive(ep) && filter(ep)) res.push(ep, dEp);
    let evaluated = 1;
    let computed = 0;
    while (cand.size > 0) {
      if (evaluated >= maxCandidates) break;
      const dc = cand.topDist();
      const c = cand.topId();
      cand.pop();
      evaluated++;
      if (res.size >= ef && dc > res.topDist()) break;
      const rec = recBase + c * stride;
      const n = i32[rec >>> 2] & COUNT_MASK;
      const lb = (rec + linkOff) >>> 2;
      for (let j = 0; j < n; j++) {
        const nb = i32[lb + j];
        if (nb >>> 0 >= limit || visited[nb] === gen) continue;
        visited[nb] = gen;
        const d = dist(q, recBase + nb * stride);
        computed++;
        const furthest = res.topDist();
        if (d < furthest || cand.size < ef) cand.push(nb, d);
        if ((d < furthest || res.size < ef) && isLive(nb) && filter(nb)) {
          res.push(nb, d);
          if (res.size > ef) res.pop();
        }
      }
    }
    this.distanceCount += computed;
    this.reserveOut(res.size);
    return res.drainAscending(this.outIds, this.outDists);
  }

  /**
   * k-NN from the set's entry point for the query record `q`: greedy descent, then level-0
   * search with `ef` (plain or filtered). Results in outIds/outDists, ascending.
   */
  knn(q: number, ef: number, filter?: (slot: number) => boolean, maxCandidates = 0): number {
    if (this.descendFromEntry(q, 0) < 0) return 0;
    const ep = this.greedyId;
    const dEp = this.greedyDist;
    if (filter) return this.searchLayer0Filtered(q, ep, dEp, ef, filter, maxCandidates);
    return this.searchLayer(q, ep, dEp, ef, 0);
  }

  /** Exact scan of every live node (TRUTH), keeping the best `k`; results ascending (exact-scan.ts). */
  exact(q: number, k: number, filter?: (slot: number) => boolean, among?: Int32Array): number {
    return exactScan(this, q, k, filter, among);
  }

  /** Reader slot held by the current read section, -1 outside one. */
  private readSlot = -1;
  private readDepth = 0;

  /**
   * Enter a read section: claim a reader slot and publish the current epoch in it. Until the
   * matching `exitRead`, nothing this thread can reach — nodes, names, attributes — is
   * reclaimed by the writer. Sections nest.
   *
   * An arena set's readers publish nothing: what they read is kept for them by the ticket of the
   * task they run (arena.ts, ReaderTickets), or they run on the writer's thread. So they take no
   * slot (and have no limit of 32), and a reader that dies leaves nothing behind.
   */
  enterRead(): void {
    if (this.readDepth++ > 0) return;
    const slot = this.v.place !== null ? NO_READER_SLOT : enterRead(this.v);
    if (slot < 0) {
      this.readDepth--;
      throw new Error('too many concurrent searches on this vector set');
    }
    this.readSlot = slot;
    this.bind();
    this.listOff = this.v.scratchAt(slot) + this.v.linkOff;
    this.v.syncWithHeader();
  }

  exitRead(): void {
    if (this.readDepth === 0) throw new Error('exitRead without enterRead');
    if (--this.readDepth > 0) return;
    if (this.readSlot !== NO_READER_SLOT) exitRead(this.v, this.readSlot);
    this.readSlot = -1;
    this.listOff = this.writerListOff;
  }

  /**
   * A reader's whole query: (inside a read section, entered here if needed) put the query in
   * this reader's scratch record, search, keep at most `count` live results within `epsilon`.
   * Returns the number of results written to `out`. To turn the result slots into names or
   * attributes safely while the writer keeps deleting, do it in the same read section.
   */
  search(query: PreparedQuery, opts: SearchOptions, out: SearchResults): number {
    return this.withQuery(query, (q) => this.searchAt(q, opts, out));
  }

  /**
   * Run `fn` inside a read section with the query in this reader's scratch record; `fn` gets the
   * record's offset, which the distance functions take like any node's.
   */
  withQuery<T>(query: PreparedQuery, fn: (q: number) => T): T {
    const v = this.v;
    this.enterRead();
    try {
      // The scratch record may lie outside the set (an arena's, per thread): written through
      // the s* views at its absolute offset, passed to the kernels relative to the set.
      const q = v.scratchAt(this.readSlot);
      v.su8.set(query.bytes.subarray(0, v.vecBytes), q + R.VEC);
      // An exact set's query carries its float32 vector after the walked one (encodeFor).
      if (v.exactOff !== 0) v.su8.set(query.bytes.subarray(v.vecBytes, v.vecBytes + v.exactBytes), q + v.exactOff);
      v.sf32[(q + R.RANGE) >>> 2] = query.range;
      return fn((q - v.base) | 0);
    } finally {
      this.exitRead();
    }
  }

  /**
   * The part of `search` after the query is in memory at record offset `q`. The caller must be
   * inside a read section (or be the writer).
   */
  searchAt(q: number, opts: SearchOptions, out: SearchResults): number {
    const v = this.v;
    const card = Atomics.load(v.i32, H.COUNT);
    if (card === 0) {
      out.count = 0;
      return 0;
    }
    // COUNT has no upper limit (VSIM COUNT 2^63 is legal), but no search can return more than
    // the set holds: cap it here, so the result heaps and buffers are sized by the cardinality
    // and never by the request (NaN or anything below 1 counts as 1).
    const asked = Math.floor(opts.count);
    const count = asked >= 1 ? Math.min(asked, card) : 1;
    let n: number;
    /** The candidates an answer is taken from: all, or an exact set's re-ranked ones (rerank). */
    let reranked = Infinity;
    if (opts.truth || opts.among !== undefined) {
      n = this.exact(q, count, opts.filter, opts.among);
    } else {
      const askedEf = Math.floor(opts.ef ?? DEFAULT_EF);
      const ef = Math.min(Math.max(askedEf >= 1 ? askedEf : DEFAULT_EF, count), card);
      const filterEf = Math.floor(opts.filterEf ?? count * 100);
      n = opts.filter
        ? this.knn(q, ef, opts.filter, filterEf >= 1 ? filterEf : count * 100)
        : this.knn(q, ef);
      if (this.exactK !== null) this.rerank(q, (reranked = Math.min(n, Math.max(2 * count, count + 16))));
    }
    const eps = opts.epsilon === undefined ? Infinity : Math.fround(opts.epsilon);
    out.reserve(Math.min(n, count));
    const i32 = v.i32;
    let k = 0;
    for (;;) {
      k = 0;
      let i = 0;
      let pastEpsilon = false;
      for (; i < n && k < count && i < reranked; i++) {
        const id = this.outIds[i];
        const d = this.outDists[i];
        if (d / 2 > eps) {
          pastEpsilon = true;
          break;
        }
        // A node deleted while this search ran may have been reached; never return it.
        if (((i32[v.recOff(id) >>> 2] >>> FLAGS_SHIFT) & F.LIVE) === 0) continue;
        out.ids[k] = id;
        out.dists[k] = d;
        k++;
      }
      if (pastEpsilon || k === count || i >= n) break;
      // An exact set whose re-ranked candidates were too few once the nodes deleted meanwhile
      // are skipped: re-rank twice as many, and take the answer again from the start (the new
      // ones may come before those taken), so every distance replied is float32, in order.
      reranked = Math.min(n, 2 * reranked);
      this.rerank(q, reranked);
    }
    out.count = k;
    return k;
  }
}
