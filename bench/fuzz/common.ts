/**
 * What the fuzz targets share: a seeded PRNG (so a failure replays from its seed and case
 * number), random picks, and the shape of a target's report.
 */

/** mulberry32: small, seedable, and the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rand {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: ArrayLike<T>): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number, alphabet?: ArrayLike<number>): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = alphabet ? this.pick(alphabet) : this.int(256);
    return b;
  }
  /** Up to three random edits of `b`: delete, insert, replace or duplicate a piece. */
  mutate(b: Buffer, alphabet?: ArrayLike<number>): Buffer {
    let out = Array.from(b);
    const edits = 1 + this.int(3);
    for (let m = 0; m < edits; m++) {
      const at = this.int(out.length + 1);
      const r = this.next();
      const byte = (): number => (alphabet ? this.pick(alphabet) : this.int(256));
      if (r < 0.3 && out.length > 0) out.splice(Math.min(at, out.length - 1), 1);
      else if (r < 0.6) out.splice(at, 0, byte());
      else if (r < 0.8 && at < out.length) out[at] = byte();
      else {
        const from = this.int(out.length + 1);
        out = [...out.slice(0, at), ...out.slice(from, from + this.int(8)), ...out.slice(at)];
      }
    }
    return Buffer.from(out);
  }
}

/** What one fuzz target reports. */
export interface FuzzReport {
  target: string;
  cases: number;
  /** Counts worth printing (compiled expressions, refused commands …), by name. */
  counts: Record<string, number>;
  /** The first failures found (each names its case), empty when none. */
  failures: string[];
}

export function newReport(target: string): FuzzReport {
  return { target, cases: 0, counts: {}, failures: [] };
}

export function count(r: FuzzReport, name: string, n = 1): void {
  r.counts[name] = (r.counts[name] ?? 0) + n;
}

export function fail(r: FuzzReport, message: string): void {
  if (r.failures.length < 20) r.failures.push(message);
}

export const enc = new TextEncoder();
