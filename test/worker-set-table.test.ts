// Where VSIM runs for small sets, and how a search worker finds them.
//
// A search worker keeps the arena sets it searched in a direct-mapped table of 1,024 slots
// (workers/search-batch.ts): slot = set id mod 1,024, so with thousands of sets many share a slot.
// Whatever the table holds, every search must read its own set as it is now: sets whose ids share
// a slot searched in turn, sets deleted and made again under the same key (a new id), and sets
// that grew into a new arena block (a new place for the same id). A set of at most
// search-inline-max-elements elements is searched on the main thread instead.
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './helpers/server.js';
import { RawConnection, RespError } from './helpers/raw.js';
import { infoField } from './helpers/wait.js';

const running: RunningServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop('SIGKILL');
});

const SETS = 3000;


/** VSIM on every set, in a shuffled order, pipelined (so that most go to the workers). */
async function searchAll(c: RawConnection, order: number[]): Promise<Map<number, string[]>> {
  const replies = await c.pipeline(order.map((k) => ['VSIM', `t:${k}`, 'VALUES', 2, 1, 0, 'COUNT', 100]));
  const out = new Map<number, string[]>();
  order.forEach((k, i) => out.set(k, (replies[i] as string[]).slice().sort()));
  return out;
}

function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let s = seed;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function served(c: RawConnection): Promise<number> {
  return Number(infoField((await c.value('INFO', 'searchpool')) as string, 'searches_served'));
}

describe("search workers' table of arena sets", () => {
  it('answers from the right set through slot collisions, re-created keys and moved blocks', async () => {
    // Small sets go to the workers too (they would run inline otherwise: search-inline-max-elements).
    const s = await startServer({ args: ['--search-threads', '2', '--search-inline-max-elements', '0'] });
    running.push(s);
    const c = await RawConnection.connect(s.port);
    // Each set's names say which set and which generation they belong to.
    const add = (k: number, gen: string, e: number): Array<string | number> => ['VADD', `t:${k}`, 'VALUES', 2, 1 + e, (k % 7) - 3, `${gen}${k}-${e}`];
    const made = await c.pipeline(Array.from({ length: SETS * 2 }, (_, i) => add(i >> 1, 'a', i & 1)));
    expect(made.every((r) => r === 1)).toBe(true);
    const expected = (k: number, gen: string, n: number): string[] => Array.from({ length: n }, (_, e) => `${gen}${k}-${e}`).sort();

    // Every set twice, in two orders: ids sharing a slot follow one another in either.
    const before = await served(c);
    for (const seed of [1, 2]) {
      const got = await searchAll(c, shuffled(SETS, seed));
      for (let k = 0; k < SETS; k++) expect(got.get(k)).toEqual(expected(k, 'a', 2));
    }
    // Most of those ran on the workers (the first of each pipelined burst may run inline).
    expect((await served(c)) - before).toBeGreaterThan(SETS);

    // Every third set deleted and made again (new set ids) with other names.
    const again = Array.from({ length: SETS }, (_, k) => k).filter((k) => k % 3 === 0);
    expect(await c.pipeline(again.map((k) => ['DEL', `t:${k}`]))).toEqual(again.map(() => 1));
    await c.pipeline(again.flatMap((k) => [add(k, 'b', 0), add(k, 'b', 1), add(k, 'b', 2)]));
    // Every fifth of the others grows well past its first block (its place changes, its id not).
    const grown = Array.from({ length: SETS }, (_, k) => k).filter((k) => k % 3 !== 0 && k % 5 === 0);
    await c.pipeline(grown.flatMap((k) => Array.from({ length: 40 }, (_, e) => add(k, 'a', e + 2))));
    for (const seed of [3, 4]) {
      const got = await searchAll(c, shuffled(SETS, seed));
      for (let k = 0; k < SETS; k++) {
        const want = k % 3 === 0 ? expected(k, 'b', 3) : k % 5 === 0 ? expected(k, 'a', 42) : expected(k, 'a', 2);
        expect(got.get(k)).toEqual(want);
      }
    }
    c.close();
  }, 120_000);
});

describe('search-inline-max-elements', () => {
  it('searches sets of up to N elements on the main thread, larger ones on the pool; 0 and search-inline-when-idle no send all to the pool', async () => {
    const s = await startServer({ args: ['--search-threads', '2'] });
    running.push(s);
    const c = await RawConnection.connect(s.port);
    const counters = async (): Promise<{ small: number; served: number }> => {
      const info = (await c.value('INFO', 'searchpool')) as string;
      return { small: Number(infoField(info, 'searches_inline_small_sets')), served: Number(infoField(info, 'searches_served')) };
    };
    expect(await c.value('CONFIG', 'GET', 'search-inline-max-elements')).toEqual(['search-inline-max-elements', '32']);
    // 100 sets of 32 elements (at the limit) and 100 of 33 (past it).
    const add: Array<Array<string | number>> = [];
    for (let k = 0; k < 200; k++) for (let e = 0; e < (k < 100 ? 32 : 33); e++) add.push(['VADD', `s:${k}`, 'VALUES', 2, 1 + e, k % 5, `n${k}-${e}`]);
    expect((await c.pipeline(add)).every((r) => r === 1)).toBe(true);
    const search = (from: number): Array<Array<string | number>> => Array.from({ length: 100 }, (_, i) => ['VSIM', `s:${from + i}`, 'VALUES', 2, 1, 0, 'COUNT', 3]);
    const answers = (replies: unknown[], from: number): boolean => replies.every((r, i) => Array.isArray(r) && r.length === 3 && r.every((x) => String(x).startsWith(`n${from + i}-`)));

    let before = await counters();
    expect(answers(await c.pipeline(search(0)), 0)).toBe(true);
    let after = await counters();
    expect(after.small - before.small).toBe(100);
    expect(after.served - before.served).toBe(0);

    before = after;
    expect(answers(await c.pipeline(search(100)), 100)).toBe(true);
    after = await counters();
    expect(after.small - before.small).toBe(0);
    // Pipelined: all but possibly the first (a lone search at an idle pool) go to the workers.
    expect(after.served - before.served).toBeGreaterThanOrEqual(99);

    for (const [name, value] of [['search-inline-max-elements', '0'], ['search-inline-when-idle', 'no']] as const) {
      expect(await c.value('CONFIG', 'SET', name, value)).toBe('OK');
      before = await counters();
      expect(answers(await c.pipeline(search(0)), 0)).toBe(true);
      after = await counters();
      expect(after.small - before.small).toBe(0);
      expect(after.served - before.served).toBeGreaterThanOrEqual(99);
      expect(await c.value('CONFIG', 'SET', 'search-inline-max-elements', '32')).toBe('OK');
      expect(await c.value('CONFIG', 'SET', 'search-inline-when-idle', 'yes')).toBe('OK');
    }
    // NOTHREAD is inline anyway, and not counted as a small-set inline run.
    before = await counters();
    expect(answers([await c.value('VSIM', 's:0', 'VALUES', 2, 1, 0, 'COUNT', 3, 'NOTHREAD')], 0)).toBe(true);
    expect((await counters()).small).toBe(before.small);
    const refused = await c.value('CONFIG', 'SET', 'search-inline-max-elements', '-1');
    expect(refused).toBeInstanceOf(RespError);
    expect((refused as RespError).message).toMatch(/^ERR /);
    c.close();
  }, 60_000);
});
