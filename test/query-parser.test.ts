// The DIALECT 2 query language (src/query/parser.ts, bind.ts): every query shape the stores
// emit, escapes, parameters, the hybrid and range vector clauses, and the errors with the
// module's words and offsets. Syntax-error offsets and "near" texts were checked against
// RediSearch 8.8's own lexer and parser tables. A fuzz closes: any input either parses or fails
// with a QueryError.

import { describe, expect, it } from 'vitest';
import { parseCreate, parseQuery, QueryError, type ParsedQuery, type QueryNode } from '../src/query/index.js';
import { rng } from './helpers/rng.js';

const def = parseCreate(
  [
    ...('FT.CREATE idx ON HASH PREFIX 1 doc: SCHEMA title TEXT body TEXT tags TAG ctags TAG CASESENSITIVE ' +
      'price NUMERIC m NUMERIC INDEXMISSING loc GEO v VECTOR HNSW 6 TYPE FLOAT32 DIM 2 DISTANCE_METRIC COSINE ' +
      'fv VECTOR FLAT 6 TYPE FLOAT32 DIM 2 DISTANCE_METRIC L2').split(' '),
    'Business:- Name',
    'TEXT',
  ].map((s) => Buffer.from(s)),
);
const VEC = Buffer.from(new Float32Array([1, 0]).buffer);

function q(text: string, params: Record<string, string | Buffer> = {}, noStopwords = false): ParsedQuery {
  const map = new Map(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v) : v]));
  return parseQuery(Buffer.from(text), def, { params: map, noStopwords });
}

function root(text: string, params: Record<string, string | Buffer> = {}): QueryNode {
  return q(text, params).root;
}

function err(text: string, params: Record<string, string | Buffer> = {}): string {
  try {
    q(text, params);
  } catch (e) {
    if (e instanceof QueryError) return e.reply;
    throw e;
  }
  throw new Error(`no error for ${text}`);
}

const term = (t: string, fields: string[] | null = null): QueryNode => ({ type: 'term', fields, term: t });

describe('text queries', () => {
  it('wildcard, empty and stopword-only queries', () => {
    expect(root('*')).toEqual({ type: 'all' });
    expect(root('(((*)))')).toEqual({ type: 'all' });
    expect(root('')).toEqual({ type: 'none' });
    expect(root('the a of')).toEqual({ type: 'none' });
    expect(root('the Hello')).toEqual(term('hello'));
    expect(q('the', {}, true).root).toEqual(term('the'));
  });

  it('terms, AND by juxtaposition, OR, NOT, optional, parentheses', () => {
    expect(root('Hello')).toEqual(term('hello'));
    expect(root('hello world')).toEqual({ type: 'and', children: [term('hello'), term('world')] });
    expect(root('hello|world|foo')).toEqual({ type: 'or', children: [term('hello'), term('world'), term('foo')] });
    expect(root('a1 (b1|c1) -d1')).toEqual({
      type: 'and',
      children: [term('a1'), { type: 'or', children: [term('b1'), term('c1')] }, { type: 'not', child: term('d1') }],
    });
    expect(root('--foo')).toEqual(term('foo'));
    expect(root('hello ~world')).toEqual({ type: 'and', children: [term('hello'), { type: 'all' }] });
    // OR binds looser than juxtaposition.
    expect(root('a1 b1|c1')).toEqual({ type: 'or', children: [{ type: 'and', children: [term('a1'), term('b1')] }, term('c1')] });
  });

  it('the module\'s precedence: a prefix (or phrase) binds tighter than - and a field modifier, a word does not', () => {
    const pre = (text: string, fields: string[] | null = null): QueryNode => ({ type: 'affix', fields, prefix: true, suffix: false, text });
    expect(root('-a1 b1')).toEqual({ type: 'and', children: [{ type: 'not', child: term('a1') }, term('b1')] });
    expect(root('-a1 b1*')).toEqual({ type: 'not', child: { type: 'and', children: [term('a1'), pre('b1')] } });
    expect(root('@title:a1 b1')).toEqual({ type: 'and', children: [term('a1', ['title']), term('b1')] });
    expect(root('@title:a1 b1*')).toEqual({ type: 'and', children: [term('a1', ['title']), pre('b1', ['title'])] });
  });

  it('field modifiers narrow text nodes, including lists of fields', () => {
    expect(root('@title:hello')).toEqual(term('hello', ['title']));
    expect(root('@title:(hello world)')).toEqual({ type: 'and', children: [term('hello', ['title']), term('world', ['title'])] });
    expect(root('@title|body:hello')).toEqual(term('hello', ['title', 'body']));
    expect(root('@title:((hello) world)')).toEqual({ type: 'and', children: [term('hello', ['title']), term('world', ['title'])] });
    expect(err('@title:(@body:x)')).toBe('SEARCH_SYNTAX Syntax error at offset 8 near body');
    expect(root('@Business\\:\\-\\ Name:wells')).toEqual(term('wells', ['Business:- Name']));
    expect(root('-@title:foo')).toEqual({ type: 'not', child: term('foo', ['title']) });
  });

  it('prefix, suffix, infix, fuzzy and w\'…\' patterns', () => {
    expect(root('Hel*')).toEqual({ type: 'affix', fields: null, prefix: true, suffix: false, text: 'hel' });
    expect(root('*llo')).toEqual({ type: 'affix', fields: null, prefix: false, suffix: true, text: 'llo' });
    expect(root('@title:*ell*')).toEqual({ type: 'affix', fields: ['title'], prefix: true, suffix: true, text: 'ell' });
    expect(root('h*')).toEqual({ type: 'none' }); // shorter than two: no match, as in the module
    expect(root('%helo%')).toEqual({ type: 'fuzzy', fields: null, term: 'helo', distance: 1 });
    expect(root('%%helo%%')).toEqual({ type: 'fuzzy', fields: null, term: 'helo', distance: 2 });
    expect(root("w'H?l*'")).toEqual({ type: 'pattern', fields: null, pattern: 'h?l*' });
    expect(root('$p*', { p: 'Ab' })).toEqual({ type: 'affix', fields: null, prefix: true, suffix: false, text: 'ab' });
  });

  it('exact phrases keep stopwords and split on punctuation; escapes are removed', () => {
    expect(root('"Hello World"')).toEqual({ type: 'phrase', fields: null, terms: ['hello', 'world'] });
    expect(root('@title:"the end"')).toEqual({ type: 'phrase', fields: ['title'], terms: ['the', 'end'] });
    expect(root('"hello"')).toEqual(term('hello'));
    expect(root('"$hello"')).toEqual(term('$hello'));
    expect(root('"a,b"')).toEqual({ type: 'phrase', fields: null, terms: ['a', 'b'] });
    expect(root('foo\\-bar')).toEqual(term('foo-bar'));
    expect(root('hello\\ world')).toEqual(term('hello world'));
  });

  it('text parameters are normalised like words', () => {
    expect(root('$w', { w: 'HeLLo' })).toEqual(term('hello'));
    expect(root('@title:($a $b)', { a: 'x1', b: 'y1' })).toEqual({ type: 'and', children: [term('x1', ['title']), term('y1', ['title'])] });
  });
});

describe('tag, numeric, geo and missing filters', () => {
  const tag = (field: string, ...values: string[]): QueryNode => ({
    type: 'tag', field, matches: values.map((value) => ({ kind: 'exact' as const, value })),
  });

  it('tags: alternatives, escapes as LangChain writes them, case folding, quoted values', () => {
    expect(root('@tags:{a|b}')).toEqual(tag('tags', 'a', 'b'));
    expect(root('@tags:{ Foo\\ Bar | x }')).toEqual(tag('tags', 'foo bar', 'x'));
    expect(root('@tags:{https\\:\\/\\/example\\.com\\/a\\-b}')).toEqual(tag('tags', 'https://example.com/a-b'));
    expect(root('@tags:{hello world}')).toEqual(tag('tags', 'hello world'));
    expect(root('@tags:{"A b"}')).toEqual(tag('tags', 'a b'));
    expect(root('@ctags:{Foo|BAR}')).toEqual(tag('ctags', 'Foo', 'BAR'));
    expect(root('@tags:{$t}', { t: 'X\\ y' })).toEqual(tag('tags', 'x y'));
    expect(root('@tags:{ab*}')).toEqual({ type: 'tag', field: 'tags', matches: [{ kind: 'prefix', value: 'ab' }] });
    expect(root('@tags:{*ab*|x}')).toEqual({ type: 'tag', field: 'tags', matches: [{ kind: 'contains', value: 'ab' }, { kind: 'exact', value: 'x' }] });
    expect(root('(-@tags:{nike})')).toEqual({ type: 'not', child: tag('tags', 'nike') });
  });

  it('numeric ranges: inclusive, exclusive, infinite, single value, comparisons, parameters', () => {
    const num = (min: number, max: number, minInclusive = true, maxInclusive = true): QueryNode => ({
      type: 'numeric', field: 'price', min, max, minInclusive, maxInclusive,
    });
    expect(root('@price:[1 2]')).toEqual(num(1, 2));
    expect(root('@price:[(1 (2]')).toEqual(num(1, 2, false, false));
    expect(root('@price:[-inf (100]')).toEqual(num(-Infinity, 100, true, false));
    expect(root('@price:[(18 +inf]')).toEqual(num(18, Infinity, false));
    expect(root('@price:[90210 90210]')).toEqual(num(90210, 90210));
    expect(root('@price:[5]')).toEqual(num(5, 5));
    expect(root('@price:[-1e3 .5]')).toEqual(num(-1000, 0.5));
    expect(root('@price >= 5')).toEqual(num(5, Infinity));
    expect(root('@price>5')).toEqual(num(5, Infinity, false));
    expect(root('@price<=5')).toEqual(num(-Infinity, 5));
    expect(root('@price<5')).toEqual(num(-Infinity, 5, true, false));
    expect(root('@price==5')).toEqual(num(5, 5));
    expect(root('@price!=5')).toEqual({ type: 'not', child: num(5, 5) });
    expect(root('@price:[$lo $hi]', { lo: '(1', hi: 'inf' })).toEqual(num(1, Infinity));
    expect(root('@price:[-$lo +inf]', { lo: '3' })).toEqual(num(-3, Infinity));
    expect(root('@price:[$x]', { x: '7' })).toEqual(num(7, 7));
    expect(root('@price>=$x', { x: '-2.5' })).toEqual(num(-2.5, Infinity));
  });

  it('geo radius, ismissing', () => {
    expect(root('@loc:[2.3 48.8 10 km]')).toEqual({ type: 'geo', field: 'loc', lon: 2.3, lat: 48.8, radius: 10000 });
    expect(root('ismissing(@m)')).toEqual({ type: 'missing', field: 'm' });
  });

  it('LangChain filter expressions, as its Python and JS filters print them', () => {
    expect(root('(@tags:{nike} @price:[-inf (100])').type).toBe('and');
    expect(root('(@tags:{nike} | @price:[1 2])').type).toBe('or');
    expect(root('@title:("engineer")')).toEqual(term('engineer', ['title']));
    expect(root('(-@title:"engineer")')).toEqual({ type: 'not', child: term('engineer', ['title']) });
    expect(root('@title:(engine*)')).toMatchObject({ type: 'affix', text: 'engine' });
    expect(root('@title:(%%engine%%)')).toMatchObject({ type: 'fuzzy', distance: 2 });
    expect(root('@title:(engineer|doctor)')).toEqual({ type: 'or', children: [term('engineer', ['title']), term('doctor', ['title'])] });
    expect(root('@body:(foo|bar\\-baz)')).toEqual({ type: 'or', children: [term('foo', ['body']), term('bar-baz', ['body'])] });
  });
});

describe('vector clauses', () => {
  it('KNN: bare, hybrid, JS spacing, AS, $yield_distance_as, options in brackets and attributes', () => {
    let p = q('*=>[KNN 10 @v $vec]', { vec: VEC });
    expect(p.root).toEqual({ type: 'all' });
    expect(p.knn).toMatchObject({ k: 10, field: 'v', scoreField: '__v_score', shardKRatio: null });
    expect(p.knn!.options).toEqual({ efRuntime: null, epsilon: null, hybridPolicy: null, batchSize: null });
    p = q('(@tags:{nike})=>[KNN 4 @v $vector AS distance]', { vector: VEC });
    expect(p.root).toMatchObject({ type: 'tag' });
    expect(p.knn).toMatchObject({ k: 4, scoreField: 'distance' });
    p = q('* => [KNN $K @v $vector AS vector_score]', { K: '3', vector: VEC });
    expect(p.knn).toMatchObject({ k: 3, scoreField: 'vector_score' });
    p = q('@title:hello=>[KNN 10 @v $B EF_RUNTIME $ef HYBRID_POLICY batches BATCH_SIZE 50]=>{$yield_distance_as: d}', { B: VEC, ef: '64' });
    expect(p.root).toEqual(term('hello', ['title']));
    expect(p.knn).toMatchObject({ scoreField: 'd', options: { efRuntime: 64, hybridPolicy: 'BATCHES', batchSize: 50, epsilon: null } });
    p = q('*=>[KNN 10 @v $B]=>{$EF_RUNTIME: 20; $shard_k_ratio: 0.5;}', { B: VEC });
    expect(p.knn).toMatchObject({ options: { efRuntime: 20 }, shardKRatio: 0.5 });
  });

  it('VECTOR_RANGE as LangChain and redisvl write it', () => {
    const node = (extra: object): object => ({ type: 'vectorRange', field: 'v', vector: VEC, ...extra });
    expect(root('@v:[VECTOR_RANGE $distance_threshold $vector]=>{$yield_distance_as: distance}', { distance_threshold: '0.2', vector: VEC }))
      .toMatchObject(node({ radius: 0.2, distanceField: 'distance' }));
    expect(root('@tags:{a} @v:[VECTOR_RANGE 0.5 $vector]=>{$YIELD_DISTANCE_AS: vd; $EPSILON: 0.01}', { vector: VEC })).toMatchObject({
      type: 'and', children: [{ type: 'tag' }, node({ radius: 0.5, distanceField: 'vd', options: { epsilon: 0.01, efRuntime: null, hybridPolicy: null, batchSize: null } })],
    });
  });
});

describe('errors', () => {
  const cases: ReadonlyArray<readonly [string, Record<string, string | Buffer>, string]> = [
    // Syntax errors: offset and text of the token where the module's parser stops.
    ['(foo', {}, 'SEARCH_SYNTAX Syntax error at offset 1 near foo'],
    ['foo)', {}, 'SEARCH_SYNTAX Syntax error at offset 3 near foo'],
    ['()', {}, 'SEARCH_SYNTAX Syntax error at offset 1 near '],
    ['@tags:{a|}', {}, 'SEARCH_SYNTAX Syntax error at offset 9 near a'],
    ['{foo}', {}, 'SEARCH_SYNTAX Syntax error at offset 0 near '],
    ['hello world=>[KNN 10 @v $B]', {}, 'SEARCH_SYNTAX Syntax error at offset 13 near >['],
    ['@price:[1 foo]', {}, 'SEARCH_SYNTAX Syntax error at offset 10 near foo'],
    ['*=>[KNN 10 @v BLOB]', {}, 'SEARCH_SYNTAX Syntax error at offset 14 near BLOB'],
    ['*=>[KNN 3.14 @v $B]', {}, 'SEARCH_SYNTAX Syntax error at offset 8 near 3.14'],
    ['@title:', {}, 'SEARCH_SYNTAX Syntax error at offset 6 near title'],
    ['=> {$weight: 0.5;}', {}, 'SEARCH_SYNTAX Syntax error at offset 0 near > '],
    ['*=>[KNN 10 @v $B] hello', {}, 'SEARCH_SYNTAX Syntax error at offset 18 near hello'],
    ['@title:@price:[0 10]', {}, 'SEARCH_SYNTAX Syntax error at offset 7 near price'],
    ['(('.repeat(150) + 'a', {}, 'SEARCH_SYNTAX Parser stack overflow. Try moving nested parentheses more to the left'],
    // Fields.
    ['@nope:foo', {}, 'SEARCH_SYNTAX Unknown field at offset 0 near nope'],
    ['@title|nope:foo', {}, 'SEARCH_SYNTAX Unknown field at offset 7 near nope'],
    ['@tags:foo', {}, 'SEARCH_SYNTAX Expected a TEXT field at offset 0 near tags'],
    ['@title:{foo}', {}, 'SEARCH_SYNTAX Expected a TAG field at offset 0 near title'],
    ['@title:[1 2]', {}, 'SEARCH_SYNTAX Expected a NUMERIC field at offset 0 near title'],
    ['@title>5', {}, 'SEARCH_SYNTAX Expected a NUMERIC field at offset 0 near title'],
    ['@price:[1 2 3 km]', {}, 'SEARCH_SYNTAX Expected a GEO field at offset 0 near price'],
    ['*=>[KNN 10 @title $B]', {}, 'SEARCH_SYNTAX Expected a VECTOR field at offset 11 near title'],
    ['*=>[ANN 10 @v $B]', {}, 'SEARCH_SYNTAX Syntax error: Expecting Vector Similarity command at offset 4 near ANN'],
    ['@v:[BAD 0.1 $B]', {}, 'SEARCH_SYNTAX Syntax error: expecting vector similarity range command at offset 4 near BAD'],
    ['@v:[VECTOR_RANGE $B]', {}, 'SEARCH_SYNTAX Syntax error: Expecting a geoshape predicate at offset 17'],
    ['ismissing(@price)', {}, "SEARCH_SYNTAX 'ismissing' requires defining the field with 'INDEXMISSING' at offset 10 near price"],
    // Attributes.
    ['foo=>{$weight: -1}', {}, 'SEARCH_SYNTAX Invalid value (-1) for `weight`'],
    ['foo=>{$slop: x}', {}, 'SEARCH_SYNTAX Invalid value (x) for `slop`'],
    ['foo=>{$great: 1}', {}, 'SEARCH_OPTION_INVALID Invalid attribute great'],
    ['@title:(foo bar)=>{$yield_distance_as: d}', {}, 'SEARCH_OPTION_INVALID Invalid attribute yield_distance_as'],
    ['foo=>{$weight: $w}', {}, 'SEARCH_PARAM_NOT_FOUND Parameter not found `w`'],
    ['*=>[KNN 10 @v $B]=>{$shard_k_ratio: 2}', { B: VEC }, 'SEARCH_QUERY_BAD Invalid shard k ratio value: Shard k ratio must be greater than 0 and at most 1 (got 2)'],
    // Parameters.
    ['@price:[$lo 10]', {}, 'SEARCH_PARAM_NOT_FOUND Parameter not found `lo`'],
    ['@price:[$lo 10]', { lo: 'abc' }, 'SEARCH_PARSE_ARGS Bad lower range: abc'],
    ['@price:[1 $hi]', { hi: '-inf' }, 'SEARCH_PARSE_ARGS Bad upper range: -inf'],
    ['@price==$x', { x: '' }, 'SEARCH_NUMERIC_VALUE_INVALID Invalid numeric value () for parameter `x`'],
    // The module counts the byte after `@f==$x` into the parameter's name.
    ['@price==$x|@price==2', { x: '1' }, 'SEARCH_PARAM_NOT_FOUND Parameter not found `x|`'],
    ['*=>[KNN $K @v $B]', { K: '-1', B: VEC }, 'SEARCH_NUMERIC_VALUE_INVALID Invalid numeric value (-1) for parameter `K`'],
    ['*=>[KNN 10 @v $B]', {}, 'SEARCH_PARAM_NOT_FOUND Parameter not found `B`'],
    ['*=>[KNN 10 @v $B EF_RUNTIME $ef]', { B: VEC }, 'SEARCH_PARAM_NOT_FOUND Parameter not found `ef`'],
    // Validation after parameters.
    ['@price:[5 1]', {}, 'SEARCH_SYNTAX Invalid numeric range (min > max): @price:[5.000000 1.000000]'],
    ['""', {}, 'SEARCH_SYNTAX Use `INDEXEMPTY` in field creation in order to index and query for empty strings'],
    ['@loc:[200 0 1 km]', {}, 'SEARCH_SYNTAX Invalid GeoFilter lat/lon'],
    ['@loc:[0 0 1 parsec]', {}, 'SEARCH_SYNTAX Invalid GeoFilter unit'],
    // Vector clauses, as the module checks them when it runs the query.
    ['*=>[KNN 10 @v $B]', { B: 'abc' }, "SEARCH_QUERY_BAD Error parsing vector similarity query: query vector blob size (3) does not match index's expected size (8)."],
    ['*=>[KNN $K @v $B]', { K: '300000000000000000', B: VEC }, 'SEARCH_QUERY_BAD Error parsing vector similarity query: query KNN K parameter is too large, must not exceed 288230376151711744'],
    ['@v:[VECTOR_RANGE -1 $B]', { B: VEC }, 'SEARCH_QUERY_BAD Error parsing vector similarity query: negative radius (-1) given in a range query'],
    ['*=>[KNN 10 @fv $B EF_RUNTIME 5]', { B: VEC }, 'SEARCH_OPTION_INVALID Invalid option (Error parsing vector similarity parameters)'],
    ['*=>[KNN 10 @v $B HYBRID_POLICY ADHOC_BF]', { B: VEC }, 'SEARCH_HYBRID_ATTR_NON_HYBRID hybrid query attributes were sent for a non-hybrid query (Error parsing vector similarity parameters)'],
    ['(foo)=>[KNN 10 @v $B HYBRID_POLICY X]', { B: VEC }, 'SEARCH_HYBRID_POLICY_BAD invalid hybrid policy was given (Error parsing vector similarity parameters)'],
    ['(foo)=>[KNN 10 @v $B HYBRID_POLICY ADHOC_BF BATCH_SIZE 3]', { B: VEC }, "SEARCH_ADHOC_BATCH_SIZE_IRRELEVANT 'batch size' is irrelevant for the selected policy (Error parsing vector similarity parameters)"],
    ['*=>[KNN 10 @v $B EF_RUNTIME 0]', { B: VEC }, 'SEARCH_VALUE_BAD Invalid value was given (Error parsing vector similarity parameters)'],
    ['*=>[KNN 10 @v $B EF_RUNTIME 5 EF_RUNTIME 6]', { B: VEC }, 'SEARCH_PARAM_DUP Parameter was specified twice (Error parsing vector similarity parameters)'],
    ['*=>[KNN 10 @v $B EPSILON 0.1]', { B: VEC }, 'SEARCH_RANGE_ATTR_NON_RANGE range query attributes were sent for a non-range query (Error parsing vector similarity parameters)'],
  ];
  for (const [text, params, reply] of cases) {
    it(`${text.length > 60 ? text.slice(0, 60) + '…' : text} → ${reply}`, () => {
      expect(err(text, params)).toBe(reply);
    });
  }

  it('a flat OR may not continue from words into a field clause (the module\'s grammar has no rule for it)', () => {
    expect(err('a1 | b1 | @tags:{x}')).toBe('SEARCH_SYNTAX Syntax error at offset 10 near tags');
    expect(root('(a1 | b1) | @tags:{x}').type).toBe('or');
    expect(root('a1 | @tags:{x} | b1').type).toBe('or');
  });

  it('the first error wins: a field error before a later syntax error', () => {
    expect(err('@nope:foo )')).toBe('SEARCH_SYNTAX Unknown field at offset 0 near nope');
    expect(err('@price:[$a 1] @price:[5 1]')).toBe('SEARCH_PARAM_NOT_FOUND Parameter not found `a`');
  });
});

describe('fuzz', () => {
  it('random queries from the language\'s pieces parse or throw QueryError, never anything else', () => {
    const pieces = ['hello', 'World', '@title:', '@tags:', '@price:', '@v:', '@nope:', '{', '}', '|', '(', ')', '[', ']', '-', '~',
      '*', '=>', '$p', '$K', 'KNN', '10', '1.5', '-2', '(3', 'inf', '+inf', '"a b"', 'as', 'AS', 'EF_RUNTIME', 'VECTOR_RANGE', ':',
      ';', '{$weight: 2}', '=>{$yield_distance_as: d}', '%', '%%', "w'x*'", 'ab*', '*ab', '*ab*', '@price>=3', '@price<$p',
      'ismissing', '(@m)', ' ', 'the', '\\', '\\ ', '""', "'", '@title|body:', '\u00e9t\u00e9', '\0'];
    const r = rng(42);
    let ok = 0;
    for (let i = 0; i < 20000; i++) {
      let s = '';
      const n = Math.floor(r() * 10);
      for (let j = 0; j < n; j++) s += pieces[Math.floor(r() * pieces.length)]!;
      try {
        q(s, { p: '5', K: '3', vec: VEC });
        ok++;
      } catch (e) {
        if (!(e instanceof QueryError)) throw new Error(`${JSON.stringify(s)}: ${String(e)}`);
      }
    }
    expect(ok).toBeGreaterThan(1000);
  });

  it('random bytes parse or throw QueryError', () => {
    const r = rng(7);
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.alloc(Math.floor(r() * 24));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(r() * 256);
      try {
        parseQuery(b, def, { params: new Map() });
      } catch (e) {
        if (!(e instanceof QueryError)) throw new Error(`${b.toString('hex')}: ${String(e)}`);
      }
    }
  });
});
