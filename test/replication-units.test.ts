/**
 * The pieces of replication that need no server: the backlog ring, the snapshot payload
 * receiver (both framings, any chunking), and the readers of a primary's replies and stream —
 * including what a malicious primary might send, which must end the link, not the process.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Backlog, MIN_BACKLOG_SIZE } from '../src/replication/backlog.js';
import { PayloadReceiver } from '../src/replication/payload.js';
import { CommandStream, HandshakeReplies, LinkProtocolError } from '../src/replication/link-readers.js';
import { ReplicationState } from '../src/replication/state.js';
import { encodeCommand } from '../src/persistence/aof.js';
import { rng } from './helpers/rng.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-repl-units-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The stream bytes from `offset` on, reconstructed from what was appended. */
function expected(all: Buffer, firstOffset: number, offset: number): Buffer {
  return all.subarray(offset - firstOffset);
}

describe('backlog', () => {
  it('serves any offset it still holds, across the wrap of the ring', () => {
    const r = rng(7);
    const b = new Backlog(MIN_BACKLOG_SIZE, 1000);
    expect(b.firstOffset).toBe(1001);
    expect(b.covers(1001)).toBe(true);
    expect(b.covers(1002)).toBe(false);
    let all = Buffer.alloc(0);
    for (let i = 0; i < 300; i++) {
      const piece = Buffer.from(Array.from({ length: Math.floor(r() * 400) + 1 }, () => Math.floor(r() * 256)));
      b.append(piece);
      all = Buffer.concat([all, piece]);
    }
    const end = 1000 + all.length;
    expect(b.histlen).toBe(MIN_BACKLOG_SIZE);
    expect(b.firstOffset).toBe(end - MIN_BACKLOG_SIZE + 1);
    expect(b.covers(b.firstOffset - 1)).toBe(false);
    expect(b.covers(end + 1)).toBe(true);
    expect(b.covers(end + 2)).toBe(false);
    for (const offset of [b.firstOffset, b.firstOffset + 1, end - 5000, end, end + 1]) {
      expect(Buffer.concat(b.bytesFrom(offset)).equals(expected(all, 1001, offset))).toBe(true);
    }
  });

  it('keeps the newest history when resized either way', () => {
    const b = new Backlog(64 * 1024, 0);
    const data = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
    b.append(data);
    b.resize(MIN_BACKLOG_SIZE);
    expect(b.histlen).toBe(MIN_BACKLOG_SIZE);
    expect(Buffer.concat(b.bytesFrom(b.firstOffset)).equals(data.subarray(data.length - MIN_BACKLOG_SIZE))).toBe(true);
    b.resize(1024 * 1024);
    b.append(Buffer.from('tail'));
    expect(Buffer.concat(b.bytesFrom(b.firstOffset)).equals(Buffer.concat([data.subarray(data.length - MIN_BACKLOG_SIZE), Buffer.from('tail')]))).toBe(true);
  });

  it('a promoted replica lets its old primary’s history continue up to its own offset', () => {
    const s = new ReplicationState(() => 1024 * 1024);
    s.adopt('a'.repeat(40), 500);
    s.append(Buffer.alloc(100));
    const old = s.replid;
    s.shiftIds();
    expect(s.replid2).toBe(old);
    expect(s.secondOffset).toBe(601);
    expect(s.canContinue(old, 601)).toBe('yes');
    expect(s.canContinue(old, 602)).toBe('id');
    expect(s.canContinue('b'.repeat(40), 601)).toBe('id');
    expect(s.canContinue(s.replid, 601)).toBe('yes');
    expect(s.canContinue(s.replid, 400)).toBe('backlog');
  });
});

describe('snapshot payload', () => {
  const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256));
  const stream = encodeCommand([Buffer.from('SET'), Buffer.from('k'), Buffer.from('v')]);

  /** Feeds `bytes` in chunks of the given sizes; returns the file's bytes and what followed. */
  function receive(bytes: Buffer, sizes: () => number): { file: Buffer; rest: Buffer } {
    const p = new PayloadReceiver(dir);
    let at = 0;
    let rest: Buffer | null = null;
    while (rest === null && at < bytes.length) {
      const n = Math.min(bytes.length - at, sizes());
      rest = p.feed(bytes.subarray(at, at + n));
      at += n;
    }
    expect(rest).not.toBeNull();
    const file = fs.readFileSync(p.file);
    fs.rmSync(p.file);
    return { file, rest: Buffer.concat([rest!, bytes.subarray(at)]) };
  }

  it.each([1, 39, 40, 41, 4096, 1 << 20])('reads both framings in chunks of %i bytes, keeping what follows', (size) => {
    const mark = 'm'.repeat(20) + '0123456789abcdefghij';
    const sized = Buffer.concat([Buffer.from(`\n\n$${body.length}\r\n`), body, stream]);
    const marked = Buffer.concat([Buffer.from(`\n$EOF:${mark}\r\n`), body, Buffer.from(mark), stream]);
    for (const framed of [sized, marked]) {
      const got = receive(framed, () => size);
      expect(got.file.equals(body)).toBe(true);
      expect(got.rest.equals(stream)).toBe(true);
    }
  });

  it('reads in random chunkings', () => {
    const r = rng(11);
    const mark = 'x'.repeat(40);
    const marked = Buffer.concat([Buffer.from(`$EOF:${mark}\r\n`), body, Buffer.from(mark)]);
    for (let i = 0; i < 20; i++) {
      const got = receive(marked, () => 1 + Math.floor(r() * 3000));
      expect(got.file.equals(body)).toBe(true);
      expect(got.rest.length).toBe(0);
    }
  });

  it('refuses what is not a payload header', () => {
    for (const bad of ['-ERR no\r\n', '+OK\r\n', '$-1\r\n', '$12x\r\n', '$EOF:short\r\n', 'x'.repeat(2000)]) {
      const p = new PayloadReceiver(dir);
      expect(() => p.feed(Buffer.from(bad))).toThrow(LinkProtocolError);
      p.discard();
      expect(fs.existsSync(p.file)).toBe(false);
    }
  });
});

describe("readers of the primary's replies and stream", () => {
  it('hands out one-line replies and skips keep-alive newlines', () => {
    const h = new HandshakeReplies();
    h.push(Buffer.from('+PONG\r\n\n\r\n-NOAUTH Authentication required.\r\n+FULLRESYNC '));
    expect(h.next()).toEqual({ error: false, text: 'PONG' });
    expect(h.next()).toBe('keepalive');
    expect(h.next()).toBe('keepalive');
    expect(h.next()).toEqual({ error: true, text: 'NOAUTH Authentication required.' });
    expect(h.next()).toBeNull();
    h.push(Buffer.from(`${'a'.repeat(40)} 17\r\n$EOF:`));
    expect(h.next()).toEqual({ error: false, text: `FULLRESYNC ${'a'.repeat(40)} 17` });
    expect(h.rest().toString()).toBe('$EOF:');
  });

  it('refuses replies that are not one-line status or error replies', () => {
    for (const bad of ['$3\r\n', '*1\r\n', 'hello\r\n', '+no carriage return\n', '\x00\x01\r\n']) {
      const h = new HandshakeReplies();
      h.push(Buffer.from(bad));
      expect(() => h.next()).toThrow(LinkProtocolError);
    }
    const long = new HandshakeReplies();
    long.push(Buffer.alloc(70_000, 43));
    expect(() => long.next()).toThrow(LinkProtocolError);
  });

  it('parses commands in any chunking, with their encoded sizes', () => {
    const cmds = [['SELECT', '3'], ['VADD', 'k', 'VALUES', '2', '1', '0', 'e\r\n\0'], ['PING'], ['SET', 'x', 'y'.repeat(100_000)]];
    const bytes = Buffer.concat(cmds.map((c) => encodeCommand(c.map((a) => Buffer.from(a)))));
    for (const size of [1, 7, 1000, bytes.length]) {
      const got: string[][] = [];
      let total = 0;
      const s = new CommandStream((argv, encoded) => {
        got.push(argv.map((a) => a.toString()));
        total += encoded.length;
      }, () => 1 << 30);
      for (let at = 0; at < bytes.length; at += size) expect(s.feed(bytes.subarray(at, at + size))).toBeNull();
      expect(got).toEqual(cmds);
      expect(total).toBe(bytes.length);
    }
  });

  it('reports a bad stream instead of throwing', () => {
    const bad = [
      '+OK\r\n',
      ':12\r\n',
      '-ERR x\r\n',
      '*1\r\n:5\r\n',
      '*2\r\n$1\r\na\r\n*1\r\n$1\r\nb\r\n',
      '*1\r\n$-1\r\n',
      '*0\r\n',
      '*99999999999999\r\n',
      '!garbage\r\n',
    ];
    for (const text of bad) {
      const s = new CommandStream(() => {}, () => 1 << 20);
      expect(s.feed(Buffer.from(text)), text).not.toBeNull();
    }
    // An announced length the limit does not allow: the link ends before memory runs out.
    const big = new CommandStream(() => {}, () => 1024);
    expect(big.feed(Buffer.from('*1\r\n$100000000\r\n'))).toBeNull();
    expect(big.feed(Buffer.alloc(2048, 97))).toMatch(/unfinished command/);
  });
});
