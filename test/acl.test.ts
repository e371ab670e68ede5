/**
 * ACL as Redis 8 has it, through ioredis and raw RESP: users and their rules (SETUSER, GETUSER,
 * LIST, USERS, WHOAMI, DELUSER), AUTH and HELLO AUTH, NOPERM refusals of commands, keys and
 * channels with Redis's texts, the ACL log, DRYRUN, MULTI/EXEC checks, and what a change of rules
 * does to connections already open.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { serverForFile } from './helpers/server.js';
import { RawConnection, type RespValue } from './helpers/raw.js';
import { infoField } from './helpers/wait.js';

const srv = serverForFile();
const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');
const open: Redis[] = [];

function client(opts: { username?: string; password?: string } = {}): Redis {
  const r = new Redis({ port: srv().port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...opts });
  r.on('error', () => {});
  open.push(r);
  return r;
}

async function admin<T = unknown>(...args: Array<string | number>): Promise<T> {
  return RawConnection.using(srv().port, async (c) => (await c.value(...args)) as T);
}

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error reply');
}

afterEach(async () => {
  for (const r of open.splice(0)) r.disconnect();
  const users = (await admin<string[]>('ACL', 'USERS')).filter((u) => u !== 'default');
  if (users.length > 0) await admin('ACL', 'DELUSER', ...users);
  await admin('ACL', 'SETUSER', 'default', 'reset', 'on', 'nopass', '~*', '&*', '+@all');
  await admin('ACL', 'LOG', 'RESET');
});

afterAll(async () => {
  for (const r of open.splice(0)) r.disconnect();
});

describe('users and their rules', () => {
  it('describes the default user and new users as Redis 8 does (LIST, USERS, GETUSER, WHOAMI)', async () => {
    expect(await admin('ACL', 'LIST')).toEqual(['user default on nopass sanitize-payload ~* &* +@all']);
    expect(await admin('ACL', 'SETUSER', 'alice')).toBe('OK');
    expect(await admin('ACL', 'SETUSER', 'bob', 'on', '>pw1', '>pw2', '~tenant:1:*', '%R~shared:*', '&news:*', '+@all', '-@dangerous', '+flushdb', '-get', '(~x +get)')).toBe('OK');
    expect(await admin('ACL', 'LIST')).toEqual([
      'user alice off sanitize-payload resetchannels -@all',
      `user bob on sanitize-payload #${sha256('pw1')} #${sha256('pw2')} ~tenant:1:* %R~shared:* resetchannels &news:* +@all -@dangerous +flushdb -get (~x resetchannels -@all +get)`,
      'user default on nopass sanitize-payload ~* &* +@all',
    ]);
    expect(await admin('ACL', 'USERS')).toEqual(['alice', 'bob', 'default']);
    expect(await admin('ACL', 'GETUSER', 'bob')).toEqual([
      'flags', ['on', 'sanitize-payload'],
      'passwords', [sha256('pw1'), sha256('pw2')],
      'commands', '+@all -@dangerous +flushdb -get',
      'keys', '~tenant:1:* %R~shared:*',
      'channels', '&news:*',
      'selectors', [['commands', '-@all +get', 'keys', '~x', 'channels', '']],
    ]);
    expect(await admin('ACL', 'GETUSER', 'nobody')).toBe(null);
    expect(await admin('ACL', 'WHOAMI')).toBe('default');
    const b = client({ username: 'bob', password: 'pw2' });
    expect(await b.call('ACL', 'WHOAMI')).toBe('bob');
    // Passwords may also be given and removed by their SHA-256 digest.
    await admin('ACL', 'SETUSER', 'bob', `!${sha256('pw2')}`, `#${sha256('pw3')}`);
    expect(await errorOf(client({ username: 'bob', password: 'pw2' }).ping())).toBe('WRONGPASS invalid username-password pair or user is disabled.');
    expect(await client({ username: 'bob', password: 'pw3' }).ping()).toBe('PONG');
  });

  it('refuses bad rules with Redis\'s texts and leaves the user as it was', async () => {
    await admin('ACL', 'SETUSER', 'u', 'on', '~k*');
    const cases: Array<[string[], string]> = [
      [['bogus'], "ERR Error in ACL SETUSER modifier 'bogus': Syntax error"],
      [['+nosuchcmd'], "ERR Error in ACL SETUSER modifier '+nosuchcmd': Unknown command or category name in ACL"],
      [['+@nosuchcat'], "ERR Error in ACL SETUSER modifier '+@nosuchcat': Unknown command or category name in ACL"],
      [['allkeys', '~x'], "ERR Error in ACL SETUSER modifier '~x': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"],
      [['allchannels', '&x'], "ERR Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"],
      [['<nope'], "ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist"],
      [['#abc'], "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"],
      [['+client|kill|x'], "ERR Error in ACL SETUSER modifier '+client|kill|x': Allowing first-arg of a subcommand is not supported"],
      [['+config|'], "ERR Error in ACL SETUSER modifier '+config|': Syntax error"],
      [['-select|0'], "ERR Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL"],
      [['%X~k'], "ERR Error in ACL SETUSER modifier '%X~k': Syntax error"],
      [['(~x', '+get'], "ERR Unmatched parenthesis in acl selector starting at '(~x'."],
      [['(~x', 'bad)'], "ERR Error in ACL SETUSER modifier '(~x bad)': Syntax error"],
      [['~a b'], "ERR Error in ACL SETUSER modifier '~a b': Syntax error"],
      // Refused although Redis's code accepts them, because ACL LIST / ACL SAVE would then write
      // rules that do not read back to the same user (found by npm run fuzz).
      [['%'], "ERR Error in ACL SETUSER modifier '%': Syntax error"],
      [['+select| 1'], "ERR Error in ACL SETUSER modifier '+select| 1': Syntax error"],
      [['(~x) ~y)'], "ERR Error in ACL SETUSER modifier '(~x) ~y)': Syntax error"],
    ];
    for (const [rules, error] of cases) {
      expect(await RawConnection.using(srv().port, (c) => c.call('ACL', 'SETUSER', 'u', 'off', ...rules))).toBe(`-${error}\r\n`);
    }
    expect(await admin('ACL', 'LIST')).toContain('user u on sanitize-payload ~k* resetchannels -@all');
    expect(await RawConnection.using(srv().port, (c) => c.call('ACL', 'SETUSER', 'a b'))).toBe("-ERR Usernames can't contain spaces or null characters\r\n");
    expect(await RawConnection.using(srv().port, (c) => c.call('ACL', 'DELUSER', 'u', 'default'))).toBe("-ERR The 'default' user cannot be removed\r\n");
    expect(await admin('ACL', 'DELUSER', 'u', 'nobody')).toBe(1);
  });

  it('keeps rules replayable: later rules replace earlier ones for the same command, and selectors clear', async () => {
    await admin('ACL', 'SETUSER', 'h', '+@all', '-client', '+client|id');
    expect((await admin<RespValue[]>('ACL', 'GETUSER', 'h'))[5]).toBe('+@all -client +client|id');
    await admin('ACL', 'SETUSER', 'h', '+client');
    expect((await admin<RespValue[]>('ACL', 'GETUSER', 'h'))[5]).toBe('+@all +client');
    await admin('ACL', 'SETUSER', 'h', 'nocommands', '+select|0', '+get', '+@read', '-get');
    expect((await admin<RespValue[]>('ACL', 'GETUSER', 'h'))[5]).toBe('-@all +select|0 +@read -get');
    await admin('ACL', 'SETUSER', 'h', '%RW~a', '%R~b', '%W~b', '(~x)', 'clearselectors');
    const h = await admin<RespValue[]>('ACL', 'GETUSER', 'h');
    expect(h[7]).toBe('~a ~b');
    expect(h[11]).toEqual([]);
    // A "*" pattern given as %RW~* is written so that it reads back as a pattern, not as allkeys
    // (after which %W~w* would be refused).
    await admin('ACL', 'SETUSER', 'p', '%RW~*', '%W~w*');
    expect(await admin('ACL', 'LIST')).toContain('user p off sanitize-payload %RW~* %W~w* resetchannels -@all');
    await admin('ACL', 'SETUSER', 'p2', 'reset', '%RW~*', '%W~w*');
    // acl-pubsub-default: the channel permission a new user (or a reset one) starts with.
    await admin('CONFIG', 'SET', 'acl-pubsub-default', 'allchannels');
    try {
      await admin('ACL', 'SETUSER', 'chan');
      expect(await admin('ACL', 'LIST')).toContain('user chan off sanitize-payload &* -@all');
    } finally {
      await admin('CONFIG', 'SET', 'acl-pubsub-default', 'resetchannels');
    }
    await admin('ACL', 'SETUSER', 'h', 'reset');
    expect(await admin('ACL', 'LIST')).toContain('user h off sanitize-payload resetchannels -@all');
  });
});

describe('authentication', () => {
  it('AUTH user pass and HELLO AUTH; a wrong pair, a disabled user and an unknown one get WRONGPASS and an auth log entry', async () => {
    await admin('CONFIG', 'RESETSTAT');
    await admin('ACL', 'SETUSER', 'alice', 'on', '>secret', '~*', '+@all');
    await admin('ACL', 'SETUSER', 'off-user', 'off', '>secret', '~*', '+@all');
    await RawConnection.using(srv().port, async (c) => {
      expect(await c.call('AUTH', 'x')).toBe('-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n');
      expect(await c.call('AUTH', 'alice', 'nope')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      expect(await c.call('AUTH', 'off-user', 'secret')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      expect(await c.call('AUTH', 'nobody', 'secret')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      expect(await c.call('hello', '3', 'AUTH', 'alice', 'nope')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      expect(await c.call('AUTH', 'alice', 'secret')).toBe('+OK\r\n');
      expect(await c.call('ACL', 'WHOAMI')).toBe('$5\r\nalice\r\n');
      expect(await c.call('RESET')).toBe('+RESET\r\n');
      expect(await c.call('ACL', 'WHOAMI')).toBe('$7\r\ndefault\r\n');
      const hello = await c.value('HELLO', '3', 'AUTH', 'alice', 'secret', 'SETNAME', 'app');
      expect(hello).toMatchObject({ map: expect.arrayContaining([['proto', 3]]) });
      expect(await c.call('CLIENT', 'GETNAME')).toBe('$3\r\napp\r\n');
    });
    const log = await admin<RespValue[][]>('ACL', 'LOG', '3');
    expect(log.length).toBe(3);
    const fields = (e: RespValue[]): Record<string, RespValue> => Object.fromEntries(Array.from({ length: e.length / 2 }, (_, i) => [e[2 * i] as string, e[2 * i + 1]!]));
    // Newest first.
    expect(log.map((e) => [fields(e).reason, fields(e).object, fields(e).username, fields(e).count])).toEqual([
      ['auth', 'hello', 'alice', 1],
      ['auth', 'AUTH', 'nobody', 1],
      ['auth', 'AUTH', 'off-user', 1],
    ]);
    const first = fields(log[2]!);
    expect(first.context).toBe('toplevel');
    expect(first['client-info']).toMatch(/^id=\d+ addr=127\.0\.0\.1:\d+ laddr=.* cmd=auth user=default redir=-1 resp=2 lib-name= lib-ver=$/);
    expect(Object.keys(first)).toEqual(['count', 'reason', 'context', 'object', 'username', 'age-seconds', 'client-info', 'entry-id', 'timestamp-created', 'timestamp-last-updated']);
    // alice's AUTH failure is the fourth, older entry (HELLO's is another object: the command name).
    expect(await admin('ACL', 'LOG')).toHaveLength(4);
    const info = await admin<string>('INFO', 'stats');
    expect(infoField(info, 'acl_access_denied_auth')).toBe('4');
  });

  it('requirepass is the default user\'s password; without it a new connection is authenticated at once', async () => {
    await RawConnection.using(srv().port, async (c) => {
      expect(await c.call('CONFIG', 'SET', 'requirepass', 'pw')).toBe('+OK\r\n');
      try {
        expect(await c.value('ACL', 'LIST')).toEqual([`user default on sanitize-payload #${sha256('pw')} ~* &* +@all`]);
        // This connection authenticated while the default user needed no password: it stays so.
        expect(await c.call('PING')).toBe('+PONG\r\n');
        await RawConnection.using(srv().port, async (n) => {
          expect(await n.call('GET', 'k')).toBe('-NOAUTH Authentication required.\r\n');
          expect(await n.call('AUTH', 'wrong')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
          expect(await n.call('AUTH', 'pw')).toBe('+OK\r\n');
          expect(await n.call('AUTH', 'default', 'pw')).toBe('+OK\r\n');
        });
      } finally {
        expect(await c.call('CONFIG', 'SET', 'requirepass', '')).toBe('+OK\r\n');
      }
    });
    expect(await admin('ACL', 'LIST')).toEqual(['user default on nopass sanitize-payload ~* &* +@all']);
    expect(await admin('PING')).toBe('PONG');
  });
});

describe('permission checks', () => {
  it('refuses commands, keys and channels with Redis\'s NOPERM texts and logs each refusal', async () => {
    await admin('ACL', 'SETUSER', 'app', 'on', '>pw', '~app:*', '%R~ro:*', '&app:*', '+@all', '-@admin', '-flushall');
    const r = client({ username: 'app', password: 'pw' });
    expect(await r.set('app:1', 'v')).toBe('OK');
    expect(await errorOf(r.set('other', 'v'))).toBe('NOPERM No permissions to access a key');
    expect(await errorOf(r.set('ro:1', 'v'))).toBe('NOPERM No permissions to access a key');
    expect(await r.get('ro:1')).toBe(null);
    expect(await errorOf(r.flushall())).toBe("NOPERM User app has no permissions to run the 'flushall' command");
    expect(await errorOf(r.call('CONFIG', 'GET', 'port'))).toBe("NOPERM User app has no permissions to run the 'config|get' command");
    expect(await errorOf(r.call('VSIM', 'x', 'ELE', 'e'))).toBe('NOPERM No permissions to access a key');
    expect(await r.publish('app:news', 'hi')).toBe(0);
    expect(await errorOf(r.publish('news', 'hi'))).toBe('NOPERM No permissions to access a channel');
    // The log names the first key the selector refused.
    expect(await errorOf(r.mget('app:1', 'x1', 'x2'))).toBe('NOPERM No permissions to access a key');
    const log = await admin<RespValue[][]>('ACL', 'LOG', '6');
    expect(log.map((e) => [e[3], e[5], e[7]])).toEqual([
      ['key', 'toplevel', 'x1'],
      ['channel', 'toplevel', 'news'],
      ['key', 'toplevel', 'x'],
      ['command', 'toplevel', 'config|get'],
      ['command', 'toplevel', 'flushall'],
      ['key', 'toplevel', 'ro:1'],
    ]);
    // The same refusal within a minute bumps the entry's count instead of adding one.
    await errorOf(r.mget('app:1', 'x1', 'x2'));
    expect((await admin<RespValue[][]>('ACL', 'LOG', '1'))[0]![1]).toBe(2);
    expect(await admin('ACL', 'LOG', 'RESET')).toBe('OK');
    expect(await admin('ACL', 'LOG')).toEqual([]);
    const info = await admin<string>('INFO', 'stats');
    expect([infoField(info, 'acl_access_denied_cmd'), infoField(info, 'acl_access_denied_key'), infoField(info, 'acl_access_denied_channel')]).toEqual(['2', '5', '1']);
  });

  it('checks queued commands at MULTI time and again at EXEC, as Redis', async () => {
    await admin('ACL', 'SETUSER', 'tx', 'on', '>pw', '~tx:*', '+@all');
    await RawConnection.using(srv().port, async (c) => {
      await c.call('AUTH', 'tx', 'pw');
      expect(await c.call('MULTI')).toBe('+OK\r\n');
      expect(await c.call('SET', 'tx:a', '1')).toBe('+QUEUED\r\n');
      expect(await c.call('SET', 'b', '1')).toBe('-NOPERM No permissions to access a key\r\n');
      expect(await c.call('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
      expect(await c.call('MULTI')).toBe('+OK\r\n');
      expect(await c.call('SET', 'tx:a', '1')).toBe('+QUEUED\r\n');
      expect(await c.call('GET', 'tx:a')).toBe('+QUEUED\r\n');
      // The rules change before EXEC: the queued commands meet the new rules.
      expect(await admin('ACL', 'SETUSER', 'tx', '-set')).toBe('OK');
      expect(await c.call('EXEC')).toBe('*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n$-1\r\n');
    });
    const log = await admin<RespValue[][]>('ACL', 'LOG');
    expect(log.map((e) => [e[3], e[5], e[7]])).toEqual([
      ['command', 'multi', 'set'],
      ['key', 'multi', 'b'],
    ]);
  });

  it('ACL DRYRUN answers what the user would be told, naming the key or channel', async () => {
    await admin('ACL', 'SETUSER', 'd', 'on', 'nopass', '%R~r*', '%W~w*', '&ch*', '-@all', '+get', '+set', '+publish', '+psubscribe', '+select|0', '+config|get');
    const dry = (...args: string[]): Promise<unknown> => admin('ACL', 'DRYRUN', 'd', ...args);
    expect(await dry('get', 'r1')).toBe('OK');
    expect(await dry('get', 'w1')).toBe("User d has no permissions to access the 'w1' key");
    expect(await dry('set', 'w1', 'v')).toBe('OK');
    expect(await dry('set', 'w1', 'v', 'GET')).toBe("User d has no permissions to access the 'w1' key");
    expect(await dry('publish', 'ch1', 'x')).toBe('OK');
    expect(await dry('publish', 'zz', 'x')).toBe("User d has no permissions to access the 'zz' channel");
    expect(await dry('psubscribe', 'ch*')).toBe('OK');
    expect(await dry('psubscribe', 'ch1*')).toBe("User d has no permissions to access the 'ch1*' channel");
    expect(await dry('select', '0')).toBe('OK');
    expect(await dry('select', '1')).toBe("User d has no permissions to run the 'select' command");
    expect(await dry('config', 'get', 'x')).toBe('OK');
    expect(await dry('config', 'set', 'x', 'y')).toBe("User d has no permissions to run the 'config|set' command");
    expect(await dry('del', 'w1')).toBe("User d has no permissions to run the 'del' command");
    await RawConnection.using(srv().port, async (c) => {
      expect(await c.call('ACL', 'DRYRUN', 'nobody', 'get', 'x')).toBe("-ERR User 'nobody' not found\r\n");
      expect(await c.call('ACL', 'DRYRUN', 'd', 'nosuch')).toBe("-ERR Command 'nosuch' not found\r\n");
      expect(await c.call('ACL', 'DRYRUN', 'd', 'get')).toBe("-ERR wrong number of arguments for 'get' command\r\n");
      expect(await c.call('ACL', 'DRYRUN', 'd', 'client', 'nosuch')).toBe("-ERR Command 'client' not found\r\n");
    });
  });
});

describe('changes reach open connections', () => {
  it('ACL DELUSER closes the user\'s connections; CLIENT LIST shows users and CLIENT KILL USER picks them', async () => {
    await admin('ACL', 'SETUSER', 'gone', 'on', '>pw', '~*', '+@all');
    await admin('ACL', 'SETUSER', 'kept', 'on', '>pw', '~*', '+@all');
    const a = await RawConnection.connect(srv().port);
    const b = await RawConnection.connect(srv().port);
    const k = await RawConnection.connect(srv().port);
    try {
      await a.call('AUTH', 'gone', 'pw');
      await b.call('AUTH', 'gone', 'pw');
      await k.call('AUTH', 'kept', 'pw');
      const list = (await admin<{ verbatim: string } | string>('CLIENT', 'LIST')) as string;
      expect(list.match(/ user=gone /g)).toHaveLength(2);
      expect(list).toMatch(/ user=kept /);
      expect(await admin('ACL', 'DELUSER', 'gone')).toBe(1);
      expect(await a.waitClosed()).toBe(true);
      expect(await b.waitClosed()).toBe(true);
      expect(await k.call('PING')).toBe('+PONG\r\n');
      expect(await RawConnection.using(srv().port, (c) => c.call('CLIENT', 'KILL', 'USER', 'gone'))).toBe("-ERR No such user 'gone'\r\n");
      expect(await admin('CLIENT', 'KILL', 'USER', 'kept')).toBe(1);
      expect(await k.waitClosed()).toBe(true);
    } finally {
      a.close();
      b.close();
      k.close();
    }
  });

  it('closes subscribers whose channels a rule change revokes, and only those', async () => {
    await admin('ACL', 'SETUSER', 'sub', 'on', '>pw', 'resetchannels', '&news:*', '&alerts', '+@all');
    const news = await RawConnection.connect(srv().port);
    const alerts = await RawConnection.connect(srv().port);
    try {
      await news.call('AUTH', 'sub', 'pw');
      await alerts.call('AUTH', 'sub', 'pw');
      expect(await news.call('SUBSCRIBE', 'news:1')).toBe('*3\r\n$9\r\nsubscribe\r\n$6\r\nnews:1\r\n:1\r\n');
      expect(await news.call('SUBSCRIBE', 'other')).toBe('-NOPERM No permissions to access a channel\r\n');
      await alerts.call('SUBSCRIBE', 'alerts');
      // Adding a pattern keeps everyone; dropping news:* closes the news subscriber.
      await admin('ACL', 'SETUSER', 'sub', '&more');
      expect(await admin('ACL', 'SETUSER', 'sub', 'resetchannels', '&alerts')).toBe('OK');
      expect(await news.waitClosed()).toBe(true);
      expect(await alerts.call('PING')).toBe('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    } finally {
      news.close();
      alerts.close();
    }
  });
});

describe('categories and the other subcommands', () => {
  it('ACL CAT lists Redis\'s categories plus vectorset; V* commands are @vectorset with @read/@write', async () => {
    const cats = await admin<string[]>('ACL', 'CAT');
    expect(cats.slice(0, 21)).toEqual(['keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting']);
    expect(cats).toContain('vectorset');
    expect((await admin<string[]>('ACL', 'CAT', 'vectorset')).sort()).toEqual(['VADD', 'VCARD', 'VDIM', 'VEMB', 'VGETATTR', 'VINFO', 'VISMEMBER', 'VLINKS', 'VRANDMEMBER', 'VRANGE', 'VREM', 'VSETATTR', 'VSIM']);
    const hash = await admin<string[]>('ACL', 'CAT', 'hash');
    expect(hash).toContain('hset');
    expect(hash).not.toContain('set');
    const dangerous = await admin<string[]>('ACL', 'CAT', 'dangerous');
    for (const name of ['flushall', 'keys', 'acl|setuser', 'config|set', 'client|kill', 'debug', 'monitor', 'slowlog|get']) expect(dangerous).toContain(name);
    expect(dangerous).not.toContain('acl|whoami');
    const info = await admin<RespValue[][]>('COMMAND', 'INFO', 'VSIM', 'VADD', 'client|list');
    expect(info.map((i) => i[6])).toEqual([
      ['@read', '@slow', '@vectorset'],
      ['@write', '@slow', '@vectorset'],
      ['@admin', '@slow', '@dangerous', '@connection'],
    ]);
    expect(await RawConnection.using(srv().port, (c) => c.call('ACL', 'CAT', 'nosuch'))).toBe("-ERR Unknown category 'nosuch'\r\n");
  });

  it('GENPASS, HELP and argument errors as Redis', async () => {
    expect(await admin('ACL', 'GENPASS')).toMatch(/^[0-9a-f]{64}$/);
    expect(await admin('ACL', 'GENPASS', '5')).toMatch(/^[0-9a-f]{2}$/);
    await RawConnection.using(srv().port, async (c) => {
      expect(await c.call('ACL', 'GENPASS', '0')).toBe('-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096\r\n');
      expect(await c.call('ACL', 'GENPASS', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
      expect(await c.call('ACL', 'LOG', '1', '2')).toBe("-ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.\r\n");
      expect(await c.call('ACL', 'FOO')).toBe("-ERR unknown subcommand 'FOO'. Try ACL HELP.\r\n");
      expect(await c.call('ACL', 'LOAD')).toBe('-ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.\r\n');
      const help = (await c.value('ACL', 'HELP')) as string[];
      expect(help[0]).toBe('ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
      expect(help).toContain('DRYRUN <username> <command> [<arg> ...]');
      expect(help.at(-1)).toBe('    Print this help.');
    });
    expect(await errorOf(client().call('ACL', 'SETUSER', 'x', 'bogus'))).toBe("ERR Error in ACL SETUSER modifier 'bogus': Syntax error");
  });

  it('SLOWLOG and MONITOR never show passwords', async () => {
    await admin('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    try {
      await admin('ACL', 'SETUSER', 'p', 'on', '>topsecret', '~*', '+@all');
      await RawConnection.using(srv().port, async (c) => {
        await c.call('AUTH', 'p', 'topsecret');
        await c.call('HELLO', '2', 'AUTH', 'p', 'topsecret');
      });
      const entries = await admin<RespValue[][]>('SLOWLOG', 'GET', '-1');
      const shown = entries.map((e) => (e[3] as string[]).join(' '));
      expect(shown).toContain('AUTH (redacted) (redacted)');
      expect(shown).toContain('HELLO 2 AUTH (redacted) (redacted)');
      expect(shown).toContain('ACL SETUSER (redacted) (redacted) (redacted) (redacted) (redacted)');
      expect(shown.join('\n')).not.toContain('topsecret');
    } finally {
      await admin('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    }
  });
});
