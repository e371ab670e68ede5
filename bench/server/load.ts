/**
 * Load generator for the server benchmark, run as its own process so that its CPU is not counted
 * as the server's: `conns` connections, each with one VSIM in flight at a time (closed loop),
 * random queries from a file of float32 vectors, for `seconds`; an optional last argument adds
 * arguments to every VSIM (a JSON array). Prints one JSON line:
 * { requests, seconds, qps, p50_us, p99_us, errors, cpu_us }.
 *
 * `port` may be HOST:PORT, to load another server (npm run bench -- --against). With the
 * environment variable LOAD_FT_INDEX set, every request is instead
 * FT.SEARCH <index> "*=>[KNN <count> @v $B]" PARAMS 2 B <blob> DIALECT 2 (`key` unused), so the
 * FT.SEARCH rows go through the same closed-loop generator as VSIM.
 */
import net from 'node:net';
import fs from 'node:fs';

const [target, conns, seconds, dim, queryFile, key, count, extra] = process.argv.slice(2);
const colon = target!.lastIndexOf(':');
const host = colon >= 0 ? target!.slice(0, colon) : '127.0.0.1';
const port = colon >= 0 ? target!.slice(colon + 1) : target!;
const ftIndex = process.env.LOAD_FT_INDEX ?? '';
/** Arguments appended to every VSIM (a JSON array of strings, e.g. a FILTER), if given. */
const extraArgs = extra ? (JSON.parse(extra) as string[]) : [];
const DIM = Number(dim);
const queries = new Float32Array(new Uint8Array(fs.readFileSync(queryFile!)).buffer);
const nq = Math.floor(queries.length / DIM);

/** Pre-encoded requests, one per query. */
const requests: Buffer[] = [];
for (let q = 0; q < nq; q++) {
  const blob = Buffer.from(queries.buffer, q * DIM * 4, DIM * 4);
  const parts =
    ftIndex !== ''
      ? ['FT.SEARCH', ftIndex, `*=>[KNN ${count} @v $B]`, 'PARAMS', '2', 'B', blob, 'DIALECT', '2', ...extraArgs]
      : ['VSIM', key!, 'FP32', blob, 'COUNT', String(count), ...extraArgs];
  const chunks: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p) : p;
    chunks.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  requests.push(Buffer.concat(chunks));
}

/** Length of one complete RESP reply at `pos` in `buf`, or -1 if incomplete. */
function replyEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return -1;
  const t = buf[pos];
  const n = Number(buf.toString('latin1', pos + 1, eol));
  if (t === 0x24 /* $ */) return n < 0 ? eol + 2 : buf.length >= eol + 2 + n + 2 ? eol + 2 + n + 2 : -1;
  if (t === 0x2a /* * */ || t === 0x25 /* % */) {
    let p = eol + 2;
    const items = t === 0x25 ? 2 * n : n;
    for (let i = 0; i < items; i++) {
      p = replyEnd(buf, p);
      if (p < 0) return -1;
    }
    return p;
  }
  return eol + 2;
}

const latencies: number[] = [];
let errors = 0;
const deadline = performance.now() + Number(seconds) * 1000;
const cpu0 = process.cpuUsage();
const t0 = performance.now();

function runConnection(seed: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), host);
    s.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let sentAt = 0;
    let state = seed;
    const next = (): void => {
      if (performance.now() >= deadline) {
        s.end();
        resolve();
        return;
      }
      state = (state * 1103515245 + 12345) >>> 0;
      sentAt = performance.now();
      s.write(requests[state % nq]!);
    };
    s.on('connect', next);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      const end = replyEnd(buf, 0);
      if (end < 0) return;
      if (buf[0] === 0x2d /* - */) errors++;
      latencies.push(performance.now() - sentAt);
      buf = buf.subarray(end);
      next();
    });
  });
}

await Promise.all(Array.from({ length: Number(conns) }, (_, i) => runConnection(i * 7919 + 1)));
const elapsed = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
latencies.sort((a, b) => a - b);
const pct = (p: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0) * 1000);
process.stdout.write(
  JSON.stringify({
    requests: latencies.length,
    seconds: elapsed,
    qps: latencies.length / elapsed,
    p50_us: pct(0.5),
    p99_us: pct(0.99),
    errors,
    cpu_us: cpu.user + cpu.system,
  }) + '\n',
);
