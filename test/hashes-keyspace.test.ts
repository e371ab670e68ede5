/**
 * Hashes in the keyspace: the keyspace observer (Keyspace.addObserver, what FT.* indexes will
 * follow) on every path that changes what a key holds; COPY, RENAME, MOVE and EXPIRE of hashes;
 * DUMP/RESTORE and DEBUG DIGEST-VALUE; snapshot and AOF round trips through real restarts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { harness, type Harness } from './helpers/harness.js';
import { RawConnection } from './helpers/raw.js';
import { serverForFile, startServer, type RunningServer } from './helpers/server.js';
import { infoField, waitFor } from './helpers/wait.js';
import { Persistence } from '../src/persistence/persistence.js';
import { encodeDump } from '../src/persistence/dump-payload.js';
import type { KeyspaceObserver } from '../src/keyspace/keyspace.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-hash-'));
}

/** Records every observer event as a line; a change says what the key holds when it is told. */
function observe(h: Harness): { take(): string[]; remove(): void } {
  const events: string[] = [];
  const ks = h.server.keyspace;
  const observer: KeyspaceObserver = {
    keyChanged: (db, key) => events.push(`changed ${db} ${key} ${ks.dbs[db]!.peek(key)?.type ?? 'gone'}`),
    flushed: (db) => events.push(`flushed ${db}`),
    swapped: (a, b) => events.push(`swapped ${a} ${b}`),
    loaded: () => events.push('loaded'),
  };
  const remove = ks.addObserver(observer);
  return { take: () => events.splice(0), remove };
}

/** An in-process server with persistence in a fresh directory, AOF on, DEBUG allowed. */
function persistentHarness(dir = tmpDir()): Harness & { persistence: Persistence; dir: string } {
  const h = harness({ dir, save: '', appendonly: 'yes', 'enable-debug-command': 'yes', loglevel: 'warning' });
  const persistence = new Persistence(h.server);
  h.server.persistence = persistence;
  return Object.assign(h, { persistence, dir });
}

describe('keyspace observer (in process)', () => {
  it('hears every hash write that changed something, once, and nothing from reads or no-ops', () => {
    const h = harness();
    const ev = observe(h);
    h.run('HSET', 'h', 'a', '1', 'b', '2');
    expect(ev.take()).toEqual(['changed 0 h hash']);
    h.run('HSET', 'h', 'a', 'x');
    h.run('HMSET', 'h', 'c', '3');
    h.run('HSETNX', 'h', 'd', '4');
    h.run('HINCRBY', 'h', 'n', '1');
    h.run('HINCRBYFLOAT', 'h', 'f', '1.5');
    h.run('HDEL', 'h', 'a', 'zz');
    expect(ev.take()).toEqual(Array(6).fill('changed 0 h hash'));
    // Reads, writes that change nothing, and refused writes.
    h.run('HGET', 'h', 'b');
    h.run('HGETALL', 'h');
    h.run('HSCAN', 'h', '0');
    h.run('HRANDFIELD', 'h', '-3');
    h.run('HSETNX', 'h', 'b', 'y');
    h.run('HDEL', 'h', 'zz');
    h.run('HDEL', 'nokey', 'zz');
    h.run('HINCRBY', 'h', 'b', 'x');
    h.run('HINCRBY', 'h', 'f', '1');
    h.run('HSET', 'h', 'odd');
    h.run('SET', 's', 'v');
    ev.take();
    h.run('HSET', 's', 'f', 'v');
    expect(ev.take()).toEqual([]);
    h.run('HDEL', 'h', 'b', 'c', 'd', 'n', 'f');
    expect(ev.take()).toEqual(['changed 0 h gone']);
    h.run('HINCRBYFLOAT', 'new', 'f', '2');
    expect(ev.take()).toEqual(['changed 0 new hash']);
  });

  it('hears DEL, UNLINK, overwrites, COPY, RENAME, RENAMENX, MOVE, SWAPDB and FLUSHDB/FLUSHALL', () => {
    const h = harness();
    const ev = observe(h);
    const hset = (k: string): void => void h.run('HSET', k, 'f', 'v');
    hset('a');
    hset('b');
    ev.take();
    h.run('DEL', 'a', 'zz');
    h.run('UNLINK', 'b');
    expect(ev.take()).toEqual(['changed 0 a gone', 'changed 0 b gone']);
    hset('h');
    ev.take();
    h.run('SET', 'h', 'now a string');
    expect(ev.take()).toEqual(['changed 0 h string']);
    hset('src');
    hset('dst');
    ev.take();
    h.run('COPY', 'src', 'dst');
    expect(ev.take()).toEqual([]);
    h.run('COPY', 'src', 'dst', 'REPLACE');
    h.run('COPY', 'src', 'other', 'DB', '2');
    expect(ev.take()).toEqual(['changed 0 dst gone', 'changed 0 dst hash', 'changed 2 other hash']);
    h.run('RENAME', 'src', 'dst');
    expect(ev.take()).toEqual(['changed 0 dst gone', 'changed 0 src gone', 'changed 0 dst hash']);
    h.run('RENAMENX', 'dst', 'fresh');
    h.run('RENAMENX', 'fresh', 'h');
    expect(ev.take()).toEqual(['changed 0 dst gone', 'changed 0 fresh hash']);
    h.run('MOVE', 'fresh', '1');
    expect(ev.take()).toEqual(['changed 0 fresh gone', 'changed 1 fresh hash']);
    h.run('SWAPDB', '0', '1');
    h.run('SWAPDB', '3', '3');
    expect(ev.take()).toEqual(['swapped 0 1']);
    expect(h.run('HGET', 'fresh', 'f')).toBe('$1\r\nv\r\n');
    for (let i = 0; i < 50; i++) hset(`many${i}`);
    ev.take();
    h.run('FLUSHDB');
    expect(ev.take()).toEqual(['flushed 0']);
    h.run('FLUSHALL');
    expect(ev.take()).toEqual(Array.from({ length: 16 }, (_, i) => `flushed ${i}`));
  });

  it('hears removal by expiry (lazy and active) and by an expire time in the past, not TTL changes', () => {
    const h = harness();
    const ev = observe(h);
    const db = h.client.db;
    h.run('HSET', 'h', 'f', 'v');
    ev.take();
    h.run('EXPIRE', 'h', '1000');
    h.run('PERSIST', 'h');
    h.run('PEXPIRE', 'h', '500000');
    expect(ev.take()).toEqual([]);
    h.run('EXPIRE', 'h', '-1');
    expect(ev.take()).toEqual(['changed 0 h gone']);
    // An expire time that has passed, set directly: removal on the next lookup (lazy) ...
    h.run('HSET', 'lazy', 'f', 'v');
    h.run('HSET', 'active', 'f', 'v');
    ev.take();
    db.setExpire('lazy', Date.now() - 1);
    db.setExpire('active', Date.now() - 1);
    expect(ev.take()).toEqual([]);
    expect(h.run('HGET', 'lazy', 'f')).toBe('$-1\r\n');
    expect(ev.take()).toEqual(['changed 0 lazy gone']);
    // ... or by the active expiry cycle.
    expect(db.expireCycle(20).expired).toBe(1);
    expect(ev.take()).toEqual(['changed 0 active gone']);
  });

  it('lets WATCH see hash writes (and not reads or no-ops), as for any other key', () => {
    const h = harness();
    const other = h.connect();
    h.run('HSET', 'h', 'f', 'v');
    const attempt = (change: string[]): string => {
      h.run('WATCH', 'h');
      h.runOn(other, ...change);
      h.run('MULTI');
      h.run('HGET', 'h', 'f');
      return h.run('EXEC');
    };
    expect(attempt(['HSET', 'h', 'f', 'w'])).toBe('*-1\r\n');
    expect(attempt(['HINCRBYFLOAT', 'h', 'n', '1'])).toBe('*-1\r\n');
    expect(attempt(['HDEL', 'h', 'n'])).toBe('*-1\r\n');
    expect(attempt(['HGETALL', 'h'])).toBe('*1\r\n$1\r\nw\r\n');
    expect(attempt(['HDEL', 'h', 'nope'])).toBe('*1\r\n$1\r\nw\r\n');
  });

  it('stops when removed, and an observer that throws neither breaks the command nor the others', () => {
    const h = harness();
    const errors: unknown[] = [];
    h.server.keyspace.onObserverError = (e) => errors.push(e);
    const bad = h.server.keyspace.addObserver({
      keyChanged: () => {
        throw new Error('index bug');
      },
      flushed: () => {},
      swapped: () => {},
      loaded: () => {},
    });
    const ev = observe(h);
    h.run('HSET', 'a', 'f', 'v');
    expect(h.run('RENAME', 'a', 'b')).toBe('+OK\r\n');
    expect(h.run('HGET', 'b', 'f')).toBe('$1\r\nv\r\n');
    expect(ev.take()).toEqual(['changed 0 a hash', 'changed 0 a gone', 'changed 0 b hash']);
    expect(errors).toHaveLength(3);
    bad();
    ev.remove();
    h.run('DEL', 'b');
    expect(ev.take()).toEqual([]);
    expect(errors).toHaveLength(3);
  });

  it('hears RESTORE REPLACE as a replacement, and one `loaded` for DEBUG RELOAD, DEBUG LOADAOF and a start-up load', async () => {
    const h = persistentHarness();
    try {
      // The start-up load yields to the event loop between keys (persistence/load-steps.ts).
      await h.persistence.loadAtStartup();
      const ev = observe(h);
      h.run('HSET', 'h', 'a', '1', 'b', '2');
      h.run('SET', 'other', 'x');
      const dump = h.run('DUMP', 'h');
      const payload = Buffer.from(dump.slice(dump.indexOf('\r\n') + 2, -2), 'latin1');
      ev.take();
      expect(h.run('RESTORE', 'other', '0', payload, 'REPLACE')).toBe('+OK\r\n');
      expect(ev.take()).toEqual(['changed 0 other gone', 'changed 0 other hash']);
      expect(h.run('HGETALL', 'other')).toBe('*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
      h.run('SELECT', '5');
      h.run('HSET', 'in5', 'f', 'v');
      ev.take();
      expect(h.run('DEBUG', 'RELOAD')).toBe('+OK\r\n');
      expect(ev.take()).toEqual(['loaded']);
      expect(h.run('HGET', 'in5', 'f')).toBe('$1\r\nv\r\n');
      h.run('HINCRBYFLOAT', 'in5', 'n', '0.25');
      ev.take();
      expect(h.run('DEBUG', 'LOADAOF')).toBe('+OK\r\n');
      expect(ev.take()).toEqual(['loaded']);
      expect(h.run('HGET', 'in5', 'n')).toBe('$4\r\n0.25\r\n');
      expect(h.run('DBSIZE')).toBe(':1\r\n');
      h.persistence.aof.stop();
      // A fresh server on the same files: the start-up load is one event too.
      const again = persistentHarness(h.dir);
      const ev2 = observe(again);
      await again.persistence.loadAtStartup();
      again.persistence.aof.stop();
      expect(ev2.take()).toEqual(['loaded']);
      again.run('SELECT', '5');
      expect(again.run('HGETALL', 'in5')).toBe('*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nn\r\n$4\r\n0.25\r\n');
    } finally {
      h.persistence.aof.stop();
    }
  });
});

describe('DUMP payloads of hashes (in process)', () => {
  it('refuse a hash with a repeated field or no field as bad data', () => {
    const h = persistentHarness();
    const payload = (pairs: string[]): Buffer =>
      encodeDump(
        {
          encode: (w) => {
            w.varint(pairs.length / 2);
            for (const p of pairs) w.bytes(Buffer.from(p));
          },
          digest: () => {},
        },
        3,
      );
    expect(h.run('RESTORE', 'ok', '0', payload(['a', '1', 'b', '2']))).toBe('+OK\r\n');
    expect(h.run('HGETALL', 'ok')).toBe('*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
    expect(h.run('RESTORE', 'dup', '0', payload(['a', '1', 'a', '2']))).toBe('-ERR Bad data format\r\n');
    expect(h.run('RESTORE', 'empty', '0', payload([]))).toBe('-ERR Bad data format\r\n');
    const truncated = payload(['a', '1', 'b', '2']);
    expect(h.run('RESTORE', 'cut', '0', truncated.subarray(0, truncated.length - 3))).toBe('-ERR DUMP payload version or checksum are wrong\r\n');
    expect(h.run('EXISTS', 'dup', 'empty', 'cut')).toBe(':0\r\n');
  });
});

// ---- against started servers ----------------------------------------------------------------

describe('hashes and the generic key commands', () => {
  const srv = serverForFile({ args: ['--enable-debug-command', 'yes'] });
  let r: Redis;

  beforeAll(async () => {
    r = new Redis({ port: srv().port, maxRetriesPerRequest: 0 });
  });

  afterAll(async () => {
    r?.disconnect();
  });

  it('COPY makes an independent hash (same order and encoding), also into another database', async () => {
    await r.flushall();
    await r.hset('h', 'z', '1', 'a', '2');
    expect(await r.copy('h', 'c')).toBe(1);
    await r.hset('c', 'z', 'changed', 'new', '3');
    expect(await r.hgetall('h')).toEqual({ z: '1', a: '2' });
    expect(await r.hkeys('c')).toEqual(['z', 'a', 'new']);
    expect(await r.call('COPY', 'h', 'c')).toBe(0);
    expect(await r.call('COPY', 'h', 'c', 'REPLACE')).toBe(1);
    expect(await r.hgetall('c')).toEqual({ z: '1', a: '2' });
    await r.hset('big', 'f', 'x'.repeat(100));
    expect(await r.call('COPY', 'big', 'big', 'DB', '3')).toBe(1);
    await r.select(3);
    expect(await r.object('ENCODING', 'big')).toBe('hashtable');
    expect(await r.hstrlen('big', 'f')).toBe(100);
    await r.select(0);
  });

  it('RENAME and MOVE carry the hash and its TTL; EXPIRE and PERSIST work; an expire in the past deletes', async () => {
    await r.flushall();
    await r.hset('h', 'f', 'v');
    expect(await r.expire('h', 1000)).toBe(1);
    expect(await r.rename('h', 'g')).toBe('OK');
    expect(await r.ttl('g')).toBe(1000);
    expect(await r.hget('g', 'f')).toBe('v');
    expect(await r.move('g', 2)).toBe(1);
    expect(await r.exists('g')).toBe(0);
    await r.select(2);
    expect(await r.ttl('g')).toBe(1000);
    expect(await r.persist('g')).toBe(1);
    expect(await r.ttl('g')).toBe(-1);
    expect(await r.type('g')).toBe('hash');
    expect(await r.pexpire('g', -1)).toBe(1);
    expect(await r.exists('g')).toBe(0);
    await r.select(0);
    await r.hset('t', 'a', '1', 'b', '2');
    await r.expire('t', 500);
    await r.hset('t', 'c', '3');
    await r.hincrby('t', 'a', 1);
    expect(await r.ttl('t')).toBe(500);
    expect(await r.call('SCAN', '0', 'TYPE', 'hash')).toEqual(['0', ['t']]);
  });

  it('DUMP/RESTORE round-trip fields, order and values; the encoding is chosen again on RESTORE', async () => {
    await r.flushall();
    const bin = Buffer.from([0, 1, 254, 255, 13, 10]);
    await r.hset('h', 'c', '3', bin, bin, '', 'empty-field', 'a', '');
    const dump = await r.dumpBuffer('h');
    expect(await r.restore('copy', 0, dump)).toBe('OK');
    expect(await r.call('DEBUG', 'DIGEST-VALUE', 'h')).toEqual(await r.call('DEBUG', 'DIGEST-VALUE', 'copy'));
    const raw = await RawConnection.using(srv().port, (c) => Promise.all([c.call('HGETALL', 'h'), c.call('HGETALL', 'copy')]));
    expect(raw[1]).toBe(raw[0]);
    await expect(r.restore('copy', 0, dump)).rejects.toThrow('BUSYKEY Target key name already exists.');
    expect(await r.restore('copy', 100000, dump, 'REPLACE')).toBe('OK');
    expect(await r.pttl('copy')).toBeGreaterThan(90_000);
    // A hash that was made hashtable by a command's argument count comes back as a listpack.
    const args: string[] = [];
    for (let i = 0; i < 129; i++) args.push('same', String(i));
    await r.call('HSET', 'dup', ...args);
    expect(await r.object('ENCODING', 'dup')).toBe('hashtable');
    await r.restore('dup2', 0, await r.dumpBuffer('dup'));
    expect(await r.object('ENCODING', 'dup2')).toBe('listpack');
    await r.hset('wide', 'v', 'x'.repeat(65));
    await r.restore('wide2', 0, await r.dumpBuffer('wide'));
    expect(await r.object('ENCODING', 'wide2')).toBe('hashtable');
    const damaged = Buffer.from(dump);
    damaged[3]! ^= 0x20;
    await expect(r.restore('bad', 0, damaged)).rejects.toThrow('ERR DUMP payload version or checksum are wrong');
  });

  it('DEBUG DIGEST-VALUE does not depend on field order, and changes with any field or value', async () => {
    await r.flushall();
    await r.hset('x', 'a', '1', 'b', '2', 'c', '3');
    await r.hset('y', 'c', '3', 'a', '1', 'b', '2');
    await r.hset('z', 'a', '1', 'b', '2', 'c', '4');
    await r.hset('w', 'a', '1', 'b', '2', 'cc', '3');
    await r.hset('v', 'a', '1', 'b', '23');
    await r.set('s', 'a1b2c3');
    const [x, y, z, w, v, s] = (await r.call('DEBUG', 'DIGEST-VALUE', 'x', 'y', 'z', 'w', 'v', 's')) as string[];
    expect(x).toBe(y);
    expect(new Set([x, z, w, v, s]).size).toBe(5);
  });
});

describe('hashes survive restarts', () => {
  async function withServer<T>(dir: string, args: string[], fn: (c: RawConnection, s: RunningServer) => Promise<T>): Promise<T> {
    const s = await startServer({ dir, args: ['--enable-debug-command', 'yes', ...args] });
    const c = await RawConnection.connect(s.port);
    try {
      return await fn(c, s);
    } finally {
      c.close();
      await s.stop('SIGKILL');
    }
  }

  /** Hashes of both encodings, binary names, a TTL, another database. */
  async function fill(c: RawConnection): Promise<void> {
    await c.call('HSET', 'small', 'z', '1', 'a', '2', Buffer.from([0, 255]), Buffer.from([13, 10]));
    await c.call('HSET', 'doc:1', 'content', 'hello', 'embedding', Buffer.alloc(512, 7));
    const many: string[] = [];
    for (let i = 0; i < 300; i++) many.push(`f${i}`, String(i * i));
    await c.call('HSET', 'many', ...many);
    await c.call('HINCRBYFLOAT', 'small', 'score', '0.1');
    await c.call('HINCRBYFLOAT', 'small', 'score', '0.2');
    await c.call('HDEL', 'many', 'f0', 'f150');
    await c.call('HSET', 'ttl', 'f', 'v');
    await c.call('EXPIRE', 'ttl', '5000');
    await c.call('SELECT', '4');
    await c.call('HSET', 'in4', 'f', 'v');
    await c.call('SELECT', '0');
  }

  async function check(c: RawConnection, digest: unknown): Promise<void> {
    expect(await c.value('DEBUG', 'DIGEST')).toBe(digest);
    expect(await c.call('HGETALL', 'small')).toBe('*8\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$2\r\n\x00\xff\r\n$2\r\n\r\n\r\n$5\r\nscore\r\n$3\r\n0.3\r\n');
    expect(await c.value('OBJECT', 'ENCODING', 'small')).toBe('listpack');
    expect(await c.value('OBJECT', 'ENCODING', 'doc:1')).toBe('hashtable');
    expect(await c.value('HSTRLEN', 'doc:1', 'embedding')).toBe(512);
    expect(await c.value('HLEN', 'many')).toBe(298);
    expect(await c.value('HGET', 'many', 'f299')).toBe(String(299 * 299));
    expect((await c.value('TTL', 'ttl')) as number).toBeGreaterThan(4000);
    await c.call('SELECT', '4');
    expect(await c.value('HGET', 'in4', 'f')).toBe('v');
    await c.call('SELECT', '0');
  }

  it('in a snapshot (SAVE, restart)', async () => {
    const dir = tmpDir();
    const digest = await withServer(dir, [], async (c) => {
      await fill(c);
      expect(await c.call('SAVE')).toBe('+OK\r\n');
      return c.value('DEBUG', 'DIGEST');
    });
    await withServer(dir, [], (c) => check(c, digest));
  });

  it('in the AOF (kill -9 under appendfsync always, restart), HINCRBYFLOAT logged as HSET; and after BGREWRITEAOF', async () => {
    const dir = tmpDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    const digest = await withServer(dir, args, async (c) => {
      await fill(c);
      return c.value('DEBUG', 'DIGEST');
    });
    const aofDir = path.join(dir, 'appendonlydir');
    const incr = fs.readdirSync(aofDir).filter((f) => f.endsWith('.incr.aof'));
    const log = incr.map((f) => fs.readFileSync(path.join(aofDir, f), 'latin1')).join('');
    expect(log).toContain('*4\r\n$4\r\nHSET\r\n$5\r\nsmall\r\n$5\r\nscore\r\n$3\r\n0.3\r\n');
    expect(log).not.toContain('HINCRBYFLOAT');
    await withServer(dir, args, async (c) => {
      await check(c, digest);
      expect(await c.call('BGREWRITEAOF')).toBe('+Background append only file rewriting started\r\n');
      await waitFor('the AOF rewrite', async () => {
        const info = (await c.value('INFO', 'persistence')) as string;
        return infoField(info, 'aof_rewrite_in_progress') === '0' && infoField(info, 'aof_rewrites') === '1';
      });
      // The increments from before the rewrite are gone: the hashes now come from the base.
      expect(fs.readdirSync(aofDir).filter((f) => f.endsWith('.incr.aof'))).not.toEqual(incr);
      await c.call('HSET', 'after', 'rewrite', '1');
    });
    await withServer(dir, args, async (c) => {
      expect(await c.value('HGET', 'after', 'rewrite')).toBe('1');
      await c.call('DEL', 'after');
      await check(c, digest);
    });
  });
});
