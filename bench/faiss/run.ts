/**
 * FAISS as a peer (issue 19): the same N × 128 clustered vectors (unit length, so inner product,
 * cosine and L2 rank alike) in FAISS — IndexFlatIP (exact) and IndexHNSWFlat M=16, through
 * Debian's python3-faiss in a child process (bench/faiss/peer.py) — and in vsetd as a vector set
 * (NOQUANT and Q8, M 16, over the network). For each: recall@10 against the exact search, queries
 * per second (FAISS one query per call and in one batch; vsetd VSIM at 1 and 8 connections),
 * build time and the memory the index added (FAISS: the child's RSS; vsetd: used_memory and the
 * server's RSS). Then the move itself: `vsetd import-faiss` of a LangChain store holding that very
 * HNSW index, timed. Without python3-faiss the FAISS rows are skipped and say so.
 *
 * Results: bench/results/faiss-<date>.json and bench/results/faiss.md.
 *
 *   npm run bench:faiss [-- --n 100000 --queries 200 --seconds 5]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { arg, command } from '../net.js';
import { pipelined, resp, startServer, stopServer, throughput, type Server } from '../harness.js';
import { Prng } from '../../src/hnsw/prng.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const N = Number(arg('n', '100000'));
const QUERIES = Number(arg('queries', '200'));
const SECONDS = Number(arg('seconds', '5'));
const DIM = 128;
const K = 10;
const EF = 100;
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Clustered unit vectors (200 Gaussian centres), as bench/ft uses: closer to text embeddings than noise. */
function vectors(n: number, seed: number): Float32Array {
  const c = new Prng(5);
  const centres = Array.from({ length: 200 }, () => Float32Array.from({ length: DIM }, () => c.gauss()));
  const p = new Prng(seed);
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const centre = centres[Math.floor(p.float() * centres.length)]!;
    let s = 0;
    for (let j = 0; j < DIM; j++) {
      const x = centre[j]! + p.gauss() / 3;
      out[i * DIM + j] = x;
      s += x * x;
    }
    const r = 1 / Math.sqrt(s);
    for (let j = 0; j < DIM; j++) out[i * DIM + j]! *= r;
  }
  return out;
}

const row = (m: Float32Array, i: number): Float32Array => m.subarray(i * DIM, (i + 1) * DIM);
const blob = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

function exactTopK(data: Float32Array, q: Float32Array): number[] {
  const top: Array<[number, number]> = [];
  for (let i = 0; i < N; i++) {
    const v = row(data, i);
    let dot = 0;
    for (let j = 0; j < DIM; j++) dot += v[j]! * q[j]!;
    if (top.length < K || dot > top[top.length - 1]![0]) {
      top.push([dot, i]);
      top.sort((a, b) => b[0] - a[0]);
      if (top.length > K) top.pop();
    }
  }
  return top.map((t) => t[1]);
}

function recall(found: number[][], truth: number[][]): number {
  let hit = 0;
  for (let q = 0; q < truth.length; q++) {
    const want = new Set(truth[q]);
    hit += found[q]!.filter((i) => want.has(i)).length;
  }
  return hit / (truth.length * K);
}

interface Row {
  engine: string;
  index: string;
  recall_at_10: number;
  qps_1: number;
  qps_many: number;
  many: string;
  build_s: number;
  memory_mb: number;
  memory_note: string;
}

interface FaissResult {
  index: string;
  ef_search: number | null;
  build_s: number;
  memory_bytes: number;
  qps_single: number;
  qps_batch: number;
  ids: number[][];
}

function runFaiss(dataFile: string, queriesFile: string, storeDir: string): { version: string; efConstruction: number; results: FaissResult[] } | string {
  const probe = spawnSync(PYTHON, ['-c', 'import faiss'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'python3-faiss is not installed (Debian package python3-faiss): the FAISS peer was skipped';
  const spec = { data: dataFile, queries: queriesFile, n: N, dim: DIM, nq: QUERIES, k: K, threads: 2, ef_construction: 200, ef_search: [16, EF], seconds: SECONDS, store_dir: storeDir };
  const r = spawnSync(PYTHON, [path.join(root, 'bench/faiss/peer.py')], { input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) return `the FAISS peer failed: ${r.stderr.slice(-500)}`;
  const out = JSON.parse(r.stdout) as { faiss: string; efConstruction: number; results: FaissResult[] };
  return { version: out.faiss, efConstruction: out.efConstruction, results: out.results };
}

async function usedMemory(port: number): Promise<number> {
  await command(port, 'MEMORY', 'PURGE');
  return Number(/used_memory:(\d+)/.exec(await command(port, 'INFO', 'memory'))?.[1] ?? 0);
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** VSIM recall and throughput on a set built by pipelined VADD with the given quantisation. */
async function vsetdRows(s: Server, data: Float32Array, queries: Float32Array, truth: number[][]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const quant of ['NOQUANT', 'Q8'] as const) {
    const key = `bench:${quant}`;
    const memBefore = await usedMemory(s.port);
    const rssBefore = rss(s.proc.pid!);
    const add = await pipelined(s.port, N, (i) => resp(['VADD', key, 'FP32', blob(row(data, i)), String(i), quant, 'M', '16']), 512);
    if (add.errors > 0) throw new Error(`VADD: ${add.firstError}`);
    const mem = (await usedMemory(s.port)) - memBefore;
    const rssDelta = rss(s.proc.pid!) - rssBefore;
    const found: number[][] = [];
    for (let q = 0; q < QUERIES; q++) {
      const text = await command(s.port, 'VSIM', key, 'FP32', blob(row(queries, q)), 'COUNT', String(K), 'EF', String(EF));
      found.push([...text.matchAll(/\$\d+\r\n(\d+)\r\n/g)].map((m) => Number(m[1])));
    }
    let qi = 0;
    const next = (): Buffer => resp(['VSIM', key, 'FP32', blob(row(queries, qi++ % QUERIES)), 'COUNT', String(K), 'EF', String(EF)]);
    const one = await throughput(s.port, 1, SECONDS, next, 1);
    const many = await throughput(s.port, 8, SECONDS, next);
    rows.push({
      engine: 'vsetd',
      index: `vector set ${quant} M 16 (VSIM EF ${EF})`,
      recall_at_10: recall(found, truth),
      qps_1: Math.round(one.qps),
      qps_many: Math.round(many.qps),
      many: '8 connections, 2 search threads',
      build_s: add.seconds,
      memory_mb: mem / 2 ** 20,
      memory_note: `used_memory; server RSS +${(rssDelta / 2 ** 20).toFixed(0)} MB`,
    });
    await command(s.port, 'DEL', key);
  }
  return rows;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-faiss-'));
  const data = vectors(N, 11);
  const queries = vectors(QUERIES, 12);
  const dataFile = path.join(dir, 'data.f32');
  const queriesFile = path.join(dir, 'queries.f32');
  fs.writeFileSync(dataFile, blob(data));
  fs.writeFileSync(queriesFile, blob(queries));
  process.stdout.write(`exact top ${K} of ${QUERIES} queries over ${N} × ${DIM} … `);
  const truth = Array.from({ length: QUERIES }, (_, q) => exactTopK(data, row(queries, q)));
  console.log('done');

  const storeDir = path.join(dir, 'store');
  process.stdout.write('FAISS (child process) … ');
  const faiss = runFaiss(dataFile, queriesFile, storeDir);
  console.log(typeof faiss === 'string' ? faiss : `faiss ${faiss.version}`);
  const rows: Row[] = [];
  if (typeof faiss !== 'string') {
    for (const r of faiss.results) {
      rows.push({
        engine: `FAISS ${faiss.version}`,
        index: r.ef_search === null ? r.index : `${r.index} (efConstruction ${faiss.efConstruction}, efSearch ${r.ef_search})`,
        recall_at_10: recall(r.ids, truth),
        qps_1: Math.round(r.qps_single),
        qps_many: Math.round(r.qps_batch),
        many: `one batch of ${QUERIES}, 2 threads`,
        build_s: r.build_s,
        memory_mb: r.memory_bytes / 2 ** 20,
        memory_note: 'process RSS',
      });
    }
  }

  const s = await startServer(dir, ['--search-threads', '2', '--appendonly', 'no']);
  let importSeconds: number | null = null;
  let importCard = 0;
  try {
    process.stdout.write('vsetd … ');
    rows.push(...(await vsetdRows(s, data, queries, truth)));
    console.log('done');
    if (typeof faiss !== 'string') {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [path.join(root, 'dist/src/main.js'), 'import-faiss', storeDir, '--url', `redis://127.0.0.1:${s.port}`, '--key', 'imported', '--quiet'], { encoding: 'utf8' });
      importSeconds = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`import-faiss failed: ${r.stderr}`);
      importCard = Number(/:(\d+)/.exec(await command(s.port, 'VCARD', 'imported'))?.[1] ?? 0);
    }
  } finally {
    await stopServer(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const machine = `${os.cpus()[0]?.model.trim() ?? 'unknown'} (${os.availableParallelism()} cores)`;
  const stamp = new Date().toISOString();
  const out = { run: stamp, machine, node: process.version, n: N, dim: DIM, queries: QUERIES, k: K, faiss: typeof faiss === 'string' ? { skipped: faiss } : { version: faiss.version }, rows, import_faiss: importSeconds === null ? null : { seconds: importSeconds, elements: importCard } };
  const resultsDir = path.join(root, 'bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, `faiss-${stamp.slice(0, 10)}.json`), JSON.stringify(out, null, 2) + '\n');
  const table = rows.map((r) => `| ${r.engine} | ${r.index} | ${r.recall_at_10.toFixed(3)} | ${r.qps_1} | ${r.qps_many} (${r.many}) | ${r.build_s.toFixed(1)} s | ${r.memory_mb.toFixed(0)} MB (${r.memory_note}) |`).join('\n');
  const md = `# FAISS beside vsetd

Run ${stamp} on **${machine}**, Node ${process.version}. Reproduce: \`npm run bench:faiss\` (\`-- --n N --queries Q --seconds S\`).
${N} × ${DIM} float32 unit vectors (200 Gaussian clusters) — the same data in both — ${QUERIES} queries, recall@10 against an exact search.
FAISS runs in a Python child process (Debian's python3-faiss) and answers in-process calls — one query per call on one thread, or
one batch on 2 OpenMP threads; vsetd answers VSIM over TCP from another process, so its queries/s include the protocol and the
network stack. Both HNSW graphs are built with M 16 and construction EF 200 (vsetd's VADD default; FAISS's own default is 40).
The machine is shared with other work while this runs (2 cores): compare rows of one run, not runs of different days.
${typeof faiss === 'string' ? `\n**${faiss}.**\n` : ''}
| engine | index | recall@10 | queries/s, one at a time | queries/s, concurrent | build | memory the index added |
|---|---|---|---|---|---|---|
${table}
${importSeconds !== null ? `\nThe move: \`vsetd import-faiss\` of a LangChain store holding that IndexHNSWFlat (${N} documents with metadata) into a Q8 vector set took ${importSeconds.toFixed(1)} s end to end (read, check, pipelined VADD, rename); ${importCard} elements arrived.\n` : ''}`;
  fs.writeFileSync(path.join(resultsDir, 'faiss.md'), md);
  console.log(md);
}

await main();
