/**
 * Where the server listens: TCP on `port` at each `bind` address, TLS on `tls-port` at the same
 * addresses, and the Unix socket. `port 0` with a tls-port serves TLS only, as in Redis.
 *
 * Protected mode lives here too (Redis's clientAcceptHandler): while `protected-mode` is yes and
 * the default user has no password, a connection from anywhere but the loopback interface or
 * the Unix socket is answered with Redis's DENIED text and closed.
 */
import fs from 'node:fs';
import net from 'node:net';
import type tls from 'node:tls';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { createTlsServer } from './tls.js';

export type ListenerKind = 'tcp' | 'tls' | 'unix';

export const PROTECTED_MODE_DENIED =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command \'CONFIG SET protected-mode no\' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to \'no\', and then restarting the server. 3) If you started the server manually just for testing, restart it with the \'--protected-mode no\' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n';

/** A peer on the loopback interface (connSocketIsLocal), IPv4-mapped addresses included. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a.startsWith('127.') || a === '::1';
}

async function listenOn(srv: net.Server, opts: net.ListenOptions | string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    const done = (): void => {
      srv.off('error', reject);
      resolve();
    };
    if (typeof opts === 'string') srv.listen(opts, done);
    else srv.listen(opts, done);
  });
}

export class Listeners {
  private readonly servers: Array<{ kind: ListenerKind; srv: net.Server }> = [];

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly accept: (socket: net.Socket, kind: ListenerKind) => void,
  ) {}

  /** Binds every configured listener; throws with Redis's message when one cannot be bound. */
  async listen(): Promise<void> {
    const binds = this.config.get('bind').split(' ');
    const port = this.config.int('port');
    const tlsPort = this.config.int('tls-port');
    if (port !== 0) await this.bindAll('tcp', port, binds, () => net.createServer({ noDelay: true }, (s) => this.accept(s, 'tcp')));
    if (tlsPort !== 0) {
      await this.bindAll('tls', tlsPort, binds, () => createTlsServer(this.config, this.log, (s: tls.TLSSocket) => this.accept(s, 'tls')));
    }
    const unixPath = this.config.get('unixsocket');
    if (unixPath !== '') {
      try {
        fs.unlinkSync(unixPath);
      } catch {
        // no stale socket to remove
      }
      const srv = net.createServer((s) => this.accept(s, 'unix'));
      await listenOn(srv, unixPath);
      const perm = this.config.octal('unixsocketperm');
      if (perm !== 0) fs.chmodSync(unixPath, perm);
      this.servers.push({ kind: 'unix', srv });
    }
  }

  private async bindAll(kind: ListenerKind, port: number, binds: string[], make: () => net.Server): Promise<void> {
    for (const raw of binds) {
      // A leading '-' marks an address that may be missing (redis.conf "bind -::1").
      const optional = raw.startsWith('-');
      const host = optional ? raw.slice(1) : raw;
      const srv = make();
      try {
        await listenOn(srv, { port, host: host === '*' ? undefined : host, backlog: this.config.int('tcp-backlog') });
        this.servers.push({ kind, srv });
      } catch (e) {
        if (optional) {
          this.log.warning(`Could not bind optional address ${host}:${port}: ${(e as Error).message}`);
          continue;
        }
        throw new Error(`Could not create server ${kind === 'tls' ? 'TLS' : 'TCP'} listening socket ${host}:${port}: ${(e as Error).message}`);
      }
    }
  }

  /** The port actually bound for a kind of listener (0 when there is none). */
  port(kind: 'tcp' | 'tls'): number {
    for (const l of this.servers) {
      const a = l.srv.address();
      if (l.kind === kind && a && typeof a === 'object') return a.port;
    }
    return 0;
  }

  close(): void {
    for (const l of this.servers) l.srv.close();
  }
}
