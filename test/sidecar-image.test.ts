// The image, without a container engine: the Dockerfile's runtime stage is read (ENV, USER,
// ENTRYPOINT, CMD, STOPSIGNAL, HEALTHCHECK) and run as a container would run it — the entrypoint
// as process 1 of a new PID namespace (so SIGTERM meets a process 1 with no default action),
// as the image's unprivileged user, with only the image's environment plus what `docker run -e`
// would add, from the build's output — and the health command as `docker exec` runs it: entered
// into the same namespaces, same user and environment. The data directory is a temporary one in
// place of the /data volume, and a port is given on the command line (`docker run vsetd --port
// N`), since the network namespace is shared with the machine. Needs root and util-linux.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort, waitForPort } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';
import { waitFor } from './helpers/wait.js';

interface Image {
  env: Array<[string, string]>;
  user: string;
  entrypoint: string[];
  cmd: string[];
  stopsignal: string;
  healthcheck: string[];
  healthOptions: string;
}

/** The last stage of the Dockerfile, its instructions joined across continuation lines. */
function readDockerfile(): Image {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stage = lines.slice(lines.map((l) => l.startsWith('FROM ')).lastIndexOf(true));
  const image: Image = { env: [], user: 'root', entrypoint: [], cmd: [], stopsignal: 'SIGTERM', healthcheck: [], healthOptions: '' };
  for (const line of stage) {
    const [instr, ...rest] = line.split(' ');
    const arg = rest.join(' ');
    if (instr === 'ENV') for (const m of arg.matchAll(/([A-Z_]+)=(\S+)/g)) image.env.push([m[1]!, m[2]!]);
    if (instr === 'USER') image.user = arg;
    if (instr === 'ENTRYPOINT') image.entrypoint = JSON.parse(arg) as string[];
    if (instr === 'CMD') image.cmd = JSON.parse(arg) as string[];
    if (instr === 'STOPSIGNAL') image.stopsignal = arg;
    if (instr === 'HEALTHCHECK') {
      const at = arg.indexOf('CMD ');
      image.healthOptions = arg.slice(0, at);
      image.healthcheck = JSON.parse(arg.slice(at + 4)) as string[];
    }
  }
  return image;
}

const image = readDockerfile();
const have = (tool: string): boolean => {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const canRun = process.getuid?.() === 0 && ['unshare', 'nsenter', 'setpriv'].every(have);

describe('Dockerfile', () => {
  test('runs unprivileged, by number, with exec-form entrypoint, health check and SIGTERM', () => {
    expect(image.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(image.entrypoint).toEqual(['node', 'dist/src/main.js']);
    expect(image.stopsignal).toBe('SIGTERM');
    expect(image.healthcheck).toEqual(['node', 'dist/src/healthcheck.js']);
    expect(image.healthOptions).toMatch(/--start-period=\d+s/);
    expect(Object.fromEntries(image.env)).toMatchObject({ VSETD_BIND: '0.0.0.0', VSETD_DIR: '/data', NODE_ENV: 'production' });
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.git', 'test']) expect(ignored).toContain(p);
  });
});

describe.skipIf(!canRun)('the image run as a container would run it', () => {
  const [uid, gid] = image.user.split(':');
  let data: string;
  let port: number;

  beforeAll(async () => {
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-sidecar-image-'));
    fs.chownSync(data, Number(uid), Number(gid));
    port = await freePort();
  });
  afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

  /** The container's environment: the image's, then `docker run -e`'s. */
  const environment = (extra: Record<string, string>): string[] => {
    const env = new Map<string, string>([['PATH', process.env.PATH ?? '/usr/bin:/bin'], ['HOME', '/tmp'], ...image.env, ['VSETD_DIR', data], ...Object.entries(extra)]);
    return [...env].map(([k, v]) => `${k}=${v}`);
  };
  const asUser = [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'];

  interface Container {
    proc: ChildProcess;
    pid: number;
    output: () => string;
    exit: Promise<number | null>;
  }

  async function run(args: string[], env: Record<string, string> = {}): Promise<Container> {
    const argv = [...image.entrypoint, ...(args.length > 0 ? args : image.cmd)];
    const proc = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'setpriv', ...asUser, 'env', '-i', ...environment(env), ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    // Process 1 of the namespace: unshare's child, once the exec chain reached node.
    const pid = await waitFor('the container process', () => {
      try {
        const child = fs.readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim();
        if (child === '') return false;
        return fs.readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('main.js') ? Number(child) : false;
      } catch {
        return false;
      }
    });
    await waitForPort(port, 20_000, proc);
    return { proc, pid, output: () => out, exit };
  }

  /** The HEALTHCHECK command, as docker exec runs it inside the container. */
  function healthcheck(c: Container, env: Record<string, string> = {}): { code: number; out: string } {
    try {
      const out = execFileSync('nsenter', ['--target', String(c.pid), '--pid', '--mount', `--wd=${ROOT}`, '--', 'setpriv', ...asUser, 'env', '-i', ...environment(env), ...image.healthcheck], { encoding: 'utf8' });
      return { code: 0, out: out.trim() };
    } catch (e) {
      const err = e as { status: number; stdout: string };
      return { code: err.status, out: String(err.stdout).trim() };
    }
  }

  async function stop(c: Container): Promise<number | null> {
    process.kill(c.pid, image.stopsignal as NodeJS.Signals);
    return c.exit;
  }

  test('process 1 runs unprivileged; healthy; SIGTERM saves into the volume and exits 0', async () => {
    const c = await run(['--port', String(port)]);
    try {
      const status = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)![1]).toBe(uid);
      expect(healthcheck(c)).toEqual({ code: 0, out: 'PONG' });
      await RawConnection.using(port, async (r) => {
        expect(await r.call('VADD', 'docs', 'VALUES', 2, 1, 0, 'a')).toBe(':1\r\n');
        expect(((await r.value('CONFIG', 'GET', 'bind')) as string[])[1]).toBe('0.0.0.0');
      });
    } finally {
      expect(await stop(c)).toBe(0);
    }
    expect(c.output()).toContain('Received SIGTERM scheduling shutdown...');
    const dump = fs.statSync(path.join(data, 'dump.vsdb'));
    expect(String(dump.uid)).toBe(uid);
  });

  test('with a password from the environment, the arguments or a mounted config file', async () => {
    const viaEnv = await run(['--port', String(port)], { VSETD_REQUIREPASS: 's3cret' });
    try {
      expect(healthcheck(viaEnv, { VSETD_REQUIREPASS: 's3cret' })).toEqual({ code: 0, out: 'PONG' });
      await RawConnection.using(port, async (r) => {
        expect(await r.call('PING')).toBe('-NOAUTH Authentication required.\r\n');
        expect(await r.call('AUTH', 's3cret')).toBe('+OK\r\n');
        expect(await r.value('VCARD', 'docs')).toBe(1);
      });
    } finally {
      expect(await stop(viaEnv)).toBe(0);
    }
    const viaArgs = await run(['--port', String(port), '--requirepass', 'from-args']);
    try {
      expect(healthcheck(viaArgs)).toEqual({ code: 0, out: 'PONG' });
    } finally {
      expect(await stop(viaArgs)).toBe(0);
    }
    const conf = path.join(data, 'vsetd.conf');
    fs.writeFileSync(conf, `port ${port}\nrequirepass "from file"\n`);
    const viaFile = await run([conf]);
    try {
      expect(healthcheck(viaFile)).toEqual({ code: 0, out: 'PONG' });
    } finally {
      expect(await stop(viaFile)).toBe(0);
    }
  });

  test('the health check fails when the server is gone', async () => {
    const c = await run(['--port', String(port)]);
    const pid = c.pid;
    expect(await stop(c)).toBe(0);
    // The namespace died with its process 1: checked from outside with the same options.
    try {
      execFileSync(process.execPath, [path.join(ROOT, image.healthcheck[1]!), '--port', String(port)], { encoding: 'utf8' });
      expect.unreachable();
    } catch (e) {
      expect((e as { status: number }).status).toBe(1);
      expect(String((e as { stdout: string }).stdout)).toMatch(/^cannot connect: connect ECONNREFUSED/);
    }
    expect(pid).toBeGreaterThan(0);
  });
});
