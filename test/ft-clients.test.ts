/**
 * The FT.* commands through the clients users point at vsetd: node-redis 5's `ft.*` API (its own
 * argument builders and reply transforms) under RESP2 and RESP3 (`unstableResp3`, the raw map
 * RediSearch sends), and redis-cli's printed output in RESP2 and RESP3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createClient, SCHEMA_FIELD_TYPE, SCHEMA_VECTOR_FIELD_ALGORITHM } from 'redis';
import { serverForFile } from './helpers/server.js';
import { requireTool, skipWithout } from './helpers/tools.js';
import { blob, exactKnn, near, uniform } from './helpers/ft.js';

const server = serverForFile();
const DIM = 4;
const data = uniform(30, DIM, 5);
const docs = new Map(data.map((v, i) => [`nr:${i}`, v]));
const query = [0.1, -0.2, 0.3, 0.05];

describe.each([2, 3] as const)('node-redis 5 ft.*, RESP%i', (resp) => {
  let client: ReturnType<typeof createClient>;
  const index = `nr-idx-${resp}`;

  beforeAll(async () => {
    client = createClient({ socket: { port: server().port, host: '127.0.0.1' }, RESP: resp, unstableResp3: true });
    client.on('error', () => {});
    await client.connect();
  });
  afterAll(async () => {
    await client?.quit();
  });

  it('ft.create with a VECTOR field, hSet, ft.info, ft._list', async () => {
    expect(
      await client.ft.create(
        index,
        {
          v: { type: SCHEMA_FIELD_TYPE.VECTOR, ALGORITHM: SCHEMA_VECTOR_FIELD_ALGORITHM.HNSW, TYPE: 'FLOAT32', DIM, DISTANCE_METRIC: 'COSINE', M: 8, EF_CONSTRUCTION: 100, EF_RUNTIME: 50 },
          tenant: { type: SCHEMA_FIELD_TYPE.TAG },
          n: { type: SCHEMA_FIELD_TYPE.NUMERIC, SORTABLE: true },
          body: { type: SCHEMA_FIELD_TYPE.TEXT },
        },
        { ON: 'HASH', PREFIX: 'nr:' },
      ),
    ).toBe('OK');
    for (const [k, v] of docs) {
      const i = Number(k.slice(3));
      await client.hSet(k, { v: blob(v), tenant: i % 3 === 0 ? 'acme' : 'globex', n: String(i), body: `document number ${i}` });
    }
    const list = await client.ft._list();
    expect([...list].map(String)).toContain(index);
    const info = (await client.ft.info(index)) as unknown as Record<string, unknown>;
    if (resp === 2) {
      expect(info['index_name']).toBe(index);
      expect(info['num_docs']).toBe(docs.size);
      expect(info['hash_indexing_failures']).toBe(0);
      expect(info['percent_indexed']).toBe(1);
      const attrs = info['attributes'] as Array<Record<string, unknown>>;
      expect(attrs.map((a) => a['identifier'])).toEqual(['v', 'tenant', 'n', 'body']);
      expect(attrs[0]).toMatchObject({ type: 'VECTOR', algorithm: 'HNSW', data_type: 'FLOAT32', dim: DIM, distance_metric: 'COSINE', M: 8, ef_construction: 100 });
    } else {
      // RESP3: the map as sent (node-redis leaves it untransformed).
      const m = info as unknown as Record<string, unknown>;
      expect(m['index_name']).toBe(index);
      expect(m['num_docs']).toBe(docs.size);
      expect(m['percent_indexed']).toBe(1);
    }
  });

  it('ft.search: KNN with PARAMS, RETURN, SORTBY, LIMIT and DIALECT equals an exact search', async () => {
    const want = exactKnn(docs, query, 5, 'COSINE');
    const res = await client.ft.search(index, '*=>[KNN 5 @v $q AS score]', {
      PARAMS: { q: blob(query) },
      RETURN: ['score', 'n'],
      SORTBY: { BY: 'score', DIRECTION: 'ASC' },
      LIMIT: { from: 0, size: 5 },
      DIALECT: 2,
    });
    if (resp === 2) {
      const r = res as { total: number; documents: Array<{ id: string; value: Record<string, string> }> };
      expect(r.total).toBe(5);
      expect(r.documents.map((d) => d.id)).toEqual(want.map((w) => w.key));
      r.documents.forEach((d, i) => {
        expect(near(Number(d.value['score']), want[i]!.distance)).toBe(true);
        expect(d.value['n']).toBe(d.id.slice(3));
      });
    } else {
      const m = res as unknown as { attributes: unknown[]; format: string; results: Array<{ id: string; extra_attributes: Record<string, string>; values: unknown[] }>; total_results: number; warning: unknown[] };
      expect(Object.keys(m)).toEqual(['attributes', 'format', 'results', 'total_results', 'warning']);
      expect(m.format).toBe('STRING');
      expect(m.total_results).toBe(5);
      expect(m.results.map((d) => d.id)).toEqual(want.map((w) => w.key));
      expect(Object.keys(m.results[0]!)).toEqual(['id', 'extra_attributes', 'values']);
      m.results.forEach((d, i) => expect(near(Number(d.extra_attributes['score']), want[i]!.distance)).toBe(true));
    }
  });

  it('ft.search: a hybrid TAG + NUMERIC filter, NOCONTENT and an error', async () => {
    const want = exactKnn(docs, query, 3, 'COSINE', (k) => Number(k.slice(3)) % 3 === 0 && Number(k.slice(3)) >= 6);
    const res = await client.ft.search(index, '(@tenant:{acme} @n:[6 +inf])=>[KNN 3 @v $q]', { PARAMS: { q: blob(query) }, DIALECT: 2 });
    const got = resp === 2 ? (res as { documents: Array<{ id: string }> }).documents.map((d) => d.id) : (res as unknown as { results: Array<{ id: string }> }).results.map((d) => d.id);
    expect(got).toEqual(want.map((w) => w.key));
    const nc = await client.ft.searchNoContent(index, '@tenant:{acme}', { LIMIT: { from: 0, size: 0 } });
    if (resp === 2) expect((nc as { total: number }).total).toBe(10);
    else expect((nc as unknown as { total_results: number }).total_results).toBe(10);
    await expect(client.ft.search(index, '@nope:{x}')).rejects.toThrow('SEARCH_SYNTAX Unknown field at offset 0 near nope');
    await expect(client.ft.search('missing', '*')).rejects.toThrow('SEARCH_INDEX_NOT_FOUND Index not found: missing');
  });

  it('ft.alter and ft.dropIndex with DD', async () => {
    expect(await client.ft.alter(index, { extra: { type: SCHEMA_FIELD_TYPE.TEXT } })).toBe('OK');
    await client.hSet('nr:0', 'extra', 'hello world');
    const res = await client.ft.search(index, '@extra:hello', { DIALECT: 2 });
    const total = resp === 2 ? (res as { total: number }).total : (res as unknown as { total_results: number }).total_results;
    expect(total).toBe(1);
    expect(await client.ft.dropIndex(index, { DD: true })).toBe('OK');
    expect(await client.exists([...docs.keys()])).toBe(0);
    // The next RESP round reuses the keys.
  });
});

describe.skipIf(skipWithout('redis-cli'))('redis-cli', () => {
  beforeAll(() => requireTool('redis-cli'));
  const cli = (input: Buffer | null, ...args: string[]): string =>
    execFileSync('redis-cli', ['-p', String(server().port), '--no-raw', ...(input ? ['-x'] : []), ...args], { encoding: 'utf8', timeout: 20_000, input: input ?? undefined });

  it('FT.CREATE, HSET of a blob (-x), FT.SEARCH and FT.INFO print as from Redis (RESP2 and -3)', () => {
    expect(cli(null, 'FT.CREATE', 'cli', 'ON', 'HASH', 'PREFIX', '1', 'cli:', 'SCHEMA', 'v', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'L2', 't', 'TAG')).toBe('OK\n');
    expect(cli(blob([1, 0]), 'HSET', 'cli:1', 't', 'a', 'v')).toBe('(integer) 2\n');
    expect(cli(blob([0, 2]), 'HSET', 'cli:2', 't', 'b', 'v')).toBe('(integer) 2\n');
    expect(cli(blob([0, 0]), 'FT.SEARCH', 'cli', '*=>[KNN 2 @v $q AS d]', 'RETURN', '2', 'd', 't', 'DIALECT', '2', 'PARAMS', '2', 'q')).toBe(
      ['1) (integer) 2', '2) "cli:1"', '3) 1) "d"', '   2) "1"', '   3) "t"', '   4) "a"', '4) "cli:2"', '5) 1) "d"', '   2) "4"', '   3) "t"', '   4) "b"', ''].join('\n'),
    );
    expect(cli(blob([0, 0]), '-3', 'FT.SEARCH', 'cli', '*=>[KNN 1 @v $q AS d]', 'RETURN', '1', 'd', 'DIALECT', '2', 'PARAMS', '2', 'q')).toBe(
      [
        '1# attributes => (empty array)',
        '2# format => STRING',
        // redis-cli's own layout for an array inside a map.
        '3# results => ',
        '   1) 1# id => "cli:1"',
        '      2# extra_attributes => 1# "d" => "1"',
        '      3# values => (empty array)',
        '4# total_results => (integer) 1',
        '5# warning => (empty array)',
        '',
      ].join('\n'),
    );
    expect(cli(null, 'FT._LIST')).toContain('cli\n');
    const info = cli(null, 'FT.INFO', 'cli');
    expect(info).toMatch(/^ 1\) index_name\n 2\) cli\n/);
    expect(info).toContain('num_docs\n');
    expect(cli(null, 'FT.SEARCH', 'nope', '*')).toBe('(error) SEARCH_INDEX_NOT_FOUND Index not found: nope\n');
    expect(cli(null, 'FT.DROPINDEX', 'cli', 'DD')).toBe('OK\n');
  });
});
