import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { MAIN, freePort, serverForFile, startServer, waitForPort } from './helpers/server.js';
import { RawConnection, type RespValue } from './helpers/raw.js';

const server = serverForFile({ args: ['--enable-debug-command', 'local'] });

function infoFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

function mapOf(v: RespValue): Map<string, RespValue> {
  const out = new Map<string, RespValue>();
  if (Array.isArray(v)) for (let i = 0; i < v.length; i += 2) out.set(String(v[i]), v[i + 1]!);
  else if (v && typeof v === 'object' && 'map' in v) for (const [k, val] of v.map) out.set(String(k), val);
  return out;
}

describe('INFO', () => {
  it('has the default sections and the fields clients read', async () => {
    const c = await RawConnection.connect(server().port);
    const text = (await c.value('INFO')) as string;
    for (const s of ['# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# CPU', '# Keyspace']) expect(text).toContain(s + '\r\n');
    expect(text).not.toContain('# Commandstats');
    expect(text).toMatch(/\r\nredis_version:8\.\d+\.\d+\r\n/);
    const f = infoFields(text);
    expect(f.get('loading')).toBe('0');
    expect(f.get('role')).toBe('master');
    expect(f.get('redis_mode')).toBe('standalone');
    expect(f.get('tcp_port')).toBe(String(server().port));
    expect(Number(f.get('connected_clients'))).toBeGreaterThanOrEqual(1);
    expect(Number(f.get('used_memory'))).toBeGreaterThan(0);
    expect(f.get('aof_last_bgrewrite_status')).toBe('ok');
    expect(f.get('used_cpu_user')).toMatch(/^\d+\.\d{6}$/);
    // Sections are separated by one blank line and every line ends in CRLF.
    expect(text).toMatch(/\r\n\r\n# Clients\r\n/);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.endsWith('\r\n\r\n')).toBe(false);
    c.close();
  });

  it('selects sections, all/everything, commandstats; unknown section gives an empty body', async () => {
    const c = await RawConnection.connect(server().port);
    const server1 = (await c.value('INFO', 'SERVER')) as string;
    expect(server1.startsWith('# Server\r\n')).toBe(true);
    expect(server1).not.toContain('# Clients');
    const two = (await c.value('info', 'clients', 'keyspace')) as string;
    expect(two).toContain('# Clients');
    expect(two).toContain('# Keyspace');
    const all = (await c.value('INFO', 'all')) as string;
    expect(all).toContain('# Commandstats');
    expect(all).toMatch(/cmdstat_info:calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0/);
    expect(await c.call('INFO', 'nosuchsection')).toBe('$0\r\n\r\n');
    await c.call('HELLO', '3');
    expect((await c.call('INFO', 'server')).startsWith('=')).toBe(true);
    c.close();
  });

  it('counts errors by code', async () => {
    const c = await RawConnection.connect(server().port);
    await c.call('NOSUCHCOMMAND');
    const text = (await c.value('INFO', 'errorstats')) as string;
    expect(text).toMatch(/errorstat_ERR:count=\d+/);
    c.close();
  });
});

describe('CONFIG', () => {
  it('GET with globs, in RESP2 and RESP3', async () => {
    const c = await RawConnection.connect(server().port);
    expect(await c.call('CONFIG', 'GET', 'port')).toBe(`*2\r\n$4\r\nport\r\n$${String(server().port).length}\r\n${server().port}\r\n`);
    const many = mapOf(await c.value('CONFIG', 'GET', 'max*', 'databases', 'save', 'appendonly', 'aof-use-rdb-preamble', 'vset-force-single-threaded-execution'));
    expect(many.get('maxmemory')).toBe('0');
    expect(many.get('maxclients')).toBe('10000');
    expect(many.get('databases')).toBe('16');
    expect(many.get('save')).toBe('');
    expect(many.get('appendonly')).toBe('no');
    expect(many.get('aof-use-rdb-preamble')).toBe('yes');
    expect(many.get('vset-force-single-threaded-execution')).toBe('no');
    expect(await c.call('CONFIG', 'GET', 'nothing-matches-this')).toBe('*0\r\n');
    await c.call('HELLO', '3');
    expect(await c.call('CONFIG', 'GET', 'hz')).toBe('%1\r\n$2\r\nhz\r\n$2\r\n10\r\n');
    c.close();
  });

  it('SET validates all pairs before applying any', async () => {
    const c = await RawConnection.connect(server().port);
    expect(await c.call('CONFIG', 'SET', 'maxmemory', '100mb')).toBe('+OK\r\n');
    expect(await c.call('CONFIG', 'GET', 'maxmemory')).toBe('*2\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n');
    expect(await c.call('CONFIG', 'SET', 'maxmemory', '0', 'hz', 'lots')).toBe("-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n");
    expect(await c.call('CONFIG', 'GET', 'maxmemory')).toBe('*2\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n');
    expect(await c.call('CONFIG', 'SET', 'maxmemory', '0')).toBe('+OK\r\n');
    expect(await c.call('CONFIG', 'SET', 'nosuch', '1')).toBe("-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
    expect(await c.call('CONFIG', 'SET', 'databases', '4')).toBe("-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n");
    expect(await c.call('CONFIG', 'SET', 'appendfsync', 'sometimes')).toBe("-ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: always, everysec, no\r\n");
    expect(await c.call('CONFIG', 'SET', 'vset-force-single-threaded-execution', 'maybe')).toBe("-ERR CONFIG SET failed (possibly related to argument 'vset-force-single-threaded-execution') - argument must be 'yes' or 'no'\r\n");
    expect(await c.call('CONFIG', 'SET', 'hz', '20', 'hz', '30')).toBe("-ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter\r\n");
    expect(await c.call('CONFIG', 'SET', 'hz')).toBe("-ERR wrong number of arguments for 'config|set' command\r\n");
    expect(await c.call('CONFIG', 'SET', 'save', '900 1 300 10')).toBe('+OK\r\n');
    expect(await c.call('CONFIG', 'GET', 'save')).toBe('*2\r\n$4\r\nsave\r\n$12\r\n900 1 300 10\r\n');
    expect(await c.call('CONFIG', 'SET', 'save', '')).toBe('+OK\r\n');
    expect(await c.call('CONFIG', 'RESETSTAT')).toBe('+OK\r\n');
    expect(await c.call('CONFIG', 'REWRITE')).toBe('-ERR The server is running without a config file\r\n');
    c.close();
  });
});

describe('COMMAND', () => {
  it('COUNT, INFO, LIST, GETKEYS', async () => {
    const c = await RawConnection.connect(server().port);
    const count = (await c.value('COMMAND', 'COUNT')) as number;
    expect(count).toBeGreaterThan(20);
    const all = (await c.value('COMMAND')) as RespValue[];
    expect(all.length).toBe(count);
    const info = (await c.value('COMMAND', 'INFO', 'get', 'nosuch', 'client|id')) as RespValue[];
    expect(info[1]).toBeNull();
    const ping = ((await c.value('COMMAND', 'INFO', 'ping')) as RespValue[][])[0]!;
    expect(ping.slice(0, 6)).toEqual(['ping', -1, ['fast'], 0, 0, 0]);
    expect((info[2] as RespValue[])[0]).toBe('client|id');
    const list = (await c.value('COMMAND', 'LIST')) as string[];
    expect(list).toContain('ping');
    expect(list).toContain('client|setname');
    const filtered = (await c.value('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'cl*')) as string[];
    expect(filtered.every((n) => n.startsWith('cl'))).toBe(true);
    expect(await c.call('COMMAND', 'GETKEYS', 'ping')).toBe('-ERR The command has no key arguments\r\n');
    expect(await c.call('COMMAND', 'GETKEYS', 'nosuch')).toBe('-ERR Invalid command specified\r\n');
    expect(await c.call('COMMAND', 'GETKEYS', 'watch', 'a', 'b')).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    c.close();
  });

  it('DOCS has the shape redis-cli asserts on (bulk keys, simple-string flags)', async () => {
    const c = await RawConnection.connect(server().port);
    const raw = await c.call('COMMAND', 'DOCS', 'client');
    expect(raw.startsWith('*2\r\n$6\r\nclient\r\n*')).toBe(true);
    const docs = mapOf((await c.value('COMMAND', 'DOCS', 'hello')) as RespValue);
    const hello = mapOf(docs.get('hello')!);
    expect(hello.get('summary')).toBe('Handshakes with the Redis server.');
    expect(hello.get('group')).toBe('connection');
    const args = hello.get('arguments') as RespValue[];
    const first = mapOf(args[0]!);
    expect(first.get('type')).toBe('block');
    expect(first.get('flags')).toEqual(['optional']);
    // Every key in every doc map must be a bulk string: scan the raw reply for simple strings
    // other than flag values.
    await c.call('HELLO', '3');
    const all = await c.call('COMMAND', 'DOCS');
    expect(all.startsWith('%')).toBe(true);
    c.close();
  });
});

describe('keyspace-wide server commands', () => {
  it('DBSIZE, FLUSHDB, FLUSHALL, TIME, LASTSAVE, ROLE', async () => {
    const c = await RawConnection.connect(server().port);
    expect(await c.call('DBSIZE')).toBe(':0\r\n');
    expect(await c.call('FLUSHDB')).toBe('+OK\r\n');
    expect(await c.call('FLUSHDB', 'ASYNC')).toBe('+OK\r\n');
    expect(await c.call('FLUSHALL', 'SYNC')).toBe('+OK\r\n');
    expect(await c.call('FLUSHALL', 'NOW')).toBe('-ERR syntax error\r\n');
    const t = (await c.value('TIME')) as string[];
    expect(Math.abs(Number(t[0]) - Date.now() / 1000)).toBeLessThan(60);
    expect(Number(t[1])).toBeLessThan(1_000_000);
    expect(typeof (await c.value('LASTSAVE'))).toBe('number');
    expect(await c.call('ROLE')).toBe('*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n');
    expect(await c.call('MEMORY', 'USAGE', 'nokey')).toBe('$-1\r\n');
    expect((await c.value('MEMORY', 'DOCTOR')) as string).toMatch(/^Hi Sam/);
    c.close();
  });

  it('DEBUG is refused unless enabled, and DEBUG SLEEP blocks', async () => {
    const c = await RawConnection.connect(server().port);
    const t0 = Date.now();
    expect(await c.call('DEBUG', 'SLEEP', '0.2')).toBe('+OK\r\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(await c.call('DEBUG', 'NOPE')).toBe("-ERR unknown subcommand 'NOPE'. Try DEBUG HELP.\r\n");
    c.close();
    const plain = await startServer();
    const d = await RawConnection.connect(plain.port);
    expect(await d.call('DEBUG', 'SLEEP', '0')).toBe('-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n');
    d.close();
    await plain.stop();
  });

  it('SHUTDOWN NOSAVE stops the server with exit code 0', async () => {
    const s = await startServer();
    const c = await RawConnection.connect(s.port);
    c.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
    expect(await c.waitClosed()).toBe(true);
    expect(await s.stop()).toBe(0);
  });
});

describe('start-up options', () => {
  function run(args: string[]): { code: number | null; out: string } {
    const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
    return { code: r.status, out: r.stdout + r.stderr };
  }

  it('a bad option or config line exits 1 naming it', () => {
    let r = run(['--nosuchoption', 'x']);
    expect(r.code).toBe(1);
    expect(r.out).toContain("'--nosuchoption'");
    r = run(['--port', 'abc']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/--port.*integer/);
    r = run(['--appendfsync', 'sometimes']);
    expect(r.code).toBe(1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-conf-'));
    const conf = path.join(dir, 'bad.conf');
    fs.writeFileSync(conf, '# comment\nport 7000\nbogus-directive yes\n');
    r = run([conf]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('line 3');
    expect(r.out).toContain('bogus-directive');
    r = run([path.join(dir, 'missing.conf')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("can't open config file");
  });

  it('reads a config file, lets the command line override it, and CONFIG REWRITE writes it back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-conf-'));
    const conf = path.join(dir, 'vsetd.conf');
    fs.writeFileSync(conf, '# my config\nhz 15\nmaxclients 500\nsave 900 1\nsave 300 10\n');
    // startServer puts --port/--dir first, so start the config-file form directly.
    const port = await freePort();
    const proc = spawn(process.execPath, [MAIN, conf, '--port', String(port), '--dir', dir, '--maxclients', '600'], { stdio: 'ignore' });
    try {
      await waitForPort(port, 20_000, proc);
      const c = await RawConnection.connect(port);
      const cfg = mapOf(await c.value('CONFIG', 'GET', 'hz', 'maxclients', 'save'));
      expect(cfg.get('hz')).toBe('15');
      expect(cfg.get('maxclients')).toBe('600');
      expect(cfg.get('save')).toBe('900 1 300 10');
      expect(await c.call('CONFIG', 'SET', 'hz', '25', 'timeout', '300')).toBe('+OK\r\n');
      expect(await c.call('CONFIG', 'REWRITE')).toBe('+OK\r\n');
      const text = fs.readFileSync(conf, 'utf8');
      expect(text).toContain('# my config');
      expect(text).toContain('hz 25');
      expect(text).toContain('timeout 300');
      expect(text).toContain('save 900 1\nsave 300 10');
      c.close();
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
