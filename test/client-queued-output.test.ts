// A client's unsent output counts the replies that are ready but wait for an earlier one (a
// search a worker has not finished): CLIENT LIST's omem, the hold of a client that does not read
// and the output limits all read it. Uncounted, a client that never read could have up to 256
// more replies queued than its bound (test/output-limits.test.ts failed once so, by ~28 replies).
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { expect, test } from 'vitest';
import { Client } from '../src/server/client.js';
import { harness } from './helpers/harness.js';

/** A socket that takes every write at once (nothing stays in its buffer) and records it. */
function fakeSocket(): net.Socket & { sent: string[] } {
  const sent: string[] = [];
  return Object.assign(new EventEmitter(), {
    sent,
    writableLength: 0,
    write: (b: Buffer): boolean => {
      sent.push(b.toString('latin1'));
      return true;
    },
    cork: () => {},
    uncork: () => {},
    pause: () => {},
    resume: () => {},
    end: () => {},
  }) as unknown as net.Socket & { sent: string[] };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('replies queued behind an unfinished one count as unsent output until they are sent', async () => {
  const { server } = harness();
  const socket = fakeSocket();
  const c = new Client(1, socket, server, server.readerLimits);
  let finishFirst!: (b: Uint8Array) => void;
  c.deferBytes(new Promise<Uint8Array>((r) => (finishFirst = r)));
  c.deferBytes(Promise.resolve(Buffer.alloc(1000, 'a')));
  c.deferBytes(Promise.resolve(Buffer.alloc(2000, 'b')));
  c.reply.simple('inline');
  c.sealReplies();
  await tick();
  // Nothing can go out before the first reply: all of the rest waits, and counts.
  expect(socket.sent).toEqual([]);
  expect(c.outputBytes).toBe(1000 + 2000 + '+inline\r\n'.length);
  expect(c.pendingReplies).toBe(1);
  finishFirst(Buffer.from('+first\r\n'));
  await tick();
  expect(socket.sent.join('')).toBe(`+first\r\n${'a'.repeat(1000)}${'b'.repeat(2000)}+inline\r\n`);
  expect(c.outputBytes).toBe(0);
  expect(c.pendingReplies).toBe(0);
});
