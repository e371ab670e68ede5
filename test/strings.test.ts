/**
 * The string type (src/commands/strings.ts): every command with its options and errors against a
 * started server, RESP3 reply shapes, what each write propagates (in process), the encodings
 * OBJECT reports, and the 80-bit INCRBYFLOAT arithmetic against values printed by Redis 7.0.15
 * on x86-64.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { Redis } from 'ioredis';
import { Server } from '../src/server/server.js';
import { Client } from '../src/server/client.js';
import { Config } from '../src/server/config.js';
import { LongDouble } from '../src/commands/strings.js';
import { StringObject } from '../src/commands/string-object.js';
import { StringValue } from '../src/keyspace/value.js';
import { resp3 } from './helpers/raw.js';
import { serverForFile } from './helpers/server.js';

// ---- in-process harness (see test/keys.test.ts) ---------------------------------------------

function harness(): { server: Server; client: Client; run: (...args: Array<string | Buffer>) => string; propagated: () => string[] } {
  const server = new Server(new Config());
  const log: string[] = [];
  server.onPropagate((db, argv) => log.push(argv.map((a) => a.toString('latin1')).join(' ')));
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

describe('INCRBYFLOAT arithmetic (x87 long double)', () => {
  const incr = (a: string, b: string): string | null => {
    const x = LongDouble.parse(Buffer.from(a));
    const y = LongDouble.parse(Buffer.from(b));
    if (!x || !y) return null;
    const s = LongDouble.add(x, y);
    return LongDouble.isFinite(s) ? LongDouble.formatHuman(s) : 'inf/nan';
  };

  it('matches values printed by Redis', () => {
    // Each printed by redis-server 7.0.15 (x86-64) for SET k <a> then INCRBYFLOAT k <b>.
    expect(incr('0', '0.1')).toBe('0.1');
    expect(incr('0.1', '0.1')).toBe('0.2');
    expect(incr('1', '0.1')).toBe('1.1');
    expect(incr('1.1', '0.1')).toBe('1.2');
    expect(incr('10.50', '0.1')).toBe('10.6');
    expect(incr('5.0e3', '2.0e2')).toBe('5200');
    expect(incr('0', '-0')).toBe('0');
    expect(incr('3.0e3', '-3000')).toBe('0');
    expect(incr('1e308', '1e308')).toBe(
      '199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096',
    );
    expect(incr('0', '0x1p-3')).toBe('0.125');
    expect(incr('0', '1e-20')).toBe('0');
    expect(incr('0', '-1e-20')).toBe('0');
    expect(incr('0.5', '1e-17')).toBe('0.50000000000000001');
  });

  it('rejects what getLongDoubleFromObject rejects', () => {
    for (const bad of ['', ' 1', '1 ', 'abc', '1e', '--1', 'nan', '1e99999', '-1e99999', '1e-99999', '0x', '1.2.3', '1\x00']) {
      expect(LongDouble.parse(Buffer.from(bad)), JSON.stringify(bad)).toBeNull();
    }
    // inf parses, and then the sum is not finite.
    expect(incr('inf', '1')).toBe('inf/nan');
    expect(incr('1e4932', '1e4932')).toBe('inf/nan');
  });
});

describe('string objects', () => {
  it('report the encoding and refcount Redis would', () => {
    const h = harness();
    const enc = (k: string): string => h.run('OBJECT', 'ENCODING', k);
    const ref = (k: string): string => h.run('OBJECT', 'REFCOUNT', k);
    h.run('SET', 'small', '9999');
    h.run('SET', 'big', '10000');
    h.run('SET', 'neg0', '-0');
    h.run('SET', 'lead0', '007');
    h.run('SET', 'e44', 'x'.repeat(44));
    h.run('SET', 'r45', 'x'.repeat(45));
    h.run('SET', 'toolong', '12345678901234567890');
    expect([enc('small'), ref('small')]).toEqual(['$3\r\nint\r\n', ':2147483647\r\n']);
    expect([enc('big'), ref('big')]).toEqual(['$3\r\nint\r\n', ':1\r\n']);
    expect(enc('neg0')).toBe('$6\r\nembstr\r\n');
    expect(enc('lead0')).toBe('$6\r\nembstr\r\n');
    expect(enc('e44')).toBe('$6\r\nembstr\r\n');
    expect(enc('r45')).toBe('$3\r\nraw\r\n');
    expect(enc('toolong')).toBe('$6\r\nembstr\r\n');
    // APPEND and SETRANGE leave raw; a COPY keeps the encoding but is never shared.
    h.run('APPEND', 'small', '1');
    expect(enc('small')).toBe('$3\r\nraw\r\n');
    h.run('SETRANGE', 'sr', '0', '12');
    expect(enc('sr')).toBe('$3\r\nraw\r\n');
    h.run('APPEND', 'fresh', '5');
    expect([enc('fresh'), ref('fresh')]).toEqual(['$3\r\nint\r\n', ':2147483647\r\n']);
    h.run('COPY', 'fresh', 'copy');
    expect([enc('copy'), ref('copy')]).toEqual(['$3\r\nint\r\n', ':1\r\n']);
    // INCR makes ints, INCRBYFLOAT never does.
    h.run('INCRBY', 'n', '20000');
    expect([enc('n'), ref('n')]).toEqual(['$3\r\nint\r\n', ':1\r\n']);
    h.run('INCRBYFLOAT', 'f', '3');
    expect(h.run('GET', 'f')).toBe('$1\r\n3\r\n');
    expect(enc('f')).toBe('$6\r\nembstr\r\n');
    // A plain StringValue (as other modules create them) is treated like a freshly loaded one.
    h.client.db.add('plain', new StringValue(Buffer.from('42')));
    expect([enc('plain'), ref('plain')]).toEqual(['$3\r\nint\r\n', ':2147483647\r\n']);
    expect(h.run('APPEND', 'plain', 'x')).toBe(':3\r\n');
    expect(h.client.db.get('plain')).toBeInstanceOf(StringObject);
    expect(enc('plain')).toBe('$3\r\nraw\r\n');
  });

  it('keep bytes already handed to a large reply intact when changed later', () => {
    const h = harness();
    const big = 'a'.repeat(100_000);
    h.run('SET', 'k', big);
    const v = h.client.db.get('k') as StringObject;
    const replied = v.data;
    h.run('GET', 'k'); // the reply holds `replied` without a copy
    expect(v.exposed).toBe(true);
    h.run('SETRANGE', 'k', '0', 'ZZZ');
    h.run('APPEND', 'k', 'tail');
    expect(replied.toString('latin1', 0, 3)).toBe('aaa');
    expect(h.run('GETRANGE', 'k', '0', '2')).toBe('$3\r\nZZZ\r\n');
    expect(h.run('STRLEN', 'k')).toBe(':100004\r\n');
  });

  it('grow by APPEND in amortised constant time without rewriting earlier bytes', () => {
    const v = new StringObject(Buffer.from('x'));
    const views: Buffer[] = [];
    for (let i = 0; i < 10_000; i++) {
      v.append(Buffer.from('y'));
      if (i % 1000 === 0) views.push(v.data);
    }
    expect(v.data.length).toBe(10_001);
    expect(v.data.toString('latin1')).toBe('x' + 'y'.repeat(10_000));
    for (const view of views) expect(view.toString('latin1')).toBe('x' + 'y'.repeat(view.length - 1));
  });
});

describe('string writes propagate as Redis propagates them', () => {
  it('rewrites relative times and read-modify-writes', () => {
    const h = harness();
    const now = Date.now();
    h.run('SET', 'a', 'v', 'EX', '100');
    h.run('SET', 'b', 'v', 'PX', '100000', 'NX');
    h.run('SETEX', 'c', '100', 'v');
    h.run('PSETEX', 'd', '100000', 'v');
    h.run('SET', 'e', 'v', 'PXAT', '99999999999999', 'GET');
    h.run('SET', 'e', 'w', 'GET', 'XX', 'get');
    h.run('GETSET', 'e', 'x');
    h.run('INCRBYFLOAT', 'f', '1.5');
    h.run('GETEX', 'e', 'EX', '100');
    h.run('GETEX', 'e', 'PERSIST');
    h.run('GETEX', 'e', 'PERSIST'); // nothing to remove: not propagated
    h.run('GETEX', 'e');
    h.run('GETEX', 'e', 'PXAT', '1');
    h.run('SET', 'g', 'v');
    h.run('GETDEL', 'g');
    h.run('GETDEL', 'g');
    h.run('SET', 'h', 'v', 'NX'); // set
    h.run('SET', 'h', 'v', 'NX'); // not set: nothing
    h.run('MSET', 'i', '1', 'j', '2');
    h.run('MSETNX', 'i', '1', 'k', '2'); // refused
    h.run('INCR', 'n');
    h.run('APPEND', 'n', '0');
    h.run('SETRANGE', 'n', '0', '');
    h.run('SETRANGE', 'n', '0', '9');
    const lines = h.propagated().map((l) => l.replace(/\b(1\d{12})\b/g, (t) => (Math.abs(Number(t) - now - 100_000) < 5_000 ? '<now+100s>' : t)));
    expect(lines).toEqual([
      'SET a v PXAT <now+100s>',
      'SET b v PXAT <now+100s>',
      'SET c v PXAT <now+100s>',
      'SET d v PXAT <now+100s>',
      'SET e v PXAT 99999999999999 GET',
      'SET e w XX',
      'SET e x',
      'SET f 1.5 KEEPTTL',
      'PEXPIREAT e <now+100s>',
      'PERSIST e',
      'DEL e',
      'SET g v',
      'DEL g',
      'SET h v NX',
      'MSET i 1 j 2',
      'INCR n',
      'APPEND n 0',
      'SETRANGE n 0 9',
    ]);
  });

  it('keeps the TTL on INCR, APPEND, SETRANGE, INCRBYFLOAT and KEEPTTL, and clears it on SET, GETSET, MSET', () => {
    const h = harness();
    const ttl = (k: string): string => h.run('TTL', k);
    for (const cmd of [['INCR', 'k'], ['APPEND', 'k', '1'], ['SETRANGE', 'k', '0', '2'], ['INCRBYFLOAT', 'k', '1'], ['SET', 'k', '3', 'KEEPTTL'], ['DECRBY', 'k', '1']]) {
      h.run('SET', 'k', '1', 'EX', '100');
      h.run(...cmd);
      expect(ttl('k'), cmd.join(' ')).toBe(':100\r\n');
    }
    for (const cmd of [['SET', 'k', '3'], ['GETSET', 'k', '1'], ['MSET', 'k', '1'], ['SET', 'k', '3', 'GET']]) {
      h.run('SET', 'k', '1', 'EX', '100');
      h.run(...cmd);
      expect(ttl('k'), cmd.join(' ')).toBe(':-1\r\n');
    }
  });
});

// ---- against a started server ---------------------------------------------------------------

describe('string commands over TCP', () => {
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
  const NOT_INT = 'ERR value is not an integer or out of range';

  it('GET and SET store binary-safe values', async () => {
    const bin = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a]);
    expect(await r.set(Buffer.from([0xfe, 0x00]), bin)).toBe('OK');
    expect(await r.getBuffer(Buffer.from([0xfe, 0x00]))).toEqual(bin);
    expect(await r.set('empty', '')).toBe('OK');
    expect(await r.get('empty')).toBe('');
    expect(await r.get('nope')).toBeNull();
    const big = 'z'.repeat(200_000);
    await r.set('big', big);
    expect(await r.get('big')).toBe(big);
    await expect(call('GET')).rejects.toThrow("ERR wrong number of arguments for 'get' command");
  });

  it('SET NX, XX, GET, KEEPTTL, EX, PX, EXAT, PXAT and their errors', async () => {
    expect(await call('SET', 'k', 'v', 'XX')).toBeNull();
    expect(await call('SET', 'k', 'v', 'NX')).toBe('OK');
    expect(await call('SET', 'k', 'w', 'NX')).toBeNull();
    expect(await call('SET', 'k', 'w', 'XX', 'GET')).toBe('v');
    expect(await call('SET', 'k', 'x', 'NX', 'GET')).toBe('w'); // not set, old value returned
    expect(await r.get('k')).toBe('w');
    expect(await call('SET', 'new', 'x', 'GET')).toBeNull();
    expect(await call('SET', 'k', 'v', 'EX', '100')).toBe('OK');
    expect(await r.ttl('k')).toBe(100);
    expect(await call('SET', 'k', 'v2', 'KEEPTTL')).toBe('OK');
    expect(await r.ttl('k')).toBe(100);
    expect(await call('SET', 'k', 'v3')).toBe('OK');
    expect(await r.ttl('k')).toBe(-1);
    expect(await call('SET', 'k', 'v', 'px', '100000')).toBe('OK');
    expect(await r.ttl('k')).toBe(100);
    const at = Math.floor(Date.now() / 1000) + 1000;
    expect(await call('SET', 'k', 'v', 'EXAT', at)).toBe('OK');
    expect(await call('EXPIRETIME', 'k')).toBe(at);
    expect(await call('SET', 'k', 'v', 'PXAT', at * 1000 + 5)).toBe('OK');
    expect(await call('PEXPIRETIME', 'k')).toBe(at * 1000 + 5);
    expect(await call('SET', 'k', 'v', 'EX', '10', 'EX', '100')).toBe('OK'); // repeated: the last wins
    expect(await r.ttl('k')).toBe(100);
    expect(await call('SET', 'gone', 'v', 'PXAT', '1')).toBe('OK'); // already past
    expect(await r.exists('gone')).toBe(0);
    for (const bad of [['NX', 'XX'], ['XX', 'NX'], ['EX', '10', 'PX', '10'], ['KEEPTTL', 'EX', '10'], ['EX', '10', 'KEEPTTL'], ['PXAT', '1', 'EXAT', '1'], ['EX'], ['PERSIST'], ['FOO'], ['GET', 'GETX']]) {
      await expect(call('SET', 'k', 'v', ...bad), bad.join(' ')).rejects.toThrow('ERR syntax error');
    }
    for (const bad of [['EX', '0'], ['EX', '-1'], ['PX', '0'], ['EXAT', '0'], ['PXAT', '-5'], ['EX', '9223372036854776'], ['PX', '9223372036854775807']]) {
      await expect(call('SET', 'k', 'v', ...bad), bad.join(' ')).rejects.toThrow("ERR invalid expire time in 'set' command");
    }
    await expect(call('SET', 'k', 'v', 'EX', '1.5')).rejects.toThrow(NOT_INT);
    await expect(call('SET', 'k')).rejects.toThrow("ERR wrong number of arguments for 'set' command");
    // NX abort is a null in both protocols.
    expect(await resp3(srv().port, ['SET', 'k', 'v', 'NX'], ['GET', 'nope'], ['SET', 'nope', 'v', 'GET'])).toBe('_\r\n_\r\n_\r\n');
  });

  it('SETNX, SETEX, PSETEX, GETSET, GETDEL', async () => {
    expect(await call('SETNX', 'k', 'a')).toBe(1);
    expect(await call('SETNX', 'k', 'b')).toBe(0);
    expect(await r.get('k')).toBe('a');
    expect(await call('SETEX', 'k', '100', 'c')).toBe('OK');
    expect(await r.ttl('k')).toBe(100);
    expect(await r.get('k')).toBe('c');
    expect(await call('PSETEX', 'k', '200000', 'd')).toBe('OK');
    expect(await r.ttl('k')).toBe(200);
    await expect(call('SETEX', 'k', '0', 'x')).rejects.toThrow("ERR invalid expire time in 'setex' command");
    await expect(call('PSETEX', 'k', '-1', 'x')).rejects.toThrow("ERR invalid expire time in 'psetex' command");
    await expect(call('SETEX', 'k', 'x', 'x')).rejects.toThrow(NOT_INT);
    await expect(call('SETEX', 'k', '10')).rejects.toThrow("ERR wrong number of arguments for 'setex' command");
    expect(await call('GETSET', 'k', 'e')).toBe('d');
    expect(await r.ttl('k')).toBe(-1);
    expect(await call('GETSET', 'new', 'e')).toBeNull();
    expect(await call('GETDEL', 'k')).toBe('e');
    expect(await call('GETDEL', 'k')).toBeNull();
    expect(await r.exists('k')).toBe(0);
  });

  it('GETEX with EX, PX, EXAT, PXAT, PERSIST and its errors', async () => {
    await r.set('k', 'v');
    expect(await call('GETEX', 'k')).toBe('v');
    expect(await r.ttl('k')).toBe(-1);
    expect(await call('GETEX', 'k', 'EX', '100')).toBe('v');
    expect(await r.ttl('k')).toBe(100);
    expect(await call('GETEX', 'k', 'PX', '200000')).toBe('v');
    expect(await r.ttl('k')).toBe(200);
    const at = Math.floor(Date.now() / 1000) + 500;
    expect(await call('GETEX', 'k', 'EXAT', at)).toBe('v');
    expect(await call('EXPIRETIME', 'k')).toBe(at);
    expect(await call('GETEX', 'k', 'PXAT', at * 1000 + 1)).toBe('v');
    expect(await call('PEXPIRETIME', 'k')).toBe(at * 1000 + 1);
    expect(await call('GETEX', 'k', 'PERSIST')).toBe('v');
    expect(await r.ttl('k')).toBe(-1);
    expect(await call('GETEX', 'k', 'EXAT', '1')).toBe('v'); // past: deleted after the reply
    expect(await r.exists('k')).toBe(0);
    expect(await call('GETEX', 'nope', 'EX', '0')).toBeNull(); // missing key before the time check
    await r.set('k', 'v');
    await expect(call('GETEX', 'k', 'EX', '0')).rejects.toThrow("ERR invalid expire time in 'getex' command");
    for (const bad of [['NX'], ['KEEPTTL'], ['GET'], ['EX', '1', 'PX', '1'], ['PERSIST', 'EX', '1'], ['EX']]) {
      await expect(call('GETEX', 'k', ...bad), bad.join(' ')).rejects.toThrow('ERR syntax error');
    }
    expect(await resp3(srv().port, ['GETEX', 'nope'])).toBe('_\r\n');
  });

  it('MGET, MSET, MSETNX', async () => {
    expect(await call('MSET', 'a', '1', 'b', '2', 'a', '3')).toBe('OK');
    expect(await call('MGET', 'a', 'b', 'c')).toEqual(['3', '2', null]);
    expect(await resp3(srv().port, ['MGET', 'a', 'c'])).toBe('*2\r\n$1\r\n3\r\n_\r\n');
    expect(await call('MSETNX', 'c', '1', 'a', '2')).toBe(0);
    expect(await r.exists('c')).toBe(0);
    expect(await call('MSETNX', 'c', '1', 'd', '2')).toBe(1);
    expect(await call('MGET', 'c', 'd')).toEqual(['1', '2']);
    await expect(call('MSET', 'a', '1', 'b')).rejects.toThrow("ERR wrong number of arguments for 'mset' command");
    await expect(call('MSETNX', 'a')).rejects.toThrow("ERR wrong number of arguments for 'msetnx' command");
    await expect(call('MGET')).rejects.toThrow("ERR wrong number of arguments for 'mget' command");
    expect(await call('COMMAND', 'GETKEYS', 'MSET', 'a', '1', 'b', '2')).toEqual(['a', 'b']);
  });

  it('INCR, DECR, INCRBY, DECRBY within signed 64 bits', async () => {
    expect(await r.incr('n')).toBe(1);
    expect(await r.decr('n')).toBe(0);
    expect(await r.decr('m')).toBe(-1);
    expect(await call('INCRBY', 'n', '10')).toBe(10);
    expect(await call('DECRBY', 'n', '-5')).toBe(15);
    await r.set('max', '9223372036854775807');
    await expect(r.incr('max')).rejects.toThrow('ERR increment or decrement would overflow');
    // Exact 64-bit replies (ioredis would turn them into doubles).
    expect(await resp3(srv().port, ['DECR', 'max'], ['DECRBY', 'max', '-1'], ['DECR', 'max'])).toBe(':9223372036854775806\r\n:9223372036854775807\r\n:9223372036854775806\r\n');
    expect(await r.get('max')).toBe('9223372036854775806');
    await r.set('min', '-9223372036854775808');
    await expect(r.decr('min')).rejects.toThrow('ERR increment or decrement would overflow');
    await expect(call('DECRBY', 'n', '-9223372036854775808')).rejects.toThrow('ERR decrement would overflow');
    for (const bad of ['abc', ' 1', '1.0', '', '01', '+1', '9223372036854775808', '-0']) {
      await r.set('s', bad);
      await expect(r.incr('s'), JSON.stringify(bad)).rejects.toThrow(NOT_INT);
      await expect(call('INCRBY', 'n', bad), JSON.stringify(bad)).rejects.toThrow(NOT_INT);
    }
    await r.set('t', '5', 'EX', 100);
    await r.incr('t');
    expect(await r.ttl('t')).toBe(100);
    expect(await resp3(srv().port, ['INCRBY', 'n', '1'])).toBe(':16\r\n');
  });

  it('INCRBYFLOAT and its errors', async () => {
    expect(await call('INCRBYFLOAT', 'f', '10.5')).toBe('10.5');
    expect(await call('INCRBYFLOAT', 'f', '0.1')).toBe('10.6');
    expect(await call('INCRBYFLOAT', 'f', '-5.0e3')).toBe('-4989.39999999999999991'); // as Redis prints it
    expect(await call('INCRBYFLOAT', 'g', '0x10')).toBe('16');
    await expect(call('INCRBYFLOAT', 'f', 'abc')).rejects.toThrow('ERR value is not a valid float');
    await expect(call('INCRBYFLOAT', 'f', 'nan')).rejects.toThrow('ERR value is not a valid float');
    await expect(call('INCRBYFLOAT', 'f', 'inf')).rejects.toThrow('ERR increment would produce NaN or Infinity');
    await r.set('s', 'hello');
    await expect(call('INCRBYFLOAT', 's', '1')).rejects.toThrow('ERR value is not a valid float');
    // The reply is a bulk string in RESP3 too, as in Redis.
    expect(await resp3(srv().port, ['INCRBYFLOAT', 'g', '0.5'])).toBe('$4\r\n16.5\r\n');
  });

  it('STRLEN, APPEND, GETRANGE, SETRANGE', async () => {
    expect(await r.strlen('k')).toBe(0);
    expect(await r.append('k', 'Hello')).toBe(5);
    expect(await r.append('k', ' World')).toBe(11);
    expect(await r.strlen('k')).toBe(11);
    expect(await r.getrange('k', 0, 4)).toBe('Hello');
    expect(await r.getrange('k', -5, -1)).toBe('World');
    expect(await r.getrange('k', -100, 100)).toBe('Hello World');
    expect(await r.getrange('k', 5, 3)).toBe('');
    expect(await r.getrange('k', -1, -5)).toBe('');
    expect(await call('GETRANGE', 'k', '0', '9223372036854775807')).toBe('Hello World');
    expect(await call('GETRANGE', 'k', '-9223372036854775808', '0')).toBe('H');
    expect(await r.getrange('nope', 0, -1)).toBe('');
    await expect(call('GETRANGE', 'k', 'a', '1')).rejects.toThrow(NOT_INT);
    expect(await r.setrange('k', 6, 'Redis')).toBe(11);
    expect(await r.get('k')).toBe('Hello Redis');
    expect(await r.setrange('pad', 5, 'x')).toBe(6);
    expect(await r.getBuffer('pad')).toEqual(Buffer.from([0, 0, 0, 0, 0, 0x78]));
    expect(await r.setrange('empty', 100, '')).toBe(0);
    expect(await r.exists('empty')).toBe(0);
    expect(await r.setrange('k', 100, '')).toBe(11);
    await expect(call('SETRANGE', 'k', '-1', 'x')).rejects.toThrow('ERR offset is out of range');
    await expect(call('SETRANGE', 'k', 'x', 'x')).rejects.toThrow(NOT_INT);
    await expect(call('SETRANGE', 'k', '536870912', 'x')).rejects.toThrow('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
    await call('CONFIG', 'SET', 'proto-max-bulk-len', String(1024 * 1024));
    try {
      await r.set('a', 'x'.repeat(1024 * 1024 - 1));
      expect(await r.append('a', 'y')).toBe(1024 * 1024);
      await expect(r.append('a', 'z')).rejects.toThrow('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
    } finally {
      await call('CONFIG', 'SET', 'proto-max-bulk-len', String(512 * 1024 * 1024));
    }
  });

  it('declares Redis flags, key positions and ACL categories', async () => {
    const expected: Array<[string, number, string[], number, number, number, string[]]> = [
      ['get', 2, ['readonly', 'fast'], 1, 1, 1, ['@read', '@string', '@fast']],
      ['set', -3, ['write', 'denyoom'], 1, 1, 1, ['@write', '@string', '@slow']],
      ['setnx', 3, ['write', 'denyoom', 'fast'], 1, 1, 1, ['@write', '@string', '@fast']],
      ['setex', 4, ['write', 'denyoom'], 1, 1, 1, ['@write', '@string', '@slow']],
      ['getdel', 2, ['write', 'fast'], 1, 1, 1, ['@write', '@string', '@fast']],
      ['getex', -2, ['write', 'fast'], 1, 1, 1, ['@write', '@string', '@fast']],
      ['mget', -2, ['readonly', 'fast'], 1, -1, 1, ['@read', '@string', '@fast']],
      ['mset', -3, ['write', 'denyoom'], 1, -1, 2, ['@write', '@string', '@slow']],
      ['msetnx', -3, ['write', 'denyoom'], 1, -1, 2, ['@write', '@string', '@slow']],
      ['incrbyfloat', 3, ['write', 'denyoom', 'fast'], 1, 1, 1, ['@write', '@string', '@fast']],
      ['strlen', 2, ['readonly', 'fast'], 1, 1, 1, ['@read', '@string', '@fast']],
      ['getrange', 4, ['readonly'], 1, 1, 1, ['@read', '@string', '@slow']],
      ['setrange', 4, ['write', 'denyoom'], 1, 1, 1, ['@write', '@string', '@slow']],
    ];
    const infos = (await call('COMMAND', 'INFO', ...expected.map((e) => e[0]))) as unknown[][];
    expect(infos.map((i) => i.slice(0, 7))).toEqual(expected);
  });
});
