// FT.SEARCH arguments (src/query/search-args.ts): what redis-py (LangChain, redisvl) and
// node-redis (@langchain/redis) send, and the module's errors for bad options.

import { describe, expect, it } from 'vitest';
import { parseSearch, QueryError, type SearchRequest } from '../src/query/index.js';

function search(...args: Array<string | Buffer>): SearchRequest {
  return parseSearch(['FT.SEARCH', 'idx', ...args].map((a) => (typeof a === 'string' ? Buffer.from(a) : a)));
}

function searchError(...args: string[]): string {
  try {
    search(...args);
  } catch (e) {
    if (e instanceof QueryError) return e.reply;
    throw e;
  }
  throw new Error(`no error for ${args.join(' ')}`);
}

describe('FT.SEARCH as clients send it', () => {
  it('redis-py Query (LangChain community): RETURN, SORTBY, LIMIT, DIALECT, PARAMS', () => {
    const vec = Buffer.from([0, 0, 128, 63]);
    const r = search(
      '(@brand:{nike})=>[KNN 4 @content_vector $vector AS distance]',
      'RETURN', '3', 'content', 'brand', 'distance', 'SORTBY', 'distance', 'ASC', 'LIMIT', '0', '4', 'DIALECT', '2',
      'PARAMS', '2', 'vector', vec,
    );
    expect(r.index).toBe('idx');
    expect(r.query.toString()).toContain('KNN 4');
    expect(r.returnFields).toEqual([
      { path: 'content', name: 'content' }, { path: 'brand', name: 'brand' }, { path: 'distance', name: 'distance' },
    ]);
    expect(r.sortBy).toEqual({ field: 'distance', ascending: true });
    expect([r.offset, r.limit, r.dialect]).toEqual([0, 4, 2]);
    expect(r.params?.get('vector')).toEqual(vec);
  });

  it('node-redis (@langchain/redis), redisvl text queries, defaults', () => {
    const r = search('* => [KNN 4 @v $vector AS vector_score]', 'PARAMS', '2', 'vector', 'xxxx', 'RETURN', '3', 'metadata', 'content',
      'vector_score', 'SORTBY', 'vector_score', 'DIALECT', '2', 'LIMIT', '0', '4');
    expect(r.sortBy).toEqual({ field: 'vector_score', ascending: true });
    const t = search('@text:(hello)', 'SCORER', 'BM25STD', 'WITHSCORES', 'NOCONTENT', 'VERBATIM', 'TIMEOUT', '100', 'INORDER', 'SLOP', '1.7');
    expect([t.scorer, t.withScores, t.noContent, t.verbatim, t.timeout, t.inOrder, t.slop]).toEqual(['BM25STD', true, true, true, 100, true, 1]);
    const d = search('*');
    expect([d.offset, d.limit, d.dialect, d.returnFields, d.sortBy, d.params]).toEqual([0, 10, null, null, null, null]);
  });

  it('RETURN with AS, RETURN 0, SORTBY DESC and @field, LIMIT 0 0, options in any order', () => {
    const r = search('*', 'LIMIT', '0', '0', 'RETURN', '6', 'a', 'AS', 'x', 'b', 'a', 'b', 'SORTBY', '@price', 'DESC', 'NOSTOPWORDS');
    expect(r.returnFields).toEqual([{ path: 'a', name: 'x' }, { path: 'b', name: 'b' }, { path: 'a', name: 'a' }]);
    expect(r.sortBy).toEqual({ field: 'price', ascending: false });
    expect([r.limit, r.noStopwords]).toEqual([0, true]);
    expect(search('*', 'RETURN', '0').returnFields).toEqual([]);
  });

  it('numbers are read as C strings, as the module reads FT.SEARCH\'s arguments', () => {
    expect([search('*', 'LIMIT', ' 1', '0x10').offset, search('*', 'LIMIT', ' 1', '0x10').limit]).toEqual([1, 16]);
    expect(search('*', 'DIALECT', '+2').dialect).toBe(2);
    expect(searchError('*', 'LIMIT', '0', 'inf')).toBe('SEARCH_PARSE_ARGS LIMIT needs two numeric arguments');
  });

  it('legacy FILTER and GEOFILTER, INKEYS, INFIELDS, HIGHLIGHT and SUMMARIZE are read', () => {
    const r = search('*', 'FILTER', 'price', '(1', '+inf', 'GEOFILTER', 'loc', '2.3', '48.8', '5', 'km', 'INKEYS', '2', 'k1', 'k2',
      'INFIELDS', '1', 'title', 'HIGHLIGHT', 'FIELDS', '1', 'title', 'TAGS', '<b>', '</b>', 'SUMMARIZE', 'LEN', '10');
    expect(r.numericFilters).toEqual([{ field: 'price', min: 1, max: Infinity, minInclusive: false, maxInclusive: true }]);
    expect(r.geoFilters).toEqual([{ field: 'loc', lon: 2.3, lat: 48.8, radius: 5000 }]);
    expect([r.inKeys, r.inFields, r.highlight, r.summarize]).toEqual([['k1', 'k2'], ['title'], true, true]);
  });
});

describe('FT.SEARCH errors', () => {
  const cases: ReadonlyArray<readonly [string[], string]> = [
    [['*', 'LIMIT', '0'], 'SEARCH_PARSE_ARGS LIMIT requires two arguments'],
    [['*', 'LIMIT', '0', 'x'], 'SEARCH_PARSE_ARGS LIMIT needs two numeric arguments'],
    [['*', 'LIMIT', '-1', '10'], 'SEARCH_PARSE_ARGS LIMIT needs two numeric arguments'],
    [['*', 'LIMIT', '5', '0'], 'SEARCH_LIMIT_OVER The `offset` of the LIMIT must be 0 when `num` is 0'],
    [['*', 'LIMIT', '0', '1000001'], 'SEARCH_LIMIT_OVER LIMIT exceeds maximum of 1000000'],
    [['*', 'LIMIT', '1000001', '10'], 'SEARCH_LIMIT_OVER OFFSET exceeds maximum of 1000000'],
    [['*', 'SORTBY'], 'SEARCH_PARSE_ARGS Bad SORTBY arguments'],
    [['*', 'SORTBY', 'a', 'SORTBY', 'b'], 'SEARCH_PARSE_ARGS Multiple SORTBY steps are not allowed'],
    [['*', 'SORTBY', 'a', 'MAX', '3'], 'SEARCH_PARSE_ARGS SORTBY MAX is not supported by FT.SEARCH'],
    [['*', 'TIMEOUT'], 'SEARCH_PARSE_ARGS Need argument for TIMEOUT'],
    [['*', 'TIMEOUT', '-5'], 'SEARCH_PARSE_ARGS TIMEOUT requires a non negative integer'],
    [['*', 'DIALECT'], 'SEARCH_PARSE_ARGS Need an argument for DIALECT'],
    [['*', 'DIALECT', '5'], 'SEARCH_PARSE_ARGS DIALECT requires a non negative integer >=1 and <= 4'],
    [['*', 'DIALECT', '0'], 'SEARCH_PARSE_ARGS DIALECT requires a non negative integer >=1 and <= 4'],
    [['*', 'PARAMS', '3', 'a', 'b', 'c'], 'SEARCH_ADD_ARGS Parameters must be specified in PARAM VALUE pairs'],
    [['*', 'PARAMS', '0'], 'SEARCH_ADD_ARGS Parameters must be specified in PARAM VALUE pairs'],
    [['*', 'PARAMS', '4', 'a', 'b'], 'SEARCH_PARSE_ARGS Bad arguments for PARAMS: Expected an argument, but none provided'],
    [['*', 'PARAMS', 'x'], 'SEARCH_PARSE_ARGS Bad arguments for PARAMS: Could not convert argument to expected type'],
    [['*', 'PARAMS', '4', 'a', 'b', 'a', 'c'], 'SEARCH_ADD_ARGS Duplicate parameter `a`'],
    [['*', 'PARAMS', '2', 'a', 'b', 'PARAMS', '2', 'c', 'd'], 'SEARCH_ADD_ARGS Multiple PARAMS are not allowed. Parameters can be defined only once'],
    [['*', 'RETURN', '2', 'a'], 'SEARCH_PARSE_ARGS Bad arguments for RETURN: Expected an argument, but none provided'],
    [['*', 'RETURN', '2', 'a', 'AS'], 'SEARCH_PARSE_ARGS RETURN path AS name - must be accompanied with NAME'],
    [['*', 'RETURN', '3', 'a', 'AS', 'as'], 'SEARCH_PARSE_ARGS Alias for RETURN cannot be `AS`'],
    [['*', 'SLOP', 'x'], 'SEARCH_PARSE_ARGS Bad arguments for SLOP: Could not convert argument to expected type'],
    [['*', 'LANGUAGE'], 'SEARCH_PARSE_ARGS Bad arguments for LANGUAGE: Expected an argument, but none provided'],
    [['*', 'EXPLAINSCORE'], 'SEARCH_PARSE_ARGS EXPLAINSCORE must be accompanied with WITHSCORES'],
    [['*', 'ADDSCORES'], 'SEARCH_PARSE_ARGS ADDSCORES is not supported on FT.SEARCH'],
    [['*', 'FILTER', 'p', '1'], 'SEARCH_PARSE_ARGS FILTER requires 3 arguments'],
    [['*', 'FILTER', 'p', 'x', '2'], 'SEARCH_PARSE_ARGS Bad lower range: x'],
    [['*', 'FILTER', 'p', '', '2', 'DIALECT', '2'], 'SEARCH_PARSE_ARGS Numeric/Geo filter value/s cannot be empty'],
    [['*', 'FORMAT', 'JSON'], 'SEARCH_PARSE_ARGS FORMAT JSON is not supported'],
    [['*', 'GEOFILTER', 'g', 'x', '1', '1', 'km'], 'SEARCH_PARSE_ARGS Bad arguments for <lon>: Could not convert argument to expected type'],
    [['*', 'GEOFILTER', 'g', '1', '1', '1', 'parsec'], 'SEARCH_PARSE_ARGS Unknown distance unit parsec'],
    [['*', 'GEOFILTER', 'g', '1', '1', '1'], 'SEARCH_PARSE_ARGS GEOFILTER requires 5 arguments'],
    [['*', 'HIGHLIGHT', 'FIELDS', '3', 'a'], 'SEARCH_PARSE_ARGS Bad arguments for HIGHLIGHT'],
    [['*', 'BOGUS'], 'SEARCH_ARG_UNRECOGNIZED Unknown argument `BOGUS` at position 1 for <main>'],
    [['*', 'LIMIT', '0', '1', 'x', 'y'], 'SEARCH_ARG_UNRECOGNIZED Unknown argument `x` at position 4 for <main>'],
    [['*', 'GROUPBY', '1', '@a'], 'SEARCH_QUERY_BAD option `GROUPBY` is mutually exclusive with simple (i.e. search) options'],
    // Options are all read before the first unknown argument is reported.
    [['*', 'BOGUS', 'EXPLAINSCORE'], 'SEARCH_ARG_UNRECOGNIZED Unknown argument `BOGUS` at position 1 for <main>'],
    [['*', 'EXPLAINSCORE', 'BOGUS'], 'SEARCH_PARSE_ARGS EXPLAINSCORE must be accompanied with WITHSCORES'],
  ];
  for (const [args, reply] of cases) {
    it(`${args.join(' ')} → ${reply}`, () => {
      expect(searchError(...args)).toBe(reply);
    });
  }

  it('random argument lists only ever throw QueryError', () => {
    const words = ['LIMIT', 'SORTBY', 'RETURN', 'PARAMS', 'DIALECT', '0', '1', '2', '-1', 'x', 'AS', 'ASC', 'DESC', 'TIMEOUT',
      'NOCONTENT', 'WITHSCORES', 'FILTER', 'GEOFILTER', 'km', 'INKEYS', 'HIGHLIGHT', 'FIELDS', 'SUMMARIZE', 'FORMAT', 'STRING'];
    let seed = 3;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 5000; i++) {
      const args = Array.from({ length: Math.floor(rand() * 10) }, () => words[Math.floor(rand() * words.length)]!);
      try {
        search('*', ...args);
      } catch (e) {
        expect(e).toBeInstanceOf(QueryError);
      }
    }
  });
});
