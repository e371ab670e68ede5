/**
 * Section 1 of `npm run bench` (issue 20): vsetd's engine against hnswlib-node in-process, through
 * bench/engine/core.ts (the code of `npm run bench:engine`), over the sizes of the chosen mode;
 * then the fairness figures: hnswlib-node's per-call copy cost (rule b), equal-recall rows that
 * say when both engines start above the level (rule c), and the graph-alone ratio apart (rule a).
 */
import { clustered, fashionAvailable, fashionMnist, type Dataset } from '../engine/datasets.js';
import { gc, hnswlibCallCost, runDataset, type EngineOptions } from '../engine/core.js';
import { equalRecallRows, subtractCallCost } from '../report/ratio.js';
import type { Progress } from '../report/progress.js';
import type { EngineDataset, Skip } from './types.js';

export const K = 10;
export const M = 16;
export const EF_CONSTRUCTION = 200;
/** The fixed EF at which the insert targets compare recall. */
export const TARGET_EF = 100;
export const RECALL_LEVELS = [0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99];

interface Plan {
  make: () => Dataset;
  label: string;
  /** Elements (for --max-n). */
  n: number;
}

/** The datasets of a mode, built lazily (a 1M × 128 set is half a gigabyte of floats). */
export function enginePlan(quick: boolean): { plans: Plan[]; skips: Skip[] } {
  const c = (name: string, n: number, dim: number, nq: number, seed: number): Plan => ({
    label: name,
    n,
    make: () => clustered(name, n, dim, 1000, 1.5, nq, seed),
  });
  const plans: Plan[] = quick
    ? [c('clustered-10k-128', 10_000, 128, 200, 7), c('clustered-3k-768', 3_000, 768, 200, 8), c('clustered-5k-1024', 5_000, 1024, 200, 9)]
    : [
        c('clustered-10k-128', 10_000, 128, 1000, 7),
        c('clustered-100k-128', 100_000, 128, 1000, 7),
        c('clustered-1M-128', 1_000_000, 128, 1000, 7),
        c('clustered-100k-768', 100_000, 768, 1000, 8),
        c('clustered-20k-1024', 20_000, 1024, 1000, 9),
      ];
  const skips: Skip[] = [];
  if (fashionAvailable()) {
    const n = quick ? 10_000 : 60_000;
    plans.push({ label: `fashion-mnist-${n / 1000}k-784`, n, make: () => fashionMnist(n, quick ? 200 : 1000) });
  } else {
    skips.push({
      what: 'Fashion-MNIST 60k × 784 (engine section)',
      why: "Debian's dataset-fashion-mnist is not installed (/usr/share/datasets/fashion-mnist missing); apt-get install -y dataset-fashion-mnist",
    });
  }
  return { plans, skips };
}

export function runEngineSection(
  quick: boolean,
  cacheDir: string,
  progress: Progress,
  log: (m: string) => void,
  only: readonly string[] = [],
  maxN = 0,
  quant: 'q8' | 'noquant' = 'q8',
): { datasets: EngineDataset[]; skips: Skip[]; settings: Record<string, number | string | number[]> } {
  const planned = enginePlan(quick);
  const skips = planned.skips;
  if (maxN > 0) {
    for (const p of planned.plans) if (p.n > maxN) skips.push({ what: `engine dataset ${p.label}`, why: `--max-n ${maxN} leaves it out` });
    planned.plans = planned.plans.filter((p) => p.n <= maxN);
  }
  // --datasets NAME,…: some of the plan's datasets (e.g. the two of the insert targets without
  // the hours a 1M-element build takes here); the others are listed as skipped.
  const plans = only.length === 0 ? planned.plans : planned.plans.filter((p) => only.includes(p.label));
  if (only.length > 0) {
    const unknown = only.filter((n) => !planned.plans.some((p) => p.label === n));
    if (unknown.length > 0) throw new Error(`--datasets: no dataset ${unknown.join(', ')} (have ${planned.plans.map((p) => p.label).join(', ')})`);
    for (const p of planned.plans) if (!only.includes(p.label)) skips.push({ what: `engine dataset ${p.label}`, why: '--datasets leaves it out' });
  }
  const efs = quick ? [10, 20, 40, 100, 200] : [10, 20, 40, 50, 80, 100, 150, 200, 300, 400, 500];
  // Three passes even in quick mode: with two, one busy moment on a shared machine bends a curve.
  const repeats = quick ? 3 : 5;
  const copyCost = new Map<number, number>();
  const out: EngineDataset[] = [];
  for (const [i, plan] of plans.entries()) {
    const ds = plan.make();
    const phase = `engine ${i + 1}/${plans.length}: ${plan.label}`;
    progress.start(phase, 2 * ds.n);
    const opts: EngineOptions = {
      k: K,
      m: M,
      efConstruction: EF_CONSTRUCTION,
      efs,
      defaultEf: TARGET_EF,
      recallLevels: RECALL_LEVELS,
      repeats,
      // The delete phases are bench:engine's; the unified run spends its minutes on the curves.
      deletePhases: [],
      cacheDir,
      quant,
      log,
      // hnswlib builds first, then vsetd (core.ts runDataset): one bar over both builds.
      onInsert: (engine, done, total) => progress.update(engine === 'hnswlib' ? done : total + done, `${engine} inserts ${done}/${total}`),
    };
    const r = runDataset(ds, opts);
    if (!copyCost.has(ds.dim)) copyCost.set(ds.dim, hnswlibCallCost(ds.dim, K));
    const cost = copyCost.get(ds.dim)!;
    const names: [string, string] = ['vsetd', 'hnswlib'];
    const noCopy = r.hnswlib.curve.map((p) => ({ ...p, qps: subtractCallCost(p.qps, cost) }));
    const graph = r.vsetd.curve.map((p) => ({ ef: p.ef, recall: p.recallVsOwnExact ?? p.recall, qps: p.qps }));
    out.push({
      ...r,
      source: ds.source,
      hnswlibCallUs: cost,
      equal: equalRecallRows(r.vsetd.curve, r.hnswlib.curve, RECALL_LEVELS, names),
      equalNoCopy: equalRecallRows(r.vsetd.curve, noCopy, RECALL_LEVELS, names),
      graphAlone: equalRecallRows(graph, r.hnswlib.curve, RECALL_LEVELS, names),
    });
    progress.end(`vsetd ${Math.round(r.vsetd.build.insertsPerSec)}/s, hnswlib ${Math.round(r.hnswlib.build.insertsPerSec)}/s inserts`);
    gc();
  }
  return { datasets: out, skips, settings: { efs, repeats, k: K, m: M, efConstruction: EF_CONSTRUCTION, targetEf: TARGET_EF, engineQuant: quant } };
}
