#!/usr/bin/env node
/**
 * The container's health check (Dockerfile HEALTHCHECK, a Kubernetes exec probe): PINGs the
 * server the way a client would — over TLS and with AUTH when the server is configured so — and
 * exits 0 when it is healthy, 1 when not, with a one-line reason on stdout (docker inspect shows
 * it). Node only: the image needs no redis-cli.
 *
 *   node dist/src/healthcheck.js              readiness: PONG only (-LOADING is not ready)
 *   node dist/src/healthcheck.js --liveness   liveness: any reply, -LOADING included
 *   node dist/src/healthcheck.js [configfile] [--option value …]   as the server was started
 *
 * Without options it finds the server's own: the command line of the vsetd process (process 1
 * in its container, or the first `…/main.js` process found in /proc, for a pod that shares its
 * process namespace), its working directory for a relative config file, and the same
 * `VSETD_<OPTION>` environment the container gives every process — then reads them with the
 * server's own parser (server/config.ts, config-env.ts), so both agree on every option. Options
 * are looked up by name at run time: TLS (`tls-port`, `tls-ca-cert-file`, `tls-cert-file`,
 * `tls-key-file`) is used once the server has those options.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { Config, ConfigError, applyStartupOptions, parseCommandLine } from './server/config.js';
import { environmentDirectives } from './server/config-env.js';

/** Longer than a probe should ever wait for PONG; the orchestrator's own timeout may be shorter. */
const REPLY_TIMEOUT_MS = 4000;

function finish(healthy: boolean, why: string): never {
  process.stdout.write(`${why}\n`);
  process.exit(healthy ? 0 : 1);
}

/** The server's arguments (after main.js) and working directory, from /proc; null if not found. */
function serverProcess(): { args: string[]; cwd: string } | null {
  const isServer = (argv: string[]): boolean => argv.length >= 2 && /(^|\/)main\.js$/.test(argv[1]!);
  const read = (pid: string): { args: string[]; cwd: string } | null => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
      if (!isServer(argv)) return null;
      return { args: argv.slice(2), cwd: fs.readlinkSync(`/proc/${pid}/cwd`) };
    } catch {
      return null;
    }
  };
  const first = read('1');
  if (first !== null) return first;
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && p !== String(process.pid));
  } catch {
    return null;
  }
  pids.sort((a, b) => Number(a) - Number(b));
  for (const pid of pids) {
    const found = read(pid);
    if (found !== null) return found;
  }
  return null;
}

function loadConfig(args: string[], cwd: string): Config {
  const config = new Config();
  applyStartupOptions(config, { configFile: '', directives: environmentDirectives(process.env).directives });
  const resolved = args.length > 0 && !args[0]!.startsWith('--') ? [path.resolve(cwd, args[0]!), ...args.slice(1)] : args;
  applyStartupOptions(config, parseCommandLine(resolved, (p) => fs.readFileSync(p, 'utf8')));
  return config;
}

/** An option's value if the server has that option (TLS arrives in a later version). */
function option(config: Config, name: string): string | null {
  return Config.spec(name) === undefined ? null : config.get(name);
}

/** Where a local client reaches the server: the first bind address, or loopback for a wildcard. */
function localHost(bind: string): string {
  const first = bind.split(' ')[0]!.replace(/^-/, '');
  if (first === '*' || first === '0.0.0.0') return '127.0.0.1';
  if (first === '::' || first === '::*') return '::1';
  return first;
}

function connect(config: Config): net.Socket {
  const port = config.int('port');
  const tlsPort = Number(option(config, 'tls-port') ?? 0);
  const host = localHost(config.get('bind'));
  if (port === 0 && tlsPort > 0) {
    const file = (name: string): Buffer | undefined => {
      const p = option(config, name);
      return p ? fs.readFileSync(p) : undefined;
    };
    return tls.connect({
      host,
      port: tlsPort,
      ca: file('tls-ca-cert-file'),
      cert: file('tls-client-cert-file') ?? file('tls-cert-file'),
      key: file('tls-client-key-file') ?? file('tls-key-file'),
      // The certificate names the service, not the loopback address this probe dials: the chain
      // is still verified against the configured CA.
      checkServerIdentity: () => undefined,
    });
  }
  if (port > 0) return net.connect({ host, port });
  const unix = config.get('unixsocket');
  if (unix !== '') return net.connect({ path: unix });
  finish(false, 'the server listens on no TCP port and no Unix socket');
}

function bulk(s: string): string {
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}

function main(): void {
  const argv = process.argv.slice(2);
  const liveness = argv.includes('--liveness');
  const args = argv.filter((a) => a !== '--liveness' && a !== '--readiness');
  let config: Config;
  try {
    const found = args.length > 0 ? { args, cwd: process.cwd() } : serverProcess() ?? { args: [], cwd: process.cwd() };
    config = loadConfig(found.args, found.cwd);
  } catch (e) {
    finish(false, e instanceof ConfigError ? `bad configuration: ${e.message}` : `cannot read the configuration: ${(e as Error).message}`);
  }
  const socket = connect(config);
  const timer = setTimeout(() => finish(false, `no reply within ${REPLY_TIMEOUT_MS} ms`), REPLY_TIMEOUT_MS);
  timer.unref();
  const password = config.get('requirepass');
  const replies: string[] = [];
  const expected = password === '' ? 1 : 2;
  let buffered = '';
  socket.on('error', (e) => finish(false, `cannot connect: ${e.message}`));
  socket.on('close', () => finish(false, `connection closed after ${replies.length} of ${expected} replies`));
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    let nl: number;
    while ((nl = buffered.indexOf('\r\n')) >= 0) {
      replies.push(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 2);
    }
    if (replies.length < expected) return;
    const auth = password === '' ? '+OK' : replies[0]!;
    const pong = replies[expected - 1]!;
    if (!auth.startsWith('+')) finish(false, `AUTH refused: ${auth.slice(1)}`);
    if (pong === '+PONG') finish(true, 'PONG');
    if (pong.startsWith('-LOADING')) finish(liveness, `${pong.slice(1)} (${liveness ? 'alive' : 'not ready yet'})`);
    finish(false, `unexpected reply to PING: ${pong}`);
  });
  // AUTH and PING pipelined: the replies arrive in order. AUTH runs while the server loads.
  socket.write((password === '' ? '' : `*2\r\n${bulk('AUTH')}${bulk(password)}`) + `*1\r\n${bulk('PING')}`);
}

main();
