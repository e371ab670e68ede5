/**
 * Starting from a config file (redis.conf syntax, `include`, command-line overrides) and CONFIG
 * REWRITE, which must edit the file the way Redis's config.c does: options replaced in place,
 * extra lines of an option blanked, unknown lines commented out, new options appended once after
 * a signature, and a file that restarts the server with the same configuration.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { MAIN, freePort, waitForPort } from './helpers/server.js';
import { RawConnection, type RespValue } from './helpers/raw.js';
import { Config, parseConfigText, applyStartupOptions, parseCommandLine } from '../src/server/config.js';
import { quoteValue, rewriteConfigText, REWRITE_SIGNATURE } from '../src/server/config-rewrite.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-conf-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A configuration as the server would have it after reading `text` and then `sets`. */
function configFrom(text: string, sets: Array<[string, string[]]> = []): Config {
  const c = new Config();
  applyStartupOptions(c, { configFile: '/x/vsetd.conf', directives: parseConfigText(text, 'test.conf') });
  for (const [name, words] of sets) c.set(name, words, false);
  return c;
}

describe('CONFIG REWRITE text (as config.c rewrites)', () => {
  it('replaces options in place, blanks their extra lines, keeps comments, appends the rest once', () => {
    // The same file and changes as a run of redis-server 7.0.15, whose output this mirrors.
    const old = '# top comment\nport 7392\nsave 900 1\n# between\nsave 300 10\nsave 60 10000\nhz 10\nhz 11\nmaxmemory 1000\n\n\n\n# tail\n';
    const config = configFrom(old, [
      ['save', ['100 1']],
      ['maxmemory', ['2mb']],
      ['timeout', ['5']],
      ['client-output-buffer-limit', ['pubsub 1mb 0 0']],
      ['requirepass', ['a b"c']],
      ['dir', ['/tmp/vsetd-data']],
    ]);
    expect(rewriteConfigText(old, config)).toBe(
      '# top comment\nport 7392\nsave 100 1\n# between\n\nhz 11\n\nmaxmemory 2mb\n\n# tail\n\n' +
        `${REWRITE_SIGNATURE}\ndir "/tmp/vsetd-data"\nrequirepass "a b\\"c"\ntimeout 5\nclient-output-buffer-limit pubsub 1mb 0 0\n`,
    );
  });

  it('adds the signature only once, and writes an option back to its default in place', () => {
    const first = rewriteConfigText('port 7000\n', configFrom('port 7000\n', [['hz', ['20']]]));
    expect(first).toBe(`port 7000\n\n${REWRITE_SIGNATURE}\ndir ${quoteValue(path.resolve('.'))}\nhz 20\nsave 3600 1\nsave 300 100\nsave 60 10000\n`);
    const second = rewriteConfigText(first, configFrom(first, [['hz', ['10']], ['maxclients', ['50']]]));
    expect(second.split(REWRITE_SIGNATURE).length).toBe(2);
    // hz keeps its line with the default value; the new option joins the generated part.
    expect(second).toContain('\nhz 10\n');
    // As in Redis, the file's last newline leaves an empty line, so later additions follow a blank.
    expect(second.endsWith('save 60 10000\n\nmaxclients 50\n')).toBe(true);
  });

  it('comments out lines it cannot read, keeps include lines, drops a default bind and an empty save', () => {
    const old = 'include /etc/other.conf\nbind 127.0.0.1\nnot-an-option 1\nbroken "quote\nsave ""\n';
    const config = configFrom('bind 127.0.0.1\nsave ""\n');
    expect(rewriteConfigText(old, config)).toBe(
      `include /etc/other.conf\n\n# ??? not-an-option 1\n# ??? broken "quote\nsave ""\n\n${REWRITE_SIGNATURE}\ndir ${quoteValue(path.resolve('.'))}\n`,
    );
  });

  it('quotes values so they read back byte for byte', () => {
    for (const v of ['plain', 'with space', 'q"uote', 'back\\slash', 'tab\tnl\ncr\r', 'bell\x07bs\x08', 'é ü', '']) {
      const d = parseConfigText(`requirepass ${quoteValue(v)}`, 't');
      expect(d[0]!.words).toEqual([v]);
    }
    expect(quoteValue('a b"c\n')).toBe('"a b\\"c\\n"');
  });

  it('writes memory sizes in units and output buffer limits per class', () => {
    const text = rewriteConfigText('', configFrom('maxmemory 1536kb\nproto-max-bulk-len 1gb\nclient-output-buffer-limit replica 512mb 100000 30\n'));
    expect(text).toContain('maxmemory 1536kb\n');
    expect(text).toContain('proto-max-bulk-len 1gb\n');
    expect(text).toContain('client-output-buffer-limit replica 512mb 100000 30\n');
    // Classes at their defaults are not written.
    expect(text).not.toContain('client-output-buffer-limit pubsub');
  });
});

describe('config file at start-up', () => {
  it('include (plain and wildcard) is read where it stands; unixsocketperm is octal', () => {
    const d = tempDir();
    fs.mkdirSync(path.join(d, 'conf.d'));
    fs.writeFileSync(path.join(d, 'conf.d', 'a.conf'), 'hz 20\nmaxclients 100\n');
    fs.writeFileSync(path.join(d, 'conf.d', 'b.conf'), 'maxclients 200\n');
    fs.writeFileSync(path.join(d, 'base.conf'), 'timeout 7\n');
    const main = path.join(d, 'vsetd.conf');
    fs.writeFileSync(main, `include ${path.join(d, 'base.conf')}\ninclude ${path.join(d, 'conf.d', '*.conf')}\ninclude ${path.join(d, 'none', '*.conf')}\nhz 30\nunixsocketperm 700\n`);
    const config = new Config();
    applyStartupOptions(config, parseCommandLine([main, '--timeout', '8'], (p) => fs.readFileSync(p, 'utf8')));
    expect(config.get('hz')).toBe('30');
    expect(config.get('maxclients')).toBe('200');
    expect(config.get('timeout')).toBe('8');
    expect(config.get('unixsocketperm')).toBe('700');
    expect(config.octal('unixsocketperm')).toBe(0o700);
    expect(config.configFile).toBe(main);
    fs.writeFileSync(path.join(d, 'loop.conf'), `include ${path.join(d, 'loop.conf')}\n`);
    expect(() => parseCommandLine([path.join(d, 'loop.conf')], (p) => fs.readFileSync(p, 'utf8'))).toThrow(/include nested more than 16 deep/);
    fs.writeFileSync(path.join(d, 'missing.conf'), `include ${path.join(d, 'nope.conf')}\n`);
    expect(() => parseCommandLine([path.join(d, 'missing.conf')], (p) => fs.readFileSync(p, 'utf8'))).toThrow(/line 1: Fatal error, can't open config file/);
  });
});

interface Started {
  port: number;
  proc: ChildProcess;
  conn(): Promise<RawConnection>;
  stop(): Promise<void>;
}

/**
 * Starts the server as `vsetd <conf> --port <free port>`, from a directory other than the
 * config's; or, given the port the file itself names, as `vsetd <conf>` alone.
 */
async function startWithConfig(conf: string, portInFile?: number): Promise<Started> {
  const port = portInFile ?? (await freePort());
  const args = portInFile === undefined ? ['--port', String(port)] : [];
  let out = '';
  const proc = spawn(process.execPath, [MAIN, conf, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: os.tmpdir() });
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  try {
    await waitForPort(port, 20_000, proc);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  return {
    port,
    proc,
    conn: () => RawConnection.connect(port),
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  };
}

function pairs(v: RespValue): Record<string, string> {
  const a = v as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i < a.length; i += 2) out[a[i]!] = a[i + 1]!;
  return out;
}

describe('CONFIG REWRITE on a running server', () => {
  it('rewrites the file it started from, which then restarts with the same configuration', async () => {
    const d = tempDir();
    const conf = path.join(d, 'vsetd.conf');
    fs.writeFileSync(conf, `# vsetd test config\n\n# where data goes\ndir ${d}\nsave ""\nhz 15\nmaxclients 500\n`);
    const watched = ['hz', 'maxclients', 'timeout', 'save', 'dir', 'maxmemory', 'requirepass', 'client-output-buffer-limit', 'loglevel', 'port'];
    let s = await startWithConfig(conf);
    let expected: Record<string, string>;
    try {
      const c = await s.conn();
      expect(await c.value('CONFIG', 'GET', 'hz')).toEqual(['hz', '15']);
      const info = (await c.value('INFO', 'server')) as string;
      expect(info).toContain(`config_file:${conf}\r\n`);
      expect(await c.call('CONFIG', 'SET', 'hz', '25', 'timeout', '300', 'maxmemory', '3mb', 'requirepass', 'p w"1', 'loglevel', 'warning')).toBe('+OK\r\n');
      expect(await c.call('AUTH', 'p w"1')).toBe('+OK\r\n');
      expect(await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 64mb 16mb 90')).toBe('+OK\r\n');
      expect(await c.call('CONFIG', 'REWRITE')).toBe('+OK\r\n');
      const text = fs.readFileSync(conf, 'utf8');
      expect(text.startsWith(`# vsetd test config\n\n# where data goes\ndir ${quoteValue(d)}\nsave ""\nhz 25\nmaxclients 500\n\n${REWRITE_SIGNATURE}\n`)).toBe(true);
      for (const line of [`port ${s.port}`, 'requirepass "p w\\"1"', 'timeout 300', 'maxmemory 3mb', 'loglevel warning', 'client-output-buffer-limit pubsub 64mb 16mb 90']) {
        expect(text).toContain(`\n${line}\n`);
      }
      // No temporary file is left beside it.
      expect(fs.readdirSync(d).filter((f) => f.startsWith('vsetd.conf'))).toEqual(['vsetd.conf']);
      expected = pairs(await c.value('CONFIG', 'GET', ...watched));
      c.close();
    } finally {
      await s.stop();
    }
    // The rewritten file holds the port: restart on it with no command-line options at all.
    s = await startWithConfig(conf, Number(expected.port));
    try {
      const c = await s.conn();
      expect(await c.call('AUTH', 'p w"1')).toBe('+OK\r\n');
      expect(pairs(await c.value('CONFIG', 'GET', ...watched))).toEqual(expected);
      c.close();
    } finally {
      await s.stop();
    }
  });

  it('reports why the file could not be written, and refuses without a config file', async () => {
    const d = tempDir();
    const confDir = path.join(d, 'etc');
    fs.mkdirSync(confDir);
    const conf = path.join(confDir, 'vsetd.conf');
    fs.writeFileSync(conf, `dir ${d}\n`);
    const s = await startWithConfig(conf);
    try {
      const c = await s.conn();
      fs.rmSync(confDir, { recursive: true });
      expect(await c.call('CONFIG', 'REWRITE')).toBe('-ERR Rewriting config file: No such file or directory\r\n');
      // A missing file alone is written from scratch, as Redis does.
      fs.mkdirSync(confDir);
      expect(await c.call('CONFIG', 'REWRITE')).toBe('+OK\r\n');
      expect(fs.readFileSync(conf, 'utf8')).toContain(`dir ${quoteValue(d)}\n`);
      c.close();
    } finally {
      await s.stop();
    }
    const port = await freePort();
    const proc = spawn(process.execPath, [MAIN, '--port', String(port), '--dir', d, '--save', ''], { stdio: 'ignore' });
    try {
      await waitForPort(port, 20_000, proc);
      await RawConnection.using(port, async (c) => {
        expect(await c.call('CONFIG', 'REWRITE')).toBe('-ERR The server is running without a config file\r\n');
      });
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
