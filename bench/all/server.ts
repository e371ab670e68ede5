/**
 * Sections 2 and 3 of `npm run bench` (issue 20): the server over the network. One workload,
 * written against an Endpoint, so that vsetd (started here through bench/harness.ts) and any
 * other Redis-protocol server (`--against redis://host:port`) go through the same load
 * generator (bench/server/load.ts, via bench/server/cells.ts) and the same commands:
 *
 *  - pipelined FP32 VADD (Q8, M 16, EF 200) at 128 and 1024 dims: VADD/s and the server's CPU per
 *    VADD from INFO cpu;
 *  - VSIM COUNT 10 throughput and p50/p99 at 1/8/32/128 connections (and 1/8 at 1024 dims); for
 *    vsetd at search threads 0/1/2, restarted from a snapshot, in a shuffled order per round
 *    (rule d);
 *  - FT.SEARCH "*=>[KNN 10 @v $B]" over hashes (FT.CREATE … HNSW, HSET);
 *  - many small sets (bench/sets/workload.ts);
 *  - snapshot SAVE and the load on restart against size (bench/persistence/snapshot.ts; vsetd only:
 *    the runner cannot restart a server it did not start).
 *
 * Against another server every key carries a prefix unique to this run and is deleted at the
 * end; nothing is flushed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clustered } from '../engine/datasets.js';
import { pipelined, ReplyCounter, resp, startServer, stopServer } from '../harness.js';
import { connectTo, type Endpoint } from '../net.js';
import { snapshotBench } from '../persistence/snapshot.js';
import { measureCell, serverCpu, shuffled, warmUp, type Cell } from '../server/cells.js';
import { smallSetsWorkload } from '../sets/workload.js';
import type { Progress } from '../report/progress.js';
import type { InsertFigure, ServerResult, Skip, VsimRow } from './types.js';

export interface ServerPlan {
  n128: number;
  n1024: number;
  nq: number;
  seconds: number;
  warmSeconds: number;
  rounds: number;
  threads: number[];
  conns: number[];
  conns1024: number[];
  ftN: number;
  ftConns: number[];
  smallSets: { sets: number; per: number };
  snapshotSizes: number[];
  snapshotRounds: number;
}

export function serverPlan(quick: boolean): ServerPlan {
  return quick
    ? { n128: 10_000, n1024: 2_000, nq: 500, seconds: 1.5, warmSeconds: 0.5, rounds: 2, threads: [0, 1, 2], conns: [1, 8, 32, 128], conns1024: [1, 8], ftN: 5_000, ftConns: [1, 8], smallSets: { sets: 500, per: 20 }, snapshotSizes: [5_000, 10_000, 20_000], snapshotRounds: 2 }
    : { n128: 100_000, n1024: 20_000, nq: 2_000, seconds: 5, warmSeconds: 1, rounds: 3, threads: [0, 1, 2], conns: [1, 8, 32, 128], conns1024: [1, 8], ftN: 50_000, ftConns: [1, 8, 32], smallSets: { sets: 10_000, per: 50 }, snapshotSizes: [100_000, 300_000, 1_000_000], snapshotRounds: 3 };
}

/** One command on its own connection; resolves with the whole reply (arrays included). */
export async function reply(to: Endpoint, args: Array<string | Buffer>): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connectTo(to);
    const counter = new ReplyCounter();
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      counter.feed(d);
      if (counter.replies >= 1) {
        s.end();
        resolve(Buffer.concat(chunks).toString('latin1'));
      }
    });
    s.on('error', reject);
    s.write(resp(args));
  });
}

/** A short reason from an error reply: "ERR unknown command 'VCARD'", without Redis's argument echo. */
function why(command: string, reply: string): string {
  const text = reply.replace(/^-/, '').replace(/, with args beginning with:.*$/s, '').trim();
  return `no ${command} (it answers: ${text})`;
}

/** Which of the workload's command families the server has (Redis 7 has neither). */
async function detect(to: Endpoint, prefix: string): Promise<{ vset: boolean; ft: boolean; skips: Skip[] }> {
  const skips: Skip[] = [];
  const v = await reply(to, ['VCARD', `${prefix}probe`]);
  const vset = !v.startsWith('-');
  if (!vset) skips.push({ what: 'vector-set rows (VADD, VSIM, many small sets)', why: why('VCARD', v) });
  const f = await reply(to, ['FT._LIST']);
  const ft = !f.startsWith('-');
  if (!ft) skips.push({ what: 'FT.SEARCH KNN rows', why: why('FT._LIST', f) });
  return { vset, ft, skips };
}

function blob(data: Float32Array, i: number, dim: number): Buffer {
  return Buffer.from(data.buffer, data.byteOffset + i * dim * 4, dim * 4);
}

/** Pipelined FP32 VADD as issue 20 measured it beside Redis 8: Q8, M 16, EF 200. */
async function insertRun(to: Endpoint, key: string, data: Float32Array, n: number, dim: number): Promise<InsertFigure> {
  const before = await serverCpu(to);
  const r = await pipelined(to, n, (i) => resp(['VADD', key, 'FP32', blob(data, i, dim), `e${i}`, 'Q8', 'EF', '200', 'M', '16']), 1024);
  const after = await serverCpu(to);
  return { dim, n, perSec: n / r.seconds, cpuUsPerVadd: (after.total - before.total) / n, errors: r.errors };
}

/** FT.CREATE over hashes and HSET of the vectors; waits until the index holds them all. */
async function ftLoad(to: Endpoint, prefix: string, data: Float32Array, n: number, dim: number): Promise<number> {
  const created = await reply(to, ['FT.CREATE', `${prefix}idx`, 'ON', 'HASH', 'PREFIX', '1', `${prefix}doc:`, 'SCHEMA', 'v', 'VECTOR', 'HNSW', '10', 'TYPE', 'FLOAT32', 'DIM', String(dim), 'DISTANCE_METRIC', 'COSINE', 'M', '16', 'EF_CONSTRUCTION', '200']);
  if (!created.startsWith('+OK')) throw new Error(`FT.CREATE: ${created.trim()}`);
  const r = await pipelined(to, n, (i) => resp(['HSET', `${prefix}doc:${i}`, 'v', blob(data, i, dim)]), 512);
  // Redis indexes in the background: the rate counts until the index has every document.
  for (let t = 0; t < 1200; t++) {
    const info = await reply(to, ['FT.INFO', `${prefix}idx`]);
    const m = /num_docs\r\n(?::|\$\d+\r\n)(\d+)/.exec(info);
    const indexing = /\r\nindexing\r\n(?::|\$\d+\r\n)(\d+)/.exec(info);
    if (m && Number(m[1]) >= n && (!indexing || indexing[1] === '0')) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const seconds = r.seconds;
  return n / seconds;
}

interface Ctx {
  plan: ServerPlan;
  progress: Progress;
  log: (m: string) => void;
  queryFile128: string;
  queryFile1024: string;
}

/** The VSIM cells of one configuration on a running server. */
async function vsimCells(to: Endpoint, ctx: Ctx, prefix: string, config: string, round: number, onCell: () => void): Promise<VsimRow[]> {
  const { plan } = ctx;
  const rows: VsimRow[] = [];
  const spec = (dim: number, conns: number, seconds: number): Parameters<typeof measureCell>[1] => ({
    conns,
    seconds,
    dim,
    queryFile: dim === 128 ? ctx.queryFile128 : ctx.queryFile1024,
    key: `${prefix}b${dim}`,
    count: 10,
  });
  // With a pool a lone search runs inline on the main thread: warm up that path too.
  warmUp(to, spec(128, 8, plan.warmSeconds));
  warmUp(to, spec(128, 1, plan.warmSeconds));
  for (const [dim, connsList] of [[128, plan.conns], [1024, plan.conns1024]] as const) {
    for (const conns of connsList) {
      const c = await measureCell(to, spec(dim, conns, plan.seconds));
      const pool = config !== '0' && config !== 'other';
      // Rule (d): a pool configuration at one connection takes the main-thread path; the main
      // thread's share of the CPU shows it (vsetd reports it apart; Redis does not: NaN).
      const mainShare = c.main_cpu_us_per_query / c.server_cpu_us_per_query;
      rows.push({ ...c, config, dim, round, mainThreadPath: pool && (conns === 1 || mainShare >= 0.9) });
      onCell();
    }
  }
  return rows;
}

function cellsPerConfig(plan: ServerPlan): number {
  return plan.conns.length + plan.conns1024.length;
}

/** Query vectors for the load generator, one file per dimension. */
function queryFiles(dir: string, plan: ServerPlan): { q128: string; q1024: string; d128: Float32Array; d1024: Float32Array } {
  const a = clustered('server-128', plan.n128, 128, 1000, 1.5, plan.nq, 11);
  const b = clustered('server-1024', plan.n1024, 1024, 1000, 1.5, plan.nq, 12);
  const q128 = path.join(dir, 'queries-128.f32');
  const q1024 = path.join(dir, 'queries-1024.f32');
  fs.writeFileSync(q128, Buffer.from(a.queries.buffer));
  fs.writeFileSync(q1024, Buffer.from(b.queries.buffer));
  return { q128, q1024, d128: a.data, d1024: b.data };
}

async function ftAndSmallSets(to: Endpoint, ctx: Ctx, prefix: string, features: { vset: boolean; ft: boolean }, d128: Float32Array): Promise<Pick<ServerResult, 'ft' | 'smallSets'>> {
  const { plan, progress } = ctx;
  let ft: ServerResult['ft'] = null;
  if (features.ft) {
    progress.start(`FT.SEARCH KNN: FT.CREATE, ${plan.ftN} HSET, ${plan.ftConns.length} cells`, plan.ftConns.length + 1);
    const n = Math.min(plan.ftN, plan.n128);
    const hsetPerSec = await ftLoad(to, prefix, d128, n, 128);
    progress.update(1);
    const rows: Cell[] = [];
    const spec = (conns: number, seconds: number): Parameters<typeof measureCell>[1] => ({ conns, seconds, dim: 128, queryFile: ctx.queryFile128, key: '', count: 10, ftIndex: `${prefix}idx` });
    warmUp(to, spec(8, plan.warmSeconds));
    for (const [i, conns] of plan.ftConns.entries()) {
      rows.push(await measureCell(to, spec(conns, plan.seconds)));
      progress.update(i + 2);
    }
    ft = { n, hsetPerSec, rows };
    progress.end(`${Math.round(rows[rows.length - 1]?.qps ?? 0)} q/s at ${plan.ftConns[plan.ftConns.length - 1]} conns`);
  }
  let smallSets: ServerResult['smallSets'] = null;
  if (features.vset) {
    const { sets, per } = plan.smallSets;
    progress.start(`many small sets: ${sets} × ${per} × 128, VSIM on random sets`, 1);
    const r = await smallSetsWorkload(to, { sets, per, dim: 128, seconds: plan.seconds, prefix: `${prefix}kb:` });
    smallSets = { sets, per, dim: 128, vaddPerSec: (sets * per) / r.ins.seconds, vsimQps: r.vsim.qps, errors: r.ins.errors + r.vsim.errors };
    progress.end(`${Math.round(smallSets.vaddPerSec)} VADD/s, ${Math.round(r.vsim.qps)} VSIM/s`);
  }
  return { ft, smallSets };
}

/** Sections 2: vsetd, started here. */
export async function runVsetdServer(plan: ServerPlan, progress: Progress, log: (m: string) => void): Promise<ServerResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-all-'));
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  try {
    const q = queryFiles(dir, plan);
    const ctx: Ctx = { plan, progress, log, queryFile128: q.q128, queryFile1024: q.q1024 };
    progress.start(`server inserts: pipelined VADD ${plan.n128} × 128 and ${plan.n1024} × 1024`, 2);
    let s = await startServer(data);
    const inserts = [await insertRun(s.port, 'b128', q.d128, plan.n128, 128)];
    progress.update(1);
    inserts.push(await insertRun(s.port, 'b1024', q.d1024, plan.n1024, 1024));
    const saved = await reply(s.port, ['SAVE']);
    if (!saved.startsWith('+OK')) throw new Error(`SAVE: ${saved}`);
    await stopServer(s);
    progress.end(inserts.map((x) => `${x.dim}d ${Math.round(x.perSec)}/s, ${Math.round(x.cpuUsPerVadd)} µs CPU/VADD`).join('; '));

    const vsim: VsimRow[] = [];
    const total = plan.rounds * plan.threads.length * cellsPerConfig(plan);
    progress.start(`server VSIM: ${plan.rounds} rounds × search threads ${plan.threads.join('/')} (shuffled) × ${cellsPerConfig(plan)} cells`, total);
    let done = 0;
    for (let round = 0; round < plan.rounds; round++) {
      for (const t of shuffled(plan.threads, 2000 + round)) {
        s = await startServer(data, ['--search-threads', String(t)]);
        try {
          vsim.push(...(await vsimCells(s.port, ctx, '', String(t), round, () => progress.update(++done, `round ${round + 1}, threads ${t}`))));
        } finally {
          await stopServer(s);
        }
      }
    }
    progress.end();

    const data2 = path.join(dir, 'data2');
    fs.mkdirSync(data2);
    s = await startServer(data2);
    let rest: Pick<ServerResult, 'ft' | 'smallSets'>;
    try {
      rest = await ftAndSmallSets(s.port, ctx, '', { vset: true, ft: true }, q.d128);
    } finally {
      await stopServer(s);
    }

    progress.start(`snapshot SAVE and load: ${plan.snapshotSizes.join(', ')} × 128`, plan.snapshotSizes.length);
    const snapshot = [];
    for (const [i, n] of plan.snapshotSizes.entries()) {
      snapshot.push(await snapshotBench(n, { ef: 40, rounds: plan.snapshotRounds, log }));
      progress.update(i + 1, `${n} loaded in ${snapshot[i]!.load_ms} ms`);
    }
    progress.end();
    return { server: 'vsetd', features: { vset: true, ft: true }, inserts, vsim, ...rest, snapshot, skips: [] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function parseRedisUrl(url: string): { host: string; port: number } {
  // No AUTH or TLS in the load generator: a password in the URL would be silently ignored, so it
  // is refused instead.
  if (/^rediss:|^redis:\/\/[^/]*@/.test(url)) throw new Error(`--against: no AUTH or TLS support; give redis://host:port of a server without a password (got ${url})`);
  const m = /^redis:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(url);
  if (!m) throw new Error(`--against wants redis://host:port, got ${url}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2] ?? '6379') };
}

/** Section 3: the same workload against another server; its keys are removed afterwards. */
export async function runAgainst(url: string, plan: ServerPlan, progress: Progress, log: (m: string) => void): Promise<ServerResult> {
  const to = parseRedisUrl(url);
  const prefix = `vsetd-bench:${process.pid}:`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-against-'));
  const version = /redis_version:([^\r\n]+)/.exec(await reply(to, ['INFO', 'server']))?.[1] ?? 'unknown version';
  const features = await detect(to, prefix);
  const skips: Skip[] = [...features.skips, { what: 'snapshot SAVE/load rows', why: 'the runner cannot restart a server it did not start' }];
  const result: ServerResult = { server: `${url} (redis_version ${version})`, features: { vset: features.vset, ft: features.ft }, inserts: [], vsim: [], ft: null, smallSets: null, snapshot: [], skips };
  try {
    const q = queryFiles(dir, plan);
    const ctx: Ctx = { plan, progress, log, queryFile128: q.q128, queryFile1024: q.q1024 };
    if (features.vset) {
      progress.start(`against ${url}: pipelined VADD`, 2);
      result.inserts.push(await insertRun(to, `${prefix}b128`, q.d128, plan.n128, 128));
      progress.update(1);
      result.inserts.push(await insertRun(to, `${prefix}b1024`, q.d1024, plan.n1024, 1024));
      progress.end();
      progress.start(`against ${url}: VSIM`, plan.rounds * cellsPerConfig(plan));
      let done = 0;
      for (let round = 0; round < plan.rounds; round++) result.vsim.push(...(await vsimCells(to, ctx, prefix, 'other', round, () => progress.update(++done))));
      progress.end();
    }
    Object.assign(result, await ftAndSmallSets(to, ctx, prefix, features, q.d128));
  } finally {
    await cleanUp(to, prefix, plan, features);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

async function cleanUp(to: Endpoint, prefix: string, plan: ServerPlan, f: { vset: boolean; ft: boolean }): Promise<void> {
  if (f.ft) {
    await reply(to, ['FT.DROPINDEX', `${prefix}idx`]);
    await pipelined(to, plan.ftN, (i) => resp(['DEL', `${prefix}doc:${i}`]));
  }
  if (f.vset) {
    await reply(to, ['DEL', `${prefix}b128`, `${prefix}b1024`]);
    await pipelined(to, plan.smallSets.sets, (i) => resp(['DEL', `${prefix}kb:${i}`]));
  }
}
