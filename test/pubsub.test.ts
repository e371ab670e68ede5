/**
 * Pub/Sub against a started server: every command and error with the exact bytes Redis sends in
 * RESP2 and RESP3, the RESP2 pub/sub context, patterns, shard channels, introspection (PUBSUB,
 * INFO, CLIENT LIST), state dropped on RESET / disconnect / CLIENT KILL, a thousand subscribers,
 * output buffer limits, and the clients people use: ioredis, redis-cli and redis-py.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { serverForFile } from './helpers/server.js';
import { RawConnection, type RespValue } from './helpers/raw.js';
import { PYTHON, requireTool, skipWithout } from './helpers/tools.js';
import { infoField, waitFor } from './helpers/wait.js';

const server = serverForFile();

async function conn(): Promise<RawConnection> {
  return RawConnection.connect(server().port);
}

/** A RESP frame: `*`/`>` aggregate of bulk strings, integers (numbers) and nulls. */
function frame(type: '*' | '>', ...items: Array<string | number | null>): string {
  let out = `${type}${items.length}\r\n`;
  for (const it of items) {
    if (it === null) out += type === '>' ? '_\r\n' : '$-1\r\n';
    else if (typeof it === 'number') out += `:${it}\r\n`;
    else out += `$${Buffer.byteLength(it, 'latin1')}\r\n${it}\r\n`;
  }
  return out;
}
const arr = (...items: Array<string | number | null>): string => frame('*', ...items);
const push = (...items: Array<string | number | null>): string => frame('>', ...items);

async function next(c: RawConnection): Promise<string> {
  return (await c.readReply()).raw;
}

const CONTEXT_ERROR = (cmd: string): string =>
  `-ERR Can't execute '${cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n`;

/** Runs a command on a fresh connection (one that is not in pub/sub mode). */
async function admin<T = RespValue>(...args: Array<string | number>): Promise<T> {
  return RawConnection.using(server().port, async (c) => (await c.value(...args)) as T);
}

describe('RESP2', () => {
  it('SUBSCRIBE / PSUBSCRIBE confirm each name with the count of channels plus patterns', async () => {
    const s = await conn();
    s.write('*3\r\n$9\r\nSUBSCRIBE\r\n$2\r\nr2\r\n$3\r\nr2b\r\n');
    expect(await next(s)).toBe(arr('subscribe', 'r2', 1));
    expect(await next(s)).toBe(arr('subscribe', 'r2b', 2));
    expect(await s.call('PSUBSCRIBE', 'r2*')).toBe(arr('psubscribe', 'r2*', 3));
    // Subscribing again changes nothing but is confirmed again.
    expect(await s.call('SUBSCRIBE', 'r2')).toBe(arr('subscribe', 'r2', 3));
    const p = await conn();
    // One receiver for the channel, one for the pattern: the same client gets both.
    expect(await p.call('PUBLISH', 'r2', 'hello')).toBe(':2\r\n');
    expect(await next(s)).toBe(arr('message', 'r2', 'hello'));
    expect(await next(s)).toBe(arr('pmessage', 'r2*', 'r2', 'hello'));
    expect(await p.call('PUBLISH', 'r2zzz', 'via pattern')).toBe(':1\r\n');
    expect(await next(s)).toBe(arr('pmessage', 'r2*', 'r2zzz', 'via pattern'));
    expect(await p.call('PUBLISH', 'nobody', 'x')).toBe(':0\r\n');
    s.close();
    p.close();
  });

  it('allows only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET while subscribed', async () => {
    const s = await conn();
    expect(await s.call('SUBSCRIBE', 'ctx')).toBe(arr('subscribe', 'ctx', 1));
    expect(await s.call('GET', 'k')).toBe(CONTEXT_ERROR('get'));
    expect(await s.call('CLIENT', 'LIST')).toBe(CONTEXT_ERROR('client|list'));
    expect(await s.call('HELLO', '3')).toBe(CONTEXT_ERROR('hello'));
    expect(await s.call('PUBLISH', 'ctx', 'x')).toBe(CONTEXT_ERROR('publish'));
    // Unknown commands and arity errors come first, as in Redis.
    expect(await s.call('NOSUCH')).toBe("-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    expect(await s.call('GET')).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(await s.call('PING')).toBe(arr('pong', ''));
    expect(await s.call('PING', 'hi')).toBe(arr('pong', 'hi'));
    expect(await s.call('SSUBSCRIBE', 'sh')).toBe(arr('ssubscribe', 'sh', 1));
    // Still in pub/sub mode while the shard subscription remains.
    expect(await s.call('UNSUBSCRIBE')).toBe(arr('unsubscribe', 'ctx', 0));
    expect(await s.call('PING')).toBe(arr('pong', ''));
    expect(await s.call('SUNSUBSCRIBE')).toBe(arr('sunsubscribe', 'sh', 0));
    expect(await s.call('PING')).toBe('+PONG\r\n');
    expect(await s.call('GET', 'k')).toBe('$-1\r\n');
    expect(await s.call('SUBSCRIBE', 'ctx')).toBe(arr('subscribe', 'ctx', 1));
    expect(await s.call('QUIT')).toBe('+OK\r\n');
    expect(await s.waitClosed()).toBe(true);
  });

  it('UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE with nothing to drop reply a null name', async () => {
    const c = await conn();
    expect(await c.call('UNSUBSCRIBE')).toBe(arr('unsubscribe', null, 0));
    expect(await c.call('PUNSUBSCRIBE')).toBe(arr('punsubscribe', null, 0));
    expect(await c.call('SUNSUBSCRIBE')).toBe(arr('sunsubscribe', null, 0));
    // Naming a channel never subscribed to is confirmed with the current count.
    expect(await c.call('UNSUBSCRIBE', 'never')).toBe(arr('unsubscribe', 'never', 0));
    expect(await c.call('PING')).toBe('+PONG\r\n');
    c.close();
  });

  it('UNSUBSCRIBE without names drops every channel but not the patterns', async () => {
    const s = await conn();
    s.write('*4\r\n$9\r\nSUBSCRIBE\r\n$2\r\nu1\r\n$2\r\nu2\r\n$2\r\nu3\r\n');
    for (const [ch, n] of [['u1', 1], ['u2', 2], ['u3', 3]] as const) expect(await next(s)).toBe(arr('subscribe', ch, n));
    expect(await s.call('PSUBSCRIBE', 'u*')).toBe(arr('psubscribe', 'u*', 4));
    expect(await s.call('UNSUBSCRIBE', 'u2')).toBe(arr('unsubscribe', 'u2', 3));
    s.write('*1\r\n$11\r\nUNSUBSCRIBE\r\n');
    const drops = [await next(s), await next(s)];
    expect(drops.sort()).toEqual([arr('unsubscribe', 'u1', 2), arr('unsubscribe', 'u3', 1)].sort());
    expect(await s.call('PUNSUBSCRIBE', 'nope*', 'u*')).toBe(arr('punsubscribe', 'nope*', 1));
    expect(await next(s)).toBe(arr('punsubscribe', 'u*', 0));
    expect(await s.call('PING')).toBe('+PONG\r\n');
    s.close();
  });

  it('SUBSCRIBE runs inside MULTI/EXEC; SSUBSCRIBE is refused there', async () => {
    const c = await conn();
    c.write('*1\r\n$5\r\nMULTI\r\n*3\r\n$9\r\nSUBSCRIBE\r\n$2\r\nm1\r\n$2\r\nm2\r\n*1\r\n$4\r\nEXEC\r\n');
    expect(await next(c)).toBe('+OK\r\n');
    expect(await next(c)).toBe('+QUEUED\r\n');
    // As in Redis, each channel's confirmation lands in the EXEC array, which counts commands:
    // the array holds the first, the second follows it.
    expect(await next(c)).toBe('*1\r\n' + arr('subscribe', 'm1', 1));
    expect(await next(c)).toBe(arr('subscribe', 'm2', 2));
    expect(await c.call('RESET')).toBe('+RESET\r\n');
    c.write('*1\r\n$5\r\nMULTI\r\n*2\r\n$10\r\nSSUBSCRIBE\r\n$1\r\ns\r\n*1\r\n$4\r\nEXEC\r\n');
    await next(c);
    await next(c);
    expect(await next(c)).toBe("*1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n");
    expect(await c.call('PING')).toBe('+PONG\r\n');
    c.close();
  });
});

describe('RESP3', () => {
  it('confirmations and messages are pushes, and every command stays allowed', async () => {
    const s = await conn();
    await s.call('HELLO', '3');
    expect(await s.call('SUBSCRIBE', 'r3')).toBe(push('subscribe', 'r3', 1));
    expect(await s.call('PSUBSCRIBE', 'r3*')).toBe(push('psubscribe', 'r3*', 2));
    expect(await s.call('PING')).toBe('+PONG\r\n');
    expect(await s.call('SET', 'r3:k', 'v')).toBe('+OK\r\n');
    // Publishing to itself: the pushes are written before the PUBLISH reply, as in Redis.
    s.write('*3\r\n$7\r\nPUBLISH\r\n$2\r\nr3\r\n$2\r\nhi\r\n');
    expect(await next(s)).toBe(push('message', 'r3', 'hi'));
    expect(await next(s)).toBe(push('pmessage', 'r3*', 'r3', 'hi'));
    expect(await next(s)).toBe(':2\r\n');
    expect(await s.call('UNSUBSCRIBE')).toBe(push('unsubscribe', 'r3', 1));
    expect(await s.call('PUNSUBSCRIBE')).toBe(push('punsubscribe', 'r3*', 0));
    expect(await s.call('UNSUBSCRIBE')).toBe(push('unsubscribe', null, 0));
    s.close();
  });

  it('a client switched back to RESP2 while subscribed is held to the pub/sub context', async () => {
    const s = await conn();
    await s.call('HELLO', '3');
    await s.call('SUBSCRIBE', 'sw');
    expect((await s.call('HELLO', '2')).startsWith('*14\r\n')).toBe(true);
    expect(await s.call('GET', 'x')).toBe(CONTEXT_ERROR('get'));
    const p = await conn();
    expect(await p.call('PUBLISH', 'sw', 'now resp2')).toBe(':1\r\n');
    expect(await next(s)).toBe(arr('message', 'sw', 'now resp2'));
    s.close();
    p.close();
  });
});

describe('shard channels (not a cluster)', () => {
  it('SSUBSCRIBE / SPUBLISH / SUNSUBSCRIBE: own namespace, own count, smessage, no patterns', async () => {
    const s = await conn();
    expect(await s.call('SUBSCRIBE', 'both')).toBe(arr('subscribe', 'both', 1));
    expect(await s.call('PSUBSCRIBE', '*')).toBe(arr('psubscribe', '*', 2));
    s.write('*3\r\n$10\r\nSSUBSCRIBE\r\n$4\r\nboth\r\n$3\r\nsh2\r\n');
    expect(await next(s)).toBe(arr('ssubscribe', 'both', 1));
    expect(await next(s)).toBe(arr('ssubscribe', 'sh2', 2));
    const p = await conn();
    expect(await p.call('SPUBLISH', 'both', 'shard msg')).toBe(':1\r\n');
    expect(await next(s)).toBe(arr('smessage', 'both', 'shard msg'));
    expect(await p.call('PUBLISH', 'sh2', 'classic')).toBe(':1\r\n');
    expect(await next(s)).toBe(arr('pmessage', '*', 'sh2', 'classic'));
    expect(await p.call('SPUBLISH', 'nobody', 'x')).toBe(':0\r\n');
    expect(await p.value('PUBSUB', 'SHARDCHANNELS')).toEqual(expect.arrayContaining(['both', 'sh2']));
    expect(await p.value('PUBSUB', 'SHARDCHANNELS', 'sh?')).toEqual(['sh2']);
    expect(await p.value('PUBSUB', 'SHARDNUMSUB', 'both', 'sh2', 'none')).toEqual(['both', 1, 'sh2', 1, 'none', 0]);
    expect(await p.value('PUBSUB', 'NUMSUB', 'sh2')).toEqual(['sh2', 0]);
    expect(await s.call('SUNSUBSCRIBE', 'both')).toBe(arr('sunsubscribe', 'both', 1));
    expect(await p.value('PUBSUB', 'SHARDNUMSUB', 'both')).toEqual(['both', 0]);
    s.close();
    p.close();
  });
});

describe('PUBSUB introspection and errors', () => {
  it('CHANNELS, NUMSUB, NUMPAT, HELP and their errors', async () => {
    const a = await conn();
    const b = await conn();
    await a.call('SUBSCRIBE', 'intro:one');
    await b.call('SUBSCRIBE', 'intro:one');
    await b.call('SUBSCRIBE', 'intro:two');
    await b.call('PSUBSCRIBE', 'intro:*');
    await a.call('PSUBSCRIBE', 'intro:*');
    const p = await conn();
    expect(((await p.value('PUBSUB', 'CHANNELS', 'intro:*')) as string[]).sort()).toEqual(['intro:one', 'intro:two']);
    expect(await p.value('PUBSUB', 'CHANNELS', 'intro:o*')).toEqual(['intro:one']);
    expect(await p.value('PUBSUB', 'CHANNELS')).toEqual(expect.arrayContaining(['intro:one', 'intro:two']));
    expect(await p.value('PUBSUB', 'NUMSUB', 'intro:one', 'intro:two', 'intro:x')).toEqual(['intro:one', 2, 'intro:two', 1, 'intro:x', 0]);
    expect(await p.call('PUBSUB', 'NUMSUB')).toBe('*0\r\n');
    // Distinct patterns, not subscriptions.
    expect(await p.value('PUBSUB', 'NUMPAT')).toBe(1);
    const help = (await p.value('PUBSUB', 'HELP')) as string[];
    expect(help[0]).toBe('PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help).toContain('NUMSUB [<channel> ...]');
    expect(help[help.length - 1]).toBe('    Print this help.');
    expect(await p.call('PUBSUB', 'channels', 'a', 'b')).toBe("-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.\r\n");
    expect(await p.call('PUBSUB', 'SHARDCHANNELS', 'a', 'b')).toBe("-ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. Try PUBSUB HELP.\r\n");
    expect(await p.call('PUBSUB', 'NUMPAT', 'x')).toBe("-ERR wrong number of arguments for 'pubsub|numpat' command\r\n");
    expect(await p.call('PUBSUB', 'FOO')).toBe("-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n");
    expect(await p.call('PUBSUB')).toBe("-ERR wrong number of arguments for 'pubsub' command\r\n");
    expect(await p.call('SUBSCRIBE')).toBe("-ERR wrong number of arguments for 'subscribe' command\r\n");
    expect(await p.call('PSUBSCRIBE')).toBe("-ERR wrong number of arguments for 'psubscribe' command\r\n");
    expect(await p.call('SSUBSCRIBE')).toBe("-ERR wrong number of arguments for 'ssubscribe' command\r\n");
    expect(await p.call('PUBLISH', 'a')).toBe("-ERR wrong number of arguments for 'publish' command\r\n");
    expect(await p.call('SPUBLISH', 'a', 'b', 'c')).toBe("-ERR wrong number of arguments for 'spublish' command\r\n");
    a.close();
    b.close();
    p.close();
  });

  it('INFO counts channels, patterns, shard channels and pub/sub clients; CLIENT LIST shows sub/psub/ssub and flag P', async () => {
    // Every earlier test closed its subscribers; once the server has seen that, counts start at 0.
    await waitFor('earlier subscribers to be gone', async () => /^pubsub_clients:0\r$/m.test(await admin<string>('INFO', 'clients')));
    const before = await admin<string>('INFO', 'everything');
    const s = await conn();
    await s.call('SUBSCRIBE', 'inf:a');
    await s.call('SUBSCRIBE', 'inf:b');
    await s.call('PSUBSCRIBE', 'inf:*');
    await s.call('SSUBSCRIBE', 'inf:s');
    const id = await RawConnection.using(server().port, async (c) => {
      const info = (await c.value('INFO', 'everything')) as string;
      const delta = (f: string): number => Number(infoField(info, f)) - Number(infoField(before, f));
      expect(delta('pubsub_channels')).toBe(2);
      expect(delta('pubsub_patterns')).toBe(1);
      expect(delta('pubsubshard_channels')).toBe(1);
      expect(delta('pubsub_clients')).toBe(1);
      const list = (await c.value('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
      const line = list.split('\n').find((l) => l.includes(' sub=2 '))!;
      expect(line).toMatch(/ flags=P /);
      expect(line).toMatch(/ sub=2 psub=1 ssub=1 /);
      expect((await c.value('CLIENT', 'LIST', 'TYPE', 'normal')) as string).not.toContain(' sub=2 ');
      return Number(/^id=(\d+)/.exec(line)![1]);
    });
    expect(await s.call('RESET')).toBe('+RESET\r\n');
    const info = await admin<string>('INFO', 'everything');
    expect(infoField(info, 'pubsub_channels')).toBe(infoField(before, 'pubsub_channels'));
    expect(infoField(info, 'pubsub_clients')).toBe(infoField(before, 'pubsub_clients'));
    const line = await admin<string>('CLIENT', 'LIST', 'ID', id);
    expect(line).toMatch(/ flags=N /);
    expect(line).toMatch(/ sub=0 psub=0 ssub=0 /);
    s.close();
  });
});

describe('subscriptions end with the connection', () => {
  it('RESET, disconnect and CLIENT KILL drop every subscription', async () => {
    const p = await conn();
    const s1 = await conn();
    await s1.call('SUBSCRIBE', 'gone');
    await s1.call('PSUBSCRIBE', 'gone*');
    await s1.call('SSUBSCRIBE', 'gone');
    expect(await s1.call('RESET')).toBe('+RESET\r\n');
    expect(await p.call('PUBLISH', 'gone', 'x')).toBe(':0\r\n');
    expect(await p.call('SPUBLISH', 'gone', 'x')).toBe(':0\r\n');

    const s2 = await conn();
    await s2.call('SUBSCRIBE', 'gone');
    await s2.call('PSUBSCRIBE', 'gone*');
    s2.close();
    await waitFor('the closed subscriber to be forgotten', async () => (await p.value('PUBLISH', 'gone', 'x')) === 0);
    expect(await p.value('PUBSUB', 'NUMSUB', 'gone')).toEqual(['gone', 0]);

    const s3 = await conn();
    await s3.call('SUBSCRIBE', 'gone');
    const list = await admin<string>('CLIENT', 'LIST', 'TYPE', 'pubsub');
    const victim = /id=(\d+)/.exec(list.split('\n').find((l) => l.includes(' sub=1 '))!)![1]!;
    // In one pipeline: the kill takes effect before the next command, as Redis frees the client.
    p.write('*4\r\n$6\r\nCLIENT\r\n$4\r\nKILL\r\n$2\r\nID\r\n' + `$${victim.length}\r\n${victim}\r\n` + '*3\r\n$7\r\nPUBLISH\r\n$4\r\ngone\r\n$1\r\nx\r\n');
    expect(await next(p)).toBe(':1\r\n');
    expect(await next(p)).toBe(':0\r\n');
    expect(await s3.waitClosed()).toBe(true);
    p.close();
  });
});

describe('patterns and binary-safe names', () => {
  it('matches with the glob rules of Redis and keeps every byte', async () => {
    const s = await conn();
    const patterns = ['g:h?llo', 'g:h[ae]llo', 'g:h[^e]llo', 'g:h*llo', 'g:\\*', 'g:[a-c]x'];
    for (const [i, pat] of patterns.entries()) expect(await s.call('PSUBSCRIBE', pat)).toBe(arr('psubscribe', pat, i + 1));
    const p = await conn();
    const receivers = async (ch: string): Promise<number> => {
      const n = (await p.value('PUBLISH', ch, 'm')) as number;
      for (let i = 0; i < n; i++) await next(s);
      return n;
    };
    expect(await receivers('g:hello')).toBe(3); // h?llo, h[ae]llo, h*llo
    expect(await receivers('g:hallo')).toBe(4); // …and h[^e]llo
    expect(await receivers('g:heeeello')).toBe(1); // h*llo
    expect(await receivers('g:*')).toBe(1); // the escaped star only matches a star
    expect(await receivers('g:x')).toBe(0);
    expect(await receivers('g:bx')).toBe(1);
    const bin = Buffer.from([0x62, 0x00, 0xff, 0x0d, 0x0a]);
    expect(await s.call('SUBSCRIBE', bin)).toBe(arr('subscribe', bin.toString('latin1'), 7));
    const payload = Buffer.from([0x00, 0x0d, 0x0a, 0xfe, 0x24]);
    expect(await p.value('PUBLISH', bin, payload)).toBe(1);
    expect(await next(s)).toBe(arr('message', bin.toString('latin1'), payload.toString('latin1')));
    expect(await p.value('PUBSUB', 'NUMSUB', bin)).toEqual([bin.toString('latin1'), 1]);
    s.close();
    p.close();
  });
});

describe('many subscribers', () => {
  it('a thousand subscribers each get every pipelined message, in order', async () => {
    const N = 1000;
    const M = 50;
    const subs = await Promise.all(Array.from({ length: N }, () => conn()));
    await Promise.all(
      subs.map(async (s, i) => {
        expect(await s.call('SUBSCRIBE', 'fan')).toBe(arr('subscribe', 'fan', 1));
        if (i % 2 === 0) expect(await s.call('PSUBSCRIBE', 'fa*')).toBe(arr('psubscribe', 'fa*', 2));
      }),
    );
    const p = await conn();
    let pipeline = '';
    for (let m = 0; m < M; m++) pipeline += `*3\r\n$7\r\nPUBLISH\r\n$3\r\nfan\r\n$${String(m).length}\r\n${m}\r\n`;
    p.write(pipeline);
    for (let m = 0; m < M; m++) expect(await next(p)).toBe(`:${N + N / 2}\r\n`);
    await Promise.all(
      subs.map(async (s, i) => {
        for (let m = 0; m < M; m++) {
          expect(await next(s)).toBe(arr('message', 'fan', String(m)));
          if (i % 2 === 0) expect(await next(s)).toBe(arr('pmessage', 'fa*', 'fan', String(m)));
        }
      }),
    );
    for (const s of subs) s.close();
    await waitFor('every subscriber to be forgotten', async () => (await p.value('PUBLISH', 'fan', 'x')) === 0);
    expect(await p.value('PUBSUB', 'NUMPAT')).toBe(0);
    p.close();
  });
});

describe('client-output-buffer-limit', () => {
  it('shows, validates and sets per-class limits as Redis', async () => {
    const c = await conn();
    expect(await c.value('CONFIG', 'GET', 'client-output-buffer-limit')).toEqual(['client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60']);
    expect(await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 512kb 10 replica 1gb 0 0')).toBe('+OK\r\n');
    expect(await c.value('CONFIG', 'GET', 'client-output-buffer-limit')).toEqual(['client-output-buffer-limit', 'normal 0 0 0 slave 1073741824 0 0 pubsub 1048576 524288 10']);
    expect(await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 0')).toBe("-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration.\r\n");
    expect(await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'master 1mb 0 0')).toBe("-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration.\r\n");
    expect(await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1zb 0 0')).toBe("-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration.\r\n");
    expect(await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60')).toBe('+OK\r\n');
    c.close();
  });

  it('closes a subscriber that stops reading once its output passes the hard limit, and one held over the soft limit too long', async () => {
    const c = await conn();
    const disconnectionsBefore = Number(infoField((await c.value('INFO', 'stats')) as string, 'client_output_buffer_limit_disconnections'));
    const big = Buffer.alloc(256 * 1024, 0x61);
    for (const limit of ['pubsub 1mb 0 0', 'pubsub 0 512kb 1']) {
      expect(await c.call('CONFIG', 'SET', 'client-output-buffer-limit', limit)).toBe('+OK\r\n');
      const s = await conn();
      await s.call('SUBSCRIBE', 'slow');
      // The subscriber reads nothing more: what the server sends piles up on its side.
      s.socket.pause();
      await waitFor(`the server to close the subscriber (${limit})`, async () => (await c.value('PUBLISH', 'slow', big)) === 0, 30_000, 100);
      expect(await c.value('PUBSUB', 'NUMSUB', 'slow')).toEqual(['slow', 0]);
      s.close();
    }
    const info = (await c.value('INFO', 'stats')) as string;
    expect(Number(infoField(info, 'client_output_buffer_limit_disconnections'))).toBe(disconnectionsBefore + 2);
    expect(await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60')).toBe('+OK\r\n');
    c.close();
  });
});

describe('ioredis', () => {
  it('subscribes to channels and patterns and receives messages', async () => {
    const sub = new Redis({ port: server().port, lazyConnect: true });
    const pub = new Redis({ port: server().port, lazyConnect: true });
    await Promise.all([sub.connect(), pub.connect()]);
    const got: string[] = [];
    sub.on('message', (ch: string, msg: string) => got.push(`message ${ch} ${msg}`));
    sub.on('pmessage', (pat: string, ch: string, msg: string) => got.push(`pmessage ${pat} ${ch} ${msg}`));
    expect(await sub.subscribe('io:news', 'io:sport')).toBe(2);
    expect(await sub.psubscribe('io:*')).toBe(3);
    expect(await pub.publish('io:news', 'n1')).toBe(2);
    expect(await pub.publish('io:other', 'o1')).toBe(1);
    await waitFor('ioredis to deliver three messages', () => got.length === 3);
    expect(got).toEqual(['message io:news n1', 'pmessage io:* io:news n1', 'pmessage io:* io:other o1']);
    expect(await pub.pubsub('NUMSUB', 'io:news')).toEqual(['io:news', 1]);
    // Named: ioredis resolves an UNSUBSCRIBE without names only once nothing at all is left.
    expect(await sub.unsubscribe('io:news', 'io:sport')).toBe(1);
    expect(await sub.punsubscribe('io:*')).toBe(0);
    // Out of subscriber mode, ordinary commands work again on the same connection.
    expect(await sub.ping()).toBe('PONG');
    sub.disconnect();
    pub.disconnect();
  });
});

describe.skipIf(skipWithout('redis-cli'))('redis-cli', () => {
  beforeAll(() => requireTool('redis-cli'));

  it('`redis-cli subscribe` and `psubscribe` print the messages', async () => {
    const child = spawn('redis-cli', ['-p', String(server().port), 'subscribe', 'cli:ch'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const pchild = spawn('redis-cli', ['-p', String(server().port), 'psubscribe', 'cli:*'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let pout = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    pchild.stdout.on('data', (d: Buffer) => (pout += d.toString()));
    try {
      await waitFor('redis-cli to subscribe', () => out.includes('subscribe\ncli:ch\n1\n') && pout.includes('psubscribe\ncli:*\n1\n'));
      const p = await conn();
      expect(await p.call('PUBLISH', 'cli:ch', 'hello world')).toBe(':2\r\n');
      await waitFor('redis-cli to print the message', () => out.includes('message\ncli:ch\nhello world\n') && pout.includes('pmessage\ncli:*\ncli:ch\nhello world\n'));
      p.close();
    } finally {
      child.kill();
      pchild.kill();
    }
  });

  it('PUBSUB and PUBLISH from the command line', () => {
    const r = spawnSync('redis-cli', ['-p', String(server().port), 'PUBSUB', 'NUMPAT'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^\d+\n$/);
  });
});

describe.skipIf(skipWithout('python3 redis'))('redis-py', () => {
  beforeAll(() => requireTool('python3 redis'));

  it('PubSub objects subscribe, receive and introspect', () => {
    const script = `
import json, time, redis
r = redis.Redis(host='127.0.0.1', port=${server().port})
p = r.pubsub()
p.subscribe('py:ch')
p.psubscribe('py:*')
seen = []
def drain(n):
    deadline = time.time() + 30
    while len(seen) < n and time.time() < deadline:
        m = p.get_message(timeout=1.0)
        if m is not None:
            seen.append({k: (v.decode() if isinstance(v, bytes) else v) for k, v in m.items()})
drain(2)
out = {'confirmations': [(m['type'], m['channel'], m['data']) for m in seen]}
seen.clear()
out['receivers'] = r.publish('py:ch', 'hello')
drain(2)
out['messages'] = sorted([(m['type'], m['channel'], m['data'], m['pattern']) for m in seen], key=str)
out['numsub'] = [[c.decode(), n] for c, n in r.pubsub_numsub('py:ch')]
out['numpat'] = r.pubsub_numpat()
out['channels'] = sorted(c.decode() for c in r.pubsub_channels('py:*'))
p.close()
print(json.dumps(out))
`;
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out.confirmations).toEqual([['subscribe', 'py:ch', 1], ['psubscribe', 'py:*', 2]]);
    expect(out.receivers).toBe(2);
    expect(out.messages).toEqual([['message', 'py:ch', 'hello', null], ['pmessage', 'py:ch', 'hello', 'py:*']]);
    expect(out.numsub).toEqual([['py:ch', 1]]);
    expect(out.numpat).toBeGreaterThanOrEqual(1);
    expect(out.channels).toEqual(['py:ch']);
  });
});
