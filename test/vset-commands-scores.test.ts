/**
 * VSIM scores bit for bit (spec §3.5): below 16 components (float) / 32 (int8) the reference
 * uses its scalar kernels, so for such sets every score must equal, to the last bit, what a float
 * emulation of those kernels gives — written here from the spec and hnsw.c's documented order
 * of operations, independently of src/hnsw. Also VLINKS WITHSCORES (the same distance, rounded
 * to float) and the NOQUANT score that may exceed 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawConnection } from './helpers/raw.js';
import { serverForFile } from './helpers/server.js';
import { rng } from './helpers/rng.js';
import { normalize } from './helpers/vset-replies.js';

const f = Math.fround;

type Encoded = { kind: 'f32'; u: number[] } | { kind: 'q8'; q: number[]; range: number } | { kind: 'bin'; bits: boolean[] };

function encode(kind: Encoded['kind'], x: number[]): Encoded {
  const { u } = normalize(x);
  if (kind === 'f32') return { kind, u };
  if (kind === 'bin') return { kind, bits: u.map((v) => v > 0) };
  let max = 0;
  for (const v of u) {
    if (v > max) max = v;
    if (-v > max) max = -v;
  }
  if (max === 0) return { kind, q: u.map(() => 0), range: 0 };
  const scale = f(127 / max);
  // Halves away from zero; `+ 0` because an int8 quant has no negative zero.
  return { kind, q: u.map((v) => Math.sign(f(v * scale)) * Math.round(Math.abs(f(v * scale))) + 0), range: max };
}

/** The reference's scalar distance kernels, in float. */
function distance(a: Encoded, b: Encoded): number {
  if (a.kind === 'f32' && b.kind === 'f32') {
    const x = a.u;
    const y = b.u;
    let dot0 = 0;
    let dot1 = 0;
    let i = 0;
    const p = (k: number): number => f(x[k]! * y[k]!);
    for (; i + 7 < x.length; i += 8) {
      dot0 = f(dot0 + f(f(f(p(i) + p(i + 1)) + p(i + 2)) + p(i + 3)));
      dot1 = f(dot1 + f(f(f(p(i + 4) + p(i + 5)) + p(i + 6)) + p(i + 7)));
    }
    for (; i < x.length; i++) dot0 = f(dot0 + p(i));
    return f(1 - f(dot0 + dot1));
  }
  if (a.kind === 'q8' && b.kind === 'q8') {
    if (a.range === 0 || b.range === 0) return 1;
    const scale = f(f(a.range / 127) * f(b.range / 127));
    let dot = 0;
    for (let i = 0; i < a.q.length; i++) dot += a.q[i]! * b.q[i]!;
    const d = f(1 - f(f(dot) * scale));
    return d < 0 ? 0 : d > 2 ? 2 : d;
  }
  if (a.kind === 'bin' && b.kind === 'bin') {
    let opposite = 0;
    for (let i = 0; i < a.bits.length; i++) if (a.bits[i] !== b.bits[i]) opposite++;
    return f(f(opposite * 2) / a.bits.length);
  }
  throw new Error('mixed kinds');
}

const server = serverForFile();
let c: RawConnection;

beforeAll(async () => {
  c = await RawConnection.connect(server().port);
});

afterAll(async () => {
  c?.close();
});

const KINDS = [
  ['NOQUANT', 'f32', 15],
  ['Q8', 'q8', 31],
  ['BIN', 'bin', 70],
] as const;

describe('VSIM scores equal the reference kernels bit for bit at small dimensions', () => {
  it.each(KINDS)('%s (%s kernel), dimensions 1 … %i', async (opt, kind, maxDim) => {
    const next = rng(0xc0ffee + maxDim);
    let compared = 0;
    for (let dim = 1; dim <= maxDim; dim++) {
      const key = `sc:${opt}:${dim}`;
      const vecs = Array.from({ length: 12 }, () => Array.from({ length: dim }, () => (next() < 0.1 ? 0 : next() * 4 - 2)));
      c.write(Buffer.concat(vecs.map((v, i) => encodeCommand(['VADD', key, 'VALUES', dim, ...v, `e${i}`, opt]))));
      for (let i = 0; i < vecs.length; i++) expect((await c.readReply()).raw).toBe(':1\r\n');
      for (let qn = 0; qn < 3; qn++) {
        const q = Array.from({ length: dim }, () => next() * 4 - 2);
        const reply = (await c.value('VSIM', key, 'VALUES', dim, ...q, 'WITHSCORES', 'TRUTH', 'COUNT', 100)) as string[];
        const qe = encode(kind, q);
        const got = new Map<string, number>();
        for (let i = 0; i < reply.length; i += 2) got.set(reply[i]!, Number(reply[i + 1]));
        expect(got.size).toBe(vecs.length);
        vecs.forEach((v, i) => {
          const want = 1 - distance(qe, encode(kind, v)) / 2;
          expect(got.get(`e${i}`), `${key} e${i} query ${qn}`).toBe(want);
          compared++;
        });
      }
    }
    expect(compared).toBe(maxDim * 3 * 12);
  });

  it('VEMB and VEMB RAW equal the emulated normalisation and quantisation at any dimension', async () => {
    const next = rng(31337);
    for (const [opt, kind] of [['NOQUANT', 'f32'], ['Q8', 'q8'], ['BIN', 'bin']] as const) {
      for (let t = 0; t < 25; t++) {
        const dim = 1 + Math.floor(next() * 300);
        const v = Array.from({ length: dim }, () => (next() - 0.5) * 10 ** Math.floor(next() * 6 - 3));
        const key = `sc:emb:${opt}:${t}`;
        await c.call('VADD', key, 'VALUES', dim, ...v, 'e', opt);
        const x = v.map(f);
        let l2 = 0;
        let i = 0;
        for (; i + 3 < dim; i += 4) l2 = f(l2 + f(f(f(f(x[i]! * x[i]!) + f(x[i + 1]! * x[i + 1]!)) + f(x[i + 2]! * x[i + 2]!)) + f(x[i + 3]! * x[i + 3]!)));
        for (; i < dim; i++) l2 = f(l2 + f(x[i]! * x[i]!));
        const norm = l2 === 0 ? 1 : f(Math.sqrt(l2));
        const e = encode(kind, v);
        const want =
          e.kind === 'f32' ? e.u.map((u) => f(u * norm)) : e.kind === 'q8' ? e.q.map((q) => f(f(f(q * e.range) / 127) * norm)) : e.bits.map((b) => (b ? 1 : -1));
        const got = ((await c.value('VEMB', key, 'e')) as string[]).map(Number);
        expect(got, `${key} dim ${dim}`).toEqual(want);
        const raw = (await c.value('VEMB', key, 'e', 'RAW')) as string[];
        expect(Number(raw[2]), `${key} l2`).toBe(norm);
        if (e.kind === 'q8') {
          expect(Number(raw[3]), `${key} range`).toBe(e.range);
          expect([...Buffer.from(raw[1]!, 'latin1')].map((b) => (b << 24) >> 24)).toEqual(e.q);
        }
      }
    }
  });

  it('a NOQUANT score may exceed 1 (the distance is not clamped)', async () => {
    // Search for a vector whose float self-dot product rounds above 1.
    const next = rng(77);
    let found: number[] | null = null;
    for (let t = 0; t < 10000 && !found; t++) {
      const v = Array.from({ length: 3 }, () => next() * 2 - 1);
      const e = encode('f32', v);
      if (1 - distance(e, e) / 2 > 1) found = v;
    }
    expect(found).not.toBe(null);
    await c.call('VADD', 'sc:over', 'VALUES', 3, ...found!, 'x', 'NOQUANT');
    const [, score] = (await c.value('VSIM', 'sc:over', 'VALUES', 3, ...found!, 'WITHSCORES')) as string[];
    expect(Number(score)).toBeGreaterThan(1);
    const e = encode('f32', found!);
    expect(Number(score)).toBe(1 - distance(e, e) / 2);
  });

  it('VLINKS WITHSCORES: the same distance between the two nodes, rounded to float', async () => {
    const next = rng(5150);
    for (const [opt, kind] of [['NOQUANT', 'f32'], ['Q8', 'q8'], ['BIN', 'bin']] as const) {
      const key = `sc:links:${opt}`;
      const vecs = Array.from({ length: 6 }, () => Array.from({ length: 7 }, () => next() * 2 - 1));
      for (let i = 0; i < vecs.length; i++) await c.call('VADD', key, 'VALUES', 7, ...vecs[i]!, `e${i}`, opt);
      for (let i = 0; i < vecs.length; i++) {
        const levels = (await c.value('VLINKS', key, `e${i}`, 'WITHSCORES')) as string[][];
        for (const row of levels) {
          for (let k = 0; k < row.length; k += 2) {
            const j = Number(row[k]!.slice(1));
            const want = f(1 - distance(encode(kind, vecs[i]!), encode(kind, vecs[j]!)) / 2);
            expect(Number(row[k + 1]), `${key} e${i}→e${j}`).toBe(want);
          }
        }
      }
    }
  });
});
