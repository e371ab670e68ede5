/**
 * Failover by Redis's own, unmodified Sentinel (Debian's redis-sentinel): three Sentinels watch
 * one vsetd primary and two vsetd replicas, each vsetd started from a config file so Sentinel's
 * CONFIG REWRITE has somewhere to write. The primary is SIGKILLed while an ioredis client, which
 * finds the primary through the Sentinels, writes and WAITs for one replica. A replica must be
 * promoted, the other must follow it, the client must go on reading and writing, and no write
 * that WAIT 1 acknowledged may be missing afterwards.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, MAIN, waitForPort } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';
import { infoField, waitFor } from './helpers/wait.js';
import { infoOf } from './helpers/replication.js';
import { requireTool, skipWithout } from './helpers/tools.js';

const procs: ChildProcess[] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-sentinel-failover-'));
afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Node {
  port: number;
  proc: ChildProcess;
  conf: string;
  output: () => string;
}

/** A vsetd started from a config file of its own (Sentinel rewrites it on reconfiguration). */
async function vsetd(name: string, lines: string[]): Promise<Node> {
  const port = await freePort();
  const nodeDir = path.join(dir, name);
  fs.mkdirSync(nodeDir);
  const conf = path.join(nodeDir, 'vsetd.conf');
  fs.writeFileSync(conf, [`port ${port}`, `dir ${nodeDir}`, 'save ""', 'enable-debug-command yes', 'search-threads 1', 'repl-diskless-sync-delay 0', ...lines, ''].join('\n'));
  let out = '';
  const proc = spawn(process.execPath, [MAIN, conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  procs.push(proc);
  await waitForPort(port, 20_000, proc);
  return { port, proc, conf, output: () => out };
}

async function sentinel(i: number, primaryPort: number): Promise<number> {
  const port = await freePort();
  const conf = path.join(dir, `sentinel-${i}.conf`);
  fs.writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${primaryPort} 2`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 10000',
      'sentinel parallel-syncs mymaster 2',
      '',
    ].join('\n'),
  );
  const proc = spawn('/usr/bin/redis-sentinel', [conf], { stdio: 'ignore' });
  procs.push(proc);
  await waitForPort(port, 20_000, proc);
  return port;
}

async function sentinelValue(port: number, ...args: string[]): Promise<unknown> {
  return RawConnection.using(port, async (c) => c.value('SENTINEL', ...args));
}

function pairs(v: unknown): Map<string, string> {
  const a = v as string[];
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < a.length; i += 2) m.set(a[i]!, a[i + 1]!);
  return m;
}

describe.skipIf(skipWithout('redis-sentinel'))('failover under Redis Sentinel', () => {
  it('promotes a replica, re-points the other, and loses no write acknowledged by WAIT 1', { timeout: 150_000 }, async () => {
    requireTool('redis-sentinel');
    const primary = await vsetd('a', []);
    const replicas = [await vsetd('b', [`replicaof 127.0.0.1 ${primary.port}`]), await vsetd('c', [`replicaof 127.0.0.1 ${primary.port}`])];
    await waitFor('both replicas to be online', async () => {
      const info = await infoOf(primary.port);
      return infoField(info, 'connected_slaves') === '2' && !/state=(wait_bgsave|send_bulk)/.test(info);
    });
    const sentinels = [await sentinel(0, primary.port), await sentinel(1, primary.port), await sentinel(2, primary.port)];
    for (const s of sentinels) {
      await waitFor(`Sentinel ${s} to know the replicas and the other Sentinels`, async () => {
        const m = pairs(await sentinelValue(s, 'MASTER', 'mymaster'));
        return m.get('num-slaves') === '2' && m.get('num-other-sentinels') === '2';
      });
    }

    const client = new Redis({
      sentinels: sentinels.map((port) => ({ host: '127.0.0.1', port })),
      name: 'mymaster',
      // Commands wait through the failover instead of failing; the test bounds the waits.
      maxRetriesPerRequest: null,
      sentinelRetryStrategy: () => 100,
      retryStrategy: () => 100,
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    });
    client.on('error', () => {});
    const acked: string[] = [];
    let switched = false;
    let ackedAfterSwitch = 0;
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const key = `k${i}`;
        try {
          await client.set(key, key);
          await client.call('VADD', 'acked', 'VALUES', '2', String(Math.cos(i)), String(Math.sin(i)), key);
          const n = (await client.call('WAIT', '1', '2000')) as number;
          if (n >= 1) {
            acked.push(key);
            if (switched) ackedAfterSwitch++;
          }
        } catch {
          // Not acknowledged (a connection cut mid-command, say): it may or may not exist.
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
    try {
      await waitFor('writes acknowledged by a replica before the failover', () => acked.length >= 30);
      primary.proc.kill('SIGKILL');
      const addr = await waitFor(
        'the Sentinels to promote a replica',
        async () => {
          const a = (await sentinelValue(sentinels[0]!, 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[];
          return Number(a[1]) !== primary.port ? a : undefined;
        },
        90_000,
      );
      switched = true;
      const promoted = replicas.find((r) => r.port === Number(addr[1]))!;
      const other = replicas.find((r) => r !== promoted)!;
      expect(promoted).toBeDefined();
      await waitFor('the other replica to follow the new primary', async () => {
        // Sentinel reconfigures a replica with MULTI … REPLICAOF … CLIENT KILL TYPE normal … EXEC, as
        // it does with Redis: a poll that is in flight then loses its connection; poll again.
        const info = await infoOf(other.port).catch((e: unknown) => {
          if (/connection closed|ECONNRESET|EPIPE/.test(String(e))) return undefined;
          throw e;
        });
        if (info === undefined) return undefined;
        return infoField(info, 'master_port') === String(promoted.port) && infoField(info, 'master_link_status') === 'up';
      }, 60_000);
      await waitFor('the client to write through the new primary', () => ackedAfterSwitch >= 20, 60_000);
      stop = true;
      await writer;

      expect(await RawConnection.using(promoted.port, async (c) => c.value('ROLE'))).toEqual(['master', expect.any(Number), [['127.0.0.1', String(other.port), expect.any(String)]]]);
      // Sentinel's CONFIG REWRITE made the promotion and the new primary survive restarts.
      expect(fs.readFileSync(promoted.conf, 'utf8')).not.toMatch(/^replicaof /m);
      expect(fs.readFileSync(other.conf, 'utf8')).toMatch(new RegExp(`^replicaof 127\\.0\\.0\\.1 ${promoted.port}$`, 'm'));
      // The promoted replica kept its old primary's history as replid2, so the follower went on
      // from where it was (+CONTINUE) instead of loading a snapshot again.
      expect(promoted.output()).toContain('Setting secondary replication ID to');
      expect(other.output()).toContain('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
      const stats = await infoOf(promoted.port, 'stats');
      expect(infoField(stats, 'sync_full')).toBe('0');
      expect(infoField(stats, 'sync_partial_ok')).toBe('1');
      for (const key of acked) {
        expect(await client.get(key), key).toBe(key);
        expect(await client.call('VISMEMBER', 'acked', key), key).toBe(1);
      }
      // The follower holds what the new primary holds.
      await waitFor('the follower to catch up', async () => infoField(await infoOf(other.port), 'slave_repl_offset') === infoField(await infoOf(promoted.port), 'master_repl_offset'));
      const digest = async (port: number): Promise<unknown> => RawConnection.using(port, async (c) => c.value('DEBUG', 'DIGEST'));
      expect(await digest(other.port)).toBe(await digest(promoted.port));
    } finally {
      stop = true;
      await writer;
      client.disconnect();
    }
  });
});
