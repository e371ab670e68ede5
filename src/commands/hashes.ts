/**
 * The hash type: HSET HSETNX HMSET HGET HMGET HGETALL HDEL HEXISTS HLEN HKEYS HVALS HSTRLEN
 * HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
 *
 * Hashes are the documents the FT.* indexes read (LangChain and redisvl store one hash per chunk:
 * text, metadata and the embedding as raw bytes), so they behave exactly as Redis's: replies, error
 * texts, the order in which errors are checked, what is propagated, field order and OBJECT
 * ENCODING all follow t_hash.c. Points that are easy to miss:
 *  - A write looks the key up (WRONGTYPE) before anything else except parsing a numeric argument
 *    (HINCRBY*), and HSET's odd argument count is an arity error named after the command.
 *  - HINCRBYFLOAT computes in the x87 80-bit long double (LongDouble, long-double.ts) and is
 *    propagated as HSET with the result, so replicas and AOF replays get the same bytes.
 *  - An HDEL that removes the last field removes the key.
 *  - HGETALL is a map in RESP3; HRANDFIELD … WITHVALUES pairs fields and values as two-element
 *    arrays in RESP3 and flat in RESP2; HSCAN is flat in both.
 */
import { command, ONE_KEY, type CommandSpec } from './types.js';
import { addOverflows, ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_SYNTAX, isWord, keyBytes, keyOf, LLONG_MAX, parseInt64 } from './args.js';
import { block, dbl, int, key, optional, pattern, str, token, tokenArg } from './doc-args.js';
import { lookupRead } from './key-lookup.js';
import { parseScanCursor, registerTypeHooks } from './keys.js';
import { LongDouble } from './long-double.js';
import { MAX_RANDOM_REPEATS } from './vectorset.js';
import { HashValue } from '../keyspace/hash-value.js';
import { WRONGTYPE, type KeyValue } from '../keyspace/value.js';
import { globMatch } from '../server/config.js';
import type { Client } from '../server/client.js';

const G = 'hash';

/** HRANDFIELD's count bounds: -LONG_MAX … LONG_MAX, and half of that with WITHVALUES. */
const LONG_MAX = LLONG_MAX;
/** string2ld refuses strings this long or longer (MAX_LONG_DOUBLE_CHARS). */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

registerTypeHooks('hash', { duplicate: (v: KeyValue) => (v as HashValue).duplicate() });

// ---- lookups --------------------------------------------------------------------------------

/**
 * lookupKeyRead + checkType: the hash, null when the key is missing, or undefined after a
 * WRONGTYPE reply. Counts a keyspace hit or miss.
 */
function readHash(c: Client, k: string): HashValue | null | undefined {
  const e = lookupRead(c, k);
  if (!e) return null;
  if (e.value.type !== 'hash') {
    c.reply.error(WRONGTYPE);
    return undefined;
  }
  return e.value as HashValue;
}

/** lookupKeyWrite + checkType: as readHash, without hit/miss counting. */
function writeHash(c: Client, k: string): HashValue | null | undefined {
  const e = c.db.lookup(k);
  if (!e) return null;
  if (e.value.type !== 'hash') {
    c.reply.error(WRONGTYPE);
    return undefined;
  }
  return e.value as HashValue;
}

/**
 * Stores a write's result: a new hash is added now (Redis adds it empty before writing, which
 * nobody can observe), an existing one is reported changed in place. Either way keyspace
 * observers and WATCH hear of it once.
 */
function commitHash(c: Client, k: string, h: HashValue, created: boolean): void {
  if (created) c.db.add(k, h);
  else c.db.touch(k);
}

/** A field or value from a client argument, owned (arguments are views of network chunks). */
function own(arg: Buffer): Buffer {
  return Buffer.from(arg);
}

function replyField(c: Client, field: string): void {
  c.reply.bulk(keyBytes(field));
}

// ---- writes ---------------------------------------------------------------------------------

/** HSET and HMSET (hsetCommand): they differ only in the reply. */
function hsetGeneric(c: Client, argv: Buffer[], name: 'hset' | 'hmset'): void {
  if (argv.length % 2 === 1) {
    c.reply.error(`ERR wrong number of arguments for '${name}' command`);
    return;
  }
  const k = keyOf(argv[1]!);
  const found = writeHash(c, k);
  if (found === undefined) return;
  const h = found ?? new HashValue();
  h.prepareFor(argv.slice(2));
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) if (h.set(keyOf(argv[i]!), own(argv[i + 1]!))) created++;
  commitHash(c, k, h, found === null);
  c.server.dirty += (argv.length - 2) / 2;
  if (name === 'hset') c.reply.integer(created);
  else c.reply.ok();
}

function hsetnxCommand(c: Client, argv: Buffer[]): void {
  const k = keyOf(argv[1]!);
  const found = writeHash(c, k);
  if (found === undefined) return;
  const field = keyOf(argv[2]!);
  if (found?.has(field)) {
    c.reply.integer(0);
    return;
  }
  const h = found ?? new HashValue();
  h.prepareFor([argv[2]!, argv[3]!]);
  h.set(field, own(argv[3]!));
  commitHash(c, k, h, found === null);
  c.server.dirty++;
  c.reply.integer(1);
}

function hdelCommand(c: Client, argv: Buffer[]): void {
  const k = keyOf(argv[1]!);
  const h = writeHash(c, k);
  if (h === undefined) return;
  if (h === null) {
    c.reply.integer(0);
    return;
  }
  let deleted = 0;
  let keyRemoved = false;
  for (let i = 2; i < argv.length; i++) {
    if (!h.delete(keyOf(argv[i]!))) continue;
    deleted++;
    // Redis never keeps an empty hash: the last field takes the key with it.
    if (h.size === 0) {
      c.db.delete(k);
      keyRemoved = true;
      break;
    }
  }
  if (deleted > 0) {
    if (!keyRemoved) c.db.touch(k);
    c.server.dirty += deleted;
  }
  c.reply.integer(deleted);
}

function hincrbyCommand(c: Client, argv: Buffer[]): void {
  const incr = parseInt64(argv[3]!);
  if (incr === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const k = keyOf(argv[1]!);
  const found = writeHash(c, k);
  if (found === undefined) return;
  const field = keyOf(argv[2]!);
  let value = 0n;
  const current = found?.get(field);
  if (current !== undefined) {
    const n = parseInt64(current);
    if (n === null) {
      c.reply.error('ERR hash value is not an integer');
      return;
    }
    value = n;
  }
  if (addOverflows(value, incr)) {
    c.reply.error('ERR increment or decrement would overflow');
    return;
  }
  value += incr;
  const h = found ?? new HashValue();
  h.set(field, Buffer.from(value.toString(), 'latin1'));
  commitHash(c, k, h, found === null);
  c.server.dirty++;
  c.reply.integer(value);
}

/** string2ld: LongDouble.parse with its length limit. */
function parseLongDouble(b: Buffer): ReturnType<typeof LongDouble.parse> {
  return b.length >= MAX_LONG_DOUBLE_CHARS ? null : LongDouble.parse(b);
}

function hincrbyfloatCommand(c: Client, argv: Buffer[]): void {
  const incr = parseLongDouble(argv[3]!);
  if (incr === null) {
    c.reply.error(ERR_NOT_FLOAT);
    return;
  }
  if (!LongDouble.isFinite(incr)) {
    c.reply.error('ERR value is NaN or Infinity');
    return;
  }
  const k = keyOf(argv[1]!);
  const found = writeHash(c, k);
  if (found === undefined) return;
  const field = keyOf(argv[2]!);
  let value = LongDouble.ZERO;
  const current = found?.get(field);
  if (current !== undefined) {
    const v = parseLongDouble(current);
    if (v === null) {
      c.reply.error('ERR hash value is not a float');
      return;
    }
    value = v;
  }
  const sum = LongDouble.add(value, incr);
  if (!LongDouble.isFinite(sum)) {
    c.reply.error('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = Buffer.from(LongDouble.formatHuman(sum), 'latin1');
  const h = found ?? new HashValue();
  h.set(field, text);
  commitHash(c, k, h, found === null);
  c.server.dirty++;
  c.reply.bulk(text);
  // Replicas and AOF replays get the result, not the arithmetic (precision or formatting could
  // differ there).
  c.propagateAs = [Buffer.from('HSET'), argv[1]!, argv[2]!, text];
}

// ---- reads ----------------------------------------------------------------------------------

function hgetCommand(c: Client, argv: Buffer[]): void {
  const h = readHash(c, keyOf(argv[1]!));
  if (h === undefined) return;
  c.reply.bulkOrNull(h?.get(keyOf(argv[2]!)));
}

function hmgetCommand(c: Client, argv: Buffer[]): void {
  // A missing key is an empty hash: a null for every field.
  const h = readHash(c, keyOf(argv[1]!));
  if (h === undefined) return;
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.bulkOrNull(h?.get(keyOf(argv[i]!)));
}

function hlenCommand(c: Client, argv: Buffer[]): void {
  const h = readHash(c, keyOf(argv[1]!));
  if (h !== undefined) c.reply.integer(h?.size ?? 0);
}

function hstrlenCommand(c: Client, argv: Buffer[]): void {
  const h = readHash(c, keyOf(argv[1]!));
  if (h !== undefined) c.reply.integer(h?.get(keyOf(argv[2]!))?.length ?? 0);
}

function hexistsCommand(c: Client, argv: Buffer[]): void {
  const h = readHash(c, keyOf(argv[1]!));
  if (h !== undefined) c.reply.integer(h?.has(keyOf(argv[2]!)) ? 1 : 0);
}

/** HKEYS, HVALS, HGETALL (genericHgetallCommand): HGETALL is a map (RESP3), the others arrays. */
function hgetallGeneric(c: Client, argv: Buffer[], fields: boolean, values: boolean): void {
  const h = readHash(c, keyOf(argv[1]!));
  if (h === undefined) return;
  const n = h?.size ?? 0;
  if (fields && values) c.reply.map(n);
  else c.reply.array(n);
  if (h === null) return;
  for (const [f, v] of h.entries()) {
    if (fields) replyField(c, f);
    if (values) c.reply.bulk(v);
  }
}

// ---- HRANDFIELD -----------------------------------------------------------------------------

/** One field (and its value) of an HRANDFIELD reply: a pair is an array of two in RESP3. */
function replyPick(c: Client, [f, v]: [string, Buffer], withValues: boolean): void {
  if (withValues && c.reply.resp3) c.reply.array(2);
  replyField(c, f);
  if (withValues) c.reply.bulk(v);
}

function hrandfieldCommand(c: Client, argv: Buffer[]): void {
  if (argv.length === 2) {
    const h = readHash(c, keyOf(argv[1]!));
    if (h === undefined) return;
    if (h === null) c.reply.null();
    else replyField(c, h.sampler()()[0]);
    return;
  }
  // getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX), then the options, before the lookup.
  const l = parseInt64(argv[2]!);
  if (l === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (l < -LONG_MAX) {
    c.reply.error(`ERR value is out of range, value must between ${-LONG_MAX} and ${LONG_MAX}`);
    return;
  }
  if (argv.length > 4 || (argv.length === 4 && !isWord(argv[3], 'WITHVALUES'))) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const withValues = argv.length === 4;
  // A count whose reply length (twice the count) would overflow.
  if (withValues && (l < -LONG_MAX / 2n || l > LONG_MAX / 2n)) {
    c.reply.error('ERR value is out of range');
    return;
  }
  const h = readHash(c, keyOf(argv[1]!));
  if (h === undefined) return;
  if (h === null || l === 0n) {
    c.reply.array(0);
    return;
  }
  const flat = withValues && !c.reply.resp3;
  if (l < 0n) {
    // Repeats allowed: exactly |count| picks. Redis would build any reply, up to running out
    // of memory; vsetd refuses one it could not hold (VRANDMEMBER's limit).
    if (-l > BigInt(MAX_RANDOM_REPEATS)) {
      c.reply.error('ERR value is out of range');
      return;
    }
    const count = Number(-l);
    const draw = h.sampler();
    c.reply.array(flat ? count * 2 : count);
    for (let i = 0; i < count; i++) replyPick(c, draw(), withValues);
    return;
  }
  const size = h.size;
  if (l >= BigInt(size)) {
    // The whole hash, in its order.
    c.reply.array(flat ? size * 2 : size);
    for (const e of h.entries()) replyPick(c, e, withValues);
    return;
  }
  const count = Number(l);
  if (count === 1) {
    // Redis serves a count of one like a negative count (one random pick).
    c.reply.array(flat ? 2 : 1);
    replyPick(c, h.sampler()(), withValues);
    return;
  }
  const picks = h.distinctSample(count);
  c.reply.array(flat ? count * 2 : count);
  for (const e of picks) replyPick(c, e, withValues);
}

// ---- HSCAN ----------------------------------------------------------------------------------

/** shared.emptyscan: the same bytes in both protocols. */
function replyEmptyScan(c: Client): void {
  c.reply.array(2);
  c.reply.bulk('0');
  c.reply.array(0);
}

function hscanCommand(c: Client, argv: Buffer[]): void {
  const cursor = parseScanCursor(argv[2]!);
  if (cursor === null) {
    c.reply.error('ERR invalid cursor');
    return;
  }
  const h = readHash(c, keyOf(argv[1]!));
  if (h === undefined) return;
  if (h === null) {
    replyEmptyScan(c);
    return;
  }
  // scanGenericCommand's options: checked only once the key is known to be a hash.
  let count = 10;
  let pat: Buffer | null = null;
  let noValues = false;
  for (let i = 3; i < argv.length; ) {
    const more = argv.length - i;
    if (isWord(argv[i], 'COUNT') && more >= 2) {
      const n = parseInt64(argv[i + 1]!);
      if (n === null) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n < 1n) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      count = n > 1_000_000_000n ? 1_000_000_000 : Number(n);
      i += 2;
    } else if (isWord(argv[i], 'MATCH') && more >= 2) {
      const p = argv[i + 1]!;
      // "*" matches everything: the same as no pattern.
      pat = p.length === 1 && p[0] === 42 ? null : p;
      i += 2;
    } else if (isWord(argv[i], 'NOVALUES')) {
      noValues = true;
      i++;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const out: Array<[Buffer, Buffer]> = [];
  const visit = (f: string, v: Buffer): void => {
    const name = keyBytes(f);
    if (pat === null || globMatch(pat, name)) out.push([name, v]);
  };
  // A listpack is answered whole with cursor 0, whatever the cursor and COUNT (as Redis does).
  let next = 0;
  if (h.isListpack) for (const [f, v] of h.entries()) visit(f, v);
  else next = h.scan(cursor, count, visit);
  c.reply.array(2);
  c.reply.bulk(String(next));
  c.reply.array(noValues ? out.length : out.length * 2);
  for (const [f, v] of out) {
    c.reply.bulk(f);
    if (!noValues) c.reply.bulk(v);
  }
}

// ---- the table ------------------------------------------------------------------------------

const W_FAST = ['@write', '@hash', '@fast'];
const R_FAST = ['@read', '@hash', '@fast'];
const R_SLOW = ['@read', '@hash', '@slow'];
const FIELD_VALUE = [key(), block('data', [str('field'), str('value')], { multiple: true })];
const ALL_COMPLEXITY = 'O(N) where N is the size of the hash.';

/** A command with the key-spec flags Redis declares for it (COMMAND INFO, GETKEYSANDFLAGS). */
function withKeyFlags(spec: CommandSpec, keyFlags: string[]): CommandSpec {
  spec.keyFlags = keyFlags;
  return spec;
}

export const hashCommands: CommandSpec[] = [
  withKeyFlags(command('hset', -4, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: 'Creates or modifies the value of a field in a hash.', since: '2.0.0', group: G,
    complexity: 'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.',
    history: [['4.0.0', 'Accepts multiple `field` and `value` arguments.']], arguments: FIELD_VALUE,
  }, (c, argv) => hsetGeneric(c, argv, 'hset')), ['RW', 'UPDATE']),
  withKeyFlags(command('hsetnx', 4, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: "Sets the value of a field in a hash only when the field doesn't exist.", since: '2.0.0', group: G, complexity: 'O(1)', arguments: [key(), str('field'), str('value')],
  }, hsetnxCommand), ['RW', 'INSERT']),
  withKeyFlags(command('hmset', -4, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: 'Sets the values of multiple fields.', since: '2.0.0', group: G, complexity: 'O(N) where N is the number of fields being set.',
    deprecatedSince: '4.0.0', replacedBy: '`HSET` with multiple field-value pairs', docFlags: ['deprecated'], arguments: FIELD_VALUE,
  }, (c, argv) => hsetGeneric(c, argv, 'hmset')), ['RW', 'UPDATE']),
  withKeyFlags(command('hget', 3, ['readonly', 'fast'], ONE_KEY, R_FAST, {
    summary: 'Returns the value of a field in a hash.', since: '2.0.0', group: G, complexity: 'O(1)', arguments: [key(), str('field')],
  }, hgetCommand), ['RO', 'ACCESS']),
  withKeyFlags(command('hmget', -3, ['readonly', 'fast'], ONE_KEY, R_FAST, {
    summary: 'Returns the values of all fields in a hash.', since: '2.0.0', group: G, complexity: 'O(N) where N is the number of fields being requested.',
    arguments: [key(), str('field', { multiple: true })],
  }, hmgetCommand), ['RO', 'ACCESS']),
  withKeyFlags(command('hgetall', 2, ['readonly'], ONE_KEY, R_SLOW, {
    summary: 'Returns all fields and values in a hash.', since: '2.0.0', group: G, complexity: ALL_COMPLEXITY, arguments: [key()],
  }, (c, argv) => hgetallGeneric(c, argv, true, true)), ['RO', 'ACCESS']),
  withKeyFlags(command('hdel', -3, ['write', 'fast'], ONE_KEY, W_FAST, {
    summary: 'Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.', since: '2.0.0', group: G,
    complexity: 'O(N) where N is the number of fields to be removed.', history: [['2.4.0', 'Accepts multiple `field` arguments.']],
    arguments: [key(), str('field', { multiple: true })],
  }, hdelCommand), ['RW', 'DELETE']),
  withKeyFlags(command('hexists', 3, ['readonly', 'fast'], ONE_KEY, R_FAST, {
    summary: 'Determines whether a field exists in a hash.', since: '2.0.0', group: G, complexity: 'O(1)', arguments: [key(), str('field')],
  }, hexistsCommand), ['RO']),
  withKeyFlags(command('hlen', 2, ['readonly', 'fast'], ONE_KEY, R_FAST, {
    summary: 'Returns the number of fields in a hash.', since: '2.0.0', group: G, complexity: 'O(1)', arguments: [key()],
  }, hlenCommand), ['RO']),
  withKeyFlags(command('hkeys', 2, ['readonly'], ONE_KEY, R_SLOW, {
    summary: 'Returns all fields in a hash.', since: '2.0.0', group: G, complexity: ALL_COMPLEXITY, arguments: [key()],
  }, (c, argv) => hgetallGeneric(c, argv, true, false)), ['RO', 'ACCESS']),
  withKeyFlags(command('hvals', 2, ['readonly'], ONE_KEY, R_SLOW, {
    summary: 'Returns all values in a hash.', since: '2.0.0', group: G, complexity: ALL_COMPLEXITY, arguments: [key()],
  }, (c, argv) => hgetallGeneric(c, argv, false, true)), ['RO', 'ACCESS']),
  withKeyFlags(command('hstrlen', 3, ['readonly', 'fast'], ONE_KEY, R_FAST, {
    summary: 'Returns the length of the value of a field.', since: '3.2.0', group: G, complexity: 'O(1)', arguments: [key(), str('field')],
  }, hstrlenCommand), ['RO']),
  withKeyFlags(command('hincrby', 4, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", since: '2.0.0', group: G, complexity: 'O(1)',
    arguments: [key(), str('field'), int('increment')],
  }, hincrbyCommand), ['RW', 'ACCESS', 'UPDATE']),
  withKeyFlags(command('hincrbyfloat', 4, ['write', 'denyoom', 'fast'], ONE_KEY, W_FAST, {
    summary: "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", since: '2.6.0', group: G, complexity: 'O(1)',
    arguments: [key(), str('field'), dbl('increment')],
  }, hincrbyfloatCommand), ['RW', 'ACCESS', 'UPDATE']),
  withKeyFlags(command('hrandfield', -2, ['readonly'], ONE_KEY, R_SLOW, {
    summary: 'Returns one or more random fields from a hash.', since: '6.2.0', group: G, complexity: 'O(N) where N is the number of fields returned',
    arguments: [key(), optional(block('options', [int('count'), optional(token('WITHVALUES'))]))],
  }, hrandfieldCommand), ['RO', 'ACCESS']),
  withKeyFlags(command('hscan', -3, ['readonly'], ONE_KEY, R_SLOW, {
    summary: 'Iterates over fields and values of a hash.', since: '2.8.0', group: G,
    complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
    arguments: [key(), int('cursor'), optional(tokenArg('MATCH', pattern('pattern'))), optional(tokenArg('COUNT', int('count'))), optional(token('NOVALUES', { since: '7.4.0' }))],
  }, hscanCommand), ['RO', 'ACCESS']),
];
