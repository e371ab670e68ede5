/**
 * The experimental piscina pool (search-pool piscina, src/server/search-pool-piscina.ts) against
 * the default one: two servers fed the same commands give byte-identical VSIM replies in RESP2
 * and RESP3, for an arena set and a set of its own, before and after a set is deleted and made
 * again under the same name (the workers must not answer from the old one). And a worker killed
 * mid-batch (DEBUG SEARCH-WORKER CRASH) costs error replies at most: every request is answered,
 * piscina starts another worker, the pool answers right again, and the dead worker's reader slot
 * does not block reclamation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverForFile } from './helpers/server.js';
import { encodeCommand, RawConnection } from './helpers/raw.js';
import { rng, valuesArgs } from './helpers/rng.js';
import { infoField, waitFor } from './helpers/wait.js';

const common = ['--search-threads', '2', '--enable-debug-command', 'yes'];
const native = serverForFile({ args: [...common, '--search-pool', 'native'] });
const piscina = serverForFile({ args: [...common, '--search-pool', 'piscina'] });

type Cmd = Array<string | number>;
let n: RawConnection;
let p: RawConnection;
beforeAll(async () => {
  n = await RawConnection.connect(native().port);
  p = await RawConnection.connect(piscina().port);
  // Every VSIM goes to a worker, even one alone at an idle pool.
  for (const c of [n, p]) expect(await c.value('CONFIG', 'SET', 'search-inline-when-idle', 'no')).toBe('OK');
});
afterAll(() => {
  n.close();
  p.close();
});

async function pipelineRaw(conn: RawConnection, cmds: Cmd[]): Promise<string[]> {
  conn.write(Buffer.concat(cmds.map((a) => encodeCommand(a))));
  const out: string[] = [];
  for (let i = 0; i < cmds.length; i++) out.push((await conn.readReply(30_000)).raw);
  return out;
}

/** Runs the same commands on both servers; returns [native's replies, piscina's]. */
async function both(cmds: Cmd[]): Promise<[string[], string[]]> {
  return Promise.all([pipelineRaw(n, cmds), pipelineRaw(p, cmds)]);
}

function fill(key: string, count: number, dim: number, seed: number, extra: string[] = []): Cmd[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => ['VADD', key, 'VALUES', dim, ...valuesArgs(r, dim), `e${i}`, ...extra, ...(dim > 64 ? [] : ['SETATTR', JSON.stringify({ i, odd: i % 2 === 1 })])]);
}

function queries(key: string, count: number, dim: number, seed: number): Cmd[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, q) => [
    'VSIM',
    key,
    ...(q % 5 === 4 ? ['ELE', `e${q}`] : ['VALUES', dim, ...valuesArgs(r, dim)]),
    'COUNT',
    10,
    'WITHSCORES',
    ...(q % 2 ? ['WITHATTRIBS'] : []),
    ...(q % 3 ? [] : ['TRUTH']),
    ...(q % 4 === 1 && dim <= 64 ? ['FILTER', '.odd'] : []),
  ]);
}

/** Searches the piscina server's workers answered (asked on a RESP2 connection of its own). */
async function served(): Promise<number> {
  return RawConnection.using(piscina().port, async (c) => Number(infoField((await c.value('INFO', 'searchpool')) as string, 'searches_served')));
}

describe('the piscina pool answers as the default pool does', () => {
  it('says which pool it is', async () => {
    expect(infoField((await p.value('INFO', 'searchpool')) as string, 'search_pool')).toBe('piscina-sync');
    expect(infoField((await n.value('INFO', 'searchpool')) as string, 'search_pool')).toBe('native');
  });

  it('on an arena set and a set of its own, in RESP2 and RESP3, and after the set is made again', async () => {
    // 16 dims: a block in an arena; 2100 float32 dims: a record over a scratch slot, memory of its own.
    const [added] = await both([...fill('small', 400, 16, 1), ...fill('large', 120, 2100, 2, ['NOQUANT'])]);
    expect(added.every((r) => r === ':1\r\n')).toBe(true);
    expect(((await p.value('DEBUG', 'VSET-PLACE', 'small')) as [string, number])[0]).toBe('arena');
    expect(((await p.value('DEBUG', 'VSET-PLACE', 'large')) as [string, number])[0]).toBe('own');
    const qs = [...queries('small', 40, 16, 3), ...queries('large', 20, 2100, 4)];
    try {
      for (const protocol of [2, 3]) {
        for (const c of [n, p]) expect(await c.value('HELLO', protocol)).toBeTruthy();
        const before = await served();
        const [a, b] = await both(qs);
        expect(b).toEqual(a);
        for (const r of b) expect(r).not.toMatch(/^-/);
        // They were answered by the workers, not inline.
        expect((await served()) - before).toBe(qs.length);
      }
    } finally {
      for (const c of [n, p]) await c.value('HELLO', 2);
    }
    // Deleted and made again with other contents under the same names: a worker that still
    // answered from the old sets would differ from the default pool.
    await both([['DEL', 'small', 'large'], ...fill('small', 300, 16, 5), ...fill('large', 80, 2100, 6, ['NOQUANT'])]);
    const [a, b] = await both(qs);
    expect(b).toEqual(a);
    expect(b.join('')).not.toMatch(/e3\d\d/);
  });
});

describe('a piscina worker crashing mid-batch', () => {
  it('every request is answered (an error or the right reply), and piscina replaces the worker', async () => {
    expect((await pipelineRaw(p, fill('crash', 120, 2100, 7, ['NOQUANT']))).every((r) => r === ':1\r\n')).toBe(true);
    const qs = queries('crash', 20, 2100, 8);
    const reference = await pipelineRaw(p, qs.map((q) => [...q, 'NOTHREAD']));
    const threads = async (): Promise<string[]> => ((await p.value('INFO', 'searchpool')) as string).match(/search_thread_\d+/g) ?? [];
    const threads0 = await threads();
    expect(threads0).toHaveLength(2);
    const a = await RawConnection.connect(piscina().port);
    try {
      // The 5th pool task from now kills its worker inside its read section; HOLD keeps all 20
      // on the pool until they are all there, so the crash hits a batch with others in it.
      expect(await p.value('DEBUG', 'SEARCH-WORKER', 'CRASH', 5)).toBe('OK');
      expect(await p.value('DEBUG', 'SEARCH-WORKER', 'HOLD')).toBe('OK');
      let replies: Promise<string[]>;
      try {
        replies = pipelineRaw(a, qs);
        await waitFor('20 searches on the pool', async () => {
          const info = (await p.value('INFO', 'searchpool')) as string;
          return Number(infoField(info, 'search_queue_depth')) + Number(infoField(info, 'search_inflight')) === 20;
        });
      } finally {
        expect(await p.value('DEBUG', 'SEARCH-WORKER', 'RELEASE')).toBe('OK');
      }
      const got = await replies;
      const errors = got.filter((r) => r.startsWith('-'));
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) expect(e).toMatch(/^-ERR /);
      got.forEach((r, i) => {
        if (!r.startsWith('-')) expect(r).toBe(reference[i]);
      });
      expect(piscina().output()).toMatch(/Search worker \d+ failed/);
      // Two threads again, one of them new.
      await waitFor('piscina to replace the worker', async () => {
        const now = await threads();
        return now.length === 2 && now.some((t) => !threads0.includes(t));
      });
      expect(await pipelineRaw(a, qs)).toEqual(reference);
      // The dead worker's reader slot in this set of its own was freed (releaseDeadReader).
      const removed = await pipelineRaw(p, Array.from({ length: 40 }, (_, i) => ['VREM', 'crash', `e${i * 3}`]));
      expect(removed.every((r) => r === ':1\r\n')).toBe(true);
      expect(await p.value('DEBUG', 'VSET-READERS', 'crash')).toEqual([0, 0]);
      expect(await p.value('DEBUG', 'VSET-VALIDATE', 'crash')).toBe('OK');
    } finally {
      a.close();
    }
  });
});
