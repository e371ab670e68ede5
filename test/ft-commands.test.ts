/**
 * FT.* against a started server: every command's happy path, every FT.SEARCH option a vector
 * store sends (RETURN … AS, SORTBY on NUMERIC/TAG/TEXT and on the KNN distance, LIMIT incl.
 * LIMIT 0 0, NOCONTENT, WITHSCORES, PARAMS, DIALECT, EF_RUNTIME, HYBRID_POLICY, VECTOR_RANGE with
 * $YIELD_DISTANCE_AS, FILTER), the errors with RediSearch's texts, the RESP2 and RESP3 reply
 * shapes byte for byte (aggregate_exec.c), and distances for every metric, algorithm and data
 * type against values computed here.
 *
 * Where RediSearch's behaviour is only known from its source and its own tests, the expectation
 * says where it comes from.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RawConnection, RespError, type RespValue } from './helpers/raw.js';
import { serverForFile } from './helpers/server.js';
import { blob, distance, engineNumber, err, exactKnn, ftInfo, g12, near, ok, readSearch, uniform, type Metric, type VectorType } from './helpers/ft.js';

const server = serverForFile({ args: ['--search-inline-when-idle', 'no'] });

/** A RESP2 connection for the whole file (tests open their own when they need RESP3 or a db). */
let c: RawConnection;
beforeAll(async () => {
  c = await RawConnection.connect(server().port);
  return () => c.close();
});

// The `o:` documents: small integer vectors, so L2 distances are exact integers.
//   key  tag    n  title             vector   L2 to (0,0)
//   o:1  red    5  "Apple pie"       (1,0)    1
//   o:2  blue   3  "banana split"    (2,0)    4
//   o:3  red    9  "Cherry tart"     (0,3)    9
//   o:4  green  1  "apple crumble"   (4,4)    32
//   o:5  blue   7  —                 (-1,-1)  2
//   o:6  red    2  "date loaf"       —        —
const Q = blob([0, 0]);
async function loadOptionDocs(): Promise<void> {
  await ok(c, 'FT.CREATE', 'opt', 'ON', 'HASH', 'PREFIX', '1', 'o:', 'SCHEMA', 'tag', 'TAG', 'n', 'NUMERIC', 'SORTABLE', 'title', 'TEXT', 'SORTABLE', 'v', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'L2');
  await ok(c, 'HSET', 'o:1', 'tag', 'red', 'n', '5', 'title', 'Apple pie', 'v', blob([1, 0]));
  await ok(c, 'HSET', 'o:2', 'tag', 'blue', 'n', '3', 'title', 'banana split', 'v', blob([2, 0]));
  await ok(c, 'HSET', 'o:3', 'tag', 'red', 'n', '9', 'title', 'Cherry tart', 'v', blob([0, 3]));
  await ok(c, 'HSET', 'o:4', 'tag', 'green', 'n', '1', 'title', 'apple crumble', 'v', blob([4, 4]));
  await ok(c, 'HSET', 'o:5', 'tag', 'blue', 'n', '7', 'v', blob([-1, -1]));
  await ok(c, 'HSET', 'o:6', 'tag', 'red', 'n', '2', 'title', 'date loaf');
}

const ids = (v: RespValue, opts: { withScores?: boolean; noContent?: boolean } = {}): string[] => readSearch(v, opts).docs.map((d) => d.id);

describe('FT.CREATE, FT._LIST, FT.INFO, FT.ALTER, FT.DROPINDEX', () => {
  it('create, list, info, drop; DD deletes the documents, without DD they stay', async () => {
    await ok(c, 'HSET', 'life:1', 'v', blob([1, 2]), 'tag', 'x');
    await ok(c, 'HSET', 'life:2', 'v', blob([3, 4]), 'tag', 'y');
    expect(await c.value('FT.CREATE', 'life', 'ON', 'HASH', 'PREFIX', '1', 'life:', 'SCHEMA', 'v', 'VECTOR', 'HNSW', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'L2', 'tag', 'TAG')).toBe('OK');
    expect((await c.value('FT._LIST')) as string[]).toContain('life');
    const info = await ftInfo(c, 'life');
    expect(info['index_name']).toBe('life');
    expect(info['num_docs']).toBe(2);
    expect(info['hash_indexing_failures']).toBe(0);
    expect(info['index_definition']).toEqual(['key_type', 'HASH', 'prefixes', ['life:'], 'default_score', '1', 'indexes_all', 'false']);
    // FT.ALTER … SCHEMA ADD: the new field is searchable for documents already there.
    await ok(c, 'HSET', 'life:1', 'n', '10');
    expect(await c.value('FT.ALTER', 'life', 'SCHEMA', 'ADD', 'n', 'NUMERIC')).toBe('OK');
    expect(ids(await ok(c, 'FT.SEARCH', 'life', '@n:[5 15]', 'NOCONTENT'), { noContent: true })).toEqual(['life:1']);
    expect((await ftInfo(c, 'life'))['num_docs']).toBe(2);
    // SKIPINITIALSCAN: the documents already indexed stay indexed.
    expect(await c.value('FT.ALTER', 'life', 'SKIPINITIALSCAN', 'SCHEMA', 'ADD', 'title', 'TEXT')).toBe('OK');
    expect((await ftInfo(c, 'life'))['num_docs']).toBe(2);
    const attrs = (await ftInfo(c, 'life'))['attributes'] as RespValue[][];
    expect(attrs.map((a) => a[1])).toEqual(['v', 'tag', 'n', 'title']);

    expect(await c.value('FT.DROPINDEX', 'life')).toBe('OK');
    expect((await c.value('FT._LIST')) as string[]).not.toContain('life');
    expect(await c.value('EXISTS', 'life:1', 'life:2')).toBe(2);

    await ok(c, 'FT.CREATE', 'life', 'ON', 'HASH', 'PREFIX', '1', 'life:', 'SCHEMA', 'v', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'L2');
    await ok(c, 'HSET', 'other:1', 'v', blob([1, 2]));
    expect(await c.value('FT.DROPINDEX', 'life', 'dd')).toBe('OK');
    expect(await c.value('EXISTS', 'life:1', 'life:2', 'other:1')).toBe(1);
    // _FORCEKEEPDOCS is accepted as RediSearch accepts it.
    await ok(c, 'FT.CREATE', 'life', 'PREFIX', '1', 'other:', 'SCHEMA', 'v', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'L2');
    expect(await c.value('FT.DROPINDEX', 'life', '_FORCEKEEPDOCS')).toBe('OK');
    expect(await c.value('EXISTS', 'other:1')).toBe(1);
    await ok(c, 'DEL', 'other:1');
  });

  it('FT._LIST answers simple strings (a set in RESP3) and takes one optional argument', async () => {
    await ok(c, 'FT.CREATE', 'list-a', 'PREFIX', '1', 'list-a:', 'SCHEMA', 't', 'TAG');
    const raw = await c.call('FT._LIST');
    expect(raw).toMatch(/^\*\d+\r\n/);
    expect(raw).toContain('+list-a\r\n');
    expect(await c.call('FT._LIST', 'x')).toBe(raw);
    expect(await err(c, 'FT._LIST', 'x', 'y')).toBe("ERR wrong number of arguments for 'FT._LIST' command");
    await RawConnection.using(server().port, async (c3) => {
      await ok(c3, 'HELLO', '3');
      expect(await c3.call('FT._LIST')).toMatch(/^~\d+\r\n(\+[^\r\n]*\r\n)*$/);
    });
    await ok(c, 'FT.DROPINDEX', 'list-a');
  });

  it('errors: arity, db != 0, index exists, unknown index, bad arguments', async () => {
    const arity = (cmd: string): string => `ERR wrong number of arguments for '${cmd}' command`;
    expect(await err(c, 'FT.CREATE', 'x', 'SCHEMA', 't')).toBe(arity('FT.CREATE'));
    expect(await err(c, 'FT.SEARCH', 'x')).toBe(arity('FT.SEARCH'));
    expect(await err(c, 'FT.INFO')).toBe(arity('FT.INFO'));
    expect(await err(c, 'FT.DROPINDEX')).toBe(arity('FT.DROPINDEX'));
    expect(await err(c, 'FT.DROPINDEX', 'a', 'DD', 'x')).toBe(arity('FT.DROPINDEX'));
    expect(await err(c, 'FT.ALTER', 'x', 'SCHEMA', 'ADD')).toBe(arity('FT.ALTER'));

    await RawConnection.using(server().port, async (c1) => {
      await ok(c1, 'SELECT', '1');
      expect(await err(c1, 'FT.CREATE', 'db1', 'SCHEMA', 't', 'TAG')).toBe('Cannot create index on db != 0');
    });

    await ok(c, 'FT.CREATE', 'dup', 'PREFIX', '1', 'dup:', 'SCHEMA', 't', 'TAG');
    expect(await err(c, 'FT.CREATE', 'dup', 'SCHEMA', 't', 'TAG')).toBe('SEARCH_INDEX_EXISTS Index already exists');

    for (const cmd of [['FT.SEARCH', 'nope', '*'], ['FT.INFO', 'nope'], ['FT.DROPINDEX', 'nope'], ['FT.DROPINDEX', 'nope', 'XX'], ['FT.ALTER', 'nope', 'SCHEMA', 'ADD', 'f', 'TEXT']]) {
      expect(await err(c, ...cmd)).toBe('SEARCH_INDEX_NOT_FOUND Index not found: nope');
    }
    // module.c DropIndexCommand: the index is looked up first, then the third argument.
    expect(await err(c, 'FT.DROPINDEX', 'dup', 'XX')).toBe('SEARCH_ARG_UNRECOGNIZED Unknown argument');
    // module.c AlterIndexInternalCommand's own texts.
    expect(await err(c, 'FT.ALTER', 'dup', 'ADD', 'SCHEMA', 'f', 'TEXT')).toBe('ALTER must be followed by SCHEMA');
    expect(await err(c, 'FT.ALTER', 'dup', 'SCHEMA', 'DROP', 'f', 'TEXT')).toBe('Unknown action passed to ALTER SCHEMA');
    expect(await err(c, 'FT.ALTER', 'dup', 'SKIPINITIALSCAN', 'SCHEMA', 'ADD')).toBe('No fields provided');
    expect(await err(c, 'FT.ALTER', 'dup', 'SCHEMA', 'ADD', 't', 'TEXT')).toBe('SEARCH_QUERY_BAD Duplicate field in schema - t');
    // Schema errors come from the FT.CREATE parser.
    expect(await err(c, 'FT.CREATE', 'bad', 'SCHEMA', 'v', 'VECTOR', 'HNSW', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'XX')).toMatch(/^SEARCH_PARSE_ARGS /);
    expect(await err(c, 'FT.CREATE', 'bad', 'SCHEMA', 'v', 'VECTOR', 'HNSW', '4', 'TYPE', 'FLOAT32', 'DIM', '2')).toBe('SEARCH_PARSE_ARGS Missing mandatory parameter: cannot create HNSW index without specifying DISTANCE_METRIC argument');
    expect(await err(c, 'FT.CREATE', 'bad', 'SCHEMA', 'x', 'NOPE')).toBe('SEARCH_PARSE_ARGS Invalid field type for field `x`');
    expect((await c.value('FT._LIST')) as string[]).not.toContain('bad');
    await ok(c, 'FT.DROPINDEX', 'dup');
  });
});

describe('FT.SEARCH options', () => {
  beforeAll(loadOptionDocs);

  it('a KNN query: the distance first, then the hash fields; nearest first; total is the number of hits', async () => {
    const r = readSearch(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 3 @v $q]', 'PARAMS', '2', 'q', Q, 'DIALECT', '2'));
    expect(r.total).toBe(3);
    expect(r.docs.map((d) => d.id)).toEqual(['o:1', 'o:5', 'o:2']);
    expect(r.docs[0]!.order).toEqual(['__v_score', 'tag', 'n', 'title', 'v']);
    expect(r.docs.map((d) => d.fields!['__v_score'])).toEqual(['1', '2', '4']);
    expect(r.docs[0]!.fields!['v']).toBe(blob([1, 0]).toString('latin1'));
    // More neighbours asked than documents with a vector: all five.
    expect(readSearch(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 50 @v $q]', 'PARAMS', '2', 'q', Q, 'DIALECT', '2', 'NOCONTENT'), { noContent: true }).total).toBe(5);
    // KNN 0 and $K from PARAMS.
    expect(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 0 @v $q]', 'PARAMS', '2', 'q', Q, 'DIALECT', '2')).toEqual([0]);
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN $K @v $q]', 'PARAMS', '4', 'K', '2', 'q', Q, 'DIALECT', '2', 'NOCONTENT'), { noContent: true })).toEqual(['o:1', 'o:5']);
  });

  it('RETURN with AS; the distance field comes first whatever the RETURN order (test_vecsim.py); a missing field is left out', async () => {
    const r = readSearch(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 2 @v $q AS dist]', 'PARAMS', '2', 'q', Q, 'RETURN', '4', 'tag', 'AS', 'colour', 'dist', 'DIALECT', '2'));
    expect(r.docs.map((d) => [d.id, d.order, d.fields])).toEqual([
      ['o:1', ['dist', 'colour'], { dist: '1', colour: 'red' }],
      ['o:5', ['dist', 'colour'], { dist: '2', colour: 'blue' }],
    ]);
    const m = readSearch(await ok(c, 'FT.SEARCH', 'opt', '@tag:{blue}', 'RETURN', '2', 'title', 'n', 'DIALECT', '2'));
    expect(m.docs.map((d) => [d.id, d.fields])).toEqual([
      ['o:2', { title: 'banana split', n: '3' }],
      ['o:5', { n: '7' }],
    ]);
    // RETURN 0: ids only, as NOCONTENT.
    expect(await ok(c, 'FT.SEARCH', 'opt', '@tag:{green}', 'RETURN', '0')).toEqual([1, 'o:4']);
  });

  it('SORTBY NUMERIC ASC/DESC; the sort field comes first in the fields (test.py testIssue_848)', async () => {
    const asc = readSearch(await ok(c, 'FT.SEARCH', 'opt', '*', 'SORTBY', 'n', 'ASC'));
    expect(asc.docs.map((d) => d.id)).toEqual(['o:4', 'o:6', 'o:2', 'o:1', 'o:5', 'o:3']);
    expect(asc.docs[0]!.order).toEqual(['n', 'tag', 'title', 'v']);
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*', 'SORTBY', 'n', 'DESC', 'NOCONTENT'), { noContent: true })).toEqual(['o:3', 'o:5', 'o:1', 'o:2', 'o:6', 'o:4']);
    // SORTBY without a direction is ascending; @field is accepted.
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*', 'SORTBY', '@n', 'NOCONTENT'), { noContent: true })).toEqual(['o:4', 'o:6', 'o:2', 'o:1', 'o:5', 'o:3']);
  });

  it('SORTBY TEXT (SORTABLE: case-folded) and TAG; documents without the field last; ties by index order in the sort direction (test_issues.py test_sortby_Noexist)', async () => {
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*', 'SORTBY', 'title', 'ASC', 'NOCONTENT'), { noContent: true })).toEqual(['o:4', 'o:1', 'o:2', 'o:3', 'o:6', 'o:5']);
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*', 'SORTBY', 'title', 'DESC', 'NOCONTENT'), { noContent: true })).toEqual(['o:6', 'o:3', 'o:2', 'o:1', 'o:4', 'o:5']);
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*', 'SORTBY', 'tag', 'ASC', 'NOCONTENT'), { noContent: true })).toEqual(['o:2', 'o:5', 'o:4', 'o:1', 'o:3', 'o:6']);
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*', 'SORTBY', 'tag', 'DESC', 'NOCONTENT'), { noContent: true })).toEqual(['o:6', 'o:3', 'o:1', 'o:4', 'o:5', 'o:2']);
  });

  it('SORTBY the KNN distance or another field sorts the k hits', async () => {
    const q = ['PARAMS', '2', 'q', Q, 'DIALECT', '2', 'NOCONTENT'];
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 3 @v $q AS d]', 'SORTBY', 'd', ...q), { noContent: true })).toEqual(['o:1', 'o:5', 'o:2']);
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 3 @v $q AS d]', 'SORTBY', 'd', 'DESC', ...q), { noContent: true })).toEqual(['o:2', 'o:5', 'o:1']);
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 3 @v $q]', 'SORTBY', '__v_score', 'DESC', ...q), { noContent: true })).toEqual(['o:2', 'o:5', 'o:1']);
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 3 @v $q]', 'SORTBY', 'n', 'DESC', ...q), { noContent: true })).toEqual(['o:5', 'o:1', 'o:2']);
    // With the fields: the distance, then the sort field, then the rest.
    const r = readSearch(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 1 @v $q]', 'SORTBY', 'n', 'PARAMS', '2', 'q', Q, 'DIALECT', '2'));
    expect(r.docs[0]!.order).toEqual(['__v_score', 'n', 'tag', 'title', 'v']);
  });

  it('SORTBY a field neither in the schema nor yielded is an error (pipeline_construction.c)', async () => {
    expect(await err(c, 'FT.SEARCH', 'opt', '*', 'SORTBY', 'nope')).toBe('SEARCH_PROP_NOT_FOUND Property `nope` not loaded nor in schema');
    expect(await err(c, 'FT.SEARCH', 'opt', '*', 'SORTBY', 'N')).toBe('SEARCH_PROP_NOT_FOUND Property `N` not loaded nor in schema');
    expect(await err(c, 'FT.SEARCH', 'opt', '*=>[KNN 2 @v $q AS d]', 'SORTBY', 'dd', 'PARAMS', '2', 'q', Q, 'DIALECT', '2')).toBe('SEARCH_PROP_NOT_FOUND Property `dd` not loaded nor in schema');
  });

  it('LIMIT offset num, LIMIT 0 0 (the count alone), and LIMIT beyond the hits', async () => {
    const knn = ['*=>[KNN 3 @v $q]', 'PARAMS', '2', 'q', Q, 'DIALECT', '2', 'NOCONTENT'];
    expect(await ok(c, 'FT.SEARCH', 'opt', ...knn, 'LIMIT', '1', '2')).toEqual([3, 'o:5', 'o:2']);
    expect(await ok(c, 'FT.SEARCH', 'opt', ...knn, 'LIMIT', '0', '0')).toEqual([3]);
    expect(await ok(c, 'FT.SEARCH', 'opt', '*', 'LIMIT', '0', '0')).toEqual([6]);
    expect(await ok(c, 'FT.SEARCH', 'opt', '@tag:{red}', 'LIMIT', '0', '0', 'DIALECT', '2')).toEqual([3]);
    expect(await ok(c, 'FT.SEARCH', 'opt', '*', 'NOCONTENT', 'LIMIT', '10', '5')).toEqual([6]);
    expect(await ok(c, 'FT.SEARCH', 'opt', '*', 'NOCONTENT', 'SORTBY', 'n', 'LIMIT', '4', '5')).toEqual([6, 'o:5', 'o:3']);
    expect(await err(c, 'FT.SEARCH', 'opt', '*', 'LIMIT', '1', '0')).toBe('SEARCH_LIMIT_OVER The `offset` of the LIMIT must be 0 when `num` is 0');
    expect(await err(c, 'FT.SEARCH', 'opt', '*', 'LIMIT', '0')).toBe('SEARCH_PARSE_ARGS LIMIT requires two arguments');
  });

  it('NOCONTENT and WITHSCORES (every score 1: no relevance scoring), alone and together', async () => {
    const knn = ['*=>[KNN 2 @v $q]', 'PARAMS', '2', 'q', Q, 'DIALECT', '2'];
    expect(await ok(c, 'FT.SEARCH', 'opt', ...knn, 'NOCONTENT')).toEqual([2, 'o:1', 'o:5']);
    expect(await ok(c, 'FT.SEARCH', 'opt', ...knn, 'NOCONTENT', 'WITHSCORES')).toEqual([2, 'o:1', '1', 'o:5', '1']);
    const r = readSearch(await ok(c, 'FT.SEARCH', 'opt', ...knn, 'WITHSCORES', 'RETURN', '1', 'tag'), { withScores: true });
    expect(r.docs.map((d) => [d.id, d.score, d.fields])).toEqual([
      ['o:1', '1', { tag: 'red' }],
      ['o:5', '1', { tag: 'blue' }],
    ]);
  });

  it('WITHSORTKEYS sends the sort value ($string, #number, or null); WITHPAYLOADS the PAYLOAD_FIELD or null', async () => {
    expect(await ok(c, 'FT.SEARCH', 'opt', '@tag:{blue}', 'WITHSORTKEYS', 'SORTBY', 'title', 'NOCONTENT', 'DIALECT', '2')).toEqual([2, 'o:2', '$banana split', 'o:5', null]);
    expect(await ok(c, 'FT.SEARCH', 'opt', '@tag:{blue}', 'WITHSORTKEYS', 'SORTBY', 'n', 'DESC', 'RETURN', '1', 'n', 'DIALECT', '2')).toEqual([2, 'o:5', '#7', ['n', '7'], 'o:2', '#3', ['n', '3']]);
    // (1 − 0.1f)², computed in float32 as the engine does, printed %.17g.
    expect(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 1 @v $q AS d]', 'PARAMS', '2', 'q', blob([0.1, 0]), 'WITHSORTKEYS', 'SORTBY', 'd', 'NOCONTENT', 'DIALECT', '2')).toEqual([1, 'o:1', '#0.80999994277954102']);
    expect(await ok(c, 'FT.SEARCH', 'opt', '@tag:{green}', 'WITHSORTKEYS', 'NOCONTENT', 'DIALECT', '2')).toEqual([1, 'o:4', null]);
    expect(await ok(c, 'FT.SEARCH', 'opt', '@tag:{green}', 'WITHPAYLOADS', 'WITHSCORES', 'NOCONTENT', 'DIALECT', '2')).toEqual([1, 'o:4', '1', null]);
    await ok(c, 'FT.CREATE', 'pay', 'ON', 'HASH', 'PREFIX', '1', 'pay:', 'PAYLOAD_FIELD', 'pl', 'SCHEMA', 't', 'TAG');
    await ok(c, 'HSET', 'pay:1', 't', 'x', 'pl', 'payload-1');
    await ok(c, 'HSET', 'pay:2', 't', 'x');
    expect(await ok(c, 'FT.SEARCH', 'pay', '*', 'WITHPAYLOADS', 'RETURN', '1', 't')).toEqual([2, 'pay:1', 'payload-1', ['t', 'x'], 'pay:2', null, ['t', 'x']]);
    await RawConnection.using(server().port, async (c3) => {
      await ok(c3, 'HELLO', '3');
      expect(await c3.call('FT.SEARCH', 'pay', '*', 'WITHPAYLOADS', 'WITHSORTKEYS', 'SORTBY', 't', 'NOCONTENT', 'LIMIT', '0', '1')).toBe(
        '%5\r\n+attributes\r\n*0\r\n+format\r\n+STRING\r\n+results\r\n*1\r\n%4\r\n+id\r\n$5\r\npay:1\r\n+payload\r\n$9\r\npayload-1\r\n+sortkey\r\n$2\r\n$x\r\n+values\r\n*0\r\n+total_results\r\n:2\r\n+warning\r\n*0\r\n',
      );
    });
    await ok(c, 'FT.DROPINDEX', 'pay', 'DD');
  });

  it('DIALECT 2 to 4 give the same answer; others are refused', async () => {
    for (const d of ['2', '3', '4']) {
      expect(await ok(c, 'FT.SEARCH', 'opt', '@tag:{red} @n:[4 10]', 'NOCONTENT', 'DIALECT', d)).toEqual([2, 'o:1', 'o:3']);
    }
    expect(await err(c, 'FT.SEARCH', 'opt', '*', 'DIALECT', '5')).toBe('SEARCH_PARSE_ARGS DIALECT requires a non negative integer >=1 and <= 4');
    expect(await err(c, 'FT.SEARCH', 'opt', '*', 'DIALECT', '0')).toBe('SEARCH_PARSE_ARGS DIALECT requires a non negative integer >=1 and <= 4');
  });

  it('filters: TAG, NUMERIC with exclusive bounds and infinities, text, negation, OR, and the FILTER argument', async () => {
    const nc = (q: string, ...more: string[]): Promise<RespValue> => ok(c, 'FT.SEARCH', 'opt', q, 'NOCONTENT', 'DIALECT', '2', ...more);
    expect(await nc('@tag:{red|green}')).toEqual([4, 'o:1', 'o:3', 'o:4', 'o:6']);
    expect(await nc('@n:[(3 7]')).toEqual([2, 'o:1', 'o:5']);
    expect(await nc('@n:[-inf (3]')).toEqual([2, 'o:4', 'o:6']);
    expect(await nc('@n:[8 +inf]')).toEqual([1, 'o:3']);
    expect(await nc('apple')).toEqual([2, 'o:1', 'o:4']);
    expect(await nc('@title:(apple pie)')).toEqual([1, 'o:1']);
    expect(await nc('-@tag:{red}')).toEqual([3, 'o:2', 'o:4', 'o:5']);
    expect(await nc('@tag:{blue} | @n:[9 9]')).toEqual([3, 'o:2', 'o:3', 'o:5']);
    expect(await nc('*', 'FILTER', 'n', '3', '(7')).toEqual([2, 'o:1', 'o:2']);
    expect(await nc('@tag:{red}', 'FILTER', 'n', '-inf', '5')).toEqual([2, 'o:1', 'o:6']);
    expect(await err(c, 'FT.SEARCH', 'opt', '*', 'FILTER', 'title', '1', '2')).toBe('SEARCH_QUERY_BAD Field is not a numeric field, field: title');
    // INKEYS: only those documents (unknown keys ignored), with or without KNN.
    expect(await nc('*', 'INKEYS', '3', 'o:3', 'nope', 'o:1')).toEqual([2, 'o:1', 'o:3']);
    expect(await nc('@tag:{red}', 'INKEYS', '2', 'o:2', 'o:3')).toEqual([1, 'o:3']);
    expect(await ok(c, 'FT.SEARCH', 'opt', '*=>[KNN 3 @v $q]', 'PARAMS', '2', 'q', Q, 'INKEYS', '2', 'o:3', 'o:2', 'NOCONTENT', 'DIALECT', '2')).toEqual([2, 'o:2', 'o:3']);
  });

  it('hybrid KNN: filter, EF_RUNTIME (HNSW), HYBRID_POLICY ADHOC_BF and BATCHES give the same exact answer', async () => {
    await ok(c, 'FT.CREATE', 'opth', 'ON', 'HASH', 'PREFIX', '1', 'o:', 'SCHEMA', 'tag', 'TAG', 'n', 'NUMERIC', 'v', 'VECTOR', 'HNSW', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'L2');
    const args = ['PARAMS', '2', 'q', Q, 'DIALECT', '2', 'NOCONTENT'];
    for (const index of ['opt', 'opth']) {
      expect(await ok(c, 'FT.SEARCH', index, '(@tag:{red})=>[KNN 2 @v $q]', ...args)).toEqual([2, 'o:1', 'o:3']);
      expect(await ok(c, 'FT.SEARCH', index, '(@tag:{red|blue} @n:[3 +inf])=>[KNN 2 @v $q HYBRID_POLICY ADHOC_BF]', ...args)).toEqual([2, 'o:1', 'o:5']);
      expect(await ok(c, 'FT.SEARCH', index, '(@tag:{red|blue} @n:[3 +inf])=>[KNN 2 @v $q HYBRID_POLICY BATCHES]', ...args)).toEqual([2, 'o:1', 'o:5']);
      expect(await ok(c, 'FT.SEARCH', index, '(@tag:{red|blue} @n:[3 +inf])=>[KNN 2 @v $q HYBRID_POLICY BATCHES BATCH_SIZE 1]', ...args)).toEqual([2, 'o:1', 'o:5']);
      // Nothing matches the filter: no hits.
      expect(await ok(c, 'FT.SEARCH', index, '(@tag:{nothing})=>[KNN 2 @v $q]', ...args)).toEqual([0]);
      // A filter matching documents without a vector (o:6) only: no hits either.
      expect(await ok(c, 'FT.SEARCH', index, '(@n:[2 2])=>[KNN 2 @v $q]', ...args)).toEqual([0]);
    }
    expect(await ok(c, 'FT.SEARCH', 'opth', '*=>[KNN 3 @v $q EF_RUNTIME 50]', ...args)).toEqual([3, 'o:1', 'o:5', 'o:2']);
    expect(await ok(c, 'FT.SEARCH', 'opth', '*=>[KNN 3 @v $q]=>{$EF_RUNTIME: 50; $YIELD_DISTANCE_AS: dd}', ...args)).toEqual([3, 'o:1', 'o:5', 'o:2']);
    expect(await err(c, 'FT.SEARCH', 'opth', '*=>[KNN 3 @v $q HYBRID_POLICY BATCHES]', ...args)).toMatch(/^SEARCH_HYBRID_ATTR_NON_HYBRID hybrid query attributes were sent for a non-hybrid query/);
    await ok(c, 'FT.DROPINDEX', 'opth');
  });

  it('vector range queries: $YIELD_DISTANCE_AS returns the distance; SORTBY it; index order without', async () => {
    const args = ['PARAMS', '2', 'q', Q, 'DIALECT', '2'];
    const r = readSearch(await ok(c, 'FT.SEARCH', 'opt', '@v:[VECTOR_RANGE 4 $q]=>{$YIELD_DISTANCE_AS: d}', 'SORTBY', 'd', 'RETURN', '2', 'd', 'tag', ...args));
    expect(r.total).toBe(3);
    expect(r.docs.map((d) => [d.id, d.fields])).toEqual([
      ['o:1', { d: '1', tag: 'red' }],
      ['o:5', { d: '2', tag: 'blue' }],
      ['o:2', { d: '4', tag: 'blue' }],
    ]);
    expect(ids(await ok(c, 'FT.SEARCH', 'opt', '@v:[VECTOR_RANGE 4 $q]', 'NOCONTENT', ...args), { noContent: true })).toEqual(['o:1', 'o:2', 'o:5']);
    // Without RETURN the distance comes first, then the hash.
    const all = readSearch(await ok(c, 'FT.SEARCH', 'opt', '@v:[VECTOR_RANGE 1 $q]=>{$YIELD_DISTANCE_AS: d}', ...args));
    expect(all.docs.map((d) => [d.id, d.order])).toEqual([['o:1', ['d', 'tag', 'n', 'title', 'v']]]);
    // Combined with other clauses.
    expect(await ok(c, 'FT.SEARCH', 'opt', '@tag:{blue} @v:[VECTOR_RANGE 3 $q]', 'NOCONTENT', ...args)).toEqual([1, 'o:5']);
    expect(await ok(c, 'FT.SEARCH', 'opt', '@v:[VECTOR_RANGE 0.5 $q]', 'NOCONTENT', ...args)).toEqual([0]);
  });

  it('query errors: syntax, unknown field, KNN on a non-vector field, missing parameter, DIM mismatch of the query blob', async () => {
    expect(await err(c, 'FT.SEARCH', 'opt', '@tag:{red', 'DIALECT', '2')).toMatch(/^SEARCH_SYNTAX Syntax error at offset \d+ near /);
    expect(await err(c, 'FT.SEARCH', 'opt', '@nope:{a}', 'DIALECT', '2')).toBe('SEARCH_SYNTAX Unknown field at offset 0 near nope');
    expect(await err(c, 'FT.SEARCH', 'opt', '*=>[KNN 2 @tag $q]', 'PARAMS', '2', 'q', Q, 'DIALECT', '2')).toBe('SEARCH_SYNTAX Expected a VECTOR field at offset 10 near tag');
    expect(await err(c, 'FT.SEARCH', 'opt', '*=>[KNN 2 @v $q]', 'DIALECT', '2')).toBe('SEARCH_PARAM_NOT_FOUND Parameter not found `q`');
    // test_vecsim.py: the module's text for a blob of the wrong size.
    expect(await err(c, 'FT.SEARCH', 'opt', '*=>[KNN 2 @v $q]', 'PARAMS', '2', 'q', blob([0, 0, 0]), 'DIALECT', '2')).toBe(
      "SEARCH_QUERY_BAD Error parsing vector similarity query: query vector blob size (12) does not match index's expected size (8).",
    );
    expect(await err(c, 'FT.SEARCH', 'opt', '*=>[KNN 2 @v $q]', 'PARAMS', '2', 'q', blob([0, 0], 'FLOAT64'), 'DIALECT', '2')).toMatch(/blob size \(16\) does not match index's expected size \(8\)/);
    expect(await err(c, 'FT.SEARCH', 'opt', '@v:[VECTOR_RANGE 1 $q]', 'PARAMS', '2', 'q', 'abc', 'DIALECT', '2')).toMatch(/^SEARCH_QUERY_BAD .*blob size \(3\)/);
    expect(await err(c, 'FT.SEARCH', 'opt', '*', 'PARAMS', '3', 'a', 'b', 'c')).toBe('SEARCH_ADD_ARGS Parameters must be specified in PARAM VALUE pairs');
    expect(await err(c, 'FT.SEARCH', 'opt', '*', 'BOGUS')).toMatch(/^SEARCH_ARG_UNRECOGNIZED Unknown argument `BOGUS`/);
    // FORMAT EXPAND is for JSON indexes under RESP3 (aggregate_request.c SetValueFormat).
    expect(await err(c, 'FT.SEARCH', 'opt', '*', 'FORMAT', 'EXPAND')).toBe('SEARCH_VALUE_BAD EXPAND format is only supported with RESP3');
    await RawConnection.using(server().port, async (c3) => {
      await ok(c3, 'HELLO', '3');
      expect(await err(c3, 'FT.SEARCH', 'opt', '*', 'FORMAT', 'EXPAND')).toBe('SEARCH_VALUE_BAD EXPAND format is only supported with JSON');
    });
    // The server still answers.
    expect(await c.value('PING')).toBe('PONG');
  });
});

describe('aliases, transactions', () => {
  it('schema aliases (AS): queries, RETURN and SORTBY use the alias; the default score field is named after it', async () => {
    await ok(c, 'FT.CREATE', 'alias', 'ON', 'HASH', 'PREFIX', '1', 'al:', 'SCHEMA', 'raw_vec', 'AS', 'emb', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'L2', 'kind', 'AS', 'k', 'TAG', 'cnt', 'AS', 'c', 'NUMERIC');
    await ok(c, 'HSET', 'al:1', 'raw_vec', blob([1, 0]), 'kind', 'x', 'cnt', '2');
    await ok(c, 'HSET', 'al:2', 'raw_vec', blob([3, 0]), 'kind', 'y', 'cnt', '1');
    const r = readSearch(await ok(c, 'FT.SEARCH', 'alias', '(@k:{x|y} @c:[0 5])=>[KNN 2 @emb $q]', 'PARAMS', '2', 'q', Q, 'DIALECT', '2'));
    expect(r.docs.map((d) => [d.id, d.order])).toEqual([
      ['al:1', ['__emb_score', 'raw_vec', 'kind', 'cnt']],
      ['al:2', ['__emb_score', 'raw_vec', 'kind', 'cnt']],
    ]);
    expect(r.docs.map((d) => d.fields!['__emb_score'])).toEqual(['1', '9']);
    const s = readSearch(await ok(c, 'FT.SEARCH', 'alias', '*', 'SORTBY', 'c', 'RETURN', '2', 'k', 'c', 'DIALECT', '2'));
    expect(s.docs.map((d) => [d.id, d.fields])).toEqual([
      ['al:2', { c: '1', k: 'y' }],
      ['al:1', { c: '2', k: 'x' }],
    ]);
    await ok(c, 'FT.DROPINDEX', 'alias', 'DD');
  });

  it('FT.SEARCH inside MULTI/EXEC runs in the transaction and sees its writes', async () => {
    await ok(c, 'FT.CREATE', 'tx', 'ON', 'HASH', 'PREFIX', '1', 'tx:', 'SCHEMA', 'v', 'VECTOR', 'HNSW', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'L2');
    await ok(c, 'MULTI');
    await c.value('HSET', 'tx:1', 'v', blob([1, 1]));
    await c.value('FT.SEARCH', 'tx', '*=>[KNN 5 @v $q]', 'PARAMS', '2', 'q', Q, 'NOCONTENT', 'DIALECT', '2');
    await c.value('DEL', 'tx:1');
    await c.value('FT.SEARCH', 'tx', '*=>[KNN 5 @v $q]', 'PARAMS', '2', 'q', Q, 'NOCONTENT', 'DIALECT', '2');
    expect(await c.value('EXEC')).toEqual([1, [1, 'tx:1'], 1, [0]]);
    await ok(c, 'FT.DROPINDEX', 'tx');
  });
});

describe('reply shapes, byte for byte', () => {
  beforeAll(async () => {
    await ok(c, 'FT.CREATE', 'shape', 'ON', 'HASH', 'PREFIX', '1', 's:', 'SCHEMA', 't', 'TAG', 'v', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'L2');
    await ok(c, 'HSET', 's:1', 't', 'a', 'v', blob([1, 1]));
    await ok(c, 'HSET', 's:2', 't', 'b', 'v', blob([0, 3]));
  });
  const knn = ['shape', '*=>[KNN 2 @v $q AS d]', 'PARAMS', '2', 'q', blob([0, 0]), 'DIALECT', '2'];

  it('RESP2: an array of the total, then id and fields per document', async () => {
    expect(await c.call('FT.SEARCH', ...knn, 'RETURN', '2', 'd', 't')).toBe('*5\r\n:2\r\n$3\r\ns:1\r\n*4\r\n$1\r\nd\r\n$1\r\n2\r\n$1\r\nt\r\n$1\r\na\r\n$3\r\ns:2\r\n*4\r\n$1\r\nd\r\n$1\r\n9\r\n$1\r\nt\r\n$1\r\nb\r\n');
    expect(await c.call('FT.SEARCH', ...knn, 'NOCONTENT', 'WITHSCORES')).toBe('*5\r\n:2\r\n$3\r\ns:1\r\n$1\r\n1\r\n$3\r\ns:2\r\n$1\r\n1\r\n');
    expect(await c.call('FT.SEARCH', 'shape', '@t:{zz}', 'DIALECT', '2')).toBe('*1\r\n:0\r\n');
  });

  it('RESP3: the map of attributes, format, results, total_results and warning (aggregate_exec.c)', async () => {
    await RawConnection.using(server().port, async (c3) => {
      await ok(c3, 'HELLO', '3');
      const head = '%5\r\n+attributes\r\n*0\r\n+format\r\n+STRING\r\n+results\r\n';
      const tail = (n: number): string => `+total_results\r\n:${n}\r\n+warning\r\n*0\r\n`;
      expect(await c3.call('FT.SEARCH', ...knn, 'RETURN', '2', 'd', 't')).toBe(
        head +
          '*2\r\n' +
          '%3\r\n+id\r\n$3\r\ns:1\r\n+extra_attributes\r\n%2\r\n$1\r\nd\r\n$1\r\n2\r\n$1\r\nt\r\n$1\r\na\r\n+values\r\n*0\r\n' +
          '%3\r\n+id\r\n$3\r\ns:2\r\n+extra_attributes\r\n%2\r\n$1\r\nd\r\n$1\r\n9\r\n$1\r\nt\r\n$1\r\nb\r\n+values\r\n*0\r\n' +
          tail(2),
      );
      expect(await c3.call('FT.SEARCH', ...knn, 'NOCONTENT', 'WITHSCORES', 'LIMIT', '0', '1')).toBe(head + '*1\r\n%3\r\n+id\r\n$3\r\ns:1\r\n+score\r\n,1\r\n+values\r\n*0\r\n' + tail(2));
      expect(await c3.call('FT.SEARCH', ...knn, 'LIMIT', '0', '0')).toBe(head + '*0\r\n' + tail(2));
      expect(await c3.call('FT.SEARCH', 'shape', '*', 'FORMAT', 'STRING', 'RETURN', '1', 't', 'LIMIT', '0', '1')).toBe(
        head + '*1\r\n%3\r\n+id\r\n$3\r\ns:1\r\n+extra_attributes\r\n%1\r\n$1\r\nt\r\n$1\r\na\r\n+values\r\n*0\r\n' + tail(2),
      );
      // FT.INFO is a map in RESP3; its doubles are RESP3 doubles.
      const info = (await c3.value('FT.INFO', 'shape')) as { map: Array<[RespValue, RespValue]> };
      const m = new Map(info.map);
      expect(m.get('index_name')).toBe('shape');
      expect(m.get('num_docs')).toBe(2);
      expect(m.get('percent_indexed')).toEqual({ double: 1, text: '1' });
    });
  });
});

describe('distances: COSINE 1 − cos, L2 squared, IP 1 − dot; FLAT and HNSW; FLOAT32 and FLOAT64; printed %.12g', () => {
  const DIM = 8;
  const N = 60;
  const data = uniform(N, DIM, 77);
  const queries = uniform(3, DIM, 99);
  const cases: Array<[string, string, Metric]> = [];
  for (const alg of ['FLAT', 'HNSW']) for (const type of ['FLOAT32', 'FLOAT64']) for (const metric of ['COSINE', 'L2', 'IP'] as const) cases.push([alg, type, metric]);

  it.each(cases)('%s %s %s', async (alg, type, metric) => {
    const name = `d-${alg}-${type}-${metric}`.toLowerCase();
    const prefix = `${name}:`;
    await ok(c, 'FT.CREATE', name, 'ON', 'HASH', 'PREFIX', '1', prefix, 'SCHEMA', 'v', 'VECTOR', alg, '6', 'TYPE', type, 'DIM', String(DIM), 'DISTANCE_METRIC', metric);
    const docs = new Map<string, number[]>();
    for (let i = 0; i < N; i++) {
      docs.set(`${prefix}${i}`, data[i]!);
      await ok(c, 'HSET', `${prefix}${i}`, 'v', blob(data[i]!, type as VectorType));
    }
    for (const q of queries) {
      const want = exactKnn(docs, q, 10, metric);
      const ef = alg === 'HNSW' ? ' EF_RUNTIME 200' : '';
      const r = readSearch(await ok(c, 'FT.SEARCH', name, `*=>[KNN 10 @v $q${ef} AS dist]`, 'PARAMS', '2', 'q', blob(q, type as VectorType), 'RETURN', '1', 'dist', 'DIALECT', '2'));
      expect(r.docs.map((d) => d.id)).toEqual(want.map((w) => w.key));
      r.docs.forEach((d, i) => {
        const text = d.fields!['dist']!;
        expect(near(Number(text), want[i]!.distance), `${d.id}: ${text} vs ${want[i]!.distance}`).toBe(true);
        // Printed as the engine prints numbers: %.12g (or an integer).
        expect(text).toBe(engineNumber(Number(text)));
      });
    }
    await ok(c, 'FT.DROPINDEX', name, 'DD');
  });

  it('exact values print exactly; %.12g keeps 12 significant digits', async () => {
    await ok(c, 'FT.CREATE', 'exactd', 'ON', 'HASH', 'PREFIX', '1', 'ex:', 'SCHEMA', 'v', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT64', 'DIM', '2', 'DISTANCE_METRIC', 'IP', 'w', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT32', 'DIM', '2', 'DISTANCE_METRIC', 'COSINE');
    await ok(c, 'HSET', 'ex:1', 'v', blob([3, 0.5], 'FLOAT64'), 'w', blob([1, 0]));
    await ok(c, 'HSET', 'ex:2', 'v', blob([-2, 0], 'FLOAT64'), 'w', blob([0, 2]));
    const r = readSearch(await ok(c, 'FT.SEARCH', 'exactd', '*=>[KNN 2 @v $q AS s]', 'PARAMS', '2', 'q', blob([1, 2], 'FLOAT64'), 'RETURN', '1', 's', 'DIALECT', '2'));
    // IP: 1 − dot = 1 − 4 = −3 and 1 − (−2) = 3.
    expect(r.docs.map((d) => [d.id, d.fields!['s']])).toEqual([
      ['ex:1', '-3'],
      ['ex:2', '3'],
    ]);
    const w = readSearch(await ok(c, 'FT.SEARCH', 'exactd', '*=>[KNN 2 @w $q AS s]', 'PARAMS', '2', 'q', blob([1, 1]), 'RETURN', '1', 's', 'DIALECT', '2'));
    // COSINE: 1 − 1/√2 for both; printed with 12 significant digits, as C's %.12g.
    expect(w.docs.map((d) => d.fields!['s'])).toEqual([g12(1 - Math.SQRT1_2), g12(1 - Math.SQRT1_2)].map((s) => expect.stringMatching(new RegExp(`^${s.slice(0, 9)}`))));
    for (const d of w.docs) expect(d.fields!['s']).toBe(g12(Number(d.fields!['s'])));
    expect(g12(1 - Math.SQRT1_2)).toBe('0.292893218813');
    expect(g12(1e-7)).toBe('1e-07');
    expect(g12(123456789012345)).toBe('1.23456789012e+14');
    expect(distance('COSINE', [1, 0], [0, 1])).toBe(1);
    await ok(c, 'FT.DROPINDEX', 'exactd', 'DD');
  });
});

describe('RESP3 errors and values are still errors and values', () => {
  it('an error reply is an error in RESP3 too', async () => {
    await RawConnection.using(server().port, async (c3) => {
      await ok(c3, 'HELLO', '3');
      const v = await c3.value('FT.SEARCH', 'nope', '*');
      expect(v).toBeInstanceOf(RespError);
    });
  });
});
