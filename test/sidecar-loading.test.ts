// Readiness and liveness during the start-up load: the port opens first and answers -LOADING
// (as Redis does) with INFO persistence showing the progress, the health check tells liveness
// from readiness, the metrics endpoint's /readyz follows, and a signal during the load exits
// without saving. Redis's key-load-delay holds the load after each key until CONFIG SET lets it
// go, so nothing here depends on how fast the machine loads.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort, startServer, type RunningServer } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';
import { infoField, waitFor } from './helpers/wait.js';

const HEALTH = path.join(ROOT, 'dist/src/healthcheck.js');
const HOLD = '2147483647';

function health(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [HEALTH, ...args], { env: { PATH: process.env.PATH, ...env } }, (err, stdout) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, out: stdout.trim() });
    });
  });
}

function httpStatus(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

let dir: string;
let dumpBytes: Buffer;

beforeAll(async () => {
  // A dataset of several keys (the load pauses after each): vector sets and strings.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-sidecar-load-'));
  const s = await startServer({ dir });
  await RawConnection.using(s.port, async (c) => {
    for (let k = 0; k < 5; k++) {
      for (let i = 0; i < 20; i++) await c.call('VADD', `set:${k}`, 'VALUES', 3, i, k, 1, `e${i}`);
      await c.call('SET', `str:${k}`, `v${k}`);
    }
    expect(await c.call('SAVE')).toBe('+OK\r\n');
  });
  await s.stop();
  dumpBytes = fs.readFileSync(path.join(dir, 'dump.vsdb'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('while the dataset loads', () => {
  let s: RunningServer;
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = await freePort();
    s = await startServer({ dir, waitReady: false, args: ['--key-load-delay', HOLD, '--metrics-port', String(metricsPort), '--requirepass', 'sesame'] });
  });
  afterAll(async () => {
    await s.stop();
  });

  test('commands answer -LOADING; AUTH, INFO and CONFIG run; INFO shows the progress', async () => {
    await RawConnection.using(s.port, async (c) => {
      expect(await c.call('AUTH', 'sesame')).toBe('+OK\r\n');
      expect(await c.call('PING')).toBe('-LOADING Redis is loading the dataset in memory\r\n');
      expect(await c.call('GET', 'str:0')).toBe('-LOADING Redis is loading the dataset in memory\r\n');
      // The load may not have read its first key yet when this connection comes in.
      const info = await waitFor('the load to have read something', async () => {
        const text = String(await c.value('INFO', 'persistence'));
        return Number(infoField(text, 'loading_loaded_bytes')) > 0 ? text : undefined;
      });
      expect(infoField(info, 'loading')).toBe('1');
      expect(Number(infoField(info, 'loading_total_bytes'))).toBe(dumpBytes.length);
      const loaded = Number(infoField(info, 'loading_loaded_bytes'));
      expect(loaded).toBeGreaterThan(0);
      expect(loaded).toBeLessThan(dumpBytes.length);
      expect(Number(infoField(info, 'loading_loaded_perc'))).toBeCloseTo((loaded / dumpBytes.length) * 100, 1);
      expect(Number(infoField(info, 'loading_start_time'))).toBeGreaterThan(0);
      expect(infoField(info, 'loading_eta_seconds')).toMatch(/^\d+$/);
      expect(String(await c.value('CONFIG', 'GET', 'key-load-delay'))).toContain(HOLD);
    });
  });

  test('the health check: not ready, but alive; /readyz 503, /livez 200', async () => {
    const ready = await health(['--port', String(s.port), '--requirepass', 'sesame']);
    expect(ready).toEqual({ code: 1, out: 'LOADING Redis is loading the dataset in memory (not ready yet)' });
    const live = await health(['--liveness', '--port', String(s.port)], { VSETD_REQUIREPASS: 'sesame' });
    expect(live).toEqual({ code: 0, out: 'LOADING Redis is loading the dataset in memory (alive)' });
    expect(await health(['--port', String(s.port), '--requirepass', 'wrong'])).toMatchObject({ code: 1, out: expect.stringMatching(/^AUTH refused: WRONGPASS/) });
    expect(await httpStatus(metricsPort, '/readyz')).toBe(503);
    expect(await httpStatus(metricsPort, '/livez')).toBe(200);
  });

  test('the log shows the load progress', async () => {
    await waitFor('a progress line', () => /Loading the dataset: \d+\.\d\d% \([\d.]+ of [\d.]+ MB, [\d.]+ MB\/s, ETA \d+ s\)/.test(s.output()));
  });

  test('letting the load go: ready, with every key', async () => {
    await RawConnection.using(s.port, async (c) => {
      await c.call('AUTH', 'sesame');
      expect(await c.call('CONFIG', 'SET', 'key-load-delay', '0')).toBe('+OK\r\n');
      await waitFor('PONG', async () => (await c.call('PING')) === '+PONG\r\n');
      expect(await c.value('DBSIZE')).toBe(10);
      expect(await c.value('VCARD', 'set:4')).toBe(20);
      expect(infoField(String(await c.value('INFO', 'persistence')), 'loading')).toBe('0');
    });
    expect(s.output()).toMatch(/DB loaded from disk: .*10 keys, 100 vector set elements/);
    expect(s.output().indexOf('Ready to accept connections')).toBeGreaterThan(s.output().indexOf('DB loaded from disk'));
    expect(await health(['--port', String(s.port), '--requirepass', 'sesame'])).toEqual({ code: 0, out: 'PONG' });
    expect(await httpStatus(metricsPort, '/readyz')).toBe(200);
  });
});

test('a signal during the load exits 0 without saving over the snapshot', async () => {
  const s = await startServer({ dir, waitReady: false, args: ['--key-load-delay', HOLD, '--save', '1 1'] });
  await RawConnection.using(s.port, async (c) => {
    expect(await c.call('PING')).toMatch(/^-LOADING/);
  });
  expect(await s.stop('SIGTERM')).toBe(0);
  expect(s.output()).toContain('Received shutdown signal during loading, scheduling shutdown.');
  expect(s.output()).not.toContain('Saving the final snapshot');
  expect(fs.readFileSync(path.join(dir, 'dump.vsdb')).equals(dumpBytes)).toBe(true);
});

test('an AOF is loaded the same way, its increments replayed', async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-sidecar-aof-'));
  try {
    const a = await startServer({ dir: d, args: ['--appendonly', 'yes'] });
    await RawConnection.using(a.port, async (c) => {
      for (let i = 0; i < 50; i++) await c.call('VADD', 'aofset', 'VALUES', 2, i, 1, `e${i}`);
    });
    await a.stop();
    const b = await startServer({ dir: d, args: ['--appendonly', 'yes'] });
    await RawConnection.using(b.port, async (c) => {
      expect(await c.value('VCARD', 'aofset')).toBe(50);
    });
    await b.stop();
    expect(b.output()).toMatch(/DB loaded from append only file: .*\(1 keys, 5\d commands replayed\)/);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

