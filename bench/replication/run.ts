/**
 * Replication benchmark (issue 16): how long a replica takes to join a primary holding a vector
 * set of 100k × 128 Q8 (a full sync, in both payload framings), how that compares with loading
 * the same snapshot at a restart, and how far a replica lags behind during a burst of VADDs.
 *
 *   npm run bench:replication [-- --n 100000 --ef 40 --burst 20000 --rounds 3]
 *
 * Full sync: from sending REPLICAOF to the replica's `master_link_status:up` (the snapshot
 * captured, encoded, sent, written, loaded and checked, the stream started); the replica's own
 * log line gives the load part. Lag: during a pipelined VADD burst, a second connection
 * repeatedly runs SET + WAIT 1 0 — each WAIT returns once the replica applied everything before
 * it, so its latency is the replication lag at that moment (plus one ACK round trip); a sampler
 * reads both offsets from INFO every 20 ms for the lag in bytes; and after the burst, the time
 * until the replica has applied the last VADD.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clustered } from '../engine/datasets.js';
import { arg, command, encode, freePort, pipeline } from '../net.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const MAIN = path.join(root, 'dist/src/main.js');
const N = Number(arg('n', '100000'));
const EF = Number(arg('ef', '40'));
const BURST = Number(arg('burst', '20000'));
const ROUNDS = Number(arg('rounds', '3'));
const DIM = 128;

interface Running {
  proc: ChildProcess;
  port: number;
  dir: string;
  log: () => string;
}

async function start(args: string[], dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-repl-'))): Promise<Running> {
  const port = await freePort();
  let out = '';
  const proc = spawn(process.execPath, [MAIN, '--port', String(port), '--dir', dir, '--save', '', '--search-threads', '1', '--repl-diskless-sync-delay', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const t0 = performance.now();
  while (!out.includes('Ready to accept connections')) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${out}`);
    if (performance.now() - t0 > 600_000) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 5));
  }
  return { proc, port, dir, log: () => out };
}

function vadd(key: string, v: Float32Array, i: number, name: string): Buffer {
  return encode(['VADD', key, 'FP32', Buffer.from(v.buffer, v.byteOffset + i * DIM * 4, DIM * 4), name, 'EF', String(EF)]);
}

async function field(port: number, section: string, name: string): Promise<string> {
  const text = await command(port, 'INFO', section);
  const m = new RegExp(`^${name}:(.*)\\r$`, 'm').exec(text);
  if (!m) throw new Error(`INFO has no ${name}`);
  return m[1]!;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const r1 = (x: number): number => Math.round(x * 10) / 10;

interface SyncRound {
  total_ms: number;
  load_ms: number;
  payload_mb: number;
}

/** One full sync: REPLICAOF until the link is up; then the replica is detached again. */
async function fullSync(primary: Running, replica: Running): Promise<SyncRound> {
  const logBefore = replica.log().length;
  const t0 = performance.now();
  const ok = await command(replica.port, 'REPLICAOF', '127.0.0.1', String(primary.port));
  if (!ok.startsWith('+OK')) throw new Error(`REPLICAOF: ${ok}`);
  while ((await field(replica.port, 'replication', 'master_link_status')) !== 'up') await sleep(10);
  const total = performance.now() - t0;
  const log = replica.log().slice(logBefore);
  const m = /MB loaded in ([\d.]+) seconds/.exec(log);
  const b = /received (\d+) bytes from master/.exec(log);
  if (!m || !b) throw new Error(`no sync lines in: ${log}`);
  const card = await command(replica.port, 'VCARD', 'bench');
  if (card.trim() !== `:${N}`) throw new Error(`the replica has ${card.trim()} elements, expected ${N}`);
  await command(replica.port, 'REPLICAOF', 'NO', 'ONE');
  return { total_ms: Math.round(total), load_ms: Math.round(Number(m[1]) * 1000), payload_mb: r1(Number(b[1]) / (1024 * 1024)) };
}

/** Loading the primary's snapshot at a restart, for comparison: the server's own load time. */
async function restartLoadMs(primary: Running): Promise<number> {
  const saved = await command(primary.port, 'SAVE');
  if (!saved.startsWith('+OK')) throw new Error(`SAVE: ${saved}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-bench-repl-load-'));
  fs.copyFileSync(path.join(primary.dir, 'dump.vsdb'), path.join(dir, 'dump.vsdb'));
  const s = await start([], dir);
  const m = /DB loaded from disk: ([\d.]+) seconds/.exec(s.log());
  s.proc.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
  if (!m) throw new Error('no load line');
  return Math.round(Number(m[1]) * 1000);
}

/** SET + WAIT 1 0 in a loop until `done()`: each WAIT's latency in ms. */
async function waitProbe(port: number, done: () => boolean): Promise<number[]> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  let buf = '';
  const lines: Array<() => void> = [];
  s.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (let eol = buf.indexOf('\r\n'); eol >= 0; eol = buf.indexOf('\r\n')) {
      buf = buf.slice(eol + 2);
      lines.shift()?.();
    }
  });
  const reply = (): Promise<void> => new Promise((r) => lines.push(r));
  const out: number[] = [];
  for (let i = 0; !done(); i++) {
    s.write(encode(['SET', 'probe', String(i)]));
    await reply();
    const t0 = performance.now();
    s.write(encode(['WAIT', '1', '0']));
    await reply();
    out.push(performance.now() - t0);
  }
  s.destroy();
  return out;
}

interface BurstResult {
  vadd_s: number;
  wait_ms: { n: number; p50: number; p99: number; max: number } | null;
  lag_bytes: { p50: number; max: number } | null;
  catch_up_ms: number | null;
}

async function burst(primary: Running, replica: Running | null, key: string, seed: number): Promise<BurstResult> {
  const ds = clustered(key, BURST, DIM, 100, 1.5, 1, seed);
  const cmds: Buffer[] = [];
  for (let i = 0; i < BURST; i++) cmds.push(vadd(key, ds.data, i, `b${i}`));
  let finished = false;
  const lags: number[] = [];
  const sampler = (async () => {
    while (replica && !finished) {
      const [p, r] = await Promise.all([field(primary.port, 'replication', 'master_repl_offset'), field(replica.port, 'replication', 'slave_repl_offset')]);
      lags.push(Math.max(0, Number(p) - Number(r)));
      await sleep(20);
    }
  })();
  const probe = replica ? waitProbe(primary.port, () => finished) : Promise.resolve([]);
  const seconds = await pipeline(primary.port, cmds, 1000);
  const tEnd = performance.now();
  let catchUp: number | null = null;
  if (replica) {
    const target = await field(primary.port, 'replication', 'master_repl_offset');
    while (Number(await field(replica.port, 'replication', 'slave_repl_offset')) < Number(target)) await sleep(2);
    catchUp = performance.now() - tEnd;
  }
  finished = true;
  const waits = await probe;
  await sampler;
  return {
    vadd_s: Math.round(BURST / seconds),
    wait_ms: waits.length > 0 ? { n: waits.length, p50: r1(pct(waits, 50)), p99: r1(pct(waits, 99)), max: r1(Math.max(...waits)) } : null,
    lag_bytes: lags.length > 0 ? { p50: Math.round(pct(lags, 50)), max: Math.max(...lags) } : null,
    catch_up_ms: catchUp === null ? null : r1(catchUp),
  };
}

async function main(): Promise<void> {
  const primary = await start(['--repl-backlog-size', '256mb']);
  const replica = await start([]);
  process.stdout.write(`building ${N} × ${DIM} Q8 (EF ${EF}) on the primary …\n`);
  const ds = clustered('bench', N, DIM, 1000, 1.5, 1, 5);
  const cmds: Buffer[] = [];
  for (let i = 0; i < N; i++) cmds.push(vadd('bench', ds.data, i, `e${i}`));
  const build = await pipeline(primary.port, cmds);
  process.stdout.write(`  built in ${build.toFixed(1)} s\n`);

  const sync: Record<string, SyncRound[]> = { diskless: [], disk: [] };
  for (let k = 0; k < ROUNDS; k++) {
    for (const mode of ['diskless', 'disk'] as const) {
      await command(primary.port, 'CONFIG', 'SET', 'repl-diskless-sync', mode === 'diskless' ? 'yes' : 'no');
      const r = await fullSync(primary, replica);
      sync[mode]!.push(r);
      process.stdout.write(`  full sync (${mode}): ${JSON.stringify(r)}\n`);
    }
  }
  const restarts: number[] = [];
  for (let k = 0; k < ROUNDS; k++) restarts.push(await restartLoadMs(primary));
  process.stdout.write(`  restart loads: ${restarts.join(', ')} ms\n`);

  process.stdout.write(`burst of ${BURST} VADDs without a replica, then with one …\n`);
  const alone = await burst(primary, null, 'alone', 21);
  await command(primary.port, 'CONFIG', 'SET', 'repl-diskless-sync', 'yes');
  await command(replica.port, 'REPLICAOF', '127.0.0.1', String(primary.port));
  while ((await field(replica.port, 'replication', 'master_link_status')) !== 'up') await sleep(10);
  const withReplica = await burst(primary, replica, 'burst', 22);
  process.stdout.write(`  alone: ${JSON.stringify(alone)}\n  with a replica: ${JSON.stringify(withReplica)}\n`);
  primary.proc.kill('SIGKILL');
  replica.proc.kill('SIGKILL');
  for (const s of [primary, replica]) fs.rmSync(s.dir, { recursive: true, force: true });

  const cpu = (os.cpus()[0]?.model ?? 'unknown').trim();
  const row = (mode: string): string => {
    const rs = sync[mode]!;
    return `| ${mode === 'diskless' ? 'streamed (`$EOF:` mark, repl-diskless-sync yes)' : 'from a file (`$<length>`, repl-diskless-sync no)'} | ${rs[0]!.payload_mb} | ${median(rs.map((r) => r.total_ms))} (${Math.min(...rs.map((r) => r.total_ms))}–${Math.max(...rs.map((r) => r.total_ms))}) | ${median(rs.map((r) => r.load_ms))} |`;
  };
  const w = withReplica.wait_ms!;
  const lines = [
    '# vsetd replication benchmark',
    '',
    `Run ${new Date().toISOString()} on **${cpu}** (${os.availableParallelism()} cores, **shared with other work** while this ran: figures vary by tens of percent between runs), Node ${process.version}. Primary, replica and this client on the same machine, over loopback.`,
    '',
    `Reproduce: \`npm run bench:replication\` (options: \`-- --n ${N} --ef ${EF} --burst ${BURST} --rounds ${ROUNDS}\`).`,
    '',
    `## Full sync of ${N} × ${DIM} Q8 (one vector set, M 16, built with EF ${EF} in ${build.toFixed(1)} s)`,
    '',
    'From REPLICAOF to `master_link_status:up` on the replica: the snapshot captured, encoded and sent, written to the replica\'s disk, loaded and checked there, the stream started. Medians of ' + ROUNDS + ' rounds (range).',
    '',
    '| payload | MB | full sync ms | of which the replica\'s load ms |',
    '|---|---|---|---|',
    row('diskless'),
    row('disk'),
    '',
    `Loading the same snapshot at a restart (the server's own "DB loaded from disk" time, median of ${ROUNDS}): **${median(restarts)} ms** — the replica loads with the same loader.`,
    '',
    `## Replication lag under a burst of ${BURST} pipelined VADDs (${DIM}-dim, EF ${EF}, window 1000)`,
    '',
    '| | VADD/s on the primary | WAIT 1 latency p50 / p99 / max ms (samples) | lag in bytes p50 / max | replica done after the last reply ms |',
    '|---|---|---|---|---|',
    `| no replica | ${alone.vadd_s} | — | — | — |`,
    `| one replica | ${withReplica.vadd_s} | ${w.p50} / ${w.p99} / ${w.max} (${w.n}) | ${withReplica.lag_bytes!.p50} / ${withReplica.lag_bytes!.max} | ${withReplica.catch_up_ms} |`,
    '',
    'The replica applies each VADD as the primary did (a full HNSW insert), so on two shared cores it competes with the primary for CPU; WAIT 1\'s latency is how long a write waits to be on the replica.',
    '',
  ];
  const dir = path.join(root, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'replication.json'), JSON.stringify({ date: new Date().toISOString(), cpu, cores: os.availableParallelism(), node: process.version, n: N, ef: EF, burst: BURST, build_s: r1(build), sync, restart_load_ms: restarts, burst_alone: alone, burst_with_replica: withReplica }, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'replication.md'), lines.join('\n'));
  process.stdout.write('\n' + lines.join('\n') + '\n');
}

await main();
