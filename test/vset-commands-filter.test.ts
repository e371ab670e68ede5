/**
 * FILTER through VSIM over a real set (spec §9, §7.2): the expression table runs as
 * `VSIM … FILTER expr TRUTH` and as a graph search, so the wiring is what is tested — that the
 * element's own attribute bytes reach the evaluator, that elements without an attribute never
 * match, that an empty or malformed attribute is still an attribute — plus seeded random
 * expressions that must answer an error or a result, never crash or hang the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFilter, matchFilter } from '../src/filter/index.js';
import { encodeCommand, RawConnection, RespError, type RespValue } from './helpers/raw.js';
import { serverForFile } from './helpers/server.js';
import { rng } from './helpers/rng.js';

const enc = new TextEncoder();

// Attribute documents, as the raw JSON text a client stores. Element names are the keys.
const ATTRS: Record<string, string> = {
  // The sample of spec §9.6.
  A: '{"age": 25, "name": "Alice", "active": true, "scores": [85, 90, 95], "city": "New York"}',
  B: '{"age": 40, "name": "Bob", "active": false, "scores": [], "city": "Boston"}',
  MOVIE: '{"year": 1950, "genre": "drama", "rating": 8.1, "tags": ["classic", "bw"]}',
  NUMS: String.raw`{"n": 5, "z": 0, "neg": -2.5, "f": 1.5e3, "big": 1e400, "s12": "12", "sp": " 12",
    "hex": "0x1A", "inf": "inf", "abc": "abc", "empty": "", "x12abc": "12abc", "nul": null,
    "t": true, "f0": false, "arr": [], "nested": [[1, 2], "a"], "mixed": [1, "two", null, true]}`,
  ESC: String.raw`{"dq": "a\"b", "sq": "O'Brien", "bs": "x\\y", "nl": "l1\nl2", "u": "\u0041",
    "sl": "\/", "tab": "a\tb", "k\"q": 1, "after": 2}`,
  DUP: '{"a": 1, "a": 2}',
  OBJ: '{"o": {"x": 1, "s": "}"}, "after": 2}',
  KEYS: '{"x-1": 7, "2024": "yes", "_u": 1, "A": 3}',
  UTF8: '{"name": "Zoë", "city": "東京"}',
  INVALID: 'invalid json',
  ARRAY: '[1, 2]',
  TRUNC: '{"a": 1,',
  BADB: '{"a": 1, "b": }',
  TRUEX: '{"t": truex, "u": 1}',
  HEXNUM: '{"r": 0x10, "s": 1}',
  // Stored with VADD … SETATTR "" on a new element: an empty attribute, not none (§7.1 step 8).
  EMPTY: '',
};
const DOCS = Object.keys(ATTRS);
/** Elements that have no attribute: never added one, and one whose attribute was removed. */
const NO_ATTR = ['noattr', 'removed'];

type Row = readonly [expr: string, doc: string, expected: boolean];

const ROWS: readonly Row[] = [
  // §9.6 examples.
  ['.age == 25', 'A', true],
  ['.age > 25', 'A', false],
  ['.name == "Alice"', 'A', true],
  ['.active', 'A', true],
  ['!.active', 'A', false],
  ['"lic" in .name', 'A', true],
  ['"" in .name', 'A', true],
  ['.name in ""', 'A', false],
  ['.age in [25, 35]', 'A', true],
  ['90 in .scores', 'A', true],
  ['.scores', 'A', true],
  ['.age ** 2 > 600', 'A', true],
  ['(.age - 20) * 2 == 10', 'A', true],
  ['.age % 2 == 1', 'A', true],
  ['.missing == "x"', 'A', false],
  ['.missing or 1', 'A', false],
  // §9.1: a failing selector falsifies the whole expression.
  ['not .missing', 'A', false],
  ['.missing == null', 'A', false],
  ['.age > 1 and .missing', 'A', false],
  // The second sample, and expressions across both.
  ['.age == 40', 'B', true],
  ['.active', 'B', false],
  ['!.active', 'B', true],
  ['.scores', 'B', true], // an empty tuple is truthy
  ['90 in .scores', 'B', false],
  ['.age >= 25 and .age <= 40', 'B', true],
  ['.city == "Boston" or .city == "New York"', 'B', true],
  ['.name != "Alice"', 'B', true],
  ['.age > 30 && .active == 0', 'B', true],
  ['.age > 30 || .active', 'A', true],
  ['.age > 30 || !.active', 'A', false],
  ['(.age > 20 and .age < 30) and (.city == "Boston" or .city == "New York")', 'A', true],
  // Movie-style filters (redis.io examples).
  ['.year >= 1940 and .year < 1960', 'MOVIE', true],
  ['.genre == "drama" and .rating > 8', 'MOVIE', true],
  ['.genre == "comedy"', 'MOVIE', false],
  ['"classic" in .tags', 'MOVIE', true],
  ['.genre in ["drama", "action"]', 'MOVIE', true],
  ['.year / 10 == 195', 'MOVIE', true],
  ['.rating * 10 > 80 and .rating * 10 < 82', 'MOVIE', true],
  ['"bw" in .tags and not ("color" in .tags)', 'MOVIE', true],
  ['.year > 1960 or .rating < 5', 'MOVIE', false],
  // Literals, truthiness, comparisons (no selector: any element with an attribute matches).
  ['1', 'A', true],
  ['0', 'A', false],
  ['""', 'A', false],
  ['"a"', 'A', true],
  ['[]', 'A', true],
  ['null', 'A', false],
  ['!null', 'A', true],
  ['0/0', 'A', true],
  ['"abc" < "abd"', 'A', false],
  ['"abc" == 0', 'A', true],
  ['"1" == 1', 'A', true],
  ['5 in "5"', 'A', false],
  ['"5" in "5"', 'A', true],
  ['null == null', 'A', true],
  ['null == 0', 'A', false],
  ['1 in [1,]', 'A', true],
  ["\"b\" in ['a', 'b']", 'A', true],
  ['-1 in [-1, 2]', 'A', true],
  ['1/0 > 1000', 'A', true],
  ['-7 % 3 == -1', 'A', true],
  ['2 ** -1 == 0.5', 'A', true],
  ['"a" + "b" == 0', 'A', true],
  ['"3" * "4" == 12', 'A', true],
  // Precedence and associativity (§9.5).
  ['1 < 2 == 1', 'A', true],
  ['3 > 2 > 1', 'A', false],
  ['1 + 2 * 3 == 7', 'A', true],
  ['10 - 2 - 3 == 5', 'A', true],
  ['2 ** 3 ** 2 == 512', 'A', true],
  ['1 or 0 and 0', 'A', true],
  ['(1 or 0) and 0', 'A', false],
  ['!2 ** 2', 'A', false],
  ['!.age == 0', 'A', true],
  ['3-5 == -2', 'A', true],
  ['3 - -5 == 8', 'A', true],
  ['.age -5 == 20', 'A', true],
  ['.age>=-1', 'A', true],
  ['1e3 == 1000', 'A', true],
  ['notnull', 'A', true],
  ['1and(1)', 'A', true],
  // §14.1: !! and not not evaluate correctly, also after another operand.
  ['!!.active', 'A', true],
  ['not not .active', 'A', true],
  ['!!!.active', 'A', false],
  ['.age > 1 and !!.active', 'A', true],
  ['.age > 1 and not not .active', 'B', false],
  // Expression string escapes (§9.3) and strtod conversions (§9.6).
  ["'a\"b' == \"a\\\"b\"", 'A', true],
  ["\"O'Brien\" == 'O\\'Brien'", 'A', true],
  ['"\\t" == "\t"', 'A', true],
  ['"0x1A" == 26', 'A', true],
  ['" 12" == 12', 'A', true],
  ['"12 " == 12', 'A', false],
  ['"inf" > 1e308', 'A', true],
  ['"12abc" == 0', 'A', true],
  ['"1e-3" * 1000 == 1', 'A', true],
  // JSON values (§9.4).
  ['.n == 5', 'NUMS', true],
  ['.z', 'NUMS', false],
  ['!.z', 'NUMS', true],
  ['.neg < -2', 'NUMS', true],
  ['.f == 1500', 'NUMS', true],
  ['.big > 1e308', 'NUMS', true],
  ['.s12 == 12', 'NUMS', true],
  ['.s12 > 11', 'NUMS', true],
  ['.sp == 12', 'NUMS', true],
  ['.sp == "12"', 'NUMS', false],
  ['.hex == 26', 'NUMS', true],
  ['.inf > 0', 'NUMS', true],
  ['.abc == 0', 'NUMS', true],
  ['.empty', 'NUMS', false],
  ['"" in .empty', 'NUMS', true],
  ['.x12abc == 12', 'NUMS', false],
  ['.nul == null', 'NUMS', true],
  ['.nul', 'NUMS', false],
  ['.nul != null', 'NUMS', false],
  ['.t == 1', 'NUMS', true],
  ['.t and not .f0', 'NUMS', true],
  ['.arr', 'NUMS', true],
  ['1 in .arr', 'NUMS', false],
  ['"a" in .nested', 'NUMS', true],
  ['1 in .nested', 'NUMS', false],
  ['null in .mixed', 'NUMS', true],
  ['"two" in .mixed', 'NUMS', true],
  ['2 in .mixed', 'NUMS', false],
  ['.n + .z * 2 == 5', 'NUMS', true],
  ['"1" in .s12', 'NUMS', true],
  // JSON string escapes.
  ['.dq == "a\\"b"', 'ESC', true],
  ['"\\"b" in .dq', 'ESC', true],
  ['.dq in ["zzz", "a\\"b"]', 'ESC', true],
  ['.sq == "O\'Brien"', 'ESC', true],
  ['.bs == "x\\\\y"', 'ESC', true],
  ['.nl == "l1\\nl2"', 'ESC', true],
  ['.u == "u0041"', 'ESC', true],
  ['.sl == "/"', 'ESC', true],
  ['.after == 2', 'ESC', true],
  // Duplicate keys, objects, selector names, UTF-8.
  ['.a == 1', 'DUP', true],
  ['.a == 2', 'DUP', false],
  ['.o', 'OBJ', false],
  ['.o or .after', 'OBJ', false],
  ['.after == 2', 'OBJ', true],
  ['.x-1 == 7', 'KEYS', true],
  ['.2024 == "yes"', 'KEYS', true],
  ['._u', 'KEYS', true],
  ['.A == 3', 'KEYS', true],
  ['.a', 'KEYS', false],
  ['.name == "Zoë"', 'UTF8', true],
  ['"京" in .city', 'UTF8', true],
  // Malformed JSON and non-objects: selectors fail, selector-free expressions match (§9.1).
  ['.a', 'INVALID', false],
  ['1', 'INVALID', true],
  ['2 > 1', 'INVALID', true],
  ['.a', 'ARRAY', false],
  ['.a == 1', 'TRUNC', true],
  ['.b', 'TRUNC', false],
  ['.a == 1', 'BADB', true],
  ['.b', 'BADB', false],
  ['.t', 'TRUEX', false],
  ['.r == 0', 'HEXNUM', true],
  ['.s', 'HEXNUM', false],
  // The empty attribute of a new element is an attribute.
  ['1', 'EMPTY', true],
  ['.a', 'EMPTY', false],
  ['not .a', 'EMPTY', false],
];

const server = serverForFile();
let c: RawConnection;
const KEY = 'flt';
const QUERY = ['VALUES', 3, 0.3, 0.2, 0.1] as const;

/** Vectors spread out so that every element is at a distinct distance from QUERY. */
const vectorOf = (i: number): number[] => [Math.cos(i * 0.7), Math.sin(i * 0.7), (i % 5) / 5 - 0.4];

function namesOf(v: RespValue): string[] {
  if (v instanceof RespError) throw new Error(v.message);
  if (!Array.isArray(v)) throw new Error(`not an array: ${JSON.stringify(v)}`);
  return v.map(String);
}

/** What the (separately tested) filter library says for one document. */
function oracle(expr: string, doc: string): boolean {
  const r = compileFilter(expr);
  if (!r.ok) throw new Error(`does not compile: ${expr}`);
  return matchFilter(r.filter, enc.encode(ATTRS[doc]!));
}

beforeAll(async () => {
  c = await RawConnection.connect(server().port);
  const all = [...DOCS, ...NO_ATTR];
  for (let i = 0; i < all.length; i++) {
    const name = all[i]!;
    const args: Array<string | number> = ['VADD', KEY, 'VALUES', 3, ...vectorOf(i), name];
    // Attributes go in both ways: VADD SETATTR for half, VSETATTR for the rest.
    if (name in ATTRS && (i % 2 === 0 || name === 'EMPTY')) args.push('SETATTR', ATTRS[name]!);
    if (name === 'removed') args.push('SETATTR', '{"a": 1, "age": 25}');
    const r = await c.call(...args);
    expect(r, name).toBe(':1\r\n');
    if (name in ATTRS && !(i % 2 === 0 || name === 'EMPTY')) expect(await c.call('VSETATTR', KEY, name, ATTRS[name]!)).toBe(':1\r\n');
  }
  expect(await c.call('VSETATTR', KEY, 'removed', '')).toBe(':1\r\n');
  expect(await c.call('VGETATTR', KEY, 'EMPTY')).toBe('$0\r\n\r\n');
});

afterAll(async () => {
  c?.close();
});

describe('FILTER expressions through VSIM', () => {
  it('the table has at least 100 rows and every expression compiles', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(100);
    for (const [expr] of ROWS) expect(compileFilter(expr).ok, expr).toBe(true);
  });

  it('the rows agree with the filter library on their own document (the table is right)', () => {
    for (const [expr, doc, expected] of ROWS) expect(oracle(expr, doc), `${expr} against ${doc}`).toBe(expected);
  });

  it.each(ROWS.map(([e, d, x]) => [e, d, x] as const))('%s against %s → %s', async (expr, doc, expected) => {
    const exact = namesOf(await c.value('VSIM', KEY, ...QUERY, 'FILTER', expr, 'TRUTH', 'COUNT', 100));
    expect(exact.includes(doc)).toBe(expected);
    // Elements without an attribute never match, whatever the expression.
    for (const n of NO_ATTR) expect(exact).not.toContain(n);
    // Every other document matches exactly when the library says so: each element's own bytes
    // reached the evaluator.
    const want = DOCS.filter((d) => oracle(expr, d)).sort();
    expect([...exact].sort()).toEqual(want);
    // The graph search with a filter finds the same elements on a set this small, in the same
    // order (ascending distance).
    const graph = namesOf(await c.value('VSIM', KEY, ...QUERY, 'FILTER', expr, 'COUNT', 100));
    expect(graph).toEqual(exact);
  });

  it('results stay ordered by score and COUNT cuts the filtered list', async () => {
    const v = namesOf(await c.value('VSIM', KEY, ...QUERY, 'FILTER', '1', 'TRUTH', 'COUNT', 100, 'WITHSCORES'));
    const scores = v.filter((_, i) => i % 2 === 1).map(Number);
    for (let i = 1; i < scores.length; i++) expect(scores[i]!).toBeLessThanOrEqual(scores[i - 1]!);
    // No ties: the exact-vs-graph order comparisons above rely on it.
    expect(new Set(scores).size).toBe(scores.length);
    expect(v.length / 2).toBe(DOCS.length);
    const top3 = namesOf(await c.value('VSIM', KEY, ...QUERY, 'FILTER', '1', 'COUNT', 3));
    expect(top3).toEqual(v.filter((_, i) => i % 2 === 0).slice(0, 3));
  });

  it('the expression is a C string: bytes after a NUL are ignored (§9.7)', async () => {
    const expr = Buffer.concat([Buffer.from('.age == 25'), Buffer.from([0]), Buffer.from(' and @@@')]);
    expect(await c.value('VSIM', KEY, ...QUERY, 'FILTER', expr, 'TRUTH')).toEqual(['A']);
    const bad = Buffer.concat([Buffer.from('.age =='), Buffer.from([0]), Buffer.from(' 25')]);
    expect(await c.call('VSIM', KEY, ...QUERY, 'FILTER', bad)).toBe('-ERR syntax error in FILTER expression near: .age ==\r\n');
    // Redis compares the lexer's stop with the whole argument's length: a stop at the NUL (an
    // unterminated string, a bad word at the end) is not mapped to 0, and the tail is empty.
    const nul = (a: string, b: string): Buffer => Buffer.concat([Buffer.from(a), Buffer.from([0]), Buffer.from(b)]);
    expect(await c.call('VSIM', KEY, ...QUERY, 'FILTER', nul("'abc", 'x'))).toBe('-ERR syntax error in FILTER expression near: \r\n');
    expect(await c.call('VSIM', KEY, ...QUERY, 'FILTER', nul('.a == true', ' and 1'))).toBe('-ERR syntax error in FILTER expression near: \r\n');
    expect(await c.call('VSIM', KEY, ...QUERY, 'FILTER', nul('.a == @', 'x'))).toBe('-ERR syntax error in FILTER expression near: @\r\n');
    expect(await c.call('VSIM', KEY, ...QUERY, 'FILTER', "'abc")).toBe("-ERR syntax error in FILTER expression near: 'abc\r\n");
  });

  it('WITHATTRIBS returns the attribute the filter saw', async () => {
    const v = (await c.value('VSIM', KEY, ...QUERY, 'FILTER', '.age >= 25', 'TRUTH', 'WITHATTRIBS')) as RespValue[];
    const pairs = new Map<string, string>();
    for (let i = 0; i < v.length; i += 2) pairs.set(String(v[i]), String(v[i + 1]));
    expect(pairs).toEqual(new Map([['A', ATTRS.A!], ['B', ATTRS.B!]]));
  });

  it('a filter sees attribute changes at once: VSETATTR, VADD SETATTR, VREM', async () => {
    const q = (): Promise<RespValue> => c.value('VSIM', 'flt:chg', 'VALUES', 2, 1, 0, 'FILTER', '.v == 2', 'TRUTH');
    await c.call('VADD', 'flt:chg', 'VALUES', 2, 1, 0, 'x', 'SETATTR', '{"v": 1}');
    await c.call('VADD', 'flt:chg', 'VALUES', 2, 0, 1, 'y');
    expect(await q()).toEqual([]);
    await c.call('VSETATTR', 'flt:chg', 'x', '{"v": 2}');
    expect(await q()).toEqual(['x']);
    await c.call('VADD', 'flt:chg', 'VALUES', 2, 0, 1, 'y', 'SETATTR', '{"v": 2}');
    expect(await q()).toEqual(['x', 'y']);
    await c.call('VADD', 'flt:chg', 'VALUES', 2, 1, 1, 'x', 'SETATTR', '');
    expect(await q()).toEqual(['y']);
    await c.call('VREM', 'flt:chg', 'y');
    expect(await q()).toEqual([]);
  });

  it('FILTER-EF bounds a selective graph search; TRUTH ignores it and is exact', async () => {
    const cmds: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const a = i * 0.001;
      cmds.push(encodeCommand(['VADD', 'flt:big', 'VALUES', 2, Math.cos(a), Math.sin(a), `e${i}`, 'SETATTR', `{"i": ${i}}`]));
    }
    c.write(Buffer.concat(cmds));
    for (let i = 0; i < 2000; i++) expect((await c.readReply()).raw).toBe(':1\r\n');
    // Only the five elements farthest from the query match.
    const args = ['VSIM', 'flt:big', 'VALUES', 2, 1, 0, 'FILTER', '.i >= 1995'] as const;
    // (Q8 may order these near-identical vectors either way, so compare as sets.)
    const exact = namesOf(await c.value(...args, 'TRUTH', 'FILTER-EF', 1)).sort();
    expect(exact).toEqual(['e1995', 'e1996', 'e1997', 'e1998', 'e1999']);
    const limited = namesOf(await c.value(...args, 'FILTER-EF', 10));
    expect(limited.length).toBeLessThan(5); // fewer than COUNT by design (§9.8)
    const wide = namesOf(await c.value(...args, 'FILTER-EF', 100000)).sort();
    expect(wide).toEqual(exact);
  });
});

// ---- seeded random expressions ------------------------------------------------------------------


const PIECES = [
  '.age', '.name', '.scores', '.missing', '.a', '.x-1', '.2024', '.', '..', '1', '0', '-1', '2.5', '1e3', '1e-3', '.5', '007',
  '"Alice"', "'x'", '"a\\"b"', '"unterminated', "'", '"', '[1, 2]', '[]', '[', ']', '[1,', '["a", 2,]', 'null', 'null)',
  'true', 'false', '==', '!=', '>', '>=', '<', '<=', '=', '+', '-', '*', '/', '%', '**', '***', '!', '!!', 'not', 'and', 'or',
  'in', '&&', '||', '&', '|', 'AND', '(', ')', '((', '))', ' ', ' ', ' ', '@', '#', ',', '{', '}', ':', '?', '~', '\\', '\t',
];

const ATOMS = ['.age', '.name', '.active', '.scores', '.missing', '.n', '.s12', '.nul', '.a', '.year', '1', '0', '-2', '2.5', '1e3', '"Alice"', "'x'", '"12"', '""', '[1, 2]', '["a", 25]', '[]', 'null'];
const BINOPS = ['==', '!=', '>', '>=', '<', '<=', '+', '-', '*', '/', '%', '**', 'and', 'or', '&&', '||', 'in'];

/** A well-formed expression from the grammar of §9.5 (valid unless mutated afterwards). */
function grammarExpr(next: () => number, depth: number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)]!;
  const r = next();
  if (depth <= 0 || r < 0.3) return pick(ATOMS);
  if (r < 0.4) return `${pick(['!', 'not '])}${grammarExpr(next, depth - 1)}`;
  if (r < 0.5) return `(${grammarExpr(next, depth - 1)})`;
  return `${grammarExpr(next, depth - 1)} ${pick(BINOPS)} ${grammarExpr(next, depth - 1)}`;
}

function randomExpr(next: () => number): string {
  if (next() < 0.5) {
    let e = grammarExpr(next, 4);
    // Now and then one mutation: a character dropped, doubled or replaced.
    if (next() < 0.3 && e.length > 0) {
      const at = Math.floor(next() * e.length);
      const kind = Math.floor(next() * 3);
      const ch = String.fromCharCode(32 + Math.floor(next() * 95));
      e = kind === 0 ? e.slice(0, at) + e.slice(at + 1) : kind === 1 ? e.slice(0, at) + e[at] + e.slice(at) : e.slice(0, at) + ch + e.slice(at + 1);
    }
    return e;
  }
  if (next() < 0.2) {
    // Raw bytes now and then, NUL, CR and LF included.
    const n = Math.floor(next() * 24);
    return Array.from({ length: n }, () => String.fromCharCode(Math.floor(next() * 128))).join('');
  }
  const n = 1 + Math.floor(next() * 12);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(next() * PIECES.length)]! + (next() < 0.6 ? ' ' : '');
  return s;
}

describe('seeded random FILTER strings', () => {
  it('answer a result or a FILTER syntax error, never crash or hang the server', async () => {
    const next = rng(0x5eed4);
    const N = 3000;
    const exprs = Array.from({ length: N }, () => randomExpr(next));
    let errors = 0;
    let results = 0;
    // Pipelined in batches: a hang shows up as a read timeout, a crash as a closed connection.
    for (let start = 0; start < N; start += 500) {
      const batch = exprs.slice(start, start + 500);
      c.write(Buffer.concat(batch.map((e) => encodeCommand(['VSIM', KEY, ...QUERY, 'FILTER', Buffer.from(e, 'latin1'), 'COUNT', 100]))));
      for (const e of batch) {
        const { value, raw } = await c.readReply();
        if (value instanceof RespError) {
          expect(value.message.startsWith('ERR syntax error in FILTER expression near: '), `${JSON.stringify(e)} → ${raw}`).toBe(true);
          expect(raw.indexOf('\r\n'), JSON.stringify(e)).toBe(raw.length - 2);
          errors++;
        } else {
          expect(Array.isArray(value), JSON.stringify(e)).toBe(true);
          // A result only ever names elements with an attribute.
          for (const n of NO_ATTR) expect(value as RespValue[]).not.toContain(n);
          results++;
        }
      }
    }
    expect(errors).toBeGreaterThan(100);
    expect(results).toBeGreaterThan(100);
    expect(await c.call('PING')).toBe('+PONG\r\n');
  });

  it('compiled results agree with the library for the random strings that compile', async () => {
    const next = rng(0xf11e);
    let checked = 0;
    for (let i = 0; i < 400; i++) {
      const e = randomExpr(next);
      const r = compileFilter(Buffer.from(e, 'latin1'));
      const reply = await c.value('VSIM', KEY, ...QUERY, 'FILTER', Buffer.from(e, 'latin1'), 'TRUTH', 'COUNT', 100);
      if (!r.ok) {
        expect(reply, JSON.stringify(e)).toBeInstanceOf(RespError);
        continue;
      }
      const want = DOCS.filter((d) => matchFilter(r.filter, enc.encode(ATTRS[d]!))).sort();
      expect([...namesOf(reply)].sort(), JSON.stringify(e)).toEqual(want);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('very long and very deep expressions are answered too', async () => {
    const deep = [
      '('.repeat(50_000) + '.age' + ')'.repeat(50_000) + ' == 25',
      '!'.repeat(50_001) + '.active',
      'not '.repeat(20_000) + '.active',
      '.age' + ' + 1'.repeat(30_000) + ' > 0',
      '('.repeat(50_000) + '1',
      '"' + 'x'.repeat(200_000),
      '[' + '1,'.repeat(50_000) + '2] == 0',
    ];
    const expected: Array<string[] | 'error'> = [['A'], ['B'], ['A'], ['A', 'B'], 'error', 'error', [...DOCS]];
    for (let i = 0; i < deep.length; i++) {
      const reply = await c.value('VSIM', KEY, ...QUERY, 'FILTER', deep[i]!, 'TRUTH', 'COUNT', 100);
      const want = expected[i]!;
      if (want === 'error') expect(reply, `deep #${i}`).toBeInstanceOf(RespError);
      else expect([...namesOf(reply)].sort(), `deep #${i}`).toEqual([...want].sort());
    }
    expect(await c.call('PING')).toBe('+PONG\r\n');
  });
});
