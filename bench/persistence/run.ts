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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clustered } from '../engine/datasets.js';
import { arg, pipeline } from '../net.js';
import { DIM, emptyStartMs, snapshotBench, start, vadd, type SnapshotRow } from './snapshot.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

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
    const reuseDir = REUSE.get(n);
    const r = await snapshotBench(n, { ef: EF, rounds: ROUNDS, keep: KEEP, ...(reuseDir !== undefined ? { reuseDir } : {}) });
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
