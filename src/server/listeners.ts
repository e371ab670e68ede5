/**
 * The listening sockets: one TCP listener per `bind` address (a leading '-' marks one that may be
 * missing, as in redis.conf's "bind -::1"), and the Unix socket when `unixsocket` is set.
 */
import net from 'node:net';
import fs from 'node:fs';
import type { Config } from './config.js';
import type { Logger } from './log.js';

export async function openListeners(config: Config, log: Logger, accept: (socket: net.Socket) => void): Promise<net.Server[]> {
  const out: net.Server[] = [];
  const port = config.int('port');
  if (port !== 0) {
    for (const raw of config.get('bind').split(' ')) {
      const optional = raw.startsWith('-');
      const host = optional ? raw.slice(1) : raw;
      const srv = net.createServer({ noDelay: true }, accept);
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ port, host: host === '*' ? undefined : host, backlog: config.int('tcp-backlog') }, () => {
            srv.off('error', reject);
            resolve();
          });
        });
        out.push(srv);
      } catch (e) {
        if (optional) {
          log.warning(`Could not bind optional address ${host}:${port}: ${(e as Error).message}`);
          continue;
        }
        for (const l of out) l.close();
        throw new Error(`Could not create server TCP listening socket ${host}:${port}: ${(e as Error).message}`);
      }
    }
  }
  const unixPath = config.get('unixsocket');
  if (unixPath !== '') {
    try {
      fs.unlinkSync(unixPath);
    } catch {
      // no stale socket to remove
    }
    const srv = net.createServer(accept);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(unixPath, () => resolve());
    });
    const perm = config.octal('unixsocketperm');
    if (perm !== 0) fs.chmodSync(unixPath, perm);
    out.push(srv);
  }
  return out;
}
