/**
 * Replicas against real vsetd processes: one that joins late (full sync, both payload framings),
 * one cut off during a write burst (partial sync from the backlog, the link dropped from either
 * end), one whose primary restarts (full sync again). Afterwards the replica's vector sets and
 * strings read the same as the primary's: VCARD, VEMB, DEBUG DIGEST-VALUE, TRUTH searches and
 * DEBUG DIGEST. Also: expiry is the primary's business, PUBLISH reaches replica subscribers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommand, RawConnection, RespError, type RespValue } from './helpers/raw.js';
import type { RunningServer } from './helpers/server.js';
import { rng, valuesArgs } from './helpers/rng.js';
import { infoField, waitFor } from './helpers/wait.js';
import { expectSameData, infoOf, startNode, startReplicaOf, waitInSync } from './helpers/replication.js';

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
});

async function node(args: string[] = [], extra: { dir?: string; port?: number } = {}): Promise<RunningServer> {
  const s = await startNode({ ...extra, args });
  running.push(s);
  return s;
}

async function replicaOf(primary: RunningServer, args: string[] = []): Promise<RunningServer> {
  const s = await startReplicaOf(primary, { args });
  running.push(s);
  return s;
}

/** Sends commands in one write and reads every reply; an error reply fails the test. */
async function pipeline(port: number, cmds: Array<Array<string | number>>): Promise<RespValue[]> {
  return RawConnection.using(port, async (c) => {
    c.write(Buffer.concat(cmds.map((a) => encodeCommand(a))));
    const out: RespValue[] = [];
    for (const cmd of cmds) {
      const v = (await c.readReply(30_000)).value;
      if (v instanceof RespError) throw new Error(`${cmd.join(' ').slice(0, 80)}: ${v.message}`);
      out.push(v);
    }
    return out;
  });
}

interface SetSpec {
  key: string;
  db?: number;
  dim: number;
  elements: string[];
}

/**
 * Every kind of write there is, over vector sets of each quantisation (with attributes, REDUCE
 * and CAS) in two databases and strings with and without TTLs. Returns the sets written.
 */
async function writeEverything(port: number, seed: number, n: number): Promise<SetSpec[]> {
  const r = rng(seed);
  const sets: SetSpec[] = [
    { key: `q8:${seed}`, dim: 16, elements: [] },
    { key: `f32:${seed}`, dim: 8, elements: [] },
    { key: `bin:${seed}`, dim: 32, elements: [] },
    { key: `reduced:${seed}`, dim: 12, elements: [] },
    { key: `db2:${seed}`, db: 2, dim: 6, elements: [] },
  ];
  const opts: Record<string, string[]> = { q8: [], f32: ['NOQUANT'], bin: ['BIN'], reduced: [], db2: ['M', '8'] };
  const cmds: Array<Array<string | number>> = [];
  for (const s of sets) {
    const kind = s.key.split(':')[0]!;
    cmds.push(['SELECT', s.db ?? 0]);
    for (let i = 0; i < n; i++) {
      const name = `e${i}`;
      s.elements.push(name);
      const head: Array<string | number> = kind === 'reduced' ? ['VADD', s.key, 'REDUCE', 4] : ['VADD', s.key];
      const cas = i > 2 && i % 7 === 0 ? ['CAS'] : [];
      const attr = i % 3 === 0 ? ['SETATTR', JSON.stringify({ i, seed, tag: `t${i % 5}` })] : [];
      cmds.push([...head, 'VALUES', s.dim, ...valuesArgs(r, s.dim), name, ...cas, ...opts[kind]!, ...attr]);
    }
    cmds.push(['VREM', s.key, 'e1'], ['VSETATTR', s.key, 'e2', '{"changed":true}'], ['VSETATTR', s.key, 'e0', '']);
    s.elements = s.elements.filter((e) => e !== 'e1');
  }
  cmds.push(
    ['SELECT', 0],
    ['SET', `s:${seed}`, 'plain'],
    ['SET', `ttl:${seed}`, 'x', 'EX', 10_000],
    ['INCR', `n:${seed}`],
    ['INCRBYFLOAT', `n:${seed}`, '1.5'],
    ['APPEND', `s:${seed}`, '+more'],
    ['MSET', `m1:${seed}`, 'a', `m2:${seed}`, 'b'],
    ['SET', `gone:${seed}`, 'soon'],
    ['DEL', `gone:${seed}`],
    ['EXPIRE', `m2:${seed}`, 5000],
    ['RENAME', `m1:${seed}`, `m3:${seed}`],
    ['COPY', `s:${seed}`, `scopy:${seed}`],
    ['MULTI'],
    ['INCR', `tx:${seed}`],
    ['VADD', `q8:${seed}`, 'VALUES', 16, ...valuesArgs(r, 16), 'in-tx'],
    ['EXEC'],
  );
  sets[0]!.elements.push('in-tx');
  await pipeline(port, cmds);
  return sets;
}

const stringKeys = (seed: number): string[] => [`s:${seed}`, `ttl:${seed}`, `n:${seed}`, `m2:${seed}`, `m3:${seed}`, `gone:${seed}`, `tx:${seed}`, `scopy:${seed}`];

describe('full sync', () => {
  it.each(['yes', 'no'])('a replica that joins late gets everything (repl-diskless-sync %s), then the stream', async (diskless) => {
    // Searches go to the pool even alone, so VADD … CAS really runs its search in a worker.
    const primary = await node(['--repl-diskless-sync', diskless, '--search-inline-when-idle', 'no']);
    const sets = await writeEverything(primary.port, 1, 200);
    const replica = await replicaOf(primary);
    await waitInSync(primary, [replica]);
    await expectSameData(primary.port, replica.port, sets, stringKeys(1));
    expect(replica.output()).toMatch(diskless === 'yes' ? /receiving streamed snapshot from master with EOF/ : /receiving \d+ bytes from master/);
    expect(primary.output()).toContain(`Starting BGSAVE for SYNC with target: ${diskless === 'yes' ? 'replicas sockets' : 'disk'}`);
    const more = await writeEverything(primary.port, 2, 50);
    await pipeline(primary.port, [['SWAPDB', 0, 5], ['SWAPDB', 0, 5], ['FLUSHDB'], ['SELECT', 2], ['SET', 'after-flush', '1']]);
    await waitInSync(primary, [replica]);
    await expectSameData(primary.port, replica.port, [...sets.filter((s) => s.db === 2), ...more.filter((s) => s.db === 2)]);
    expect(infoField(await infoOf(primary.port, 'stats'), 'sync_full')).toBe('1');
    await pipeline(primary.port, [['FLUSHALL']]);
    await waitInSync(primary, [replica]);
    expect(await RawConnection.using(replica.port, async (c) => c.value('DEBUG', 'DIGEST'))).toBe('0'.repeat(40));
  });

  it('two replicas arriving within the diskless delay share one snapshot', async () => {
    const primary = await node(['--repl-diskless-sync-delay', '2']);
    const sets = await writeEverything(primary.port, 3, 100);
    const [a, b] = await Promise.all([replicaOf(primary), replicaOf(primary)]);
    await waitInSync(primary, [a, b]);
    await expectSameData(primary.port, a.port, sets, stringKeys(3));
    await expectSameData(primary.port, b.port, sets, stringKeys(3));
    const started = primary.output().match(/Starting BGSAVE for SYNC/g) ?? [];
    expect(started.length).toBe(1);
  });
});

describe('partial sync', () => {
  it('a replica cut off during a write burst continues from the backlog', async () => {
    const primary = await node(['--repl-backlog-size', '64mb']);
    const sets = await writeEverything(primary.port, 4, 50);
    const replica = await replicaOf(primary);
    await waitInSync(primary, [replica]);
    const r = rng(5);
    const burst = { key: 'burst', dim: 24, elements: [] as string[] };
    for (let batch = 0; batch < 30; batch++) {
      const cmds: Array<Array<string | number>> = [];
      for (let i = 0; i < 40; i++) {
        const name = `b${batch}-${i}`;
        burst.elements.push(name);
        cmds.push(['VADD', 'burst', 'VALUES', 24, ...valuesArgs(r, 24), name, 'SETATTR', `{"batch":${batch}}`]);
      }
      // Sent without waiting, so the link goes down with commands on the wire.
      const sent = pipeline(primary.port, cmds);
      if (batch === 8) await RawConnection.using(replica.port, async (c) => expect(await c.value('CLIENT', 'KILL', 'TYPE', 'master')).toBe(1));
      if (batch === 20) await RawConnection.using(primary.port, async (c) => expect(await c.value('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1));
      await sent;
    }
    await waitInSync(primary, [replica]);
    await expectSameData(primary.port, replica.port, [...sets, burst], stringKeys(4));
    const stats = await infoOf(primary.port, 'stats');
    expect(infoField(stats, 'sync_full')).toBe('1');
    expect(Number(infoField(stats, 'sync_partial_ok'))).toBe(2);
    expect(replica.output()).toContain('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
  });

  it('a backlog too small for what was missed means a full sync', async () => {
    const primary = await node(['--repl-backlog-size', '16kb']);
    const replica = await replicaOf(primary);
    await waitInSync(primary, [replica]);
    // The replica is stopped, its link dropped, and far more than 16 KiB written meanwhile.
    replica.proc.kill('SIGSTOP');
    let sets: SetSpec[];
    try {
      await RawConnection.using(primary.port, async (c) => expect(await c.value('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1));
      sets = await writeEverything(primary.port, 6, 300);
    } finally {
      replica.proc.kill('SIGCONT');
    }
    await waitInSync(primary, [replica]);
    await expectSameData(primary.port, replica.port, sets, stringKeys(6));
    const stats = await infoOf(primary.port, 'stats');
    expect(infoField(stats, 'sync_full')).toBe('2');
    expect(infoField(stats, 'sync_partial_err')).toBe('1');
    expect(primary.output()).toContain('for lack of backlog');
  });
});

describe('primary restarts', () => {
  it('the replica notices, reconnects and loads the restarted primary’s data with a full sync', async () => {
    const primary = await node(['--appendonly', 'yes', '--appendfsync', 'always']);
    const sets = await writeEverything(primary.port, 7, 120);
    const replica = await replicaOf(primary);
    await waitInSync(primary, [replica]);
    const { dir, port } = primary;
    expect(await primary.stop('SIGKILL')).toBe(null);
    running.splice(running.indexOf(primary), 1);
    await waitFor('the replica to see its link down', async () => infoField(await infoOf(replica.port), 'master_link_status') === 'down');
    // Reads keep working while the primary is away (replica-serve-stale-data yes).
    expect(await RawConnection.using(replica.port, async (c) => c.value('VCARD', sets[0]!.key))).toBe(sets[0]!.elements.length);
    const again = await node(['--appendonly', 'yes', '--appendfsync', 'always'], { dir, port });
    const more = await writeEverything(again.port, 8, 40);
    await waitInSync(again, [replica]);
    await expectSameData(again.port, replica.port, [...sets, ...more], [...stringKeys(7), ...stringKeys(8)]);
    const stats = await infoOf(again.port, 'stats');
    expect(infoField(stats, 'sync_full')).toBe('1');
    // The replica asked to continue the old history, which the new process does not know.
    expect(infoField(stats, 'sync_partial_err')).toBe('1');
  });
});

describe('chains and persistence', () => {
  it('a replica of a replica gets the stream byte for byte, with the same offsets', async () => {
    const a = await node();
    const b = await replicaOf(a);
    const c = await replicaOf(b);
    const sets = await writeEverything(a.port, 9, 80);
    await waitInSync(a, [b]);
    await waitInSync(b, [c]);
    await expectSameData(a.port, c.port, sets, stringKeys(9));
    const [ia, ic] = [await infoOf(a.port), await infoOf(c.port)];
    expect(infoField(ic, 'master_replid')).toBe(infoField(ia, 'master_replid'));
    expect(infoField(ic, 'master_repl_offset')).toBe(infoField(ia, 'master_repl_offset'));
    // Cut the middle link: the end of the chain continues from the middle's backlog.
    await RawConnection.using(c.port, async (x) => expect(await x.value('CLIENT', 'KILL', 'TYPE', 'master')).toBe(1));
    const more = await writeEverything(a.port, 10, 20);
    await waitInSync(a, [b]);
    await waitInSync(b, [c]);
    await expectSameData(a.port, c.port, more, stringKeys(10));
    expect(infoField(await infoOf(b.port, 'stats'), 'sync_partial_ok')).toBe('1');
  });

  it('a replica with the AOF on keeps what it replicated across its own restart', async () => {
    const primary = await node();
    const sets = await writeEverything(primary.port, 11, 60);
    const replica = await replicaOf(primary, ['--appendonly', 'yes', '--appendfsync', 'always']);
    await waitInSync(primary, [replica]);
    // The AOF is rewritten from the dataset the sync loaded, then takes the stream.
    await waitFor('the AOF rewrite after the sync', () => /Background AOF rewrite finished successfully/.test(replica.output()));
    const more = await writeEverything(primary.port, 12, 20);
    // Only the primary is asked: any command to the replica would make it write its AOF, and
    // the stream alone must do that too. WAIT returns once the replica applied every write.
    expect(await pipeline(primary.port, [['SET', 'last', '1'], ['WAIT', 1, 0]])).toEqual(['OK', 1]);
    const digest = await RawConnection.using(primary.port, async (c) => c.value('DEBUG', 'DIGEST'));
    const { dir } = replica;
    await replica.stop('SIGKILL');
    running.splice(running.indexOf(replica), 1);
    const alone = await node(['--appendonly', 'yes'], { dir });
    expect(await RawConnection.using(alone.port, async (c) => c.value('DEBUG', 'DIGEST'))).toBe(digest);
    await expectSameData(primary.port, alone.port, [...sets, ...more], [...stringKeys(11), ...stringKeys(12)]);
  });
});

describe('what replicas do not do themselves', () => {
  it('a replica never expires a key: it hides it and waits for the primary’s DEL', async () => {
    const primary = await node();
    const replica = await replicaOf(primary);
    await pipeline(primary.port, [['SET', 'short', 'v', 'PX', 300], ['SET', 'long', 'v']]);
    await waitInSync(primary, [replica]);
    // A pause of writes stops the primary's active expiry, so only the replica could expire it.
    await RawConnection.using(primary.port, async (c) => c.value('CLIENT', 'PAUSE', 20_000, 'WRITE'));
    await RawConnection.using(replica.port, async (c) => {
      await waitFor('the key to look expired on the replica', async () => (await c.value('GET', 'short')) === null);
      expect(await c.value('EXISTS', 'short')).toBe(0);
      expect(await c.value('DBSIZE')).toBe(2);
      expect(infoField((await c.value('INFO', 'stats')) as string, 'expired_keys')).toBe('0');
    });
    await RawConnection.using(primary.port, async (c) => c.value('CLIENT', 'UNPAUSE'));
    await RawConnection.using(replica.port, async (c) => waitFor('the primary’s DEL to arrive', async () => (await c.value('DBSIZE')) === 1));
    await waitInSync(primary, [replica]);
    expect(infoField(await infoOf(primary.port, 'stats'), 'expired_keys')).toBe('1');
  });

  it('PUBLISH on the primary reaches subscribers of its replica', async () => {
    const primary = await node();
    const replica = await replicaOf(primary);
    await waitInSync(primary, [replica]);
    await RawConnection.using(replica.port, async (sub) => {
      await sub.call('SUBSCRIBE', 'news');
      expect(await RawConnection.using(primary.port, async (c) => c.value('PUBLISH', 'news', 'hello'))).toBe(0);
      expect((await sub.readReply()).value).toEqual(['message', 'news', 'hello']);
    });
  });
});
