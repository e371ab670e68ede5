// The search pool's dispatch, against stand-in workers (data: URLs) that answer after a delay and
// report what they received: replies reach the right callers in order, a busy worker gets a
// second batch instead of idling between batches, never a third, and a worker that dies takes
// every batch it held with it (rejected, not lost) and is replaced. Tasks go out with their bytes
// in buffers of their own.
import { describe, expect, test } from 'vitest';
import { SearchPool } from '../src/server/search-pool.js';
import { Logger } from '../src/server/log.js';
import { ownedBytes, type PoolTask, type SearchTask } from '../src/vset/search-task.js';
import type { SetHandle } from '../src/vset/index.js';

/**
 * A worker that answers each batch `delay` ms after it arrived, replying to item `id` with the
 * bytes "<batch number>:<id>:<batches received so far>", and exits on an item whose setId is 666.
 */
const ECHO_WORKER = new URL(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { parentPort } from 'node:worker_threads';
      let received = 0;
      parentPort.on('message', (m) => {
        if (m.items.length === 0) return;
        const batch = ++received;
        if (m.items.some((it) => it.setId === 666)) process.exit(3);
        setTimeout(() => {
          const parts = m.items.map((it) => new TextEncoder().encode(batch + ':' + it.id + ':' + received));
          let total = 0;
          for (const p of parts) total += p.length;
          const data = new Uint8Array(total);
          const ends = [];
          let off = 0;
          for (const p of parts) { data.set(p, off); off += p.length; ends.push(off); }
          parentPort.postMessage({ type: 'results', ids: m.items.map((it) => it.id), ends, data }, [data.buffer]);
        }, ${JSON.stringify(80)});
      });
    `),
);

const quiet = new Logger();
quiet.level = 'nothing';
// The stand-in worker never reads the handle or the task.
const handle = { kind: 'vsetd.vset' } as unknown as SetHandle;
const task = {} as PoolTask;
const text = (b: Uint8Array): string => Buffer.from(b).toString();
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('SearchPool dispatch', () => {
  test('a busy worker is sent a second batch at once, never a third, and every reply reaches its caller', async () => {
    const pool = new SearchPool(ECHO_WORKER, 1, quiet);
    try {
      const first = [pool.submit(1, handle, task), pool.submit(1, handle, task)];
      await tick();
      const second = [pool.submit(1, handle, task)];
      await tick();
      const third = [pool.submit(1, handle, task), pool.submit(1, handle, task)];
      await tick();
      // Two batches are out; the third waits in the queue.
      expect(pool.inflight).toBe(3);
      expect(pool.queueDepth).toBe(2);
      const replies = (await Promise.all([...first, ...second, ...third])).map(text);
      // batch:id:batches-the-worker-had-received-when-it-answered. The second batch had arrived
      // before the first was answered (2 received by then); the third left only after a reply.
      expect(replies.slice(0, 2)).toEqual(['1:1:2', '1:2:2']);
      expect(replies[2]).toMatch(/^2:3:[23]$/);
      expect(replies.slice(3)).toEqual(['3:4:3', '3:5:3']);
      expect(pool.totalServed).toBe(5);
      expect(pool.batches).toBe(3);
    } finally {
      await pool.close();
    }
  });

  test('with two workers, idle ones get equal shares before a busy one gets a second batch', async () => {
    const pool = new SearchPool(ECHO_WORKER, 2, quiet);
    try {
      const a = Array.from({ length: 4 }, () => pool.submit(1, handle, task));
      await tick();
      expect(pool.batches).toBe(2);
      const b = pool.submit(1, handle, task);
      await tick();
      expect(pool.batches).toBe(3);
      const replies = (await Promise.all([...a, b])).map(text);
      // Items 1–2 to one worker, 3–4 to the other, each as its first batch.
      expect(replies.slice(0, 4).map((r) => r.split(':')[0])).toEqual(['1', '1', '1', '1']);
      expect(replies[4]!.split(':')[0]).toBe('2');
      const served = pool.perThread().map(([, n]) => n).sort();
      expect(served).toEqual([2, 3]);
    } finally {
      await pool.close();
    }
  });

  test('a worker that dies rejects both batches it held and is replaced', async () => {
    const pool = new SearchPool(ECHO_WORKER, 1, quiet);
    try {
      const held = pool.submit(1, handle, task);
      await tick();
      const fatal = pool.submit(666, handle, task);
      await tick();
      await expect(held).rejects.toThrow(/exited with code 3/);
      await expect(fatal).rejects.toThrow(/exited with code 3/);
      expect(pool.size).toBe(1);
      expect(text(await pool.submit(1, handle, task))).toMatch(/^1:\d+:1$/);
    } finally {
      await pool.close();
    }
  });
});

describe('tasks posted to a worker', () => {
  test('carry their ELE name and FILTER bytes in buffers of their own, not the views argv holds', () => {
    // argv's bytes are views of the socket's read chunk; posting one copies the whole chunk.
    const chunk = Buffer.alloc(65536);
    chunk.write('e42', 100);
    chunk.write('.year > 1990', 200);
    const task: SearchTask = {
      query: null,
      element: chunk.subarray(100, 103),
      count: 10,
      ef: 100,
      epsilon: 2,
      truth: false,
      filter: chunk.subarray(200, 212),
      filterEf: 0,
      withScores: false,
      withAttribs: false,
      protocol: 2,
    };
    const posted = ownedBytes(task);
    expect(posted.element!.buffer.byteLength).toBe(3);
    expect(posted.filter!.buffer.byteLength).toBe(12);
    expect(Buffer.from(posted.element!).toString()).toBe('e42');
    expect(Buffer.from(posted.filter!).toString()).toBe('.year > 1990');
    // Bytes already alone in their buffer are not copied again.
    const alone = new Uint8Array([1, 2, 3]);
    expect(ownedBytes({ ...task, element: alone, filter: null }).element).toBe(alone);
  });
});
