/**
 * What a client can observe of the graph through the commands (spec §5): search quality against
 * TRUTH, true deletion that leaves every remaining element reachable (entry point included),
 * reciprocal links in VLINKS after churn, and VINFO/VCARD/VRANGE staying consistent through
 * updates and deletes. Vectors come from a seeded generator; the level draws are the engine's,
 * so the thresholds leave room for any draw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawConnection, type RespValue } from './helpers/raw.js';
import { serverForFile } from './helpers/server.js';
import { rng } from './helpers/rng.js';

const server = serverForFile();
let c: RawConnection;


/** Sends many commands in one write and checks every reply. */
async function pipeline(cmds: Array<Array<string | number>>, expectReply?: string): Promise<string[]> {
  c.write(Buffer.concat(cmds.map((a) => encodeCommand(a))));
  const out: string[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const { raw } = await c.readReply();
    if (expectReply !== undefined) expect(raw, cmds[i]!.join(' ')).toBe(expectReply);
    out.push(raw);
  }
  return out;
}

async function fill(key: string, n: number, dim: number, seed: number, opts: string[] = []): Promise<number[][]> {
  const next = rng(seed);
  const vecs = Array.from({ length: n }, () => Array.from({ length: dim }, () => next() * 2 - 1));
  await pipeline(vecs.map((v, i) => ['VADD', key, 'VALUES', dim, ...v, `e${i}`, ...opts]), ':1\r\n');
  return vecs;
}

beforeAll(async () => {
  c = await RawConnection.connect(server().port);
});

afterAll(async () => {
  c?.close();
});

describe('search quality against TRUTH', () => {
  it.each([
    ['Q8', [] as string[], 0.9],
    ['NOQUANT', ['NOQUANT'], 0.9],
    ['BIN', ['BIN'], 0.6],
  ] as const)('%s: recall@10 over 50 queries on 2000 vectors of dimension 24', async (name, opts, minRecall) => {
    const key = `recall:${name}`;
    await fill(key, 2000, 24, 7, [...opts]);
    const next = rng(99);
    let hits = 0;
    for (let q = 0; q < 50; q++) {
      const v = Array.from({ length: 24 }, () => next() * 2 - 1);
      const [approx, exact] = (await Promise.all([
        c.value('VSIM', key, 'VALUES', 24, ...v, 'COUNT', 10),
        c.value('VSIM', key, 'VALUES', 24, ...v, 'COUNT', 10, 'TRUTH'),
      ])) as [string[], string[]];
      expect(exact).toHaveLength(10);
      const truth = new Set(exact);
      hits += approx.filter((x) => truth.has(x)).length;
    }
    expect(hits / 500).toBeGreaterThanOrEqual(minRecall);
  });
});

describe('deletion and updates', () => {
  it('after deleting 90% of a set every remaining element is still found by the graph search', async () => {
    // NOQUANT: under Q8 two random vectors can quantise to the same direction and tie with the
    // element itself, which would make "the element comes first" ambiguous.
    await fill('del', 600, 8, 3, ['NOQUANT']);
    const next = rng(5);
    const order = Array.from({ length: 600 }, (_, i) => i).sort(() => next() - 0.5);
    const gone = order.slice(0, 540);
    const kept = order.slice(540);
    await pipeline(gone.map((i) => ['VREM', 'del', `e${i}`]), ':1\r\n');
    expect(await c.call('VCARD', 'del')).toBe(':60\r\n');
    for (const i of kept) {
      const v = (await c.value('VSIM', 'del', 'ELE', `e${i}`, 'COUNT', 1, 'EF', 60)) as string[];
      expect(v, `e${i}`).toEqual([`e${i}`]);
    }
    const all = (await c.value('VSIM', 'del', 'ELE', `e${kept[0]}`, 'COUNT', 100)) as string[];
    expect([...all].sort()).toEqual(kept.map((i) => `e${i}`).sort());
    expect((await c.value('VRANGE', 'del', '-', '+')) as string[]).toHaveLength(60);
    for (const i of gone.slice(0, 20)) {
      expect(await c.call('VISMEMBER', 'del', `e${i}`)).toBe(':0\r\n');
      expect(await c.call('VEMB', 'del', `e${i}`)).toBe('$-1\r\n');
    }
  });

  it('deleting the entry point (the top-level node) keeps the set searchable, down to one element', async () => {
    await fill('ep', 200, 4, 11, ['NOQUANT']);
    let left = 200;
    while (left > 1) {
      // Find a node at the top level through VLINKS and delete it.
      const info = (await c.value('VINFO', 'ep')) as RespValue[];
      const maxLevel = info[11] as number;
      const names = (await c.value('VRANGE', 'ep', '-', '+')) as string[];
      let victim = names[0]!;
      for (const n of names) {
        const levels = (await c.value('VLINKS', 'ep', n)) as unknown[];
        if (levels.length - 1 === maxLevel) {
          victim = n;
          break;
        }
      }
      expect(await c.call('VREM', 'ep', victim)).toBe(':1\r\n');
      left--;
      const probe = names.find((n) => n !== victim)!;
      expect((await c.value('VSIM', 'ep', 'ELE', probe, 'COUNT', 1)) as string[]).toEqual([probe]);
      if (left % 50 === 0 || left < 5) {
        const all = (await c.value('VSIM', 'ep', 'ELE', probe, 'COUNT', 1000)) as string[];
        expect(all).toHaveLength(left);
      }
    }
    const last = (await c.value('VRANGE', 'ep', '-', '+')) as string[];
    expect(last).toHaveLength(1);
    expect(await c.value('VLINKS', 'ep', last[0]!)).toEqual([[]]);
    expect(((await c.value('VINFO', 'ep')) as RespValue[]).slice(8, 12)).toEqual(['size', 1, 'max-level', 0]);
    expect(await c.call('VREM', 'ep', last[0]!)).toBe(':1\r\n');
    expect(await c.call('EXISTS', 'ep')).toBe(':0\r\n');
  });

  it('links stay reciprocal and within 2M/3M after churn (updates, deletes, re-adds)', async () => {
    const next = rng(21);
    const vec = (): number[] => Array.from({ length: 6 }, () => next() * 2 - 1);
    await pipeline(Array.from({ length: 300 }, (_, i) => ['VADD', 'churn', 'VALUES', 6, ...vec(), `e${i}`, 'M', 6]));
    for (let round = 0; round < 3; round++) {
      const cmds: Array<Array<string | number>> = [];
      for (let i = 0; i < 300; i++) {
        const r = next();
        if (r < 0.3) cmds.push(['VREM', 'churn', `e${i}`]);
        else if (r < 0.6) cmds.push(['VADD', 'churn', 'VALUES', 6, ...vec(), `e${i}`, 'M', 6]);
      }
      await pipeline(cmds);
      await pipeline(Array.from({ length: 300 }, (_, i) => ['VADD', 'churn', 'VALUES', 6, ...vec(), `e${i}`, 'M', 6]));
    }
    const names = (await c.value('VRANGE', 'churn', '-', '+')) as string[];
    expect(names).toHaveLength(300);
    const links = new Map<string, string[][]>();
    for (const n of names) links.set(n, (await c.value('VLINKS', 'churn', n)) as string[][]);
    for (const [n, levels] of links) {
      const top = levels.length - 1;
      levels.forEach((row, idx) => {
        const level = top - idx;
        expect(row.length).toBeLessThanOrEqual(level === 0 ? 3 * 6 : 2 * 6);
        expect(new Set(row).size).toBe(row.length);
        expect(row).not.toContain(n);
        for (const m of row) {
          const back = links.get(m);
          expect(back, `${n} links to a missing ${m}`).toBeDefined();
          expect(back![back!.length - 1 - level], `${m} → ${n} at ${level}`).toContain(n);
        }
      });
    }
    const info = (await c.value('VINFO', 'churn')) as RespValue[];
    expect(info[9]).toBe(300);
    expect(info[11]).toBe(Math.max(...[...links.values()].map((l) => l.length - 1)));
  });

  it('attributes-count follows SETATTR on insert and update, VSETATTR and VREM', async () => {
    const count = async (): Promise<RespValue> => ((await c.value('VINFO', 'ac')) as RespValue[])[13]!;
    await pipeline(Array.from({ length: 20 }, (_, i) => ['VADD', 'ac', 'VALUES', 2, Math.cos(i), Math.sin(i), `e${i}`, ...(i % 2 ? ['SETATTR', `{"i":${i}}`] : [])]));
    expect(await count()).toBe(10);
    await pipeline(Array.from({ length: 20 }, (_, i) => ['VADD', 'ac', 'VALUES', 2, Math.sin(i), Math.cos(i), `e${i}`]));
    expect(await count()).toBe(10); // updates without SETATTR keep attributes
    await pipeline([['VADD', 'ac', 'VALUES', 2, 1, 0, 'e1', 'SETATTR', ''], ['VADD', 'ac', 'VALUES', 2, 1, 0, 'e2', 'SETATTR', '{}']]);
    expect(await count()).toBe(10);
    await pipeline([['VREM', 'ac', 'e3'], ['VSETATTR', 'ac', 'e4', '{"x":1}'], ['VSETATTR', 'ac', 'e5', '']]);
    expect(await count()).toBe(9);
    const withAttr = (await c.value('VSIM', 'ac', 'VALUES', 2, 1, 0, 'FILTER', '1', 'TRUTH', 'COUNT', 100)) as string[];
    expect(withAttr).toHaveLength(9);
  });
});
