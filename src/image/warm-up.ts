// Tier-up ahead of a load's checks. V8 runs a WebAssembly function first as baseline (Liftoff)
// code and has TurboFan compile it on a background thread once it has run for a while (its
// tiering budget), separately in each thread; a call under way keeps the code it started with.
// A load runs each check loop only once, over chunks of CALL_CHUNK items at most, so a good part of
// it ran at baseline speed: one call of the name table's sums over a million entries took
// 5-8 ms cold and 2.5 ms optimised. Running each loop first over a tiny dummy image (all slots
// free, every list and table empty: a few hundred microseconds in all) starts those compilations
// early, so the real calls find optimised code.

import { heapCheckWasm } from './check-memory.js';
import { F, MAX_LEVEL, R } from '../hnsw/layout.js';
import { imageCheckWasm } from './link-check.js';
import { CALL_CHUNK, createSharedWasmMemory } from '../hnsw/platform.js';

/** Dummy slots (and table entries) per warm-up call: enough to spend a function's budget. */
const N = 32_768;

// The dummy memory: one free record at 0 that every slot reads (stride 0), the slots' levels
// after it, then zeroed areas for lists, tables, bitmaps and out words.
const LVL = 64;
const OUT = 40_000;
const ZERO = 65_536;
const KEYS = 2 * 65_536;
const GENS = KEYS + 4096;
const REACHED = KEYS + 8192;
const STACK = KEYS + 16_384;

/**
 * Warms the checks the loading thread ('loader') or the load's helper thread ('helper') runs;
 * true when every loop ran to its end over the dummy image (false: a signature changed, and the
 * warm-up spent nothing). Touches nothing outside its own memory; false where WebAssembly is not
 * available.
 */
export function warmUpChecks(thread: 'loader' | 'helper'): boolean {
  const mem = createSharedWasmMemory(3, 3);
  if (mem === null) return false;
  new Int32Array(mem.buffer, 0, 1)[0] = F.FREE << 24;
  const img = imageCheckWasm(mem);
  const heap = heapCheckWasm(mem);
  let ok = true;
  // records0 marks every (free) slot's level −1, so the level-0 loops below skip them all.
  ok &&= img.records0(0, N, 0, 0, LVL, ZERO, OUT, 0, 32, 0, 0, -1, R.VEC, R.UPPER, F.LIVE, F.DELETED, F.FREE, MAX_LEVEL, 0, R.ELEM) === 1;
  ok &&= img.links0(N, 0, 0, 8, LVL, REACHED, KEYS, GENS, 26, 63, 1, 2, 3, 4, 0, N, OUT) === 1;
  // The name table's sums and runs over one call's worth of empty entries (its run check starts at entry 1).
  const state = new Int32Array(mem.buffer, OUT + 64, 4);
  for (let k = 0; k < 2; k++) {
    ok &&= heap.tableSums(1, ZERO, CALL_CHUNK, 1, 2, 3, 4, OUT + 128) === 1;
    state.set([1, 1, 0, 0]);
    ok &&= heap.probeRuns(ZERO, CALL_CHUNK, CALL_CHUNK, OUT + 256, OUT + 64) === 1;
  }
  if (thread === 'helper') {
    img.reach(0, N, 0, 0, 8, LVL, REACHED, STACK);
    ok &&= img.unreached(N, LVL, REACHED) === 0;
    // Listed slots whose meta word says neither live nor deleted: no upper lists to follow.
    for (let k = 0; k < 4; k++) ok &&= heap.upperLinks(0, ZERO, 4096, 16, N, F.LIVE, KEYS, GENS, 26, 63, 1, 2, 3, 4, OUT + 128) === 1;
  } else {
    ok &&= heap.nodeElements(0, N, LVL, ZERO, ZERO, 0, 1, 2, 1, 2, 3, 4, OUT + 128) === 1;
    for (let k = 0; k < 4; k++) ok &&= heap.heapHalf(0, ZERO, 4096, ZERO, 0, 16, F.DELETED, ZERO, OUT + 128) === 1;
    ok &&= heap.nextUnit(ZERO, 0, 32 * 16_384, 1) === 32 * 16_384;
  }
  return ok;
}
