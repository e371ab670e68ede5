import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { Server } from '../src/server/server.js';
import { Config } from '../src/server/config.js';
import { Client } from '../src/server/client.js';
import { command, NO_KEYS } from '../src/commands/types.js';

describe('a handler that throws', () => {
  it('answers one error reply, drops its partial reply, and the server keeps serving', () => {
    const server = new Server(new Config());
    server.commands.register([
      command('boom', 1, [], NO_KEYS, [], { summary: 'test', since: '0', group: 'test' }, (c) => {
        c.reply.array(3);
        c.reply.bulk('partial');
        c.reply.bulk(Buffer.alloc(100_000, 1));
        throw new Error('kaboom');
      }),
    ]);
    server.log.level = 'nothing';
    const socket = Object.assign(new EventEmitter(), { write: () => true, writableLength: 0 });
    const client = new Client(1, socket as unknown as net.Socket, server, server.readerLimits);
    server.processCommand(client, [Buffer.from('PING')]);
    server.processCommand(client, [Buffer.from('BOOM')]);
    server.processCommand(client, [Buffer.from('PING')]);
    const out = Buffer.concat(client.reply.take()).toString('latin1');
    expect(out).toBe("+PONG\r\n-ERR internal error while executing 'boom': kaboom\r\n+PONG\r\n");
    expect(server.errorStats.get('ERR')).toBe(1);
  });
});
