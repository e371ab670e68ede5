/**
 * Redis's own Sentinel (redis-server --sentinel) monitoring vsetd: two Sentinels find each other
 * only through PUBLISH/SUBSCRIBE on vsetd's `__sentinel__:hello` channel, and read the primary's
 * state from its INFO. Failover is in replication-sentinel.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, serverForFile, waitForPort } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';
import { requireTool, skipWithout } from './helpers/tools.js';
import { waitFor } from './helpers/wait.js';

const server = serverForFile();

describe.skipIf(skipWithout('redis-server'))('Redis Sentinel against vsetd', () => {
  const sentinels: Array<{ port: number; proc: ChildProcess }> = [];
  let dir = '';

  beforeAll(async () => {
    requireTool('redis-server');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-sentinel-'));
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const conf = path.join(dir, `sentinel-${i}.conf`);
      // Sentinel rewrites its own file, so each gets a writable one.
      fs.writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor mymaster 127.0.0.1 ${server().port} 2\nsentinel down-after-milliseconds mymaster 60000\n`);
      const proc = spawn('/usr/bin/redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
      sentinels.push({ port, proc });
      await waitForPort(port, 20_000, proc);
    }
  });

  afterAll(() => {
    for (const s of sentinels) s.proc.kill('SIGKILL');
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sees a healthy primary and discovers the other Sentinel through the hello channel', async () => {
    const master = await RawConnection.using(sentinels[0]!.port, async (c) =>
      waitFor('the Sentinels to discover each other through vsetd', async () => {
        const v = (await c.value('SENTINEL', 'MASTER', 'mymaster')) as string[];
        const m = new Map<string, string>();
        for (let i = 0; i < v.length; i += 2) m.set(v[i]!, v[i + 1]!);
        return m.get('num-other-sentinels') === '1' ? m : undefined;
      }),
    );
    expect(master.get('flags')).toBe('master');
    expect(master.get('role-reported')).toBe('master');
    expect(master.get('runid')).toMatch(/^[0-9a-f]{40}$/);
    // Discovery is one hello at a time, in each direction: the second Sentinel may hear the first
    // a couple of seconds after the first heard it (a loaded machine failed a plain check here).
    await RawConnection.using(sentinels[1]!.port, async (c) => {
      const quorum = await waitFor('the second Sentinel to count both', async () => {
        const r = await c.value('SENTINEL', 'CKQUORUM', 'mymaster');
        return typeof r === 'string' && r.startsWith('OK') ? r : undefined;
      });
      expect(quorum).toBe('OK 2 usable Sentinels. Quorum and failover authorization can be reached');
    });
    // Each Sentinel holds a command link and a pub/sub link on vsetd, named as Sentinel names them.
    await RawConnection.using(server().port, async (c) => {
      const list = (await c.value('CLIENT', 'LIST')) as string;
      const links = list.split('\n').filter((l) => / name=sentinel-[0-9a-f]{8}-(cmd|pubsub) /.test(l));
      expect(links.filter((l) => l.includes('-pubsub ') && l.includes(' flags=P ') && l.includes(' sub=1 ')).length).toBe(2);
      expect(links.filter((l) => l.includes('-cmd ')).length).toBe(2);
      expect(await c.value('PUBSUB', 'NUMSUB', '__sentinel__:hello')).toEqual(['__sentinel__:hello', 2]);
    });
  });
});
