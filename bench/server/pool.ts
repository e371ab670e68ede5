/**
 * The pool decision of issue 20: today's search pool (src/server/search-pool.ts) against the same
 * batched protocol on piscina (search-pool-piscina.ts) in each of piscina's `atomics` modes, all
 * with the same search threads, in one run: VSIM throughput, p50/p99 and server CPU per query at
 * 1/8/32/128 connections, and the hand-off probe (a tiny set, where the per-task cost dominates,
 * against the main thread alone, as bench/server/run.ts measures it).
 *
 * Every round starts each configuration once, in a shuffled order, and measures its cells in a
 * shuffled order too, so that every configuration sees each phase of a shared VM; figures are
 * medians over rounds, ratios are per round against the default pool of the same round.
 * The rule: keep piscina if one of its modes is within 5 % of today's pool on throughput and on
 * CPU per query at every connection count where the pool is used (8, 32, 128; one connection runs
 * on the main thread in every configuration, search-inline-when-idle).
 *
 *   npm run bench:pool [-- --n 20000 --seconds 4 --rounds 4 --threads 2]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clustered } from '../engine/datasets.js';
import { Prng } from '../../src/hnsw/prng.js';
import { arg, freePort } from '../net.js';
import { loadSnapshot, measureCell, median, root, startServer, stopServer, waitPort, warm, type Cell } from './common.js';

const N = Number(arg('n', '20000'));
const DIM = 128;
const SECONDS = Number(arg('seconds', '4'));
const PROBE_SECONDS = Number(arg('probe-seconds', '2'));
const ROUNDS = Number(arg('rounds', '4'));
const THREADS = Number(arg('threads', '2'));
const CONNS = [1, 8, 32, 128];
const PROBE_CONNS = [8, 32, 128];
const KEY = 'bench';
const PROBE_KEY = 'probe';
const PROBE_N = 200;
/** Within this fraction of today's pool on throughput and CPU per query, piscina is kept. */
const TOLERANCE = 0.05;

interface Config {
  name: string;
  threads: number;
  args: string[];
  /** The main thread alone: measured in the probe only, as the base of the hand-off. */
  probeOnly?: boolean;
}

const CONFIGS: Config[] = [
  { name: 'native', threads: THREADS, args: ['--search-pool', 'native'] },
  ...(['sync', 'async', 'disabled'] as const).map((a) => ({ name: `piscina-${a}`, threads: THREADS, args: ['--search-pool', 'piscina', '--search-pool-piscina-atomics', a] })),
  { name: 'main-thread', threads: 0, args: [], probeOnly: true },
];
const POOLS = CONFIGS.filter((c) => !c.probeOnly);

function shuffled<T>(xs: T[], rng: Prng): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

type Samples = Map<string, Cell[]>;
const add = (m: Samples, k: string, c: Cell): void => void m.set(k, [...(m.get(k) ?? []), c]);

async function main(): Promise<void> {
  const ds = clustered('server-bench', N, DIM, 1000, 1.5, 2000, 11);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-pool-'));
  const queryFile = path.join(dir, 'queries.f32');
  fs.writeFileSync(queryFile, Buffer.from(ds.queries.buffer));
  const port = await freePort();
  process.stdout.write(`Loading ${N} × ${DIM} (Q8, M 16) …\n`);
  const loadSeconds = await loadSnapshot({ dir, port, data: ds.data, n: N, dim: DIM, key: KEY, probeKey: PROBE_KEY, probeN: PROBE_N });
  const rng = new Prng(20);
  const big: Samples = new Map();
  const probe: Samples = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const cfg of shuffled(CONFIGS, rng)) {
      const proc = startServer(dir, port, cfg.threads, cfg.args);
      await waitPort(port);
      if (!cfg.probeOnly) {
        // Both paths a cell can take: workers (8) and the main thread alone (1, claimInline).
        warm(port, 8, 1, DIM, queryFile, KEY);
        warm(port, 1, 1, DIM, queryFile, KEY);
        for (const conns of shuffled(CONNS, rng)) {
          const c = await measureCell(port, conns, SECONDS, DIM, queryFile, KEY);
          add(big, `${cfg.name}/${conns}`, c);
          process.stdout.write(`round ${round + 1} ${cfg.name} conns ${conns}: ${c.qps} q/s, p50 ${c.p50_us} µs, p99 ${c.p99_us} µs, CPU ${c.server_cpu_us_per_query} µs/query\n`);
        }
      }
      warm(port, 8, 1, DIM, queryFile, PROBE_KEY);
      for (const conns of shuffled(PROBE_CONNS, rng)) {
        const c = await measureCell(port, conns, PROBE_SECONDS, DIM, queryFile, PROBE_KEY);
        add(probe, `${cfg.name}/${conns}`, c);
        process.stdout.write(`round ${round + 1} probe ${cfg.name} conns ${conns}: ${c.qps} q/s, CPU ${c.server_cpu_us_per_query} µs/query\n`);
      }
      await stopServer(proc);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });

  // An even number of rounds gives the mean of the middle two: one decimal is plenty.
  const med = (m: Samples, k: string, f: (c: Cell) => number): number => Math.round(median((m.get(k) ?? []).map(f)) * 10) / 10;
  /** Per-round ratios of `name` against the default pool in the same round. */
  const ratios = (m: Samples, name: string, conns: number, f: (c: Cell) => number): number[] => {
    const mine = m.get(`${name}/${conns}`) ?? [];
    const base = m.get(`native/${conns}`) ?? [];
    return mine.map((c, i) => f(c) / f(base[i]!));
  };
  const qps = (c: Cell): number => c.qps;
  const cpu = (c: Cell): number => c.server_cpu_us_per_query;
  const rows = POOLS.flatMap((cfg) =>
    CONNS.map((conns) => {
      const k = `${cfg.name}/${conns}`;
      const q = ratios(big, cfg.name, conns, qps);
      const u = ratios(big, cfg.name, conns, cpu);
      return {
        pool: cfg.name,
        conns,
        main_thread_path: conns === 1,
        qps: med(big, k, qps),
        p50_us: med(big, k, (c) => c.p50_us),
        p99_us: med(big, k, (c) => c.p99_us),
        server_cpu_us_per_query: med(big, k, cpu),
        qps_ratio: Math.round(median(q) * 1000) / 1000,
        qps_ratio_range: [Math.min(...q), Math.max(...q)].map((x) => Math.round(x * 1000) / 1000),
        cpu_ratio: Math.round(median(u) * 1000) / 1000,
        cpu_ratio_range: [Math.min(...u), Math.max(...u)].map((x) => Math.round(x * 1000) / 1000),
        errors: (big.get(k) ?? []).reduce((a, c) => a + c.errors, 0),
      };
    }),
  );
  const probeRows = POOLS.flatMap((cfg) =>
    PROBE_CONNS.map((conns) => {
      const k = `${cfg.name}/${conns}`;
      const base = med(probe, `main-thread/${conns}`, cpu);
      return {
        pool: cfg.name,
        conns,
        qps: med(probe, k, qps),
        server_cpu_us_per_query: med(probe, k, cpu),
        main_thread_cpu_us_per_query: base,
        handoff_cpu_us_per_query: Math.round((med(probe, k, cpu) - base) * 10) / 10,
        qps_ratio: Math.round(median(ratios(probe, cfg.name, conns, qps)) * 1000) / 1000,
        cpu_ratio: Math.round(median(ratios(probe, cfg.name, conns, cpu)) * 1000) / 1000,
      };
    }),
  );
  const verdicts = POOLS.filter((c) => c.name !== 'native').map((cfg) => {
    const cells = rows.filter((r) => r.pool === cfg.name && !r.main_thread_path);
    const within = cells.every((r) => r.qps_ratio >= 1 - TOLERANCE && r.cpu_ratio <= 1 + TOLERANCE);
    return { pool: cfg.name, within, worst_qps_ratio: Math.min(...cells.map((r) => r.qps_ratio)), worst_cpu_ratio: Math.max(...cells.map((r) => r.cpu_ratio)) };
  });
  const keep = verdicts.filter((v) => v.within).sort((a, b) => b.worst_qps_ratio - a.worst_qps_ratio)[0];
  const decision = keep ? `piscina (${keep.pool}) is within ${TOLERANCE * 100} %: make it the default` : `no piscina mode is within ${TOLERANCE * 100} % on both: keep today's pool as the default`;

  const cpuModel = (os.cpus()[0]?.model ?? 'unknown').trim();
  const piscinaVersion = (JSON.parse(fs.readFileSync(path.join(root, 'node_modules/piscina/package.json'), 'utf8')) as { version: string }).version;
  const header = `Run ${new Date().toISOString()} on **${cpuModel}** (${os.availableParallelism()} cores), Node ${process.version}, piscina ${piscinaVersion}. ${N} × ${DIM} clustered vectors (Q8, M 16), VSIM FP32 COUNT 10 (default EF 100), ${THREADS} search threads in every pool, ${SECONDS} s per cell, closed-loop clients in a separate process (bench/server/load.ts). ${ROUNDS} rounds; in each the configurations start in a shuffled order and measure their cells in a shuffled order. Figures are medians over the rounds; ratios are the median of per-round ratios against today's pool in the same round (range in brackets).`;
  const lines = [
    '# Search pool: today\'s pool against piscina',
    '',
    header,
    '',
    `Decision rule (issue 20): keep piscina if it is within ${TOLERANCE * 100} % of today's pool on throughput AND on server CPU per query, at every connection count where the pool runs (8, 32, 128); otherwise keep today's pool. One connection runs on the main thread in every configuration (search-inline-when-idle: a lone search is not handed off), so its row compares the same code path and is labelled as such.`,
    '',
    'Reproduce: `npm run bench:pool` (options: `-- --n 20000 --seconds 4 --rounds 4 --threads 2`).',
    '',
    '| pool | connections | queries/s | p50 µs | p99 µs | server CPU µs/query | q/s vs today (range) | CPU vs today (range) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.pool} | ${r.conns}${r.main_thread_path ? ' (main-thread path)' : ''} | ${r.qps} | ${r.p50_us} | ${r.p99_us} | ${r.server_cpu_us_per_query} | ${r.qps_ratio.toFixed(3)}× (${r.qps_ratio_range.map((x) => x.toFixed(2)).join('–')}) | ${r.cpu_ratio.toFixed(3)}× (${r.cpu_ratio_range.map((x) => x.toFixed(2)).join('–')}) |`),
    '',
    `Hand-off probe: the same VSIM on a ${PROBE_N}-element set, where a search costs little, so the CPU per query above the main thread alone (search-threads 0, same rounds) is the hand-off (dispatch, wake-up, reply return). ${PROBE_SECONDS} s per cell.`,
    '',
    '| pool | connections | queries/s | server CPU µs/query | main thread alone µs/query | hand-off µs/query | q/s vs today | CPU vs today |',
    '|---|---|---|---|---|---|---|---|',
    ...probeRows.map((r) => `| ${r.pool} | ${r.conns} | ${r.qps} | ${r.server_cpu_us_per_query} | ${r.main_thread_cpu_us_per_query} | ${r.handoff_cpu_us_per_query} | ${r.qps_ratio.toFixed(3)}× | ${r.cpu_ratio.toFixed(3)}× |`),
    '',
    '| piscina mode | worst q/s ratio (8–128 conns) | worst CPU ratio (8–128 conns) | within 5 % on both |',
    '|---|---|---|---|',
    ...verdicts.map((v) => `| ${v.pool} | ${v.worst_qps_ratio.toFixed(3)}× | ${v.worst_cpu_ratio.toFixed(3)}× | ${v.within ? 'yes' : 'no'} |`),
    '',
    `**Decision: ${decision}.**`,
    '',
  ];
  const resultsDir = path.join(root, 'bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(
    path.join(resultsDir, 'pool.json'),
    JSON.stringify({ date: new Date().toISOString(), cpu: cpuModel, cores: os.availableParallelism(), node: process.version, piscina: piscinaVersion, n: N, dim: DIM, threads: THREADS, seconds: SECONDS, probe_seconds: PROBE_SECONDS, rounds: ROUNDS, load_seconds: loadSeconds, tolerance: TOLERANCE, rows, probe: probeRows, verdicts, decision, samples: Object.fromEntries(big), probe_samples: Object.fromEntries(probe) }, null, 2) + '\n',
  );
  fs.writeFileSync(path.join(resultsDir, 'pool.md'), lines.join('\n'));
  process.stdout.write('\n' + lines.join('\n') + '\n');
}

await main();
