/**
 * The indexes stay exact on every path that changes a hash (issue 15): after HSET updates (vector,
 * tag), HDEL of the vector, a field made invalid, DEL, expiry, RENAME into and out of the prefix,
 * MOVE, COPY, MULTI/EXEC, SWAPDB, FLUSHDB, and across restarts (SAVE, AOF after kill -9,
 * BGREWRITEAOF), FT.SEARCH answers what an exact search over the documents the test knows to be
 * there answers, and FT.INFO counts them.
 *
 * The truth is kept here: every change goes to the server and to `Truth`. Two indexes follow the
 * same prefix: a FLAT one (exact by construction) and an HNSW one searched with an EF_RUNTIME
 * above the number of documents (exact on a graph this small). Each is checked without a filter
 * and with a TAG filter forced to the scan plan (HYBRID_POLICY ADHOC_BF), and plain TAG queries
 * are checked too.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawConnection, type RespValue } from './helpers/raw.js';
import { serverForFile, startServer, type RunningServer } from './helpers/server.js';
import { waitFor } from './helpers/wait.js';
import { blob, exactKnn, ftInfo, near, numDocs, ok, readSearch, uniform, type Metric } from './helpers/ft.js';
import { rng } from './helpers/rng.js';

const DIM = 8;
const PREFIX = 'ex:';
const TAGS = ['t0', 't1', 't2', 't3', 't4'];
const QUERIES = uniform(3, DIM, 4242);
// EF_RUNTIME for the unfiltered HNSW walk (a scan, ADHOC_BF, refuses one, as RediSearch does).
const INDEXES: Array<{ name: string; metric: Metric; ef: string }> = [
  { name: 'exf', metric: 'L2', ef: '' },
  { name: 'exh', metric: 'COSINE', ef: ' EF_RUNTIME 1000' },
];

/** What one database holds under the prefix, as the test made it. */
interface Doc {
  v: number[] | null;
  tag: string;
}
type Truth = Map<string, Doc>;

async function createIndexes(c: RawConnection): Promise<void> {
  await ok(c, 'FT.CREATE', 'exf', 'ON', 'HASH', 'PREFIX', '1', PREFIX, 'SCHEMA', 'v', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT32', 'DIM', String(DIM), 'DISTANCE_METRIC', 'L2', 'tag', 'TAG', 'n', 'NUMERIC');
  await ok(c, 'FT.CREATE', 'exh', 'ON', 'HASH', 'PREFIX', '1', PREFIX, 'SCHEMA', 'v', 'VECTOR', 'HNSW', '10', 'TYPE', 'FLOAT32', 'DIM', String(DIM), 'DISTANCE_METRIC', 'COSINE', 'M', '8', 'EF_CONSTRUCTION', '100', 'tag', 'TAG', 'n', 'NUMERIC');
}

async function put(c: RawConnection, truth: Truth, key: string, v: number[] | null, tag: string): Promise<void> {
  const args: Array<string | Buffer> = ['HSET', key, 'tag', tag, 'n', String(key.length)];
  if (v !== null) args.push('v', blob(v));
  await ok(c, ...args);
  const old = truth.get(key);
  truth.set(key, { v: v ?? old?.v ?? null, tag });
}

/** Checks both indexes against the truth; `label` names the step in failures. */
async function verify(c: RawConnection, truth: Truth, label: string): Promise<void> {
  const vectors = new Map<string, number[]>();
  for (const [k, d] of truth) if (d.v !== null) vectors.set(k, d.v);
  for (const ix of INDEXES) {
    expect(await numDocs(c, ix.name), `${label}: ${ix.name} num_docs`).toBe(truth.size);
    for (const q of QUERIES) {
      const want = exactKnn(vectors, q, 10, ix.metric);
      const got = readSearch(await ok(c, 'FT.SEARCH', ix.name, `*=>[KNN 10 @v $q${ix.ef} AS d]`, 'PARAMS', '2', 'q', blob(q), 'RETURN', '1', 'd', 'DIALECT', '2'));
      expect(got.docs.map((d) => d.id), `${label}: ${ix.name} KNN`).toEqual(want.map((w) => w.key));
      got.docs.forEach((d, i) => expect(near(Number(d.fields!['d']), want[i]!.distance), `${label}: ${d.id} distance`).toBe(true));
      expect(got.total).toBe(want.length);
      for (const tag of ['t1', 't3']) {
        const wantF = exactKnn(vectors, q, 10, ix.metric, (k) => truth.get(k)!.tag === tag);
        const gotF = readSearch(await ok(c, 'FT.SEARCH', ix.name, `(@tag:{${tag}})=>[KNN 10 @v $q HYBRID_POLICY ADHOC_BF]`, 'PARAMS', '2', 'q', blob(q), 'NOCONTENT', 'DIALECT', '2'), { noContent: true });
        expect(gotF.docs.map((d) => d.id), `${label}: ${ix.name} KNN @tag:{${tag}}`).toEqual(wantF.map((w) => w.key));
      }
    }
    for (const tag of TAGS) {
      const want = [...truth].filter(([, d]) => d.tag === tag).map(([k]) => k).sort();
      const got = readSearch(await ok(c, 'FT.SEARCH', ix.name, `@tag:{${tag}}`, 'NOCONTENT', 'LIMIT', '0', '10000', 'DIALECT', '2'), { noContent: true });
      expect(got.docs.map((d) => d.id).sort(), `${label}: ${ix.name} @tag:{${tag}}`).toEqual(want);
      expect(got.total).toBe(want.length);
    }
  }
}

/** Fills the truth with n documents, one in nine without a vector. */
async function populate(c: RawConnection, truth: Truth, n: number, seed: number, prefix = PREFIX): Promise<void> {
  const r = rng(seed);
  const vs = uniform(n, DIM, seed);
  for (let i = 0; i < n; i++) await put(c, truth, `${prefix}${seed}-${i}`, i % 9 === 4 ? null : vs[i]!, TAGS[Math.floor(r() * TAGS.length)]!);
}

const someKeys = (truth: Truth, n: number, seed: number): string[] => {
  const keys = [...truth.keys()];
  const r = rng(seed);
  const out = new Set<string>();
  while (out.size < Math.min(n, keys.length)) out.add(keys[Math.floor(r() * keys.length)]!);
  return [...out];
};

describe('the index follows every change of a hash', () => {
  const server = serverForFile();
  const truth: Truth = new Map();
  const db1: Truth = new Map();
  let c: RawConnection;

  it('documents written before and after FT.CREATE are indexed', async () => {
    c = await RawConnection.connect(server().port);
    await populate(c, truth, 60, 1);
    // Hashes outside the prefix and other types under it are not documents.
    await ok(c, 'HSET', 'other:1', 'v', blob(QUERIES[0]!), 'tag', 't1');
    await ok(c, 'SET', `${PREFIX}string`, 'x');
    await createIndexes(c);
    await populate(c, truth, 60, 2);
    await verify(c, truth, 'initial');
  });

  it('HSET changing the vector or the tag, HDEL of the vector', async () => {
    const r = uniform(20, DIM, 3);
    const keys = someKeys(truth, 30, 3);
    for (let i = 0; i < 10; i++) await put(c, truth, keys[i]!, r[i]!, truth.get(keys[i]!)!.tag);
    for (let i = 10; i < 20; i++) await put(c, truth, keys[i]!, truth.get(keys[i]!)!.v, TAGS[(TAGS.indexOf(truth.get(keys[i]!)!.tag) + 1) % TAGS.length]!);
    for (let i = 20; i < 30; i++) {
      expect(await c.value('HDEL', keys[i]!, 'v')).toBe(truth.get(keys[i]!)!.v === null ? 0 : 1);
      truth.get(keys[i]!)!.v = null;
    }
    await verify(c, truth, 'updates');
  });

  it('a field made invalid drops the document and counts an indexing failure; fixing it brings it back', async () => {
    const [a, b] = someKeys(truth, 2, 4) as [string, string];
    const before = await Promise.all(INDEXES.map(async (ix) => (await ftInfo(c, ix.name))['hash_indexing_failures'] as number));
    await ok(c, 'HSET', a, 'v', Buffer.from('not a vector'));
    await ok(c, 'HSET', b, 'n', 'not a number');
    const saved = [truth.get(a)!, truth.get(b)!];
    truth.delete(a);
    truth.delete(b);
    await verify(c, truth, 'invalid fields');
    for (const [i, ix] of INDEXES.entries()) {
      const info = await ftInfo(c, ix.name);
      expect(info['hash_indexing_failures']).toBe(before[i]! + 2);
      expect((info['Index Errors'] as RespValue[])[1]).toBe(before[i]! + 2);
    }
    // The hash is still there; a valid value indexes it again.
    expect(await c.value('EXISTS', a, b)).toBe(2);
    await put(c, truth, a, saved[0]!.v ?? QUERIES[1]!, saved[0]!.tag);
    await ok(c, 'HSET', b, 'n', '7');
    truth.set(b, saved[1]!);
    await verify(c, truth, 'fixed fields');
  });

  it('DEL, UNLINK, and expiry (the document goes when the key expires)', async () => {
    const keys = someKeys(truth, 12, 5);
    expect(await c.value('DEL', ...keys.slice(0, 4))).toBe(4);
    expect(await c.value('UNLINK', ...keys.slice(4, 6))).toBe(2);
    for (const k of keys.slice(0, 6)) truth.delete(k);
    await verify(c, truth, 'DEL');
    for (const k of keys.slice(6)) await ok(c, 'PEXPIRE', k, '20');
    for (const k of keys.slice(6)) truth.delete(k);
    // Active expiry removes them without anyone touching the keys.
    await waitFor('the expired documents to leave the index', async () => (await numDocs(c, 'exf')) === truth.size);
    await verify(c, truth, 'expiry');
    // A TTL that has not passed changes nothing; PERSIST neither.
    const [k] = someKeys(truth, 1, 6) as [string];
    await ok(c, 'EXPIRE', k, '1000');
    await ok(c, 'PERSIST', k);
    await verify(c, truth, 'EXPIRE/PERSIST');
  });

  it('RENAME out of, into and within the prefix, and onto an existing document', async () => {
    const [out, within, onto, target] = someKeys(truth, 4, 7) as [string, string, string, string];
    await ok(c, 'RENAME', out, 'gone:1');
    truth.delete(out);
    await ok(c, 'HSET', 'outside:1', 'v', blob(QUERIES[2]!), 'tag', 't1', 'n', '1');
    await ok(c, 'RENAME', 'outside:1', `${PREFIX}renamed-in`);
    truth.set(`${PREFIX}renamed-in`, { v: QUERIES[2]!, tag: 't1' });
    await ok(c, 'RENAME', within, `${PREFIX}renamed-within`);
    truth.set(`${PREFIX}renamed-within`, truth.get(within)!);
    truth.delete(within);
    await ok(c, 'RENAME', onto, target);
    truth.set(target, truth.get(onto)!);
    truth.delete(onto);
    await verify(c, truth, 'RENAME');
    // The renamed-away hash is not a document any more even when changed.
    await ok(c, 'HSET', 'gone:1', 'tag', 't1');
    await verify(c, truth, 'after RENAME');
  });

  it('MOVE to another database and back; COPY within database 0 and from database 1', async () => {
    const [moved, copied] = someKeys(truth, 2, 8) as [string, string];
    expect(await c.value('MOVE', moved, '1')).toBe(1);
    const doc = truth.get(moved)!;
    truth.delete(moved);
    await verify(c, truth, 'MOVE to db 1');
    await RawConnection.using(server().port, async (c1) => {
      await ok(c1, 'SELECT', '1');
      // Changes in database 1 are not indexed.
      await ok(c1, 'HSET', moved, 'tag', 't3');
      await verify(c, truth, 'HSET in db 1');
      expect(await c1.value('MOVE', moved, '0')).toBe(1);
      truth.set(moved, { ...doc, tag: 't3' });
      await verify(c, truth, 'MOVE back');
      expect(await c.value('COPY', copied, `${PREFIX}copy`)).toBe(1);
      truth.set(`${PREFIX}copy`, { ...truth.get(copied)! });
      expect(await c.value('COPY', copied, `${PREFIX}copy-db1`, 'DB', '1')).toBe(1);
      await verify(c, truth, 'COPY');
      expect(await c1.value('COPY', `${PREFIX}copy-db1`, `${PREFIX}copy-back`, 'DB', '0')).toBe(1);
      truth.set(`${PREFIX}copy-back`, { ...truth.get(copied)! });
      db1.set(`${PREFIX}copy-db1`, { ...truth.get(copied)! });
      // COPY REPLACE onto a document replaces it.
      expect(await c.value('COPY', `${PREFIX}copy`, `${PREFIX}copy-back`, 'REPLACE')).toBe(1);
      await verify(c, truth, 'COPY from db 1');
    });
  });

  it('MULTI/EXEC applies every change of the transaction', async () => {
    const [del, retag] = someKeys(truth, 2, 9) as [string, string];
    await ok(c, 'MULTI');
    await c.value('HSET', `${PREFIX}multi`, 'v', blob(QUERIES[0]!), 'tag', 't1', 'n', '2');
    await c.value('DEL', del);
    await c.value('HSET', retag, 'tag', 't3');
    await c.value('HDEL', `${PREFIX}multi`, 'n');
    const exec = await c.value('EXEC');
    expect(exec).toEqual([3, 1, 0, 1]);
    truth.set(`${PREFIX}multi`, { v: QUERIES[0]!, tag: 't1' });
    truth.delete(del);
    truth.get(retag)!.tag = 't3';
    await verify(c, truth, 'MULTI/EXEC');
  });

  it('SWAPDB 0 1 indexes what database 1 held; swapping back restores it', async () => {
    await RawConnection.using(server().port, async (c1) => {
      await ok(c1, 'SELECT', '1');
      await populate(c1, db1, 15, 10);
    });
    await ok(c, 'SWAPDB', '0', '1');
    await verify(c, db1, 'SWAPDB 0 1');
    await ok(c, 'SWAPDB', '1', '0');
    await verify(c, truth, 'SWAPDB back');
  });

  it('FLUSHDB of another database changes nothing; FLUSHDB and FLUSHALL empty the indexes and keep them', async () => {
    await RawConnection.using(server().port, async (c1) => {
      await ok(c1, 'SELECT', '1');
      await ok(c1, 'FLUSHDB');
    });
    await verify(c, truth, 'FLUSHDB of db 1');
    await ok(c, 'FLUSHDB');
    truth.clear();
    await verify(c, truth, 'FLUSHDB');
    expect(((await c.value('FT._LIST')) as string[]).sort()).toEqual(['exf', 'exh']);
    await populate(c, truth, 30, 11);
    await verify(c, truth, 'after FLUSHDB');
    await ok(c, 'FLUSHALL');
    truth.clear();
    await verify(c, truth, 'FLUSHALL');
    await populate(c, truth, 30, 12);
    await verify(c, truth, 'after FLUSHALL');
    c.close();
  });
});

describe('indexes and their documents survive restarts', () => {
  const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-ft-'));

  async function restart(s: RunningServer, args: string[], signal: NodeJS.Signals = 'SIGTERM'): Promise<RunningServer> {
    await s.stop(signal);
    return startServer({ dir: s.dir, port: s.port, args });
  }

  it('SAVE, then a restart: the snapshot holds the definitions (FT.ALTER included) and the documents', async () => {
    let s = await startServer({ dir: tmp() });
    const truth: Truth = new Map();
    try {
      await RawConnection.using(s.port, async (c) => {
        await createIndexes(c);
        await ok(c, 'FT.CREATE', 'dropped', 'PREFIX', '1', 'zz:', 'SCHEMA', 't', 'TAG');
        await ok(c, 'FT.DROPINDEX', 'dropped');
        await populate(c, truth, 80, 20);
        await ok(c, 'FT.ALTER', 'exf', 'SCHEMA', 'ADD', 'extra', 'TEXT');
        await ok(c, 'SAVE');
        // Written after the snapshot and not saved at shutdown (--save ''): not there after.
        await ok(c, 'HSET', `${PREFIX}late`, 'v', blob(QUERIES[0]!), 'tag', 't1');
      });
      s = await restart(s, []);
      await RawConnection.using(s.port, async (c) => {
        expect(((await c.value('FT._LIST')) as string[]).sort()).toEqual(['exf', 'exh']);
        const attrs = (await ftInfo(c, 'exf'))['attributes'] as RespValue[][];
        expect(attrs.map((a) => a[1])).toEqual(['v', 'tag', 'n', 'extra']);
        await verify(c, truth, 'after SAVE + restart');
      });
    } finally {
      await s.stop();
    }
  });

  it('AOF with appendfsync always, kill -9, restart; then BGREWRITEAOF, more writes, restart', async () => {
    const aof = ['--appendonly', 'yes', '--appendfsync', 'always'];
    let s = await startServer({ dir: tmp(), args: aof });
    const truth: Truth = new Map();
    try {
      await RawConnection.using(s.port, async (c) => {
        await populate(c, truth, 40, 30);
        await createIndexes(c);
        await ok(c, 'FT.CREATE', 'dropped', 'PREFIX', '1', PREFIX, 'SCHEMA', 't', 'TAG');
        await ok(c, 'FT.DROPINDEX', 'dropped');
        await populate(c, truth, 40, 31);
        const keys = someKeys(truth, 6, 32);
        await ok(c, 'DEL', keys[0]!, keys[1]!);
        truth.delete(keys[0]!);
        truth.delete(keys[1]!);
        await ok(c, 'HDEL', keys[2]!, 'v');
        truth.get(keys[2]!)!.v = null;
        await put(c, truth, keys[3]!, QUERIES[1]!, 't4');
        await ok(c, 'RENAME', keys[4]!, 'away:1');
        truth.delete(keys[4]!);
        await ok(c, 'FT.ALTER', 'exh', 'SCHEMA', 'ADD', 'extra', 'TEXT');
        await verify(c, truth, 'before kill -9');
      });
      s = await restart(s, aof, 'SIGKILL');
      await RawConnection.using(s.port, async (c) => {
        expect(((await c.value('FT._LIST')) as string[]).sort()).toEqual(['exf', 'exh']);
        await verify(c, truth, 'after AOF replay');
        const attrs = (await ftInfo(c, 'exh'))['attributes'] as RespValue[][];
        expect(attrs.map((a) => a[1])).toEqual(['v', 'tag', 'n', 'extra']);
        await ok(c, 'BGREWRITEAOF');
        await waitFor('the AOF rewrite to finish', async () => /aof_rewrite_in_progress:0/.test(String(await c.value('INFO', 'persistence'))) && /aof_rewrite_scheduled:0/.test(String(await c.value('INFO', 'persistence'))));
        await populate(c, truth, 20, 33);
        const [k] = someKeys(truth, 1, 34) as [string];
        await ok(c, 'DEL', k);
        truth.delete(k);
        await ok(c, 'FT.DROPINDEX', 'exh');
        await ok(c, 'FT.CREATE', 'exh', 'ON', 'HASH', 'PREFIX', '1', PREFIX, 'SCHEMA', 'v', 'VECTOR', 'HNSW', '10', 'TYPE', 'FLOAT32', 'DIM', String(DIM), 'DISTANCE_METRIC', 'COSINE', 'M', '8', 'EF_CONSTRUCTION', '100', 'tag', 'TAG', 'n', 'NUMERIC');
      });
      s = await restart(s, aof, 'SIGKILL');
      await RawConnection.using(s.port, async (c) => {
        expect(((await c.value('FT._LIST')) as string[]).sort()).toEqual(['exf', 'exh']);
        await verify(c, truth, 'after BGREWRITEAOF + restart');
      });
    } finally {
      await s.stop();
    }
  });
});
