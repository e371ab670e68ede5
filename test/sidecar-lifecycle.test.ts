// SIGTERM/SIGINT as an orchestrator sends them: stop accepting, let in-flight commands finish
// (a search held in a worker until released), hold writes, save, exit 0; a second signal during
// a long save exits at once with code 1 and leaves no temporary file. Redis's rdb-key-save-delay
// holds the save after each key until the second signal arrives, so no timing is assumed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './helpers/server.js';
import { RawConnection, encodeCommand } from './helpers/raw.js';
import { waitFor } from './helpers/wait.js';

const DIM = 32;
const ELEMENTS = 20_000;

/** Pipelines VADD … FP32 of `n` random vectors into `key`, in batches. */
async function fillSet(c: RawConnection, key: string, n: number): Promise<void> {
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  for (let start = 0; start < n; start += 1000) {
    const batch: Buffer[] = [];
    const end = Math.min(n, start + 1000);
    for (let i = start; i < end; i++) {
      const v = Buffer.alloc(DIM * 4);
      for (let d = 0; d < DIM; d++) v.writeFloatLE(rand(), d * 4);
      batch.push(encodeCommand(['VADD', key, 'FP32', v, `e${i}`]));
    }
    c.write(Buffer.concat(batch));
    for (let i = start; i < end; i++) await c.readReply(60_000);
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-sidecar-life-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SIGTERM', () => {
  test('finishes the search in flight, holds writes, saves a large set and exits 0', async () => {
    const args = ['--save', '3600 1', '--enable-debug-command', 'yes', '--search-inline-when-idle', 'no', '--search-threads', '1'];
    const s = await startServer({ dir, args });
    const a = await RawConnection.connect(s.port);
    const b = await RawConnection.connect(s.port);
    const admin = await RawConnection.connect(s.port);
    try {
      await fillSet(admin, 'big', ELEMENTS);
      const digest = await admin.call('DEBUG', 'DIGEST-VALUE', 'big');
      expect(await admin.call('DEBUG', 'SEARCH-WORKER', 'HOLD')).toBe('+OK\r\n');
      a.write(encodeCommand(['VSIM', 'big', 'ELE', 'e1', 'COUNT', 3]));
      await waitFor('the search to be on the pool', async () => /search_inflight:1/.test(String(await admin.value('INFO', 'searchpool'))));
      s.proc.kill('SIGTERM');
      await waitFor('the drain', () => s.output().includes('Waiting for 1 in-flight command(s) and 0 lagging replica(s) before shutting down'));
      expect(await refused(s.port)).toBe(true);
      // A write now is held, never run: its client gets no reply, and the save will not have it.
      b.write(encodeCommand(['SET', 'late', 'write']));
      // Reads still run: the search is released and answers its client.
      expect(await admin.call('DEBUG', 'SEARCH-WORKER', 'RELEASE')).toBe('+OK\r\n');
      const reply = await a.readReply(30_000);
      expect(Array.isArray(reply.value) && reply.value.length === 3).toBe(true);
      expect(await new Promise((resolve) => s.proc.once('exit', resolve))).toBe(0);
      expect(b.pending()).toBe('');
      expect(s.output()).toContain('Received SIGTERM scheduling shutdown...');
      expect(s.output()).toContain('Saving the final snapshot before exiting.');
      expect(s.output()).toMatch(/DB saved on disk \(\d+ bytes in \d+ ms\)/);
      expect(s.output()).toContain('vsetd is now ready to exit, bye bye...');

      const again = await startServer({ dir, args: ['--enable-debug-command', 'yes'] });
      await RawConnection.using(again.port, async (c) => {
        expect(await c.value('VCARD', 'big')).toBe(ELEMENTS);
        expect(await c.call('DEBUG', 'DIGEST-VALUE', 'big')).toBe(digest);
        expect(await c.value('EXISTS', 'late')).toBe(0);
      });
      await again.stop();
    } finally {
      a.close();
      b.close();
      admin.close();
    }
  });

  test('a second signal during a long save exits at once, code 1, leaving no temporary file', async () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-sidecar-life2-'));
    const s = await startServer({ dir: own, args: ['--save', '3600 1'] });
    await RawConnection.using(s.port, async (c) => {
      await fillSet(c, 'big', ELEMENTS);
      await c.call('SET', 'small', 'x');
      // Hold the save after its first key (Redis's rdb-key-save-delay, in microseconds).
      expect(await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '2147483647')).toBe('+OK\r\n');
    });
    s.proc.kill('SIGTERM');
    const temp = (): string[] => fs.readdirSync(own).filter((f) => f.startsWith(`temp-${s.proc.pid}-`));
    await waitFor('the final save to begin', () => s.output().includes('Saving the final snapshot before exiting.') && temp().length === 1);
    const exit = new Promise((resolve) => s.proc.once('exit', resolve));
    s.proc.kill('SIGINT');
    expect(await exit).toBe(1);
    expect(s.output()).toContain('You insist... exiting now.');
    expect(temp()).toEqual([]);
    expect(fs.existsSync(path.join(own, 'dump.vsdb'))).toBe(false);
    fs.rmSync(own, { recursive: true, force: true });
  });
});
