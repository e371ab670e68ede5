/**
 * VADD … CAS as a client sees it (spec §10): the neighbour search runs on the search pool and the
 * insert commits on the main thread. Replies, what is stored, what reaches the AOF, and the cases
 * where CAS is a plain VADD (missing key, existing element, MULTI, no pool, forced single thread).
 */
import { describe, expect, it } from 'vitest';
import { RawConnection, type RespValue } from './helpers/raw.js';
import { serverForFile, startServer } from './helpers/server.js';
import { rng, valuesArgs } from './helpers/rng.js';
import { infoField, waitFor } from './helpers/wait.js';

const DIM = 8;
const server = serverForFile({ args: ['--search-threads', '2', '--enable-debug-command', 'yes'] });

const vec = (r: () => number): string[] => valuesArgs(r, DIM);

/** The searchpool counters of INFO. */
async function casCounters(c: RawConnection): Promise<{ inline: number; planned: number; redone: number; dropped: number }> {
  const info = String(await c.value('INFO', 'searchpool'));
  const field = (f: string): number => Number(new RegExp(`${f}:(\\d+)`).exec(info)![1]);
  return {
    inline: field('vadd_cas_inline_when_idle'),
    planned: field('vadd_cas_planned'),
    redone: field('vadd_cas_redone'),
    dropped: field('vadd_cas_dropped'),
  };
}


describe('VADD CAS on the search pool', () => {
  it('pipelined CAS inserts all reply true, are all stored and searchable, and the graph is valid', async () => {
    await RawConnection.using(server().port, async (c) => {
      const r = rng(7);
      const before = await casCounters(c);
      expect(await c.value('VADD', 'cas:a', 'VALUES', DIM, ...vec(r), 'first', 'CAS')).toBe(1);
      const vectors = new Map<string, string[]>();
      const cmds: Array<Array<string | number>> = [];
      for (let i = 0; i < 400; i++) {
        const v = vec(r);
        vectors.set(`e${i}`, v);
        cmds.push(['VADD', 'cas:a', 'VALUES', DIM, ...v, `e${i}`, 'CAS', 'SETATTR', JSON.stringify({ i })]);
      }
      const replies = await c.pipeline(cmds);
      expect(replies.every((x) => x === 1)).toBe(true);
      expect(await c.value('VCARD', 'cas:a')).toBe(401);
      expect(await c.value('DEBUG', 'VSET-VALIDATE', 'cas:a')).toBe('OK');
      const after = await casCounters(c);
      // The first element created the set synchronously; every other went through a plan, except
      // those that found the pool idle and were first in their event-loop turn, which ran inline
      // (with one pipelining client that is every other one: each waits for the one before).
      const planned = after.planned + after.redone - before.planned - before.redone;
      expect(planned + after.inline - before.inline).toBe(400);
      expect(planned).toBeGreaterThanOrEqual(100);
      expect(after.dropped).toBe(before.dropped);
      for (const name of ['e0', 'e199', 'e399']) {
        const hit = (await c.value('VSIM', 'cas:a', 'VALUES', DIM, ...vectors.get(name)!, 'COUNT', 1, 'WITHATTRIBS')) as RespValue[];
        expect(hit[0]).toBe(name);
        expect(hit[1]).toBe(JSON.stringify({ i: Number(name.slice(1)) }));
      }
      expect(await c.value('VINFO', 'cas:a').then((x) => (x as RespValue[]).indexOf('attributes-count'))).toBeGreaterThan(-1);
    });
  });

  it('is a plain VADD for a missing key and an existing element (reply false on update), in RESP2 and RESP3', async () => {
    await RawConnection.using(server().port, async (c) => {
      const r = rng(8);
      expect(await c.call('VADD', 'cas:b', 'VALUES', DIM, ...vec(r), 'x', 'CAS')).toBe(':1\r\n');
      expect(await c.call('VADD', 'cas:b', 'VALUES', DIM, ...vec(r), 'y', 'CAS')).toBe(':1\r\n');
      expect(await c.call('VADD', 'cas:b', 'VALUES', DIM, ...vec(r), 'y', 'CAS', 'SETATTR', '{"u":1}')).toBe(':0\r\n');
      expect(await c.value('VGETATTR', 'cas:b', 'y')).toBe('{"u":1}');
      await c.value('HELLO', 3);
      expect(await c.call('VADD', 'cas:b', 'VALUES', DIM, ...vec(r), 'z', 'CAS')).toBe('#t\r\n');
      expect(await c.call('VADD', 'cas:b', 'VALUES', DIM, ...vec(r), 'z', 'CAS')).toBe('#f\r\n');
      // Errors are found before anything runs on a thread.
      expect(await c.call('VADD', 'cas:b', 'VALUES', DIM + 1, ...vec(r), '0', 'w', 'CAS')).toBe('-ERR Vector dimension mismatch - got 9 but set has 8\r\n');
      expect(await c.call('VADD', 'cas:b', 'VALUES', DIM, ...vec(r), 'w', 'CAS', 'NOQUANT')).toBe('-ERR asked quantization mismatch with existing vector set\r\n');
      expect(await c.value('VCARD', 'cas:b')).toBe(3);
    });
  });

  it('replies true but adds nothing when the key is replaced or the element added while the search runs', async () => {
    const a = await RawConnection.connect(server().port);
    const b = await RawConnection.connect(server().port);
    // A client's commands wait for its CAS to commit, so each racing CAS has a connection.
    const N = 20;
    const casClients = await Promise.all(Array.from({ length: N }, () => RawConnection.connect(server().port)));
    try {
      const r = rng(9);
      // Every CAS search goes to the pool, where DEBUG SEARCH-WORKER HOLD keeps it until B's
      // writes have committed: the race happens every time, not by luck.
      expect(await b.value('CONFIG', 'SET', 'search-inline-when-idle', 'no')).toBe('OK');
      for (const mode of ['replaced', 'sameName'] as const) {
        await a.call('DEL', 'cas:c');
        await a.pipeline(Array.from({ length: 300 }, (_, i) => ['VADD', 'cas:c', 'VALUES', DIM, ...vec(r), `s${i}`]));
        const before = await casCounters(a);
        expect(await b.value('DEBUG', 'SEARCH-WORKER', 'HOLD')).toBe('OK');
        let pa: Promise<RespValue[]>;
        try {
          pa = Promise.all(casClients.map((c, i) => c.value('VADD', 'cas:c', 'VALUES', DIM, ...vec(r), `n${i}`, 'CAS', 'EF', 500)));
          // All N accepted and waiting on the pool before B writes.
          await waitFor('the CAS searches to reach the pool', async () => {
            const info = String(await b.value('INFO', 'searchpool'));
            return Number(infoField(info, 'search_queue_depth')) + Number(infoField(info, 'search_inflight')) === N;
          });
          const bCmds: Array<Array<string | number>> =
            mode === 'replaced'
              ? [['DEL', 'cas:c'], ...Array.from({ length: 20 }, (_, i) => ['VADD', 'cas:c', 'VALUES', DIM, ...vec(r), `b${i}`])]
              : Array.from({ length: N }, (_, i) => ['VADD', 'cas:c', 'VALUES', DIM, ...vec(r), `n${i}`]);
          (await b.pipeline(bCmds)).forEach((x) => expect(x).toBe(1));
        } finally {
          expect(await b.value('DEBUG', 'SEARCH-WORKER', 'RELEASE')).toBe('OK');
        }
        // CAS always replies true; every commit found the key replaced or the element there.
        expect(await pa).toEqual(Array.from({ length: N }, () => 1));
        const after = await casCounters(a);
        expect({ mode, dropped: after.dropped - before.dropped, planned: after.planned - before.planned, redone: after.redone - before.redone }).toEqual({ mode, dropped: N, planned: 0, redone: 0 });
        expect(await a.value('DEBUG', 'VSET-VALIDATE', 'cas:c')).toBe('OK');
        const names = ((await a.value('VRANGE', 'cas:c', '-', '+', -1)) as string[]).sort();
        const expected = mode === 'replaced' ? Array.from({ length: 20 }, (_, i) => `b${i}`) : [...Array.from({ length: 300 }, (_, i) => `s${i}`), ...Array.from({ length: N }, (_, i) => `n${i}`)];
        expect(names).toEqual(expected.sort());
        expect(await a.value('VCARD', 'cas:c')).toBe(names.length);
      }
    } finally {
      await b.value('CONFIG', 'SET', 'search-inline-when-idle', 'yes');
      a.close();
      b.close();
      for (const c of casClients) c.close();
    }
  });

  it('runs inline when alone at an idle pool: one connection, one command at a time', async () => {
    await RawConnection.using(server().port, async (c) => {
      const r = rng(12);
      await c.value('VADD', 'cas:e', 'VALUES', DIM, ...vec(r), 'x');
      const before = await casCounters(c);
      for (let i = 0; i < 20; i++) expect(await c.value('VADD', 'cas:e', 'VALUES', DIM, ...vec(r), `y${i}`, 'CAS')).toBe(1);
      const after = await casCounters(c);
      expect(after.inline - before.inline).toBe(20);
      expect(after.planned + after.redone + after.dropped).toBe(before.planned + before.redone + before.dropped);
      expect(await c.value('VCARD', 'cas:e')).toBe(21);
    });
  });

  it('runs inline inside MULTI and with vset-force-single-threaded-execution', async () => {
    await RawConnection.using(server().port, async (c) => {
      const r = rng(10);
      await c.value('VADD', 'cas:d', 'VALUES', DIM, ...vec(r), 'x');
      const before = await casCounters(c);
      expect(await c.value('MULTI')).toBe('OK');
      expect(await c.value('VADD', 'cas:d', 'VALUES', DIM, ...vec(r), 'y', 'CAS')).toBe('QUEUED');
      expect(await c.value('EXEC')).toEqual([1]);
      expect(await c.value('CONFIG', 'SET', 'vset-force-single-threaded-execution', 'yes')).toBe('OK');
      expect(await c.value('VADD', 'cas:d', 'VALUES', DIM, ...vec(r), 'z', 'CAS')).toBe(1);
      expect(await c.value('CONFIG', 'SET', 'vset-force-single-threaded-execution', 'no')).toBe('OK');
      expect(await casCounters(c)).toEqual(before);
      expect(await c.value('VCARD', 'cas:d')).toBe(3);
    });
  });
});

describe('VADD CAS and the AOF', () => {
  it('propagates the inserts that happened, and only those: a restart replays the same set', async () => {
    const s = await startServer({ args: ['--search-threads', '2', '--appendonly', 'yes', '--appendfsync', 'always'] });
    let dir = s.dir;
    const a = await RawConnection.connect(s.port);
    const b = await RawConnection.connect(s.port);
    let names: string[];
    try {
      const r = rng(11);
      await a.pipeline(Array.from({ length: 200 }, (_, i) => ['VADD', 'k', 'VALUES', DIM, ...vec(r), `s${i}`]));
      const pa = a.pipeline(Array.from({ length: 100 }, (_, i) => ['VADD', 'k', 'VALUES', DIM, ...vec(r), `c${i}`, 'CAS']));
      const pb = b.pipeline([['DEL', 'k'], ...Array.from({ length: 30 }, (_, i) => ['VADD', 'k', 'VALUES', DIM, ...vec(r), `c${i * 3}`])]);
      await Promise.all([pa, pb]);
      names = ((await a.value('VRANGE', 'k', '-', '+', -1)) as string[]).sort();
      dir = s.dir;
    } finally {
      a.close();
      b.close();
      await s.stop('SIGKILL');
    }
    const s2 = await startServer({ dir, args: ['--appendonly', 'yes', '--enable-debug-command', 'yes'] });
    const c = await RawConnection.connect(s2.port);
    try {
      expect(((await c.value('VRANGE', 'k', '-', '+', -1)) as string[]).sort()).toEqual(names);
      expect(await c.value('DEBUG', 'VSET-VALIDATE', 'k')).toBe('OK');
    } finally {
      c.close();
      await s2.stop();
    }
  });
});
