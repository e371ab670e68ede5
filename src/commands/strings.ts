/**
 * The small string type: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX
 * INCR DECR INCRBY DECRBY INCRBYFLOAT STRLEN APPEND GETRANGE SETRANGE.
 *
 * vsetd keeps strings so that health checks, SET/GET and WRONGTYPE behave as users expect from
 * Redis. Replies, errors, the order of checks and what is propagated follow Redis's t_string.c.
 *
 * Three details are easy to get wrong and are handled here on purpose:
 *  - OBJECT ENCODING / REFCOUNT: Redis picks `int`, `embstr` or `raw` by how a value was made, not
 *    only by its bytes (APPEND and SETRANGE always leave `raw`, INCRBYFLOAT never leaves `int`,
 *    small integers made by SET/INCR are the shared objects with refcount INT_MAX). StringObject
 *    (string-object.ts) remembers that.
 *  - INCRBYFLOAT computes in the x87 80-bit `long double` of the Redis binary and prints with
 *    "%.17Lf"; doing it in doubles gives different digits (0.1 + 0.1 → "0.20000000000000001").
 *    LongDouble (long-double.ts) emulates it exactly with BigInt.
 *  - Large bulk replies are written without a copy (ReplyWriter passes ≥ 64 KiB through), so a
 *    value that was replied must not be changed in place afterwards: SETRANGE copies such a value
 *    first, and APPEND only ever writes past the bytes already handed out.
 */
import { command, ONE_KEY, ALL_KEYS, type CommandSpec } from './types.js';
import { addOverflows, ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_SYNTAX, isWord, keyOf, LLONG_MAX, LLONG_MIN, parseInt64, parseInteger } from './args.js';
import { block, dbl, int, key, oneof, optional, str, token, tokenArg, unixTime } from './doc-args.js';
import { lookupRead } from './key-lookup.js';
import { checkStringLength, EMBSTR_SIZE_LIMIT, fromArg, getGeneric, readString, replyValue, StringObject, writeString } from './string-object.js';
import type { StringValue } from '../keyspace/value.js';
import type { Client } from '../server/client.js';
import { declareKeyFlags } from './key-specs.js';
import { LongDouble } from './long-double.js';

// INCRBYFLOAT's arithmetic lives in long-double.ts; kept importable from here for its tests.
export { LongDouble };

const G = 'string';

// ---- SET and friends ------------------------------------------------------------------------

const F_NX = 1;
const F_XX = 2;
const F_EX = 4;
const F_PX = 8;
const F_KEEPTTL = 16;
const F_GET = 32;
const F_EXAT = 64;
const F_PXAT = 128;
const F_PERSIST = 256;
const F_ANY_EXPIRE = F_EX | F_PX | F_EXAT | F_PXAT;

interface StringOptions {
  flags: number;
  /** The expire argument of EX/PX/EXAT/PXAT, if any. */
  expire: Buffer | null;
}

/**
 * parseExtendedStringArgumentsOrReply: SET's options (from argv[3]) or GETEX's (from argv[2]).
 * Conflicting options are a syntax error; repeating the same one is allowed (the last wins).
 */
function parseStringOptions(c: Client, argv: Buffer[], forGet: boolean): StringOptions | null {
  let flags = 0;
  let expire: Buffer | null = null;
  for (let j = forGet ? 2 : 3; j < argv.length; j++) {
    const opt = argv[j]!;
    const next = j + 1 < argv.length;
    const noOtherExpire = (own: number): boolean => !(flags & F_KEEPTTL) && !(flags & F_PERSIST) && !(flags & (F_ANY_EXPIRE & ~own));
    if (!forGet && isWord(opt, 'NX') && !(flags & F_XX)) flags |= F_NX;
    else if (!forGet && isWord(opt, 'XX') && !(flags & F_NX)) flags |= F_XX;
    else if (!forGet && isWord(opt, 'GET')) flags |= F_GET;
    else if (!forGet && isWord(opt, 'KEEPTTL') && !(flags & (F_PERSIST | F_ANY_EXPIRE))) flags |= F_KEEPTTL;
    else if (forGet && isWord(opt, 'PERSIST') && !(flags & (F_ANY_EXPIRE | F_KEEPTTL))) flags |= F_PERSIST;
    else if (isWord(opt, 'EX') && next && noOtherExpire(F_EX)) {
      flags |= F_EX;
      expire = argv[++j]!;
    } else if (isWord(opt, 'PX') && next && noOtherExpire(F_PX)) {
      flags |= F_PX;
      expire = argv[++j]!;
    } else if (isWord(opt, 'EXAT') && next && noOtherExpire(F_EXAT)) {
      flags |= F_EXAT;
      expire = argv[++j]!;
    } else if (isWord(opt, 'PXAT') && next && noOtherExpire(F_PXAT)) {
      flags |= F_PXAT;
      expire = argv[++j]!;
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return { flags, expire };
}

/**
 * getExpireMillisecondsOrReply: the absolute expiry in ms, or null after an error reply. Zero or
 * negative times and anything that overflows 64 bits are `invalid expire time`.
 */
function expireMs(c: Client, arg: Buffer, flags: number, name: string, now: number): bigint | null {
  let ms = parseInt64(arg);
  if (ms === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return null;
  }
  const seconds = (flags & (F_EX | F_EXAT)) !== 0;
  if (ms <= 0n || (seconds && ms > LLONG_MAX / 1000n)) {
    c.reply.error(`ERR invalid expire time in '${name}' command`);
    return null;
  }
  if (seconds) ms *= 1000n;
  if (flags & (F_EX | F_PX)) ms += BigInt(now);
  if (ms > LLONG_MAX) {
    c.reply.error(`ERR invalid expire time in '${name}' command`);
    return null;
  }
  return ms;
}

/**
 * setGenericCommand. `okReply`/`abortReply` let SETNX answer 1/0; null means +OK and a null reply.
 */
function setGeneric(c: Client, argv: Buffer[], name: string, keyArg: Buffer, valArg: Buffer, opts: StringOptions, okReply: number | null, abortReply: number | null): void {
  const { flags, expire } = opts;
  const now = Date.now();
  let when: bigint | null = null;
  if (expire !== null) {
    when = expireMs(c, expire, flags, name, now);
    if (when === null) return;
  }
  const k = keyOf(keyArg);
  if (flags & F_GET && !getGeneric(c, k)) return;
  const found = c.db.lookup(k, now) !== undefined;
  if ((flags & F_NX && found) || (flags & F_XX && !found)) {
    if (!(flags & F_GET)) {
      if (abortReply === null) c.reply.null();
      else c.reply.integer(abortReply);
    }
    return;
  }
  c.db.set(k, fromArg(valArg), (flags & F_KEEPTTL) !== 0 || when !== null);
  c.server.dirty++;
  if (when !== null) {
    c.db.setExpire(k, Number(when));
    // Propagate the absolute time so an AOF replayed later expires the key at the same moment.
    if (!(flags & F_PXAT)) c.propagateAs = [Buffer.from('SET'), keyArg, valArg, Buffer.from('PXAT'), Buffer.from(when.toString())];
  } else if (flags & F_GET) {
    // Propagate without GET (it may be repeated).
    c.propagateAs = argv.filter((a, j) => j < 3 || !isWord(a, 'GET'));
  }
  if (!(flags & F_GET)) {
    if (okReply === null) c.reply.ok();
    else c.reply.integer(okReply);
  }
}

function setCommand(c: Client, argv: Buffer[]): void {
  const opts = parseStringOptions(c, argv, false);
  if (opts) setGeneric(c, argv, 'set', argv[1]!, argv[2]!, opts, null, null);
}

function getexCommand(c: Client, argv: Buffer[]): void {
  const opts = parseStringOptions(c, argv, true);
  if (!opts) return;
  const k = keyOf(argv[1]!);
  const v = readString(c, k);
  if (v === undefined) return;
  if (v === null) {
    c.reply.null();
    return;
  }
  const now = Date.now();
  let when: bigint | null = null;
  if (opts.expire !== null) {
    when = expireMs(c, opts.expire, opts.flags, 'getex', now);
    if (when === null) return;
  }
  replyValue(c, v);
  // Never propagated as is: as DEL, PEXPIREAT or PERSIST, or not at all.
  if (opts.flags & (F_EXAT | F_PXAT) && when !== null && when <= BigInt(now)) {
    c.db.delete(k);
    c.propagateAs = [Buffer.from('DEL'), argv[1]!];
    c.server.dirty++;
  } else if (when !== null) {
    c.db.setExpire(k, Number(when));
    c.propagateAs = [Buffer.from('PEXPIREAT'), argv[1]!, Buffer.from(when.toString())];
    c.server.dirty++;
  } else if (opts.flags & F_PERSIST) {
    if (c.db.persist(k)) {
      c.propagateAs = [Buffer.from('PERSIST'), argv[1]!];
      c.server.dirty++;
    }
  }
}

function getsetCommand(c: Client, argv: Buffer[]): void {
  const k = keyOf(argv[1]!);
  if (!getGeneric(c, k)) return;
  c.db.set(k, fromArg(argv[2]!));
  c.server.dirty++;
  c.propagateAs = [Buffer.from('SET'), argv[1]!, argv[2]!];
}

function getdelCommand(c: Client, argv: Buffer[]): void {
  const k = keyOf(argv[1]!);
  if (!getGeneric(c, k)) return;
  if (c.db.delete(k)) {
    c.propagateAs = [Buffer.from('DEL'), argv[1]!];
    c.server.dirty++;
  }
}

function mgetCommand(c: Client, argv: Buffer[]): void {
  c.reply.array(argv.length - 1);
  const now = Date.now();
  for (let i = 1; i < argv.length; i++) {
    const e = lookupRead(c, keyOf(argv[i]!), true, now);
    if (!e || e.value.type !== 'string') c.reply.null();
    else replyValue(c, e.value as StringValue);
  }
}

function msetGeneric(c: Client, argv: Buffer[], nx: boolean): void {
  if (argv.length % 2 === 0) {
    c.reply.error(`ERR wrong number of arguments for '${nx ? 'msetnx' : 'mset'}' command`);
    return;
  }
  if (nx) {
    const now = Date.now();
    for (let i = 1; i < argv.length; i += 2) {
      if (c.db.lookup(keyOf(argv[i]!), now)) {
        c.reply.integer(0);
        return;
      }
    }
  }
  for (let i = 1; i < argv.length; i += 2) c.db.set(keyOf(argv[i]!), fromArg(argv[i + 1]!));
  c.server.dirty += (argv.length - 1) / 2;
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

// ---- INCR family ----------------------------------------------------------------------------

function incrDecr(c: Client, keyArg: Buffer, incr: bigint): void {
  const k = keyOf(keyArg);
  const v = writeString(c, k);
  if (v === undefined) return;
  let value = 0n;
  if (v !== null) {
    const n = parseInt64(v.data);
    if (n === null) {
      c.reply.error(ERR_NOT_INTEGER);
      return;
    }
    value = n;
  }
  if (addOverflows(value, incr)) {
    c.reply.error('ERR increment or decrement would overflow');
    return;
  }
  value += incr;
  // The TTL stays (dbOverwrite); the new value is an int (shared when small).
  c.db.set(k, new StringObject(Buffer.from(value.toString())), true);
  c.server.dirty++;
  c.reply.integer(value);
}

function incrbyGeneric(c: Client, argv: Buffer[], negate: boolean): void {
  const incr = parseInt64(argv[2]!);
  if (incr === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (negate && incr === LLONG_MIN) {
    c.reply.error('ERR decrement would overflow');
    return;
  }
  incrDecr(c, argv[1]!, negate ? -incr : incr);
}

function incrbyfloatCommand(c: Client, argv: Buffer[]): void {
  const k = keyOf(argv[1]!);
  const v = writeString(c, k);
  if (v === undefined) return;
  const current = v === null ? LongDouble.ZERO : LongDouble.parse(v.data);
  const incr = LongDouble.parse(argv[2]!);
  if (current === null || incr === null) {
    c.reply.error(ERR_NOT_FLOAT);
    return;
  }
  const sum = LongDouble.add(current, incr);
  if (!LongDouble.isFinite(sum)) {
    c.reply.error('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = Buffer.from(LongDouble.formatHuman(sum), 'latin1');
  // createStringObject: never an int, whatever the digits.
  const obj = new StringObject(text, text.length <= EMBSTR_SIZE_LIMIT ? 'embstr' : 'raw');
  c.db.set(k, obj, true);
  c.server.dirty++;
  c.reply.bulk(text);
  // Replicas and AOF replay get the result, not the arithmetic (formatting could differ).
  c.propagateAs = [Buffer.from('SET'), argv[1]!, text, Buffer.from('KEEPTTL')];
}

// ---- STRLEN APPEND GETRANGE SETRANGE --------------------------------------------------------

function strlenCommand(c: Client, argv: Buffer[]): void {
  const v = readString(c, keyOf(argv[1]!));
  if (v === undefined) return;
  c.reply.integer(v === null ? 0 : v.data.length);
}

/** The key's value as a StringObject this command may change in place, replacing a plain value. */
function ownedString(c: Client, k: string, v: StringValue): StringObject {
  if (v instanceof StringObject) {
    v.forced = 'raw';
    return v;
  }
  const own = new StringObject(Buffer.from(v.data), 'raw');
  c.db.set(k, own, true);
  return own;
}

function appendCommand(c: Client, argv: Buffer[]): void {
  const k = keyOf(argv[1]!);
  const v = writeString(c, k);
  if (v === undefined) return;
  const extra = argv[2]!;
  let total: number;
  if (v === null) {
    c.db.add(k, fromArg(extra));
    total = extra.length;
  } else {
    if (!checkStringLength(c, v.data.length, extra.length)) return;
    const own = ownedString(c, k, v);
    own.append(extra);
    c.db.touch(k);
    total = own.data.length;
  }
  c.server.dirty++;
  c.reply.integer(total);
}

function getrangeCommand(c: Client, argv: Buffer[]): void {
  let start = parseInt64(argv[2]!);
  let end = parseInt64(argv[3]!);
  if (start === null || end === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const v = readString(c, keyOf(argv[1]!));
  if (v === undefined) return;
  if (v === null) {
    c.reply.bulk('');
    return;
  }
  const len = BigInt(v.data.length);
  if (start < 0n && end < 0n && start > end) {
    c.reply.bulk('');
    return;
  }
  if (start < 0n) start += len;
  if (end < 0n) end += len;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= len) end = len - 1n;
  if (start > end || len === 0n) c.reply.bulk('');
  else replyValue(c, v, Number(start), Number(end) + 1);
}

function setrangeCommand(c: Client, argv: Buffer[]): void {
  const offset = parseInteger(argv[2]!);
  if (offset === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (offset < 0) {
    c.reply.error('ERR offset is out of range');
    return;
  }
  const k = keyOf(argv[1]!);
  const value = argv[3]!;
  const v = writeString(c, k);
  if (v === undefined) return;
  if (v === null) {
    if (value.length === 0) {
      c.reply.integer(0);
      return;
    }
    if (!checkStringLength(c, offset, value.length)) return;
    const data = Buffer.alloc(offset + value.length);
    value.copy(data, offset);
    c.db.add(k, new StringObject(data, 'raw'));
    c.server.dirty++;
    c.reply.integer(data.length);
    return;
  }
  if (value.length === 0) {
    c.reply.integer(v.data.length);
    return;
  }
  if (!checkStringLength(c, offset, value.length)) return;
  const own = ownedString(c, k, v);
  own.writeAt(offset, value);
  c.db.touch(k);
  c.server.dirty++;
  c.reply.integer(own.data.length);
}

// ---- the table ------------------------------------------------------------------------------

const EXPIRATION_GETEX = optional(oneof('expiration', [
  tokenArg('EX', int('seconds')),
  tokenArg('PX', int('milliseconds')),
  tokenArg('EXAT', unixTime('unix-time-seconds')),
  tokenArg('PXAT', unixTime('unix-time-milliseconds')),
  token('PERSIST'),
]));

const KEY_VALUE = [block('data', [key(), str('value')], { multiple: true })];

const W_FAST = ['@write', '@string', '@fast'];
const W_SLOW = ['@write', '@string', '@slow'];

export const stringCommands: CommandSpec[] = [
  command('get', 2, ['readonly', 'fast'], ONE_KEY, ['@read', '@string', '@fast'], { summary: 'Returns the string value of a key.', since: '1.0.0', group: G, complexity: 'O(1)', arguments: [key()] }, (c, argv) => {
    getGeneric(c, keyOf(argv[1]!));
  }),
  command('set', -3, ['write', 'denyoom'], ONE_KEY, W_SLOW, {
    summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", since: '1.0.0', group: G, complexity: 'O(1)',
    history: [
      ['2.6.12', 'Added the `EX`, `PX`, `NX` and `XX` options.'],
      ['6.0.0', 'Added the `KEEPTTL` option.'],
      ['6.2.0', 'Added the `GET`, `EXAT` and `PXAT` option.'],
      ['7.0.0', 'Allowed the `NX` and `GET` options to be used together.'],
    ],
    arguments: [
      key(),
      str('value'),
      optional(oneof('condition', [token('NX'), token('XX')], { since: '2.6.12' })),
      optional(token('GET', { since: '6.2.0' })),
      optional(oneof('expiration', [
        tokenArg('EX', int('seconds'), { since: '2.6.12' }),
        tokenArg('PX', int('milliseconds'), { since: '2.6.12' }),
        tokenArg('EXAT', unixTime('unix-time-seconds'), { since: '6.2.0' }),
        tokenArg('PXAT', unixTime('unix-time-milliseconds'), { since: '6.2.0' }),
        token('KEEPTTL', { since: '6.0.0' }),
      ])),
    ],
  }, setCommand),
  command('setnx', 3, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: "Set the string value of a key only when the key doesn't exist.", since: '1.0.0', group: G, complexity: 'O(1)',
    deprecatedSince: '2.6.12', replacedBy: '`SET` with the `NX` argument', docFlags: ['deprecated'], arguments: [key(), str('value')],
  }, (c, argv) => setGeneric(c, argv, 'setnx', argv[1]!, argv[2]!, { flags: F_NX, expire: null }, 1, 0)),
  command('setex', 4, ['write', 'denyoom'], ONE_KEY, W_SLOW, {
    summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", since: '2.0.0', group: G, complexity: 'O(1)',
    deprecatedSince: '2.6.12', replacedBy: '`SET` with the `EX` argument', docFlags: ['deprecated'], arguments: [key(), int('seconds'), str('value')],
  }, (c, argv) => setGeneric(c, argv, 'setex', argv[1]!, argv[3]!, { flags: F_EX, expire: argv[2]! }, null, null)),
  command('psetex', 4, ['write', 'denyoom'], ONE_KEY, W_SLOW, {
    summary: "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", since: '2.6.0', group: G, complexity: 'O(1)',
    deprecatedSince: '2.6.12', replacedBy: '`SET` with the `PX` argument', docFlags: ['deprecated'], arguments: [key(), int('milliseconds'), str('value')],
  }, (c, argv) => setGeneric(c, argv, 'psetex', argv[1]!, argv[3]!, { flags: F_PX, expire: argv[2]! }, null, null)),
  command('getset', 3, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: 'Returns the previous string value of a key after setting it to a new value.', since: '1.0.0', group: G, complexity: 'O(1)',
    deprecatedSince: '6.2.0', replacedBy: '`SET` with the `!GET` argument', docFlags: ['deprecated'], arguments: [key(), str('value')],
  }, getsetCommand),
  command('getdel', 2, ['write', 'fast'], ONE_KEY, W_FAST, { summary: 'Returns the string value of a key after deleting the key.', since: '6.2.0', group: G, complexity: 'O(1)', arguments: [key()] }, getdelCommand),
  command('getex', -2, ['write', 'fast'], ONE_KEY, W_FAST, {
    summary: 'Returns the string value of a key after setting its expiration time.', since: '6.2.0', group: G, complexity: 'O(1)', arguments: [key(), EXPIRATION_GETEX],
  }, getexCommand),
  command('mget', -2, ['readonly', 'fast'], ALL_KEYS, ['@read', '@string', '@fast'], {
    summary: 'Atomically returns the string values of one or more keys.', since: '1.0.0', group: G, complexity: 'O(N) where N is the number of keys to retrieve.', arguments: [key('key', { multiple: true })],
  }, mgetCommand),
  command('mset', -3, ['write', 'denyoom'], [1, -1, 2], W_SLOW, {
    summary: 'Atomically creates or modifies the string values of one or more keys.', since: '1.0.1', group: G, complexity: 'O(N) where N is the number of keys to set.', arguments: KEY_VALUE,
  }, (c, argv) => msetGeneric(c, argv, false)),
  command('msetnx', -3, ['write', 'denyoom'], [1, -1, 2], W_SLOW, {
    summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.", since: '1.0.1', group: G, complexity: 'O(N) where N is the number of keys to set.', arguments: KEY_VALUE,
  }, (c, argv) => msetGeneric(c, argv, true)),
  command('incr', 2, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", since: '1.0.0', group: G, complexity: 'O(1)', arguments: [key()],
  }, (c, argv) => incrDecr(c, argv[1]!, 1n)),
  command('decr', 2, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", since: '1.0.0', group: G, complexity: 'O(1)', arguments: [key()],
  }, (c, argv) => incrDecr(c, argv[1]!, -1n)),
  command('incrby', 3, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", since: '1.0.0', group: G, complexity: 'O(1)', arguments: [key(), int('increment')],
  }, (c, argv) => incrbyGeneric(c, argv, false)),
  command('decrby', 3, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", since: '1.0.0', group: G, complexity: 'O(1)', arguments: [key(), int('decrement')],
  }, (c, argv) => incrbyGeneric(c, argv, true)),
  command('incrbyfloat', 3, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", since: '2.6.0', group: G, complexity: 'O(1)', arguments: [key(), dbl('increment')],
  }, incrbyfloatCommand),
  command('strlen', 2, ['readonly', 'fast'], ONE_KEY, ['@read', '@string', '@fast'], { summary: 'Returns the length of a string value.', since: '2.2.0', group: G, complexity: 'O(1)', arguments: [key()] }, strlenCommand),
  command('append', 3, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", since: '2.0.0', group: G,
    complexity: 'O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.',
    arguments: [key(), str('value')],
  }, appendCommand),
  command('getrange', 4, ['readonly'], ONE_KEY, ['@read', '@string', '@slow'], {
    summary: 'Returns a substring of the string stored at a key.', since: '2.4.0', group: G,
    complexity: 'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.',
    arguments: [key(), int('start'), int('end')],
  }, getrangeCommand),
  command('setrange', 4, ['write', 'denyoom'], ONE_KEY, W_SLOW, {
    summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", since: '2.2.0', group: G,
    complexity: 'O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.',
    arguments: [key(), int('offset'), str('value')],
  }, setrangeCommand),
];

// Redis's key specs where they differ from the defaults (RW UPDATE for writes): COMMAND INFO
// shows them and ACL key permissions follow them (a write that returns the old value needs read).
declareKeyFlags(stringCommands, {
  set: ['RW', 'ACCESS', 'UPDATE', 'VARIABLE_FLAGS'],
  setnx: ['OW', 'INSERT'],
  setex: ['OW', 'UPDATE'],
  psetex: ['OW', 'UPDATE'],
  getset: ['RW', 'ACCESS', 'UPDATE'],
  getdel: ['RW', 'ACCESS', 'DELETE'],
  getex: ['RW', 'ACCESS', 'UPDATE'],
  mset: ['OW', 'UPDATE'],
  msetnx: ['OW', 'INSERT'],
  incr: ['RW', 'ACCESS', 'UPDATE'],
  decr: ['RW', 'ACCESS', 'UPDATE'],
  incrby: ['RW', 'ACCESS', 'UPDATE'],
  decrby: ['RW', 'ACCESS', 'UPDATE'],
  incrbyfloat: ['RW', 'ACCESS', 'UPDATE'],
  strlen: ['RO'],
  append: ['RW', 'INSERT'],
});
