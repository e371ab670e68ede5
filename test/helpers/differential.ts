/**
 * What the differential tests (vsetd against a real redis-server, the same commands, the replies
 * compared byte for byte) share: raw RESP framing, a seedable PRNG for the command sequences, and
 * starting the reference server next to a vsetd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, startServer, waitForPort, type RunningServer } from './server.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

export type Arg = string | Buffer;
export type Cmd = Arg[];

/** End offset of the reply starting at `pos`, or -1 if the buffer holds only part of it. */
export function replyEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return -1;
  const t = buf[pos]!;
  const n = Number(buf.toString('latin1', pos + 1, eol));
  let p = eol + 2;
  switch (String.fromCharCode(t)) {
    case '$':
    case '=':
    case '!':
      if (n < 0) return p;
      return buf.length >= p + n + 2 ? p + n + 2 : -1;
    case '*':
    case '~':
    case '>':
    case '%': {
      const items = t === 37 /* % */ ? 2 * n : n;
      for (let i = 0; i < items; i++) {
        p = replyEnd(buf, p);
        if (p < 0) return -1;
      }
      return p;
    }
    default:
      return p;
  }
}

export function encode(args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class Raw {
  private buf: Buffer = Buffer.alloc(0);
  private want = 0;
  private got: Buffer[] = [];
  private done: ((r: Buffer[]) => void) | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      let p = 0;
      while (this.got.length < this.want) {
        const end = replyEnd(this.buf, p);
        if (end < 0) break;
        this.got.push(Buffer.from(this.buf.subarray(p, end)));
        p = end;
      }
      this.buf = this.buf.subarray(p);
      if (this.got.length === this.want && this.done) {
        const d2 = this.done;
        this.done = null;
        d2(this.got);
      }
    });
  }

  static connect(port: number): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }

  /** Sends a pipeline and resolves with each reply's exact bytes. */
  send(cmds: Array<Array<string | Buffer>>): Promise<Buffer[]> {
    return new Promise((resolve) => {
      this.want = cmds.length;
      this.got = [];
      this.done = resolve;
      this.sock.write(Buffer.concat(cmds.map(encode)));
    });
  }

  close(): void {
    this.sock.destroy();
  }
}


/** mulberry32: small, seedable, good enough for test sequences. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function show(b: Buffer): string {
  const s = b.toString('latin1');
  return JSON.stringify(s.length > 200 ? s.slice(0, 200) + `…(${s.length} bytes)` : s);
}


/** The reference redis-server and a vsetd, started side by side. */
export interface Pair {
  redisPort: number;
  vsetd: RunningServer;
  stop(): Promise<void>;
}

export async function startPair(vsetdArgs: string[] = []): Promise<Pair> {
  const redisPort = await freePort();
  const redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-redis-'));
  const redis: ChildProcess = spawn(REDIS_SERVER, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir], { stdio: 'ignore' });
  const [vsetd] = await Promise.all([startServer({ args: vsetdArgs }), waitForPort(redisPort, 20_000, redis)]);
  return {
    redisPort,
    vsetd,
    stop: async () => {
      redis.kill('SIGKILL');
      await vsetd.stop();
      fs.rmSync(redisDir, { recursive: true, force: true });
    },
  };
}
