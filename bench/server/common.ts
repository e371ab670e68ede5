/**
 * What the server benchmarks share (run.ts, pool.ts): start a server on a snapshot, load a set
 * into it once, and measure one cell — closed-loop VSIM clients in a separate process
 * (load.ts) with the server's CPU over the cell from INFO cpu deltas.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { command } from '../net.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../../..');
const MAIN = path.join(root, 'dist/src/main.js');
export const LOAD = path.join(root, 'dist/bench/server/load.js');

export async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

export function infoField(info: string, field: string): number {
  const m = new RegExp(`${field}:([\\d.]+)`).exec(info);
  return m ? Number(m[1]) : NaN;
}

/** Server CPU µs so far: the whole process, and its main thread alone (the rest is the pool). */
export async function serverCpu(port: number): Promise<{ total: number; main: number }> {
  const info = await command(port, 'INFO', 'cpu');
  return {
    total: (infoField(info, 'used_cpu_user') + infoField(info, 'used_cpu_sys')) * 1e6,
    main: (infoField(info, 'used_cpu_user_main_thread') + infoField(info, 'used_cpu_sys_main_thread')) * 1e6,
  };
}

/** A server on `dir`'s snapshot with `threads` search threads; `extra` arguments after those. */
export function startServer(dir: string, port: number, threads: number, extra: string[] = []): ChildProcess {
  return spawn(process.execPath, [MAIN, '--port', String(port), '--dir', dir, '--save', '', '--search-threads', String(threads), ...extra], { stdio: 'ignore' });
}

/** Kill a server and wait until it is gone, so the next one can bind the same port. */
export async function stopServer(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGKILL');
  await gone;
}

/**
 * Loads `data` (n × dim) into `key` with pipelined VADDs, the first `probeN` vectors into
 * `probeKey` one by one, saves and stops. Returns the seconds the pipelined load took.
 */
export async function loadSnapshot(o: { dir: string; port: number; data: Float32Array; n: number; dim: number; key: string; probeKey: string; probeN: number }): Promise<number> {
  const { dir, port, data, n, dim, key } = o;
  const proc = startServer(dir, port, 0);
  await waitPort(port);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let acked = 0;
    let pending = Buffer.alloc(0);
    s.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      let i: number;
      while ((i = pending.indexOf('\r\n')) >= 0) {
        pending = pending.subarray(i + 2);
        acked++;
      }
      if (acked === n) {
        s.end();
        resolve();
      }
    });
    s.on('error', reject);
    const batch: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const blob = Buffer.from(data.buffer, i * dim * 4, dim * 4);
      const name = Buffer.from(`e${i}`);
      batch.push(Buffer.from(`*5\r\n$4\r\nVADD\r\n$${key.length}\r\n${key}\r\n$4\r\nFP32\r\n$${blob.length}\r\n`), blob, Buffer.from(`\r\n$${name.length}\r\n`), name, Buffer.from('\r\n'));
      if (batch.length >= 5000) s.write(Buffer.concat(batch.splice(0)));
    }
    s.write(Buffer.concat(batch));
  });
  const seconds = (performance.now() - t0) / 1000;
  for (let i = 0; i < o.probeN; i++) await command(port, 'VADD', o.probeKey, 'FP32', Buffer.from(data.buffer, i * dim * 4, dim * 4), `p${i}`);
  await command(port, 'SAVE');
  await stopServer(proc);
  return seconds;
}

export interface Cell {
  conns: number;
  qps: number;
  p50_us: number;
  p99_us: number;
  server_cpu_us_per_query: number;
  main_cpu_us_per_query: number;
  loadgen_cpu_us_per_query: number;
  errors: number;
}

/** Runs the load generator once (warm-ups), discarding what it reports. */
export function warm(port: number, conns: number, seconds: number, dim: number, queryFile: string, key: string): void {
  spawnSync(process.execPath, [LOAD, String(port), String(conns), String(seconds), String(dim), queryFile, key, '10']);
}

/** One cell: `conns` closed-loop clients on `key` for `seconds`, with the server's CPU over it. */
export async function measureCell(port: number, conns: number, seconds: number, dim: number, queryFile: string, key: string): Promise<Cell> {
  const before = await serverCpu(port);
  const r = spawnSync(process.execPath, [LOAD, String(port), String(conns), String(seconds), String(dim), queryFile, key, '10'], { encoding: 'utf8' });
  const after = await serverCpu(port);
  const out = JSON.parse(r.stdout.trim()) as { requests: number; qps: number; p50_us: number; p99_us: number; errors: number; cpu_us: number };
  return {
    conns,
    qps: Math.round(out.qps),
    p50_us: out.p50_us,
    p99_us: out.p99_us,
    // Two INFO calls are included in the delta; negligible against thousands of queries.
    server_cpu_us_per_query: Math.round(((after.total - before.total) / out.requests) * 10) / 10,
    main_cpu_us_per_query: Math.round(((after.main - before.main) / out.requests) * 10) / 10,
    loadgen_cpu_us_per_query: Math.round((out.cpu_us / out.requests) * 10) / 10,
    errors: out.errors,
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
