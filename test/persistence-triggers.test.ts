/**
 * What makes the server write to disk on its own: the final snapshot on SIGTERM and on SHUTDOWN
 * when save points are configured (and none without them, or with NOSAVE), `save <seconds>
 * <changes>` points, and the automatic AOF rewrite on growth.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';
import { rng, valuesArgs } from './helpers/rng.js';
import { infoField, waitFor } from './helpers/wait.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-triggers-'));
}

const DEBUG = ['--enable-debug-command', 'yes'];

/** Writes a few strings and a vector set; returns the digest. */
async function writeSome(c: RawConnection, seed: number): Promise<string> {
  const r = rng(seed);
  for (let i = 0; i < 20; i++) await c.call('SET', `k${i}`, `v${seed}:${i}`);
  for (let i = 0; i < 30; i++) await c.call('VADD', 'vs', 'VALUES', 4, ...valuesArgs(r, 4), `e${i}`);
  return (await c.value('DEBUG', 'DIGEST')) as string;
}

/** The digest of what a fresh server loads from `dir` (snapshot only). */
async function loadedDigest(dir: string): Promise<string> {
  const s = await startServer({ dir, args: DEBUG });
  try {
    return await RawConnection.using(s.port, async (c) => (await c.value('DEBUG', 'DIGEST')) as string);
  } finally {
    await s.stop('SIGKILL');
  }
}

const EMPTY_DIGEST = '0'.repeat(40);

describe('the final snapshot', () => {
  for (const how of ['SIGTERM', 'SHUTDOWN'] as const) {
    it(`${how} with save points saves before exiting (exit code 0); the next start loads it`, async () => {
      const dir = tmpDir();
      const s = await startServer({ dir, args: [...DEBUG, '--save', '3600 1'] });
      const digest = await RawConnection.using(s.port, async (c) => {
        const d = await writeSome(c, 1);
        if (how === 'SHUTDOWN') {
          c.write('*1\r\n$8\r\nSHUTDOWN\r\n');
          expect(await c.waitClosed()).toBe(true);
        }
        return d;
      });
      expect(await s.stop('SIGTERM')).toBe(0);
      expect(s.output()).toMatch(/Saving the final snapshot before exiting/);
      expect(fs.existsSync(path.join(dir, 'dump.vsdb'))).toBe(true);
      expect(await loadedDigest(dir)).toBe(digest);
    });
  }

  it('without save points, or with SHUTDOWN NOSAVE, nothing is saved; SHUTDOWN SAVE saves anyway', async () => {
    const dir = tmpDir();
    const s = await startServer({ dir, args: DEBUG });
    await RawConnection.using(s.port, (c) => writeSome(c, 2));
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(fs.existsSync(path.join(dir, 'dump.vsdb'))).toBe(false);

    const s2 = await startServer({ dir, args: [...DEBUG, '--save', '3600 1'] });
    await RawConnection.using(s2.port, async (c) => {
      await writeSome(c, 3);
      c.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
      expect(await c.waitClosed()).toBe(true);
    });
    expect(await s2.stop()).toBe(0);
    expect(fs.existsSync(path.join(dir, 'dump.vsdb'))).toBe(false);

    const s3 = await startServer({ dir, args: DEBUG });
    const digest = await RawConnection.using(s3.port, async (c) => {
      const d = await writeSome(c, 4);
      c.write('*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n');
      expect(await c.waitClosed()).toBe(true);
      return d;
    });
    expect(await s3.stop()).toBe(0);
    expect(digest).not.toBe(EMPTY_DIGEST);
    expect(await loadedDigest(dir)).toBe(digest);
  });
});

describe('save points', () => {
  it('`save 1 50`: once 50 changes are older than a second a background save runs by itself and the file holds them', async () => {
    const dir = tmpDir();
    const s = await startServer({ dir, args: [...DEBUG, '--save', '1 50'] });
    try {
      await RawConnection.using(s.port, async (c) => {
        const digest = await writeSome(c, 5);
        const info = await waitFor('the save point to fire and the save to finish', async () => {
          const text = (await c.value('INFO', 'persistence')) as string;
          return infoField(text, 'rdb_changes_since_last_save') === '0' && infoField(text, 'rdb_bgsave_in_progress') === '0' ? text : undefined;
        });
        expect(infoField(info, 'rdb_last_bgsave_status')).toBe('ok');
        expect(s.output()).toMatch(/50 changes in 1 seconds\. Saving\.\.\./);
        expect(await loadedDigest(dir)).toBe(digest);
      });
    } finally {
      await s.stop('SIGKILL');
    }
  });
});

describe('automatic AOF rewrite', () => {
  it('the AOF growing past auto-aof-rewrite-percentage over min-size starts a rewrite; after kill -9 the data is all there', async () => {
    const dir = tmpDir();
    const args = [...DEBUG, '--appendonly', 'yes', '--appendfsync', 'always', '--auto-aof-rewrite-percentage', '100', '--auto-aof-rewrite-min-size', '64kb'];
    const s = await startServer({ dir, args });
    let digest: string;
    try {
      digest = await RawConnection.using(s.port, async (c) => {
        expect(infoField((await c.value('INFO', 'persistence')) as string, 'aof_rewrites')).toBe('0');
        const r = rng(6);
        // About 200 kB of commands: well past 64 kB and past 100% growth of the (empty) base.
        for (let i = 0; i < 200; i++) await c.call('VADD', 'vs', 'VALUES', 4, ...valuesArgs(r, 4), `e${i}`, 'SETATTR', JSON.stringify({ pad: 'x'.repeat(900), i }));
        const info = await waitFor('an automatic rewrite to finish', async () => {
          const text = (await c.value('INFO', 'persistence')) as string;
          return Number(infoField(text, 'aof_rewrites')) >= 1 && infoField(text, 'aof_rewrite_in_progress') === '0' ? text : undefined;
        });
        expect(infoField(info, 'aof_last_bgrewrite_status')).toBe('ok');
        expect(s.output()).toMatch(/Starting automatic rewriting of AOF on \d+% growth/);
        // Base now holds the data; the increment is small again.
        expect(Number(infoField(info, 'aof_base_size'))).toBeGreaterThan(64 * 1024);
        await c.call('SET', 'after', '1');
        return (await c.value('DEBUG', 'DIGEST')) as string;
      });
    } finally {
      await s.stop('SIGKILL');
    }
    const s2 = await startServer({ dir, args });
    try {
      await RawConnection.using(s2.port, async (c) => {
        expect(await c.value('DEBUG', 'DIGEST')).toBe(digest);
        expect(await c.value('VCARD', 'vs')).toBe(200);
      });
    } finally {
      await s2.stop('SIGKILL');
    }
  });
});
