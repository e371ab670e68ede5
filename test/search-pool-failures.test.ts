/**
 * What happens to searches on the pool when things go wrong under them: a search worker thread
 * dying in the middle of a batch (DEBUG SEARCH-WORKER CRASH, enable-debug-command only), and the
 * set being deleted (DEL, UNLINK, FLUSHALL) while searches on it are running in workers
 * (DEBUG SEARCH-WORKER HOLD keeps them there until the delete has replied).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverForFile } from './helpers/server.js';
import { encodeCommand, RawConnection, type RespValue } from './helpers/raw.js';
import { rng, valuesArgs } from './helpers/rng.js';
import { infoField, waitFor } from './helpers/wait.js';

const DIM = 16;
const server = serverForFile({ args: ['--search-threads', '2', '--enable-debug-command', 'yes'] });

let c: RawConnection;
beforeAll(async () => {
  c = await RawConnection.connect(server().port);
  // Every VSIM goes to a worker, even one alone at an idle pool.
  expect(await c.value('CONFIG', 'SET', 'search-inline-when-idle', 'no')).toBe('OK');
});
afterAll(() => c.close());

async function pipelineRaw(conn: RawConnection, cmds: Array<Array<string | number>>): Promise<string[]> {
  conn.write(Buffer.concat(cmds.map((a) => encodeCommand(a))));
  const out: string[] = [];
  for (let i = 0; i < cmds.length; i++) out.push((await conn.readReply(30_000)).raw);
  return out;
}

async function poolInfo(): Promise<string> {
  return (await c.value('INFO', 'searchpool')) as string;
}

/** Waits until `n` pool tasks are queued or on a worker (they are held there by HOLD). */
async function untilOnPool(n: number): Promise<void> {
  await waitFor(`${n} searches on the pool`, async () => {
    const info = await poolInfo();
    return Number(infoField(info, 'search_queue_depth')) + Number(infoField(info, 'search_inflight')) === n;
  });
}

async function fill(key: string, n: number, seed: number): Promise<void> {
  const r = rng(seed);
  await pipelineRaw(c, Array.from({ length: n }, (_, i) => ['VADD', key, 'VALUES', DIM, ...valuesArgs(r, DIM), `e${i}`, 'SETATTR', JSON.stringify({ i })]));
}

function queries(key: string, n: number, seed: number): Array<Array<string | number>> {
  const r = rng(seed);
  return Array.from({ length: n }, (_, q) => ['VSIM', key, 'VALUES', DIM, ...valuesArgs(r, DIM), 'COUNT', 10, 'WITHSCORES', ...(q % 2 ? ['WITHATTRIBS'] : []), ...(q % 3 ? [] : ['TRUTH'])]);
}

describe('a search worker crashing mid-batch', () => {
  it('its clients get an error or the right answer, and the pool respawns and answers', async () => {
    await fill('crash', 500, 1);
    const qs = queries('crash', 20, 2);
    const reference = await pipelineRaw(c, qs.map((q) => [...q, 'NOTHREAD']));
    const a = await RawConnection.connect(server().port);
    const info0 = await poolInfo();
    try {
      // The 5th pool task from now kills its worker inside its read section; HOLD keeps all 20
      // on the workers until they are all there, so the crash hits a batch with others in it.
      expect(await c.value('DEBUG', 'SEARCH-WORKER', 'CRASH', 5)).toBe('OK');
      expect(await c.value('DEBUG', 'SEARCH-WORKER', 'HOLD')).toBe('OK');
      let replies: Promise<string[]>;
      try {
        replies = pipelineRaw(a, qs);
        await untilOnPool(20);
      } finally {
        expect(await c.value('DEBUG', 'SEARCH-WORKER', 'RELEASE')).toBe('OK');
      }
      const got = await replies;
      const errors = got.filter((r) => r.startsWith('-'));
      // The crashed search and the others of its batch fail with an error reply …
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) expect(e).toMatch(/^-ERR /);
      // … every other reply is the right one.
      got.forEach((r, i) => {
        if (!r.startsWith('-')) expect(r).toBe(reference[i]);
      });
      expect(server().output()).toMatch(/Search worker \d+ failed/);
      // The pool is back to two threads, and they answer.
      const info1 = await waitFor('the pool to respawn', async () => {
        const info = await poolInfo();
        return infoField(info, 'search_threads') === '2' ? info : undefined;
      });
      expect(info1).not.toBe(info0);
      const again = await pipelineRaw(a, qs);
      expect(again).toEqual(reference);
      expect(await c.value('DEBUG', 'VSET-VALIDATE', 'crash')).toBe('OK');
    } finally {
      a.close();
    }
  });

  // A worker that dies inside a read section must leave nothing that blocks reclamation: an
  // arena set's readers publish no epoch (their task tickets complete with the failed batch), and
  // the pool clears a dead worker's reader slot in a set of its own (SearchPool.releaseDeadReader).
  it('after the crash, the dead worker\'s reader slot does not block reclaiming deleted nodes', async () => {
    const removed = await pipelineRaw(c, Array.from({ length: 100 }, (_, i) => ['VREM', 'crash', `e${i * 5}`]));
    expect(removed.every((r) => r === ':1\r\n')).toBe(true);
    expect(await c.value('DEBUG', 'VSET-READERS', 'crash')).toEqual([0, 0]);
  });
});

describe('deleting a set while searches on it run in workers', () => {
  for (const how of ['DEL', 'UNLINK', 'FLUSHALL'] as const) {
    it(`${how}: the searches answer from the set as it was, the key is gone at once, and a new set of that name is searched fresh`, async () => {
      const key = `gone:${how}`;
      await fill(key, 400, 3);
      const qs = queries(key, 12, 4);
      const reference = await pipelineRaw(c, qs.map((q) => [...q, 'NOTHREAD']));
      const a = await RawConnection.connect(server().port);
      const served0 = Number(infoField(await poolInfo(), 'searches_served'));
      const retired = async (): Promise<number> => Number(infoField((await c.value('INFO', 'memory')) as string, 'vset_arena_retired'));
      const [place, oldBytes] = (await c.value('DEBUG', 'VSET-PLACE', key)) as [string, number];
      expect(place).toBe('arena');
      expect(await retired()).toBe(0);
      try {
        expect(await c.value('DEBUG', 'SEARCH-WORKER', 'HOLD')).toBe('OK');
        let replies: Promise<string[]>;
        try {
          replies = pipelineRaw(a, qs);
          await untilOnPool(qs.length);
          const deleted: RespValue = how === 'FLUSHALL' ? await c.value('FLUSHALL') : await c.value(how, key);
          expect(deleted).toBe(how === 'FLUSHALL' ? 'OK' : 1);
          expect(await c.value('EXISTS', key)).toBe(0);
          // The old set's memory waits for the searches that may still read it.
          expect(await retired()).toBeGreaterThanOrEqual(oldBytes);
          // A new set under the same name, while the old one's searches are still held.
          await fill(key, 50, 5);
        } finally {
          expect(await c.value('DEBUG', 'SEARCH-WORKER', 'RELEASE')).toBe('OK');
        }
        // The held searches began on the old set: they answer from it, exactly; then its memory
        // goes back to the arena.
        expect(await replies).toEqual(reference);
        expect(await retired()).toBe(0);
        expect(Number(infoField(await poolInfo(), 'searches_served')) - served0).toBe(qs.length);
        // The new set is searched as itself (the workers dropped the old attachment).
        const fresh = await pipelineRaw(a, qs);
        const freshInline = await pipelineRaw(c, qs.map((q) => [...q, 'NOTHREAD']));
        expect(fresh).toEqual(freshInline);
        for (const r of fresh) expect(r).not.toMatch(/e(5\d|[6-9]\d|\d{3})\b/);
        expect(await c.value('DEBUG', 'VSET-READERS', key)).toEqual([0, 0]);
      } finally {
        a.close();
      }
    });
  }
});
