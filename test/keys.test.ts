/**
 * The generic keyspace commands (src/commands/keys.ts, and expire.ts for the EXPIRE/TTL family),
 * in process: a Server object without sockets or cron, driven through processCommand, to see
 * what cannot be seen from outside: what each write propagates, WRONGTYPE and COPY against a
 * vector-set value (a stand-in KeyValue of type 'vectorset' put in the database directly), that
 * RENAME/MOVE move the value object itself, lazy expiry with no active expiry running, keyspace
 * hit/miss counting, WATCH and SWAPDB. The same commands over TCP: keys-tcp.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { Server } from '../src/server/server.js';
import { Client } from '../src/server/client.js';
import { Config } from '../src/server/config.js';
import type { KeyValue } from '../src/keyspace/value.js';
import { parseScanCursor } from '../src/commands/keys.js';
import { secondsOf } from '../src/keyspace/database.js';

// ---- in-process harness ---------------------------------------------------------------------

/** Stand-in for the vector set type until VADD exists: only the KeyValue interface. */
class FakeVectorSet implements KeyValue {
  readonly type = 'vectorset' as const;
  released = 0;
  memoryUsage(): number {
    return 1000;
  }
  encoding(): string {
    return 'raw';
  }
  release(): void {
    this.released++;
  }
}

interface Harness {
  server: Server;
  client: Client;
  /** Runs one command; returns the raw reply bytes as a latin1 string. */
  run(...args: Array<string | Buffer>): string;
  /** Propagated writes since the last call, as "db: ARGV…" lines. */
  propagated(): string[];
}

function harness(): Harness {
  const server = new Server(new Config());
  const log: string[] = [];
  server.onPropagate((db, argv) => log.push(`${db}: ${argv.map((a) => a.toString('latin1')).join(' ')}`));
  const socket = Object.assign(new EventEmitter(), { write: () => true, writableLength: 0 });
  const client = new Client(1, socket as unknown as net.Socket, server, server.readerLimits);
  return {
    server,
    client,
    run: (...args) => {
      server.processCommand(client, args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a)));
      return Buffer.concat(client.reply.take()).toString('latin1');
    },
    propagated: () => log.splice(0),
  };
}

describe('keyspace commands in process', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });

  it('TYPE, EXISTS, SCAN … TYPE and OBJECT see a vector set through the KeyValue interface', () => {
    h.client.db.add('vs', new FakeVectorSet());
    h.run('SET', 's', 'x');
    expect(h.run('TYPE', 'vs')).toBe('+vectorset\r\n');
    expect(h.run('TYPE', 'nope')).toBe('+none\r\n');
    expect(h.run('EXISTS', 'vs', 's', 'vs', 'nope')).toBe(':3\r\n');
    expect(h.run('SCAN', '0', 'TYPE', 'vectorset')).toBe('*2\r\n$1\r\n0\r\n*1\r\n$2\r\nvs\r\n');
    expect(h.run('SCAN', '0', 'TYPE', 'VECTORSET')).toBe('*2\r\n$1\r\n0\r\n*1\r\n$2\r\nvs\r\n');
    expect(h.run('SCAN', '0', 'TYPE', 'string')).toBe('*2\r\n$1\r\n0\r\n*1\r\n$1\r\ns\r\n');
    expect(h.run('SCAN', '0', 'TYPE', 'list')).toBe('*2\r\n$1\r\n0\r\n*0\r\n');
    expect(h.run('OBJECT', 'ENCODING', 'vs')).toBe('$3\r\nraw\r\n');
    expect(h.run('OBJECT', 'REFCOUNT', 'vs')).toBe(':1\r\n');
  });

  it('every string command answers WRONGTYPE on a vector set, and SET overwrites it', () => {
    const vs = new FakeVectorSet();
    h.client.db.add('vs', vs);
    const WRONG = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
    for (const cmd of [
      ['GET', 'vs'], ['GETSET', 'vs', 'x'], ['GETDEL', 'vs'], ['GETEX', 'vs'], ['GETEX', 'vs', 'EX', '10'], ['STRLEN', 'vs'],
      ['APPEND', 'vs', 'x'], ['GETRANGE', 'vs', '0', '-1'], ['SETRANGE', 'vs', '0', 'x'], ['INCR', 'vs'], ['DECR', 'vs'],
      ['INCRBY', 'vs', '2'], ['DECRBY', 'vs', '2'], ['INCRBYFLOAT', 'vs', '1.5'], ['SET', 'vs', 'x', 'GET'],
    ]) {
      expect(h.run(...cmd), cmd.join(' ')).toBe(WRONG);
    }
    // Errors change nothing and propagate nothing.
    expect(h.propagated()).toEqual([]);
    expect(h.client.db.get('vs')).toBe(vs);
    expect(vs.released).toBe(0);
    expect(h.run('MGET', 'vs', 'nope')).toBe('*2\r\n$-1\r\n$-1\r\n');
    expect(h.run('SETNX', 'vs', 'x')).toBe(':0\r\n');
    expect(h.run('MSETNX', 'a', '1', 'vs', 'x')).toBe(':0\r\n');
    expect(h.run('SET', 'vs', 'x', 'XX')).toBe('+OK\r\n');
    expect(vs.released).toBe(1);
    expect(h.run('TYPE', 'vs')).toBe('+string\r\n');
  });

  it('COPY of a vector set is refused like a module type without copy; strings copy their bytes', () => {
    h.client.db.add('vs', new FakeVectorSet());
    h.run('SET', 'other', 'x');
    expect(h.run('COPY', 'vs', 'dst')).toBe('-ERR not supported for this module key\r\n');
    // Redis checks the destination first: an existing one without REPLACE answers 0.
    expect(h.run('COPY', 'vs', 'other')).toBe(':0\r\n');
    expect(h.run('COPY', 'vs', 'other', 'REPLACE')).toBe('-ERR not supported for this module key\r\n');
    expect(h.run('GET', 'other')).toBe('$1\r\nx\r\n');
    h.run('SET', 's', 'abc');
    expect(h.run('COPY', 's', 'c')).toBe(':1\r\n');
    expect(h.client.db.get('c')).not.toBe(h.client.db.get('s'));
    h.run('APPEND', 's', 'def');
    expect(h.run('GET', 'c')).toBe('$3\r\nabc\r\n');
    expect(h.propagated()).toEqual(['0: SET other x', '0: SET s abc', '0: COPY s c', '0: APPEND s def']);
  });

  it('RENAME and MOVE hand the same value object (with its TTL) to the new place', () => {
    const vs = new FakeVectorSet();
    h.client.db.add('vs', vs, Date.now() + 100_000);
    expect(h.run('RENAME', 'vs', 'vs2')).toBe('+OK\r\n');
    expect(h.client.db.get('vs2')).toBe(vs);
    expect(h.client.db.lookup('vs2')!.expireAt).toBeGreaterThan(Date.now());
    expect(h.run('MOVE', 'vs2', '3')).toBe(':1\r\n');
    expect(h.server.keyspace.dbs[3]!.get('vs2')).toBe(vs);
    expect(h.server.keyspace.dbs[3]!.lookup('vs2')!.expireAt).toBeGreaterThan(Date.now());
    expect(vs.released).toBe(0);
    h.run('SELECT', '3');
    expect(h.run('DEL', 'vs2')).toBe(':1\r\n');
    expect(vs.released).toBe(1);
    expect(h.propagated()).toEqual(['0: RENAME vs vs2', '0: MOVE vs2 3', '3: DEL vs2']);
  });

  it('propagates relative expiry as absolute PEXPIREAT, past times as DEL, and no-ops not at all', () => {
    h.run('SET', 'k', 'v');
    h.propagated();
    const before = Date.now();
    expect(h.run('EXPIRE', 'k', '100')).toBe(':1\r\n');
    const [line] = h.propagated();
    const m = /^0: PEXPIREAT k (\d+)$/.exec(line!);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(before + 100_000);
    expect(Number(m![1])).toBe(h.client.db.lookup('k')!.expireAt);
    // The options travel along, as Redis rewrites only the name and the time.
    h.run('PEXPIRE', 'k', '200000', 'GT');
    expect(h.propagated()[0]).toMatch(/^0: PEXPIREAT k \d+ GT$/);
    h.run('PEXPIREAT', 'k', '99999999999999');
    expect(h.propagated()).toEqual(['0: PEXPIREAT k 99999999999999']);
    h.run('EXPIREAT', 'k', '99999999999');
    expect(h.propagated()).toEqual(['0: PEXPIREAT k 99999999999000']);
    // Conditions that fail and missing keys change nothing: nothing to propagate.
    expect(h.run('EXPIRE', 'k', '10', 'NX')).toBe(':0\r\n');
    expect(h.run('EXPIRE', 'nokey', '10')).toBe(':0\r\n');
    expect(h.run('PERSIST', 'nokey')).toBe(':0\r\n');
    expect(h.propagated()).toEqual([]);
    expect(h.run('PERSIST', 'k')).toBe(':1\r\n');
    expect(h.run('PERSIST', 'k')).toBe(':0\r\n');
    expect(h.propagated()).toEqual(['0: PERSIST k']);
    // A time in the past deletes the key and replies 1.
    expect(h.run('EXPIRE', 'k', '-1')).toBe(':1\r\n');
    expect(h.run('EXISTS', 'k')).toBe(':0\r\n');
    expect(h.propagated()).toEqual(['0: DEL k']);
    h.run('SET', 'k', 'v');
    h.run('PEXPIREAT', 'k', '1');
    expect(h.propagated()).toEqual(['0: SET k v', '0: DEL k']);
  });

  it('DEL, RENAME onto itself, COPY and MOVE propagate only when they changed something', () => {
    h.run('SET', 'a', '1');
    h.propagated();
    expect(h.run('DEL', 'x', 'y')).toBe(':0\r\n');
    expect(h.run('RENAME', 'a', 'a')).toBe('+OK\r\n');
    expect(h.run('RENAMENX', 'a', 'a')).toBe(':0\r\n');
    expect(h.run('RENAME', 'x', 'y')).toBe('-ERR no such key\r\n');
    expect(h.run('COPY', 'x', 'y')).toBe(':0\r\n');
    expect(h.run('MOVE', 'x', '1')).toBe(':0\r\n');
    expect(h.propagated()).toEqual([]);
    expect(h.run('DEL', 'a', 'x', 'a')).toBe(':1\r\n');
    expect(h.propagated()).toEqual(['0: DEL a x a']);
    expect(h.run('SWAPDB', '0', '1')).toBe('+OK\r\n');
    expect(h.propagated()).toEqual(['0: SWAPDB 0 1']);
  });

  it('expires lazily: a key whose time passed is gone on access, counted and propagated as DEL', () => {
    // No cron runs in process, so only the lookup can remove it.
    h.run('SET', 'k', 'v', 'PX', '100000');
    h.client.db.setExpire('k', Date.now() - 1);
    h.propagated();
    expect(h.client.db.size).toBe(1);
    expect(h.run('GET', 'k')).toBe('$-1\r\n');
    expect(h.client.db.size).toBe(0);
    expect(h.server.keyspace.stats.expiredKeys).toBe(1);
    expect(h.propagated()).toEqual(['0: DEL k']);
    // Every command that looks at a key sees it missing.
    for (const cmd of [['TTL', 'e'], ['EXISTS', 'e'], ['TYPE', 'e'], ['RENAME', 'e', 'f'], ['STRLEN', 'e'], ['OBJECT', 'ENCODING', 'e'], ['PERSIST', 'e'], ['COPY', 'e', 'f']]) {
      h.run('SET', 'e', 'v');
      h.client.db.setExpire('e', Date.now() - 1);
      const reply = h.run(...cmd);
      expect(reply, cmd.join(' ')).toMatch(/^(:-2|:0|\+none|-ERR no such key|\$-1)\r\n$/);
      expect(h.client.db.has('e')).toBe(false);
    }
  });

  it('TTL rounds to the nearest second; EXPIRETIME and PEXPIRETIME report the stored time', () => {
    h.run('SET', 'k', 'v');
    expect(h.run('TTL', 'k')).toBe(':-1\r\n');
    expect(h.run('PTTL', 'k')).toBe(':-1\r\n');
    expect(h.run('EXPIRETIME', 'k')).toBe(':-1\r\n');
    expect(h.run('PEXPIRETIME', 'nokey')).toBe(':-2\r\n');
    // 1.499 s rounds down (ceil would give 2), 1.9 s rounds up (floor would give 1). Both hold
    // while less than 400 ms pass between setting the time and TTL reading the clock; 1.6 s
    // allowed only 100 ms.
    h.client.db.setExpire('k', Date.now() + 1499);
    expect(h.run('TTL', 'k')).toBe(':1\r\n');
    h.client.db.setExpire('k', Date.now() + 1900);
    expect(h.run('TTL', 'k')).toBe(':2\r\n');
    h.run('PEXPIREAT', 'k', '4102444800123');
    expect(h.run('PEXPIRETIME', 'k')).toBe(':4102444800123\r\n');
    expect(h.run('EXPIRETIME', 'k')).toBe(':4102444800\r\n');
  });

  it('EXPIRE NX/XX/GT/LT follow Redis, with no TTL counting as infinite', () => {
    h.run('SET', 'k', 'v');
    expect(h.run('EXPIRE', 'k', '100', 'XX')).toBe(':0\r\n');
    expect(h.run('EXPIRE', 'k', '100', 'GT')).toBe(':0\r\n');
    expect(h.run('EXPIRE', 'k', '100', 'LT')).toBe(':1\r\n');
    expect(h.run('EXPIRE', 'k', '200', 'NX')).toBe(':0\r\n');
    expect(h.run('EXPIRE', 'k', '200', 'LT')).toBe(':0\r\n');
    expect(h.run('EXPIRE', 'k', '200', 'gt')).toBe(':1\r\n');
    expect(h.run('EXPIRE', 'k', '50', 'XX', 'LT')).toBe(':1\r\n');
    expect(h.run('TTL', 'k')).toBe(':50\r\n');
    expect(h.run('EXPIRE', 'k', '50', 'NX', 'XX')).toBe('-ERR NX and XX, GT or LT options at the same time are not compatible\r\n');
    expect(h.run('EXPIRE', 'k', '50', 'NX', 'GT')).toBe('-ERR NX and XX, GT or LT options at the same time are not compatible\r\n');
    expect(h.run('EXPIRE', 'k', '50', 'GT', 'LT')).toBe('-ERR GT and LT options at the same time are not compatible\r\n');
    expect(h.run('EXPIRE', 'k', '50', 'SOON')).toBe('-ERR Unsupported option SOON\r\n');
    // Options are checked before the number, the number before the key.
    expect(h.run('EXPIRE', 'nokey', 'x', 'BAD')).toBe('-ERR Unsupported option BAD\r\n');
    expect(h.run('EXPIRE', 'nokey', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(h.run('EXPIRE', 'nokey', '9223372036854775807')).toBe("-ERR invalid expire time in 'expire' command\r\n");
    expect(h.run('PEXPIRE', 'nokey', '9223372036854775807')).toBe("-ERR invalid expire time in 'pexpire' command\r\n");
    expect(h.run('EXPIREAT', 'nokey', '9223372036854775807')).toBe("-ERR invalid expire time in 'expireat' command\r\n");
    expect(h.run('EXPIREAT', 'nokey', '-9223372036854775808')).toBe("-ERR invalid expire time in 'expireat' command\r\n");
    expect(h.run('PEXPIREAT', 'nokey', '9223372036854775807')).toBe(':0\r\n');
  });

  it('counts keyspace hits and misses on the reads Redis counts, not on writes', () => {
    const stats = h.server.keyspace.stats;
    h.run('SET', 'a', '1');
    const reads: Array<[string[], number, number]> = [
      [['GET', 'a'], 1, 0], [['GET', 'z'], 0, 1], [['EXISTS', 'a', 'z', 'a'], 2, 1], [['TYPE', 'z'], 0, 1], [['TTL', 'a'], 1, 0],
      [['PEXPIRETIME', 'a'], 1, 0], [['MGET', 'a', 'z'], 1, 1], [['STRLEN', 'a'], 1, 0], [['GETRANGE', 'z', '0', '1'], 0, 1],
      [['OBJECT', 'ENCODING', 'a'], 1, 0], [['TOUCH', 'a', 'z'], 1, 1], [['COPY', 'a', 'b'], 1, 0], [['SET', 'a', '2', 'GET'], 1, 0],
      [['GETEX', 'z'], 0, 1],
      // Writes look up without counting.
      [['SET', 'a', '3'], 0, 0], [['INCR', 'n'], 0, 0], [['APPEND', 'a', 'x'], 0, 0], [['EXPIRE', 'a', '100'], 0, 0],
      [['RENAME', 'b', 'c'], 0, 0], [['DEL', 'c'], 0, 0], [['MOVE', 'n', '2'], 0, 0], [['PERSIST', 'a'], 0, 0],
    ];
    for (const [cmd, hits, misses] of reads) {
      const h0 = stats.keyspaceHits;
      const m0 = stats.keyspaceMisses;
      h.run(...cmd);
      expect([stats.keyspaceHits - h0, stats.keyspaceMisses - m0], cmd.join(' ')).toEqual([hits, misses]);
    }
  });

  it('OBJECT IDLETIME counts from the last access; TYPE, EXISTS, TTL and OBJECT do not access', () => {
    h.run('SET', 'k', 'v');
    h.client.db.lookup('k')!.accessedAt = secondsOf(Date.now()) - 10;
    for (const cmd of [['TYPE', 'k'], ['EXISTS', 'k'], ['TTL', 'k'], ['OBJECT', 'ENCODING', 'k'], ['SCAN', '0'], ['KEYS', '*'], ['RANDOMKEY']]) h.run(...cmd);
    expect(h.run('OBJECT', 'IDLETIME', 'k')).toMatch(/^:(9|10|11)\r\n$/);
    h.run('GET', 'k');
    expect(h.run('OBJECT', 'IDLETIME', 'k')).toBe(':0\r\n');
    h.client.db.lookup('k')!.accessedAt = secondsOf(Date.now()) - 10;
    h.run('TOUCH', 'k');
    expect(h.run('OBJECT', 'IDLETIME', 'k')).toBe(':0\r\n');
    expect(h.run('OBJECT', 'IDLETIME', 'nokey')).toBe('$-1\r\n');
  });

  it('SWAPDB exchanges contents under the clients and dirties watched keys present in either database', () => {
    h.run('SET', 'in0', 'a');
    h.run('SELECT', '1');
    h.run('SET', 'in1', 'b');
    h.run('EXPIRE', 'in1', '1000');
    h.run('SELECT', '0');
    const watcher = { dirty: 0, watchedKeyModified(): void { this.dirty++; } };
    const ks = h.server.keyspace;
    ks.watch(0, 'in1', watcher); // absent from db 0 but present in db 1: dirtied
    const quiet = { dirty: 0, watchedKeyModified(): void { this.dirty++; } };
    ks.watch(0, 'elsewhere', quiet); // in neither: untouched
    expect(h.run('SWAPDB', '0', '1')).toBe('+OK\r\n');
    expect(watcher.dirty).toBeGreaterThan(0);
    expect(quiet.dirty).toBe(0);
    expect(h.run('GET', 'in1')).toBe('$1\r\nb\r\n');
    expect(h.run('TTL', 'in1')).toBe(':1000\r\n');
    expect(h.run('GET', 'in0')).toBe('$-1\r\n');
    expect(h.run('DBSIZE')).toBe(':1\r\n');
    expect(h.run('SCAN', '0')).toBe('*2\r\n$1\r\n0\r\n*1\r\n$3\r\nin1\r\n');
    expect(h.run('SWAPDB', '1', '1')).toBe('+OK\r\n');
    expect(h.run('SWAPDB', '0', '16')).toBe('-ERR DB index is out of range\r\n');
    expect(h.run('SWAPDB', '-1', '0')).toBe('-ERR DB index is out of range\r\n');
    expect(h.run('SWAPDB', 'a', '0')).toBe('-ERR invalid first DB index\r\n');
    expect(h.run('SWAPDB', '0', '2147483648')).toBe('-ERR invalid second DB index\r\n');
  });

  it('parses SCAN cursors as Redis 8 (string2ull)', () => {
    const cur = (s: string): number | null => parseScanCursor(Buffer.from(s));
    expect(cur('0')).toBe(0);
    expect(cur('17')).toBe(17);
    expect(cur('18446744073709551615')).toBe(18446744073709551615);
    expect(cur('007')).toBe(7);
    expect(cur('+5')).toBe(5);
    expect(cur('-1')).toBeNull();
    expect(cur('')).toBeNull();
    expect(cur('x')).toBeNull();
    expect(cur('1x')).toBeNull();
    expect(cur('18446744073709551616')).toBeNull();
  });
});
