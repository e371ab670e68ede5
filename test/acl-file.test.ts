/**
 * Users that outlive a restart: the `aclfile` (loaded at start-up, ACL LOAD, ACL SAVE) and `user`
 * lines in the config file (with CONFIG REWRITE writing them back), with Redis's refusals: a bad
 * file changes nothing, a bad line stops start-up, and both kinds of users at once are refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { MAIN, freePort, startServer, waitForPort, type RunningServer } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';

const dirs: string[] = [];
const servers: RunningServer[] = [];
const stops: Array<() => Promise<void>> = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-acl-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all([...servers.map((s) => s.stop()), ...stops.map((f) => f())]);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');

async function start(args: string[]): Promise<RunningServer> {
  const s = await startServer({ args });
  servers.push(s);
  return s;
}

/** Starts `vsetd <conf> --port <free port>`: a config file must come first. */
async function startConf(conf: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [MAIN, conf, '--port', String(port), '--save', ''], { stdio: 'ignore' });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  stops.push(stop);
  await waitForPort(port, 20_000, proc);
  return { port, stop };
}

/** Runs the server expecting it to refuse to start; returns its exit code and output. */
function failedStart(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    let out = '';
    const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

describe('aclfile', () => {
  it('loads users at start-up, ACL SAVE writes them, ACL LOAD reloads them', async () => {
    const d = tempDir();
    const file = path.join(d, 'users.acl');
    fs.writeFileSync(file, `user default on nopass ~* &* +@all\n\nuser reader on #${sha256('rpw')} %R~* -@all +@read\n`);
    const s = await start(['--aclfile', file]);
    const r = new Redis({ port: s.port, username: 'reader', password: 'rpw', retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on('error', () => {});
    try {
      expect(await r.get('k')).toBe(null);
      await expect(r.set('k', 'v')).rejects.toThrow("NOPERM User reader has no permissions to run the 'set' command");
      await RawConnection.using(s.port, async (c) => {
        expect(await c.value('ACL', 'LIST')).toEqual(['user default on nopass sanitize-payload ~* &* +@all', `user reader on sanitize-payload #${sha256('rpw')} %R~* resetchannels -@all +@read`]);
        expect(await c.call('ACL', 'SETUSER', 'writer', 'on', '>wpw', '%W~*', '+@write')).toBe('+OK\r\n');
        expect(await c.call('ACL', 'SAVE')).toBe('+OK\r\n');
        expect(fs.readFileSync(file, 'utf8')).toBe(
          `user default on nopass sanitize-payload ~* &* +@all\nuser reader on sanitize-payload #${sha256('rpw')} %R~* resetchannels -@all +@read\nuser writer on sanitize-payload #${sha256('wpw')} %W~* resetchannels -@all +@write\n`,
        );
        expect(fs.readdirSync(d)).toEqual(['users.acl']);
        // The file loses reader: its connection is closed on ACL LOAD, the others stay.
        fs.writeFileSync(file, `user writer on #${sha256('wpw')} %W~* +@write\n`);
        expect(await c.call('ACL', 'LOAD')).toBe('+OK\r\n');
        expect(await c.value('ACL', 'USERS')).toEqual(['default', 'writer']);
        expect(await c.call('PING')).toBe('+PONG\r\n');
      });
      await expect(r.call('PING')).rejects.toThrow();
    } finally {
      r.disconnect();
    }
  });

  it('a file with errors is refused as a whole, with every problem named', async () => {
    const d = tempDir();
    const file = path.join(d, 'users.acl');
    fs.writeFileSync(file, 'user keep on nopass ~* +@all\n');
    const s = await start(['--aclfile', file]);
    fs.writeFileSync(file, ['user ok on nopass', '# a comment', 'user bad on +nosuch', 'user ok off', 'user bad2 on bogus ~x ~y', 'nouser'].join('\n'));
    await RawConnection.using(s.port, async (c) => {
      expect(await c.call('ACL', 'LOAD')).toBe(
        `-ERR ${file}:2 should start with user keyword followed by the username. ${file}:3: Error in applying operation '+nosuch': Unknown command or category name in ACL. WARNING: Duplicate user 'ok' found on line 4. ${file}:5: Syntax error. ${file}:6 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n`,
      );
      expect(await c.value('ACL', 'USERS')).toEqual(['default', 'keep']);
      fs.rmSync(file);
      expect(await c.call('ACL', 'LOAD')).toBe(`-ERR Error loading ACLs, opening file '${file}': No such file or directory\r\n`);
    });
  });

  it('stops start-up on a bad file, and on users in both the config file and an aclfile', async () => {
    const d = tempDir();
    const file = path.join(d, 'users.acl');
    fs.writeFileSync(file, 'user x on +nosuch\n');
    const bad = await failedStart(['--port', '0', '--dir', d, '--aclfile', file]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`Aborting Redis startup because of ACL errors: ${file}:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. WARNING: ACL errors detected`);
    const conf = path.join(d, 'vsetd.conf');
    fs.writeFileSync(conf, `user alice on nopass ~* +@all\naclfile ${file}\n`);
    const both = await failedStart([conf, '--port', '0', '--dir', d]);
    expect(both.code).toBe(1);
    expect(both.out).toContain('Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid.');
  });
});

describe('user lines in the config file', () => {
  it('are loaded at start-up and written back by CONFIG REWRITE', async () => {
    const d = tempDir();
    const conf = path.join(d, 'vsetd.conf');
    fs.writeFileSync(conf, `# tenants\nuser tenant1 on >pw1 ~tenant:1:* +@all -@dangerous\nuser default on nopass ~* &* +@all\ndir ${d}\n`);
    const s = await startConf(conf);
    const t = new Redis({ port: s.port, username: 'tenant1', password: 'pw1' });
    try {
      expect(await t.call('VADD', 'tenant:1:s', 'VALUES', '2', '1', '0', 'a')).toBe(1);
      await expect(t.call('VADD', 'tenant:2:s', 'VALUES', '2', '1', '0', 'a')).rejects.toThrow('NOPERM No permissions to access a key');
      await RawConnection.using(s.port, async (c) => {
        expect(await c.call('ACL', 'SETUSER', 'tenant2', 'on', '>pw2', '~tenant:2:*', '+@all')).toBe('+OK\r\n');
        expect(await c.call('CONFIG', 'REWRITE')).toBe('+OK\r\n');
      });
      const text = fs.readFileSync(conf, 'utf8');
      // Users take the lines users had, in order; a new one goes after the signature.
      expect(text).toContain(`# tenants\nuser default on nopass sanitize-payload ~* &* +@all\nuser tenant1 on sanitize-payload #${sha256('pw1')} ~tenant:1:* resetchannels +@all -@dangerous\n`);
      expect(text).toMatch(new RegExp(`# Generated by CONFIG REWRITE\n(.*\n)*user tenant2 on sanitize-payload #${sha256('pw2')} ~tenant:2:\\* resetchannels \\+@all\n`));
    } finally {
      t.disconnect();
    }
    await s.stop();
    // Restarted from the rewritten file, both tenants are there.
    const again = await startConf(conf);
    const t2 = new Redis({ port: again.port, username: 'tenant2', password: 'pw2' });
    try {
      expect(await t2.call('ACL', 'WHOAMI')).toBe('tenant2');
    } finally {
      t2.disconnect();
    }
  });

  it('a bad user line stops start-up with the line named; an unknown command too, once the command table is known', async () => {
    const d = tempDir();
    const conf = path.join(d, 'vsetd.conf');
    fs.writeFileSync(conf, 'user alice on bogus\n');
    const syntax = await failedStart([conf, '--port', '0', '--dir', d]);
    expect(syntax.code).toBe(1);
    expect(syntax.out).toContain(`${conf}, line 1: >>> 'user alice on bogus': Error in user declaration 'bogus': Syntax error`);
    fs.writeFileSync(conf, 'user alice on nopass\nuser alice off\n');
    const dup = await failedStart([conf, '--port', '0', '--dir', d]);
    expect(dup.out).toContain("Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files");
    fs.writeFileSync(conf, 'user alice on +nosuchcmd\n');
    const unknown = await failedStart([conf, '--port', '0', '--dir', d]);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain("Error loading ACL rule '+nosuchcmd' for the user named 'alice': Unknown command or category name in ACL");
    expect(unknown.out).toContain('Critical error while loading ACLs. Exiting.');
  });
});
