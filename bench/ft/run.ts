/**
 * Query engine benchmark (issue 15): the same N × 128 float32 vectors as hashes indexed by
 * FT.CREATE (HNSW, COSINE) and as a vector set (NOQUANT), then
 *
 *  - KNN 10 through FT.SEARCH (EF_RUNTIME 10, the engine's default, and 100) against VSIM COUNT 10
 *    (EF 100): recall@10 against an exact search computed here, and queries/s at 8 connections;
 *  - a hybrid query whose TAG filter keeps one tenant of 50 (2 %): CPU of the server per query
 *    (INFO used_cpu_user + sys, one connection, one query at a time) and recall@10 (a selective
 *    filter is an exact scan of the matching vectors: recall 1), beside VSIM … FILTER on the
 *    same selectivity.
 *
 * Results: bench/results/ft-<date>.json and bench/results/ft.md.
 *
 *   npm run bench:ft [-- --n 100000 --seconds 5 --queries 200]
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, command } from '../net.js';
import { pipelined, resp, startServer, stopServer, throughput } from '../harness.js';
import { Prng } from '../../src/hnsw/prng.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const N = Number(arg('n', '100000'));
const SECONDS = Number(arg('seconds', '5'));
const QUERIES = Number(arg('queries', '200'));
const DIM = 128;
const TENANTS = 50;

/**
 * Clustered vectors (200 Gaussian centres, points at a third of the spread around them), closer
 * to text embeddings than isotropic noise, on which no graph index finds neighbours well.
 */
function vectors(n: number, seed: number): Float32Array[] {
  const c = new Prng(5);
  const centres = Array.from({ length: 200 }, () => Float32Array.from({ length: DIM }, () => c.gauss()));
  const p = new Prng(seed);
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const centre = centres[Math.floor(p.float() * centres.length)]!;
    const v = new Float32Array(DIM);
    for (let j = 0; j < DIM; j++) v[j] = centre[j]! + p.gauss() / 3;
    out.push(v);
  }
  return out;
}

const blob = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

function norm(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const r = 1 / Math.sqrt(s);
  return v.map((x) => x * r);
}

/** Exact top-k by cosine among `ids` (`unit`: the data vectors normalised). */
function truth(unit: Float32Array[], q: Float32Array, k: number, ids: number[] | null): number[] {
  const nq = norm(q);
  const scored: Array<[number, number]> = [];
  for (const i of ids ?? unit.keys()) {
    const v = unit[i]!;
    let dot = 0;
    for (let j = 0; j < DIM; j++) dot += v[j]! * nq[j]!;
    scored.push([dot, i]);
  }
  scored.sort((a, b) => b[0] - a[0]);
  return scored.slice(0, k).map((x) => x[1]);
}

/** One command on one connection, the reply's bulk strings (enough for the replies read here). */
async function bulks(port: number, args: Array<string | Buffer>): Promise<string[]> {
  const text = await command(port, ...args);
  return [...text.matchAll(/\$\d+\r\n(doc:\d+)\r\n/g)].map((m) => m[1]!);
}

async function cpuSeconds(port: number): Promise<number> {
  const text = await command(port, 'INFO', 'cpu');
  const u = /used_cpu_user:([\d.]+)/.exec(text);
  const s = /used_cpu_sys:([\d.]+)/.exec(text);
  return Number(u?.[1] ?? 0) + Number(s?.[1] ?? 0);
}

/** Sequential queries on one connection: server CPU seconds per query. */
async function cpuPerQuery(port: number, make: (i: number) => Buffer, n: number): Promise<number> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const before = await cpuSeconds(port);
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve) => {
      let got = '';
      const on = (d: Buffer): void => {
        got += d.toString('latin1');
        // Replies here end with a bulk or an integer line; wait for quiet by counting lines crudely.
        if (got.endsWith('\r\n') && replyComplete(got)) {
          sock.off('data', on);
          resolve();
        }
      };
      sock.on('data', on);
      sock.write(make(i));
    });
  }
  const after = await cpuSeconds(port);
  sock.end();
  return (after - before) / n;
}

/** Whether a RESP2 text holds one whole reply. */
function replyComplete(s: string): boolean {
  let i = 0;
  let need = 1;
  while (need > 0) {
    const eol = s.indexOf('\r\n', i);
    if (eol < 0) return false;
    const t = s[i];
    const n = Number(s.slice(i + 1, eol));
    i = eol + 2;
    need--;
    if (t === '*' && n > 0) need += n;
    else if (t === '$' && n >= 0) {
      if (s.length < i + n + 2) return false;
      i += n + 2;
    }
  }
  return true;
}

function recall(got: string[], want: number[]): number {
  const w = new Set(want.map((i) => `doc:${i}`));
  return got.filter((g) => w.has(g)).length / Math.max(1, want.length);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-ft-'));
  const data = vectors(N, 11);
  const queries = vectors(QUERIES, 12);
  const unit = data.map(norm);
  const s = await startServer(dir, ['--search-threads', '2', '--appendonly', 'no']);
  try {
    await command(s.port, 'FT.CREATE', 'idx', 'ON', 'HASH', 'PREFIX', '1', 'doc:', 'SCHEMA', 'v', 'VECTOR', 'HNSW', '6', 'TYPE', 'FLOAT32', 'DIM', String(DIM), 'DISTANCE_METRIC', 'COSINE', 'tenant', 'TAG', 'n', 'NUMERIC');
    process.stdout.write(`FT: ${N} × ${DIM} HSET … `);
    const hset = await pipelined(s.port, N, (i) => resp(['HSET', `doc:${i}`, 'v', blob(data[i]!), 'tenant', `t${i % TENANTS}`, 'n', String(i)]), 512);
    console.log(`${Math.round(N / hset.seconds)} HSET/s (indexed as they arrive), ${hset.errors} errors`);
    process.stdout.write(`VADD … `);
    const vadd = await pipelined(s.port, N, (i) => resp(['VADD', 'vs', 'FP32', blob(data[i]!), `doc:${i}`, 'NOQUANT', 'SETATTR', `{"tenant":"t${i % TENANTS}"}`]), 512);
    console.log(`${Math.round(N / vadd.seconds)} VADD/s`);
    const info = await command(s.port, 'FT.INFO', 'idx');
    const numDocs = Number(/num_docs\r\n:(\d+)/.exec(info)?.[1] ?? -1);

    const ftKnn = (q: Float32Array, ef: number): Array<string | Buffer> => ['FT.SEARCH', 'idx', `*=>[KNN 10 @v $q EF_RUNTIME ${ef}]`, 'PARAMS', '2', 'q', blob(q), 'NOCONTENT', 'DIALECT', '2'];
    const vsim = (q: Float32Array): Array<string | Buffer> => ['VSIM', 'vs', 'FP32', blob(q), 'COUNT', '10', 'EF', '100'];
    const hybrid = (q: Float32Array, t: number): Array<string | Buffer> => ['FT.SEARCH', 'idx', `@tenant:{t${t}}=>[KNN 10 @v $q]`, 'PARAMS', '2', 'q', blob(q), 'NOCONTENT', 'DIALECT', '2'];
    const vsimFilter = (q: Float32Array, t: number): Array<string | Buffer> => ['VSIM', 'vs', 'FP32', blob(q), 'COUNT', '10', 'FILTER', `.tenant == "t${t}"`];

    let rFt10 = 0;
    let rFt100 = 0;
    let rVsim = 0;
    let rHybrid = 0;
    let rVsimFilter = 0;
    for (let i = 0; i < QUERIES; i++) {
      const q = queries[i]!;
      const t = i % TENANTS;
      const want = truth(unit, q, 10, null);
      rFt10 += recall(await bulks(s.port, ftKnn(q, 10)), want);
      rFt100 += recall(await bulks(s.port, ftKnn(q, 100)), want);
      rVsim += recall(await bulks(s.port, vsim(q)), want);
      const ids: number[] = [];
      for (let j = t; j < N; j += TENANTS) ids.push(j);
      const wantT = truth(unit, q, 10, ids);
      rHybrid += recall(await bulks(s.port, hybrid(q, t)), wantT);
      rVsimFilter += recall(await bulks(s.port, vsimFilter(q, t)), wantT);
    }
    let qi = 0;
    const next = (): Float32Array => queries[qi++ % QUERIES]!;
    const qpsFt10 = await throughput(s.port, 8, SECONDS, () => resp(ftKnn(next(), 10)));
    const qpsFt100 = await throughput(s.port, 8, SECONDS, () => resp(ftKnn(next(), 100)));
    const qpsVsim = await throughput(s.port, 8, SECONDS, () => resp(vsim(next())));
    const qpsHybrid = await throughput(s.port, 8, SECONDS, () => resp(hybrid(next(), qi % TENANTS)));
    const cpuHybrid = await cpuPerQuery(s.port, (i) => resp(hybrid(queries[i % QUERIES]!, i % TENANTS)), 500);
    const cpuVsimFilter = await cpuPerQuery(s.port, (i) => resp(vsimFilter(queries[i % QUERIES]!, i % TENANTS)), 200);
    const cpuKnn = await cpuPerQuery(s.port, (i) => resp(ftKnn(queries[i % QUERIES]!, 10)), 500);

    const machine = `${os.cpus()[0]?.model.trim() ?? 'unknown'} (${os.availableParallelism()} cores)`;
    const stamp = new Date().toISOString();
    const out = {
      run: stamp,
      machine,
      node: process.version,
      n: N,
      dim: DIM,
      num_docs: numDocs,
      hset_per_s: Math.round(N / hset.seconds),
      vadd_per_s: Math.round(N / vadd.seconds),
      recall_at_10: { ft_ef10: rFt10 / QUERIES, ft_ef100: rFt100 / QUERIES, vsim_ef100: rVsim / QUERIES, ft_hybrid_2pct: rHybrid / QUERIES, vsim_filter_2pct: rVsimFilter / QUERIES },
      qps_8_conns: { ft_ef10: Math.round(qpsFt10.qps), ft_ef100: Math.round(qpsFt100.qps), vsim_ef100: Math.round(qpsVsim.qps), ft_hybrid_2pct: Math.round(qpsHybrid.qps) },
      errors: qpsFt10.errors + qpsFt100.errors + qpsVsim.errors + qpsHybrid.errors,
      server_cpu_ms_per_query: { ft_hybrid_2pct: cpuHybrid * 1000, vsim_filter_2pct: cpuVsimFilter * 1000, ft_knn_ef10: cpuKnn * 1000 },
    };
    const resultsDir = path.join(root, 'bench/results');
    fs.mkdirSync(resultsDir, { recursive: true });
    fs.writeFileSync(path.join(resultsDir, `ft-${stamp.slice(0, 10)}.json`), JSON.stringify(out, null, 2) + '\n');
    const f = (x: number): string => x.toFixed(3);
    const md = `# vsetd query engine benchmark (FT.SEARCH KNN beside VSIM)

Run ${stamp} on **${machine}**, Node ${process.version}. Reproduce: \`npm run bench:ft\` (\`-- --n N --seconds S --queries Q\`).
${N} × ${DIM} float32 vectors (200 Gaussian clusters), as hashes under an HNSW COSINE index (num_docs ${numDocs}) and as a NOQUANT vector set;
${QUERIES} queries; recall@10 against an exact cosine search; 8 connections for queries/s; the server has 2 search threads.

| query | recall@10 | queries/s | server CPU per query |
|---|---|---|---|
| FT.SEARCH \`*=>[KNN 10 …]\` EF_RUNTIME 10 (default) | ${f(out.recall_at_10.ft_ef10)} | ${out.qps_8_conns.ft_ef10} | ${f(out.server_cpu_ms_per_query.ft_knn_ef10)} ms |
| FT.SEARCH KNN 10, EF_RUNTIME 100 | ${f(out.recall_at_10.ft_ef100)} | ${out.qps_8_conns.ft_ef100} | |
| VSIM COUNT 10 EF 100 | ${f(out.recall_at_10.vsim_ef100)} | ${out.qps_8_conns.vsim_ef100} | |
| FT.SEARCH \`@tenant:{tX}=>[KNN 10 …]\` (2 % of the documents) | ${f(out.recall_at_10.ft_hybrid_2pct)} | ${out.qps_8_conns.ft_hybrid_2pct} | ${f(out.server_cpu_ms_per_query.ft_hybrid_2pct)} ms |
| VSIM COUNT 10 FILTER '.tenant == "tX"' (2 %) | ${f(out.recall_at_10.vsim_filter_2pct)} | | ${f(out.server_cpu_ms_per_query.vsim_filter_2pct)} ms |

Inserts: ${out.hset_per_s} HSET/s indexed as they arrive, ${out.vadd_per_s} VADD/s (pipelined, one connection).
`;
    fs.writeFileSync(path.join(resultsDir, 'ft.md'), md);
    console.log(md);
  } finally {
    await stopServer(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
