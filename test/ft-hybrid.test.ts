/**
 * Hybrid KNN plans (issue 15): a selective TAG filter (one tenant of fifty, 2 %) is an exact
 * scan of the matching vectors, so its answer equals the exact one (recall 1); a broad filter
 * (60 % of the documents) is a filtered graph walk whose hits all match the filter, with high
 * recall on clustered data. HYBRID_POLICY forces either plan; both keep to the filter. These
 * are quality thresholds on seeded data, not timings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawConnection, RespError } from './helpers/raw.js';
import { serverForFile } from './helpers/server.js';
import { blob, clustered, exactKnn, ok, readSearch } from './helpers/ft.js';

const server = serverForFile();
const N = 6000;
const DIM = 32;
const K = 10;
const TENANTS = 50;
const data = clustered(N, DIM, 31, 40, 0.35);
const queries = clustered(30, DIM, 32, 40, 0.35);
const key = (i: number): string => `hy:${i}`;
const tenantOf = (i: number): string => `tenant${i % TENANTS}`;
/** 60 % of the documents: n < 0.6 N. */
const broad = (i: number): boolean => i < 0.6 * N;
const vectors = new Map(data.map((v, i) => [key(i), v]));
const indexOf = (k: string): number => Number(k.slice(3));

let c: RawConnection;

async function pipeline(cmds: Array<Array<string | Buffer>>): Promise<void> {
  c.write(Buffer.concat(cmds.map((a) => encodeCommand(a))));
  for (let i = 0; i < cmds.length; i++) {
    const r = await c.readReply();
    if (r.value instanceof RespError) throw new Error(r.value.message);
  }
}

beforeAll(async () => {
  c = await RawConnection.connect(server().port);
  await ok(c, 'FT.CREATE', 'hy', 'ON', 'HASH', 'PREFIX', '1', 'hy:', 'SCHEMA', 'v', 'VECTOR', 'HNSW', '6', 'TYPE', 'FLOAT32', 'DIM', String(DIM), 'DISTANCE_METRIC', 'L2', 'tenant', 'TAG', 'n', 'NUMERIC');
  for (let at = 0; at < N; at += 500) {
    const batch: Array<Array<string | Buffer>> = [];
    for (let i = at; i < Math.min(N, at + 500); i++) batch.push(['HSET', key(i), 'v', blob(data[i]!), 'tenant', tenantOf(i), 'n', String(i)]);
    await pipeline(batch);
  }
  return () => c.close();
});

/** Recall@K of `got` against the exact answer, and whether every hit passes `keep`. */
async function run(query: string, q: number[], keep: (i: number) => boolean): Promise<{ recall: number; kept: boolean; exact: boolean }> {
  const want = exactKnn(vectors, q, K, 'L2', (k) => keep(indexOf(k))).map((w) => w.key);
  const got = readSearch(await ok(c, 'FT.SEARCH', 'hy', query, 'PARAMS', '2', 'q', blob(q), 'NOCONTENT', 'DIALECT', '2'), { noContent: true }).docs.map((d) => d.id);
  const hit = got.filter((g) => want.includes(g)).length;
  return { recall: hit / want.length, kept: got.every((g) => keep(indexOf(g))), exact: JSON.stringify(got) === JSON.stringify(want) };
}

async function average(query: (t: string) => string, keep: (t: string) => (i: number) => boolean): Promise<{ recall: number; allKept: boolean; allExact: boolean }> {
  let sum = 0;
  let allKept = true;
  let allExact = true;
  for (const [qi, q] of queries.entries()) {
    const t = tenantOf(qi * 7);
    const r = await run(query(t), q, keep(t));
    sum += r.recall;
    allKept &&= r.kept;
    allExact &&= r.exact;
  }
  return { recall: sum / queries.length, allKept, allExact };
}

const tenant = (t: string) => (i: number): boolean => tenantOf(i) === t;

describe('hybrid plans on clustered data (6000 × 32, L2)', () => {
  it('a selective TAG filter (2 %) is answered exactly: recall 1.0 on every query', async () => {
    const r = await average((t) => `(@tenant:{${t}})=>[KNN ${K} @v $q]`, tenant);
    expect(r.allKept).toBe(true);
    expect(r.allExact).toBe(true);
    expect(r.recall).toBe(1);
  });

  it('a broad filter (60 %) walks the graph: only matching documents; recall ≥ 0.95 at EF_RUNTIME 100, and at the default EF_RUNTIME no worse than without a filter', async () => {
    const r = await average(() => `(@n:[-inf (${0.6 * N}])=>[KNN ${K} @v $q EF_RUNTIME 100]`, () => broad);
    expect(r.allKept).toBe(true);
    expect(r.recall).toBeGreaterThanOrEqual(0.95);
    // The graph is built with random levels, so recall at EF_RUNTIME 10 (RediSearch's default,
    // about 0.7 here without a filter) varies a little from run to run: compare like with like.
    const plain = await average(() => `*=>[KNN ${K} @v $q]`, () => () => true);
    const filtered = await average(() => `(@n:[-inf (${0.6 * N}])=>[KNN ${K} @v $q]`, () => broad);
    expect(filtered.allKept).toBe(true);
    expect(filtered.recall).toBeGreaterThanOrEqual(plain.recall - 0.02);
  });

  it('HYBRID_POLICY ADHOC_BF on the broad filter is exact; BATCHES on the selective one keeps to the filter with high recall', async () => {
    const adhoc = await average(() => `(@n:[-inf (${0.6 * N}])=>[KNN ${K} @v $q HYBRID_POLICY ADHOC_BF]`, () => broad);
    expect(adhoc.allKept).toBe(true);
    expect(adhoc.allExact).toBe(true);
    const batches = await average((t) => `(@tenant:{${t}})=>[KNN ${K} @v $q HYBRID_POLICY BATCHES]`, tenant);
    expect(batches.allKept).toBe(true);
    expect(batches.recall).toBeGreaterThanOrEqual(0.9);
  });

  it('without a filter, and with a filter of two tenants combined with a numeric range', async () => {
    const all = await average(() => `*=>[KNN ${K} @v $q EF_RUNTIME 100]`, () => () => true);
    expect(all.recall).toBeGreaterThanOrEqual(0.95);
    const mixed = await average(
      (t) => `(@tenant:{${t}|tenant49} @n:[1000 +inf])=>[KNN ${K} @v $q]`,
      (t) => (i) => (tenantOf(i) === t || tenantOf(i) === 'tenant49') && i >= 1000,
    );
    expect(mixed.allKept).toBe(true);
    expect(mixed.allExact).toBe(true);
  });
});
