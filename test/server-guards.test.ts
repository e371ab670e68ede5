/**
 * The limits a server enforces on its clients: `maxmemory` (writes refused with OOM, nothing
 * changed), `maxclients` (the connection past the limit refused, room again once one leaves) and
 * `timeout` (idle clients closed, a client inside MULTI kept).
 */
import { describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';
import { rng, valuesArgs } from './helpers/rng.js';
import { waitFor } from './helpers/wait.js';

async function withServer(args: string[], fn: (s: RunningServer) => Promise<void>): Promise<void> {
  const s = await startServer({ args });
  try {
    await fn(s);
  } finally {
    await s.stop('SIGKILL');
  }
}

const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

describe('maxmemory', () => {
  it('above it, writes that may grow memory get the OOM error and change nothing; reads and deletes still work', async () => {
    await withServer(['--enable-debug-command', 'yes'], async (s) => {
      await RawConnection.using(s.port, async (c) => {
        const r = rng(1);
        await c.call('SET', 'k', 'v');
        for (let i = 0; i < 50; i++) await c.call('VADD', 'vs', 'VALUES', 4, ...valuesArgs(r, 4), `e${i}`);
        await c.call('SET', 'gone', 'x');
        // One byte: the server is always above it.
        expect(await c.call('CONFIG', 'SET', 'maxmemory', '1')).toBe('+OK\r\n');
        const digest = await c.value('DEBUG', 'DIGEST');
        expect(await c.call('SET', 'k', 'w')).toBe(OOM);
        expect(await c.call('SET', 'new', 'x')).toBe(OOM);
        expect(await c.call('APPEND', 'k', 'more')).toBe(OOM);
        expect(await c.call('VADD', 'vs', 'VALUES', 4, ...valuesArgs(r, 4), 'more')).toBe(OOM);
        expect(await c.call('VADD', 'vs2', 'VALUES', 4, ...valuesArgs(r, 4), 'first')).toBe(OOM);
        // Inside MULTI the refusal comes at queueing time and EXEC aborts, as in Redis.
        expect(await c.call('MULTI')).toBe('+OK\r\n');
        expect(await c.call('SET', 'k', 'multi')).toBe(OOM);
        expect(await c.call('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
        expect(await c.value('DEBUG', 'DIGEST')).toBe(digest);
        expect(await c.call('GET', 'k')).toBe('$1\r\nv\r\n');
        expect(await c.value('VCARD', 'vs')).toBe(50);
        // Reads and deletes are not refused.
        expect(await c.value('VSIM', 'vs', 'ELE', 'e0', 'COUNT', 1)).toEqual(['e0']);
        expect(await c.value('DEL', 'gone')).toBe(1);
        expect(await c.value('VREM', 'vs', 'e0')).toBe(1);
        expect(await c.call('CONFIG', 'SET', 'maxmemory', '0')).toBe('+OK\r\n');
        expect(await c.call('SET', 'k', 'w')).toBe('+OK\r\n');
      });
    });
  });
});

describe('maxclients', () => {
  it('the connection past the limit is refused with the Redis error; a slot frees when a client leaves', async () => {
    await withServer(['--maxclients', '3'], async (s) => {
      const open = await Promise.all([0, 1, 2].map(() => RawConnection.connect(s.port)));
      for (const c of open) expect(await c.call('PING')).toBe('+PONG\r\n');
      const extra = await RawConnection.connect(s.port);
      expect(await extra.readReply()).toEqual({ value: expect.anything(), raw: '-ERR max number of clients reached\r\n' });
      expect(await extra.waitClosed()).toBe(true);
      expect(String(await open[0]!.value('INFO', 'stats'))).toMatch(/rejected_connections:1\r\n/);
      open[2]!.close();
      // Once the server has seen the close, a new client gets in.
      const again = await waitFor('a free client slot', async () => {
        const c = await RawConnection.connect(s.port);
        const reply = await c.call('PING').catch(() => '');
        if (reply === '+PONG\r\n') return c;
        c.close();
        return undefined;
      });
      again.close();
      for (const c of open) c.close();
    });
  });
});

describe('timeout', () => {
  it('closes a client idle for longer than timeout seconds, but not one inside MULTI', async () => {
    await withServer(['--timeout', '1'], async (s) => {
      // The MULTI client goes idle first, so the pass that closes the other one saw it idle longer.
      const inMulti = await RawConnection.connect(s.port);
      expect(await inMulti.call('MULTI')).toBe('+OK\r\n');
      expect(await inMulti.call('SET', 'k', 'v')).toBe('+QUEUED\r\n');
      const idle = await RawConnection.connect(s.port);
      expect(await idle.call('PING')).toBe('+PONG\r\n');
      expect(await idle.waitClosed(20_000)).toBe(true);
      expect(inMulti.closed).toBe(false);
      expect(await inMulti.value('EXEC')).toEqual(['OK']);
      inMulti.close();
    });
  });
});
