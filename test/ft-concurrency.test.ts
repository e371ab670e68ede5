/**
 * FT.SEARCH KNN on the search pool while other clients write (issue 15): several clients HSET and
 * DEL documents while others pipeline KNN searches (filtered by a scan, filtered by a graph walk,
 * unfiltered) that all run in worker threads (`search-inline-when-idle no`, default thread
 * count). No reply may be an error, every hit must match the filter, and every hit must be a
 * document that could have been in the index between the moment the search was sent and the
 * moment its reply arrived — judged from the writers' own acknowledged operations, with no DEBUG
 * help. A document's tag is part of its key and never changes, so a hit from another tag can only
 * come from a graph slot reused while the search ran.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand, RawConnection, RespError, type RespValue } from './helpers/raw.js';
import { serverForFile } from './helpers/server.js';
import { blob, ok, readSearch, uniform } from './helpers/ft.js';
import { rng } from './helpers/rng.js';

const server = serverForFile({ args: ['--search-inline-when-idle', 'no'] });
/**
 * Two geometries: 16 dimensions (the graph lives in a shared arena, whose slots wait for every
 * search task handed out before their release) and 2100 (a record over 8 KiB: the graph has memory
 * of its own, whose slots wait only for searches already running — a queued task's slot list can
 * then name a slot reused meanwhile).
 */
const GEOMETRIES = [16, 2100];
const TAGS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
const KEYS_PER_TAG = 40;

interface Event {
  kind: 'set' | 'del';
  sent: number;
  acked: number;
}

/** Per key, what the writers did to it and when (their clocks: sent, acknowledged). */
const history = new Map<string, Event[]>();

function record(key: string, e: Event): void {
  let h = history.get(key);
  if (h === undefined) history.set(key, (h = []));
  h.push(e);
}

/**
 * Whether `key` may have been in the index at some moment between `issued` and `replied`: some
 * HSET of it was sent before the reply came and is not known to have been undone by a DEL that
 * the server ran after it and acknowledged before the search was sent.
 */
function possible(key: string, issued: number, replied: number): boolean {
  const h = history.get(key) ?? [];
  return h.some((s) => s.kind === 'set' && s.sent < replied && !h.some((d) => d.kind === 'del' && d.sent >= s.acked && d.acked <= issued));
}

const now = (): number => performance.now();

async function writer(port: number, seed: number, ops: number, dim: number, prefix: string): Promise<void> {
  const r = rng(seed);
  const vs = uniform(64, dim, seed);
  await RawConnection.using(port, async (c) => {
    for (let i = 0; i < ops; i++) {
      const tag = TAGS[Math.floor(r() * TAGS.length)]!;
      const key = `${prefix}${tag}:${Math.floor(r() * KEYS_PER_TAG)}`;
      const del = r() < 0.4;
      // Recorded before it is sent (acknowledged: never, yet), so a reader judging a reply that
      // arrives meanwhile counts it as possibly done.
      const e: Event = { kind: del ? 'del' : 'set', sent: now(), acked: Infinity };
      record(key, e);
      const v = del ? await c.value('DEL', key) : await c.value('HSET', key, 'tag', tag, 'v', blob(vs[i % vs.length]!));
      if (v instanceof RespError) throw new Error(`writer: ${v.message}`);
      e.acked = now();
    }
  });
}

interface Check {
  failures: string[];
  searches: number;
  hits: number;
}

async function reader(port: number, seed: number, rounds: number, check: Check, dim: number, index: string): Promise<void> {
  const r = rng(seed);
  const qs = uniform(32, dim, seed);
  await RawConnection.using(port, async (c) => {
    for (let round = 0; round < rounds; round++) {
      // A pipeline of searches: they queue on the pool while the writers go on.
      const batch: Array<{ tags: string[] | null; issued: number }> = [];
      const bytes: Buffer[] = [];
      for (let j = 0; j < 8; j++) {
        const pick = r();
        // One tag (10 %: a scan), seven tags (70 %: a graph walk), or no filter.
        const tags = pick < 0.4 ? [TAGS[Math.floor(r() * TAGS.length)]!] : pick < 0.8 ? TAGS.slice(0, 7) : null;
        const filter = tags === null ? '*' : `(@tag:{${tags.join('|')}})`;
        bytes.push(encodeCommand(['FT.SEARCH', index, `${filter}=>[KNN 10 @v $q AS d]`, 'PARAMS', '2', 'q', blob(qs[(round * 8 + j) % qs.length]!), 'RETURN', '2', 'd', 'tag', 'DIALECT', '2']));
        batch.push({ tags, issued: now() });
      }
      c.write(Buffer.concat(bytes));
      for (const b of batch) {
        const { value } = await c.readReply();
        const replied = now();
        check.searches++;
        if (value instanceof RespError) {
          check.failures.push(`error reply: ${value.message}`);
          continue;
        }
        const res = readSearch(value as RespValue);
        let last = -Infinity;
        for (const d of res.docs) {
          check.hits++;
          const tag = d.id.split(':')[1]!;
          if (b.tags !== null && !b.tags.includes(tag)) check.failures.push(`${d.id} does not match @tag:{${b.tags.join('|')}}`);
          if (d.fields !== null && d.fields['tag'] !== tag) check.failures.push(`${d.id} came back with tag ${d.fields['tag']}`);
          if (!possible(d.id, b.issued, replied)) check.failures.push(`${d.id} was not in the index while the search ran`);
          const dist = Number(d.fields?.['d']);
          if (!(dist >= last)) check.failures.push(`${d.id}: distances out of order`);
          last = dist;
        }
      }
    }
  });
}

describe('FT.SEARCH on the worker pool under concurrent HSET/DEL', () => {
  it.each(GEOMETRIES)('replies are never errors; hits match the filter and existed while the search ran (%i dimensions)', async (dim) => {
    const port = server().port;
    const index = `cc${dim}`;
    const prefix = `${index}:`;
    await RawConnection.using(port, async (c) => {
      await ok(c, 'FT.CREATE', index, 'ON', 'HASH', 'PREFIX', '1', prefix, 'SCHEMA', 'tag', 'TAG', 'v', 'VECTOR', 'HNSW', '10', 'TYPE', 'FLOAT32', 'DIM', String(dim), 'DISTANCE_METRIC', 'L2', 'M', '8', 'EF_CONSTRUCTION', '50');
    });
    // Start from a full index, so deletes and re-adds churn graph slots from the first search.
    await Promise.all(TAGS.map((_, i) => writer(port, 100 + i, 60, dim, prefix)));
    const check: Check = { failures: [], searches: 0, hits: 0 };
    await Promise.all([
      writer(port, 1, 1500, dim, prefix),
      writer(port, 2, 1500, dim, prefix),
      writer(port, 3, 1500, dim, prefix),
      reader(port, 11, 40, check, dim, index),
      reader(port, 12, 40, check, dim, index),
      reader(port, 13, 40, check, dim, index),
    ]);
    expect(check.failures.slice(0, 10)).toEqual([]);
    expect(check.searches).toBe(3 * 40 * 8);
    expect(check.hits).toBeGreaterThan(0);
    await RawConnection.using(port, async (c) => {
      // The searches did run on the pool.
      const info = String(await c.value('INFO', 'searchpool'));
      expect(info).toMatch(/searches_served/);
      // At rest, the index holds exactly the keys that exist.
      const keys = ((await c.value('KEYS', `${prefix}*`)) as string[]).sort();
      const all = readSearch(await ok(c, 'FT.SEARCH', index, '*', 'NOCONTENT', 'LIMIT', '0', '10000'), { noContent: true });
      expect(all.docs.map((d) => d.id).sort()).toEqual(keys);
    });
  });

  it('dropping and recreating the index while searches are queued: results or "Index not found", never a crash', async () => {
    const port = server().port;
    const DIM = 16;
    const qs = uniform(16, DIM, 9);
    await RawConnection.using(port, async (reader) => {
      await RawConnection.using(port, async (admin) => {
        for (let round = 0; round < 10; round++) {
          reader.write(Buffer.concat(qs.map((q) => encodeCommand(['FT.SEARCH', 'cc16', '(@tag:{a|b|c|d|e|f})=>[KNN 5 @v $q]', 'PARAMS', '2', 'q', blob(q), 'NOCONTENT', 'DIALECT', '2']))));
          await ok(admin, 'FT.DROPINDEX', 'cc16');
          await ok(admin, 'FT.CREATE', 'cc16', 'ON', 'HASH', 'PREFIX', '1', 'cc16:', 'SCHEMA', 'tag', 'TAG', 'v', 'VECTOR', 'HNSW', '6', 'TYPE', 'FLOAT32', 'DIM', String(DIM), 'DISTANCE_METRIC', 'L2');
          for (let i = 0; i < qs.length; i++) {
            const { value } = await reader.readReply();
            if (value instanceof RespError) expect(value.message).toBe('SEARCH_INDEX_NOT_FOUND Index not found: cc16');
            else expect(Array.isArray(value)).toBe(true);
          }
        }
        expect(await admin.value('PING')).toBe('PONG');
      });
    });
  });
});
