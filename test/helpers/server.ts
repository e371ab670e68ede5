/**
 * Starts a real vsetd process (the compiled dist/ build, as users run it) on a free port for a
 * test suite, and stops it afterwards.
 */
import { afterAll, beforeAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(ROOT, 'dist/src/main.js');

export interface RunningServer {
  port: number;
  dir: string;
  proc: ChildProcess;
  /** Everything the server printed so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Asks the OS for a free TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 20_000, proc?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for the log line a server writes once its dataset is loaded. */
async function waitForReadyLine(output: () => string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!output().includes('Ready to accept connections')) {
    if (proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode}`);
    if (Date.now() > deadline) throw new Error(`server did not finish loading within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface StartOptions {
  /** Extra command-line arguments (after --port and --dir). */
  args?: string[];
  /** Working directory for data files; a fresh temp dir by default. */
  dir?: string;
  /** Fixed port (to restart on the same one). */
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** A config file, given first as the server takes it (before --port and the other arguments). */
  configFile?: string;
  /** false: return once the port is open, while the dataset may still be loading. */
  waitReady?: boolean;
}

/**
 * One server for a whole test file: started before its tests, stopped after them. Returns the
 * running server (valid inside tests and hooks).
 */
export function serverForFile(opts: StartOptions = {}): () => RunningServer {
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer(opts);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the server is not started yet');
    return server;
  };
}

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-test-'));
  let out = '';
  const proc = spawn(process.execPath, [MAIN, ...(opts.configFile !== undefined ? [opts.configFile] : []), '--port', String(port), '--dir', dir, '--save', '', ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitForPort(port, 20_000, proc);
    // The port opens before the dataset loads (answering -LOADING meanwhile); a test's first
    // command expects a loaded server, which the log announces, unless the log goes elsewhere.
    const args = opts.args ?? [];
    const level = args[args.indexOf('--loglevel') + 1];
    if (opts.waitReady !== false && !args.includes('--logfile') && (!args.includes('--loglevel') || level === 'notice' || level === 'verbose' || level === 'debug')) {
      await waitForReadyLine(() => out, proc, 20_000);
    }
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  return {
    port,
    dir,
    proc,
    output: () => out,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          resolve(proc.exitCode);
          return;
        }
        proc.once('exit', (code) => resolve(code));
        proc.kill(signal);
      }),
  };
}
