/**
 * Server benchmark (issue 5): VSIM COUNT 10 throughput and p50/p99 latency at 1, 8, 32 and 128
 * connections, with the search on the main thread (--search-threads 0) and on 1, 2 … N worker
 * threads; server CPU per query from INFO cpu deltas; the scaling factor against the main thread;
 * and the hand-off cost (pool CPU per query minus main-thread CPU per query).
 *
 * The set is loaded once (pipelined VADD), saved, and every configuration restarts from that
 * snapshot. Load comes from a separate process (bench/server/load.ts).
 *
 *   npm run bench:server [-- --n 50000 --seconds 5 --rounds 5 --threads 0,1,2 --conns 1,8,32,128]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clustered } from '../engine/datasets.js';
import { arg, command, encode, freePort, pipeline } from '../net.js';
import { loadSnapshot, median, root, startServer, stopServer, waitPort } from './common.js';
import { measureCell, shuffled, warmUp, type Cell } from './cells.js';

const N = Number(arg('n', '50000'));
const DIM = 128;
const SECONDS = Number(arg('seconds', '5'));
const cores = os.availableParallelism();
const THREADS = arg('threads', [0, ...Array.from({ length: cores }, (_, i) => i + 1)].join(',')).split(',').map(Number);
const CONNS = arg('conns', '1,8,32,128').split(',').map(Number);
/** Timings on shared VMs swing by tens of percent: every cell is measured ROUNDS times, rounds interleaved, and the median is reported. */
const ROUNDS = Number(arg('rounds', '5'));
const KEY = 'bench';
/**
 * A second, tiny set for the hand-off probe: its searches cost little, so the CPU per query of the
 * pool above the main thread is the hand-off itself (dispatch, wake-up, reply return), not mixed
 * with how much slower a big search runs while another one shares the caches.
 */
const PROBE_KEY = 'probe';
const PROBE_N = 200;
const PROBE_CONNS = [8, 32, 128];

async function load(dir: string, port: number, data: Float32Array): Promise<number> {
  return loadSnapshot({ dir, port, data, n: N, dim: DIM, key: KEY, probeKey: PROBE_KEY, probeN: PROBE_N });
}

/** One cell (bench/server/cells.ts), as a row of this benchmark's table. */
async function measure(port: number, threads: number, conns: number, seconds: number, queryFile: string, key: string): Promise<Row> {
  const { requests: _requests, ...figures } = await measureCell(port, { conns, seconds, dim: DIM, queryFile, key, count: 10 });
  return { threads, ...figures };
}

/**
 * Inserts every query vector as a new element, from 8 pipelining connections, into a server
 * started from the snapshot with one search thread per core: plain VADD or VADD … CAS.
 */
async function insertRun(dir: string, port: number, vectors: Float32Array, cas: boolean): Promise<number> {
  const proc = startServer(dir, port, cores);
  await waitPort(port);
  const count = vectors.length / DIM;
  const conns = 8;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conns }, (_, c) => {
      const cmds: Buffer[] = [];
      for (let i = c; i < count; i += conns) {
        const blob = Buffer.from(vectors.buffer, vectors.byteOffset + i * DIM * 4, DIM * 4);
        cmds.push(encode(['VADD', KEY, 'FP32', blob, `new${i}`, ...(cas ? ['CAS'] : [])]));
      }
      return pipeline(port, cmds, 64);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const card = await command(port, 'VCARD', KEY);
  if (card.trim() !== `:${N + count}`) throw new Error(`after the inserts VCARD is ${card.trim()}, expected ${N + count}`);
  await stopServer(proc);
  return count / seconds;
}

/** A cell's figures (cells.ts) with the configuration that produced them. */
type Row = Omit<Cell, 'requests'> & { threads: number };

/**
 * ROUNDS rounds; in each, a server per entry of `threads` (restarted from the snapshot, warmed up
 * with a second of load at each of `warmups` connections) measured at each of `conns`. Rounds are
 * interleaved so that every configuration sees each phase of the VM, and each round takes the
 * configurations in its own shuffled order (issue 20, rule d: always 0 → 1 → 2 favoured the last,
 * warmer one). Rows by "threads/conns".
 */
async function interleavedRounds(o: {
  dir: string;
  port: number;
  queryFile: string;
  key: string;
  threads: number[];
  conns: number[];
  seconds: number;
  warmups: number[];
  label: string;
}): Promise<Map<string, Row[]>> {
  const samples = new Map<string, Row[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const threads of shuffled(o.threads, 1000 + round)) {
      const proc = startServer(o.dir, o.port, threads);
      await waitPort(o.port);
      for (const w of o.warmups) warmUp(o.port, { conns: w, seconds: 1, dim: DIM, queryFile: o.queryFile, key: o.key, count: 10 });
      for (const conns of o.conns) {
        const row = await measure(o.port, threads, conns, o.seconds, o.queryFile, o.key);
        const key = `${threads}/${conns}`;
        samples.set(key, [...(samples.get(key) ?? []), row]);
        process.stdout.write(`${o.label} ${round + 1} threads ${threads} conns ${conns}: ${row.qps} q/s, p50 ${row.p50_us} µs, p99 ${row.p99_us} µs, server CPU ${row.server_cpu_us_per_query} µs/query (main thread ${row.main_cpu_us_per_query})\n`);
      }
      await stopServer(proc);
    }
  }
  return samples;
}

async function main(): Promise<void> {
  const ds = clustered('server-bench', N, DIM, 1000, 1.5, 2000, 11);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-server-'));
  const queryFile = path.join(dir, 'queries.f32');
  fs.writeFileSync(queryFile, Buffer.from(ds.queries.buffer));
  const port = await freePort();
  process.stdout.write(`Loading ${N} × ${DIM} (Q8, M 16) …\n`);
  const loadSeconds = await load(dir, port, ds.data);
  process.stdout.write(`loaded in ${loadSeconds.toFixed(1)} s (${Math.round(N / loadSeconds)} VADD/s, pipelined)\n`);
  // Warm up JIT and page cache on every path a cell can take: with a pool, concurrent searches
  // run on the workers but a lone one runs inline on the main thread (claimInline), so warm up
  // with one connection too, or the first cell pays for the main thread's JIT.
  const samples = await interleavedRounds({ dir, port, queryFile, key: KEY, threads: THREADS, conns: CONNS, seconds: SECONDS, warmups: [8, 1], label: 'round' });
  // The hand-off probe: the tiny set, the main thread against the largest pool, rounds interleaved.
  const probeThreads = [0, Math.max(...THREADS)];
  const probe = await interleavedRounds({ dir, port, queryFile, key: PROBE_KEY, threads: probeThreads, conns: PROBE_CONNS, seconds: 3, warmups: [8], label: 'probe round' });

  // VADD against VADD CAS, rounds interleaved.
  const insertRates = { plain: [] as number[], cas: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ['plain', 'cas'] as const) {
      const rate = await insertRun(dir, port, ds.queries, mode === 'cas');
      insertRates[mode].push(rate);
      process.stdout.write(`round ${round + 1} ${mode === 'cas' ? 'VADD CAS' : 'VADD'}: ${Math.round(rate)} inserts/s\n`);
    }
  }
  const rows: Row[] = [];
  for (const threads of THREADS) {
    for (const conns of CONNS) {
      const xs = samples.get(`${threads}/${conns}`)!;
      rows.push({
        threads,
        conns,
        qps: median(xs.map((x) => x.qps)),
        p50_us: median(xs.map((x) => x.p50_us)),
        p99_us: median(xs.map((x) => x.p99_us)),
        server_cpu_us_per_query: median(xs.map((x) => x.server_cpu_us_per_query)),
        main_cpu_us_per_query: median(xs.map((x) => x.main_cpu_us_per_query)),
        loadgen_cpu_us_per_query: median(xs.map((x) => x.loadgen_cpu_us_per_query)),
        errors: xs.reduce((a, x) => a + x.errors, 0),
      });
    }
  }
  const base = (conns: number): Row | undefined => rows.find((r) => r.threads === 0 && r.conns === conns);
  /**
   * Per-round ratios against the main thread in the same round (rounds are interleaved, so both
   * sides of a ratio saw the same phase of the VM): the median and the range.
   */
  const roundRatios = (threads: number, conns: number): number[] => {
    const pool = samples.get(`${threads}/${conns}`) ?? [];
    const main = samples.get(`0/${conns}`) ?? [];
    return pool.map((x, i) => x.qps / (main[i]?.qps ?? NaN)).filter((x) => Number.isFinite(x));
  };
  const cpuModel = (os.cpus()[0]?.model ?? 'unknown').trim();
  const lines: string[] = [
    '# vsetd server benchmark',
    '',
    `Run ${new Date().toISOString()} on **${cpuModel}** (${cores} cores), Node ${process.version}. ${N} × ${DIM} clustered vectors (Q8, M 16), VSIM FP32 COUNT 10 (default EF 100), ${SECONDS} s per cell, closed-loop clients in a separate process; median of ${ROUNDS} interleaved rounds. "Hand-off" is the server CPU per query above the main-thread configuration at the same load.`,
    '',
    'Reproduce: `npm run bench:server` (options: `-- --n 50000 --seconds 5 --rounds 5 --threads 0,1,2 --conns 1,8,32,128`).',
    '',
    'The scaling column is the ratio of the median rates; the next one is the median of the per-round ratios (each against the main thread in the same round) and their range.',
    '',
    '| search threads | connections | queries/s | p50 µs | p99 µs | server CPU µs/query | of which main thread | vs main thread | per-round ratio (range) | hand-off CPU µs/query |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const b = base(r.conns);
    const scale = b && r.threads > 0 ? `${(r.qps / b.qps).toFixed(2)}×` : r.threads === 0 ? '1.00×' : '';
    const handoff = b && r.threads > 0 ? (r.server_cpu_us_per_query - b.server_cpu_us_per_query).toFixed(1) : '';
    const rr = r.threads > 0 ? roundRatios(r.threads, r.conns) : [];
    const perRound = rr.length > 0 ? `${median(rr).toFixed(2)}× (${Math.min(...rr).toFixed(2)}–${Math.max(...rr).toFixed(2)})` : '';
    // A lone search on a pool configuration runs inline on the main thread (claimInline): such a
    // row measures the main-thread path, not the pool (issue 20, rule d), and says so.
    const label = r.threads === 0 ? '0 (main thread)' : r.conns === 1 ? `${r.threads} (main-thread path: a lone search runs inline)` : String(r.threads);
    lines.push(`| ${label} | ${r.conns} | ${r.qps} | ${r.p50_us} | ${r.p99_us} | ${r.server_cpu_us_per_query} | ${r.main_cpu_us_per_query} | ${scale} | ${perRound} | ${handoff} |`);
  }
  const probeRows = PROBE_CONNS.map((conns) => {
    const cpu = (threads: number): number => median((probe.get(`${threads}/${conns}`) ?? []).map((r) => r.server_cpu_us_per_query));
    const qps = (threads: number): number => median((probe.get(`${threads}/${conns}`) ?? []).map((r) => r.qps));
    return { conns, main_cpu: cpu(0), pool_cpu: cpu(probeThreads[1]!), main_qps: qps(0), pool_qps: qps(probeThreads[1]!), handoff: Math.round((cpu(probeThreads[1]!) - cpu(0)) * 10) / 10 };
  });
  lines.push(
    '',
    `Hand-off probe: the same VSIM on a ${PROBE_N}-element set, where a search costs little, so the pool's CPU per query above the main thread's is the hand-off alone (dispatch, wake-up, reply return). With the big set that difference also holds how much slower a search runs while another shares the caches. ${probeThreads[1]} threads against the main thread, medians of ${ROUNDS} interleaved rounds of 3 s:`,
    '',
    '| connections | main thread q/s | main thread CPU µs/query | pool q/s | pool CPU µs/query | hand-off CPU µs/query |',
    '|---|---|---|---|---|---|',
    ...probeRows.map((r) => `| ${r.conns} | ${r.main_qps} | ${r.main_cpu} | ${r.pool_qps} | ${r.pool_cpu} | ${r.handoff} |`),
  );
  const plainRate = Math.round(median(insertRates.plain));
  const casRate = Math.round(median(insertRates.cas));
  lines.push(
    '',
    `Inserts of ${ds.queries.length / DIM} new elements (EF 200) from 8 pipelining connections, ${cores} search threads: VADD ${plainRate}/s, VADD CAS ${casRate}/s (${(casRate / plainRate).toFixed(2)}×).`,
    '',
    `Load: ${N} pipelined VADDs in ${loadSeconds.toFixed(1)} s (${Math.round(N / loadSeconds)}/s).`,
    '',
  );
  const resultsDir = path.join(root, 'bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'server.json'), JSON.stringify({ date: new Date().toISOString(), cpu: cpuModel, cores, node: process.version, n: N, dim: DIM, seconds: SECONDS, rounds: ROUNDS, loadSeconds, inserts: { plain_per_s: plainRate, cas_per_s: casRate, samples: insertRates }, rows, probe: { n: PROBE_N, threads: probeThreads[1], rows: probeRows, samples: Object.fromEntries(probe) }, round_ratios: Object.fromEntries(rows.filter((r) => r.threads > 0).map((r) => [`${r.threads}/${r.conns}`, roundRatios(r.threads, r.conns)])), samples: Object.fromEntries(samples) }, null, 2) + '\n');
  fs.writeFileSync(path.join(resultsDir, 'server.md'), lines.join('\n'));
  process.stdout.write('\n' + lines.join('\n') + '\n');
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
