/**
 * What the benchmarks that drive a started server share: RESP encoding, a reply counter for
 * pipelines, pipelined and multi-connection throughput runs, and starting/stopping the server
 * (with --expose-gc, so MEMORY PURGE is a full collection).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectTo, freePort, type Endpoint } from './net.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.join(path.resolve(here, '../..'), 'dist/src/main.js');

export function resp(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Counts top-level RESP2 replies in a stream (and the errors among them), whatever their shape:
 * enough to pipeline commands whose replies are arrays too (VSIM).
 */
export class ReplyCounter {
  replies = 0;
  errors = 0;
  firstError = '';
  private buf: Buffer = Buffer.alloc(0);
  /** Items still expected per open array level. */
  private stack: number[] = [];

  feed(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let i = 0;
    for (;;) {
      const eol = this.buf.indexOf('\r\n', i);
      if (eol < 0) break;
      const type = this.buf[i];
      const line = this.buf.toString('latin1', i + 1, eol);
      let next = eol + 2;
      if (type === 36 /* $ */) {
        const n = Number(line);
        if (n >= 0) {
          if (this.buf.length < next + n + 2) break;
          next += n + 2;
        }
        this.item();
      } else if (type === 42 /* * */) {
        const n = Number(line);
        if (n > 0) this.stack.push(n);
        else this.item();
      } else {
        if (type === 45 /* - */ && this.stack.length === 0) {
          this.errors++;
          if (this.firstError === '') this.firstError = line;
        }
        this.item();
      }
      i = next;
    }
    this.buf = this.buf.subarray(i);
  }

  private item(): void {
    while (this.stack.length > 0) {
      const top = this.stack.length - 1;
      if (--this.stack[top]! > 0) return;
      this.stack.pop();
    }
    this.replies++;
  }
}

/**
 * Sends the commands `make(i)` for i < n on one connection, at most `window` unanswered, and
 * resolves with the seconds it took and the error count.
 */
export async function pipelined(port: Endpoint, n: number, make: (i: number) => Buffer, window = 4096): Promise<{ seconds: number; errors: number; firstError: string }> {
  return new Promise((resolve, reject) => {
    const s = connectTo(port);
    const counter = new ReplyCounter();
    let sent = 0;
    const t0 = performance.now();
    const pump = (): void => {
      const batch: Buffer[] = [];
      while (sent < n && sent - counter.replies < window) batch.push(make(sent++));
      if (batch.length > 0) s.write(Buffer.concat(batch));
    };
    s.on('connect', pump);
    s.on('data', (d: Buffer) => {
      counter.feed(d);
      if (counter.replies >= n) {
        s.end();
        resolve({ seconds: (performance.now() - t0) / 1000, errors: counter.errors, firstError: counter.firstError });
      } else if (sent - counter.replies < window / 2) pump();
    });
    s.on('error', reject);
  });
}

/** Commands from `make` for `seconds`, `conns` connections each keeping `window` in flight. */
export async function throughput(port: Endpoint, conns: number, seconds: number, make: () => Buffer, window = 16): Promise<{ qps: number; errors: number }> {
  const until = performance.now() + seconds * 1000;
  const results = await Promise.all(
    Array.from(
      { length: conns },
      () =>
        new Promise<{ n: number; errors: number }>((resolve, reject) => {
          const s = connectTo(port);
          const counter = new ReplyCounter();
          let sent = 0;
          let stopping = false;
          const pump = (): void => {
            if (stopping) return;
            const batch: Buffer[] = [];
            while (sent - counter.replies < window) {
              batch.push(make());
              sent++;
            }
            s.write(Buffer.concat(batch));
          };
          s.on('connect', pump);
          s.on('data', (d: Buffer) => {
            counter.feed(d);
            if (performance.now() >= until) stopping = true;
            if (stopping && counter.replies >= sent) {
              s.end();
              resolve({ n: counter.replies, errors: counter.errors });
            } else pump();
          });
          s.on('error', reject);
        }),
    ),
  );
  const n = results.reduce((a, r) => a + r.n, 0);
  return { qps: n / seconds, errors: results.reduce((a, r) => a + r.errors, 0) };
}

export interface Server {
  proc: ChildProcess;
  port: number;
  log: () => string;
}

export async function startServer(dir: string, extra: string[] = []): Promise<Server> {
  const port = await freePort();
  // --expose-gc lets MEMORY PURGE run a full collection before each memory reading, so that
  // garbage the loader left behind is not counted as what the sets use.
  const proc = spawn(process.execPath, ['--expose-gc', MAIN, '--port', String(port), '--dir', dir, '--save', '', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 1200 && !out.includes('Ready to accept connections'); i++) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, port, log: () => out };
}

export async function stopServer(s: Server): Promise<void> {
  if (s.proc.exitCode !== null) return;
  const gone = new Promise<void>((r) => s.proc.once('exit', () => r()));
  s.proc.kill('SIGKILL');
  await gone;
}

