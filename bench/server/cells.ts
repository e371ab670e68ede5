/**
 * One measured cell of the server benchmark, shared by bench/server/run.ts (npm run bench:server)
 * and the unified runner bench/all (npm run bench): closed-loop clients from a separate process
 * (load.ts, so that their CPU is not counted as the server's) and the server's CPU over the run,
 * read from INFO cpu — which any Redis-protocol server answers, so the same cell runs against
 * another server too.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Prng } from '../../src/hnsw/prng.js';
import { command, type Endpoint } from '../net.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/bench/server/load.js next to this file once built. */
export const LOAD = path.join(here, 'load.js');

export interface Cell {
  conns: number;
  requests: number;
  qps: number;
  p50_us: number;
  p99_us: number;
  server_cpu_us_per_query: number;
  /** NaN where the server does not report its main thread apart (Redis). */
  main_cpu_us_per_query: number;
  loadgen_cpu_us_per_query: number;
  errors: number;
}

function infoField(info: string, field: string): number {
  const m = new RegExp(`${field}:([\\d.]+)`).exec(info);
  return m ? Number(m[1]) : NaN;
}

/** Server CPU µs so far: the whole process, and its main thread alone (the rest is the pool). */
export async function serverCpu(to: Endpoint): Promise<{ total: number; main: number }> {
  const info = await command(to, 'INFO', 'cpu');
  return {
    total: (infoField(info, 'used_cpu_user') + infoField(info, 'used_cpu_sys')) * 1e6,
    main: (infoField(info, 'used_cpu_user_main_thread') + infoField(info, 'used_cpu_sys_main_thread')) * 1e6,
  };
}

export function loadTarget(to: Endpoint): string {
  return typeof to === 'number' ? String(to) : `${to.host}:${to.port}`;
}

export interface CellSpec {
  conns: number;
  seconds: number;
  dim: number;
  queryFile: string;
  key: string;
  count: number;
  /** Query FT.SEARCH KNN on this index instead of VSIM on `key`. */
  ftIndex?: string;
}

/** Runs the load generator without measuring (JIT and cache warm-up). */
export function warmUp(to: Endpoint, s: CellSpec): void {
  const env = s.ftIndex ? { ...process.env, LOAD_FT_INDEX: s.ftIndex } : process.env;
  spawnSync(process.execPath, [LOAD, loadTarget(to), String(s.conns), String(s.seconds), String(s.dim), s.queryFile, s.key, String(s.count)], { env });
}

/** One cell: `conns` closed-loop clients for `seconds`, with the server's CPU over it. */
export async function measureCell(to: Endpoint, s: CellSpec): Promise<Cell> {
  const env = s.ftIndex ? { ...process.env, LOAD_FT_INDEX: s.ftIndex } : process.env;
  const before = await serverCpu(to);
  const r = spawnSync(process.execPath, [LOAD, loadTarget(to), String(s.conns), String(s.seconds), String(s.dim), s.queryFile, s.key, String(s.count)], { encoding: 'utf8', env });
  const after = await serverCpu(to);
  if (r.status !== 0) throw new Error(`load generator failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim()) as { requests: number; qps: number; p50_us: number; p99_us: number; errors: number; cpu_us: number };
  const per = (x: number): number => Math.round((x / Math.max(1, out.requests)) * 10) / 10;
  return {
    conns: s.conns,
    requests: out.requests,
    qps: Math.round(out.qps),
    p50_us: out.p50_us,
    p99_us: out.p99_us,
    // Two INFO calls are included in the delta; negligible against thousands of queries.
    server_cpu_us_per_query: per(after.total - before.total),
    main_cpu_us_per_query: per(after.main - before.main),
    loadgen_cpu_us_per_query: per(out.cpu_us),
    errors: out.errors,
  };
}

/**
 * A seeded shuffle (Fisher–Yates): the configurations of one round in a random but reproducible
 * order (issue 20, rule d), so that no configuration always runs first, on a cold machine, or
 * last, after the others heated it.
 */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  const rng = new Prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
