/**
 * What the FT.* suites share: vector blobs as clients send them, distances computed here the way
 * the query engine defines them (so a server's KNN can be checked against an exact search made in
 * the test), C's `%.12g` written independently of the server's formatter, and a reader for the
 * RESP2 FT.SEARCH reply.
 */
import { RawConnection, RespError, type RespValue } from './raw.js';
import { rng } from './rng.js';

export type Metric = 'COSINE' | 'L2' | 'IP';
export type VectorType = 'FLOAT32' | 'FLOAT64';

/** A vector as the bytes a client stores in a hash field (little endian). */
export function blob(v: ArrayLike<number>, type: VectorType = 'FLOAT32'): Buffer {
  const a = type === 'FLOAT32' ? Float32Array.from(v) : Float64Array.from(v);
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * The query engine's distance between two vectors given as float32 values: COSINE 1 − cos,
 * L2 the squared distance, IP 1 − dot. Computed in doubles; the server works in float32, so
 * compare with a tolerance (~1e-6 relative) unless the values are small integers.
 */
export function distance(metric: Metric, a: ArrayLike<number>, b: ArrayLike<number>): number {
  const fa = Float32Array.from(a);
  const fb = Float32Array.from(b);
  let dot = 0;
  let na = 0;
  let nb = 0;
  let l2 = 0;
  for (let i = 0; i < fa.length; i++) {
    dot += fa[i]! * fb[i]!;
    na += fa[i]! * fa[i]!;
    nb += fb[i]! * fb[i]!;
    l2 += (fa[i]! - fb[i]!) ** 2;
  }
  if (metric === 'L2') return l2;
  if (metric === 'IP') return 1 - dot;
  return 1 - dot / Math.sqrt(na * nb);
}

export interface Scored {
  key: string;
  distance: number;
}

/** The k nearest of `docs` (key → vector) among those `keep` accepts, nearest first. */
export function exactKnn(
  docs: ReadonlyMap<string, ArrayLike<number>>,
  query: ArrayLike<number>,
  k: number,
  metric: Metric,
  keep: (key: string) => boolean = () => true,
): Scored[] {
  const all: Scored[] = [];
  for (const [key, v] of docs) if (keep(key)) all.push({ key, distance: distance(metric, v, query) });
  all.sort((x, y) => x.distance - y.distance || (x.key < y.key ? -1 : 1));
  return all.slice(0, k);
}

/** |a − b| within a relative (and tiny absolute) tolerance: float32 arithmetic on the server. */
export function near(a: number, b: number, rel = 1e-5): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * C's printf("%.12g"), written from its definition (not from the server's code): 12 significant
 * digits, exponent form when the exponent is below −4 or at least 12, trailing zeros removed.
 */
export function g12(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const exp = Number(v.toExponential(11).split('e')[1]);
  if (exp < -4 || exp >= 12) {
    const [m, e] = v.toExponential(11).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const fixed = v.toFixed(11 - exp);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** How the query engine prints a number in a reply: integers as integers, the rest %.12g. */
export function engineNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : g12(v);
}

/** Clustered vectors: `centres` Gaussian-ish centres, points spread around them (seeded). */
export function clustered(n: number, dim: number, seed: number, centres = 20, spread = 0.3): number[][] {
  const r = rng(seed);
  const gauss = (): number => {
    const u = Math.max(r(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
  const cs = Array.from({ length: centres }, () => Array.from({ length: dim }, gauss));
  return Array.from({ length: n }, () => {
    const c = cs[Math.floor(r() * centres)]!;
    return c.map((x) => x + gauss() * spread);
  });
}

/** Uniform random vectors in [-1, 1) (seeded). */
export function uniform(n: number, dim: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => r() * 2 - 1));
}

export interface SearchDoc {
  id: string;
  /** WITHSCORES: the score as sent. */
  score?: string;
  /** Field → value (latin1); null when the server sent a null instead of the fields. */
  fields: Record<string, string> | null;
  /** Field names in reply order. */
  order: string[];
}

export interface SearchResult {
  total: number;
  docs: SearchDoc[];
}

/** Reads a RESP2 FT.SEARCH reply; `withScores` / `noContent` as the request asked. */
export function readSearch(reply: RespValue, opts: { withScores?: boolean; noContent?: boolean } = {}): SearchResult {
  if (reply instanceof RespError) throw new Error(reply.message);
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') throw new Error(`not an FT.SEARCH reply: ${JSON.stringify(reply)}`);
  const docs: SearchDoc[] = [];
  let i = 1;
  while (i < reply.length) {
    const id = reply[i++] as string;
    const doc: SearchDoc = { id, fields: null, order: [] };
    if (opts.withScores) doc.score = reply[i++] as string;
    if (!opts.noContent) {
      const f = reply[i++];
      if (Array.isArray(f)) {
        doc.fields = {};
        for (let j = 0; j < f.length; j += 2) {
          doc.fields[f[j] as string] = f[j + 1] as string;
          doc.order.push(f[j] as string);
        }
      }
    }
    docs.push(doc);
  }
  return { total: reply[0], docs };
}

/** Sends a command on a raw connection; throws on an error reply. */
export async function ok(c: RawConnection, ...args: Array<string | Buffer | number>): Promise<RespValue> {
  const v = await c.value(...args);
  if (v instanceof RespError) throw new Error(`${args.slice(0, 3).map(String).join(' ')}: ${v.message}`);
  return v;
}

/** The error text of a reply that must be an error. */
export async function err(c: RawConnection, ...args: Array<string | Buffer | number>): Promise<string> {
  const v = await c.value(...args);
  if (!(v instanceof RespError)) throw new Error(`expected an error from ${args.slice(0, 3).map(String).join(' ')}, got ${JSON.stringify(v)}`);
  return v.message;
}

/** FT.INFO as a plain object (RESP2 pairs; nested values left as they are). */
export async function ftInfo(c: RawConnection, index: string): Promise<Record<string, RespValue>> {
  const v = await ok(c, 'FT.INFO', index);
  const out: Record<string, RespValue> = {};
  const a = v as RespValue[];
  for (let i = 0; i < a.length; i += 2) out[a[i] as string] = a[i + 1]!;
  return out;
}

export async function numDocs(c: RawConnection, index: string): Promise<number> {
  return (await ftInfo(c, index))['num_docs'] as number;
}
