import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';

let server: RunningServer;
let secured: RunningServer;

beforeAll(async () => {
  [server, secured] = await Promise.all([startServer(), startServer({ args: ['--requirepass', 's3cret'] })]);
});

afterAll(async () => {
  await Promise.all([server?.stop(), secured?.stop()]);
});

async function conn(s = server): Promise<RawConnection> {
  return RawConnection.connect(s.port);
}

describe('PING / ECHO / QUIT', () => {
  it('answers in RESP2 and RESP3', async () => {
    const c = await conn();
    expect(await c.call('PING')).toBe('+PONG\r\n');
    expect(await c.call('ping', 'hello')).toBe('$5\r\nhello\r\n');
    expect(await c.call('PING', 'a', 'b')).toBe("-ERR wrong number of arguments for 'ping' command\r\n");
    expect(await c.call('ECHO', 'x\r\ny')).toBe('$4\r\nx\r\ny\r\n');
    expect(await c.call('ECHO')).toBe("-ERR wrong number of arguments for 'echo' command\r\n");
    await c.call('HELLO', '3');
    expect(await c.call('PING')).toBe('+PONG\r\n');
    c.close();
  });

  it('QUIT replies OK then closes', async () => {
    const c = await conn();
    expect(await c.call('QUIT')).toBe('+OK\r\n');
    expect(await c.waitClosed()).toBe(true);
  });

  it('unknown commands get the Redis error and the connection stays open', async () => {
    const c = await conn();
    expect(await c.call('FOO', 'a', 'b')).toBe("-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
    expect(await c.call('NOPE')).toBe("-ERR unknown command 'NOPE', with args beginning with: \r\n");
    expect(await c.call('CLIENT', 'NOPE')).toBe("-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n");
    expect(await c.call('CLIENT')).toBe("-ERR wrong number of arguments for 'client' command\r\n");
    expect(await c.call('CLIENT', 'SETNAME')).toBe("-ERR wrong number of arguments for 'client|setname' command\r\n");
    const long = 'x'.repeat(300);
    const r = await c.call('FOO', long);
    expect(r.startsWith("-ERR unknown command 'FOO', with args beginning with: 'xxx")).toBe(true);
    expect(r.length).toBeLessThan(200);
    expect(await c.call('PING')).toBe('+PONG\r\n');
    c.close();
  });
});

describe('HELLO', () => {
  it('switches protocol before replying and reports exactly seven bulk-keyed fields', async () => {
    const c = await conn();
    const r2 = await c.value('HELLO');
    expect(Array.isArray(r2) && r2.length).toBe(14);
    const raw = await c.call('HELLO', '3');
    expect(raw.startsWith('%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n8.2.0\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:')).toBe(true);
    // The modules field lists what MODULE LIST does (an array of maps), as Redis's HELLO does.
    expect(raw).toContain('$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*2\r\n%4\r\n$4\r\nname\r\n$9\r\nvectorset\r\n');
    expect(raw.endsWith('$6\r\nsearch\r\n$3\r\nver\r\n:80200\r\n$4\r\npath\r\n$42\r\n/usr/local/lib/redis/modules/redisearch.so\r\n$4\r\nargs\r\n*0\r\n')).toBe(true);
    const back = await c.call('HELLO', '2');
    expect(back.startsWith('*14\r\n')).toBe(true);
    c.close();
  });

  it('validates its arguments', async () => {
    const c = await conn();
    expect(await c.call('HELLO', 'x')).toBe('-ERR Protocol version is not an integer or out of range\r\n');
    expect(await c.call('HELLO', '4')).toBe('-NOPROTO unsupported protocol version\r\n');
    expect(await c.call('HELLO', '1')).toBe('-NOPROTO unsupported protocol version\r\n');
    expect(await c.call('HELLO', '3', 'FOO')).toBe("-ERR Syntax error in HELLO option 'FOO'\r\n");
    expect(await c.call('HELLO', '3', 'AUTH', 'default')).toBe("-ERR Syntax error in HELLO option 'AUTH'\r\n");
    expect(await c.call('HELLO', '3', 'SETNAME', 'bad name')).toBe('-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
    // Nothing above switched the protocol.
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$-1\r\n');
    await c.call('HELLO', '2', 'SETNAME', 'myconn');
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$6\r\nmyconn\r\n');
    c.close();
  });
});

describe('AUTH', () => {
  it('without a password configured', async () => {
    const c = await conn();
    expect(await c.call('AUTH', 'x')).toBe('-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n');
    expect(await c.call('AUTH', 'default', 'anything')).toBe('+OK\r\n');
    expect(await c.call('AUTH', 'bob', 'x')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(await c.call('AUTH', 'a', 'b', 'c')).toBe('-ERR syntax error\r\n');
    c.close();
  });

  it('with requirepass: NOAUTH until authenticated, HELLO AUTH works', async () => {
    const c = await conn(secured);
    expect(await c.call('PING')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await c.call('FOO')).toBe("-ERR unknown command 'FOO', with args beginning with: \r\n");
    expect(await c.call('HELLO', '3')).toBe('-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n');
    expect(await c.call('AUTH', 'wrong')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect(await c.call('PING')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await c.call('AUTH', 's3cret')).toBe('+OK\r\n');
    expect(await c.call('PING')).toBe('+PONG\r\n');
    const d = await conn(secured);
    expect(await d.call('HELLO', '3', 'AUTH', 'default', 'nope')).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect((await d.call('HELLO', '3', 'AUTH', 'default', 's3cret')).startsWith('%7')).toBe(true);
    expect(await d.call('PING')).toBe('+PONG\r\n');
    // RESET drops authentication.
    expect(await d.call('RESET')).toBe('+RESET\r\n');
    expect(await d.call('PING')).toBe('-NOAUTH Authentication required.\r\n');
    c.close();
    d.close();
  });

  it('unauthenticated clients cannot send huge requests', async () => {
    const c = await conn(secured);
    c.write('*20\r\n');
    const r = await c.readReply();
    expect(r.raw).toBe('-ERR Protocol error: unauthenticated multibulk length\r\n');
    expect(await c.waitClosed()).toBe(true);
  });
});

describe('SELECT', () => {
  it('switches among 16 databases', async () => {
    const c = await conn();
    expect(await c.call('SELECT', '15')).toBe('+OK\r\n');
    expect(await c.call('SELECT', '16')).toBe('-ERR DB index is out of range\r\n');
    expect(await c.call('SELECT', '-1')).toBe('-ERR DB index is out of range\r\n');
    expect(await c.call('SELECT', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await c.call('SELECT', '01')).toBe('-ERR value is not an integer or out of range\r\n');
    const info = await c.call('CLIENT', 'INFO');
    expect(info).toContain(' db=15 ');
    c.close();
  });
});

describe('CLIENT', () => {
  it('ID, SETNAME, GETNAME, SETINFO, INFO, LIST', async () => {
    const c = await conn();
    const id = await c.value('CLIENT', 'ID');
    expect(typeof id).toBe('number');
    expect(await c.call('CLIENT', 'SETNAME', 'has space')).toBe('-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
    expect(await c.call('CLIENT', 'SETNAME', 'worker-1')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$8\r\nworker-1\r\n');
    expect(await c.call('CLIENT', 'SETNAME', '')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$-1\r\n');
    expect(await c.call('CLIENT', 'SETINFO', 'LIB-NAME', 'node-redis(tag)')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'SETINFO', 'lib-ver', '5.9.0')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'SETINFO', 'LIB-FOO', 'x')).toBe("-ERR Unrecognized option 'LIB-FOO'\r\n");
    expect(await c.call('CLIENT', 'SETINFO', 'lib-name', 'a b')).toBe('-ERR lib-name cannot contain spaces, newlines or special characters.\r\n');
    const info = (await c.value('CLIENT', 'INFO')) as string;
    expect(info).toMatch(new RegExp(`^id=${id} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${server.port} fd=\\d+ name= age=\\d+ idle=\\d+ flags=N db=0 `));
    expect(info).toContain(' cmd=client|info user=default redir=-1 resp=2 lib-name=node-redis(tag) lib-ver=5.9.0\n');
    const list = (await c.value('CLIENT', 'LIST')) as string;
    expect(list.split('\n').filter((l) => l !== '').length).toBeGreaterThanOrEqual(1);
    expect(list).toContain(`id=${id} `);
    const only = (await c.value('CLIENT', 'LIST', 'ID', String(id))) as string;
    expect(only.trim().split('\n').length).toBe(1);
    expect(await c.call('CLIENT', 'LIST', 'TYPE', 'bogus')).toBe("-ERR Unknown client type 'bogus'\r\n");
    expect(await c.call('CLIENT', 'MAINT_NOTIFICATIONS', 'ON')).toBe("-ERR unknown subcommand 'MAINT_NOTIFICATIONS'. Try CLIENT HELP.\r\n");
    await c.call('HELLO', '3');
    const v = await c.call('CLIENT', 'INFO');
    expect(v.startsWith('=')).toBe(true);
    expect(v).toContain('txt:id=');
    c.close();
  });

  it('KILL by address, by ID, and SKIPME', async () => {
    const a = await conn();
    const b = await conn();
    const bid = await b.value('CLIENT', 'ID');
    expect(await a.call('CLIENT', 'KILL', 'ID', String(bid))).toBe(':1\r\n');
    expect(await b.waitClosed()).toBe(true);
    expect(await a.call('CLIENT', 'KILL', '1.2.3.4:5')).toBe('-ERR No such client\r\n');
    const aid = await a.value('CLIENT', 'ID');
    expect(await a.call('CLIENT', 'KILL', 'ID', String(aid))).toBe(':0\r\n');
    expect(await a.call('CLIENT', 'KILL', 'ID', '0')).toBe('-ERR client-id should be greater than 0\r\n');
    expect(await a.call('CLIENT', 'KILL', 'FOO', 'x')).toBe('-ERR syntax error\r\n');
    const c = await conn();
    const info = (await c.value('CLIENT', 'INFO')) as string;
    const addr = /addr=(\S+)/.exec(info)![1]!;
    expect(await a.call('CLIENT', 'KILL', addr)).toBe('+OK\r\n');
    expect(await c.waitClosed()).toBe(true);
    a.close();
  });

  it('REPLY OFF / SKIP / ON silence replies', async () => {
    const c = await conn();
    c.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n');
    expect((await c.readReply()).raw).toBe('+OK\r\n');
    c.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n*2\r\n$4\r\nECHO\r\n$1\r\nc\r\n');
    expect((await c.readReply()).raw).toBe('$1\r\nc\r\n');
    c.close();
  });

  it('PAUSE holds commands until the timeout or UNPAUSE, keeping their order', async () => {
    const a = await conn();
    const b = await conn();
    expect(await a.call('CLIENT', 'PAUSE', '60000', 'ALL')).toBe('+OK\r\n');
    b.write('*2\r\n$4\r\nECHO\r\n$1\r\n1\r\n*2\r\n$4\r\nECHO\r\n$1\r\n2\r\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(b.pending()).toBe('');
    expect(await a.call('CLIENT', 'UNPAUSE')).toBe('+OK\r\n');
    expect((await b.readReply()).raw).toBe('$1\r\n1\r\n');
    expect((await b.readReply()).raw).toBe('$1\r\n2\r\n');
    expect(await a.call('CLIENT', 'PAUSE', 'x')).toBe('-ERR timeout is not an integer or out of range\r\n');
    expect(await a.call('CLIENT', 'PAUSE', '10', 'SOME')).toBe('-ERR syntax error\r\n');
    // A short pause ends by itself.
    expect(await a.call('CLIENT', 'PAUSE', '100')).toBe('+OK\r\n');
    expect(await b.call('ECHO', 'later')).toBe('$5\r\nlater\r\n');
    a.close();
    b.close();
  });

  it('the other subcommands real clients send', async () => {
    const c = await conn();
    expect(await c.call('CLIENT', 'NO-EVICT', 'on')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'NO-TOUCH', 'off')).toBe('+OK\r\n');
    expect(await c.call('CLIENT', 'NO-EVICT', 'maybe')).toBe('-ERR syntax error\r\n');
    expect(await c.call('CLIENT', 'GETREDIR')).toBe(':-1\r\n');
    expect(await c.call('CLIENT', 'UNBLOCK', '12')).toBe(':0\r\n');
    expect(await c.call('CLIENT', 'TRACKING', 'off')).toBe('+OK\r\n');
    expect((await c.call('CLIENT', 'TRACKING', 'on')).startsWith('-ERR')).toBe(true);
    const help = await c.value('CLIENT', 'HELP');
    expect(Array.isArray(help) && help[0]).toMatch(/^CLIENT <subcommand>/);
    c.close();
  });
});

describe('RESET', () => {
  it('restores protocol, database, name and transaction state', async () => {
    const c = await conn();
    await c.call('HELLO', '3', 'SETNAME', 'n');
    await c.call('SELECT', '3');
    await c.call('MULTI');
    expect(await c.call('RESET')).toBe('+RESET\r\n');
    expect(await c.call('CLIENT', 'GETNAME')).toBe('$-1\r\n');
    const info = (await c.value('CLIENT', 'INFO')) as string;
    expect(info).toContain(' db=0 ');
    expect(info).toContain(' resp=2 ');
    expect(info).toContain(' multi=-1 ');
    c.close();
  });
});
