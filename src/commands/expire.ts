/**
 * The EXPIRE/TTL family of the generic keyspace commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT, TTL
 * PTTL EXPIRETIME PEXPIRETIME and PERSIST.
 *
 * Separate from keys.ts (whose table lists them) because it is the one family there with
 * arithmetic of its own: times are checked in exact 64-bit arithmetic so the overflow errors
 * match Redis's expire.c, and relative times are propagated as absolute ones (EXPIRE →
 * PEXPIREAT) so an AOF replayed later gives the same expiry.
 */
import { command, ONE_KEY, type CommandSpec } from './types.js';
import { ERR_NOT_INTEGER, isWord, keyOf, LLONG_MAX, LLONG_MIN, parseInt64 } from './args.js';
import { int, key, oneof, optional, token, unixTime } from './doc-args.js';
import { lookupRead } from './key-lookup.js';
import type { Client } from '../server/client.js';

const G = 'generic';

function expireTimeError(c: Client, name: string): void {
  c.reply.error(`ERR invalid expire time in '${name}' command`);
}

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (expireGenericCommand). `basetime` is now for the
 * relative forms, 0 for the absolute ones. Times are checked in exact 64-bit arithmetic so the
 * overflow errors match Redis.
 */
function expireGeneric(c: Client, argv: Buffer[], relative: boolean, seconds: boolean, name: string): void {
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  for (let j = 3; j < argv.length; j++) {
    const a = argv[j]!;
    if (isWord(a, 'NX')) nx = true;
    else if (isWord(a, 'XX')) xx = true;
    else if (isWord(a, 'GT')) gt = true;
    else if (isWord(a, 'LT')) lt = true;
    else {
      c.reply.error(`ERR Unsupported option ${a.toString('latin1')}`);
      return;
    }
  }
  if (nx && (xx || gt || lt)) {
    c.reply.error('ERR NX and XX, GT or LT options at the same time are not compatible');
    return;
  }
  if (gt && lt) {
    c.reply.error('ERR GT and LT options at the same time are not compatible');
    return;
  }
  let when = parseInt64(argv[2]!);
  if (when === null) {
    c.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const now = Date.now();
  const basetime = relative ? BigInt(now) : 0n;
  if (seconds) {
    // C division truncates toward zero, as BigInt division does.
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) {
      expireTimeError(c, name);
      return;
    }
    when *= 1000n;
  }
  if (when > LLONG_MAX - basetime) {
    expireTimeError(c, name);
    return;
  }
  when += basetime;
  const k = keyOf(argv[1]!);
  const e = c.db.lookup(k, now);
  if (!e) {
    c.reply.integer(0);
    return;
  }
  if (nx || xx || gt || lt) {
    const current = e.expireAt === 0 ? -1n : BigInt(e.expireAt);
    if (nx && current !== -1n) return c.reply.integer(0);
    if (xx && current === -1n) return c.reply.integer(0);
    // No TTL counts as infinite: GT never beats it, LT always does.
    if (gt && (current === -1n || when <= current)) return c.reply.integer(0);
    if (lt && current !== -1n && when >= current) return c.reply.integer(0);
  }
  if (when <= BigInt(now)) {
    // Already in the past: delete now and propagate the delete, not the expire.
    c.db.delete(k);
    c.server.dirty++;
    c.propagateAs = [Buffer.from('DEL'), argv[1]!];
    c.reply.integer(1);
    return;
  }
  c.db.setExpire(k, Number(when));
  c.server.dirty++;
  c.propagateAs = [Buffer.from('PEXPIREAT'), argv[1]!, Buffer.from(when.toString()), ...argv.slice(3)];
  c.reply.integer(1);
}

function ttlGeneric(c: Client, argv: Buffer[], ms: boolean): void {
  const now = Date.now();
  const e = lookupRead(c, keyOf(argv[1]!), false, now);
  if (!e) c.reply.integer(-2);
  else if (e.expireAt === 0) c.reply.integer(-1);
  else {
    const ttl = Math.max(0, e.expireAt - now);
    c.reply.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
  }
}

function expiretimeGeneric(c: Client, argv: Buffer[], ms: boolean): void {
  const e = lookupRead(c, keyOf(argv[1]!), false);
  if (!e) c.reply.integer(-2);
  else if (e.expireAt === 0) c.reply.integer(-1);
  else c.reply.integer(ms ? e.expireAt : Math.floor(e.expireAt / 1000));
}

function persistCommand(c: Client, argv: Buffer[]): void {
  if (c.db.persist(keyOf(argv[1]!))) {
    c.server.dirty++;
    c.reply.integer(1);
  } else {
    c.reply.integer(0);
  }
}

// ---- the table ------------------------------------------------------------------------------

const KEYS_ONE = [key()];
const EXPIRE_CONDITION = optional(oneof('condition', [token('NX'), token('XX'), token('GT'), token('LT')], { since: '7.0.0' }));
const EXPIRE_HISTORY: Array<[string, string]> = [['7.0.0', 'Added options: `NX`, `XX`, `GT` and `LT`.']];
const TTL_HISTORY: Array<[string, string]> = [['2.8.0', 'Added the -2 reply.']];

const W_FAST = ['@keyspace', '@write', '@fast'];
const R_FAST = ['@keyspace', '@read', '@fast'];

/** keys.ts's table lists these between SWAPDB and OBJECT, where they always stood. */
export const expireCommands: CommandSpec[] = [
  command('expire', -3, ['write', 'fast'], ONE_KEY, W_FAST, {
    summary: 'Sets the expiration time of a key in seconds.', since: '1.0.0', group: G, complexity: 'O(1)', history: EXPIRE_HISTORY,
    arguments: [key(), int('seconds'), EXPIRE_CONDITION],
  }, (c, argv) => expireGeneric(c, argv, true, true, 'expire')),
  command('pexpire', -3, ['write', 'fast'], ONE_KEY, W_FAST, {
    summary: 'Sets the expiration time of a key in milliseconds.', since: '2.6.0', group: G, complexity: 'O(1)', history: EXPIRE_HISTORY,
    arguments: [key(), int('milliseconds'), EXPIRE_CONDITION],
  }, (c, argv) => expireGeneric(c, argv, true, false, 'pexpire')),
  command('expireat', -3, ['write', 'fast'], ONE_KEY, W_FAST, {
    summary: 'Sets the expiration time of a key to a Unix timestamp.', since: '1.2.0', group: G, complexity: 'O(1)', history: EXPIRE_HISTORY,
    arguments: [key(), unixTime('unix-time-seconds'), EXPIRE_CONDITION],
  }, (c, argv) => expireGeneric(c, argv, false, true, 'expireat')),
  command('pexpireat', -3, ['write', 'fast'], ONE_KEY, W_FAST, {
    summary: 'Sets the expiration time of a key to a Unix milliseconds timestamp.', since: '2.6.0', group: G, complexity: 'O(1)', history: EXPIRE_HISTORY,
    arguments: [key(), unixTime('unix-time-milliseconds'), EXPIRE_CONDITION],
  }, (c, argv) => expireGeneric(c, argv, false, false, 'pexpireat')),
  command('ttl', 2, ['readonly', 'fast'], ONE_KEY, R_FAST, { summary: 'Returns the expiration time in seconds of a key.', since: '1.0.0', group: G, complexity: 'O(1)', history: TTL_HISTORY, arguments: KEYS_ONE }, (c, argv) => ttlGeneric(c, argv, false)),
  command('pttl', 2, ['readonly', 'fast'], ONE_KEY, R_FAST, { summary: 'Returns the expiration time in milliseconds of a key.', since: '2.6.0', group: G, complexity: 'O(1)', history: TTL_HISTORY, arguments: KEYS_ONE }, (c, argv) => ttlGeneric(c, argv, true)),
  command('expiretime', 2, ['readonly', 'fast'], ONE_KEY, R_FAST, { summary: 'Returns the expiration time of a key as a Unix timestamp.', since: '7.0.0', group: G, complexity: 'O(1)', arguments: KEYS_ONE }, (c, argv) => expiretimeGeneric(c, argv, false)),
  command('pexpiretime', 2, ['readonly', 'fast'], ONE_KEY, R_FAST, { summary: 'Returns the expiration time of a key as a Unix milliseconds timestamp.', since: '7.0.0', group: G, complexity: 'O(1)', arguments: KEYS_ONE }, (c, argv) => expiretimeGeneric(c, argv, true)),
  command('persist', 2, ['write', 'fast'], ONE_KEY, W_FAST, { summary: 'Removes the expiration time of a key.', since: '2.2.0', group: G, complexity: 'O(1)', arguments: KEYS_ONE }, persistCommand),
];
