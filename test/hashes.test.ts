/**
 * The hash type (src/commands/hashes.ts, src/keyspace/hash-value.ts): every command with its
 * options and errors, in Redis's order of checks; the listpack/hashtable encoding and when a hash
 * converts; field order; what each write propagates; HSCAN's guarantee under churn; HRANDFIELD's
 * cases; and, against a started server, the exact RESP2 and RESP3 bytes, COMMAND INFO/DOCS and
 * MODULE LIST. test/hashes-keyspace.test.ts covers persistence, the generic key commands and the
 * keyspace observer; test/differential-hashes.test.ts compares with a real redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { harness } from './helpers/harness.js';
import { RawConnection } from './helpers/raw.js';
import { serverForFile } from './helpers/server.js';
import { HashValue } from '../src/keyspace/hash-value.js';

const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
const NOT_INT = '-ERR value is not an integer or out of range\r\n';
const NOT_FLOAT = '-ERR value is not a valid float\r\n';
const SYNTAX = '-ERR syntax error\r\n';
const EMPTY_SCAN = '*2\r\n$1\r\n0\r\n*0\r\n';

/** RESP2 bytes of an array of bulk strings. */
function bulks(...items: string[]): string {
  return `*${items.length}\r\n` + items.map((s) => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`).join('');
}

/** The bulk strings of a flat RESP2 array reply. */
function parseBulks(reply: string): string[] {
  const out: string[] = [];
  const re = /\$(\d+)\r\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(reply)) !== null) {
    const n = Number(m[1]);
    out.push(reply.slice(re.lastIndex, re.lastIndex + n));
    re.lastIndex += n + 2;
  }
  return out;
}

describe('hash commands (in process)', () => {
  it('HSET, HMSET, HSETNX create and update fields, binary-safe, with arity errors named after the command', () => {
    const h = harness();
    expect(h.run('HSET', 'h', 'f1', 'v1', 'f2', 'v2')).toBe(':2\r\n');
    expect(h.run('HSET', 'h', 'f1', 'x', 'f3', 'y')).toBe(':1\r\n');
    expect(h.run('HSET', 'h', 'f1', 'x')).toBe(':0\r\n');
    expect(h.run('HGETALL', 'h')).toBe(bulks('f1', 'x', 'f2', 'v2', 'f3', 'y'));
    expect(h.run('HSET', 'h', 'f4', 'v', 'f5')).toBe("-ERR wrong number of arguments for 'hset' command\r\n");
    expect(h.run('HSET', 'h', 'f4')).toBe("-ERR wrong number of arguments for 'hset' command\r\n");
    expect(h.run('HMSET', 'h', 'f4', 'v', 'f5')).toBe("-ERR wrong number of arguments for 'hmset' command\r\n");
    expect(h.run('HLEN', 'h')).toBe(':3\r\n');
    expect(h.run('HMSET', 'h', 'f4', 'v4', 'f1', 'z')).toBe('+OK\r\n');
    expect(h.run('HMGET', 'h', 'f1', 'f4', 'nope')).toBe('*3\r\n$1\r\nz\r\n$2\r\nv4\r\n$-1\r\n');
    const bin = Buffer.from([0, 0xff, 13, 10]);
    expect(h.run('HSET', 'b', bin, bin, '', '')).toBe(':2\r\n');
    expect(h.run('HGET', 'b', bin)).toBe('$4\r\n\x00\xff\r\n\r\n');
    expect(h.run('HGET', 'b', '')).toBe('$0\r\n\r\n');
    expect(h.run('HSTRLEN', 'b', '')).toBe(':0\r\n');
    expect(h.run('HEXISTS', 'b', '')).toBe(':1\r\n');
    expect(h.run('HSETNX', 'h', 'f1', 'new')).toBe(':0\r\n');
    expect(h.run('HGET', 'h', 'f1')).toBe('$1\r\nz\r\n');
    expect(h.run('HSETNX', 'h', 'f9', 'nine')).toBe(':1\r\n');
    expect(h.run('HSETNX', 'fresh', 'a', 'b')).toBe(':1\r\n');
    expect(h.run('TYPE', 'fresh')).toBe('+hash\r\n');
    expect(h.run('HSETNX', 'fresh', 'a')).toBe("-ERR wrong number of arguments for 'hsetnx' command\r\n");
  });

  it('answer WRONGTYPE for other types, after argument errors only where Redis checks those first', () => {
    const h = harness();
    h.run('SET', 's', 'text');
    for (const cmd of [
      ['HSET', 's', 'f', 'v'], ['HMSET', 's', 'f', 'v'], ['HSETNX', 's', 'f', 'v'], ['HGET', 's', 'f'], ['HMGET', 's', 'f'], ['HGETALL', 's'], ['HDEL', 's', 'f'],
      ['HEXISTS', 's', 'f'], ['HLEN', 's'], ['HKEYS', 's'], ['HVALS', 's'], ['HSTRLEN', 's', 'f'], ['HINCRBY', 's', 'f', '1'], ['HINCRBYFLOAT', 's', 'f', '1'],
      ['HRANDFIELD', 's'], ['HRANDFIELD', 's', '2'], ['HRANDFIELD', 's', '0'], ['HSCAN', 's', '0'], ['HSCAN', 's', '0', 'COUNT', 'x'],
    ]) {
      expect(h.run(...cmd), cmd.join(' ')).toBe(WRONGTYPE);
    }
    expect(h.run('GET', 's')).toBe('$4\r\ntext\r\n');
    // Parsed before the lookup: the argument's error wins.
    expect(h.run('HINCRBY', 's', 'f', 'x')).toBe(NOT_INT);
    expect(h.run('HINCRBYFLOAT', 's', 'f', 'x')).toBe(NOT_FLOAT);
    expect(h.run('HRANDFIELD', 's', 'x')).toBe(NOT_INT);
    expect(h.run('HRANDFIELD', 's', '1', 'BAD')).toBe(SYNTAX);
    expect(h.run('HSCAN', 's', 'x')).toBe('-ERR invalid cursor\r\n');
    // The other direction: hashes are the wrong type for the string commands.
    h.run('HSET', 'h', 'f', 'v');
    expect(h.run('GET', 'h')).toBe(WRONGTYPE);
    expect(h.run('INCR', 'h')).toBe(WRONGTYPE);
    expect(h.run('VCARD', 'h')).toBe(WRONGTYPE);
  });

  it('HGET, HMGET, HEXISTS, HLEN, HSTRLEN, HKEYS, HVALS, HGETALL on missing keys and fields', () => {
    const h = harness();
    expect(h.run('HGET', 'no', 'f')).toBe('$-1\r\n');
    expect(h.run('HMGET', 'no', 'a', 'b')).toBe('*2\r\n$-1\r\n$-1\r\n');
    expect(h.run('HEXISTS', 'no', 'f')).toBe(':0\r\n');
    expect(h.run('HLEN', 'no')).toBe(':0\r\n');
    expect(h.run('HSTRLEN', 'no', 'f')).toBe(':0\r\n');
    expect(h.run('HKEYS', 'no')).toBe('*0\r\n');
    expect(h.run('HVALS', 'no')).toBe('*0\r\n');
    expect(h.run('HGETALL', 'no')).toBe('*0\r\n');
    h.run('HSET', 'h', 'a', '12345', 'n', '-17');
    expect(h.run('HGET', 'h', 'zz')).toBe('$-1\r\n');
    expect(h.run('HSTRLEN', 'h', 'a')).toBe(':5\r\n');
    expect(h.run('HSTRLEN', 'h', 'n')).toBe(':3\r\n');
    expect(h.run('HSTRLEN', 'h', 'zz')).toBe(':0\r\n');
    expect(h.run('HEXISTS', 'h', 'a')).toBe(':1\r\n');
    expect(h.run('HKEYS', 'h')).toBe(bulks('a', 'n'));
    expect(h.run('HVALS', 'h')).toBe(bulks('12345', '-17'));
    expect(h.run('HGET', 'h')).toBe("-ERR wrong number of arguments for 'hget' command\r\n");
    expect(h.run('HMGET', 'h')).toBe("-ERR wrong number of arguments for 'hmget' command\r\n");
    expect(h.run('HGETALL', 'h', 'x')).toBe("-ERR wrong number of arguments for 'hgetall' command\r\n");
  });

  it('keep fields in insertion order: an update keeps its place, a field set again after HDEL goes last', () => {
    const h = harness();
    h.run('HSET', 'h', 'c', '1', 'a', '2', 'b', '3');
    h.run('HSET', 'h', 'a', 'updated');
    h.run('HDEL', 'h', 'c');
    h.run('HSET', 'h', 'c', 'back');
    expect(h.run('HGETALL', 'h')).toBe(bulks('a', 'updated', 'b', '3', 'c', 'back'));
    expect(h.run('HKEYS', 'h')).toBe(bulks('a', 'b', 'c'));
    expect(h.run('HVALS', 'h')).toBe(bulks('updated', '3', 'back'));
  });

  it('HDEL counts removed fields and removes the key with its last field', () => {
    const h = harness();
    expect(h.run('HDEL', 'no', 'f')).toBe(':0\r\n');
    h.run('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    expect(h.run('HDEL', 'h', 'a', 'a', 'zz')).toBe(':1\r\n');
    expect(h.run('HDEL', 'h', 'zz')).toBe(':0\r\n');
    h.run('EXPIRE', 'h', '1000');
    expect(h.run('HDEL', 'h', 'b')).toBe(':1\r\n');
    expect(h.run('TTL', 'h')).toBe(':1000\r\n');
    expect(h.run('HDEL', 'h', 'c', 'b', 'zz')).toBe(':1\r\n');
    expect(h.run('EXISTS', 'h')).toBe(':0\r\n');
    expect(h.run('TYPE', 'h')).toBe('+none\r\n');
    expect(h.run('HDEL', 'h')).toBe("-ERR wrong number of arguments for 'hdel' command\r\n");
  });

  it('HINCRBY: 64-bit arithmetic, its errors in order, and the key created when missing', () => {
    const h = harness();
    expect(h.run('HINCRBY', 'h', 'n', '5')).toBe(':5\r\n');
    expect(h.run('HINCRBY', 'h', 'n', '-7')).toBe(':-2\r\n');
    expect(h.run('HGET', 'h', 'n')).toBe('$2\r\n-2\r\n');
    for (const bad of ['x', '1.5', '', ' 1', '+1', '01', '9223372036854775808']) expect(h.run('HINCRBY', 'h', 'n', bad), bad).toBe(NOT_INT);
    h.run('HSET', 'h', 'max', '9223372036854775807', 'min', '-9223372036854775808', 'text', 'abc', 'lead', '007', 'sp', ' 1', 'neg0', '-0');
    expect(h.run('HINCRBY', 'h', 'max', '1')).toBe('-ERR increment or decrement would overflow\r\n');
    expect(h.run('HINCRBY', 'h', 'min', '-1')).toBe('-ERR increment or decrement would overflow\r\n');
    expect(h.run('HINCRBY', 'h', 'max', '-9223372036854775808')).toBe(':-1\r\n');
    for (const f of ['text', 'lead', 'sp', 'neg0']) expect(h.run('HINCRBY', 'h', f, '1'), f).toBe('-ERR hash value is not an integer\r\n');
    expect(h.run('HGET', 'h', 'lead')).toBe('$3\r\n007\r\n');
    expect(h.run('HINCRBY', 'new', 'f', '-9223372036854775808')).toBe(':-9223372036854775808\r\n');
    expect(h.run('HINCRBY', 'h', 'n')).toBe("-ERR wrong number of arguments for 'hincrby' command\r\n");
  });

  it('HINCRBYFLOAT: 80-bit long double as Redis prints it, and its errors in order', () => {
    const h = harness();
    expect(h.run('HINCRBYFLOAT', 'h', 'f', '0.1')).toBe('$3\r\n0.1\r\n');
    expect(h.run('HINCRBYFLOAT', 'h', 'f', '0.1')).toBe('$3\r\n0.2\r\n');
    h.run('HSET', 'h', 'g', '10.50', 'e', '5.0e3', 'i', '3', 'text', 'abc', 'inf', 'inf', 'big', '1e4932', 'sp', ' 1');
    expect(h.run('HINCRBYFLOAT', 'h', 'g', '0.1')).toBe('$4\r\n10.6\r\n');
    expect(h.run('HINCRBYFLOAT', 'h', 'e', '2.0e2')).toBe('$4\r\n5200\r\n');
    expect(h.run('HINCRBYFLOAT', 'h', 'i', '-3')).toBe('$1\r\n0\r\n');
    expect(h.run('HINCRBYFLOAT', 'h', 'x', '0x1p-3')).toBe('$5\r\n0.125\r\n');
    expect(h.run('HINCRBYFLOAT', 'h', 'y', '0.5')).toBe('$3\r\n0.5\r\n');
    expect(h.run('HINCRBYFLOAT', 'h', 'y', '1e-17')).toBe('$19\r\n0.50000000000000001\r\n');
    for (const bad of ['abc', '', ' 1', '1 ', 'nan', '1e99999', '--1', '1'.padEnd(5120, '0')]) expect(h.run('HINCRBYFLOAT', 'h', 'f', bad), bad.slice(0, 10)).toBe(NOT_FLOAT);
    for (const inf of ['inf', '-inf', 'infinity']) expect(h.run('HINCRBYFLOAT', 'h', 'f', inf)).toBe('-ERR value is NaN or Infinity\r\n');
    expect(h.run('HINCRBYFLOAT', 'h', 'text', '1')).toBe('-ERR hash value is not a float\r\n');
    expect(h.run('HINCRBYFLOAT', 'h', 'sp', '1')).toBe('-ERR hash value is not a float\r\n');
    expect(h.run('HINCRBYFLOAT', 'h', 'inf', '1')).toBe('-ERR increment would produce NaN or Infinity\r\n');
    expect(h.run('HINCRBYFLOAT', 'h', 'big', '1e4932')).toBe('-ERR increment would produce NaN or Infinity\r\n');
    expect(h.run('HGET', 'h', 'big')).toBe('$6\r\n1e4932\r\n');
    // A stored value of 5120 characters or more is not a float either (string2ld's limit).
    h.run('HSET', 'h', 'long', '1'.padEnd(5120, '0'));
    expect(h.run('HINCRBYFLOAT', 'h', 'long', '1')).toBe('-ERR hash value is not a float\r\n');
  });

  it('HRANDFIELD: one field, counts (positive distinct, negative with repeats), WITHVALUES, and its errors', () => {
    const h = harness();
    expect(h.run('HRANDFIELD', 'no')).toBe('$-1\r\n');
    expect(h.run('HRANDFIELD', 'no', '5')).toBe('*0\r\n');
    expect(h.run('HRANDFIELD', 'no', '-5', 'WITHVALUES')).toBe('*0\r\n');
    const fields = Array.from({ length: 10 }, (_, i) => `f${i}`);
    h.run('HSET', 'h', ...fields.flatMap((f) => [f, `v${f}`]));
    expect(fields).toContain(parseBulks(h.run('HRANDFIELD', 'h'))[0]);
    expect(h.run('HRANDFIELD', 'h', '0')).toBe('*0\r\n');
    expect(h.run('HRANDFIELD', 'h', '0', 'WITHVALUES')).toBe('*0\r\n');
    // At least the size: the whole hash, in its order.
    expect(h.run('HRANDFIELD', 'h', '10')).toBe(bulks(...fields));
    expect(h.run('HRANDFIELD', 'h', '9223372036854775807')).toBe(bulks(...fields));
    expect(h.run('HRANDFIELD', 'h', '100', 'withvalues')).toBe(bulks(...fields.flatMap((f) => [f, `v${f}`])));
    // Fewer than the size: distinct fields; a listpack answers them in its own order.
    for (const n of [1, 2, 5, 9]) {
      const got = parseBulks(h.run('HRANDFIELD', 'h', String(n)));
      expect(got).toHaveLength(n);
      expect(got).toEqual(fields.filter((f) => got.includes(f)));
    }
    const pairs = parseBulks(h.run('HRANDFIELD', 'h', '4', 'WITHVALUES'));
    expect(pairs).toHaveLength(8);
    for (let i = 0; i < 8; i += 2) expect(pairs[i + 1]).toBe(`v${pairs[i]}`);
    // Negative: exactly |count| picks, repeats allowed (2000 picks of 10 fields reach them all).
    const many = parseBulks(h.run('HRANDFIELD', 'h', '-2000'));
    expect(many).toHaveLength(2000);
    expect(new Set(many)).toEqual(new Set(fields));
    const withValues = parseBulks(h.run('HRANDFIELD', 'h', '-3', 'WITHVALUES'));
    expect(withValues).toHaveLength(6);
    for (let i = 0; i < 6; i += 2) expect(withValues[i + 1]).toBe(`v${withValues[i]}`);
    // Errors, in Redis's order: the count, the option, the WITHVALUES range, then the key.
    for (const bad of ['x', '1.5', '', '9223372036854775808']) expect(h.run('HRANDFIELD', 'no', bad), bad).toBe(NOT_INT);
    expect(h.run('HRANDFIELD', 'h', '-9223372036854775808')).toBe('-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n');
    expect(h.run('HRANDFIELD', 'h', '1', 'WITHVALUE')).toBe(SYNTAX);
    expect(h.run('HRANDFIELD', 'h', '1', 'WITHVALUES', 'x')).toBe(SYNTAX);
    expect(h.run('HRANDFIELD', 'no', '4611686018427387904', 'WITHVALUES')).toBe('-ERR value is out of range\r\n');
    expect(h.run('HRANDFIELD', 'no', '-4611686018427387904', 'WITHVALUES')).toBe('-ERR value is out of range\r\n');
    expect(h.run('HRANDFIELD', 'h', '4611686018427387903', 'WITHVALUES')).toBe(bulks(...fields.flatMap((f) => [f, `v${f}`])));
    // A reply vsetd could not hold is refused (VRANDMEMBER's limit), after the key lookup.
    expect(h.run('HRANDFIELD', 'no', '-10000001')).toBe('*0\r\n');
    expect(h.run('HRANDFIELD', 'h', '-10000001')).toBe('-ERR value is out of range\r\n');
  });

  it('HRANDFIELD on a hashtable-encoded hash: distinct picks for small and large counts', () => {
    const h = harness();
    const fields = Array.from({ length: 300 }, (_, i) => `field:${i}`);
    h.run('HSET', 'h', ...fields.flatMap((f) => [f, f.toUpperCase()]));
    expect(h.run('OBJECT', 'ENCODING', 'h')).toBe('$9\r\nhashtable\r\n');
    // Some holes in the slot table, so the draws must skip them.
    for (let i = 0; i < 300; i += 3) h.run('HDEL', 'h', fields[i]!);
    const live = fields.filter((_, i) => i % 3 !== 0);
    for (const n of [1, 7, 66, 150, 199]) {
      const got = parseBulks(h.run('HRANDFIELD', 'h', String(n), 'WITHVALUES'));
      expect(got).toHaveLength(2 * n);
      const names = got.filter((_, i) => i % 2 === 0);
      expect(new Set(names).size).toBe(n);
      for (let i = 0; i < got.length; i += 2) {
        expect(live).toContain(got[i]);
        expect(got[i + 1]).toBe(got[i]!.toUpperCase());
      }
    }
    expect(new Set(parseBulks(h.run('HRANDFIELD', 'h', '200')))).toEqual(new Set(live));
    const picks = parseBulks(h.run('HRANDFIELD', 'h', '-5000'));
    expect(picks).toHaveLength(5000);
    for (const p of picks) expect(live).toContain(p);
  });

  it('HSCAN: a listpack whole with cursor 0, MATCH, NOVALUES, COUNT, and errors in Redis order', () => {
    const h = harness();
    expect(h.run('HSCAN', 'no', '0')).toBe(EMPTY_SCAN);
    // Options are read only once the key is known to be a hash.
    expect(h.run('HSCAN', 'no', '0', 'COUNT', 'x')).toBe(EMPTY_SCAN);
    expect(h.run('HSCAN', 'no', 'x')).toBe('-ERR invalid cursor\r\n');
    h.run('HSET', 'h', 'name', 'n', 'age', '3', 'nick', 'k');
    const all = '*2\r\n$1\r\n0\r\n' + bulks('name', 'n', 'age', '3', 'nick', 'k');
    expect(h.run('HSCAN', 'h', '0')).toBe(all);
    expect(h.run('HSCAN', 'h', '12345', 'COUNT', '1')).toBe(all);
    expect(h.run('HSCAN', 'h', '0', 'MATCH', 'n*')).toBe('*2\r\n$1\r\n0\r\n' + bulks('name', 'n', 'nick', 'k'));
    expect(h.run('HSCAN', 'h', '0', 'match', 'n*', 'novalues')).toBe('*2\r\n$1\r\n0\r\n' + bulks('name', 'nick'));
    expect(h.run('HSCAN', 'h', '0', 'NOVALUES', 'MATCH', '*')).toBe('*2\r\n$1\r\n0\r\n' + bulks('name', 'age', 'nick'));
    expect(h.run('HSCAN', 'h', '0', 'MATCH', 'zz*')).toBe(EMPTY_SCAN);
    for (const bad of [['COUNT', 'x'], ['COUNT', '1.5']]) expect(h.run('HSCAN', 'h', '0', ...bad)).toBe(NOT_INT);
    for (const bad of [['COUNT', '0'], ['COUNT', '-1'], ['TYPE', 'hash'], ['MATCH'], ['COUNT'], ['BOGUS'], ['NOVALUES', 'x']]) {
      expect(h.run('HSCAN', 'h', '0', ...bad), bad.join(' ')).toBe(SYNTAX);
    }
    for (const bad of ['-1', 'x', '18446744073709551616', '1.0']) expect(h.run('HSCAN', 'h', bad), bad).toBe('-ERR invalid cursor\r\n');
    expect(h.run('HSCAN', 'h')).toBe("-ERR wrong number of arguments for 'hscan' command\r\n");
  });

  it('HSCAN over a hashtable returns every field that lives through the scan, however others come and go', () => {
    const h = harness();
    // Stable fields interleaved with ones that go away during the scan, before and after the
    // cursor, while new ones arrive (into freed slots or at the end).
    const stable: string[] = [];
    let volatile: string[] = [];
    for (let i = 0; i < 400; i++) {
      stable.push(`s${i}`);
      volatile.push(`v${i}`);
      h.run('HSET', 'h', `s${i}`, 'v', `v${i}`, 'v');
    }
    expect(h.run('OBJECT', 'ENCODING', 'h')).toBe('$9\r\nhashtable\r\n');
    let next = 0;
    let pick = 12345;
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const items = parseBulks(h.run('HSCAN', 'h', cursor, 'COUNT', '7', 'NOVALUES'));
      cursor = items[0]!;
      for (const f of items.slice(1)) seen.add(f);
      for (let j = 0; j < 3 && volatile.length > 0; j++) {
        pick = (pick * 1103515245 + 12345) % 2147483648;
        const [gone] = volatile.splice(pick % volatile.length, 1);
        h.run('HDEL', 'h', gone!);
      }
      h.run('HSET', 'h', `new${next}`, 'x', `new${next + 1}`, 'y');
      volatile.push(`new${next}`, `new${next + 1}`);
      next += 2;
      calls++;
    } while (cursor !== '0' && calls < 10_000);
    expect(cursor).toBe('0');
    expect(stable.filter((f) => !seen.has(f))).toEqual([]);
    // COUNT bounds the work of one call.
    const first = parseBulks(h.run('HSCAN', 'h', '0', 'COUNT', '5', 'NOVALUES'));
    expect(first.length - 1).toBeLessThanOrEqual(5);
    expect(first[0]).not.toBe('0');
  });
});

describe('hash encodings (in process)', () => {
  const enc = (h: ReturnType<typeof harness>, k: string): string => h.run('OBJECT', 'ENCODING', k);
  const LISTPACK = '$8\r\nlistpack\r\n';
  const HASHTABLE = '$9\r\nhashtable\r\n';

  it('leave the listpack past 128 fields or 64-byte fields and values, and never come back', () => {
    const h = harness();
    for (let i = 0; i < 128; i++) h.run('HSET', 'grow', `f${i}`, 'v');
    expect(enc(h, 'grow')).toBe(LISTPACK);
    h.run('HSET', 'grow', 'one-more', 'v');
    expect(enc(h, 'grow')).toBe(HASHTABLE);
    for (let i = 0; i < 128; i++) h.run('HDEL', 'grow', `f${i}`);
    expect(h.run('HLEN', 'grow')).toBe(':1\r\n');
    expect(enc(h, 'grow')).toBe(HASHTABLE);
    h.run('HSET', 'v64', 'f', 'x'.repeat(64));
    h.run('HSET', 'v65', 'f', 'x'.repeat(65));
    h.run('HSET', 'k65', 'y'.repeat(65), 'v');
    expect([enc(h, 'v64'), enc(h, 'v65'), enc(h, 'k65')]).toEqual([LISTPACK, HASHTABLE, HASHTABLE]);
    // HSETNX converts only when it sets; HINCRBY* when the field or the result is too long.
    h.run('HSETNX', 'v64', 'f', 'x'.repeat(65));
    expect(enc(h, 'v64')).toBe(LISTPACK);
    h.run('HINCRBY', 'i', 'z'.repeat(65), '1');
    expect(enc(h, 'i')).toBe(HASHTABLE);
    h.run('HINCRBYFLOAT', 'fl', 'f', '1e60');
    expect(enc(h, 'fl')).toBe(LISTPACK);
    h.run('HINCRBYFLOAT', 'fl', 'f', '1e70');
    expect(enc(h, 'fl')).toBe(HASHTABLE);
    // A COPY keeps the encoding.
    h.run('COPY', 'v65', 'v65copy');
    expect(enc(h, 'v65copy')).toBe(HASHTABLE);
  });

  it('convert up front when a command brings more pairs than the entry limit, even naming one field (Redis 8)', () => {
    const h = harness();
    const args: string[] = [];
    for (let i = 0; i < 129; i++) args.push('same', String(i));
    expect(h.run('HSET', 'dup', ...args)).toBe(':1\r\n');
    expect(h.run('HLEN', 'dup')).toBe(':1\r\n');
    expect(enc(h, 'dup')).toBe(HASHTABLE);
    expect(h.run('HSET', 'dup128', ...args.slice(0, 256))).toBe(':1\r\n');
    expect(enc(h, 'dup128')).toBe(LISTPACK);
  });

  it('follow hash-max-listpack-entries and hash-max-listpack-value set by CONFIG SET', () => {
    const h = harness();
    expect(h.run('CONFIG', 'GET', 'hash-max-listpack-*')).toBe(bulks('hash-max-listpack-entries', '128', 'hash-max-listpack-value', '64'));
    expect(h.run('CONFIG', 'SET', 'hash-max-listpack-entries', '2', 'hash-max-listpack-value', '1kb')).toBe('+OK\r\n');
    try {
      expect(h.run('CONFIG', 'GET', 'hash-max-listpack-value')).toBe(bulks('hash-max-listpack-value', '1024'));
      h.run('HSET', 'h', 'a', '1', 'b', 'x'.repeat(1000));
      expect(enc(h, 'h')).toBe(LISTPACK);
      h.run('HSET', 'h', 'c', '3');
      expect(enc(h, 'h')).toBe(HASHTABLE);
      expect(h.run('CONFIG', 'SET', 'hash-max-listpack-entries', 'x')).toBe("-ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - argument couldn't be parsed into an integer\r\n");
      expect(h.run('CONFIG', 'SET', 'hash-max-listpack-entries', '-1')).toMatch(/^-ERR CONFIG SET failed .*must be between 0 and/);
    } finally {
      h.run('CONFIG', 'SET', 'hash-max-listpack-entries', '128', 'hash-max-listpack-value', '64');
    }
  });

  it('MEMORY USAGE grows with fields and values and shrinks when they go', () => {
    const h = harness();
    const usage = (): number => Number(/^:(\d+)/.exec(h.run('MEMORY', 'USAGE', 'h'))![1]);
    h.run('HSET', 'h', 'a', '1');
    const one = usage();
    h.run('HSET', 'h', 'b', '2');
    const two = usage();
    expect(two).toBeGreaterThan(one);
    h.run('HSET', 'h', 'b', 'x'.repeat(60));
    expect(usage()).toBeGreaterThanOrEqual(two + 59);
    h.run('HSET', 'h', 'big', 'y'.repeat(10_000));
    const big = usage();
    expect(big).toBeGreaterThan(10_000);
    h.run('HDEL', 'h', 'big');
    expect(usage()).toBeLessThan(big - 9_000);
    for (let i = 0; i < 1000; i++) h.run('HSET', 'h', `f${i}`, 'value');
    expect(usage()).toBeGreaterThan(1000 * 10);
  });

  it('HashValue keeps its slot table consistent when fields are set, deleted and set again', () => {
    const v = new HashValue();
    for (let i = 0; i < 200; i++) v.set(`f${i}`, Buffer.from(String(i)));
    expect(v.encoding()).toBe('hashtable');
    for (let i = 0; i < 200; i += 2) v.delete(`f${i}`);
    for (let i = 0; i < 50; i++) v.set(`g${i}`, Buffer.from('g'));
    const seen: string[] = [];
    let cursor = 0;
    do cursor = v.scan(cursor, 10, (f) => seen.push(f));
    while (cursor !== 0);
    expect(seen.sort()).toEqual([...v.entries()].map(([f]) => f).sort());
    expect(seen).toHaveLength(150);
  });
});

describe('hash writes propagate as Redis propagates them (in process)', () => {
  it('as sent, except HINCRBYFLOAT (an HSET of the result) and writes that changed nothing', () => {
    const h = harness();
    h.run('HSET', 'h', 'a', '1', 'b', '2');
    h.run('HMSET', 'h', 'c', '3');
    h.run('HSETNX', 'h', 'a', 'x'); // exists: nothing
    h.run('HSETNX', 'h', 'd', '4');
    h.run('HINCRBY', 'h', 'a', '10');
    h.run('HINCRBYFLOAT', 'h', 'b', '0.5');
    h.run('HINCRBYFLOAT', 'h', 'b', 'x'); // error: nothing
    h.run('HINCRBY', 'h', 'c', '9223372036854775800');
    h.run('HINCRBY', 'h', 'c', '9223372036854775800'); // overflow: nothing
    h.run('HDEL', 'h', 'zz'); // nothing deleted: nothing
    h.run('HDEL', 'h', 'd', 'zz');
    h.run('HGET', 'h', 'a');
    h.run('HGETALL', 'h');
    h.run('SELECT', '3');
    h.run('HINCRBYFLOAT', 'k', 'f', '1e1');
    h.run('HDEL', 'k', 'f'); // the last field: still an HDEL
    h.run('MULTI');
    h.run('HSET', 'm', 'f', 'v');
    h.run('HINCRBYFLOAT', 'm', 'n', '2.5');
    h.run('EXEC');
    expect(h.propagated()).toEqual([
      '0: HSET h a 1 b 2',
      '0: HMSET h c 3',
      '0: HSETNX h d 4',
      '0: HINCRBY h a 10',
      '0: HSET h b 2.5',
      '0: HINCRBY h c 9223372036854775800',
      '0: HDEL h d zz',
      '3: HSET k f 10',
      '3: HDEL k f',
      '3: MULTI',
      '3: HSET m f v',
      '3: HSET m n 2.5',
      '-1: EXEC',
    ]);
  });
});

// ---- against a started server ---------------------------------------------------------------

describe('hash commands over TCP', () => {
  const srv = serverForFile();
  let r: Redis;

  beforeAll(async () => {
    r = new Redis({ port: srv().port, maxRetriesPerRequest: 0 });
  });

  afterAll(async () => {
    r?.disconnect();
  });

  it('serve ioredis as Redis would', async () => {
    await r.flushall();
    expect(await r.hset('user:1', { name: 'Ada', born: '1815', lang: 'en' })).toBe(3);
    expect(await r.hgetall('user:1')).toEqual({ name: 'Ada', born: '1815', lang: 'en' });
    expect(await r.hincrby('user:1', 'born', 1)).toBe(1816);
    expect(await r.hincrbyfloat('user:1', 'score', '1.5')).toBe('1.5');
    expect(await r.hmget('user:1', 'name', 'nope')).toEqual(['Ada', null]);
    expect(await r.hdel('user:1', 'lang')).toBe(1);
    expect(await r.hkeys('user:1')).toEqual(['name', 'born', 'score']);
    expect(await r.hscan('user:1', '0', 'MATCH', 'n*')).toEqual(['0', ['name', 'Ada']]);
    const vec = Buffer.from(new Float32Array([0.25, -1, 3.5]).buffer);
    await r.hset('doc:1', 'embedding', vec, 'content', 'hello');
    expect(await r.hgetBuffer('doc:1', 'embedding')).toEqual(vec);
    expect(await r.type('doc:1')).toBe('hash');
    await expect(r.call('HSET', 'doc:1', 'a')).rejects.toThrow("ERR wrong number of arguments for 'hset' command");
  });

  it('reply in RESP2 and RESP3 shapes: HGETALL a map, HRANDFIELD WITHVALUES pairs, HSCAN flat, nulls', async () => {
    await RawConnection.using(srv().port, async (c) => {
      await c.call('FLUSHALL');
      await c.call('HSET', 'h', 'a', '1', 'b', '2');
      const two = {
        hgetall: await c.call('HGETALL', 'h'),
        missing: await c.call('HGETALL', 'nope'),
        hkeysMissing: await c.call('HKEYS', 'nope'),
        rand: await c.call('HRANDFIELD', 'h', '5', 'WITHVALUES'),
        randNeg: await c.call('HRANDFIELD', 'h', '-1', 'WITHVALUES'),
        randMissing: await c.call('HRANDFIELD', 'nope'),
        randMissingCount: await c.call('HRANDFIELD', 'nope', '3', 'WITHVALUES'),
        scan: await c.call('HSCAN', 'h', '0'),
        scanMissing: await c.call('HSCAN', 'nope', '0'),
        get: await c.call('HGET', 'h', 'zz'),
        hmget: await c.call('HMGET', 'h', 'a', 'zz'),
        float: await c.call('HINCRBYFLOAT', 'h', 'f', '1.5'),
      };
      expect(two.hgetall).toBe('*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
      expect(two.missing).toBe('*0\r\n');
      expect(two.hkeysMissing).toBe('*0\r\n');
      expect(two.rand).toBe('*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
      expect(two.randNeg).toMatch(/^\*2\r\n\$1\r\n(a\r\n\$1\r\n1|b\r\n\$1\r\n2)\r\n$/);
      expect(two.randMissing).toBe('$-1\r\n');
      expect(two.randMissingCount).toBe('*0\r\n');
      expect(two.scan).toBe('*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
      expect(two.scanMissing).toBe(EMPTY_SCAN);
      expect(two.get).toBe('$-1\r\n');
      expect(two.hmget).toBe('*2\r\n$1\r\n1\r\n$-1\r\n');
      expect(two.float).toBe('$3\r\n1.5\r\n');
      await c.call('HDEL', 'h', 'f');
      await c.call('HELLO', '3');
      expect(await c.call('HGETALL', 'h')).toBe('%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
      expect(await c.call('HGETALL', 'nope')).toBe('%0\r\n');
      expect(await c.call('HKEYS', 'nope')).toBe('*0\r\n');
      expect(await c.call('HRANDFIELD', 'h', '5', 'WITHVALUES')).toBe('*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n');
      expect(await c.call('HRANDFIELD', 'h', '-1', 'WITHVALUES')).toMatch(/^\*1\r\n\*2\r\n\$1\r\n(a\r\n\$1\r\n1|b\r\n\$1\r\n2)\r\n$/);
      expect(await c.call('HRANDFIELD', 'h', '5')).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
      expect(await c.call('HRANDFIELD', 'nope')).toBe('_\r\n');
      expect(await c.call('HRANDFIELD', 'nope', '2')).toBe('*0\r\n');
      expect(await c.call('HSCAN', 'h', '0')).toBe('*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
      expect(await c.call('HSCAN', 'nope', '0')).toBe(EMPTY_SCAN);
      expect(await c.call('HGET', 'h', 'zz')).toBe('_\r\n');
      expect(await c.call('HMGET', 'h', 'a', 'zz')).toBe('*2\r\n$1\r\n1\r\n_\r\n');
      // HINCRBYFLOAT answers a bulk string, not a RESP3 double, as Redis does.
      expect(await c.call('HINCRBYFLOAT', 'h', 'f', '1.5')).toBe('$3\r\n1.5\r\n');
      expect(await c.call('HEXISTS', 'h', 'a')).toBe(':1\r\n');
    });
  });

  it('declare arity, flags, key specs and ACL categories as Redis does (COMMAND INFO, GETKEYSANDFLAGS, DOCS)', async () => {
    const call = (...args: string[]): Promise<unknown> => r.call(args[0]!, args.slice(1));
    const expected: Array<[string, number, string[], string[], string[]]> = [
      ['hset', -4, ['write', 'denyoom', 'fast'], ['@write', '@hash', '@fast'], ['RW', 'UPDATE']],
      ['hsetnx', 4, ['write', 'denyoom', 'fast'], ['@write', '@hash', '@fast'], ['RW', 'INSERT']],
      ['hmset', -4, ['write', 'denyoom', 'fast'], ['@write', '@hash', '@fast'], ['RW', 'UPDATE']],
      ['hget', 3, ['readonly', 'fast'], ['@read', '@hash', '@fast'], ['RO', 'ACCESS']],
      ['hmget', -3, ['readonly', 'fast'], ['@read', '@hash', '@fast'], ['RO', 'ACCESS']],
      ['hgetall', 2, ['readonly'], ['@read', '@hash', '@slow'], ['RO', 'ACCESS']],
      ['hdel', -3, ['write', 'fast'], ['@write', '@hash', '@fast'], ['RW', 'DELETE']],
      ['hexists', 3, ['readonly', 'fast'], ['@read', '@hash', '@fast'], ['RO']],
      ['hlen', 2, ['readonly', 'fast'], ['@read', '@hash', '@fast'], ['RO']],
      ['hkeys', 2, ['readonly'], ['@read', '@hash', '@slow'], ['RO', 'ACCESS']],
      ['hvals', 2, ['readonly'], ['@read', '@hash', '@slow'], ['RO', 'ACCESS']],
      ['hstrlen', 3, ['readonly', 'fast'], ['@read', '@hash', '@fast'], ['RO']],
      ['hincrby', 4, ['write', 'denyoom', 'fast'], ['@write', '@hash', '@fast'], ['RW', 'ACCESS', 'UPDATE']],
      ['hincrbyfloat', 4, ['write', 'denyoom', 'fast'], ['@write', '@hash', '@fast'], ['RW', 'ACCESS', 'UPDATE']],
      ['hrandfield', -2, ['readonly'], ['@read', '@hash', '@slow'], ['RO', 'ACCESS']],
      ['hscan', -3, ['readonly'], ['@read', '@hash', '@slow'], ['RO', 'ACCESS']],
    ];
    const infos = (await call('COMMAND', 'INFO', ...expected.map((e) => e[0]))) as unknown[][];
    expect(infos.map((i) => i.slice(0, 7))).toEqual(expected.map(([name, arity, flags, cats]) => [name, arity, flags, 1, 1, 1, cats]));
    const keySpecFlags = infos.map((i) => ((i[8] as unknown[][])[0] as unknown[])[1]);
    expect(keySpecFlags).toEqual(expected.map((e) => e[4]));
    expect(await call('COMMAND', 'GETKEYSANDFLAGS', 'HSETNX', 'k', 'f', 'v')).toEqual([['k', ['RW', 'INSERT']]]);
    const docs = (await call('COMMAND', 'DOCS', 'hscan')) as unknown[];
    const hscan = docs[1] as unknown[];
    expect(hscan.slice(0, 6)).toEqual(['summary', 'Iterates over fields and values of a hash.', 'since', '2.8.0', 'group', 'hash']);
    expect(JSON.stringify(hscan)).toContain('NOVALUES');
  });

  it('MODULE LIST reports vectorset and search in RESP2 and RESP3; MODULE HELP; INFO modules', async () => {
    const entry = (name: string, ver: number, path: string): string => `$4\r\nname\r\n$${name.length}\r\n${name}\r\n$3\r\nver\r\n:${ver}\r\n$4\r\npath\r\n$${path.length}\r\n${path}\r\n$4\r\nargs\r\n*0\r\n`;
    const search = '/usr/local/lib/redis/modules/redisearch.so';
    await RawConnection.using(srv().port, async (c) => {
      expect(await c.call('MODULE', 'LIST')).toBe(`*2\r\n*8\r\n${entry('vectorset', 1, '')}*8\r\n${entry('search', 80200, search)}`);
      await c.call('HELLO', '3');
      expect(await c.call('MODULE', 'LIST')).toBe(`*2\r\n%4\r\n${entry('vectorset', 1, '')}%4\r\n${entry('search', 80200, search)}`);
      expect(await c.call('MODULE', 'HELP')).toBe('*5\r\n+MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+LIST\r\n+    Return a list of loaded modules.\r\n+HELP\r\n+    Print this help.\r\n');
      expect(await c.call('MODULE', 'LOAD', '/x.so')).toBe("-ERR unknown subcommand 'LOAD'. Try MODULE HELP.\r\n");
      expect(await c.call('MODULE', 'LIST', 'x')).toBe("-ERR wrong number of arguments for 'module|list' command\r\n");
      expect(await c.call('MODULE')).toBe("-ERR wrong number of arguments for 'module' command\r\n");
    });
    // What LangChain and redisvl read through redis-py's module_list: search at 20600 or later.
    const modules = (await r.call('MODULE', 'LIST')) as unknown[][];
    const search80 = modules.map((m) => Object.fromEntries([[m[0], m[1]], [m[2], m[3]]])).find((m) => m.name === 'search');
    expect(search80?.ver).toBeGreaterThanOrEqual(20600);
    const info = (await r.info('modules')) as string;
    expect(info).toContain('module:name=vectorset,ver=1,api=1,filters=0,usedby=[],using=[],options=[]\r\n');
    expect(info).toContain('module:name=search,ver=80200,');
  });
});
