/**
 * Snapshot SAVE and start-up load of one vector set of N × 128 Q8 (issue 6), as a function:
 * bench/persistence/run.ts (npm run bench:persistence) and the unified runner bench/all
 * (npm run bench, issue 20) call it with their own sizes and rounds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clustered } from '../engine/datasets.js';
import { command, freePort, pipeline } from '../net.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const MAIN = path.join(root, 'dist/src/main.js');
export const DIM = 128;

interface Running {
  proc: ChildProcess;
  port: number;
  log: () => string;
  /** From spawning the process to its "Ready to accept connections" line. */
  readyMs: number;
}

export async function start(dir: string, extra: string[]): Promise<Running> {
  const port = await freePort();
  let out = '';
  let readyAt = 0;
  const t0 = performance.now();
  const proc = spawn(process.execPath, [MAIN, '--port', String(port), '--dir', dir, '--save', '', '--search-threads', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (d: Buffer): void => {
    out += d.toString();
    if (readyAt === 0 && out.includes('Ready to accept connections')) readyAt = performance.now();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  for (;;) {
    if (readyAt !== 0) break;
    if (proc.exitCode !== null) throw new Error(`server exited: ${out}`);
    if (performance.now() - t0 > 600_000) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 5));
  }
  return { proc, port, log: () => out, readyMs: readyAt - t0 };
}

/** Spawn to ready with nothing to load (best of 3): what a start costs before any data. */
export async function emptyStartMs(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-empty-'));
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const s = await start(dir, []);
    best = Math.min(best, s.readyMs);
    s.proc.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return Math.round(best);
}

/** Sends commands pipelined on one connection; resolves when every reply has arrived. */
export function vadd(key: string, v: Float32Array, i: number, ef: number): Buffer {
  const blob = Buffer.from(v.buffer, v.byteOffset + i * DIM * 4, DIM * 4);
  const name = `e${i}`;
  const efs = String(ef);
  return Buffer.concat([
    Buffer.from(`*7\r\n$4\r\nVADD\r\n$${key.length}\r\n${key}\r\n$4\r\nFP32\r\n$${blob.length}\r\n`),
    blob,
    Buffer.from(`\r\n$${name.length}\r\n${name}\r\n$2\r\nEF\r\n$${efs.length}\r\n${efs}\r\n`),
  ]);
}

export interface SnapshotRow {
  n: number;
  build_s: number | null;
  save_ms: number | null;
  file_mb: number;
  /** Medians over the rounds. */
  load_ms: number;
  load_mb_s: number;
  load_elements_s: number;
  raw_read_mb_s: number;
  /** Median of the per-round ratios (raw read time / load time), and their range. */
  load_vs_raw: number;
  load_vs_raw_range: [number, number];
  /** Spawn to "Ready", median of the same starts. */
  ready_ms: number;
  /** Each round: raw read (best of 3 readFileSync) and load ms, spawn to ready ms. */
  rounds: Array<{ raw_ms: number; load_ms: number; ready_ms: number }>;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface SnapshotOptions {
  /** EF construction of the build (only the graph's size matters here, not its recall). */
  ef: number;
  /** Interleaved rounds of (raw read, one start). */
  rounds: number;
  /** A directory a --keep run left with this snapshot, to load instead of building it. */
  reuseDir?: string;
  keep?: boolean;
  log?: (msg: string) => void;
}

export async function snapshotBench(n: number, o: SnapshotOptions): Promise<SnapshotRow> {
  const { ef: EF, rounds: ROUNDS } = o;
  const log = o.log ?? ((msg: string): void => void process.stdout.write(`${msg}\n`));
  let dir = o.reuseDir;
  let build: number | null = null;
  let saveMs: number | null = null;
  if (dir === undefined) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-persist-'));
    const ds = clustered(`p${n}`, n, DIM, 1000, 1.5, 1, 5);
    const srv = await start(dir, []);
    const cmds: Buffer[] = [];
    for (let i = 0; i < n; i++) cmds.push(vadd('bench', ds.data, i, EF));
    build = await pipeline(srv.port, cmds);
    log(`  built ${n} in ${build.toFixed(1)} s`);
    const t0 = performance.now();
    const saved = await command(srv.port, 'SAVE');
    saveMs = performance.now() - t0;
    if (!saved.startsWith('+OK')) throw new Error(`SAVE failed: ${saved}`);
    srv.proc.kill('SIGKILL');
  }
  const file = path.join(dir, 'dump.vsdb');
  const size = fs.statSync(file).size;
  const rounds: SnapshotRow['rounds'] = [];
  for (let k = 0; k < ROUNDS; k++) {
    // Raw read rate of the same file (page cache warm, as for the load that follows).
    let raw = Infinity;
    for (let j = 0; j < 3; j++) {
      const r0 = performance.now();
      fs.readFileSync(file);
      raw = Math.min(raw, performance.now() - r0);
    }
    const s2 = await start(dir, []);
    const m = /DB loaded from disk: ([\d.]+) seconds/.exec(s2.log());
    if (!m) throw new Error(`no load line in: ${s2.log()}`);
    rounds.push({ raw_ms: Math.round(raw * 10) / 10, load_ms: Number(m[1]) * 1000, ready_ms: Math.round(s2.readyMs) });
    const card = await command(s2.port, 'VCARD', 'bench');
    if (card.trim() !== `:${n}`) throw new Error(`loaded ${card.trim()} elements, expected ${n}`);
    s2.proc.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
  }
  if (o.keep || o.reuseDir !== undefined) log(`  kept ${file}`);
  else fs.rmSync(dir, { recursive: true, force: true });
  const mb = size / (1024 * 1024);
  const load = median(rounds.map((r) => r.load_ms));
  const ratios = rounds.map((r) => r.raw_ms / r.load_ms);
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    n,
    build_s: build === null ? null : Math.round(build * 10) / 10,
    save_ms: saveMs === null ? null : Math.round(saveMs),
    file_mb: Math.round(mb * 10) / 10,
    load_ms: Math.round(load),
    load_mb_s: Math.round(mb / (load / 1000)),
    load_elements_s: Math.round(n / (load / 1000)),
    raw_read_mb_s: Math.round(mb / (median(rounds.map((r) => r.raw_ms)) / 1000)),
    load_vs_raw: r2(median(ratios)),
    load_vs_raw_range: [r2(Math.min(...ratios)), r2(Math.max(...ratios))],
    ready_ms: Math.round(median(rounds.map((r) => r.ready_ms))),
    rounds,
  };
}

