// Elements: names, attributes and the name → element index, all in the set's shared heap.
//
// Workers must be able to turn a name into a node (VSIM ELE) and a node into its name and
// attribute (to build a reply, to evaluate FILTER) without asking the main thread, so none of
// this may live in a JS Map. And a snapshot of the buffers must be usable as loaded, so the index
// is a plain open-addressing hash table in the heap rather than something rebuilt at start-up.
//
// Element block (heap, 8-aligned):   +0 u32 name length   +4 u32 attribute ref (0 = none)
//                                    +8 i32 node slot     +12 name bytes
// Attribute block:                   +0 u32 length        +4 bytes (stored verbatim)
//
// An element outlives its node across an update (VADD of an existing name): the old node is
// deleted, a new one inserted, and the element is pointed at it — so the attribute is kept
// without copying and the name index is untouched.
//
// Name table: `cap` (a power of two ≥ 8) entries of two u32 — element ref, 32-bit hash (keyed
// per set, see hashName: names come from the network and must not be able to collide). Entry 0
// is reserved and holds the capacity itself, so a reader needs a single header word (NAME_TABLE)
// to find a consistent table: the writer builds a bigger table completely, then swaps the header
// word and retires the old table to limbo. Empty = 0, tombstone = 1 (refs are 8-aligned and > 0).
// Linear probing; rebuilt when live + tombstones would exceed tableLimit: 3/4 of the capacity,
// 7/8 in small tables.

import { heapAlloc } from '../hnsw/heap.js';
import { H, type SetViews } from '../hnsw/layout.js';
import type { GraphWriter } from '../hnsw/writer.js';

export const E_LEN = 0;
export const E_ATTR = 4;
export const E_NODE = 8;
export const E_NAME = 12;
export const EMPTY = 0;
export const TOMB = 1;
/**
 * The smallest table: 8 entries (7 names at load ≤ 3/4). 16 before arenas; for a set of five
 * elements the 64 bytes saved are 3 % of all it costs, and a table of 16 still loads.
 */
export const MIN_CAP = 8;

export function elementBytes(nameLen: number): number {
  return E_NAME + nameLen;
}

/**
 * The name hash: HalfSipHash-2-4 (Aumasson & Bernstein's 32-bit SipHash variant, 32-bit output)
 * keyed with the set's 64-bit NAME_KEY.
 *
 * Names come from the network. With an unkeyed hash (this table used FNV-1a before) anyone can
 * compute offline a million names that land in one probe chain, and every VADD/VISMEMBER/VSIM
 * ELE then scans the chain: a set of n names costs O(n²) to build. A keyed PRF with a random
 * per-set key makes the bucket of a name unpredictable without the key, which never leaves the
 * server (it is in the set's header and in its images, never in a reply). Redis protects its
 * dicts the same way (SipHash-1-2 with a random per-process key); HalfSipHash is the variant
 * built for 32-bit arithmetic, which is what JavaScript does fast. Cost: about 90 ns for a
 * 16-byte name (FNV-1a took 70) — noise beside a lookup's read section, let alone an insert.
 */
export function hashName(k0: number, k1: number, bytes: Uint8Array, off = 0, len = bytes.length): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  const end = off + (len & ~3);
  let i = off;
  for (; i < end; i += 4) {
    const m = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
      v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
      v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    }
    v0 ^= m;
  }
  let b = len << 24;
  const left = len & 3;
  if (left === 3) b |= bytes[i + 2] << 16;
  if (left >= 2) b |= bytes[i + 1] << 8;
  if (left >= 1) b |= bytes[i];
  v3 ^= b;
  for (let r = 0; r < 2; r++) {
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
  }
  v0 ^= b;
  v2 ^= 0xff;
  for (let r = 0; r < 4; r++) {
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
  }
  return (v1 ^ v3) | 0;
}

/** `hashName` with the set's own key. */
export function setHashName(v: SetViews, bytes: Uint8Array, off = 0, len = bytes.length): number {
  const h = v.i32;
  return hashName(h[H.NAME_KEY], h[H.NAME_KEY + 1], bytes, off, len);
}

export function elementNode(v: SetViews, elem: number): number {
  return Atomics.load(v.hi32, (elem + E_NODE) >>> 2);
}

export function setElementNode(v: SetViews, elem: number, slot: number): void {
  Atomics.store(v.hi32, (elem + E_NODE) >>> 2, slot);
}

export function elementNameLength(v: SetViews, elem: number): number {
  return v.hi32[(elem + E_LEN) >>> 2];
}

/** A view of the name bytes in shared memory: valid until the element is reclaimed. */
export function elementNameView(v: SetViews, elem: number): Uint8Array {
  const len = v.hi32[(elem + E_LEN) >>> 2];
  return v.hu8.subarray(elem + E_NAME, elem + E_NAME + len);
}

export function elementAttrRef(v: SetViews, elem: number): number {
  return Atomics.load(v.hi32, (elem + E_ATTR) >>> 2);
}

export function attrBytes(len: number): number {
  return 4 + len;
}

/** A view of an attribute block's bytes (valid until reclaimed). */
export function attrView(v: SetViews, attr: number): Uint8Array {
  const len = v.hi32[attr >>> 2];
  return v.hu8.subarray(attr + 4, attr + 4 + len);
}

function nameEquals(v: SetViews, elem: number, name: Uint8Array): boolean {
  const len = v.hi32[(elem + E_LEN) >>> 2];
  if (len !== name.length) return false;
  const hu8 = v.hu8;
  const base = elem + E_NAME;
  for (let i = 0; i < len; i++) if (hu8[base + i] !== name[i]) return false;
  return true;
}

/** Find the element named `name`; 0 when absent. Safe from any thread. */
export function findElement(v: SetViews, name: Uint8Array): number {
  const table = Atomics.load(v.i32, H.NAME_TABLE);
  if (table === 0) return 0;
  const hi32 = v.hi32;
  const t = table >>> 2;
  const cap = hi32[t];
  const mask = cap - 1;
  const hash = setHashName(v, name);
  let i = hash & mask;
  for (let probes = 0; probes < cap; probes++) {
    if (i === 0) i = 1;
    const ref = hi32[t + 2 * i];
    if (ref === EMPTY) return 0;
    if (ref !== TOMB && hi32[t + 2 * i + 1] === hash && nameEquals(v, ref, name)) return ref;
    i = (i + 1) & mask;
  }
  return 0;
}

export function tableCap(v: SetViews): number {
  const table = v.i32[H.NAME_TABLE];
  return table === 0 ? 0 : v.hi32[table >>> 2];
}

/**
 * Place `elem` in `table` (writer; the table must have room). Returns 1 when it took an empty
 * entry, 0 when it reused a tombstone (NAME_USED counts non-empty entries).
 */
function placeInTable(v: SetViews, table: number, elem: number, hash: number): number {
  const hi32 = v.hi32;
  const t = table >>> 2;
  const mask = hi32[t] - 1;
  let i = hash & mask;
  for (;;) {
    if (i === 0) i = 1;
    const ref = hi32[t + 2 * i];
    if (ref === EMPTY || ref === TOMB) {
      hi32[t + 2 * i + 1] = hash;
      Atomics.store(hi32, t + 2 * i, elem);
      return ref === EMPTY ? 1 : 0;
    }
    i = (i + 1) & mask;
  }
}

/** Tables of up to this many entries (2 KiB) may run fuller (tableLimit). */
const SMALL_TABLE = 256;

/**
 * The most entries (live + tombstones) a table of `cap` entries may hold: 3/4 of its usable
 * entries (entry 0 holds the capacity), 7/8 in a table of up to SMALL_TABLE entries. Always below
 * cap − 1, so probing meets an empty entry. Why small tables run fuller: a tenant's set of a few
 * dozen names pays for its own table, and in a table of a few cache lines a longer probe run costs
 * nanoseconds; at 3/4, 48 names already took a table of 128 entries (1 KiB, 20 bytes per element
 * of a 50-element set against 13-17 in one big set's table), at 7/8 up to 55 fit in 64. The
 * image check (element-check.ts) holds tables to the same limit.
 */
export function tableLimit(cap: number): number {
  return cap <= SMALL_TABLE ? Math.floor(((cap - 1) * 7) / 8) : Math.floor(((cap - 1) * 3) / 4);
}

/** Capacity of the table a rebuild for `live` elements makes: `live` + 1 entries at load ≤ 1/2. */
function rebuiltCap(live: number): number {
  let cap = MIN_CAP;
  while (cap < (live + 2) * 2) cap *= 2;
  return cap;
}

/** Heap bytes the next `indexElement` will allocate: a new table when it must rebuild, else 0. */
export function indexGrowthBytes(v: SetViews, liveElements: number): number {
  const cap = tableCap(v);
  return cap === 0 || v.i32[H.NAME_USED] + 1 > tableLimit(cap) ? rebuiltCap(liveElements) * 8 : 0;
}

/** Rebuild the table with room for `live` + 1 entries at load ≤ 1/2, swap it in, retire the old. */
function rebuildTable(w: GraphWriter, live: number): void {
  const v = w.v;
  const cap = rebuiltCap(live);
  const bytes = cap * 8;
  const table = heapAlloc(v, bytes);
  v.hi32.fill(0, table >>> 2, (table + bytes) >>> 2);
  v.hi32[table >>> 2] = cap;
  const old = v.i32[H.NAME_TABLE];
  let used = 0;
  if (old !== 0) {
    const t = old >>> 2;
    const oldCap = v.hi32[t];
    for (let i = 1; i < oldCap; i++) {
      const ref = v.hi32[t + 2 * i];
      if (ref !== EMPTY && ref !== TOMB) {
        placeInTable(v, table, ref, v.hi32[t + 2 * i + 1]);
        used++;
      }
    }
  }
  Atomics.store(v.i32, H.NAME_TABLE, table);
  v.i32[H.NAME_USED] = used;
  if (old !== 0) w.retireHeap(old, v.hi32[old >>> 2] * 8);
}

/** Create an element block for `name` pointing at `slot`, not yet findable by name (writer). */
export function createElement(w: GraphWriter, name: Uint8Array, slot: number): number {
  const v = w.v;
  const elem = heapAlloc(v, elementBytes(name.length));
  v.hi32[(elem + E_LEN) >>> 2] = name.length;
  v.hi32[(elem + E_ATTR) >>> 2] = 0;
  v.hi32[(elem + E_NODE) >>> 2] = slot;
  v.hu8.set(name, elem + E_NAME);
  return elem;
}

/**
 * Make `elem` findable by name. The caller has checked that the name is absent and has fully
 * linked the element's node: the name becomes visible last.
 */
export function indexElement(w: GraphWriter, elem: number, liveElements: number): void {
  const v = w.v;
  if (indexGrowthBytes(v, liveElements) !== 0) rebuildTable(w, liveElements);
  v.i32[H.NAME_USED] += placeInTable(v, v.i32[H.NAME_TABLE], elem, setHashName(v, elementNameView(v, elem)));
}

/** Remove `elem` from the index and retire its block and attribute (writer). */
export function removeElement(w: GraphWriter, elem: number): void {
  const v = w.v;
  const table = v.i32[H.NAME_TABLE];
  const t = table >>> 2;
  const cap = v.hi32[t];
  const mask = cap - 1;
  const name = elementNameView(v, elem);
  let i = setHashName(v, name) & mask;
  for (let probes = 0; probes < cap; probes++) {
    if (i === 0) i = 1;
    const ref = v.hi32[t + 2 * i];
    if (ref === EMPTY) break;
    if (ref === elem) {
      // Tombstone: probing chains through this entry must stay intact for readers.
      Atomics.store(v.hi32, t + 2 * i, TOMB);
      break;
    }
    i = (i + 1) & mask;
  }
  setAttribute(w, elem, null);
  w.retireHeap(elem, elementBytes(name.length));
}

/**
 * Set (bytes, possibly empty) or remove (null) an element's attribute. The old block is retired,
 * never overwritten, so a reader holding it sees the old value intact. Returns the change in
 * the number of elements that have an attribute (-1, 0 or +1).
 */
export function setAttribute(w: GraphWriter, elem: number, value: Uint8Array | null): number {
  const v = w.v;
  const old = elementAttrRef(v, elem);
  let ref = 0;
  if (value !== null) {
    ref = heapAlloc(v, attrBytes(value.length));
    v.hi32[ref >>> 2] = value.length;
    v.hu8.set(value, ref + 4);
  }
  Atomics.store(v.hi32, (elem + E_ATTR) >>> 2, ref);
  if (old !== 0) w.retireHeap(old, attrBytes(v.hi32[old >>> 2]));
  const delta = (ref !== 0 ? 1 : 0) - (old !== 0 ? 1 : 0);
  v.i32[H.ATTR_COUNT] += delta;
  return delta;
}

/** Every element ref in the table (for validation). */
export function* tableElements(v: SetViews): Generator<number> {
  const table = v.i32[H.NAME_TABLE];
  if (table === 0) return;
  const t = table >>> 2;
  const cap = v.hi32[t];
  for (let i = 1; i < cap; i++) {
    const ref = v.hi32[t + 2 * i];
    if (ref !== EMPTY && ref !== TOMB) yield ref;
  }
}

export interface NameTableStats {
  /** Entries in the table (a power of two; entry 0 is the header). */
  capacity: number;
  /** Live names. */
  live: number;
  /** Tombstones waiting for the next rebuild. */
  tombstones: number;
  /** Longest and mean number of entries a lookup of a present name inspects. */
  maxProbe: number;
  meanProbe: number;
}

/** Probe-length figures of the name table (tests and benchmarks: collision floods show here). */
export function nameTableStats(v: SetViews): NameTableStats {
  const table = v.i32[H.NAME_TABLE];
  if (table === 0) return { capacity: 0, live: 0, tombstones: 0, maxProbe: 0, meanProbe: 0 };
  const t = table >>> 2;
  const cap = v.hi32[t];
  let live = 0;
  let tombstones = 0;
  let maxProbe = 0;
  let total = 0;
  for (let i = 1; i < cap; i++) {
    const ref = v.hi32[t + 2 * i];
    if (ref === EMPTY) continue;
    if (ref === TOMB) {
      tombstones++;
      continue;
    }
    live++;
    // Probing visits 1, 2, … cap−1 cyclically (entry 0 is skipped): distance from the home slot.
    const home = Math.max(v.hi32[t + 2 * i + 1] & (cap - 1), 1);
    const probes = ((i - home + cap - 1) % (cap - 1)) + 1;
    total += probes;
    if (probes > maxProbe) maxProbe = probes;
  }
  return { capacity: cap, live, tombstones, maxProbe, meanProbe: live > 0 ? total / live : 0 };
}
