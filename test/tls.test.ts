/**
 * TLS with certificates made at test time by openssl: redis-cli --tls and ioredis tls:{} with a
 * client certificate, tls-auth-clients yes/optional/no, TLS only with `port 0`, an encrypted key,
 * tls-protocols, and bad settings refused at start-up and by CONFIG SET.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import { MAIN, freePort, startServer, waitForPort, type RunningServer } from './helpers/server.js';
import { makeCerts, type TestCerts } from './helpers/certs.js';
import { requireTool, skipWithout } from './helpers/tools.js';

const skipTls = skipWithout('openssl');
const skipCli = skipTls || skipWithout('redis-cli');

let certs: TestCerts;
const servers: RunningServer[] = [];

beforeAll(() => {
  if (skipTls) return;
  requireTool('openssl');
  certs = makeCerts();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

/** A server with a TLS port beside its plain one (or, with `tlsOnly`, instead of it). */
async function tlsServer(extra: string[] = [], tlsOnly = false): Promise<{ s: RunningServer; tlsPort: number }> {
  const tlsPort = await freePort();
  const base = ['--tls-port', String(tlsPort), '--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey, '--tls-ca-cert-file', certs.ca];
  const s = tlsOnly ? await startServer({ port: tlsPort, args: [...base, '--port', '0', ...extra] }) : await startServer({ args: [...base, ...extra] });
  servers.push(s);
  // The plain port opens first: wait for the TLS one too.
  await waitForPort(tlsPort, 20_000, s.proc);
  return { s, tlsPort };
}

/**
 * Sends PING over TLS with node:tls and resolves with the reply line, or 'closed' when the server
 * ends the connection first (a client certificate it refused).
 */
function tlsPing(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    let done = false;
    const finish = (v: string): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(v);
    };
    const socket = tls.connect({ port, host: '127.0.0.1', ca: fs.readFileSync(certs.ca), servername: 'localhost', ...opts }, () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (d: Buffer) => {
      data += d.toString();
      if (data.includes('\r\n')) finish(data.trim());
    });
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
  });
}

const withClientCert = (): tls.ConnectionOptions => ({ cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey) });

function redisCli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['--tls', '--cacert', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey, '-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });
  return (r.stdout + r.stderr).trim();
}

describe.skipIf(skipCli)('redis-cli --tls', () => {
  it('talks to vsetd over TLS with a client certificate', async () => {
    requireTool('redis-cli');
    const { tlsPort } = await tlsServer();
    expect(redisCli(tlsPort, 'PING')).toBe('PONG');
    expect(redisCli(tlsPort, 'VADD', 'points', 'VALUES', '2', '1', '1', 'pt:A')).toBe('1');
    expect(redisCli(tlsPort, 'VADD', 'points', 'VALUES', '2', '-1', '-1', 'pt:B')).toBe('1');
    expect(redisCli(tlsPort, 'VSIM', 'points', 'VALUES', '2', '0.9', '0.8', 'COUNT', '1')).toBe('pt:A');
    // Without a client certificate the server closes the connection (tls-auth-clients yes).
    const noCert = spawnSync('redis-cli', ['--tls', '--cacert', certs.ca, '-h', '127.0.0.1', '-p', String(tlsPort), 'PING'], { encoding: 'utf8' });
    expect(noCert.stdout.trim()).not.toBe('PONG');
  });
});

describe.skipIf(skipTls)('TLS', () => {
  it('ioredis tls:{} with a client certificate; none, or one from an unknown CA, is refused', async () => {
    const { s, tlsPort } = await tlsServer();
    const r = new Redis({ port: tlsPort, host: '127.0.0.1', tls: { ca: fs.readFileSync(certs.ca), servername: 'localhost', ...withClientCert() } });
    try {
      expect(await r.call('VADD', 'v', 'VALUES', '2', '1', '0', 'e')).toBe(1);
      expect(await r.call('VCARD', 'v')).toBe(1);
      const list = (await r.call('CLIENT', 'LIST')) as string;
      expect(list).toMatch(/ user=default /);
    } finally {
      r.disconnect();
    }
    expect(await tlsPing(tlsPort, {})).toBe('closed');
    expect(await tlsPing(tlsPort, { cert: fs.readFileSync(certs.strangerCert), key: fs.readFileSync(certs.strangerKey) })).toBe('closed');
    // The plain port still answers in plain text.
    const plain = await new Promise<string>((resolve) => {
      const c = net.connect(s.port, '127.0.0.1', () => c.write('PING\r\n'));
      c.on('data', (d) => {
        resolve(d.toString());
        c.destroy();
      });
    });
    expect(plain).toBe('+PONG\r\n');
  });

  it('tls-auth-clients optional and no, set live, apply to the next connections', async () => {
    const { s, tlsPort } = await tlsServer();
    const admin = new Redis({ port: s.port });
    try {
      expect(await admin.config('SET', 'tls-auth-clients', 'optional')).toBe('OK');
      expect(await tlsPing(tlsPort, {})).toBe('+PONG');
      expect(await tlsPing(tlsPort, withClientCert())).toBe('+PONG');
      expect(await tlsPing(tlsPort, { cert: fs.readFileSync(certs.strangerCert), key: fs.readFileSync(certs.strangerKey) })).toBe('closed');
      expect(await admin.config('SET', 'tls-auth-clients', 'no')).toBe('OK');
      expect(await tlsPing(tlsPort, {})).toBe('+PONG');
      expect(await admin.config('SET', 'tls-auth-clients', 'yes')).toBe('OK');
      expect(await tlsPing(tlsPort, {})).toBe('closed');
    } finally {
      admin.disconnect();
    }
  });

  it('serves TLS only with port 0, from an encrypted key, and only the protocols asked for', async () => {
    const { s, tlsPort } = await tlsServer(['--tls-key-file', certs.serverKeyEncrypted, '--tls-key-file-pass', certs.keyPass, '--tls-protocols', 'TLSv1.3', '--tls-auth-clients', 'no'], true);
    expect(s.output()).toContain(`Ready to accept connections tls on port ${tlsPort}`);
    expect(s.output()).not.toContain('Ready to accept connections tcp');
    expect(await tlsPing(tlsPort, {})).toBe('+PONG');
    expect(await tlsPing(tlsPort, { maxVersion: 'TLSv1.2' })).toBe('closed');
    const r = new Redis({ port: tlsPort, host: '127.0.0.1', tls: { ca: fs.readFileSync(certs.ca), servername: 'localhost' } });
    try {
      expect(await r.config('GET', 'tls-protocols')).toEqual(['tls-protocols', 'TLSv1.3']);
      expect(await r.config('GET', 'port')).toEqual(['port', '0']);
    } finally {
      r.disconnect();
    }
  });

  it('refuses bad TLS settings: at start-up naming the problem, and in CONFIG SET changing nothing', async () => {
    const port = await freePort();
    const run = (args: string[]): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        let out = '';
        const p = spawn(process.execPath, [MAIN, '--port', '0', '--tls-port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
        p.stderr!.on('data', (b: Buffer) => (out += b.toString()));
        p.on('exit', (code) => resolve({ code, out }));
      });
    const noCert = await run(['--tls-key-file', certs.serverKey]);
    expect(noCert.code).toBe(1);
    expect(noCert.out).toContain('No tls-cert-file configured!');
    const noCa = await run(['--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey]);
    expect(noCa.out).toContain('Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!');
    const badPass = await run(['--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKeyEncrypted, '--tls-key-file-pass', 'wrong', '--tls-auth-clients', 'no']);
    expect(badPass.code).toBe(1);
    expect(badPass.out).toContain('Failed to configure TLS');
    const badProto = await run(['--tls-protocols', 'SSLv3']);
    expect(badProto.out).toContain("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");

    const { s, tlsPort } = await tlsServer();
    const admin = new Redis({ port: s.port });
    try {
      await expect(admin.config('SET', 'tls-cert-file', '/no/such/file.crt')).rejects.toThrow("ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.");
      expect(await admin.config('GET', 'tls-cert-file')).toEqual(['tls-cert-file', certs.serverCert]);
      expect(await tlsPing(tlsPort, withClientCert())).toBe('+PONG');
    } finally {
      admin.disconnect();
    }
  });
});
