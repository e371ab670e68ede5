/**
 * CLIENT KILL in its old and filter forms, with Redis's replies and errors, and the transaction
 * Sentinel sends a server it reconfigures (CONFIG REWRITE and CLIENT KILL TYPE normal / pubsub
 * inside MULTI/EXEC). One server per test: killing by type or address reaches every connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { MAIN, freePort, startServer, waitForPort, type RunningServer } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';
import { waitFor } from './helpers/wait.js';

let running: RunningServer | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

async function fresh(args: string[] = []): Promise<() => Promise<RawConnection>> {
  running = await startServer({ args });
  const port = running.port;
  return () => RawConnection.connect(port);
}

/** A connection's CLIENT INFO fields. */
async function info(c: RawConnection): Promise<Record<string, string>> {
  const line = (await c.value('CLIENT', 'INFO')) as string;
  return Object.fromEntries(line.trim().split(' ').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
}

describe('CLIENT KILL', () => {
  it('checks filters in order with Redis error texts', async () => {
    const conn = await fresh();
    const c = await conn();
    const cases: Array<[string[], string]> = [
      [['ID', 'abc', 'FOO'], '-ERR client-id should be greater than 0\r\n'],
      [['ID', '-1'], '-ERR client-id should be greater than 0\r\n'],
      [['MAXAGE', 'x'], '-ERR maxage is not an integer or out of range\r\n'],
      [['MAXAGE', '0'], '-ERR maxage should be greater than 0\r\n'],
      [['USER', 'nobody', 'x'], "-ERR No such user 'nobody'\r\n"],
      [['TYPE', 'foo'], "-ERR Unknown client type 'foo'\r\n"],
      [['SKIPME', 'maybe'], '-ERR syntax error\r\n'],
      [['ID', '1', 'SKIPME'], '-ERR syntax error\r\n'],
      [['FOO', 'x'], '-ERR syntax error\r\n'],
      // A lone word is the old form: an address.
      [['SKIPME'], '-ERR No such client\r\n'],
      [['1.2.3.4:5'], '-ERR No such client\r\n'],
      [[], "-ERR wrong number of arguments for 'client|kill' command\r\n"],
      [['TYPE', 'master'], ':0\r\n'],
      [['TYPE', 'replica'], ':0\r\n'],
      [['TYPE', 'SLAVE'], ':0\r\n'],
      [['MAXAGE', '100000'], ':0\r\n'],
    ];
    for (const [args, reply] of cases) expect(await c.call('CLIENT', 'KILL', ...args), args.join(' ')).toBe(reply);
    c.close();
  });

  it('by TYPE: normal spares subscribers and the caller, pubsub takes only subscribers', async () => {
    const conn = await fresh();
    const [caller, n1, n2, sub, psub] = await Promise.all([conn(), conn(), conn(), conn(), conn()]);
    await sub.call('SUBSCRIBE', 'ch');
    await psub.call('HELLO', '3');
    await psub.call('PSUBSCRIBE', '*');
    expect(await caller.call('CLIENT', 'KILL', 'TYPE', 'normal')).toBe(':2\r\n');
    expect(await n1.waitClosed()).toBe(true);
    expect(await n2.waitClosed()).toBe(true);
    expect(await caller.call('PUBLISH', 'ch', 'still here')).toBe(':2\r\n');
    expect(await caller.call('CLIENT', 'KILL', 'TYPE', 'PUBSUB')).toBe(':2\r\n');
    expect(await sub.waitClosed()).toBe(true);
    expect(await psub.waitClosed()).toBe(true);
    expect(await caller.call('PING')).toBe('+PONG\r\n');
    caller.close();
  });

  it('by ADDR, LADDR, USER and ID; SKIPME no and the old form may kill the caller after its reply', async () => {
    const conn = await fresh();
    const [caller, a, b, d] = await Promise.all([conn(), conn(), conn(), conn()]);
    const ai = await info(a);
    expect(await caller.call('CLIENT', 'KILL', 'ADDR', ai.addr!)).toBe(':1\r\n');
    expect(await a.waitClosed()).toBe(true);
    expect(await caller.call('CLIENT', 'KILL', 'ADDR', ai.addr!)).toBe(':0\r\n');
    expect(await caller.call('CLIENT', 'KILL', 'ID', (await info(b)).id!, 'USER', 'default')).toBe(':1\r\n');
    expect(await b.waitClosed()).toBe(true);
    // Every connection shares the local address; SKIPME yes (the default) spares the caller.
    const ci = await info(caller);
    expect(await caller.call('CLIENT', 'KILL', 'LADDR', ci.laddr!)).toBe(':1\r\n');
    expect(await d.waitClosed()).toBe(true);
    expect(await caller.call('CLIENT', 'KILL', 'ID', ci.id!)).toBe(':0\r\n');
    expect(await caller.call('CLIENT', 'KILL', 'ID', ci.id!, 'SKIPME', 'no')).toBe(':1\r\n');
    expect(await caller.waitClosed()).toBe(true);
    const self = await conn();
    expect(await self.call('CLIENT', 'KILL', (await info(self)).addr!)).toBe('+OK\r\n');
    expect(await self.waitClosed()).toBe(true);
  });

  it('MAXAGE kills only connections at least that many seconds old', async () => {
    const conn = await fresh();
    const [caller, old] = await Promise.all([conn(), conn()]);
    const id = (await info(old)).id!;
    // The age is in whole seconds, so this becomes true within about a second.
    await waitFor('the connection to be a second old', async () => (await caller.value('CLIENT', 'KILL', 'ID', id, 'MAXAGE', '1')) === 1);
    expect(await old.waitClosed()).toBe(true);
    const young = await conn();
    expect(await caller.call('CLIENT', 'KILL', 'ID', (await info(young)).id!, 'MAXAGE', '3600')).toBe(':0\r\n');
    young.close();
    caller.close();
  });

  it("Sentinel's reconfiguration transaction rewrites the config and disconnects clients and subscribers", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-kill-'));
    const conf = path.join(dir, 'vsetd.conf');
    fs.writeFileSync(conf, 'hz 10\n');
    // Started by hand: startServer puts --port first, where the config file must come.
    const port = await freePort();
    const proc = spawn(process.execPath, [MAIN, conf, '--port', String(port), '--dir', dir, '--save', ''], { stdio: 'ignore' });
    try {
      await waitForPort(port, 20_000, proc);
      const conn = (): Promise<RawConnection> => RawConnection.connect(port);
      const [sentinelCmd, sentinelPubsub, app, listener] = await Promise.all([conn(), conn(), conn(), conn()]);
      expect(await sentinelCmd.call('CLIENT', 'SETNAME', 'sentinel-0123abcd-cmd')).toBe('+OK\r\n');
      expect(await sentinelPubsub.call('CLIENT', 'SETNAME', 'sentinel-0123abcd-pubsub')).toBe('+OK\r\n');
      expect(await sentinelPubsub.call('SUBSCRIBE', '__sentinel__:hello')).toBe('*3\r\n$9\r\nsubscribe\r\n$18\r\n__sentinel__:hello\r\n:1\r\n');
      await listener.call('SUBSCRIBE', 'app-events');
      expect(await sentinelCmd.call('PUBLISH', '__sentinel__:hello', '127.0.0.1,26379,0123abcd,0,mymaster,127.0.0.1,6379,0')).toBe(':1\r\n');
      expect((await sentinelPubsub.readReply()).value).toEqual(['message', '__sentinel__:hello', '127.0.0.1,26379,0123abcd,0,mymaster,127.0.0.1,6379,0']);
      // What Sentinel sends around its SLAVEOF (which belongs to the replication work).
      sentinelCmd.write(
        '*1\r\n$5\r\nMULTI\r\n*2\r\n$6\r\nCONFIG\r\n$7\r\nREWRITE\r\n' +
          '*4\r\n$6\r\nCLIENT\r\n$4\r\nKILL\r\n$4\r\nTYPE\r\n$6\r\nnormal\r\n' +
          '*4\r\n$6\r\nCLIENT\r\n$4\r\nKILL\r\n$4\r\nTYPE\r\n$6\r\npubsub\r\n*1\r\n$4\r\nEXEC\r\n',
      );
      expect((await sentinelCmd.readReply()).raw).toBe('+OK\r\n');
      for (let i = 0; i < 3; i++) expect((await sentinelCmd.readReply()).raw).toBe('+QUEUED\r\n');
      expect((await sentinelCmd.readReply()).raw).toBe('*3\r\n+OK\r\n:1\r\n:2\r\n');
      expect(await app.waitClosed()).toBe(true);
      expect(await listener.waitClosed()).toBe(true);
      expect(await sentinelPubsub.waitClosed()).toBe(true);
      expect(fs.readFileSync(conf, 'utf8')).toContain('# Generated by CONFIG REWRITE\n');
      expect(await sentinelCmd.call('PING')).toBe('+PONG\r\n');
      sentinelCmd.close();
    } finally {
      proc.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('idle timeout', () => {
  it('closes idle normal clients but never a subscriber', async () => {
    const conn = await fresh(['--timeout', '1']);
    const [idle, sub] = await Promise.all([conn(), conn()]);
    // The subscriber falls silent first: were it not exempt, it would go no later than `idle`.
    await sub.call('SUBSCRIBE', 'quiet');
    await idle.call('PING');
    expect(await idle.waitClosed(30_000)).toBe(true);
    const p = await conn();
    expect(await p.call('PUBLISH', 'quiet', 'you are still here')).toBe(':1\r\n');
    expect((await sub.readReply()).value).toEqual(['message', 'quiet', 'you are still here']);
    sub.close();
    p.close();
  });
});
