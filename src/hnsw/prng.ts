// Seedable pseudo-random numbers for level draws (design invariant 7: deterministic when asked).
//
// xoshiro128** — small, fast, good enough for drawing levels — with its 128-bit state kept in
// the set header (H.RNG), so the sequence continues correctly after the set is attached
// elsewhere or restored from a snapshot of its buffers. Seeds are expanded with splitmix32 so
// that nearby seeds (1, 2, 3 …) give unrelated streams.

import { H, MAX_LEVEL } from './layout.js';

/** Expand a 32-bit seed into four non-zero state words. */
export function seedState(seed: number): Uint32Array {
  const s = new Uint32Array(4);
  let x = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  return s;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Next 32-bit output of the generator whose state is at `words[at..at+3]`. */
export function nextU32(words: Int32Array, at: number): number {
  const s0 = words[at];
  const s1 = words[at + 1];
  const s2 = words[at + 2];
  const s3 = words[at + 3];
  const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  const t = s1 << 9;
  let n2 = s2 ^ s0;
  let n3 = s3 ^ s1;
  const n1 = s1 ^ n2;
  const n0 = s0 ^ n3;
  n2 ^= t;
  n3 = rotl(n3, 11);
  words[at] = n0;
  words[at + 1] = n1;
  words[at + 2] = n2;
  words[at + 3] = n3;
  return result;
}

/** Uniform in [0, 1). */
export function nextFloat(words: Int32Array, at: number): number {
  return nextU32(words, at) / 4294967296;
}

/**
 * Draw a node level: count consecutive successes of probability 0.25, capped at 16, as the
 * reference does (spec §5). Uses the set's own generator in the header.
 */
export function drawLevel(header: Int32Array): number {
  let level = 0;
  while (level < MAX_LEVEL && nextFloat(header, H.RNG) < 0.25) level++;
  return level;
}

/** A standalone generator with the same algorithm, for tests and benchmarks. */
export class Prng {
  private readonly state = new Int32Array(4);
  constructor(seed: number) {
    this.state.set(seedState(seed));
  }
  u32(): number {
    return nextU32(this.state, 0);
  }
  float(): number {
    return nextFloat(this.state, 0);
  }
  /** Standard normal (Box–Muller). */
  gauss(): number {
    let u = this.float();
    while (u === 0) u = this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
}
