/**
 * Differential test of ACL rules: the real redis-server (Debian's 7.0.15) and vsetd get the same
 * seeded random users — command and category rules, key patterns with read/write permissions,
 * channel patterns, first-argument rules and selectors — and the same ACL DRYRUN questions over
 * commands both servers have. Both must allow and refuse the same things, for the same reason
 * and naming the same key or channel, which checks vsetd's categories and key specs against
 * Redis's own. SETUSER error texts must match too.
 *
 * The one deliberate difference: Redis 7.0 words DRYRUN's answer "This user has no
 * permissions…", Redis 7.2 and later "User <name> has no permissions…" (vsetd, as Redis 8).
 * ACL LIST is not compared: Redis 7.2 changed how rules are described (vsetd writes them as 8 does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool, skipWithout } from './helpers/tools.js';
import { Raw, rng, startPair, type Cmd, type Pair } from './helpers/differential.js';

const skipDifferential = skipWithout('redis-server');
const SEED = Number(process.env.DIFF_SEED ?? 17);
const USERS = Number(process.env.DIFF_USERS ?? 120);

// Categories whose membership Redis 7.0 and 8 agree on for the commands below.
const CATEGORIES = ['keyspace', 'read', 'write', 'hash', 'string', 'pubsub', 'admin', 'fast', 'slow', 'dangerous', 'connection', 'transaction'];
const COMMANDS = ['get', 'set', 'setnx', 'getdel', 'getex', 'mget', 'mset', 'incr', 'append', 'strlen', 'getrange', 'del', 'unlink', 'exists', 'type', 'rename', 'renamenx', 'copy', 'expire', 'ttl', 'persist', 'dump', 'hset', 'hget', 'hmget', 'hgetall', 'hdel', 'hexists', 'hlen', 'hincrby', 'hscan', 'scan', 'keys', 'dbsize', 'flushdb', 'ping', 'echo', 'select', 'publish', 'subscribe', 'psubscribe', 'watch', 'multi', 'exec', 'config', 'client', 'object', 'memory', 'info'];
const SUBCOMMANDS = ['config|get', 'config|set', 'client|id', 'client|list', 'client|setname', 'object|encoding', 'memory|usage'];
const KEYS = ['a1', 'r1', 'w1', 'rw1', 'x', 'zz'];
const CHANNELS = ['ch1', 'chat', 'news', 'zz'];

function userRules(r: () => number): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const rules = ['on', 'nopass', pick(['+@all', '-@all', 'allcommands', 'nocommands'])];
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(r() * 9);
    if (kind <= 1) rules.push(`${r() < 0.5 ? '+' : '-'}@${pick(CATEGORIES)}`);
    else if (kind <= 3) rules.push(`${r() < 0.6 ? '+' : '-'}${pick(COMMANDS)}`);
    else if (kind === 4) rules.push(`${r() < 0.6 ? '+' : '-'}${pick(SUBCOMMANDS)}`);
    else if (kind === 5) rules.push(pick(['+select|0', '+select|1']));
    else if (kind === 6) rules.push(pick(['~a*', '%R~r*', '%W~w*', '%RW~rw*', '~x', '%R~a*', 'allkeys', 'resetkeys']));
    else if (kind === 7) rules.push(pick(['&ch*', '&news', 'allchannels', 'resetchannels']));
    else rules.push(`(${pick(['~x', '%R~r*', '~*'])} ${pick(['+get', '+@read', '+@write', '+@all', '-@all +hget'])})`);
  }
  return rules;
}

function question(r: () => number): Cmd {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const k = (): string => pick(KEYS);
  const ch = (): string => pick(CHANNELS);
  const forms: Array<() => Cmd> = [
    () => ['get', k()],
    () => ['set', k(), 'v'],
    () => ['set', k(), 'v', 'GET'],
    () => ['setnx', k(), 'v'],
    () => ['getdel', k()],
    () => ['getex', k()],
    () => ['mget', k(), k(), k()],
    () => ['mset', k(), 'v', k(), 'v'],
    () => ['incr', k()],
    () => ['append', k(), 'v'],
    () => ['strlen', k()],
    () => ['getrange', k(), '0', '1'],
    () => ['del', k(), k()],
    () => ['unlink', k()],
    () => ['exists', k(), k()],
    () => ['type', k()],
    () => ['rename', k(), k()],
    () => ['renamenx', k(), k()],
    () => ['copy', k(), k()],
    () => ['expire', k(), '10'],
    () => ['ttl', k()],
    () => ['persist', k()],
    () => ['dump', k()],
    () => ['hset', k(), 'f', 'v'],
    () => ['hget', k(), 'f'],
    () => ['hmget', k(), 'f', 'g'],
    () => ['hgetall', k()],
    () => ['hdel', k(), 'f'],
    () => ['hexists', k(), 'f'],
    () => ['hlen', k()],
    () => ['hincrby', k(), 'f', '1'],
    () => ['hscan', k(), '0'],
    () => ['scan', '0'],
    () => ['keys', '*'],
    () => ['dbsize'],
    () => ['flushdb'],
    () => ['ping'],
    () => ['echo', 'x'],
    () => ['select', pick(['0', '1', '2'])],
    () => ['publish', ch(), 'm'],
    () => ['subscribe', ch(), ch()],
    () => ['psubscribe', pick(['ch*', 'news', 'c?'])],
    () => ['watch', k()],
    () => ['multi'],
    () => ['exec'],
    () => ['config', 'get', 'port'],
    () => ['config', 'set', 'hz', '10'],
    () => ['client', 'id'],
    () => ['client', 'list'],
    () => ['client', 'setname', 'n'],
    () => ['object', 'encoding', k()],
    () => ['memory', 'usage', k()],
    () => ['info'],
  ];
  return pick(forms)();
}

/** Redis 7.0's "This user" → Redis 8's "User <name>". */
function normalize(reply: Buffer, user: string): string {
  const text = reply.toString('latin1');
  // A bulk answer: compare its body (the wording changes its length).
  const body = text.startsWith('$') ? text.slice(text.indexOf('\r\n') + 2, -2) : text;
  return body.replace('This user has', `User ${user} has`);
}

describe.skipIf(skipDifferential)('ACL rules against redis-server', () => {
  let pair: Pair;
  let redis: Raw;
  let vsetd: Raw;

  beforeAll(async () => {
    requireTool('redis-server');
    pair = await startPair();
    [redis, vsetd] = await Promise.all([Raw.connect(pair.redisPort), Raw.connect(pair.vsetd.port)]);
  });

  afterAll(async () => {
    redis?.close();
    vsetd?.close();
    await pair?.stop();
  });

  it(`allows and refuses the same commands, keys and channels (seed ${SEED}, ${USERS} users)`, async () => {
    const r = rng(SEED);
    let asked = 0;
    let refused = 0;
    for (let u = 0; u < USERS; u++) {
      const name = `u${u}`;
      const setuser: Cmd = ['ACL', 'SETUSER', name, ...userRules(r)];
      const questions = Array.from({ length: 12 }, () => question(r));
      const cmds: Cmd[] = [setuser, ...questions.map((q) => ['ACL', 'DRYRUN', name, ...q])];
      const [a, b] = await Promise.all([redis.send(cmds), vsetd.send(cmds)]);
      for (let i = 0; i < cmds.length; i++) {
        const got = normalize(b[i]!, name);
        if (got !== normalize(a[i]!, name)) {
          expect.fail(`${cmds[i]!.join(' ')}\n  after ${setuser.join(' ')}\n  redis: ${JSON.stringify(normalize(a[i]!, name))}\n  vsetd: ${JSON.stringify(got)}`);
        }
        if (i > 0) {
          asked++;
          if (!got.startsWith('+OK')) refused++;
        }
      }
    }
    // Both answers must be well represented for the comparison to mean something.
    expect(refused).toBeGreaterThan(asked / 10);
    expect(refused).toBeLessThan(asked * 0.9);
  });

  it('words SETUSER errors as Redis does', async () => {
    const bad: string[][] = [['bogus'], ['+nosuch'], ['+@nosuch'], ['allkeys', '~x'], ['allchannels', '&x'], ['<nope'], ['#abc'], ['!abc'], ['+client|kill|x'], ['+config|'], ['+config|nosuch'], ['-select|0'], ['%X~k'], ['%~k'], ['(~x', '+get'], ['(~x', 'bad)'], ['~a b'], ['>x', '<y']];
    const cmds: Cmd[] = bad.map((rules) => ['ACL', 'SETUSER', 'e', ...rules]);
    cmds.push(['ACL', 'SETUSER', 'a b'], ['ACL', 'DELUSER', 'default'], ['ACL', 'CAT', 'nosuch'], ['ACL', 'GENPASS', '0'], ['ACL', 'DRYRUN', 'nobody', 'get', 'x'], ['ACL', 'DRYRUN', 'e', 'nosuch'], ['ACL', 'DRYRUN', 'e', 'get'], ['ACL', 'LOG', 'x'], ['AUTH', 'x', 'y', 'z'], ['AUTH', 'nobody', 'x']);
    const [a, b] = await Promise.all([redis.send(cmds), vsetd.send(cmds)]);
    for (let i = 0; i < cmds.length; i++) expect([cmds[i]!.join(' '), b[i]!.toString('latin1')]).toEqual([cmds[i]!.join(' '), a[i]!.toString('latin1')]);
  });
});
