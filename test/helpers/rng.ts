/** Seeded xorshift32 in [0, 1): the same sequence on every run, so a failure can be replayed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** A random vector of `dim` components in [-1, 1), as the strings VADD/VSIM VALUES take. */
export function valuesArgs(r: () => number, dim: number): string[] {
  return Array.from({ length: dim }, () => (r() * 2 - 1).toFixed(4));
}
