// The engine benchmark's measuring code (issue 3), as functions: bench/engine/run.ts (npm run
// bench:engine) and the unified runner bench/all (npm run bench, issue 20) both call them, with
// their own sizes, EF points and repeats. See run.ts for what is measured and how.

import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type * as HnswlibTypes from 'hnswlib-node';
import { VectorSet, SearchResults, Quant } from '../../src/vset/index.js';
import { Prng } from '../../src/hnsw/prng.js';
import type { Dataset } from './datasets.js';
import { exactKnn, normalizedRows, recallAtK, truthCacheKey } from './truth.js';
import { interpolateQps } from '../report/ratio.js';

const require = createRequire(import.meta.url);
const hnswlib = require('hnswlib-node') as typeof HnswlibTypes;

export interface EngineOptions {
  k: number;
  m: number;
  efConstruction: number;
  efs: number[];
  defaultEf: number;
  recallLevels: number[];
  /** Each EF point is timed this many times; the best run counts (the machine is noisy). */
  repeats: number;
  /** Fractions deleted in turn after the curve ([] skips the delete phases). */
  deletePhases: number[];
  cacheDir: string;
  /**
   * How vsetd stores the vectors: Q8 (its default, Redis's) or NOQUANT (float32, as hnswlib-node
   * stores them: the like-for-like build, with recall that quantisation does not bound).
   */
  quant?: 'q8' | 'noquant';
  log: (msg: string) => void;
  /** Called while building: which engine, inserted so far, total. */
  onInsert?: (engine: string, done: number, total: number) => void;
}

export interface CurvePoint {
  ef: number;
  recall: number;
  qps: number;
  /** vsetd only: mean distance computations per query. */
  distancesPerQuery?: number;
  /** vsetd only: recall against its own exact (TRUTH) scan, i.e. of the graph alone. */
  recallVsOwnExact?: number;
}

export interface DeletePhase {
  deletedFraction: number;
  survivors: number;
  seconds: number;
  deletesPerSec: number;
  recallAtDefaultEf: number;
  recallVsOwnExact?: number;
  qpsAtDefaultEf: number;
  unreachable?: number;
  isolated?: number;
  validateProblems?: number;
}

export interface EngineResult {
  engine: string;
  build: { seconds: number; insertsPerSec: number };
  bytesPerElement: Record<string, number>;
  /** vsetd: recall of its exact Q8 scan against the float ground truth. */
  quantisationCeiling?: number;
  curve: CurvePoint[];
  deletes: DeletePhase[];
}

export interface DatasetResult {
  name: string;
  n: number;
  dim: number;
  queries: number;
  description: string;
  vsetd: EngineResult;
  hnswlib: EngineResult;
  /** QPS of both at equal recall@10 (log-interpolated between EF points). */
  equalRecall: { recall: number; vsetdQps: number; hnswlibQps: number; ratio: number }[];
  /** The same, with vsetd's recall taken against its own exact Q8 scan (graph quality alone). */
  equalGraphRecall: { recall: number; vsetdQps: number; hnswlibQps: number; ratio: number }[];
}

function now(): number {
  return performance.now();
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

export function groundTruth(ds: Dataset, alive: Uint8Array | null, tag: string, o: Pick<EngineOptions, 'k' | 'cacheDir' | 'log'>): Int32Array {
  const K = o.k;
  const file = path.join(o.cacheDir, truthCacheKey({ name: ds.name, generator: ds.source.generator, seed: ds.source.seed, params: ds.source.params, k: K, tag }));
  if (existsSync(file)) {
    const buf = readFileSync(file);
    if (buf.byteLength === ds.nq * K * 4) return new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }
  const t0 = now();
  const rows = normalizedRows(ds.data, ds.n, ds.dim);
  const qs = normalizedRows(ds.queries, ds.nq, ds.dim);
  const truth = exactKnn(rows, ds.n, ds.dim, qs, ds.nq, K, alive);
  mkdirSync(o.cacheDir, { recursive: true });
  writeFileSync(file, Buffer.from(truth.buffer));
  o.log(`  ground truth (${tag}) in ${((now() - t0) / 1000).toFixed(1)} s`);
  return truth;
}

function deletionOrder(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rng = new Prng(99);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Time every EF point o.repeats times, round-robin over the EF values (so that a noisy moment on a
 * shared machine does not hit one point only), and keep each point's fastest pass.
 */
function measureCurve<R extends { ms: number }>(
  o: EngineOptions,
  nq: number,
  pass: (ef: number) => R,
  point: (ef: number, r: R) => CurvePoint,
): CurvePoint[] {
  const best = new Map<number, number>();
  const last = new Map<number, R>();
  for (let rep = 0; rep < o.repeats; rep++) {
    for (const ef of o.efs) {
      const r = pass(ef);
      last.set(ef, r);
      best.set(ef, Math.min(best.get(ef) ?? Infinity, r.ms));
    }
  }
  return o.efs.map((ef) => ({ ...point(ef, last.get(ef) as R), qps: (nq / (best.get(ef) as number)) * 1000 }));
}

// ---------------------------------------------------------------------------------------------

/** Inserts each engine makes in one turn of the interleaved build. */
const BUILD_TURN = 2000;

/** Both engines' indexes, built in turns; each engine's seconds count its own turns only. */
interface Builds {
  set: VectorSet;
  names: Uint8Array[];
  slotToIdx: Int32Array;
  vsetdSec: number;
  index: HnswlibTypes.HierarchicalNSW;
  hnswlibSec: number;
}

/**
 * Build both indexes in turns of BUILD_TURN inserts, the engine that goes first alternating. One
 * engine's whole build after the other's measured each at another moment of a VM whose speed
 * moves by a tenth or more within minutes (hnswlib-node's own rate read 2,369 to 2,851/s on
 * 100k × 128 in three runs of the same code); in turns, both see the same moments.
 */
function buildBoth(ds: Dataset, o: EngineOptions): Builds {
  const { n, dim } = ds;
  const M = o.m;
  const names: Uint8Array[] = [];
  for (let i = 0; i < n; i++) names.push(Buffer.from(`e:${i}`));
  gc();
  const noquant = o.quant === 'noquant';
  const set = VectorSet.create({ dim, quant: noquant ? Quant.NoQuant : Quant.Q8, M, seed: 1 });
  const slotToIdx = new Int32Array(n * 2).fill(-1);
  const index = new hnswlib.HierarchicalNSW('cosine', dim);
  index.initIndex({ maxElements: n, m: M, efConstruction: o.efConstruction, randomSeed: 100 });
  let vsetdSec = 0;
  let hnswlibSec = 0;
  const vsetdTurn = (from: number, to: number): void => {
    const t0 = now();
    for (let i = from; i < to; i++) {
      const { node } = set.add(names[i], ds.data.subarray(i * dim, (i + 1) * dim), { ef: o.efConstruction });
      slotToIdx[node] = i;
    }
    vsetdSec += (now() - t0) / 1000;
    o.onInsert?.('vsetd', to, n);
  };
  const hnswlibTurn = (from: number, to: number): void => {
    const t0 = now();
    for (let i = from; i < to; i++) index.addPoint(Array.from(ds.data.subarray(i * dim, (i + 1) * dim)), i);
    hnswlibSec += (now() - t0) / 1000;
    o.onInsert?.('hnswlib', to, n);
  };
  for (let from = 0, turn = 0; from < n; from += BUILD_TURN, turn++) {
    const to = Math.min(n, from + BUILD_TURN);
    if (turn % 2 === 0) {
      hnswlibTurn(from, to);
      vsetdTurn(from, to);
    } else {
      vsetdTurn(from, to);
      hnswlibTurn(from, to);
    }
  }
  return { set, names, slotToIdx, vsetdSec, index, hnswlibSec };
}

function benchVsetd(ds: Dataset, truth: Int32Array, order: Int32Array, o: EngineOptions, b: Builds): EngineResult {
  const { n, dim } = ds;
  const { k: K, log } = o;
  const phases = o.deletePhases;
  const { set, names, slotToIdx } = b;
  const quantName = o.quant === 'noquant' ? 'NOQUANT' : 'Q8';
  let t0 = now();
  const buildSec = b.vsetdSec;
  const problems = set.validate();
  if (problems.length > 0) log(`  !! validate after build: ${problems.slice(0, 5).join('; ')}`);
  const bytes = {
    graph: set.graphBytes() / n,
    total: set.memoryUsage() / n,
  };
  log(`  vsetd build ${buildSec.toFixed(1)} s (${(n / buildSec).toFixed(0)}/s), ${bytes.graph.toFixed(1)} graph B/elem, ${bytes.total.toFixed(1)} total B/elem, kernel ${set.kernel}`);

  const out = new SearchResults(64);
  const queries = Array.from({ length: ds.nq }, (_, q) => ds.queries.subarray(q * dim, (q + 1) * dim));
  /** One pass over the queries at `ef`: results, milliseconds, distances per query. */
  const pass = (ef: number, truth = false): { found: Int32Array[]; ms: number; dpq: number } => {
    const found: Int32Array[] = new Array(ds.nq);
    const d0 = set.distanceCount;
    const start = now();
    for (let q = 0; q < ds.nq; q++) {
      const prepared = set.prepare(queries[q]);
      set.search(prepared, { count: K, ef, truth }, out);
      const ids = new Int32Array(out.count);
      for (let i = 0; i < out.count; i++) ids[i] = slotToIdx[out.ids[i]];
      found[q] = ids;
    }
    return { found, ms: now() - start, dpq: (set.distanceCount - d0) / ds.nq };
  };
  const runQueries = (ef: number, truth = false): { found: Int32Array[]; qps: number; dpq: number } => {
    let best = Infinity;
    let r = pass(ef, truth);
    for (let rep = 0; rep < (truth ? 1 : o.repeats); rep++) {
      r = pass(ef, truth);
      best = Math.min(best, r.ms);
    }
    return { found: r.found, qps: (ds.nq / best) * 1000, dpq: r.dpq };
  };
  // The engine's own exact answer (TRUTH: exact scan with the stored vectors' distance): recall
  // against it measures the graph alone; its recall against the float ground truth is the ceiling
  // quantisation puts on recall (about 1 for NOQUANT).
  const exactIds = (): Int32Array => {
    const r = runQueries(0, true).found;
    const flat = new Int32Array(ds.nq * K).fill(-1);
    r.forEach((ids, q) => flat.set(ids.subarray(0, K), q * K));
    return flat;
  };
  const ownExact = exactIds();
  const ceiling = recallAtK(truth, Array.from({ length: ds.nq }, (_, q) => ownExact.subarray(q * K, (q + 1) * K)), K);
  log(`  vsetd ${quantName} exact scan vs float ground truth (the quantisation ceiling): ${ceiling.toFixed(4)}`);
  pass(o.defaultEf); // warm-up (JIT)
  const curve = measureCurve(o, ds.nq, (ef) => pass(ef), (ef, r) => ({
    ef,
    recall: recallAtK(truth, r.found, K),
    recallVsOwnExact: recallAtK(ownExact, r.found, K),
    qps: 0,
    distancesPerQuery: r.dpq,
  }));
  log(`  vsetd curve: ${curve.map((p) => `ef${p.ef} ${p.recall.toFixed(3)}@${p.qps.toFixed(0)}`).join(', ')}`);

  const deletes: DeletePhase[] = [];
  const alive = new Uint8Array(n).fill(1);
  let done = 0;
  for (const fraction of phases) {
    const upto = Math.floor(n * fraction);
    t0 = now();
    for (; done < upto; done++) {
      const i = order[done];
      set.remove(names[i]);
      alive[i] = 0;
    }
    const sec = (now() - t0) / 1000;
    const stats = set.stats();
    const validateProblems = set.validate().length;
    const t = groundTruth(ds, alive, `alive${Math.round(fraction * 100)}`, o);
    const own = exactIds();
    const r = runQueries(o.defaultEf);
    const phase: DeletePhase = {
      deletedFraction: fraction,
      survivors: set.card,
      seconds: sec,
      deletesPerSec: (upto - (deletes.length ? Math.floor(n * phases[deletes.length - 1]) : 0)) / sec,
      recallAtDefaultEf: recallAtK(t, r.found, K),
      recallVsOwnExact: recallAtK(own, r.found, K),
      qpsAtDefaultEf: r.qps,
      unreachable: stats.unreachable,
      isolated: stats.isolated,
      validateProblems,
    };
    deletes.push(phase);
    log(`  vsetd after deleting ${fraction * 100}%: recall ${phase.recallAtDefaultEf.toFixed(3)}, unreachable ${stats.unreachable}, validate problems ${validateProblems}, ${phase.deletesPerSec.toFixed(0)} deletes/s`);
  }
  return {
    engine: `vsetd (${quantName}, ${set.kernel} kernels)`,
    build: { seconds: buildSec, insertsPerSec: n / buildSec },
    bytesPerElement: bytes,
    quantisationCeiling: ceiling,
    curve,
    deletes,
  };
}

function benchHnswlib(ds: Dataset, truth: Int32Array, order: Int32Array, o: EngineOptions, b: Builds): EngineResult {
  const { n, dim } = ds;
  const { k: K, m: M, log } = o;
  const phases = o.deletePhases;
  const index = b.index;
  let t0 = now();
  const buildSec = b.hnswlibSec;
  // hnswlib's own layout (hnswalg.h): level-0 block = (2M links + count) u32 + float32 vector +
  // 8-byte label; upper levels (M links + count) u32 per level (1/3 level on average at
  // mult 1/ln(M)… ≈ 1/(M-1) levels, computed below); plus element level int, link-list pointer and
  // one std::mutex per element.
  const level0 = (2 * M + 1) * 4 + dim * 4 + 8;
  const avgUpperLevels = 1 / (M - 1);
  const layout = level0 + avgUpperLevels * (M + 1) * 4 + 4 + 8 + 40;
  const bytes = { layoutEstimate: layout };
  log(`  hnswlib build ${buildSec.toFixed(1)} s (${(n / buildSec).toFixed(0)}/s), ~${layout.toFixed(0)} B/elem by layout`);

  const queries = Array.from({ length: ds.nq }, (_, q) => Array.from(ds.queries.subarray(q * dim, (q + 1) * dim)));
  const pass = (ef: number): { found: Int32Array[]; ms: number } => {
    index.setEf(ef);
    const found: Int32Array[] = new Array(ds.nq);
    const start = now();
    for (let q = 0; q < ds.nq; q++) found[q] = Int32Array.from(index.searchKnn(queries[q], K).neighbors);
    return { found, ms: now() - start };
  };
  const runQueries = (ef: number): { found: Int32Array[]; qps: number } => {
    let best = Infinity;
    let r = pass(ef);
    for (let rep = 0; rep < o.repeats; rep++) {
      r = pass(ef);
      best = Math.min(best, r.ms);
    }
    return { found: r.found, qps: (ds.nq / best) * 1000 };
  };
  pass(o.defaultEf);
  const curve = measureCurve(o, ds.nq, pass, (ef, r) => ({ ef, recall: recallAtK(truth, r.found, K), qps: 0 }));
  log(`  hnswlib curve: ${curve.map((p) => `ef${p.ef} ${p.recall.toFixed(3)}@${p.qps.toFixed(0)}`).join(', ')}`);

  const deletes: DeletePhase[] = [];
  const alive = new Uint8Array(n).fill(1);
  let done = 0;
  for (const fraction of phases) {
    const upto = Math.floor(n * fraction);
    const before = done;
    t0 = now();
    for (; done < upto; done++) {
      index.markDelete(order[done]);
      alive[order[done]] = 0;
    }
    const sec = (now() - t0) / 1000;
    const t = groundTruth(ds, alive, `alive${Math.round(fraction * 100)}`, o);
    const r = runQueries(o.defaultEf);
    deletes.push({
      deletedFraction: fraction,
      survivors: n - upto,
      seconds: sec,
      deletesPerSec: (upto - before) / sec,
      recallAtDefaultEf: recallAtK(t, r.found, K),
      qpsAtDefaultEf: r.qps,
    });
    log(`  hnswlib after markDelete of ${fraction * 100}%: recall ${deletes[deletes.length - 1].recallAtDefaultEf.toFixed(3)}`);
  }
  return {
    engine: 'hnswlib-node 3.0.0 (cosine, float32)',
    build: { seconds: buildSec, insertsPerSec: n / buildSec },
    bytesPerElement: bytes,
    curve,
    deletes,
  };
}

export function runDataset(ds: Dataset, o: EngineOptions): DatasetResult {
  const log = o.log;
  log(`\n== ${ds.name}: ${ds.n} × ${ds.dim}, ${ds.nq} queries — ${ds.description}`);
  const truth = groundTruth(ds, null, 'all', o);
  const order = deletionOrder(ds.n);
  const builds = buildBoth(ds, o);
  const hnsw = benchHnswlib(ds, truth, order, o, builds);
  gc();
  const ours = benchVsetd(ds, truth, order, o, builds);
  const equalRecall: DatasetResult['equalRecall'] = [];
  for (const r of o.recallLevels) {
    const a = interpolateQps(ours.curve, r);
    const b = interpolateQps(hnsw.curve, r);
    if (a !== null && b !== null) equalRecall.push({ recall: r, vsetdQps: a, hnswlibQps: b, ratio: a / b });
  }
  const graphCurve = ours.curve.map((p) => ({ ef: p.ef, recall: p.recallVsOwnExact ?? p.recall, qps: p.qps }));
  const equalGraphRecall: DatasetResult['equalGraphRecall'] = [];
  for (const r of o.recallLevels) {
    const a = interpolateQps(graphCurve, r);
    const b = interpolateQps(hnsw.curve, r);
    if (a !== null && b !== null) equalGraphRecall.push({ recall: r, vsetdQps: a, hnswlibQps: b, ratio: a / b });
  }
  log(`  equal recall: ${equalRecall.map((e) => `${e.recall}: ${e.ratio.toFixed(2)}×`).join(', ')}`);
  log(`  equal graph recall: ${equalGraphRecall.map((e) => `${e.recall}: ${e.ratio.toFixed(2)}×`).join(', ')}`);
  return { name: ds.name, n: ds.n, dim: ds.dim, queries: ds.nq, description: ds.description, vsetd: ours, hnswlib: hnsw, equalRecall, equalGraphRecall };
}


/**
 * Rule (b) of issue 20: hnswlib-node's searchKnn copies the query array element by element into
 * C++ on every call, a cost that grows with the dimension and is not the graph search. Measured
 * on a tiny index (16 points, so the search itself costs next to nothing): µs per call, the best
 * of 5 passes of `calls` calls.
 */
export function hnswlibCallCost(dim: number, k: number, calls = 2000): number {
  const index = new hnswlib.HierarchicalNSW('cosine', dim);
  const points = 16;
  index.initIndex({ maxElements: points, m: 16, efConstruction: 200, randomSeed: 100 });
  const rng = new Prng(3);
  const vec = (): number[] => Array.from({ length: dim }, () => rng.gauss());
  for (let i = 0; i < points; i++) index.addPoint(vec(), i);
  index.setEf(Math.max(k, 10));
  const queries = Array.from({ length: 32 }, vec);
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = now();
    for (let i = 0; i < calls; i++) index.searchKnn(queries[i & 31]!, Math.min(k, points));
    best = Math.min(best, now() - t0);
  }
  return (best * 1000) / calls;
}
