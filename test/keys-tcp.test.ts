/**
 * The generic keyspace commands (src/commands/keys.ts, and expire.ts for the EXPIRE/TTL family)
 * against a started server over TCP (ioredis, and raw sockets for RESP3 bytes): every command
 * with its options and errors, SCAN's guarantee over 10k keys with churn, active expiry, COMMAND
 * INFO. What can only be seen in process: keys.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { resp3 } from './helpers/raw.js';
import { serverForFile } from './helpers/server.js';
import { waitFor } from './helpers/wait.js';

/** A fixed expiry deadline, far in the future, for tests that check a TTL travels unchanged. */
const AT = Date.now() + 3_600_000;

// ---- against a started server ---------------------------------------------------------------

describe('keyspace commands over TCP', () => {
  const srv = serverForFile();
  let r: Redis;

  beforeAll(async () => {
    r = new Redis({ port: srv().port, maxRetriesPerRequest: 0 });
  });

  afterAll(async () => {
    r?.disconnect();
  });

  beforeEach(async () => {
    await r.flushall();
  });

  const call = (...args: Array<string | number>): Promise<unknown> => r.call(String(args[0]), args.slice(1).map(String));

  it('DEL, UNLINK, EXISTS, TOUCH count keys as Redis does', async () => {
    await r.mset('a', '1', 'b', '2', 'c', '3');
    expect(await call('EXISTS', 'a', 'a', 'x')).toBe(2);
    expect(await call('TOUCH', 'a', 'x', 'b')).toBe(2);
    expect(await call('DEL', 'a', 'x', 'a')).toBe(1);
    expect(await call('UNLINK', 'b', 'c', 'b')).toBe(2);
    expect(await call('DBSIZE')).toBe(0);
    await expect(call('DEL')).rejects.toThrow("ERR wrong number of arguments for 'del' command");
    await expect(call('EXISTS')).rejects.toThrow("ERR wrong number of arguments for 'exists' command");
  });

  it('TYPE replies a simple string', async () => {
    await r.set('s', 'v');
    expect(await resp3(srv().port, ['TYPE', 's'], ['TYPE', 'nope'])).toBe('+string\r\n+none\r\n');
  });

  it('KEYS matches glob patterns over binary-safe names', async () => {
    await r.mset('hello', '1', 'hallo', '2', 'hxllo', '3', 'hllo', '4', 'heeeello', '5', 'a*b', '6', Buffer.from([0xff, 0x00, 0x41]), '7');
    const keys = async (p: string | Buffer): Promise<string[]> => ((await r.callBuffer('KEYS', [p])) as Buffer[]).map((b) => b.toString('latin1')).sort();
    expect(await keys('h?llo')).toEqual(['hallo', 'hello', 'hxllo']);
    expect(await keys('h*llo')).toEqual(['hallo', 'heeeello', 'hello', 'hllo', 'hxllo']);
    expect(await keys('h[ae]llo')).toEqual(['hallo', 'hello']);
    expect(await keys('h[^e]llo')).toEqual(['hallo', 'hxllo']);
    expect(await keys('h[a-b]llo')).toEqual(['hallo']);
    expect(await keys('a\\*b')).toEqual(['a*b']);
    expect(await keys(Buffer.from([0xff, 0x2a]))).toEqual(['\xff\x00A']);
    expect((await keys('*')).length).toBe(7);
    expect(await keys('nomatch*')).toEqual([]);
  });

  it('RANDOMKEY returns a key or null (RESP3 _)', async () => {
    expect(await call('RANDOMKEY')).toBeNull();
    expect(await resp3(srv().port, ['RANDOMKEY'])).toBe('_\r\n');
    await r.mset('a', '1', 'b', '2');
    for (let i = 0; i < 20; i++) expect(['a', 'b']).toContain(await call('RANDOMKEY'));
  });

  it('RENAME and RENAMENX: overwrite, keep TTL, same name, missing source', async () => {
    await r.set('a', '1', 'PXAT', AT);
    await r.set('b', '2');
    expect(await call('RENAME', 'a', 'b')).toBe('OK');
    expect(await r.get('b')).toBe('1');
    expect(await call('PEXPIRETIME', 'b')).toBe(AT); // the same deadline, kept exactly
    expect(await r.exists('a')).toBe(0);
    expect(await call('RENAME', 'b', 'b')).toBe('OK');
    expect(await call('RENAMENX', 'b', 'b')).toBe(0);
    await r.set('c', '3');
    expect(await call('RENAMENX', 'b', 'c')).toBe(0);
    expect(await call('RENAMENX', 'b', 'd')).toBe(1);
    expect(await call('PEXPIRETIME', 'd')).toBe(AT); // the same deadline, kept exactly
    await r.set('e', 'x', 'PXAT', AT);
    await call('RENAME', 'c', 'e');
    expect(await r.ttl('e')).toBe(-1); // the source's (absent) TTL wins
    await expect(call('RENAME', 'nope', 'x')).rejects.toThrow('ERR no such key');
    await expect(call('RENAMENX', 'nope', 'nope')).rejects.toThrow('ERR no such key');
    await expect(call('RENAME', 'a')).rejects.toThrow("ERR wrong number of arguments for 'rename' command");
  });

  it('COPY: DB, REPLACE, same key, TTL, errors', async () => {
    await r.set('a', 'v', 'PXAT', AT);
    expect(await call('COPY', 'a', 'b')).toBe(1);
    expect(await r.get('b')).toBe('v');
    expect(await call('PEXPIRETIME', 'b')).toBe(AT); // the same deadline, kept exactly
    expect(await call('COPY', 'a', 'b')).toBe(0);
    await r.set('a', 'w');
    expect(await call('COPY', 'a', 'b', 'REPLACE')).toBe(1);
    expect(await r.get('b')).toBe('w');
    expect(await r.ttl('b')).toBe(-1);
    expect(await call('COPY', 'a', 'a', 'DB', '1')).toBe(1);
    expect(await call('COPY', 'nope', 'x')).toBe(0);
    await r.select(1);
    expect(await r.get('a')).toBe('w');
    await r.select(0);
    await expect(call('COPY', 'a', 'a')).rejects.toThrow('ERR source and destination objects are the same');
    await expect(call('COPY', 'a', 'a', 'DB', '0')).rejects.toThrow('ERR source and destination objects are the same');
    await expect(call('COPY', 'a', 'b', 'DB', '16')).rejects.toThrow('ERR DB index is out of range');
    await expect(call('COPY', 'a', 'b', 'DB', 'x')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(call('COPY', 'a', 'b', 'DB')).rejects.toThrow('ERR syntax error');
    await expect(call('COPY', 'a', 'b', 'FORCE')).rejects.toThrow('ERR syntax error');
  });

  it('MOVE: to another db keeping the TTL, refusing an existing key, errors', async () => {
    await r.set('a', '1', 'PXAT', AT);
    expect(await call('MOVE', 'a', '2')).toBe(1);
    expect(await r.exists('a')).toBe(0);
    expect(await call('MOVE', 'a', '2')).toBe(0);
    await r.select(2);
    expect(await call('PEXPIRETIME', 'a')).toBe(AT); // the same deadline, kept exactly
    await r.set('b', 'two');
    await r.select(0);
    await r.set('b', 'zero');
    expect(await call('MOVE', 'b', '2')).toBe(0);
    expect(await r.get('b')).toBe('zero');
    await expect(call('MOVE', 'b', '0')).rejects.toThrow('ERR source and destination objects are the same');
    await expect(call('MOVE', 'b', '16')).rejects.toThrow('ERR DB index is out of range');
    await expect(call('MOVE', 'b', '-1')).rejects.toThrow('ERR DB index is out of range');
    await expect(call('MOVE', 'b', 'x')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(call('MOVE', 'b', '4294967296')).rejects.toThrow('ERR value is out of range, value must between -2147483648 and 2147483647');
  });

  it('SWAPDB is seen by every client', async () => {
    const other = new Redis({ port: srv().port, db: 1 });
    try {
      await r.set('k', 'db0');
      await other.set('k', 'db1');
      expect(await call('SWAPDB', '0', '1')).toBe('OK');
      expect(await r.get('k')).toBe('db1');
      expect(await other.get('k')).toBe('db0');
    } finally {
      other.disconnect();
    }
  });

  it('EXPIRE family, TTL, PTTL, EXPIRETIME, PERSIST', async () => {
    await r.set('k', 'v');
    // Bounds from the clock read around each call (same machine, same clock), no fixed slack.
    const t0 = Date.now();
    expect(await call('EXPIRE', 'k', '100')).toBe(1);
    const t1 = Date.now();
    const deadline = (await call('PEXPIRETIME', 'k')) as number;
    expect(deadline).toBeGreaterThanOrEqual(t0 + 100_000);
    expect(deadline).toBeLessThanOrEqual(t1 + 100_000);
    const t2 = Date.now();
    const pttl = (await r.pttl('k')) as number;
    const t3 = Date.now();
    expect(pttl).toBeLessThanOrEqual(deadline - t2);
    expect(pttl).toBeGreaterThanOrEqual(deadline - t3);
    const ttl = (await r.ttl('k')) as number;
    const t4 = Date.now();
    // TTL is PTTL in whole seconds, rounded as Redis rounds ((ms + 500) / 1000).
    expect(ttl).toBeLessThanOrEqual(100);
    expect(ttl).toBeGreaterThanOrEqual(Math.floor((deadline - t4 + 500) / 1000));
    expect(await call('PEXPIRE', 'k', '5000000')).toBe(1);
    expect(await r.ttl('k')).toBe(5000);
    const at = Math.floor(Date.now() / 1000) + 3600;
    expect(await call('EXPIREAT', 'k', at)).toBe(1);
    expect(await call('EXPIRETIME', 'k')).toBe(at);
    expect(await call('PEXPIRETIME', 'k')).toBe(at * 1000);
    expect(await call('PEXPIREAT', 'k', at * 1000 + 7)).toBe(1);
    expect(await call('PEXPIRETIME', 'k')).toBe(at * 1000 + 7);
    expect(await call('PERSIST', 'k')).toBe(1);
    expect(await r.ttl('k')).toBe(-1);
    expect(await call('EXPIRETIME', 'k')).toBe(-1);
    expect(await r.ttl('nope')).toBe(-2);
    expect(await call('PEXPIRETIME', 'nope')).toBe(-2);
    expect(await call('EXPIRE', 'nope', '10')).toBe(0);
    expect(await call('EXPIRE', 'k', '0')).toBe(1);
    expect(await r.exists('k')).toBe(0);
    await expect(call('EXPIRE', 'k', '1.5')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(call('PEXPIRE', 'k')).rejects.toThrow("ERR wrong number of arguments for 'pexpire' command");
  });

  it('expires actively: keys with PX 50 disappear without being touched', async () => {
    const p = r.pipeline();
    for (let i = 0; i < 300; i++) p.set(`exp:${i}`, 'v', 'PX', 50);
    p.set('stays', 'v');
    await p.exec();
    // DBSIZE does not look keys up, so only the server's cron can bring the count down.
    const deadline = Date.now() + 10_000;
    let size = (await r.dbsize()) as number;
    while (size > 1 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 50));
      size = (await r.dbsize()) as number;
    }
    expect(size).toBe(1);
    const info = (await r.info('stats')) as string;
    expect(Number(/expired_keys:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(300);
  });

  it('expires lazily: a key past its time reads as missing', async () => {
    const at = Date.now() + 20;
    await r.set('lazy', 'v', 'PXAT', at);
    // Wait for the clock (the server's is the same one) to pass the deadline, not a fixed time.
    await waitFor('the deadline to pass', () => Date.now() > at);
    expect(await r.get('lazy')).toBeNull();
    expect(await r.ttl('lazy')).toBe(-2);
  });

  it('OBJECT ENCODING, REFCOUNT, IDLETIME, FREQ, HELP', async () => {
    await r.set('int', '123');
    await r.set('small', '5');
    await r.set('emb', 'hello');
    await r.set('raw', 'x'.repeat(45));
    expect(await call('OBJECT', 'ENCODING', 'int')).toBe('int');
    expect(await call('OBJECT', 'ENCODING', 'emb')).toBe('embstr');
    expect(await call('OBJECT', 'ENCODING', 'raw')).toBe('raw');
    expect(await call('OBJECT', 'REFCOUNT', 'small')).toBe(2147483647);
    expect(await call('OBJECT', 'REFCOUNT', 'int')).toBe(2147483647);
    expect(await call('OBJECT', 'REFCOUNT', 'emb')).toBe(1);
    expect(await call('OBJECT', 'IDLETIME', 'emb')).toBe(0);
    expect(await call('OBJECT', 'ENCODING', 'nope')).toBeNull();
    expect(await resp3(srv().port, ['OBJECT', 'ENCODING', 'nope'], ['OBJECT', 'REFCOUNT', 'nope'])).toBe('_\r\n_\r\n');
    await expect(call('OBJECT', 'FREQ', 'emb')).rejects.toThrow('ERR An LFU maxmemory policy is not selected, access frequency not tracked.');
    expect(await call('OBJECT', 'FREQ', 'nope')).toBeNull();
    const help = (await call('OBJECT', 'HELP')) as string[];
    expect(help[0]).toBe('OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help).toContain('REFCOUNT <key>');
    await expect(call('OBJECT', 'NOPE', 'x')).rejects.toThrow("ERR unknown subcommand 'NOPE'. Try OBJECT HELP.");
    await expect(call('OBJECT', 'ENCODING')).rejects.toThrow("ERR wrong number of arguments for 'object|encoding' command");
  });

  describe('SCAN', () => {
    const scanAll = async (...opts: string[]): Promise<{ keys: string[]; calls: number }> => {
      const keys: string[] = [];
      let cursor = '0';
      let calls = 0;
      do {
        const [next, batch] = (await call('SCAN', cursor, ...opts)) as [string, string[]];
        expect(typeof next).toBe('string');
        keys.push(...batch);
        cursor = next;
        calls++;
      } while (cursor !== '0');
      return { keys, calls };
    };

    it('returns every one of 10k keys, in several calls', async () => {
      const p = r.pipeline();
      for (let i = 0; i < 10_000; i += 500) p.mset(...Array.from({ length: 500 }, (_, j) => [`key:${i + j}`, 'v']).flat());
      await p.exec();
      const { keys, calls } = await scanAll('COUNT', '100');
      expect(new Set(keys).size).toBe(10_000);
      expect(calls).toBeGreaterThan(50);
      const all = await scanAll();
      expect(new Set(all.keys).size).toBe(10_000);
    });

    it('returns every key that exists for the whole iteration while others come and go', async () => {
      let seed = 12345;
      const rand = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const stable = Array.from({ length: 3000 }, (_, i) => `stable:${i}`);
      const churnLive = new Set<string>();
      let churnNext = 0;
      // Interleave churn keys with the stable ones, so freed slots sit before and after the cursor.
      const p = r.pipeline();
      for (const k of stable) {
        p.set(k, 'v');
        if (rand(2) === 0) {
          const c = `churn:${churnNext++}`;
          churnLive.add(c);
          p.set(c, 'v');
        }
      }
      await p.exec();
      const seen = new Set<string>();
      const everChurn = new Set(churnLive);
      let cursor = '0';
      do {
        const [next, batch] = (await call('SCAN', cursor, 'COUNT', String(1 + rand(60)))) as [string, string[]];
        for (const k of batch) seen.add(k);
        cursor = next;
        // Between calls: delete some churn keys and add new ones.
        const q = r.pipeline();
        for (let i = 0; i < 20; i++) {
          if (rand(2) === 0 && churnLive.size > 0) {
            const victims = [...churnLive];
            const v = victims[rand(victims.length)]!;
            churnLive.delete(v);
            q.del(v);
          } else {
            const c = `churn:${churnNext++}`;
            churnLive.add(c);
            everChurn.add(c);
            q.set(c, 'v');
          }
        }
        await q.exec();
      } while (cursor !== '0');
      for (const k of stable) expect(seen.has(k), k).toBe(true);
      for (const k of seen) expect(k.startsWith('stable:') || everChurn.has(k), k).toBe(true);
    });

    it('filters with MATCH and TYPE, and checks its arguments', async () => {
      await r.mset('user:1', 'a', 'user:2', 'b', 'item:1', 'c');
      expect((await scanAll('MATCH', 'user:*')).keys.sort()).toEqual(['user:1', 'user:2']);
      expect((await scanAll('MATCH', '*:1', 'COUNT', '1')).keys.sort()).toEqual(['item:1', 'user:1']);
      expect((await scanAll('TYPE', 'string')).keys.length).toBe(3);
      expect((await scanAll('TYPE', 'STRING', 'MATCH', 'item*')).keys).toEqual(['item:1']);
      expect((await scanAll('TYPE', 'vectorset')).keys).toEqual([]);
      expect((await scanAll('TYPE', 'hash')).keys).toEqual([]);
      await expect(call('SCAN', 'abc')).rejects.toThrow('ERR invalid cursor');
      await expect(call('SCAN', '-1')).rejects.toThrow('ERR invalid cursor');
      await expect(call('SCAN', '0', 'COUNT', '0')).rejects.toThrow('ERR syntax error');
      await expect(call('SCAN', '0', 'COUNT', 'x')).rejects.toThrow('ERR value is not an integer or out of range');
      await expect(call('SCAN', '0', 'TYPE', 'blob')).rejects.toThrow("ERR unknown type name 'blob'");
      await expect(call('SCAN', '0', 'MATCH')).rejects.toThrow('ERR syntax error');
      await expect(call('SCAN', '0', 'LIMIT', '5')).rejects.toThrow('ERR syntax error');
      // The cursor is a bulk string in both protocols.
      expect(await resp3(srv().port, ['SCAN', '0', 'MATCH', 'item*'])).toBe('*2\r\n$1\r\n0\r\n*1\r\n$6\r\nitem:1\r\n');
    });
  });

  it('declares Redis flags, key positions and ACL categories (COMMAND INFO, COMMAND GETKEYS)', async () => {
    const expected: Array<[string, number, string[], number, number, number, string[]]> = [
      ['del', -2, ['write'], 1, -1, 1, ['@keyspace', '@write', '@slow']],
      ['unlink', -2, ['write', 'fast'], 1, -1, 1, ['@keyspace', '@write', '@fast']],
      ['exists', -2, ['readonly', 'fast'], 1, -1, 1, ['@keyspace', '@read', '@fast']],
      ['type', 2, ['readonly', 'fast'], 1, 1, 1, ['@keyspace', '@read', '@fast']],
      ['keys', 2, ['readonly'], 0, 0, 0, ['@keyspace', '@read', '@slow', '@dangerous']],
      ['scan', -2, ['readonly'], 0, 0, 0, ['@keyspace', '@read', '@slow']],
      ['randomkey', 1, ['readonly'], 0, 0, 0, ['@keyspace', '@read', '@slow']],
      ['rename', 3, ['write'], 1, 2, 1, ['@keyspace', '@write', '@slow']],
      ['renamenx', 3, ['write', 'fast'], 1, 2, 1, ['@keyspace', '@write', '@fast']],
      ['expire', -3, ['write', 'fast'], 1, 1, 1, ['@keyspace', '@write', '@fast']],
      ['pexpireat', -3, ['write', 'fast'], 1, 1, 1, ['@keyspace', '@write', '@fast']],
      ['ttl', 2, ['readonly', 'fast'], 1, 1, 1, ['@keyspace', '@read', '@fast']],
      ['pexpiretime', 2, ['readonly', 'fast'], 1, 1, 1, ['@keyspace', '@read', '@fast']],
      ['persist', 2, ['write', 'fast'], 1, 1, 1, ['@keyspace', '@write', '@fast']],
      ['copy', -3, ['write', 'denyoom'], 1, 2, 1, ['@keyspace', '@write', '@slow']],
      ['move', 3, ['write', 'fast'], 1, 1, 1, ['@keyspace', '@write', '@fast']],
      ['swapdb', 3, ['write', 'fast'], 0, 0, 0, ['@keyspace', '@write', '@fast', '@dangerous']],
      ['touch', -2, ['readonly', 'fast'], 1, -1, 1, ['@keyspace', '@read', '@fast']],
      ['object', -2, [], 0, 0, 0, ['@slow']],
    ];
    const infos = (await call('COMMAND', 'INFO', ...expected.map((e) => e[0]))) as unknown[][];
    expect(infos.map((i) => i.slice(0, 7))).toEqual(expected);
    const objectSubs = (infos[infos.length - 1]![9] as unknown[][]).map((s) => s.slice(0, 7));
    expect(objectSubs).toContainEqual(['object|encoding', 3, ['readonly'], 2, 2, 1, ['@keyspace', '@read', '@slow']]);
    expect(await call('COMMAND', 'GETKEYS', 'COPY', 'a', 'b', 'DB', '1')).toEqual(['a', 'b']);
    expect(await call('COMMAND', 'GETKEYS', 'DEL', 'a', 'b', 'c')).toEqual(['a', 'b', 'c']);
    expect(await call('COMMAND', 'GETKEYS', 'OBJECT', 'ENCODING', 'k')).toEqual(['k']);
    expect(await call('COMMAND', 'GETKEYS', 'EXPIRE', 'k', '10', 'NX')).toEqual(['k']);
    // COMMAND DOCS carries the argument names redis-cli shows as hints.
    const docs = (await call('COMMAND', 'DOCS', 'expire')) as unknown[];
    expect(JSON.stringify(docs)).toContain('"condition"');
  });
});
