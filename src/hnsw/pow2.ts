// Powers of two by exponent, for the allocators' size classes and the image checks.
//
// `2 ** k` with a variable k is not folded by V8: TurboFan compiles it to a call of the C library's
// pow(). The size-class functions run for every heap block an insert or a check touches, and on a
// load of 10,000 small sets that call was 3-4 % of both threads' CPU (perf: ieee754::pow). A table
// lookup costs a load.

const TABLE: readonly number[] = Array.from({ length: 64 }, (_, k) => 2 ** k);

/** 2^k for an integer 0 ≤ k < 64 (exact: every such power is a double). */
export function pow2(k: number): number {
  return TABLE[k];
}

/** The largest power of two ≤ n, for 1 ≤ n < 2^32. */
export function floorPow2(n: number): number {
  return TABLE[31 - Math.clz32(n)];
}
