/**
 * bench/REPORT.md from a BenchResults (issue 20): headline, targets, what was skipped and why,
 * then the engine, server and --against sections with their charts. Every table has the machine
 * line above it; the fairness rules (a)–(e) of the issue are applied here where they concern
 * presentation: the graph-alone ratio apart from the targets (a), hnswlib-node's copy cost beside
 * its QPS and subtracted (b), no ratio where both engines start above a recall level (c), and the
 * one-connection rows of pool configurations marked as the main-thread path (d).
 */
import type { BenchResults, ServerResult } from '../all/types.js';
import { label } from '../all/machine.js';
import { configName, engineQuantLabel, medianByConns, type Chart } from './charts.js';
import { subtractCallCost, type EqualRecallRow } from './ratio.js';

const f0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');
const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function ratioCell(row: EqualRecallRow | undefined): string {
  if (!row) return '—';
  if (row.kind === 'ratio') return `${f2(row.ratio)}×${row.note ? ` (${row.note})` : ''}`;
  return row.note;
}

/** Best vsetd configuration per connection count (each row says which). */
function bestVsetd(s: ServerResult, dim: number): Map<number, { config: string; qps: number; p50: number }> {
  const out = new Map<number, { config: string; qps: number; p50: number }>();
  for (const c of [...new Set(s.vsim.map((x) => x.config))]) {
    for (const p of medianByConns(s.vsim, c, dim)) {
      const cur = out.get(p.conns);
      if (!cur || p.qps > cur.qps) out.set(p.conns, { config: c, qps: p.qps, p50: p.p50 });
    }
  }
  return out;
}

/** The headline table: the same lines go into README.md's "Benchmarks" section. */
export function headline(r: BenchResults): string[] {
  const rows: string[][] = [];
  for (const dim of [128, 1024]) {
    const d = r.engine.filter((x) => x.dim === dim && x.name.startsWith('clustered-')).sort((a, b) => b.n - a.n)[0];
    if (!d) continue;
    rows.push([`engine inserts/s, ${d.name}`, f0(d.vsetd.build.insertsPerSec), `hnswlib-node ${f0(d.hnswlib.build.insertsPerSec)}`, `${f2(d.vsetd.build.insertsPerSec / d.hnswlib.build.insertsPerSec)}×`]);
    const e = d.equal.find((x) => x.recall === 0.95);
    const n = d.equalNoCopy.find((x) => x.recall === 0.95);
    if (e?.kind === 'ratio') rows.push([`engine QPS at recall@10 0.95, ${d.name}`, f0(e.aQps), `hnswlib-node ${f0(e.bQps)}`, `${f2(e.ratio)}× (copy cost subtracted: ${n?.kind === 'ratio' ? `${f2(n.ratio)}×` : '—'})`]);
    else if (e) rows.push([`engine QPS at recall@10 0.95, ${d.name}`, '—', '—', e.note]);
  }
  const s = r.server;
  const o = r.against?.result ?? null;
  if (s) {
    const best = bestVsetd(s, 128);
    const other = o ? new Map(medianByConns(o.vsim, 'other', 128).map((p) => [p.conns, p])) : null;
    for (const c of [1, 8, 128]) {
      const b = best.get(c);
      if (!b) continue;
      const ot = other?.get(c);
      rows.push([`server VSIM q/s, ${c} conn${c === 1 ? '' : 's'}, 128 dims (${configName(b.config)})`, f0(b.qps), ot ? `other ${f0(ot.qps)}` : '—', ot ? `${f2(b.qps / ot.qps)}×` : '—']);
    }
    for (const ins of s.inserts) {
      const ot = o?.inserts.find((x) => x.dim === ins.dim);
      rows.push([`server CPU µs per pipelined VADD, ${ins.dim} dims`, f0(ins.cpuUsPerVadd), ot ? `other ${f0(ot.cpuUsPerVadd)}` : '—', ot ? `${f2(ins.cpuUsPerVadd / ot.cpuUsPerVadd)}× (lower is better)` : '—']);
    }
    const big = s.snapshot[s.snapshot.length - 1];
    if (big) rows.push([`snapshot load, ${f0(big.n)} × 128`, `${f0(big.load_ms)} ms (${f0(big.load_elements_s)} elements/s)`, '—', '—']);
  }
  return table(['figure', 'vsetd', 'compared with', 'ratio'], rows);
}

function engineSection(r: BenchResults, charts: Map<string, Chart>, dirRel: string): string[] {
  const L: string[] = ['## 1. Engine in-process: vsetd against hnswlib-node', ''];
  const st = r.settings;
  L.push(
    `One thread, M ${st.m}, EF construction ${st.efConstruction}, recall@${st.k} against the exact float cosine k-NN; vsetd stores ${engineQuantLabel(r) === 'Q8' ? 'Q8' : 'float32 (NOQUANT)'}, hnswlib-node 3.0.0 float32 in its 'cosine' space. Builds: in turns of 2,000 inserts per engine, the one going first alternating, each engine's time its own turns' (both see the same moments of the machine). QPS: the best of ${st.repeats} passes over the queries per EF, taken round-robin over EF ${String(st.efs)}.`,
    '',
    "**Copy cost (rule b).** hnswlib-node's `searchKnn` copies the query array element by element into C++ on every call; measured on a 16-point index at the same dimension, it is given per dataset, and every comparison is given twice: with hnswlib-node as JavaScript calls it (cost included) and with that cost subtracted.",
    '',
    '**Equal recall (rule c).** Where both engines already exceed a recall level at their lowest EF, neither QPS is at that level: the row says so and gives no ratio.',
    '',
  );
  for (const d of r.engine) {
    const c = charts.get(d.name);
    L.push(`### ${d.name}: ${f0(d.n)} × ${d.dim}, ${d.queries} queries`, '', `_${label(r.machine, d.description)}; generator ${d.source.generator}, seed ${d.source.seed}_`, '');
    if (c) L.push(`![${c.title}](${dirRel}/${c.file})`, '');
    L.push(
      ...table(
        ['', 'vsetd', 'hnswlib-node'],
        [
          ['build', `${d.vsetd.build.seconds.toFixed(1)} s, ${f0(d.vsetd.build.insertsPerSec)} inserts/s`, `${d.hnswlib.build.seconds.toFixed(1)} s, ${f0(d.hnswlib.build.insertsPerSec)} inserts/s`],
          ['bytes/element', `${(d.vsetd.bytesPerElement.graph ?? NaN).toFixed(1)} graph, ${(d.vsetd.bytesPerElement.total ?? NaN).toFixed(1)} with names`, `~${f0(d.hnswlib.bytesPerElement.layoutEstimate ?? NaN)} by its layout`],
          ['exact scan vs float truth', `${f3(d.vsetd.quantisationCeiling ?? NaN)} (${engineQuantLabel(r)} ceiling)`, '1 (float32)'],
          ['per-call copy cost (rule b)', '—', `${d.hnswlibCallUs.toFixed(1)} µs per searchKnn`],
        ],
      ),
      '',
    );
    L.push(
      ...table(
        ['EF', 'vsetd recall@10', 'vsetd QPS', 'hnswlib recall@10', 'hnswlib QPS (as called)', 'hnswlib QPS minus copy cost'],
        d.vsetd.curve.map((a, i) => {
          const b = d.hnswlib.curve[i]!;
          return [String(a.ef), f3(a.recall), f0(a.qps), f3(b.recall), f0(b.qps), f0(subtractCallCost(b.qps, d.hnswlibCallUs))];
        }),
      ),
      '',
      'QPS at equal recall@10 (log-interpolated between EF points), vsetd / hnswlib-node:',
      '',
      ...table(
        ['recall', 'vsetd QPS', 'hnswlib QPS (as called)', 'ratio', 'ratio, copy cost subtracted'],
        d.equal.map((e, i) => [String(e.recall), e.kind === 'ratio' ? f0(e.aQps) : '—', e.kind === 'ratio' ? f0(e.bQps) : '—', ratioCell(e), ratioCell(d.equalNoCopy[i])]),
      ),
      '',
    );
  }
  L.push(
    '### Graph alone (rule a: not like for like, never in a target)',
    '',
    `vsetd's recall taken against its own exact ${engineQuantLabel(r)} scan (VSIM TRUTH) instead of the float truth: the quality of its graph with quantisation set aside, against hnswlib-node on float truth. It flatters vsetd by the quantisation loss, so it stays here, apart.`,
    '',
    `_${label(r.machine, 'the datasets above, 1 thread')}_`,
    '',
    ...table(
      ['dataset', ...(r.engine[0]?.graphAlone.map((g) => `recall ${g.recall}`) ?? [])],
      r.engine.map((d) => [d.name, ...d.graphAlone.map((g) => ratioCell(g))]),
    ),
    '',
  );
  return L;
}

function serverSection(r: BenchResults, s: ServerResult, ch: { throughput: Chart | null; load: Chart | null }, dirRel: string): string[] {
  const L: string[] = ['## 2. Server over the network', ''];
  L.push(`_${label(r.machine, `vsetd from dist/src/main.js; clustered data (1,000 clusters, seeds 11 and 12); load from a separate process (bench/server/load.ts)`)}_`, '');
  L.push(
    'Pipelined FP32 VADD (Q8, M 16, EF 200, window 1,024, one connection) into an empty set; server CPU from INFO cpu (used_cpu_user + used_cpu_sys) over the run:',
    '',
    `_${label(r.machine, 'clustered 128 and 1024 dims, seeds 11 and 12')}_`,
    '',
    ...table(['dims', 'VADDs', 'VADD/s', 'server CPU µs per VADD', 'errors'], s.inserts.map((x) => [String(x.dim), f0(x.n), f0(x.perSec), f0(x.cpuUsPerVadd), String(x.errors)])),
    '',
  );
  if (ch.throughput) L.push(`![${ch.throughput.title}](${dirRel}/${ch.throughput.file})`, '');
  const rounds = new Set(s.vsim.map((x) => x.round)).size;
  L.push(
    `VSIM FP32 COUNT 10 (default EF), closed-loop clients, ${r.settings.serverSeconds} s per cell, median of ${rounds} rounds; in each round the search-thread configurations ran in a shuffled order (rule d), each restarted from the same snapshot. "main-thread path" marks a pool configuration whose lone search ran inline on the main thread (rule d): that row measures the main thread, not the pool.`,
    '',
  );
  const rows: string[][] = [];
  for (const dim of [128, 1024]) {
    for (const c of [...new Set(s.vsim.map((x) => x.config))].sort()) {
      for (const p of medianByConns(s.vsim, c, dim)) {
        rows.push([String(dim), `${configName(c)}${p.mainThreadPath ? ' — **main-thread path**' : ''}`, String(p.conns), f0(p.qps), f0(p.p50), f0(p.p99), p.cpu.toFixed(1)]);
      }
    }
  }
  L.push(`_${label(r.machine, `clustered, ${f0(s.inserts.find((x) => x.dim === 128)?.n ?? 0)} × 128 and ${f0(s.inserts.find((x) => x.dim === 1024)?.n ?? 0)} × 1024, Q8`)}_`, '');
  L.push(...table(['dims', 'configuration', 'connections', 'queries/s', 'p50 µs', 'p99 µs', 'server CPU µs/query'], rows), '');
  const order = [...new Set(s.vsim.map((x) => `${x.round}:${x.config}`))];
  L.push(`Order the configurations ran in: ${order.map((x) => `round ${Number(x.split(':')[0]) + 1} threads ${x.split(':')[1]}`).join(', ')}.`, '');
  if (s.ft) {
    L.push(
      `FT.SEARCH \`*=>[KNN 10 @v $B]\` PARAMS 2 B <blob> DIALECT 2 over ${f0(s.ft.n)} hashes (FT.CREATE … VECTOR HNSW, FLOAT32, DIM 128, COSINE, M 16, EF_CONSTRUCTION 200); ${f0(s.ft.hsetPerSec)} HSET/s pipelined:`,
      '',
      `_${label(r.machine, `clustered, ${f0(s.ft.n)} × 128 float32 hashes`)}_`,
      '',
      ...table(['connections', 'queries/s', 'p50 µs', 'p99 µs', 'server CPU µs/query'], s.ft.rows.map((x) => [String(x.conns), f0(x.qps), f0(x.p50_us), f0(x.p99_us), x.server_cpu_us_per_query.toFixed(1)])),
      '',
    );
  }
  if (s.smallSets) {
    const m = s.smallSets;
    L.push(`Many small sets: ${f0(m.sets)} keys × ${m.per} elements × ${m.dim} dims, pipelined VADD (EF 40): ${f0(m.vaddPerSec)} VADD/s; VSIM COUNT 10 EF 100 on random keys, 8 connections: ${f0(m.vsimQps)} q/s; ${m.errors} errors.`, '');
  }
  if (s.snapshot.length) {
    if (ch.load) L.push(`![${ch.load.title}](${dirRel}/${ch.load.file})`, '');
    L.push(
      `Snapshot SAVE and restart (128-dim Q8, built with EF 40; load time from the server's log line, medians of ${r.settings.snapshotRounds} starts):`,
      '',
      `_${label(r.machine, 'clustered 128-dim Q8, seed 5')}_`,
      '',
      ...table(['elements', 'SAVE ms', 'file MB', 'load ms', 'load elements/s', 'load MB/s', 'spawn to ready ms'], s.snapshot.map((x) => [f0(x.n), f0(x.save_ms ?? NaN), String(x.file_mb), f0(x.load_ms), f0(x.load_elements_s), f0(x.load_mb_s), f0(x.ready_ms)])),
      '',
    );
  }
  return L;
}

function againstSection(r: BenchResults): string[] {
  const L: string[] = ['## 3. Against another server', ''];
  if (!r.against) {
    L.push('Skipped: no `--against redis://host:port` was given. Run `npm run bench -- --against redis://HOST:PORT` to put a Redis 8 (or any Redis-protocol server) through the same load generator and get vsetd / other ratios here.', '');
    return L;
  }
  const o = r.against.result;
  const s = r.server;
  L.push(`Other server: ${o.server}. Same load generator, same commands, same data; its keys carried a unique prefix and were deleted afterwards. vsetd's side is its best search-thread configuration per row (named). The two servers ran one after the other, not interleaved: on a shared machine a ratio holds the drift between those minutes too.`, '');
  for (const k of o.skips) L.push(`- skipped ${k.what}: ${k.why}`);
  L.push('');
  if (!s) {
    L.push('No vsetd server figures in this run (--only without server): no ratios.', '');
    return L;
  }
  const rows: string[][] = [];
  for (const ins of o.inserts) {
    const v = s.inserts.find((x) => x.dim === ins.dim);
    if (v) {
      rows.push([`VADD/s, ${ins.dim} dims`, f0(v.perSec), f0(ins.perSec), `${f2(v.perSec / ins.perSec)}×`]);
      rows.push([`server CPU µs per VADD, ${ins.dim} dims (lower is better)`, f0(v.cpuUsPerVadd), f0(ins.cpuUsPerVadd), `${f2(v.cpuUsPerVadd / ins.cpuUsPerVadd)}×`]);
    }
  }
  for (const dim of [128, 1024]) {
    const best = bestVsetd(s, dim);
    for (const p of medianByConns(o.vsim, 'other', dim)) {
      const b = best.get(p.conns);
      if (!b) continue;
      rows.push([`VSIM q/s, ${dim} dims, ${p.conns} conn${p.conns === 1 ? '' : 's'} (${configName(b.config)})`, f0(b.qps), f0(p.qps), `${f2(b.qps / p.qps)}×`]);
      rows.push([`VSIM p50 µs, ${dim} dims, ${p.conns} conn${p.conns === 1 ? '' : 's'} (lower is better)`, f0(b.p50), f0(p.p50), `${f2(b.p50 / p.p50)}×`]);
    }
  }
  if (o.ft && s.ft) {
    for (const x of o.ft.rows) {
      const v = s.ft.rows.find((y) => y.conns === x.conns);
      if (v) rows.push([`FT.SEARCH KNN q/s, ${x.conns} conn${x.conns === 1 ? '' : 's'}`, f0(v.qps), f0(x.qps), `${f2(v.qps / x.qps)}×`]);
    }
  }
  if (o.smallSets && s.smallSets) {
    rows.push(['many small sets, VADD/s', f0(s.smallSets.vaddPerSec), f0(o.smallSets.vaddPerSec), `${f2(s.smallSets.vaddPerSec / o.smallSets.vaddPerSec)}×`]);
    rows.push(['many small sets, VSIM q/s', f0(s.smallSets.vsimQps), f0(o.smallSets.vsimQps), `${f2(s.smallSets.vsimQps / o.smallSets.vsimQps)}×`]);
  }
  L.push(`_${label(r.machine, 'the server section\'s data, for both servers')}_`, '');
  L.push(...(rows.length ? table(['figure', 'vsetd', 'other', 'vsetd / other'], rows) : ['No row both servers could run.']), '');
  return L;
}

export function reportMarkdown(r: BenchResults, charts: { engine: Map<string, Chart>; bytes: Chart | null; build: Chart | null; throughput: Chart | null; load: Chart | null }, o: { chartsRel: string; jsonRel: string; jsonCommitted: boolean }): string {
  const m = r.machine;
  const L: string[] = ['# vsetd benchmark report', ''];
  if (r.quick) {
    L.push('> **Quick run** (`npm run bench -- --quick`): small sizes, few EF points and short cells, to check that the benchmark runs and what the report looks like. Its figures are not the benchmark\'s results; the full run (`npm run bench`) is.', '');
  }
  L.push(
    `Run ${r.date} on **${m.cpu}** (${m.cores} cores, ${m.memoryGiB} GiB), Node ${m.node} (V8 ${m.v8}), ${m.platform}; wall time ${(r.wallSeconds / 60).toFixed(1)} min. Command: \`${r.command}\`.${r.code !== undefined ? ` Code: ${r.code}.` : ''}`,
    '',
    `Raw figures: \`${o.jsonRel}\`${o.jsonCommitted ? '' : ' (written by the run; a quick run\'s JSON is not committed)'}. The charts are SVG files in \`bench/${o.chartsRel}/\`.`,
    '',
    '## Headline',
    '',
    `_${label(m, 'largest clustered set of each dimension in this run')}_`,
    '',
    ...headline(r),
    '',
    '## Targets (issue 20)',
    '',
    `_${label(m, 'see each note')}_`,
    '',
    ...table(['target', 'measured', 'met', 'note'], r.targets.map((t) => [t.target, t.measured, t.met === null ? 'not measured' : t.met ? 'yes' : '**no**', t.note])),
    '',
    '## Skipped',
    '',
    ...(r.skips.length ? r.skips.map((s) => `- ${s.what}: ${s.why}`) : ['Nothing.']),
    '',
  );
  if (r.engine.length) {
    L.push(...engineSection(r, charts.engine, o.chartsRel));
    if (charts.build) L.push(`![${charts.build.title}](${o.chartsRel}/${charts.build.file})`, '');
    if (charts.bytes) L.push(`![${charts.bytes.title}](${o.chartsRel}/${charts.bytes.file})`, '');
  }
  if (r.server) L.push(...serverSection(r, r.server, charts, o.chartsRel));
  L.push(...againstSection(r));
  L.push(
    '## Reproduce',
    '',
    '`npm run bench` (full: 10k/100k/1M × 128, 100k × 768, 20k × 1024, Fashion-MNIST 60k × 784 when installed; hours on two cores), `npm run bench -- --quick` (minutes), options `--against redis://host:port`, `--only engine,server,against`, `--machine NAME` (the file-name label). The ground truth is cached in bench/data under a key of the data generator\'s name and version, its seed and parameters (rule e).',
    '',
  );
  return L.join('\n');
}
