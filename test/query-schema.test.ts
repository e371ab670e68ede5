// FT.CREATE parsing (src/query/schema.ts): the commands LangChain, redisvl and node-redis send,
// each error RediSearch 8.8 reports with its exact text, and the FT.INFO head built from the
// definition.

import { describe, expect, it } from 'vitest';
import { indexInfo, parseCreate, QueryError, type IndexDefinition, type InfoValue } from '../src/query/index.js';

function create(line: string | string[]): IndexDefinition {
  const args = typeof line === 'string' ? line.split(' ') : line;
  return parseCreate(['FT.CREATE', ...args].map((s) => Buffer.from(s)));
}

function createError(line: string | string[]): string {
  try {
    create(line);
  } catch (e) {
    if (e instanceof QueryError) return e.reply;
    throw e;
  }
  throw new Error(`no error for ${String(line)}`);
}

describe('FT.CREATE as the stores send it', () => {
  it('LangChain (Python, community): HASH, PREFIX, text, tag, numeric and an HNSW vector', () => {
    const def = create(
      'users ON HASH PREFIX 1 doc:users SCHEMA content TEXT WEIGHT 1 user TEXT WEIGHT 1 job TEXT WEIGHT 1 credit_score TEXT WEIGHT 1 age NUMERIC content_vector VECTOR HNSW 14 TYPE FLOAT32 DIM 3 DISTANCE_METRIC COSINE INITIAL_CAP 100 M 16 EF_CONSTRUCTION 200 EF_RUNTIME 10',
    );
    expect(def.name).toBe('users');
    expect(def.prefixes).toEqual(['doc:users']);
    expect(def.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'content:TEXT', 'user:TEXT', 'job:TEXT', 'credit_score:TEXT', 'age:NUMERIC', 'content_vector:VECTOR',
    ]);
    const v = def.fields[5]!;
    expect(v.type === 'VECTOR' && [v.algorithm, v.dataType, v.dim, v.metric, v.m, v.efConstruction, v.efRuntime, v.initialCap, v.blobBytes])
      .toEqual(['HNSW', 'FLOAT32', 3, 'COSINE', 16, 200, 10, 100, 12]);
  });

  it('@langchain/redis through node-redis: FLAT defaults, TEXT metadata', () => {
    const def = create('idx ON HASH PREFIX 1 doc:idx: SCHEMA content_vector VECTOR FLAT 6 TYPE FLOAT32 DIM 1536 DISTANCE_METRIC COSINE content TEXT metadata TEXT');
    const v = def.fields[0]!;
    expect(v.type === 'VECTOR' && [v.algorithm, v.dim, v.blobBytes, v.initialCap]).toEqual(['FLAT', 1536, 6144, null]);
    expect(def.stopwords.has('the')).toBe(true);
    expect(def.customStopwords).toBe(false);
  });

  it('redisvl / langchain_redis: SCORE, LANGUAGE, tag options, AS aliases, STOPWORDS 0', () => {
    const def = create(
      'rvl ON HASH PREFIX 2 a: b: LANGUAGE english SCORE 1.0 STOPWORDS 0 SCHEMA $.t AS title TEXT NOSTEM WEIGHT 2 SORTABLE tags TAG SEPARATOR | CASESENSITIVE year NUMERIC SORTABLE loc GEO v VECTOR FLAT 6 TYPE float64 DIM 4 DISTANCE_METRIC ip',
    );
    expect(def.prefixes).toEqual(['a:', 'b:']);
    expect(def.stopwords.size).toBe(0);
    expect(def.customStopwords).toBe(true);
    const [t, tags, year, loc, v] = def.fields;
    expect(t).toMatchObject({ name: 'title', path: '$.t', type: 'TEXT', noStem: true, weight: 2, sortable: true, unf: false });
    expect(tags).toMatchObject({ type: 'TAG', separator: '|', caseSensitive: true });
    expect(year).toMatchObject({ type: 'NUMERIC', sortable: true, unf: true });
    expect(loc).toMatchObject({ type: 'GEO' });
    expect(v).toMatchObject({ type: 'VECTOR', dataType: 'FLOAT64', metric: 'IP', blobBytes: 32 });
  });

  it('options are case-insensitive, repeat (last wins) and default sensibly', () => {
    const def = create('i prefix 1 x: PREFIX 1 y: nooffsets SKIPINITIALSCAN schema f text f2 tag');
    expect(def.prefixes).toEqual(['y:']);
    expect([def.noOffsets, def.noHighlight, def.skipInitialScan]).toEqual([true, true, true]);
    expect(create('i SCHEMA f TEXT').prefixes).toEqual(['']);
    expect(create('i PREFIX 0 SCHEMA f TEXT').prefixes).toEqual(['']);
    expect((create('i SCHEMA f TAG').fields[0] as { separator: string }).separator).toBe(',');
  });

  it('a word after SORTABLE starts the next field, as in the module', () => {
    const def = create('i SCHEMA a TEXT SORTABLE b NUMERIC');
    expect(def.fields.map((f) => f.name)).toEqual(['a', 'b']);
    expect(createError('i SCHEMA a TEXT SORTABLE WEIGHT 2')).toBe('SEARCH_PARSE_ARGS Invalid field type for field `WEIGHT`');
  });

  it('HNSW reads its parameters from a slice; FLAT reads pairs from the command', () => {
    // HNSW 6 holds exactly six arguments: what follows is the next field.
    expect(create('i SCHEMA v VECTOR HNSW 6 TYPE FLOAT32 DIM 2 DISTANCE_METRIC L2 t TEXT').fields.length).toBe(2);
    expect(create('i SCHEMA v VECTOR FLAT 6 TYPE FLOAT32 DIM 2 DISTANCE_METRIC L2 INDEXMISSING t TEXT').fields[0]!.indexMissing).toBe(true);
    expect(create('i SCHEMA v VECTOR FLAT 8 TYPE FLOAT32 DIM 2 DISTANCE_METRIC L2 BLOCK_SIZE 10').fields[0]).toMatchObject({ blockSize: 10 });
  });

  it('more than 32 TEXT fields make the schema wide (MAXTEXTFIELDS in FT.INFO)', () => {
    const fields = Array.from({ length: 33 }, (_, i) => [`f${i}`, 'TEXT']).flat();
    expect(create(['i', 'SCHEMA', ...fields]).maxTextFields).toBe(true);
    expect(create(['i', 'NOFIELDS', 'SCHEMA', ...fields]).maxTextFields).toBe(false);
  });
});

describe('FT.CREATE errors, worded as RediSearch 8.8 words them', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['i FOO SCHEMA t TEXT', 'SEARCH_ARG_UNRECOGNIZED Unknown argument `FOO`'],
    ['i', 'SEARCH_PARSE_ARGS No schema found'],
    ['i NOHL', 'SEARCH_PARSE_ARGS No schema found'],
    ['i SCHEMA', 'SEARCH_PARSE_ARGS Fields arguments are missing'],
    ['i PREFIX x SCHEMA t TEXT', 'SEARCH_PARSE_ARGS Bad arguments for PREFIX: Could not convert argument to expected type'],
    ['i PREFIX -1 a SCHEMA t TEXT', 'SEARCH_PARSE_ARGS Bad arguments for PREFIX: Value is outside acceptable bounds'],
    ['i PREFIX 5 a SCHEMA', 'SEARCH_PARSE_ARGS Bad arguments for PREFIX: Expected an argument, but none provided'],
    ['i STOPWORDS 1.5 a', 'SEARCH_PARSE_ARGS Bad arguments for STOPWORDS: Could not convert argument to expected type'],
    ['i ON', 'SEARCH_PARSE_ARGS Bad arguments for ON: Expected an argument, but none provided'],
    ['i TEMPORARY soon SCHEMA t TEXT', 'SEARCH_PARSE_ARGS Bad arguments for TEMPORARY: Could not convert argument to expected type'],
    ['i ON JSON SCHEMA t TEXT', 'SEARCH_ADD_ARGS Invalid rule type: JSON'],
    ['i SCORE 2 SCHEMA t TEXT', 'SEARCH_ADD_ARGS Invalid score'],
    ['i SCORE x SCHEMA t TEXT', 'SEARCH_ADD_ARGS Invalid score'],
    ['i LANGUAGE klingon SCHEMA t TEXT', 'SEARCH_ADD_ARGS Invalid language'],
    ['i INDEXALL maybe SCHEMA t TEXT', 'SEARCH_ADD_ARGS Invalid argument for `INDEXALL`, use ENABLE/DISABLE'],
    ['i MAXTEXTFIELDS NOFIELDS SCHEMA t TEXT', 'SEARCH_QUERY_BAD MAXTEXTFIELDS cannot be used with NOFIELDS'],
    ['i SCHEMA t AS', 'SEARCH_PARSE_ARGS AS requires an argument'],
    ['i SCHEMA t TEXT t TAG', 'SEARCH_QUERY_BAD Duplicate field in schema - t'],
    ['i SCHEMA a AS t TEXT b AS t NUMERIC', 'SEARCH_QUERY_BAD Duplicate field in schema - t'],
    ['i SCHEMA t', 'SEARCH_PARSE_ARGS Field `t` does not have a type'],
    ['i SCHEMA t STRING', 'SEARCH_PARSE_ARGS Invalid field type for field `t`'],
    ['i SCHEMA t TEXT WEIGHT heavy', 'SEARCH_PARSE_ARGS Bad arguments for weight: Could not convert argument to expected type'],
    ['i SCHEMA t TEXT PHONETIC', 'SEARCH_PARSE_ARGS PHONETIC requires an argument'],
    ['i SCHEMA t TEXT NOINDEX INDEXMISSING', 'SEARCH_PARSE_ARGS Field `INDEXMISSING` does not have a type'],
    ['i SCHEMA t TEXT INDEXMISSING NOINDEX', "SEARCH_PARSE_ARGS 'Field cannot be defined with both `NOINDEX` and `INDEXMISSING` `t` '"],
    ['i SCHEMA t TAG SEPARATOR', 'SEARCH_PARSE_ARGS SEPARATOR requires an argument'],
    ['i SCHEMA t TAG SEPARATOR ab', 'SEARCH_PARSE_ARGS Tag separator must be a single character. Got `ab`'],
    ['i SCHEMA v VECTOR', 'SEARCH_PARSE_ARGS Bad arguments for vector similarity algorithm: Expected an argument, but none provided'],
    ['i SCHEMA v VECTOR ANN 6', 'SEARCH_PARSE_ARGS Bad arguments for vector similarity algorithm: Unknown argument'],
    ['i SCHEMA v VECTOR HNSW x', 'SEARCH_PARSE_ARGS Bad arguments for vector similarity number of parameters: Could not convert argument to expected type'],
    ['i SCHEMA v VECTOR HNSW 8 TYPE FLOAT32', 'SEARCH_PARSE_ARGS Bad arguments for vector similarity: not enough arguments'],
    ['i SCHEMA v VECTOR HNSW 6 TYPE FLOAT8 DIM 2 DISTANCE_METRIC L2', 'SEARCH_PARSE_ARGS Bad arguments for vector similarity HNSW index `TYPE`: Unknown argument'],
    ['i SCHEMA v VECTOR HNSW 6 TYPE FLOAT32 DIM 0 DISTANCE_METRIC L2', 'SEARCH_PARSE_ARGS Bad arguments for vector similarity HNSW index `DIM`: Value is outside acceptable bounds'],
    ['i SCHEMA v VECTOR HNSW 6 TYPE FLOAT32 DIM 2 DISTANCE_METRIC MANHATTAN', 'SEARCH_PARSE_ARGS Bad arguments for vector similarity HNSW index `DISTANCE_METRIC`: Unknown argument'],
    ['i SCHEMA v VECTOR HNSW 5 TYPE FLOAT32 DIM 2 DISTANCE_METRIC', 'SEARCH_PARSE_ARGS Bad arguments for vector similarity HNSW index `DISTANCE_METRIC`: Expected an argument, but none provided'],
    ['i SCHEMA v VECTOR HNSW 8 TYPE FLOAT32 DIM 2 DISTANCE_METRIC L2 BLOCK_SIZE 2', 'SEARCH_PARSE_ARGS Bad arguments for algorithm HNSW: BLOCK_SIZE'],
    ['i SCHEMA v VECTOR HNSW 8 TYPE FLOAT32 DIM 2 DISTANCE_METRIC L2 M -1', 'SEARCH_PARSE_ARGS Bad arguments for vector similarity HNSW index `M`: Value is outside acceptable bounds'],
    ['i SCHEMA v VECTOR HNSW 8 TYPE FLOAT32 DIM 2 DISTANCE_METRIC L2 EPSILON x', 'SEARCH_PARSE_ARGS Bad arguments for vector similarity HNSW index `EPSILON`: Could not convert argument to expected type'],
    ['i SCHEMA v VECTOR HNSW 4 TYPE FLOAT32 DISTANCE_METRIC L2', 'SEARCH_PARSE_ARGS Missing mandatory parameter: cannot create HNSW index without specifying DIM argument'],
    ['i SCHEMA v VECTOR FLAT 4 DIM 2 DISTANCE_METRIC L2', 'SEARCH_PARSE_ARGS Missing mandatory parameter: cannot create FLAT index without specifying TYPE argument'],
    ['i SCHEMA v VECTOR FLAT 5 TYPE FLOAT32 DIM 2 DISTANCE_METRIC L2', 'SEARCH_PARSE_ARGS Bad number of arguments for vector similarity index: got 5 but expected even number as algorithm parameters (should be submitted as named arguments)'],
    ['i SCHEMA v VECTOR FLAT 8 TYPE FLOAT32 DIM 2 DISTANCE_METRIC L2', 'SEARCH_PARSE_ARGS Expected 8 parameters but got 6'],
    ['i SCHEMA v VECTOR FLAT 6 TYPE FLOAT32 DIM 2 M 16', 'SEARCH_PARSE_ARGS Bad arguments for algorithm FLAT: M'],
    ['i SCHEMA v VECTOR FLAT 6 TYPE FLOAT32 DIM 100000 DISTANCE_METRIC L2', 'SEARCH_LIMIT_OVER Vector index element size 400000 exceeded maximum size allowed by server limit which is 262144'],
  ];
  for (const [line, reply] of cases) {
    it(`${line} → ${reply}`, () => {
      expect(createError(line)).toBe(reply);
    });
  }

  it('limits: 1024 fields, 128 TEXT fields', () => {
    const many = (n: number, type: string): string[] => Array.from({ length: n }, (_, i) => [`f${i}`, type]).flat();
    expect(create(['i', 'SCHEMA', ...many(1024, 'NUMERIC')]).fields.length).toBe(1024);
    expect(createError(['i', 'SCHEMA', ...many(1025, 'NUMERIC')])).toBe('SEARCH_LIMIT_OVER Schema is limited to 1024 fields');
    expect(createError(['i', 'SCHEMA', ...many(129, 'TEXT')])).toBe('SEARCH_LIMIT_OVER Schema is limited to 128 TEXT fields');
  });

  it('error texts carry client bytes safely (CR/LF become spaces, NUL ends them)', () => {
    const e = createError(['i', 'SCHEMA', 'a\r\nb', 'TEXT', 'a\r\nb', 'TAG']);
    expect(e).toBe('SEARCH_QUERY_BAD Duplicate field in schema - a  b');
  });

  it('random argument lists only ever throw QueryError', () => {
    const words = ['SCHEMA', 'TEXT', 'TAG', 'NUMERIC', 'VECTOR', 'HNSW', 'FLAT', 'TYPE', 'FLOAT32', 'DIM', '2', '6', '-1', 'x',
      'DISTANCE_METRIC', 'L2', 'PREFIX', '1', 'ON', 'HASH', 'AS', 'SORTABLE', 'NOINDEX', 'SEPARATOR', ',', 'WEIGHT', 'STOPWORDS', '0'];
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 3000; i++) {
      const args = ['i', ...Array.from({ length: Math.floor(rand() * 14) }, () => words[Math.floor(rand() * words.length)]!)];
      try {
        create(args);
      } catch (e) {
        expect(e).toBeInstanceOf(QueryError);
      }
    }
  });
});

describe('FT.INFO head', () => {
  const flat = (v: InfoValue): unknown =>
    v.t === 'array' ? v.v.map(flat) : v.t === 'map' ? v.v.flatMap(([k, x]) => [k, flat(x)]) : v.v;

  it('RESP2: maps flatten, a field\'s flags follow its pairs', () => {
    const def = create('idx ON HASH PREFIX 1 doc: SCORE 0.5 SCHEMA t TEXT SORTABLE g TAG CASESENSITIVE n NUMERIC v VECTOR HNSW 6 TYPE FLOAT32 DIM 4 DISTANCE_METRIC COSINE');
    const info = indexInfo(def, false);
    expect(info.map(([k, v]) => [k, flat(v)])).toEqual([
      ['index_name', 'idx'],
      ['index_options', []],
      ['index_definition', ['key_type', 'HASH', 'prefixes', ['doc:'], 'default_score', 0.5, 'indexes_all', 'false']],
      ['attributes', [
        ['identifier', 't', 'attribute', 't', 'type', 'TEXT', 'WEIGHT', 1, 'SORTABLE'],
        ['identifier', 'g', 'attribute', 'g', 'type', 'TAG', 'SEPARATOR', ',', 'CASESENSITIVE'],
        ['identifier', 'n', 'attribute', 'n', 'type', 'NUMERIC'],
        ['identifier', 'v', 'attribute', 'v', 'type', 'VECTOR', 'algorithm', 'HNSW', 'data_type', 'FLOAT32', 'dim', 4,
          'distance_metric', 'COSINE', 'M', 16, 'ef_construction', 200],
      ]],
    ]);
  });

  it('RESP3: fields are maps with a flags array', () => {
    const def = create('idx NOOFFSETS SCHEMA $.a AS a TEXT NOSTEM');
    const info = indexInfo(def, true);
    expect(flat(info[1]![1])).toEqual(['NOOFFSETS', 'NOHL']);
    expect(flat(info[3]![1])).toEqual([['identifier', '$.a', 'attribute', 'a', 'type', 'TEXT', 'WEIGHT', 1, 'flags', ['NOSTEM']]]);
  });
});
