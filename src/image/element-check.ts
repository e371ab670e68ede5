// The element half of a set's image check (the graph half is image.ts and its modules): every
// element block, name and attribute in bounds and counted, the name table's probe runs unbroken
// and its names unique, one element per live node and back — in JS or, for large sets, on the
// load's helper thread and in WebAssembly over the check memory. The layout it checks is
// src/vset/elements.ts.

import { showName } from './check-state.js';
import type { SetCheck } from './set-check.js';
import type { CheckMemory } from './check-memory.js';
import { CheckHelper, HELPER_ALWAYS, type TableJobMessage } from './check-helper.js';
import { H, R, randomWords } from '../hnsw/layout.js';
import { fmix32 } from './link-check.js';
import { loadMark } from '../persistence/load-trace.js';
import { attrBytes, E_ATTR, E_LEN, E_NAME, E_NODE, elementBytes, EMPTY, hashName, MIN_CAP, tableLimit, TOMB } from '../vset/elements.js';

/** Table jobs prepareElements posted to the load's helper thread, by check. */
const tableJobs = new WeakMap<SetCheck, { job: TableJobMessage; helper: CheckHelper }>();

/**
 * Before the link check is handed out (image/image.ts, checkGraph): posts the name table's half
 * of checkElements (tableJob) to the load's helper thread when there is one and the set is
 * large, so the helper takes it before its share of the upper-level links. Nothing is decided
 * here: a table that is not where the header says is left to checkElements to name.
 */
export function prepareElements(c: SetCheck): void {
  // With a check memory the helper runs the table in WebAssembly over it (its JS pass would run
  // cold: 20-40 ms at 100k against 4-9 ms), but only when it checked level 0 while the file was
  // read; else it takes level 0 with this thread, and the table's sums run here.
  const cm = c.checkMemory;
  const helper = cm !== null && !c.level0Done ? null : c.helperFor(c.count);
  const { i32, hi32, hu8 } = c.v;
  const table = i32[H.NAME_TABLE];
  if (helper === null || table === 0 || !c.inHeap(table, 8) || !CheckHelper.canShareHeap(hi32)) return;
  const t = table >>> 2;
  const cap = hi32[t];
  if (!(cap >= MIN_CAP && cap <= 2 ** 27 && (cap & (cap - 1)) === 0) || !c.inHeap(table, cap * 8)) return;
  tableJobs.set(c, { job: helper.submitTable(hi32, hu8, t, cap, randomWords(4), cm?.share()), helper });
}

/**
 * The element half of a full check (see image/image.ts), after the graph half passed:
 *  - the name table inside the heap, a power of two of entries ≥ 16, header word clean, its
 *    live + tombstone count equal to NAME_USED and at most tableLimit full (so probing always meets
 *    an empty entry and insertion always finds room);
 *  - every entry an element block inside the heap, overlapping nothing, whose stored hash is its
 *    name's hash under the set's key, pointing to a live node that points back to it; its
 *    attribute block (if any) inside the heap, overlapping nothing;
 *  - every element found by its own name: linear probing from its home entry reaches it
 *    without crossing an empty entry (one pass over the table, tracking runs of non-empty
 *    entries — not one lookup per name, which a table crafted into a single cluster would
 *    make quadratic);
 *  - names unique: equal names have equal hashes and lie in the same run, so duplicates are
 *    looked for among equal hashes within each run;
 *  - as many elements as live nodes (with the back pointers: one element per live node and
 *    one live node per element), attributes-count equal to the elements with an attribute.
 */
export function checkElements(c: SetCheck): boolean {
  const { i32, hi32 } = c.v;
  const table = i32[H.NAME_TABLE];
  if (table === 0) {
    if (c.count > 0) return !c.fail(`no name table but ${c.count} elements`);
    if (i32[H.NAME_USED] !== 0 || i32[H.ATTR_COUNT] !== 0) return !c.fail('no name table but name or attribute counts');
    return true;
  }
  if (!c.inHeap(table, 8)) return !c.fail(`name table at ${table} outside the heap`);
  const t = table >>> 2;
  const cap = hi32[t];
  if (!(cap >= MIN_CAP && cap <= 2 ** 27 && (cap & (cap - 1)) === 0)) return !c.fail(`name table capacity ${cap} invalid`);
  if (!c.claim(table, cap * 8, 'the name table')) return false;
  if (hi32[t + 1] !== 0) return !c.fail('name table header entry is not clean');
  // The fast pass decides; when it finds a fault, the claims it made are undone and the
  // table-order pass runs to name the problem (it must find one).
  const saved = c.saveClaims();
  // The table's side on the load's helper thread when prepareElements posted it, else here.
  const posted = tableJobs.get(c);
  tableJobs.delete(c);
  const helped = posted !== undefined && posted.job.t === t && posted.job.cap === cap ? posted : null;
  const salt = helped?.job.salt ?? randomWords(4);
  const tableHere = (): TableSide | null => (c.checkMemory !== null ? c.checkMemory.tableSums(t, cap, salt) : tablePass(hi32, t, cap, salt));
  let probed = false;
  let memoryRuns = c.checkMemory !== null;
  let counts = elementsByNode(c, t, cap, salt, () => {
    if (helped !== null && HELPER_ALWAYS) helped.helper.awaitPickup(helped.job);
    if (helped === null || !helped.helper.await(helped.job) || helped.job.status[1] < 0) {
      // A job the helper began and never finished may still use the check memory's run buffer.
      if (helped !== null && !helped.helper.settled(helped.job)) memoryRuns = false;
      return tableHere();
    }
    const st = helped.job.status;
    if (st[1] !== 1) return null;
    probed = st[7] === 1;
    return { used: st[2], live: st[3], a1: st[4], a2: st[5], emptyAt: st[6] };
  });
  if (counts === null) {
    c.restoreClaims(saved);
    counts = elementsByTable(c, t, cap);
    if (counts === null) return false;
    return !c.fail('the name table does not match the elements');
  }
  const { used, live, attrs, emptyAt } = counts;
  if (used !== i32[H.NAME_USED]) return !c.fail(`name table holds ${used} entries, the header says ${i32[H.NAME_USED]}`);
  if (used > tableLimit(cap) || emptyAt < 0) return !c.fail(`name table over-full (${used} of ${cap - 1} entries)`);
  if (live !== c.count) return !c.fail(`${live} named elements but ${c.count} live nodes`);
  if (attrs !== i32[H.ATTR_COUNT]) return !c.fail(`attributes-count ${i32[H.ATTR_COUNT]} but ${attrs} attributes`);
  // The helper's verdict stands only when it passed; a fault is named by running it here.
  const runsOk = probed || (memoryRuns && c.checkMemory?.probeRuns(t, cap, emptyAt) === true) || probeRuns(c, t, cap, emptyAt);
  loadMark('elements');
  return runsOk;
}

interface TableCounts {
  /** Entries in use (live and tombstones), live ones, elements with an attribute. */
  used: number;
  live: number;
  attrs: number;
  /** The first empty entry, or −1. */
  emptyAt: number;
}

/**
 * The per-element checks of checkElements in node order, which is nearly the order of the
 * element blocks in the heap (both follow insertion), so a million elements cost a sweep rather
 * than a few cache misses each. Each live node's element must be in the heap, overlap nothing,
 * and point back to the node; its attribute likewise. That the name table holds exactly these
 * elements with their names' hashes is checked as multisets: a salted, order-independent sum
 * of (element, hash) over the nodes (hashes computed from the names) against the same sum over
 * the table's live entries (hashes as stored) — equal only when they match, but for a 2^-64
 * accident. Null on any fault, without a message (elementsByTable names it).
 */
function elementsByNode(c: SetCheck, t: number, cap: number, salt: Uint32Array, table: () => TableSide | null): TableCounts | null {
  const k0 = c.v.i32[H.NAME_KEY];
  const k1 = c.v.i32[H.NAME_KEY + 1];
  // In WebAssembly over the check memory when the records check built one (image/check-memory.ts).
  const nodeSide = c.checkMemory !== null ? c.checkMemory.nodeElements(k0, k1, salt) : nodeSideJs(c, k0, k1, salt);
  if (nodeSide === null) return null;
  c.liveHeapBytes += nodeSide.liveBytes;
  const side = table();
  if (side === null || side.live !== nodeSide.nodes || ((nodeSide.a1 - side.a1) | (nodeSide.a2 - side.a2)) !== 0) return null;
  return { used: side.used, live: side.live, attrs: nodeSide.attrs, emptyAt: side.emptyAt };
}

/** elementsByNode's node side in JS: live nodes, attributes, salted sums (claims add their own live bytes). */
function nodeSideJs(c: SetCheck, k0: number, k1: number, salt: Uint32Array): { nodes: number; attrs: number; a1: number; a2: number; liveBytes: number } | null {
  const { i32, hi32, hu8 } = c.v;
  const s0 = salt[0] | 0;
  const s1 = salt[1] | 0;
  const s2 = salt[2] | 0;
  const s3 = salt[3] | 0;
  const { hw, lvl } = c;
  let a1 = 0;
  let a2 = 0;
  let nodes = 0;
  let attrs = 0;
  for (let s = 0; s < hw; s++) {
    if (lvl[s] < 0) continue;
    nodes++;
    const ref = i32[(c.recOff(s) + R.ELEM) >>> 2];
    if (!c.inHeap(ref, E_NAME)) return null;
    const len = hi32[(ref + E_LEN) >>> 2];
    if (!(len >= 0 && c.inHeap(ref, E_NAME + len))) return null;
    if (c.claimBlock(ref, elementBytes(len), true) !== 0) return null;
    if (hi32[(ref + E_NODE) >>> 2] !== s) return null;
    const hash = hashName(k0, k1, hu8, ref + E_NAME, len);
    a1 = (a1 + pairLane1(ref, hash, s0, s1)) | 0;
    a2 = (a2 + pairLane2(ref, hash, s2, s3)) | 0;
    const attr = hi32[(ref + E_ATTR) >>> 2];
    if (attr !== 0) {
      if (!c.inHeap(attr, 4)) return null;
      const alen = hi32[attr >>> 2];
      if (!(alen >= 0 && c.inHeap(attr, attrBytes(alen)))) return null;
      if (c.claimBlock(attr, attrBytes(alen), true) !== 0) return null;
      attrs++;
    }
  }
  return { nodes, attrs, a1, a2, liveBytes: 0 };
}

/**
 * The two lanes of an (element, hash) pair in the salted sums elementsByNode compares: the node
 * side and the table side must hash alike (heap-check.wat repeats them for the check memory).
 */
function pairLane1(ref: number, hash: number, s0: number, s1: number): number {
  return fmix32(Math.imul(ref ^ s0, 0xcc9e2d51) + (hash ^ s1));
}

function pairLane2(ref: number, hash: number, s2: number, s3: number): number {
  return fmix32(Math.imul(hash ^ s2, 0x85ebca6b) + (ref ^ s3));
}

/** The name table's side of elementsByNode (tablePass), from this thread or the helper's. */
interface TableSide {
  used: number;
  live: number;
  a1: number;
  a2: number;
  emptyAt: number;
}

/**
 * The name table's side of the multiset comparison in elementsByNode: entries in use, live
 * ones, the first empty entry, and the salted sums of (element, stored hash) over the live ones.
 * Null when an empty entry holds a hash. Reads the heap only, so the load's helper thread runs it
 * while the loading thread walks the nodes (workers/check-worker.ts).
 */
function tablePass(hi32: Int32Array, t: number, cap: number, salt: Uint32Array): TableSide | null {
  const s0 = salt[0] | 0;
  const s1 = salt[1] | 0;
  const s2 = salt[2] | 0;
  const s3 = salt[3] | 0;
  let a1 = 0;
  let a2 = 0;
  let used = 0;
  let live = 0;
  let emptyAt = -1;
  for (let i = 1; i < cap; i++) {
    const ref = hi32[t + 2 * i];
    const hash = hi32[t + 2 * i + 1];
    if (ref === EMPTY) {
      if (hash !== 0) return null;
      if (emptyAt < 0) emptyAt = i;
      continue;
    }
    used++;
    if (ref === TOMB) continue;
    live++;
    a1 = (a1 + pairLane1(ref, hash, s0, s1)) | 0;
    a2 = (a2 + pairLane2(ref, hash, s2, s3)) | 0;
  }
  return { used, live, a1, a2, emptyAt };
}

/**
 * The helper thread's part of checkElements: tablePass, then (when the table is not over-full)
 * probeRuns' verdict. Into status[1 …] as TableJobMessage describes; the element blocks it may
 * read for names are only trusted once the loading thread's node pass has passed.
 */
export function tableJob(hi32: Int32Array, hu8: Uint8Array, t: number, cap: number, salt: Uint32Array, status: Int32Array): void {
  tableJobWith(cap, status, () => tablePass(hi32, t, cap, salt), (emptyAt) => {
    let failed = false;
    const view: ProbeView = {
      v: { hi32, hu8 },
      fail: () => {
        failed = true;
        return true;
      },
    };
    return probeRuns(view, t, cap, emptyAt) && !failed;
  });
}

/** tableJob in WebAssembly over a check memory (runs longer than 64 entries get verdict 0: the loading thread decides). */
export function memoryTableJob(cm: CheckMemory, t: number, cap: number, salt: Uint32Array, status: Int32Array): void {
  tableJobWith(cap, status, () => cm.tableSums(t, cap, salt), (emptyAt) => cm.probeRuns(t, cap, emptyAt));
}

function tableJobWith(cap: number, status: Int32Array, sums: () => TableSide | null, runs: (emptyAt: number) => boolean): void {
  status[1] = 0;
  status[7] = -1;
  const side = sums();
  if (side === null) return;
  status[2] = side.used;
  status[3] = side.live;
  status[4] = side.a1;
  status[5] = side.a2;
  status[6] = side.emptyAt;
  status[1] = 1;
  if (side.used > tableLimit(cap) || side.emptyAt < 0) return;
  status[7] = runs(side.emptyAt) ? 1 : 0;
}

/**
 * The per-element checks entry by entry in table order, with a message for the first fault
 * (then null): slower (the entries are in hash order, a few cache misses each), so it runs only
 * when elementsByNode found something.
 */
function elementsByTable(c: SetCheck, t: number, cap: number): TableCounts | null {
  const { i32, hi32, hu8 } = c.v;
  const k0 = i32[H.NAME_KEY];
  const k1 = i32[H.NAME_KEY + 1];
  const { hw, lvl } = c;
  let used = 0;
  let live = 0;
  let attrs = 0;
  let emptyAt = -1;
  const fail = (msg: string): null => {
    c.fail(msg);
    return null;
  };
  for (let i = 1; i < cap; i++) {
    const ref = hi32[t + 2 * i];
    const hash = hi32[t + 2 * i + 1];
    if (ref === EMPTY) {
      if (hash !== 0) return fail(`name table entry ${i} is empty but holds a hash`);
      if (emptyAt < 0) emptyAt = i;
      continue;
    }
    used++;
    if (ref === TOMB) continue;
    live++;
    if (!c.inHeap(ref, E_NAME)) return fail(`name table entry ${i}: element at ${ref} outside the heap`);
    const len = hi32[(ref + E_LEN) >>> 2];
    if (!(len >= 0 && c.inHeap(ref, E_NAME + len))) return fail(`element at ${ref}: name of ${len} bytes outside the heap`);
    let r = c.claimBlock(ref, elementBytes(len), true);
    if (r !== 0) return fail(c.claimProblem(r, ref, elementBytes(len), elementLabel(hu8, ref, len)));
    if (hashName(k0, k1, hu8, ref + E_NAME, len) !== hash) return fail(`${elementLabel(hu8, ref, len)}: wrong hash in the name table`);
    const node = hi32[(ref + E_NODE) >>> 2];
    if (!(node >= 0 && node < hw && lvl[node] >= 0)) return fail(`${elementLabel(hu8, ref, len)} points to slot ${node}, which is not a live node`);
    if (i32[(c.recOff(node) + R.ELEM) >>> 2] !== ref) return fail(`node ${node} does not point back to ${elementLabel(hu8, ref, len)}`);
    const attr = hi32[(ref + E_ATTR) >>> 2];
    if (attr !== 0) {
      if (!c.inHeap(attr, 4)) return fail(`${elementLabel(hu8, ref, len)}: attribute at ${attr} outside the heap`);
      const alen = hi32[attr >>> 2];
      if (!(alen >= 0 && c.inHeap(attr, attrBytes(alen)))) return fail(`${elementLabel(hu8, ref, len)}: attribute of ${alen} bytes outside the heap`);
      r = c.claimBlock(attr, attrBytes(alen), true);
      if (r !== 0) return fail(c.claimProblem(r, attr, attrBytes(alen), `${elementLabel(hu8, ref, len)}'s attribute`));
      attrs++;
    }
  }
  // Every entry is sound, so some live node's element is missing from the table.
  if (live !== c.count) return fail(`${live} named elements but ${c.count} live nodes`);
  return { used, live, attrs, emptyAt };
}

/** "element 'name'" for messages. */
function elementLabel(hu8: Uint8Array, ref: number, len: number): string {
  return `element ${showName(hu8.subarray(ref + E_NAME, ref + E_NAME + len))}`;
}

/** What probeRuns needs of a check: the heap, and where problems go (SetCheck, or the helper's verdict). */
interface ProbeView {
  v: { hi32: Int32Array; hu8: Uint8Array };
  fail(msg: string): boolean;
}

/**
 * probeRuns' arrays for a run's entries, kept between calls on this thread (see link-check.ts,
 * dupKeys: a small set's check otherwise allocated two off-heap arrays for them).
 */
let runHashes = new Int32Array(64);
let runRefs = new Int32Array(64);

/** Probe chains unbroken, names unique (see checkElements). */
function probeRuns(c: ProbeView, t: number, cap: number, emptyAt: number): boolean {
  const hi32 = c.v.hi32;
  const span = cap - 1; // probing cycles over entries 1 … cap−1
  const mask = cap - 1;
  let run = 0;
  // The current run's live entries; grown on demand (runs are short unless crafted).
  let hashes = runHashes;
  let refs = runRefs;
  let n = 0;
  // From the first empty entry once around the table, so every run is seen whole.
  for (let step = 1, i = emptyAt; step <= span; step++) {
    i = i === span ? 1 : i + 1;
    const ref = hi32[t + 2 * i];
    if (ref === EMPTY) {
      if (n > 1 && !uniqueNames(c, hashes, refs, n)) return false;
      run = 0;
      n = 0;
      continue;
    }
    if (ref !== TOMB) {
      const hash = hi32[t + 2 * i + 1];
      const home = Math.max(hash & mask, 1);
      let dist = i - home;
      if (dist < 0) dist += span;
      if (dist > run) return !c.fail(`${elementLabel(c.v.hu8, ref, hi32[(ref + E_LEN) >>> 2])} is not found by its name (probe chain broken)`);
      if (n === hashes.length) {
        const h2 = new Int32Array(n * 2);
        h2.set(hashes);
        hashes = h2;
        const r2 = new Int32Array(n * 2);
        r2.set(refs);
        refs = r2;
        // Kept for the next check unless a crafted table made them large.
        if (n * 2 <= 4096) {
          runHashes = hashes;
          runRefs = refs;
        }
      }
      hashes[n] = hash;
      refs[n] = ref;
      n++;
    }
    run++;
  }
  return true;
}

/**
 * Among the n elements of one run (hashes[0 … n), refs[0 … n)), no two with the same name. Runs
 * are short in a table at most 3/4 full, so equal hashes are looked for pairwise; a long run (a
 * crafted table) is sorted instead, so the check stays O(n log n).
 */
/** uniqueNames' sort buffer, kept per thread (see runHashes). */
let sortScratch = new Int32Array(64);

function uniqueNames(c: ProbeView, hashes: Int32Array, refs: Int32Array, n: number): boolean {
  if (n <= 16) {
    for (let a = 1; a < n; a++) {
      for (let b = 0; b < a; b++) {
        if (hashes[a] === hashes[b] && !distinctNames(c, hashes.subarray(0, n), refs, hashes[a])) return false;
      }
    }
    return true;
  }
  // Sorted in this thread's scratch: small tables now fill to 7/8 (elements.ts tableLimit), so a
  // small set's check meets runs past 16 names, and a fresh array for each cost its allocation.
  if (sortScratch.length < n) sortScratch = new Int32Array(Math.max(2 * n, 64));
  const sorted = sortScratch.subarray(0, n);
  sorted.set(hashes.subarray(0, n));
  sorted.sort();
  for (let j = 1; j < n; j++) {
    if (sorted[j] !== sorted[j - 1] || (j > 1 && sorted[j - 2] === sorted[j])) continue;
    if (!distinctNames(c, hashes.subarray(0, n), refs, sorted[j])) return false;
  }
  return true;
}

/** The elements whose hash is h have different names. */
function distinctNames(c: ProbeView, hashes: Int32Array, refs: Int32Array, h: number): boolean {
  const { hi32, hu8 } = c.v;
  const names: Buffer[] = [];
  for (let k = 0; k < hashes.length; k++) {
    if (hashes[k] !== h) continue;
    const ref = refs[k];
    const len = hi32[(ref + E_LEN) >>> 2];
    names.push(Buffer.from(hu8.buffer, hu8.byteOffset + ref + E_NAME, len));
  }
  names.sort(Buffer.compare);
  for (let k = 1; k < names.length; k++) {
    if (names[k].equals(names[k - 1])) return !c.fail(`duplicate element name ${showName(names[k])}`);
  }
  return true;
}

