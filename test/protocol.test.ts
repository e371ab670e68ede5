/**
 * Framing, pipelining, backpressure and hostile input against a running server: whatever a client
 * sends, it gets an error reply or a closed connection, and every other client keeps being served.
 */
import { describe, expect, it } from 'vitest';
import net from 'node:net';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { serverForFile } from './helpers/server.js';
import { RawConnection, encodeCommand } from './helpers/raw.js';

const server = serverForFile();

async function stillServing(): Promise<void> {
  const c = await RawConnection.connect(server().port);
  expect(await c.call('PING')).toBe('+PONG\r\n');
  c.close();
}

describe('framing', () => {
  it('accepts inline commands from nc', () => {
    const out = execFileSync('sh', ['-c', `printf 'PING\\r\\nECHO "a b"\\r\\n' | nc -q1 127.0.0.1 ${server().port}`], { encoding: 'latin1', timeout: 10_000 });
    expect(out).toBe('+PONG\r\n$3\r\na b\r\n');
  });

  it('answers a 10k-command pipeline in order, across partial reads', async () => {
    const c = await RawConnection.connect(server().port);
    const parts: Buffer[] = [];
    for (let i = 0; i < 10_000; i++) parts.push(encodeCommand(['ECHO', String(i)]));
    const wire = Buffer.concat(parts);
    // Send in odd-sized pieces so commands straddle TCP reads.
    for (let off = 0; off < wire.length; off += 7919) c.write(wire.subarray(off, off + 7919));
    for (let i = 0; i < 10_000; i++) {
      const r = await c.readReply();
      expect(r.value).toBe(String(i));
    }
    c.close();
  });

  it('ignores empty and negative multibulk counts as Redis does', async () => {
    const c = await RawConnection.connect(server().port);
    c.write('*0\r\n*-5\r\n*1\r\n$4\r\nPING\r\n');
    expect((await c.readReply()).raw).toBe('+PONG\r\n');
    c.close();
  });
});

describe('hostile input', () => {
  async function expectProtocolError(payload: string | Buffer, message: string): Promise<void> {
    const c = await RawConnection.connect(server().port);
    c.write(payload);
    const r = await c.readReply();
    expect(r.raw).toBe(`-ERR Protocol error: ${message}\r\n`);
    expect(await c.waitClosed()).toBe(true);
    await stillServing();
  }

  it('bad multibulk and bulk lengths', async () => {
    await expectProtocolError('*abc\r\n', 'invalid multibulk length');
    await expectProtocolError('*1\r\n$1099511627776\r\n', 'invalid bulk length');
    await expectProtocolError('*1\r\n$-7\r\n', 'invalid bulk length');
    await expectProtocolError('*2\r\n$4\r\nECHO\r\n:5\r\n', "expected '$', got ':'");
    await expectProtocolError('*1' + '9'.repeat(70_000), 'too big mbulk count string');
    await expectProtocolError('ECHO "open quote\r\n', 'unbalanced quotes in request');
  });

  it('replies to the requests before the fault, then the error', async () => {
    const c = await RawConnection.connect(server().port);
    c.write('*1\r\n$4\r\nPING\r\n*x\r\n');
    expect((await c.readReply()).raw).toBe('+PONG\r\n');
    expect((await c.readReply()).raw).toBe('-ERR Protocol error: invalid multibulk length\r\n');
    expect(await c.waitClosed()).toBe(true);
  });

  it('a 600 MB argument is refused as soon as its header arrives', async () => {
    const c = await RawConnection.connect(server().port);
    c.write('*2\r\n$4\r\nECHO\r\n$629145600\r\n');
    // Start streaming the body; the server must not wait for it.
    c.write(Buffer.alloc(1024 * 1024, 120));
    const r = await c.readReply();
    expect(r.raw).toBe('-ERR Protocol error: invalid bulk length\r\n');
    expect(await c.waitClosed()).toBe(true);
    await stillServing();
  });

  it('a large argument within the limit is assembled and echoed', async () => {
    const c = await RawConnection.connect(server().port);
    const big = crypto.randomBytes(8 * 1024 * 1024);
    c.write(encodeCommand(['ECHO', big]));
    const r = await c.readReply(30_000);
    expect(Buffer.from(r.value as string, 'latin1').equals(big)).toBe(true);
    c.close();
  });

  it('an unterminated frame waits without blocking anyone else', async () => {
    const c = await RawConnection.connect(server().port);
    c.write('*2\r\n$4\r\nECHO\r\n$10\r\nabc');
    await stillServing();
    c.write('defghij\r\n');
    expect((await c.readReply()).value).toBe('abcdefghij');
    c.write('*3\r\n$3\r\nSET');
    c.close();
    await stillServing();
  });

  it('random bytes from many connections never take the server down', async () => {
    const rng = crypto.createHash('sha256');
    let seed = rng.update('vsetd').digest();
    for (let round = 0; round < 40; round++) {
      seed = crypto.createHash('sha256').update(seed).digest();
      const size = 1 + (seed.readUInt32LE(0) % 20_000);
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i += 32) {
        seed = crypto.createHash('sha256').update(seed).digest();
        seed.copy(bytes, i, 0, Math.min(32, size - i));
      }
      // Half the rounds start like a real request to get past the first byte.
      const payload = round % 2 === 0 ? bytes : Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n'), bytes]);
      const s = net.connect(server().port, '127.0.0.1');
      s.on('error', () => {});
      await new Promise<void>((resolve) => s.once('connect', () => resolve()));
      s.write(payload);
      await new Promise((r) => setTimeout(r, 5));
      s.destroy();
    }
    await stillServing();
  });
});

describe('backpressure', () => {
  it('a client that does not read its replies is paused, others are served, nothing is lost', async () => {
    const slow = net.connect(server().port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.pause();
    const payload = 'x'.repeat(16 * 1024);
    const one = encodeCommand(['ECHO', payload]);
    const n = 4000; // 64 MB of replies
    const batch = Buffer.concat(Array.from({ length: 100 }, () => one));
    for (let i = 0; i < n / 100; i++) slow.write(batch);
    await new Promise((r) => setTimeout(r, 500));
    await stillServing();
    // Now drain: every reply arrives, in full.
    let received = 0;
    const expected = n * (payload.length + `$${payload.length}\r\n`.length + 2);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${received} of ${expected} bytes`)), 60_000);
      slow.on('data', (d: Buffer) => {
        received += d.length;
        if (received >= expected) {
          clearTimeout(t);
          resolve();
        }
      });
      slow.resume();
    });
    expect(received).toBe(expected);
    slow.destroy();
  });
});
