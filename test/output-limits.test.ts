/**
 * A client that pipelines large replies and never reads them: VSIM … COUNT 1000 WITHATTRIBS, some
 * 50 KB each. With a client-output-buffer-limit for the normal class it is disconnected as in
 * Redis; with none (Redis's default for normal clients) vsetd stops taking its requests once its
 * unsent output or its searches in flight reach their bound, so the server's memory stays
 * bounded either way, and other clients are served meanwhile.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { Redis } from 'ioredis';
import { serverForFile } from './helpers/server.js';
import { encode } from './helpers/differential.js';
import { infoField, waitFor } from './helpers/wait.js';
import { rng, valuesArgs } from './helpers/rng.js';

const srv = serverForFile({ args: ['--search-inline-when-idle', 'no'] });
let admin: Redis;
let replyBytes = 0;
const QUERY = ['VSIM', 'docs', 'ELE', 'e0', 'COUNT', '1000', 'WITHATTRIBS'];

beforeAll(async () => {
  admin = new Redis({ port: srv().port });
  const r = rng(7);
  const p = admin.pipeline();
  for (let i = 0; i < 1000; i++) {
    p.call('VADD', 'docs', 'VALUES', '8', ...valuesArgs(r, 8), `e${i}`, 'SETATTR', JSON.stringify({ title: `document number ${i}`, year: 1900 + (i % 120) }));
  }
  await p.exec();
  const one = (await admin.callBuffer(...(QUERY as [string, ...string[]]))) as Buffer[];
  replyBytes = one.reduce((n, b) => n + b.length + 16, 16);
  expect(one.length).toBe(2000);
  return () => admin.disconnect();
});

/** A connection that sends `n` pipelined queries and never reads a byte. */
function greedyClient(n: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect(srv().port, '127.0.0.1', () => {
      s.pause();
      const one = encode(QUERY);
      s.write(Buffer.concat(Array.from({ length: n }, () => one)));
      resolve(s);
    });
    s.on('error', () => {});
  });
}

async function stat(section: string, field: string): Promise<number> {
  return Number(infoField((await admin.info(section)) as string, field));
}

/** The greedy client's CLIENT LIST line fields, or null once it is gone. */
async function greedyLine(name: string): Promise<Record<string, string> | null> {
  const line = ((await admin.call('CLIENT', 'LIST')) as string).split('\n').find((l) => l.includes(` name=${name} `));
  if (!line) return null;
  return Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

describe('a client that asks for large replies and never reads', () => {
  it('is disconnected once its unsent output reaches the normal class\'s hard limit', async () => {
    await admin.config('SET', 'client-output-buffer-limit', 'normal 2mb 0 0');
    try {
      const before = await stat('stats', 'client_output_buffer_limit_disconnections');
      // Far more than the limit if it were all buffered: 150 MB of replies.
      const s = await greedyClient(Math.ceil((150 * 1024 * 1024) / replyBytes));
      const closed = new Promise((r) => s.on('close', r));
      await waitFor('the disconnection', async () => (await stat('stats', 'client_output_buffer_limit_disconnections')) > before);
      s.resume();
      await closed;
      expect(await admin.call('VCARD', 'docs')).toBe(1000);
      expect(await stat('memory', 'used_memory')).toBeLessThan(512 * 1024 * 1024);
    } finally {
      await admin.config('SET', 'client-output-buffer-limit', 'normal 0 0 0');
    }
  });

  it('with no limit (the default) is held: its requests wait in the socket, not in the server\'s memory', async () => {
    const n = Math.ceil((150 * 1024 * 1024) / replyBytes);
    const callsBefore = await vsimCalls();
    const s = await new Promise<net.Socket>((resolve) => {
      const sock = net.connect(srv().port, '127.0.0.1', () => {
        sock.pause();
        sock.write(encode(['CLIENT', 'SETNAME', 'greedy']));
        const one = encode(QUERY);
        sock.write(Buffer.concat(Array.from({ length: n }, () => one)));
        resolve(sock);
      });
      sock.on('error', () => {});
    });
    try {
      // Settled: its unsent output and the searches it started no longer change while others are served.
      let last = '';
      const settled = await waitFor('the greedy client to be held', async () => {
        const f = await greedyLine('greedy');
        const calls = await vsimCalls();
        for (let i = 0; i < 20; i++) await admin.ping();
        const now = `${f?.omem} ${calls}`;
        const same = now === last && f !== null && Number(f.omem) > 0;
        last = now;
        return same ? { omem: Number(f!.omem), calls: calls - callsBefore } : false;
      });
      expect(settled.calls).toBeGreaterThan(0);
      expect(settled.calls).toBeLessThan(n);
      // Bounded by the output high-water mark plus the searches allowed in flight, far below n replies.
      expect(settled.omem).toBeLessThan(4 * 1024 * 1024 + 256 * replyBytes + replyBytes);
      expect(settled.omem).toBeLessThan((n * replyBytes) / 4);
      expect(await stat('memory', 'used_memory')).toBeLessThan(512 * 1024 * 1024);
      expect(await admin.call('VCARD', 'docs')).toBe(1000);
    } finally {
      s.destroy();
    }
  });

  it('a held client that starts reading gets every reply, in order', async () => {
    const n = 300;
    const s = await greedyClient(n);
    await waitFor('its output to pile up', async () => {
      const list = (await admin.call('CLIENT', 'LIST')) as string;
      return list.split('\n').some((l) => /omem=(\d+)/.exec(l) && Number(/omem=(\d+)/.exec(l)![1]) > 4 * 1024 * 1024);
    });
    let buf = Buffer.alloc(0);
    let replies = 0;
    await new Promise<void>((resolve) => {
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        // Each reply is *2000 of bulk strings; count complete top-level arrays.
        for (;;) {
          const end = arrayEnd(buf);
          if (end < 0) break;
          replies++;
          buf = buf.subarray(end);
        }
        if (replies === n) resolve();
      });
      s.resume();
    });
    s.destroy();
    expect(replies).toBe(n);
  });
});

async function vsimCalls(): Promise<number> {
  const m = /cmdstat_vsim:calls=(\d+)/.exec((await admin.info('commandstats')) as string);
  return m ? Number(m[1]) : 0;
}

/** End of one `*N` array of bulk strings at the start of `b`, or -1 if incomplete. */
function arrayEnd(b: Buffer): number {
  const eol = b.indexOf('\r\n');
  if (eol < 0) return -1;
  const n = Number(b.toString('latin1', 1, eol));
  let p = eol + 2;
  for (let i = 0; i < n; i++) {
    const e = b.indexOf('\r\n', p);
    if (e < 0) return -1;
    const len = Number(b.toString('latin1', p + 1, e));
    p = e + 2 + len + 2;
    if (p > b.length) return -1;
  }
  return p;
}
