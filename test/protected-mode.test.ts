/**
 * protected-mode as Redis: while it is yes (the default) and the default user has no password,
 * a client from beyond the loopback interface gets Redis's DENIED text and is closed; loopback
 * clients are served. A password on the default user (requirepass or ACL), or protected-mode
 * no, lets remote clients in. The container image's CMD must serve clients from outside.
 *
 * Remote clients are played by connecting to a non-loopback address of this machine; the tests
 * are skipped only when it has none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { ROOT, startServer, type RunningServer } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';
import { infoField } from './helpers/wait.js';

const DENIED =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/** An IPv4 address of this machine that is not loopback, or null. */
function remoteAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

const remote = remoteAddress();
if (remote === null) console.warn('no non-loopback IPv4 address on this machine: skipping the protected-mode tests');

/** Connects from "outside", sends PING, and returns everything received until the server closes or answers. */
function remotePing(port: number): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    const s = net.connect(port, remote!, () => s.write('*1\r\n$4\r\nPING\r\n'));
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text, closed: false });
    }, 5000);
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      // A served client answers PING and stays connected: no need to wait for the timeout.
      if (text === '+PONG\r\n' || text.startsWith('-NOAUTH')) {
        clearTimeout(timer);
        s.destroy();
        resolve({ text, closed: false });
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

describe.skipIf(remote === null)('protected-mode', () => {
  let s: RunningServer;

  beforeAll(async () => {
    s = await startServer({ args: ['--bind', '0.0.0.0'] });
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('denies remote clients with Redis\'s text while the default user has no password; loopback is served', async () => {
    expect(await RawConnection.using(s.port, (c) => c.value('CONFIG', 'GET', 'protected-mode'))).toEqual(['protected-mode', 'yes']);
    const before = Number(infoField((await RawConnection.using(s.port, (c) => c.value('INFO', 'stats'))) as string, 'rejected_connections'));
    expect(await remotePing(s.port)).toEqual({ text: DENIED, closed: true });
    expect(await RawConnection.using(s.port, (c) => c.call('PING'))).toBe('+PONG\r\n');
    const after = Number(infoField((await RawConnection.using(s.port, (c) => c.value('INFO', 'stats'))) as string, 'rejected_connections'));
    expect(after).toBe(before + 1);
  });

  it('lets remote clients in once the default user has a password, by requirepass or ACL', async () => {
    await RawConnection.using(s.port, async (c) => {
      expect(await c.call('CONFIG', 'SET', 'requirepass', 'pw')).toBe('+OK\r\n');
      expect(await remotePing(s.port)).toEqual({ text: '-NOAUTH Authentication required.\r\n', closed: false });
      expect(await c.call('CONFIG', 'SET', 'requirepass', '')).toBe('+OK\r\n');
      expect((await remotePing(s.port)).text).toBe(DENIED);
      expect(await c.call('ACL', 'SETUSER', 'default', 'resetpass', '>pw2')).toBe('+OK\r\n');
      expect(await remotePing(s.port)).toEqual({ text: '-NOAUTH Authentication required.\r\n', closed: false });
      expect(await c.call('ACL', 'SETUSER', 'default', 'nopass')).toBe('+OK\r\n');
    });
  });

  it('protected-mode no serves remote clients without a password', async () => {
    await RawConnection.using(s.port, async (c) => {
      expect(await c.call('CONFIG', 'SET', 'protected-mode', 'no')).toBe('+OK\r\n');
      try {
        expect(await remotePing(s.port)).toEqual({ text: '+PONG\r\n', closed: false });
      } finally {
        await c.call('CONFIG', 'SET', 'protected-mode', 'yes');
      }
    });
  });

  it('the container image\'s defaults serve clients from outside (it binds every interface)', async () => {
    // The image sets its defaults as VSETD_* environment variables (Dockerfile ENV), and may add CMD arguments.
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-docker-'));
    const env: Record<string, string> = {};
    const instructions = dockerfile.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
    for (const m of instructions.matchAll(/(VSETD_[A-Z_]+)=(\S+)/g)) env[m[1]!] = m[2] === '/data' ? dir : m[2]!;
    expect(env.VSETD_BIND).toBe('0.0.0.0');
    const cmdLine = /^CMD (\[.*\])$/m.exec(dockerfile);
    const cmd = cmdLine ? (JSON.parse(cmdLine[1]!) as string[]) : [];
    const image = await startServer({ env, args: cmd.map((a) => (a === '/data' ? dir : a)) });
    try {
      expect(await remotePing(image.port)).toEqual({ text: '+PONG\r\n', closed: false });
    } finally {
      await image.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
