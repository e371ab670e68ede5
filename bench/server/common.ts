/**
 * What the server benchmarks share (run.ts, pool.ts): start a server on a snapshot, load a set
 * into it once, and measure one cell (cells.ts: closed-loop VSIM clients in a separate process,
 * the server's CPU over the cell from INFO cpu deltas).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { command } from '../net.js';
import { measureCell as measureCellAt, warmUp, type Cell } from './cells.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../../..');
const MAIN = path.join(root, 'dist/src/main.js');

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

/** The cell measurement itself lives in cells.ts (shared with bench/all); these keep pool.ts's calls short. */
export type { Cell } from './cells.js';
export { median } from './cells.js';

/** Runs the load generator once (warm-ups), discarding what it reports. */
export function warm(port: number, conns: number, seconds: number, dim: number, queryFile: string, key: string): void {
  warmUp(port, { conns, seconds, dim, queryFile, key, count: 10 });
}

/** One cell: `conns` closed-loop VSIM clients on `key` for `seconds`, with the server's CPU over it. */
export function measureCell(port: number, conns: number, seconds: number, dim: number, queryFile: string, key: string): Promise<Cell> {
  return measureCellAt(port, { conns, seconds, dim, queryFile, key, count: 10 });
}
