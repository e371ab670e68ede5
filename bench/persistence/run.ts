/**
 * Persistence benchmark (issue 6): SAVE time, snapshot size and start-up load time for vector
 * sets of 100k and 1M × 128 Q8; the load rate against a plain read of the same file; and the
 * throughput of pipelined VADD into an AOF under each fsync policy.
 *
 *   npm run bench:persistence [-- --sizes 100000,1000000 --ef 40 --aof-n 20000]
 *
 * Besides the load time from the server's log line, each start is timed from spawn to "Ready"
 * (and once with nothing to load), since a restart also pays for starting Node and the server.
 *
 * Building 1M elements with the default EF construction (200) takes about ten minutes on these
 * machines; the sets here are built with a lower EF (option --ef, default 40) because only the
 * size of the graph matters for saving and loading, not its recall.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clustered } from '../engine/datasets.js';
import { arg, command, freePort, pipeline } from '../net.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const MAIN = path.join(root, 'dist/src/main.js');

const SIZES = arg('sizes', '100000,1000000').split(',').map(Number);
/** --keep: leave each snapshot's directory in place (and print it), e.g. to profile a load. */
const KEEP = process.argv.includes('--keep');
/**
 * --reuse N=DIR[,N=DIR]: measure the load of a snapshot a --keep run left in DIR (N elements)
 * instead of building it again (a million elements take about 7 minutes to build here); its
 * build and SAVE columns then read "—".
 */
const REUSE = new Map(
  arg('reuse', '')
    .split(',')
    .filter((x) => x.includes('='))
    .map((x) => [Number(x.slice(0, x.indexOf('='))), x.slice(x.indexOf('=') + 1)] as [number, string]),
);
const EF = Number(arg('ef', '40'));
/**
 * --rounds N: interleaved rounds of (raw read, one start) per snapshot. The VM's speed swings by
 * tens of percent between minutes, so each load is compared with a raw read taken just before it.
 */
const ROUNDS = Number(arg('rounds', '5'));
const AOF_N = Number(arg('aof-n', '20000'));
const DIM = 128;

interface Running {
  proc: ChildProcess;
  port: number;
  log: () => string;
  /** From spawning the process to its "Ready to accept connections" line. */
  readyMs: number;
}

async function start(dir: string, extra: string[]): Promise<Running> {
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
async function emptyStartMs(): Promise<number> {
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
function vadd(key: string, v: Float32Array, i: number, ef: number): Buffer {
  const blob = Buffer.from(v.buffer, v.byteOffset + i * DIM * 4, DIM * 4);
  const name = `e${i}`;
  const efs = String(ef);
  return Buffer.concat([
    Buffer.from(`*7\r\n$4\r\nVADD\r\n$${key.length}\r\n${key}\r\n$4\r\nFP32\r\n$${blob.length}\r\n`),
    blob,
    Buffer.from(`\r\n$${name.length}\r\n${name}\r\n$2\r\nEF\r\n$${efs.length}\r\n${efs}\r\n`),
  ]);
}

interface SnapshotRow {
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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function snapshotBench(n: number): Promise<SnapshotRow> {
  let dir = REUSE.get(n);
  let build: number | null = null;
  let saveMs: number | null = null;
  if (dir === undefined) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-persist-'));
    const ds = clustered(`p${n}`, n, DIM, 1000, 1.5, 1, 5);
    const srv = await start(dir, []);
    const cmds: Buffer[] = [];
    for (let i = 0; i < n; i++) cmds.push(vadd('bench', ds.data, i, EF));
    build = await pipeline(srv.port, cmds);
    process.stdout.write(`  built ${n} in ${build.toFixed(1)} s\n`);
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
  if (KEEP || REUSE.has(n)) process.stdout.write(`  kept ${file}\n`);
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

async function aofBench(policy: string): Promise<{ policy: string; n: number; seconds: number; ops_s: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-aof-'));
  const srv = await start(dir, ['--appendonly', 'yes', '--appendfsync', policy]);
  const ds = clustered(`aof`, AOF_N, DIM, 100, 1.5, 1, 9);
  const cmds: Buffer[] = [];
  for (let i = 0; i < AOF_N; i++) cmds.push(vadd(`aof${i % 16}`, ds.data, i, EF));
  const seconds = await pipeline(srv.port, cmds, 256);
  srv.proc.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
  return { policy, n: AOF_N, seconds: Math.round(seconds * 100) / 100, ops_s: Math.round(AOF_N / seconds) };
}

async function main(): Promise<void> {
  const emptyMs = await emptyStartMs();
  process.stdout.write(`start with nothing to load: ${emptyMs} ms to ready\n`);
  const rows: SnapshotRow[] = [];
  for (const n of SIZES) {
    process.stdout.write(`snapshot ${n} × ${DIM} Q8 …\n`);
    const r = await snapshotBench(n);
    rows.push(r);
    process.stdout.write(`  ${JSON.stringify(r)}\n`);
  }
  const aof = [];
  for (const p of ['always', 'everysec', 'no']) {
    const r = await aofBench(p);
    aof.push(r);
    process.stdout.write(`AOF appendfsync ${p}: ${r.ops_s} VADD/s\n`);
  }
  const cpu = (os.cpus()[0]?.model ?? 'unknown').trim();
  const lines = [
    '# vsetd persistence benchmark',
    '',
    `Run ${new Date().toISOString()} on **${cpu}** (${os.availableParallelism()} cores), Node ${process.version}. Vector sets of 128-dim Q8 elements (M 16, built with EF ${EF}); load times from the server's own log line; raw read = readFileSync of the same file, best of 3 (page cache warm for both). ${ROUNDS} interleaved rounds per size, each a raw read and then one start: the table gives medians, and the load / raw read ratio is the median of the rounds' ratios (with their range), each load against the read just before it.`,
    '',
    'Reproduce: `npm run bench:persistence` (options: `-- --sizes 100000,1000000 --ef 40 --aof-n 20000 --rounds 5 --keep --reuse 1000000=DIR`).',
    '',
    `Start to ready = from spawning the server to its "Ready to accept connections" line (median of the same starts); with nothing to load it takes ${emptyMs} ms (best of 3).`,
    '',
    '| elements | build (pipelined VADD) s | SAVE ms | file MB | load ms | load MB/s | load elements/s | raw read MB/s | load / raw read (range) | start to ready ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.n} | ${r.build_s ?? '—'} | ${r.save_ms ?? '—'} | ${r.file_mb} | ${r.load_ms} | ${r.load_mb_s} | ${r.load_elements_s} | ${r.raw_read_mb_s} | ${r.load_vs_raw} (${r.load_vs_raw_range[0]}–${r.load_vs_raw_range[1]}) | ${r.ready_ms} |`),
    '',
    `AOF: ${AOF_N} pipelined VADDs (128-dim, EF ${EF}, 16 keys), window 256:`,
    '',
    '| appendfsync | VADD/s |',
    '|---|---|',
    ...aof.map((a) => `| ${a.policy} | ${a.ops_s} |`),
    '',
  ];
  const dir = path.join(root, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'persistence.json'), JSON.stringify({ date: new Date().toISOString(), cpu, node: process.version, ef: EF, empty_start_ms: emptyMs, snapshot: rows, aof }, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'persistence.md'), lines.join('\n'));
  process.stdout.write('\n' + lines.join('\n') + '\n');
}

await main();
