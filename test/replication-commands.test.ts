/**
 * The replication commands and what replication adds to every command, against real vsetd
 * processes: ROLE and INFO replication in Redis's shapes (field for field against a real
 * redis-server pair where one is installed), READONLY on replicas, WAIT, min-replicas-to-write,
 * REPLICAOF's errors and its config line, SLAVEOF inside MULTI as Sentinel sends it,
 * replica-serve-stale-data, and peers that misbehave on either end of a link.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { RawConnection, encodeCommand } from './helpers/raw.js';
import { freePort, MAIN, waitForPort, type RunningServer } from './helpers/server.js';
import { infoField, waitFor } from './helpers/wait.js';
import { infoOf, REPL_ARGS, startNode, startReplicaOf, waitInSync } from './helpers/replication.js';
import { requireTool, skipWithout } from './helpers/tools.js';

const running: RunningServer[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0)) f();
  await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
});

async function node(args: string[] = []): Promise<RunningServer> {
  const s = await startNode({ args });
  running.push(s);
  return s;
}

async function replicaOf(primary: RunningServer, args: string[] = []): Promise<RunningServer> {
  const s = await startReplicaOf(primary, { args });
  running.push(s);
  return s;
}

/** INFO replication as an ordered list of field names, `slaveN` lines named by position. */
function fieldNames(info: string): string[] {
  return info
    .split('\r\n')
    .filter((l) => l.includes(':'))
    .map((l) => l.slice(0, l.indexOf(':')));
}

const READONLY = "-READONLY You can't write against a read only replica.\r\n";

describe('ROLE and INFO replication', () => {
  it('a primary alone, a primary with a replica, and the replica, in Redis’s shapes', async () => {
    const primary = await node();
    await RawConnection.using(primary.port, async (c) => {
      expect(await c.call('ROLE')).toBe('*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n');
      const info = (await c.value('INFO', 'replication')) as string;
      expect(fieldNames(info)).toEqual(['role', 'connected_slaves', 'master_failover_state', 'master_replid', 'master_replid2', 'master_repl_offset', 'second_repl_offset', 'repl_backlog_active', 'repl_backlog_size', 'repl_backlog_first_byte_offset', 'repl_backlog_histlen']);
      expect(infoField(info, 'master_replid')).toMatch(/^[0-9a-f]{40}$/);
      expect(infoField(info, 'repl_backlog_active')).toBe('0');
    });
    const replica = await replicaOf(primary, ['--replica-priority', '42']);
    await waitInSync(primary, [replica]);
    await RawConnection.using(primary.port, async (c) => c.call('SET', 'k', 'v'));
    await waitInSync(primary, [replica]);
    const pinfo = await infoOf(primary.port);
    const rinfo = await infoOf(replica.port);
    const offset = Number(infoField(pinfo, 'master_repl_offset'));
    expect(offset).toBeGreaterThan(0);
    expect(infoField(pinfo, 'slave0')).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=${replica.port},state=online,offset=\\d+,lag=\\d+$`));
    expect(infoField(rinfo, 'role')).toBe('slave');
    expect(infoField(rinfo, 'master_host')).toBe('127.0.0.1');
    expect(infoField(rinfo, 'master_port')).toBe(String(primary.port));
    expect(infoField(rinfo, 'master_link_status')).toBe('up');
    expect(infoField(rinfo, 'slave_priority')).toBe('42');
    expect(infoField(rinfo, 'master_replid')).toBe(infoField(pinfo, 'master_replid'));
    expect(infoField(rinfo, 'master_repl_offset')).toBe(String(offset));
    await RawConnection.using(replica.port, async (c) => {
      expect(await c.value('ROLE')).toEqual(['slave', '127.0.0.1', primary.port, 'connected', offset]);
      const hello = (await c.value('HELLO', '2')) as Array<string | number>;
      expect(hello[hello.indexOf('role') + 1]).toBe('replica');
    });
    await RawConnection.using(primary.port, async (c) => {
      await waitFor('the replica’s ACK of the last write', async () => {
        const role = (await c.value('ROLE')) as [string, number, string[][]];
        return role[2].length === 1 && role[2][0]![2] === String(role[1]) ? role : undefined;
      });
      const role = (await c.value('ROLE')) as [string, number, string[][]];
      expect(role[0]).toBe('master');
      expect(role[2][0]!.slice(0, 2)).toEqual(['127.0.0.1', String(replica.port)]);
    });
  });

  it.skipIf(skipWithout('redis-server'))('has the fields a real redis-server pair shows, in the same order', async () => {
    requireTool('redis-server');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-redis-repl-'));
    const [rp, rr] = [await freePort(), await freePort()];
    const procs = [
      spawn('/usr/bin/redis-server', ['--port', String(rp), '--save', '', '--dir', dir, '--repl-diskless-sync-delay', '0'], { stdio: 'ignore' }),
      spawn('/usr/bin/redis-server', ['--port', String(rr), '--save', '', '--dir', dir, '--replicaof', '127.0.0.1', String(rp)], { stdio: 'ignore' }),
    ];
    cleanups.push(() => {
      for (const p of procs) p.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    });
    await waitForPort(rp);
    await waitForPort(rr);
    await waitFor('the redis replica to sync', async () => infoField(await infoOf(rr), 'master_link_status') === 'up' && infoField(await infoOf(rp), 'slave0').includes('state=online'));
    const primary = await node();
    const replica = await replicaOf(primary);
    await waitInSync(primary, [replica]);
    await waitFor('our replica to be online', async () => infoField(await infoOf(primary.port), 'slave0').includes('state=online'));
    expect(fieldNames(await infoOf(primary.port))).toEqual(fieldNames(await infoOf(rp)));
    expect(fieldNames(await infoOf(replica.port))).toEqual(fieldNames(await infoOf(rr)));
  });

  it('a replica whose primary cannot be reached says so', async () => {
    const closedPort = await freePort();
    const replica = await node(['--replicaof', '127.0.0.1', String(closedPort)]);
    await RawConnection.using(replica.port, async (c) => {
      const role = (await c.value('ROLE')) as Array<string | number>;
      expect(role.slice(0, 3)).toEqual(['slave', '127.0.0.1', closedPort]);
      expect(['connect', 'connecting']).toContain(role[3]);
      expect(role[4]).toBe(-1);
      const info = (await c.value('INFO', 'replication')) as string;
      expect(infoField(info, 'master_link_status')).toBe('down');
      expect(infoField(info, 'master_link_down_since_seconds')).toBe('-1');
      // Stale reads are served by default.
      expect(await c.call('GET', 'nothing')).toBe('$-1\r\n');
      expect(await c.call('CONFIG', 'SET', 'replica-serve-stale-data', 'no')).toBe('+OK\r\n');
      expect(await c.call('GET', 'nothing')).toBe("-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n");
      expect(await c.call('PING')).toBe("-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n");
      expect((await c.value('INFO', 'replication')) as string).toContain('role:slave');
      expect(await c.call('REPLICAOF', 'NO', 'ONE')).toBe('+OK\r\n');
      expect(await c.call('GET', 'nothing')).toBe('$-1\r\n');
    });
  });
});

describe('authentication and announced addresses', () => {
  it('a replica authenticates with masterauth / masteruser and announces its address', async () => {
    const primary = await node(['--requirepass', 'sesame']);
    const replica = await node(['--replicaof', '127.0.0.1', String(primary.port), '--masterauth', 'wrong']);
    await waitFor('the refused AUTH to be logged', () => /Unable to AUTH to MASTER: -WRONGPASS/.test(replica.output()));
    await RawConnection.using(replica.port, async (c) => {
      expect(await c.call('CONFIG', 'SET', 'masteruser', 'default', 'masterauth', 'sesame', 'replica-announce-ip', '10.1.2.3', 'replica-announce-port', '7777')).toBe('+OK\r\n');
    });
    await waitFor('the replica to sync', async () => infoField(await infoOf(replica.port), 'master_link_status') === 'up');
    const info = await RawConnection.using(primary.port, async (c) => {
      await c.call('AUTH', 'sesame');
      return (await c.value('INFO', 'replication')) as string;
    });
    expect(infoField(info, 'slave0')).toMatch(/^ip=10\.1\.2\.3,port=7777,state=(wait_bgsave|online),/);
  });
});

describe('READONLY, replica-read-only, reads on replicas', () => {
  it('refuses writes, aborts transactions that hold them, and serves searches from its pool', async () => {
    const primary = await node();
    await RawConnection.using(primary.port, async (c) => {
      for (let i = 0; i < 50; i++) await c.call('VADD', 'v', 'VALUES', 3, Math.cos(i / 8), Math.sin(i / 8), 0, `e${i}`);
    });
    const replica = await replicaOf(primary, ['--search-inline-when-idle', 'no', '--search-threads', '2']);
    await waitInSync(primary, [replica]);
    await RawConnection.using(replica.port, async (c) => {
      expect(await c.call('SET', 'x', '1')).toBe(READONLY);
      expect(await c.call('VADD', 'v', 'VALUES', 3, 1, 1, 1, 'new')).toBe(READONLY);
      expect(await c.call('VREM', 'v', 'e1')).toBe(READONLY);
      expect(await c.call('FLUSHALL')).toBe(READONLY);
      expect(await c.call('MULTI')).toBe('+OK\r\n');
      expect(await c.call('GET', 'x')).toBe('+QUEUED\r\n');
      expect(await c.call('SET', 'x', '1')).toBe(READONLY);
      expect(await c.call('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
      expect(await c.value('VCARD', 'v')).toBe(50);
      const before = Number(infoField((await c.value('INFO', 'searchpool')) as string, 'searches_served'));
      expect(await c.value('VSIM', 'v', 'ELE', 'e10', 'COUNT', 1)).toEqual(['e10']);
      expect(Number(infoField((await c.value('INFO', 'searchpool')) as string, 'searches_served'))).toBe(before + 1);
      // A writable replica takes local writes.
      expect(await c.call('CONFIG', 'SET', 'replica-read-only', 'no')).toBe('+OK\r\n');
      expect(await c.call('SET', 'local', '1')).toBe('+OK\r\n');
    });
  });

  it('a transaction queued on a primary that became a replica is aborted at EXEC', async () => {
    const other = await node();
    const primary = await node();
    await RawConnection.using(primary.port, async (a) => {
      expect(await a.call('MULTI')).toBe('+OK\r\n');
      expect(await a.call('SET', 'x', '1')).toBe('+QUEUED\r\n');
      await RawConnection.using(primary.port, async (b) => expect(await b.call('REPLICAOF', '127.0.0.1', other.port)).toBe('+OK\r\n'));
      expect(await a.call('EXEC')).toBe(`-EXECABORT Transaction discarded because of: ${READONLY.slice(1)}`);
      expect(await a.call('GET', 'x')).toBe('$-1\r\n');
    });
  });
});

describe('WAIT', () => {
  it('counts the replicas that acknowledged the client’s writes, or gives up after the timeout', async () => {
    const primary = await node();
    await RawConnection.using(primary.port, async (c) => {
      expect(await c.call('WAIT', 0, 0)).toBe(':0\r\n');
      expect(await c.call('SET', 'a', '1')).toBe('+OK\r\n');
      expect(await c.call('WAIT', 1, 50)).toBe(':0\r\n');
      expect(await c.call('WAIT', 'x', 0)).toBe('-ERR value is not an integer or out of range\r\n');
      expect(await c.call('WAIT', 1, -1)).toBe('-ERR timeout is negative\r\n');
      expect(await c.call('WAIT', 1, 'soon')).toBe('-ERR timeout is not an integer or out of range\r\n');
    });
    const replica = await replicaOf(primary);
    await waitInSync(primary, [replica]);
    await RawConnection.using(primary.port, async (c) => {
      for (let i = 0; i < 20; i++) {
        expect(await c.call('VADD', 'w', 'VALUES', 2, i, 1, `e${i}`)).toBe(':1\r\n');
        expect(await c.call('WAIT', 1, 0)).toBe(':1\r\n');
      }
      expect(await c.call('WAIT', 2, 100)).toBe(':1\r\n');
      // Inside EXEC nothing blocks.
      await c.call('MULTI');
      await c.call('WAIT', 5, 0);
      expect(await c.value('EXEC')).toEqual([1]);
    });
    await RawConnection.using(replica.port, async (c) => {
      expect(await c.value('VCARD', 'w')).toBe(20);
      expect(await c.call('WAIT', 1, 0)).toBe('-ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.\r\n');
    });
  });

  it('a WAIT blocked on a primary that becomes a replica is released with an error', async () => {
    const other = await node();
    const primary = await node();
    await RawConnection.using(primary.port, async (c) => {
      await c.call('SET', 'a', '1');
      c.write(encodeCommand(['WAIT', 3, 0]));
      await RawConnection.using(primary.port, async (b) => expect(await b.call('REPLICAOF', '127.0.0.1', other.port)).toBe('+OK\r\n'));
      expect((await c.readReply()).raw).toBe('-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n');
    });
  });
});

describe('min-replicas-to-write', () => {
  it('refuses writes until enough replicas acknowledge recently enough', async () => {
    const primary = await node(['--min-replicas-to-write', '1', '--min-replicas-max-lag', '2']);
    const NOREPLICAS = '-NOREPLICAS Not enough good replicas to write.\r\n';
    await RawConnection.using(primary.port, async (c) => {
      expect(await c.call('SET', 'a', '1')).toBe(NOREPLICAS);
      expect(await c.call('VADD', 'v', 'VALUES', 2, 1, 1, 'e')).toBe(NOREPLICAS);
      expect(await c.call('GET', 'a')).toBe('$-1\r\n');
      await c.call('MULTI');
      expect(await c.call('SET', 'a', '1')).toBe(NOREPLICAS);
      expect(await c.call('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
      expect(infoField((await c.value('INFO', 'replication')) as string, 'min_slaves_good_slaves')).toBe('0');
    });
    const replica = await replicaOf(primary);
    await waitInSync(primary, [replica]);
    await RawConnection.using(primary.port, async (c) => {
      await waitFor('writes to be accepted', async () => (await c.call('SET', 'a', '1')) === '+OK\r\n');
      expect(infoField((await c.value('INFO', 'replication')) as string, 'min_slaves_good_slaves')).toBe('1');
      // A replica that stops acknowledging stops counting after min-replicas-max-lag seconds.
      replica.proc.kill('SIGSTOP');
      try {
        await waitFor('writes to be refused again', async () => (await c.call('SET', 'a', '2')) === NOREPLICAS);
      } finally {
        replica.proc.kill('SIGCONT');
      }
      await waitFor('writes to be accepted again', async () => (await c.call('SET', 'a', '3')) === '+OK\r\n');
      expect(await c.call('CONFIG', 'SET', 'min-slaves-to-write', '0')).toBe('+OK\r\n');
      expect(await c.value('CONFIG', 'GET', 'min-replicas-to-write')).toEqual(['min-replicas-to-write', '0']);
    });
  });
});

describe('REPLICAOF, its config line and Sentinel’s transaction', () => {
  it('checks its arguments and knows when it is already done', async () => {
    const primary = await node();
    const s = await node();
    await RawConnection.using(s.port, async (c) => {
      expect(await c.call('REPLICAOF', 'NO', 'ONE')).toBe('+OK\r\n');
      expect(await c.call('REPLICAOF', '127.0.0.1', 'port')).toBe('-ERR Invalid master port\r\n');
      expect(await c.call('REPLICAOF', '127.0.0.1', '70000')).toBe('-ERR Invalid master port\r\n');
      expect(await c.call('REPLICAOF', '127.0.0.1')).toBe("-ERR wrong number of arguments for 'replicaof' command\r\n");
      expect(await c.call('SLAVEOF', '127.0.0.1', primary.port)).toBe('+OK\r\n');
      expect(await c.call('REPLICAOF', '127.0.0.1', primary.port)).toBe('+OK Already connected to specified master\r\n');
      expect(await c.value('CONFIG', 'GET', 'replicaof')).toEqual(['replicaof', `127.0.0.1 ${primary.port}`]);
      expect(await c.value('CONFIG', 'GET', 'slaveof')).toEqual(['slaveof', `127.0.0.1 ${primary.port}`]);
      expect(await c.call('CONFIG', 'SET', 'replicaof', 'no one')).toBe("-ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config\r\n");
    });
  });

  it('runs inside MULTI as Sentinel sends it, and CONFIG REWRITE writes or drops the replicaof line', async () => {
    const primary = await node();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-repl-conf-'));
    const conf = path.join(dir, 'vsetd.conf');
    fs.writeFileSync(conf, `# replica\nslaveof 127.0.0.1 ${primary.port}\nslave-read-only yes\n`);
    const port = await freePort();
    const proc = spawn(process.execPath, [MAIN, conf, '--port', String(port), '--dir', dir, '--save', '', ...REPL_ARGS], { stdio: 'ignore' });
    cleanups.push(() => {
      proc.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    });
    await waitForPort(port, 20_000, proc);
    await waitFor('the replica to connect', async () => infoField(await infoOf(port), 'master_link_status') === 'up');
    const sentinel = await RawConnection.connect(port);
    const app = await RawConnection.connect(port);
    try {
      await app.call('PING');
      const tx = (args: string[][]): string => args.map((a) => encodeCommand(a).toString('latin1')).join('');
      sentinel.write(tx([['MULTI'], ['SLAVEOF', 'NO', 'ONE'], ['CONFIG', 'REWRITE'], ['CLIENT', 'KILL', 'TYPE', 'normal'], ['CLIENT', 'KILL', 'TYPE', 'pubsub'], ['EXEC']]));
      expect((await sentinel.readReply()).raw).toBe('+OK\r\n');
      for (let i = 0; i < 4; i++) expect((await sentinel.readReply()).raw).toBe('+QUEUED\r\n');
      expect((await sentinel.readReply()).raw).toBe('*4\r\n+OK\r\n+OK\r\n:1\r\n:0\r\n');
      expect(await app.waitClosed()).toBe(true);
      expect(await sentinel.value('ROLE')).toEqual(['master', expect.any(Number), []]);
      // An alias's line is the option's line: slaveof goes as replicaof would, and
      // slave-read-only is written in place under the option's name, as Redis does.
      const promoted = fs.readFileSync(conf, 'utf8');
      expect(promoted).not.toMatch(/^(slaveof|replicaof) /m);
      expect(promoted).toMatch(/^# replica\n\nreplica-read-only yes\n/);
      sentinel.write(tx([['MULTI'], ['SLAVEOF', '127.0.0.1', String(primary.port)], ['CONFIG', 'REWRITE'], ['CLIENT', 'KILL', 'TYPE', 'normal'], ['CLIENT', 'KILL', 'TYPE', 'pubsub'], ['EXEC']]));
      expect((await sentinel.readReply()).raw).toBe('+OK\r\n');
      for (let i = 0; i < 4; i++) expect((await sentinel.readReply()).raw).toBe('+QUEUED\r\n');
      expect((await sentinel.readReply()).raw).toBe('*4\r\n+OK\r\n+OK\r\n:0\r\n:0\r\n');
      expect(fs.readFileSync(conf, 'utf8')).toMatch(new RegExp(`^replicaof 127\\.0\\.0\\.1 ${primary.port}$`, 'm'));
      await waitFor('the replica to connect again', async () => infoField(await infoOf(port), 'master_link_status') === 'up');
    } finally {
      sentinel.close();
      app.close();
    }
  });
});

/** A fake primary: answers the handshake, then plays `afterPsync` to whoever asks for a sync. */
async function fakePrimary(afterPsync: (socket: net.Socket) => void): Promise<number> {
  const srv = net.createServer((socket) => {
    let seen = '';
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      for (;;) {
        const m = /\*(\d+)\r\n\$\d+\r\n(\w+)\r\n/.exec(seen);
        if (!m) return;
        // Skip this command's remaining arguments.
        const parts = seen.slice(m.index).split('\r\n');
        const used = parts.slice(0, 1 + Number(m[1]) * 2).join('\r\n').length + 2;
        seen = seen.slice(m.index + used);
        const name = m[2]!.toUpperCase();
        if (name === 'PING') socket.write('+PONG\r\n');
        else if (name === 'REPLCONF') socket.write('+OK\r\n');
        else if (name === 'PSYNC') afterPsync(socket);
      }
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => srv.close());
  return (srv.address() as net.AddressInfo).port;
}

describe('peers that misbehave', () => {
  const replid = 'f'.repeat(40);
  const scenarios: Array<[string, (s: net.Socket) => void, RegExp]> = [
    ['a multi-line reply to PSYNC', (s) => s.write('$5\r\nhello\r\n'), /not a one-line status or error/],
    ['an unknown PSYNC reply', (s) => s.write('+WHATEVER\r\n'), /Unexpected reply to PSYNC/],
    ['a bad payload header', (s) => s.write(`+FULLRESYNC ${replid} 0\r\n*3\r\n`), /the first byte is not '\$'/],
    ['a damaged snapshot', (s) => s.write(`+FULLRESYNC ${replid} 0\r\n$64\r\n${'x'.repeat(64)}`), /Failed trying to load the MASTER synchronization DB/],
    ['an empty snapshot', (s) => s.write(`+FULLRESYNC ${replid} 0\r\n$EOF:${'m'.repeat(40)}\r\n${'m'.repeat(40)}`), /Failed trying to load/],
    ['a malformed +FULLRESYNC', (s) => s.write('+FULLRESYNC short 1\r\n'), /Unexpected reply to PSYNC/],
    ['garbage after +CONTINUE', (s) => s.write(`+CONTINUE ${replid}\r\n:1\r\n*1\r\n$-1\r\n`), /Protocol error from MASTER/],
    ['an endless bulk string', (s) => s.write(`+CONTINUE ${replid}\r\n*1\r\n$999999999\r\n${'a'.repeat(3 << 20)}`), /unfinished command/],
  ];
  it.each(scenarios)('a replica survives %s and keeps its data', async (_what, play, logged) => {
    const fake = await fakePrimary(play);
    const s = await node(['--client-query-buffer-limit', '1mb']);
    await RawConnection.using(s.port, async (c) => {
      await c.call('SET', 'mine', 'kept');
      const digest = await c.value('DEBUG', 'DIGEST');
      expect(await c.call('REPLICAOF', '127.0.0.1', fake)).toBe('+OK\r\n');
      await waitFor('the link to fail as it should', () => logged.test(s.output()));
      expect(await c.call('PING')).toBe('+PONG\r\n');
      expect(await c.value('DEBUG', 'DIGEST')).toBe(digest);
      expect(fs.readdirSync(s.dir).filter((f) => f.startsWith('temp-'))).toEqual([]);
    });
  });

  it('a primary survives a replica that misbehaves, and drops it when it asks for keys', async () => {
    const primary = await node();
    await RawConnection.using(primary.port, async (c) => {
      expect(await c.call('REPLCONF', 'listening-port')).toBe('-ERR syntax error\r\n');
      expect(await c.call('REPLCONF', 'listening-port', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
      expect(await c.call('REPLCONF', 'nonsense', '1')).toBe('-ERR Unrecognized REPLCONF option: nonsense\r\n');
      expect(await c.call('REPLCONF', 'ip-address', 'x'.repeat(300))).toBe('-ERR REPLCONF ip-address provided by replica instance is too long: 300 bytes\r\n');
      // A forged INFO line for Sentinel to read.
      expect(await c.call('REPLCONF', 'ip-address', '1.2.3.4\r\nrole:master')).toBe('-ERR REPLCONF ip-address provided by replica instance is not a valid address\r\n');
      expect(await c.call('PSYNC', '?', 'soon')).toBe('-ERR value is not an integer or out of range\r\n');
      expect(await c.call('MULTI')).toBe('+OK\r\n');
      expect(await c.call('PSYNC', '?', '-1')).toBe('-ERR Command not allowed inside a transaction\r\n');
      expect(await c.call('DISCARD')).toBe('+OK\r\n');
      // An ACK from a client that is no replica gets no reply at all.
      c.write(encodeCommand(['REPLCONF', 'ACK', '5']));
      expect(await c.call('PING')).toBe('+PONG\r\n');
    });
    const bad = await RawConnection.connect(primary.port);
    try {
      bad.write(encodeCommand(['REPLCONF', 'capa', 'eof']));
      expect((await bad.readReply()).raw).toBe('+OK\r\n');
      bad.write(encodeCommand(['PSYNC', '?', '-1']));
      await waitFor('the snapshot to be sent', () => /\$EOF:[0-9a-f]{40}\r\n/.test(bad.pending()) && bad.pending().length > 200);
      bad.write(encodeCommand(['REPLCONF', 'ACK', 'not-a-number']));
      bad.write(encodeCommand(['GET', 'x']));
      expect(await bad.waitClosed()).toBe(true);
    } finally {
      bad.close();
    }
    expect(primary.output()).toMatch(/Replica 127\.0\.0\.1:\d+ generated a reply/);
    await RawConnection.using(primary.port, async (c) => {
      expect(await c.call('PING')).toBe('+PONG\r\n');
      expect(infoField((await c.value('INFO', 'replication')) as string, 'connected_slaves')).toBe('0');
    });
  });
});
