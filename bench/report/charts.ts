/**
 * The report's charts, from a BenchResults (bench/all/types.ts): which figures go in which chart.
 * Drawing is svg.ts's; every chart's caption carries machine, cores, Node and the data.
 */
import type { BenchResults, EngineDataset, ServerResult, VsimRow } from '../all/types.js';
import { label } from '../all/machine.js';
import { median } from '../server/cells.js';
import { subtractCallCost } from './ratio.js';
import { barChart, lineChart, type Series } from './svg.js';

export interface Chart {
  /** File name under the charts folder. */
  file: string;
  title: string;
  svg: string;
}

/** How the run stored vsetd's engine sets (npm run bench --engine-quant): Q8 unless it says NOQUANT. */
export function engineQuantLabel(r: BenchResults): string {
  return r.settings.engineQuant === 'noquant' ? 'NOQUANT' : 'Q8';
}

export function recallQpsChart(r: BenchResults, d: EngineDataset): Chart {
  const title = `recall@10 vs queries/s, ${d.name} (${d.n.toLocaleString('en-US')} × ${d.dim})`;
  const pts = (curve: { ef: number; recall: number; qps: number }[], f: (q: number) => number = (q) => q) =>
    curve.map((p) => ({ x: p.recall, y: f(p.qps), label: `ef${p.ef}` }));
  const series: Series[] = [
    { name: `vsetd (${engineQuantLabel(r)})`, points: pts(d.vsetd.curve) },
    { name: 'hnswlib-node (float32), as called from JS', points: pts(d.hnswlib.curve) },
    { name: `hnswlib-node minus its ${d.hnswlibCallUs.toFixed(1)} µs/query copy cost`, points: pts(d.hnswlib.curve, (q) => subtractCallCost(q, d.hnswlibCallUs)), dashed: true },
  ];
  const svg = lineChart({
    title,
    caption: label(r.machine, `${d.queries} queries, 1 thread, M 16, EFC 200${r.quick ? ', quick run' : ''}`),
    xLabel: 'recall@10',
    yLabel: 'queries/s (log)',
    yLog: true,
    series,
  });
  return { file: `engine-${d.name}.svg`, title, svg };
}

export function bytesChart(r: BenchResults): Chart {
  const title = 'bytes per element (in-process, M 16)';
  const cats = r.engine.map((d) => `${d.name.replace(/^clustered-/, '')}`);
  const svg = barChart({
    title,
    caption: label(r.machine, `clustered data${r.engine.some((d) => d.name.startsWith('fashion')) ? ' and Fashion-MNIST' : ''}${r.quick ? ', quick run' : ''}`),
    yLabel: 'bytes per element',
    categories: cats,
    series: [
      { name: 'vsetd graph (vectors + links + nodes)', values: r.engine.map((d) => d.vsetd.bytesPerElement.graph ?? null) },
      { name: 'vsetd total (incl. names, name index)', values: r.engine.map((d) => d.vsetd.bytesPerElement.total ?? null) },
      { name: 'hnswlib-node (by its layout)', values: r.engine.map((d) => d.hnswlib.bytesPerElement.layoutEstimate ?? null) },
    ],
  });
  return { file: 'engine-bytes-per-element.svg', title, svg };
}

export function buildChart(r: BenchResults): Chart {
  const title = 'build rate, inserts/s (M 16, EF construction 200, 1 thread)';
  const svg = barChart({
    title,
    caption: label(r.machine, `clustered data${r.quick ? ', quick run' : ''}`),
    yLabel: 'inserts/s',
    categories: r.engine.map((d) => d.name.replace(/^clustered-/, '')),
    series: [
      { name: 'vsetd', values: r.engine.map((d) => d.vsetd.build.insertsPerSec) },
      { name: 'hnswlib-node', values: r.engine.map((d) => d.hnswlib.build.insertsPerSec) },
    ],
  });
  return { file: 'engine-build-rate.svg', title, svg };
}

/** Median over rounds of one configuration's cells at one dimension, by connections. */
export function medianByConns(rows: VsimRow[], config: string, dim: number): Array<{ conns: number; qps: number; p50: number; p99: number; cpu: number; mainThreadPath: boolean }> {
  const conns = [...new Set(rows.filter((x) => x.config === config && x.dim === dim).map((x) => x.conns))].sort((a, b) => a - b);
  return conns.map((c) => {
    const xs = rows.filter((x) => x.config === config && x.dim === dim && x.conns === c);
    return {
      conns: c,
      qps: median(xs.map((x) => x.qps)),
      p50: median(xs.map((x) => x.p50_us)),
      p99: median(xs.map((x) => x.p99_us)),
      cpu: median(xs.map((x) => x.server_cpu_us_per_query)),
      mainThreadPath: xs.some((x) => x.mainThreadPath),
    };
  });
}

export function configName(c: string): string {
  return c === 'other' ? 'other server' : c === '0' ? 'vsetd, search on main thread' : `vsetd, ${c} search thread${c === '1' ? '' : 's'}`;
}

export function throughputChart(r: BenchResults, s: ServerResult, other: ServerResult | null): Chart {
  const title = 'VSIM COUNT 10 throughput vs connections (128 dims)';
  const configs = [...new Set(s.vsim.map((x) => x.config))].sort();
  const series: Series[] = configs.map((c) => ({ name: configName(c), points: medianByConns(s.vsim, c, 128).map((p) => ({ x: p.conns, y: p.qps })) }));
  if (other && other.vsim.length > 0) series.push({ name: other.server, points: medianByConns(other.vsim, 'other', 128).map((p) => ({ x: p.conns, y: p.qps })) });
  const n = s.inserts.find((x) => x.dim === 128)?.n ?? 0;
  const svg = lineChart({
    title,
    caption: label(r.machine, `${n.toLocaleString('en-US')} × 128 clustered, Q8, closed-loop clients${r.quick ? ', quick run' : ''}`),
    xLabel: 'connections (log)',
    yLabel: 'queries/s',
    xLog: true,
    series,
  });
  return { file: 'server-vsim-throughput.svg', title, svg };
}

export function loadChart(r: BenchResults, s: ServerResult): Chart {
  const title = 'snapshot load time vs size (128-dim Q8, M 16)';
  const svg = lineChart({
    title,
    caption: label(r.machine, `clustered data, built with EF 40${r.quick ? ', quick run' : ''}`),
    xLabel: 'elements',
    yLabel: 'milliseconds',
    series: [
      { name: "load (server's log line)", points: s.snapshot.map((x) => ({ x: x.n, y: x.load_ms })) },
      { name: 'spawn to ready', points: s.snapshot.map((x) => ({ x: x.n, y: x.ready_ms })) },
      { name: 'SAVE', points: s.snapshot.filter((x) => x.save_ms !== null).map((x) => ({ x: x.n, y: x.save_ms ?? 0 })) },
    ],
  });
  return { file: 'server-snapshot-load.svg', title, svg };
}

export function allCharts(r: BenchResults): { engine: Map<string, Chart>; bytes: Chart | null; build: Chart | null; throughput: Chart | null; load: Chart | null } {
  const engine = new Map(r.engine.map((d) => [d.name, recallQpsChart(r, d)]));
  const s = r.server;
  return {
    engine,
    bytes: r.engine.length ? bytesChart(r) : null,
    build: r.engine.length ? buildChart(r) : null,
    throughput: s && s.vsim.length ? throughputChart(r, s, r.against?.result ?? null) : null,
    load: s && s.snapshot.length ? loadChart(r, s) : null,
  };
}
