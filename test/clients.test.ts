/**
 * The four clients users point at vsetd — ioredis, node-redis (RESP2 and RESP3), redis-cli and
 * Python's redis module — each doing what an application does on connect and in normal use:
 * AUTH, SELECT, a 10k-command pipeline, SCAN over 10k keys, MULTI/EXEC, and a WATCH abort.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { serverForFile } from './helpers/server.js';
import { PYTHON, requireTool, skipWithout } from './helpers/tools.js';

const PASSWORD = 'pw-for-tests';
const server = serverForFile({ args: ['--requirepass', PASSWORD] });

describe('ioredis', () => {
  it('connects with AUTH and SELECT, pipelines 10k commands, scans 10k keys, runs MULTI and aborts on WATCH', async () => {
    const r = new Redis({ port: server().port, password: PASSWORD, db: 3, lazyConnect: true });
    await r.connect();
    expect(await r.ping()).toBe('PONG');
    const p = r.pipeline();
    for (let i = 0; i < 10_000; i++) p.set(`io:${i}`, String(i));
    const res = await p.exec();
    expect(res!.length).toBe(10_000);
    expect(res!.every(([err, v]) => err === null && v === 'OK')).toBe(true);
    expect(await r.dbsize()).toBe(10_000);
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const s = r.scanStream({ match: 'io:*', count: 500 });
      s.on('data', (keys: string[]) => keys.forEach((k) => seen.add(k)));
      s.on('end', () => resolve());
      s.on('error', reject);
    });
    expect(seen.size).toBe(10_000);
    const tx = await r.multi().set('io:tx', 'a').incr('io:n').get('io:tx').exec();
    expect(tx).toEqual([[null, 'OK'], [null, 1], [null, 'a']]);
    await r.watch('io:w');
    const other = new Redis({ port: server().port, password: PASSWORD, db: 3 });
    await other.set('io:w', 'changed');
    const aborted = await r.multi().set('io:w', 'mine').exec();
    expect(aborted).toBeNull();
    expect(await r.get('io:w')).toBe('changed');
    // Errors come back as ReplyError with Redis's text.
    await expect(r.call('NOSUCH')).rejects.toThrow("ERR unknown command 'NOSUCH'");
    await r.flushdb();
    other.disconnect();
    r.disconnect();
  });

  it('a wrong password fails the connection with WRONGPASS', async () => {
    const r = new Redis({ port: server().port, password: 'nope', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    const errors: string[] = [];
    r.on('error', (e: Error) => errors.push(e.message));
    await expect(r.connect()).rejects.toThrow();
    expect(errors.some((m) => m.includes('WRONGPASS invalid username-password pair or user is disabled.'))).toBe(true);
    r.disconnect();
  });
});

describe.each([2, 3] as const)('node-redis RESP%i', (resp) => {
  it('connects, pipelines, scans, MULTI/EXEC, WATCH abort', async () => {
    const client = createClient({ socket: { port: server().port, host: '127.0.0.1' }, password: PASSWORD, database: 2, RESP: resp });
    client.on('error', () => {});
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    const replies = await Promise.all(Array.from({ length: 10_000 }, (_, i) => client.set(`nr:${i}`, String(i))));
    expect(replies.every((v) => v === 'OK')).toBe(true);
    const seen = new Set<string>();
    for await (const keys of client.scanIterator({ MATCH: 'nr:*', COUNT: 1000 })) {
      for (const k of keys) seen.add(k);
    }
    expect(seen.size).toBe(10_000);
    const tx = await client.multi().set('nr:tx', 'v').get('nr:tx').exec();
    expect(tx).toEqual(['OK', 'v']);
    const isolated = await client.duplicate().on('error', () => {}).connect();
    await isolated.watch('nr:w');
    await client.set('nr:w', 'other');
    await expect(isolated.multi().set('nr:w', 'mine').exec()).rejects.toThrow(/watch/i);
    expect(await client.get('nr:w')).toBe('other');
    const hello = (await client.sendCommand(['HELLO'])) as unknown;
    if (resp === 3) expect((hello as Record<string, unknown>)['proto']).toBe(3);
    else expect(Array.isArray(hello)).toBe(true);
    await client.flushDb();
    await isolated.quit();
    await client.quit();
  });
});

describe.skipIf(skipWithout('redis-cli'))('redis-cli', () => {
  beforeAll(() => requireTool('redis-cli'));
  const cli = (...args: string[]): string =>
    execFileSync('redis-cli', ['-p', String(server().port), '-a', PASSWORD, '--no-auth-warning', ...args], { encoding: 'utf8', timeout: 20_000 });

  it('prints replies as it does against Redis', () => {
    expect(cli('PING')).toBe('PONG\n');
    expect(cli('-n', '5', 'SET', 'cli:k', 'hello')).toBe('OK\n');
    expect(cli('-n', '5', 'GET', 'cli:k')).toBe('hello\n');
    expect(cli('-n', '5', 'GET', 'cli:missing')).toBe('\n');
    expect(cli('-n', '5', 'DBSIZE')).toBe('1\n');
    expect(cli('-n', '5', 'INCR', 'cli:n')).toBe('1\n');
    // redis-cli prints an error followed by an empty line when not on a TTY, against Redis too.
    expect(cli('NOSUCH', 'x')).toBe("ERR unknown command 'NOSUCH', with args beginning with: 'x' \n\n");
    const hello = cli('-3', 'HELLO', '3');
    expect(hello).toContain('server redis\n');
    expect(hello).toContain('proto 3\n');
    expect(cli('INFO', 'server')).toMatch(/^# Server\r?\nredis_version:8/);
    expect(cli('-n', '5', '--scan', '--pattern', 'cli:*').split('\n').filter(Boolean).sort()).toEqual(['cli:k', 'cli:n']);
    expect(cli('-n', '5', 'FLUSHDB')).toBe('OK\n');
  });

  it('authenticates and reports a bad password', () => {
    const r = spawnSync('redis-cli', ['-p', String(server().port), '-a', 'bad', '--no-auth-warning', 'PING'], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/WRONGPASS|NOAUTH/);
  });
});

describe.skipIf(skipWithout('python3 redis'))('redis-py', () => {
  const python = PYTHON;
  beforeAll(() => requireTool('python3 redis'));

  it('connects with AUTH and db, pipelines, scans, MULTI/EXEC, WATCH abort', () => {
    const script = `
import json, sys, redis
r = redis.Redis(host='127.0.0.1', port=${server().port}, password='${PASSWORD}', db=4, client_name='py-test')
out = {}
out['ping'] = r.ping()
p = r.pipeline(transaction=False)
for i in range(10000):
    p.set('py:%d' % i, i)
out['pipeline_ok'] = all(x is True for x in p.execute())
out['scanned'] = len(set(r.scan_iter(match='py:*', count=700)))
tx = r.pipeline()
tx.set('py:tx', 'v'); tx.incr('py:n'); tx.get('py:tx')
out['tx'] = [x.decode() if isinstance(x, bytes) else x for x in tx.execute()]
w = r.pipeline()
w.watch('py:w')
r2 = redis.Redis(host='127.0.0.1', port=${server().port}, password='${PASSWORD}', db=4)
r2.set('py:w', 'other')
w.multi(); w.set('py:w', 'mine')
try:
    w.execute(); out['watch'] = 'executed'
except redis.WatchError:
    out['watch'] = 'aborted'
out['w'] = r.get('py:w').decode()
out['name'] = r.client_getname()
info = r.info()
out['loading'] = info['loading']
out['keyspace'] = info['db4']['keys']
try:
    r.execute_command('NOSUCH')
except redis.ResponseError as e:
    out['error'] = str(e)
r.flushdb()
print(json.dumps(out))
`;
    const r = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toEqual({
      ping: true,
      pipeline_ok: true,
      scanned: 10_000,
      tx: [true, 1, 'v'],
      watch: 'aborted',
      w: 'other',
      name: 'py-test',
      loading: 0,
      keyspace: 10_003,
      error: "unknown command 'NOSUCH', with args beginning with: ",
    });
  });
});
