/**
 * A Server object without sockets or cron, driven through processCommand, for tests that must see
 * what cannot be seen from outside a process: what each write propagates, the keyspace's events,
 * values as stored. Replies come back as their exact bytes (latin1).
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { Server } from '../../src/server/server.js';
import { Client } from '../../src/server/client.js';
import { Config } from '../../src/server/config.js';

export interface Harness {
  server: Server;
  client: Client;
  /** Runs one command on `client`; returns the reply bytes as a latin1 string. */
  run(...args: Array<string | Buffer>): string;
  /** Runs one command on another connection of the same server. */
  runOn(c: Client, ...args: Array<string | Buffer>): string;
  /** A further connection. */
  connect(): Client;
  /** Writes propagated since the last call, as "db: ARGV…" lines. */
  propagated(): string[];
}

/** `options` are startup directives, e.g. { 'enable-debug-command': 'yes', dir: '/tmp/x' }. */
export function harness(options: Record<string, string> = {}): Harness {
  const config = new Config();
  for (const [name, value] of Object.entries(options)) config.set(name, [value], true);
  const server = new Server(config);
  const log: string[] = [];
  server.onPropagate((db, argv) => log.push(`${db}: ${argv.map((a) => a.toString('latin1')).join(' ')}`));
  let ids = 1;
  const connect = (): Client => {
    const socket = Object.assign(new EventEmitter(), { write: () => true, writableLength: 0 });
    return new Client(ids++, socket as unknown as net.Socket, server, server.readerLimits);
  };
  const client = connect();
  const runOn = (c: Client, ...args: Array<string | Buffer>): string => {
    server.processCommand(c, args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a)));
    return Buffer.concat(c.reply.take()).toString('latin1');
  };
  return {
    server,
    client,
    run: (...args) => runOn(client, ...args),
    runOn,
    connect,
    propagated: () => log.splice(0),
  };
}
