// Reading and editing one node's neighbour list at one level.
//
// Level 0 lives in the node record (up to 2·M slots, count in the meta word); levels 1…L live in
// the node's upper block on the heap (M slots per level, terminated by EMPTY_LINK when not full).
// These helpers hide that difference from insert/delete/validate; the search loops inline the
// level-0 case for speed.
//
// Writer-side edits keep every intermediate state readable by a concurrent search (see
// epoch.ts): a slot is written before the count that exposes it, and removal moves the last link
// into the hole before shrinking the list, so a reader may at worst see a neighbour twice.

import { COUNT_MASK, EMPTY_LINK, LEVEL_MASK, LEVEL_SHIFT, R, type SetViews } from './layout.js';

export function levelOf(v: SetViews, slot: number): number {
  return (v.i32[v.recOff(slot) >>> 2] >>> LEVEL_SHIFT) & LEVEL_MASK;
}

export function flagsOf(v: SetViews, slot: number): number {
  return v.i32[v.recOff(slot) >>> 2] >>> 24;
}

/** Maximum links at a level: 2·M on level 0, M above. */
export function maxLinks(v: SetViews, level: number): number {
  return level === 0 ? 2 * v.M : v.M;
}

/** Word index of the first link slot of `slot`'s list at `level`, in v.i32 (level 0) or v.hi32. */
export function listBase(v: SetViews, slot: number, level: number): number {
  if (level === 0) return (v.recOff(slot) + v.linkOff) >>> 2;
  const upper = v.i32[(v.recOff(slot) + R.UPPER) >>> 2];
  return (upper >>> 2) + (level - 1) * v.M;
}

export function linkCount(v: SetViews, slot: number, level: number): number {
  if (level === 0) return v.i32[v.recOff(slot) >>> 2] & COUNT_MASK;
  const base = listBase(v, slot, level);
  const hi = v.hi32;
  const M = v.M;
  let n = 0;
  while (n < M && hi[base + n] !== EMPTY_LINK) n++;
  return n;
}

/** The links array (records words for level 0, heap words above) and base of a list. */
export function listWords(v: SetViews, level: number): Int32Array {
  return level === 0 ? v.i32 : v.hi32;
}

/** Copy a node's links at a level into `out` (from index 0); returns the count. */
export function readLinks(v: SetViews, slot: number, level: number, out: Int32Array): number {
  const n = linkCount(v, slot, level);
  const words = listWords(v, level);
  const base = listBase(v, slot, level);
  for (let i = 0; i < n; i++) out[i] = words[base + i];
  return n;
}

export function hasLink(v: SetViews, slot: number, level: number, target: number): boolean {
  return indexOfLink(v, slot, level, target) >= 0;
}

export function indexOfLink(v: SetViews, slot: number, level: number, target: number): number {
  const n = linkCount(v, slot, level);
  const words = listWords(v, level);
  const base = listBase(v, slot, level);
  for (let i = 0; i < n; i++) if (words[base + i] === target) return i;
  return -1;
}

/** Append a link; the caller has checked there is room. */
export function appendLink(v: SetViews, slot: number, level: number, target: number): void {
  if (level === 0) {
    const metaIdx = v.recOff(slot) >>> 2;
    const meta = v.i32[metaIdx];
    const n = meta & COUNT_MASK;
    v.i32[((v.recOff(slot) + v.linkOff) >>> 2) + n] = target;
    Atomics.store(v.i32, metaIdx, (meta & ~COUNT_MASK) | (n + 1));
    return;
  }
  const base = listBase(v, slot, level);
  const n = linkCount(v, slot, level);
  // The slot after it is already EMPTY_LINK (blocks are initialised to empty), or n+1 == M.
  Atomics.store(v.hi32, base + n, target);
}

export function setLinkAt(v: SetViews, slot: number, level: number, index: number, target: number): void {
  Atomics.store(listWords(v, level), listBase(v, slot, level) + index, target);
}

/** Remove `target` from the list if present. Returns whether it was there. */
export function removeLink(v: SetViews, slot: number, level: number, target: number): boolean {
  const n = linkCount(v, slot, level);
  const words = listWords(v, level);
  const base = listBase(v, slot, level);
  let j = -1;
  for (let i = 0; i < n; i++) {
    if (words[base + i] === target) {
      j = i;
      break;
    }
  }
  if (j < 0) return false;
  const last = n - 1;
  if (j !== last) Atomics.store(words, base + j, words[base + last]);
  if (level === 0) {
    const metaIdx = v.recOff(slot) >>> 2;
    const meta = v.i32[metaIdx];
    Atomics.store(v.i32, metaIdx, (meta & ~COUNT_MASK) | last);
  } else {
    Atomics.store(words, base + last, EMPTY_LINK);
  }
  return true;
}
