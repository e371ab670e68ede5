/**
 * Generic keyspace commands: DEL UNLINK EXISTS TYPE KEYS SCAN RANDOMKEY RENAME RENAMENX, the
 * EXPIRE/TTL family and PERSIST (in expire.ts), COPY MOVE SWAPDB TOUCH and OBJECT.
 *
 * These work on any value type through the KeyValue interface only, so a vector set gets them
 * without this file knowing about it. Where a command needs something type-specific (COPY needs a
 * duplicate, OBJECT REFCOUNT a reference count) the type registers hooks here; a type without a
 * COPY hook answers as a Redis module type without a copy callback does.
 *
 * Replies, error texts and the order in which errors are checked follow Redis (db.c, expire.c,
 * object.c); where Redis 7.0 and Redis 8 differ, Redis 8 wins (the spec, Part B).
 *
 * Two Redis rules recur:
 *  - Keyspace hits/misses (INFO stats) count the lookups Redis makes with lookupKeyRead*, and only
 *    those; write-path lookups (lookupKeyWrite) do not count. `lookupRead` (key-lookup.ts) does
 *    the counting.
 *  - A write marks `server.dirty` only when it changed something, so a no-op is not propagated;
 *    relative times are propagated as absolute ones (EXPIRE → PEXPIREAT) so an AOF replayed later
 *    gives the same expiry.
 */
import { command, container, NO_KEYS, ONE_KEY, ALL_KEYS, type CommandSpec } from './types.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, isWord, keyBytes, keyOf, parseInt64, parseInteger } from './args.js';
import { int, key, optional, pattern, str, token, tokenArg } from './doc-args.js';
import { replyHelp } from './connection.js';
import { lookupRead } from './key-lookup.js';
import { expireCommands } from './expire.js';
import { globMatch } from '../server/config.js';
import type { Client } from '../server/client.js';
import { declareKeyFlags } from './key-specs.js';
import { secondsOf, type Entry } from '../keyspace/database.js';
import type { KeyTypeName, KeyValue } from '../keyspace/value.js';

const G = 'generic';

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

// ---- type hooks -----------------------------------------------------------------------------

/** What the generic commands need from a value type beyond the KeyValue interface. */
export interface TypeHooks {
  /** COPY: an independent duplicate. Absent: `ERR not supported for this module key`. */
  duplicate?(v: KeyValue): KeyValue;
  /** OBJECT REFCOUNT; 1 when absent (a module value is never shared). */
  refcount?(v: KeyValue): number;
  /** OBJECT ENCODING; `v.encoding()` when absent. */
  encoding?(v: KeyValue): string;
}

const typeHooks = new Map<KeyTypeName, TypeHooks>();

/** Called once by a value type's module (string-object.ts registers 'string'). */
export function registerTypeHooks(type: KeyTypeName, hooks: TypeHooks): void {
  typeHooks.set(type, hooks);
}

/**
 * Every type name TYPE can report and SCAN … TYPE accepts. Redis knows its core types even when
 * no key of them can exist here, so `SCAN 0 TYPE list` is valid (and matches nothing).
 */
const TYPE_NAMES = new Set(['string', 'list', 'set', 'zset', 'hash', 'stream', 'vectorset']);

// ---- shared helpers -------------------------------------------------------------------------

/**
 * Redis's getIntFromObjectOrReply: a 32-bit signed integer, or null after an error reply. With a
 * `message` it is the only error text; without, a 64-bit integer outside the int range gets its
 * own text.
 */
function intArg(c: Client, arg: Buffer, message?: string): number | null {
  const n = parseInteger(arg);
  if (n === null) {
    c.reply.error(message ?? ERR_NOT_INTEGER);
    return null;
  }
  if (n > INT_MAX || n < INT_MIN) {
    c.reply.error(message ?? `ERR value is out of range, value must between ${INT_MIN} and ${INT_MAX}`);
    return null;
  }
  return n;
}

/**
 * A SCAN cursor as Redis 8 reads it (string2ull): a canonical non-negative 64-bit integer, or
 * else whatever strtoull accepts whole (leading blanks, a sign, leading zeros), within 2^64.
 */
export function parseScanCursor(arg: Buffer): number | null {
  const ll = parseInt64(arg);
  if (ll !== null) return ll < 0n ? null : Number(ll);
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(arg.toString('latin1'));
  if (!m) return null;
  let v = BigInt(m[2]!);
  if (v > 0xffffffffffffffffn) return null;
  if (m[1] === '-') v = (0x10000000000000000n - v) % 0x10000000000000000n;
  return Number(v);
}

// ---- DEL UNLINK EXISTS TYPE TOUCH -----------------------------------------------------------

function delGeneric(c: Client, argv: Buffer[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (c.db.delete(keyOf(argv[i]!))) n++;
  c.server.dirty += n;
  c.reply.integer(n);
}

function existsCommand(c: Client, argv: Buffer[]): void {
  let n = 0;
  const now = Date.now();
  for (let i = 1; i < argv.length; i++) if (lookupRead(c, keyOf(argv[i]!), false, now)) n++;
  c.reply.integer(n);
}

function typeCommand(c: Client, argv: Buffer[]): void {
  const e = lookupRead(c, keyOf(argv[1]!), false);
  c.reply.simple(e ? e.value.type : 'none');
}

function touchCommand(c: Client, argv: Buffer[]): void {
  let n = 0;
  const now = Date.now();
  for (let i = 1; i < argv.length; i++) if (lookupRead(c, keyOf(argv[i]!), true, now)) n++;
  c.reply.integer(n);
}

// ---- KEYS SCAN RANDOMKEY --------------------------------------------------------------------

function keysCommand(c: Client, argv: Buffer[]): void {
  const pat = argv[1]!;
  const all = pat.length === 1 && pat[0] === 42; /* "*" */
  const out: Buffer[] = [];
  for (const [k] of c.db.keys()) {
    const b = keyBytes(k);
    if (all || globMatch(pat, b)) out.push(b);
  }
  c.reply.bulkArray(out);
}

function scanCommand(c: Client, argv: Buffer[]): void {
  const cursor = parseScanCursor(argv[1]!);
  if (cursor === null) {
    c.reply.error('ERR invalid cursor');
    return;
  }
  let count = 10;
  let pat: Buffer | null = null;
  let type: string | null = null;
  for (let i = 2; i < argv.length; i += 2) {
    const more = argv.length - i;
    if (isWord(argv[i], 'COUNT') && more >= 2) {
      const n = parseInteger(argv[i + 1]!);
      if (n === null) {
        c.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n < 1) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      count = n;
    } else if (isWord(argv[i], 'MATCH') && more >= 2) {
      const p = argv[i + 1]!;
      pat = p.length === 1 && p[0] === 42 ? null : p;
    } else if (isWord(argv[i], 'TYPE') && more >= 2) {
      const name = argv[i + 1]!.toString('latin1');
      type = name.toLowerCase();
      if (!TYPE_NAMES.has(type)) {
        c.reply.error(`ERR unknown type name '${name}'`);
        return;
      }
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const found: Buffer[] = [];
  const next = c.db.scan(cursor, count, (k, e) => {
    if (type !== null && e.value.type !== type) return;
    const b = keyBytes(k);
    if (pat !== null && !globMatch(pat, b)) return;
    found.push(b);
  });
  c.reply.array(2);
  c.reply.bulk(String(next));
  c.reply.bulkArray(found);
}

function randomkeyCommand(c: Client): void {
  const k = c.db.randomKey();
  c.reply.bulkOrNull(k === undefined ? null : keyBytes(k));
}

// ---- RENAME RENAMENX MOVE COPY SWAPDB -------------------------------------------------------

function renameGeneric(c: Client, argv: Buffer[], nx: boolean): void {
  const src = keyOf(argv[1]!);
  const dst = keyOf(argv[2]!);
  const now = Date.now();
  if (!c.db.lookup(src, now)) {
    c.reply.error('ERR no such key');
    return;
  }
  if (src === dst) {
    // Redis answers without touching anything (and propagates nothing).
    if (nx) c.reply.integer(0);
    else c.reply.ok();
    return;
  }
  if (c.db.lookup(dst, now)) {
    if (nx) {
      c.reply.integer(0);
      return;
    }
    c.db.delete(dst);
  }
  // The same value object moves to the new name, TTL included.
  const e = c.db.detach(src)!;
  c.db.add(dst, e.value, e.expireAt);
  c.server.dirty++;
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

function moveCommand(c: Client, argv: Buffer[]): void {
  const id = intArg(c, argv[2]!);
  if (id === null) return;
  const dst = c.server.keyspace.dbs[id];
  if (id < 0 || !dst) {
    c.reply.error('ERR DB index is out of range');
    return;
  }
  if (dst === c.db) {
    c.reply.error('ERR source and destination objects are the same');
    return;
  }
  const k = keyOf(argv[1]!);
  const now = Date.now();
  if (!c.db.lookup(k, now) || dst.lookup(k, now)) {
    c.reply.integer(0);
    return;
  }
  const e = c.db.detach(k)!;
  dst.add(k, e.value, e.expireAt);
  c.server.dirty++;
  c.reply.integer(1);
}

function copyCommand(c: Client, argv: Buffer[]): void {
  let dst = c.db;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    if (isWord(argv[j], 'REPLACE')) {
      replace = true;
    } else if (isWord(argv[j], 'DB') && j + 1 < argv.length) {
      const id = intArg(c, argv[j + 1]!);
      if (id === null) return;
      const db = c.server.keyspace.dbs[id];
      if (id < 0 || !db) {
        c.reply.error('ERR DB index is out of range');
        return;
      }
      dst = db;
      j++;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const src = keyOf(argv[1]!);
  const target = keyOf(argv[2]!);
  if (dst === c.db && src === target) {
    c.reply.error('ERR source and destination objects are the same');
    return;
  }
  const now = Date.now();
  const e = lookupRead(c, src, true, now);
  if (!e) {
    c.reply.integer(0);
    return;
  }
  const exists = dst.lookup(target, now) !== undefined;
  if (exists && !replace) {
    c.reply.integer(0);
    return;
  }
  const dup = typeHooks.get(e.value.type)?.duplicate;
  if (!dup) {
    c.reply.error('ERR not supported for this module key');
    return;
  }
  const copy = dup(e.value);
  if (exists) dst.delete(target);
  dst.add(target, copy, e.expireAt);
  c.server.dirty++;
  c.reply.integer(1);
}

function swapdbCommand(c: Client, argv: Buffer[]): void {
  const id1 = intArg(c, argv[1]!, 'ERR invalid first DB index');
  if (id1 === null) return;
  const id2 = intArg(c, argv[2]!, 'ERR invalid second DB index');
  if (id2 === null) return;
  const ks = c.server.keyspace;
  const a = ks.dbs[id1];
  const b = ks.dbs[id2];
  if (id1 < 0 || id2 < 0 || !a || !b) {
    c.reply.error('ERR DB index is out of range');
    return;
  }
  if (a !== b) {
    // Redis (touchAllWatchedKeysInDb) dirties a key watched in either database when it exists
    // in either of them; signalling every key of both in both does exactly that.
    for (const db of [a, b]) {
      for (const [k] of db.keys()) {
        ks.signalModified(id1, k);
        ks.signalModified(id2, k);
      }
    }
    a.swapContents(b);
  }
  c.server.dirty++;
  c.reply.ok();
}

// ---- OBJECT ---------------------------------------------------------------------------------

const OBJECT_HELP = [
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
];

/** OBJECT's lookup: counts as a read for INFO stats but is not an access (LOOKUP_NOTOUCH). */
function objectLookup(c: Client, argv: Buffer[]): Entry | undefined {
  const e = lookupRead(c, keyOf(argv[2]!), false);
  if (!e) c.reply.null();
  return e;
}

const lfuPolicy = (c: Client): boolean => c.server.config.get('maxmemory-policy').includes('lfu');

const objectSub = (name: string, summary: string, since: string, handler: (c: Client, argv: Buffer[]) => void): CommandSpec =>
  command(name, 3, ['readonly'], [2, 2, 1], ['@keyspace', '@read', '@slow'], { summary, since, group: G, complexity: 'O(1)', arguments: [key()] }, handler);

const objectCommand = container('object', -2, ['@slow'], { summary: 'A container for object introspection commands.', since: '2.2.3', group: G, complexity: 'Depends on subcommand.' }, [
  objectSub('encoding', 'Returns the internal encoding of a Redis object.', '2.2.3', (c, argv) => {
    const e = objectLookup(c, argv);
    if (!e) return;
    const hooks = typeHooks.get(e.value.type);
    c.reply.bulk(hooks?.encoding ? hooks.encoding(e.value) : e.value.encoding());
  }),
  objectSub('refcount', 'Returns the reference count of a value of a key.', '2.2.3', (c, argv) => {
    const e = objectLookup(c, argv);
    if (!e) return;
    const hooks = typeHooks.get(e.value.type);
    c.reply.integer(hooks?.refcount ? hooks.refcount(e.value) : 1);
  }),
  objectSub('idletime', 'Returns the time since the last access to a Redis object.', '2.2.3', (c, argv) => {
    const e = objectLookup(c, argv);
    if (!e) return;
    if (lfuPolicy(c)) {
      c.reply.error('ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
      return;
    }
    // Redis's LRU clock ticks in whole seconds.
    c.reply.integer(Math.max(0, secondsOf(Date.now()) - e.accessedAt));
  }),
  objectSub('freq', 'Returns the logarithmic access frequency counter of a Redis object.', '4.0.0', (c, argv) => {
    if (!objectLookup(c, argv)) return;
    // vsetd keeps no LFU counters (no LFU policy can be configured), so this is Redis's answer
    // for every policy that is not LFU.
    c.reply.error('ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
  }),
  command('help', 2, ['loading', 'stale'], NO_KEYS, ['@keyspace', '@slow'], { summary: 'Returns helpful text about the different subcommands.', since: '6.2.0', group: G, complexity: 'O(1)' }, (c) =>
    replyHelp(c.reply, 'OBJECT', OBJECT_HELP),
  ),
]);

// ---- the table ------------------------------------------------------------------------------

const KEYS_ONE = [key()];
const KEYS_MANY = [key('key', { multiple: true })];

const W_FAST = ['@keyspace', '@write', '@fast'];
const R_FAST = ['@keyspace', '@read', '@fast'];

export const keyCommands: CommandSpec[] = [
  command('del', -2, ['write'], ALL_KEYS, ['@keyspace', '@write', '@slow'], {
    summary: 'Deletes one or more keys.', since: '1.0.0', group: G,
    complexity: 'O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).',
    arguments: KEYS_MANY,
  }, delGeneric),
  command('unlink', -2, ['write', 'fast'], ALL_KEYS, W_FAST, {
    summary: 'Asynchronously deletes one or more keys.', since: '4.0.0', group: G,
    complexity: 'O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.',
    arguments: KEYS_MANY,
  }, delGeneric),
  command('exists', -2, ['readonly', 'fast'], ALL_KEYS, R_FAST, {
    summary: 'Determines whether one or more keys exist.', since: '1.0.0', group: G, complexity: 'O(N) where N is the number of keys to check.',
    history: [['3.0.3', 'Accepts multiple `key` arguments.']], arguments: KEYS_MANY,
  }, existsCommand),
  command('type', 2, ['readonly', 'fast'], ONE_KEY, R_FAST, { summary: 'Determines the type of value stored at a key.', since: '1.0.0', group: G, complexity: 'O(1)', arguments: KEYS_ONE }, typeCommand),
  command('touch', -2, ['readonly', 'fast'], ALL_KEYS, R_FAST, {
    summary: 'Returns the number of existing keys out of those specified after updating the time they were last accessed.', since: '3.2.1', group: G,
    complexity: 'O(N) where N is the number of keys that will be touched.', arguments: KEYS_MANY,
  }, touchCommand),
  command('keys', 2, ['readonly'], NO_KEYS, ['@keyspace', '@read', '@slow', '@dangerous'], {
    summary: 'Returns all key names that match a pattern.', since: '1.0.0', group: G,
    complexity: 'O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.',
    arguments: [pattern()],
  }, keysCommand),
  command('scan', -2, ['readonly'], NO_KEYS, ['@keyspace', '@read', '@slow'], {
    summary: 'Iterates over the key names in the database.', since: '2.8.0', group: G,
    complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
    history: [['6.0.0', 'Added the `TYPE` subcommand.']],
    arguments: [int('cursor'), optional(tokenArg('MATCH', pattern())), optional(tokenArg('COUNT', int('count'))), optional(tokenArg('TYPE', str('type'), { since: '6.0.0' }))],
  }, scanCommand),
  command('randomkey', 1, ['readonly'], NO_KEYS, ['@keyspace', '@read', '@slow'], { summary: 'Returns a random key name from the database.', since: '1.0.0', group: G, complexity: 'O(1)' }, randomkeyCommand),
  command('rename', 3, ['write'], [1, 2, 1], ['@keyspace', '@write', '@slow'], {
    summary: 'Renames a key and overwrites the destination.', since: '1.0.0', group: G, complexity: 'O(1)', arguments: [key(), key('newkey')],
  }, (c, argv) => renameGeneric(c, argv, false)),
  command('renamenx', 3, ['write', 'fast'], [1, 2, 1], W_FAST, {
    summary: "Renames a key only when the target key name doesn't exist.", since: '1.0.0', group: G, complexity: 'O(1)',
    history: [['3.2.0', 'The command no longer returns an error when source and destination names are the same.']], arguments: [key(), key('newkey')],
  }, (c, argv) => renameGeneric(c, argv, true)),
  command('move', 3, ['write', 'fast'], ONE_KEY, W_FAST, { summary: 'Moves a key to another database.', since: '1.0.0', group: G, complexity: 'O(1)', arguments: [key(), int('db')] }, moveCommand),
  command('copy', -3, ['write', 'denyoom'], [1, 2, 1], ['@keyspace', '@write', '@slow'], {
    summary: 'Copies the value of a key to a new key.', since: '6.2.0', group: G,
    complexity: 'O(N) worst case for collections, where N is the number of nested items. O(1) for string values.',
    arguments: [key('source'), key('destination'), optional(tokenArg('DB', int('destination-db'))), optional(token('REPLACE'))],
  }, copyCommand),
  command('swapdb', 3, ['write', 'fast'], NO_KEYS, ['@keyspace', '@write', '@fast', '@dangerous'], {
    summary: 'Swaps two Redis databases.', since: '4.0.0', group: 'server',
    complexity: 'O(N) where N is the count of clients watching or blocking on keys from both databases.', arguments: [int('index1'), int('index2')],
  }, swapdbCommand),
  ...expireCommands,
  objectCommand,
];

// Redis's key specs where they differ from the defaults (RW UPDATE for writes, RO ACCESS for
// reads): COMMAND INFO shows them and ACL key permissions follow them.
declareKeyFlags(keyCommands, {
  del: ['RM', 'DELETE'],
  unlink: ['RM', 'DELETE'],
  exists: ['RO'],
  type: ['RO'],
  touch: ['RO'],
  rename: [['RW', 'ACCESS', 'DELETE'], ['OW', 'UPDATE']],
  renamenx: [['RW', 'ACCESS', 'DELETE'], ['OW', 'INSERT']],
  move: ['RW', 'ACCESS', 'UPDATE'],
  copy: [['RO', 'ACCESS'], ['OW', 'UPDATE']],
});
declareKeyFlags(objectCommand.subcommands!, { encoding: ['RO'], refcount: ['RO'], idletime: ['RO'], freq: ['RO'] });
