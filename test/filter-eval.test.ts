// FILTER evaluation: a table of expressions with their expected results against sample
// attributes (spec §9.1–§9.6, §14.1). Every row runs on both evaluators.

import { describe, expect, it } from 'vitest';
import { compileFilter, matchFilter, type FilterEngine } from '../src/filter/index.js';

const enc = new TextEncoder();

// Attribute documents, written as the raw JSON text a client would store.
const ATTRS: Record<string, string> = {
  // The sample of spec §9.6.
  A: '{"age": 25, "name": "Alice", "active": true, "scores": [85, 90, 95], "city": "New York"}',
  NUMS: String.raw`{"n": 5, "z": 0, "neg": -2.5, "f": 1.5e3, "big": 1e400, "s12": "12", "sp": " 12",
    "hex": "0x1A", "inf": "inf", "abc": "abc", "empty": "", "x12abc": "12abc", "nul": null,
    "t": true, "f0": false, "arr": [], "nested": [[1, 2], "a"], "mixed": [1, "two", null, true],
    "sp2": "12 ", "hexf": "0x1p4", "nan": "nan", "exp": "1e-3"}`,
  // JSON escapes (spec §9.3/§9.4): decoded \" \\ \n \t, any other \c keeps c.
  ESC: String.raw`{"dq": "a\"b", "sq": "O'Brien", "bs": "x\\y", "nl": "l1\nl2", "u": "\u0041",
    "sl": "\/", "tab": "a\tb", "k\"q": 1, "after": 2}`,
  DUP: '{"a": 1, "a": 2}',
  OBJ: '{"o": {"x": 1, "s": "}"}, "after": 2}',
  ARROBJ: '{"arr": [1, {"x": 1}], "b": 1}',
  DEEPOBJ: '{"arr": [1, [2, {"x": 1}]], "b": 1}',
  KEYS: '{"x-1": 7, "2024": "yes", "_u": 1, "a b": 2, "A": 3}',
  RAWKEY: String.raw`{"a\u0062": 1, "c": 2}`,
  UTF8: '{"name": "Zoë", "city": "東京"}',
  SPACES: ' \t\n {  "a"  :  1  ,"b":[ 1 , "x" ] }  ',
  // Malformed or non-object documents.
  INVALID: 'invalid json',
  EMPTY: '',
  ARRAY: '[1, 2]',
  STRING: '"str"',
  TRUNC: '{"a": 1,',
  NOCOLON: '{"a" 1}',
  BADLIT: '{"x": tru, "a": 1}',
  GARBAGE_AFTER: '{"a": 1} garbage',
  BADB: '{"a": 1, "b": }',
  BADFIRST: '{"b": , "a": 1}',
  NOCOMMA: '{"a": 1 "b": 2}',
  TRAIL: '{"a": 1,}',
  UNQUOTED: '{a: 1}',
  TRUEX: '{"t": truex, "u": 1}',
  TRUESP: '{"t": true , "u": 1}',
  NUMFORMS: '{"p": +5, "e1": 1E+2, "e2": -0.0, "e3": 1e5}',
  NUMBAD: '{"q": 1.2.3}',
  HEXNUM: '{"r": 0x10, "s": 1}',
  MINUS: '{"m": -}',
  DOTNUM: '{"e": .5}',
  ARRTRAIL: '{"a": [1,]}',
  ARRNOCOMMA: '{"a": [1 2]}',
  ARRSPACE: '{"a": [ ]}',
  ARRDEEP: '{"a": [[[]]]}',
  ARRLIT: '{"a": [true, false, null]}',
  ARRBADLIT: '{"a": [tru]}',
  ARRESC: String.raw`{"a": ["x\"y", "p\\q"]}`,
  ARRUNTERM: '{"a": [1, 2',
  OBJVAL: '{"a": {}}',
  STRUNTERM: '{"a": "abc',
};

type Row = readonly [expr: string, attr: string, expected: boolean];

const ROWS: readonly Row[] = [
  // Spec §9.6 examples.
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
  ['!(.missing)', 'A', false],
  // More against the §9.6 sample (the module's filter_expr.py cases).
  ['.age >= 25', 'A', true],
  ['.age <= 24', 'A', false],
  ['.age != 25', 'A', false],
  ['.age == "25"', 'A', true],
  ['.name == "alice"', 'A', false],
  ['.name != "Bob"', 'A', true],
  ['"ork" in .city', 'A', true],
  ['"xyz" in .name', 'A', false],
  ['"Alice" in .name', 'A', true],
  ['"" in .name && "" in ""', 'A', true],
  ['.name in ["Bob", "Alice"]', 'A', true],
  ['.name in []', 'A', false],
  ['100 in .scores', 'A', false],
  ['"90" in .scores', 'A', true],
  ['85 in .scores and 95 in .scores', 'A', true],
  ['.scores == 0', 'A', true], // tuple vs number: numeric conversions, tuple → 0
  ['.scores > 0', 'A', false],
  ['.active == 1', 'A', true],
  ['.active + .age == 26', 'A', true],
  ['.age / 5 == 5', 'A', true],
  ['.age * 2 > 60', 'A', false],
  ['.age + 10 > 40', 'A', false],
  ['.age > (20 + 10)', 'A', false],
  ['(.age > 20 and .age < 30) and (.city == "Boston" or .city == "New York")', 'A', true],
  ['!(.age == 25)', 'A', false],
  // Mixed-kind equality and membership, one row per evaluator specialisation.
  ['.scores == "0"', 'A', true], // tuple vs string: both convert to 0
  ['.scores == "abc"', 'A', true],
  ['.scores == "1"', 'A', false],
  ['.scores == null', 'A', false],
  ['.scores == []', 'A', true],
  ['.age == []', 'A', false],
  ['(.age + 0) == .name', 'A', false], // 25 vs "Alice" → 0
  ['(.age - 25) == .name', 'A', true],
  ['.name == .age - 25', 'A', true],
  ['(.age * 1) in .scores', 'A', false],
  ['(.age + 60) in .scores', 'A', true],
  ['.age + 1 in [26]', 'A', true], // + binds tighter than in
  ['1 + 1 in [2]', 'A', true],
  ['.age + 1 in ["26"]', 'A', true],
  ['.name in "Alice Bob"', 'A', true],
  ['.age in "25"', 'A', false], // a number is never a substring
  ['(.age) in "25"', 'A', false],
  ['.name in .city', 'A', false],
  ['"New" in .city', 'A', true],
  ['.scores in [0]', 'A', true], // the tuple converts to 0
  ['.age in .age', 'A', false],
  ['.age + 1 in .age', 'A', false],
  ['.name != "Alice" or .age != 25', 'A', false],
  ['25 == .age and "Alice" == .name and 1 == .active', 'A', true],
  ['30 > .age and 25 >= .age and 20 < .age and 25 <= .age', 'A', true],
  // §14.1: !! and not not are accepted and evaluate correctly, also after another operand.
  ['!!.active', 'A', true],
  ['not not .active', 'A', true],
  ['!!!.active', 'A', false],
  ['!!.age == 1', 'A', true],
  ['.age > 1 and !!.active', 'A', true],
  ['.age > 1 and not not .active', 'A', true],
  ['!.active or !!.active', 'A', true],
  ['not not not not .active', 'A', true],
  // Literals and truthiness.
  ['1', 'A', true],
  ['0', 'A', false],
  ['""', 'A', false],
  ['"a"', 'A', true],
  ['"0"', 'A', true],
  ['[]', 'A', true],
  ['null', 'A', false],
  ['!null', 'A', true],
  ['0/0', 'A', true], // NaN is truthy
  ['!(0/0)', 'A', false],
  // Comparisons and equality rules.
  ['"abc" < "abd"', 'A', false],
  ['"abc" == 0', 'A', true],
  ['"1" == 1', 'A', true],
  ['5 in "5"', 'A', false],
  ['"5" in "5"', 'A', true],
  ['"" in ""', 'A', true],
  ['null == null', 'A', true],
  ['null != null', 'A', false],
  ['null == 0', 'A', false],
  ['0 == null', 'A', false],
  ['"" == null', 'A', false],
  ['[] == null', 'A', false],
  ['[1] == [2]', 'A', true], // two tuples: numeric conversions, 0 == 0
  ['[1, 2] == 0', 'A', true],
  ['null in [1]', 'A', false],
  ['1 in [1,]', 'A', true],
  ["\"b\" in ['a', 'b']", 'A', true],
  ['2 in ["2"]', 'A', true],
  ['-1 in [-1, 2]', 'A', true],
  ['1 in [1e0]', 'A', true],
  ['0/0 == 0/0', 'A', false],
  ['1/0 > 1000', 'A', true],
  // Arithmetic: IEEE and C semantics.
  ['5 % 0 == 5 % 0', 'A', false],
  ['-7 % 3 == -1', 'A', true],
  ['7 % -3 == 1', 'A', true],
  ['5.5 % 2 == 1.5', 'A', true],
  ['2 ** -1 == 0.5', 'A', true],
  ['2 ** 0.5 > 1.414', 'A', true],
  ['1 ** (0/0) == 1', 'A', true], // C pow(1, NaN) is 1
  ['"a" + "b" == 0', 'A', true], // no concatenation
  ['"3" * "4" == 12', 'A', true],
  // Precedence and associativity (§9.5).
  ['1 < 2 == 1', 'A', true],
  ['3 > 2 > 1', 'A', false],
  ['1 + 2 * 3 == 7', 'A', true],
  ['(1 + 2) * 3 == 9', 'A', true],
  ['10 - 2 - 3 == 5', 'A', true],
  ['100 / 10 / 5 == 2', 'A', true],
  ['2 * 3 % 4 == 2', 'A', true],
  ['2 ** 3 ** 2 == 512', 'A', true],
  ['(2 ** 3) ** 2 == 64', 'A', true],
  ['1 or 0 and 0', 'A', true],
  ['(1 or 0) and 0', 'A', false],
  ['1 || 0 && 0', 'A', true],
  ['!0 and 1', 'A', true],
  ['not 1 or 1', 'A', true],
  ['!1 == 0', 'A', true],
  ['!2 ** 2', 'A', false], // (!2) ** 2 = 0
  ['2 ** !0 == 2', 'A', true],
  ['-2 ** 2 == 4', 'A', true], // -2 is a number literal
  ['0 - 2 ** 2 == -4', 'A', true],
  ['1 + 1 == 2 and 2 * 2 == 4', 'A', true],
  ['2 > 1 == 1 > 0', 'A', true],
  // Where `-` starts a number (§9.2).
  ['3-5 == -2', 'A', true],
  ['(1) -5 == -4', 'A', true],
  ['3 - -5 == 8', 'A', true],
  ['.age -5 == 20', 'A', true],
  ['.age>=-1', 'A', true],
  ['!-1', 'A', false],
  // Number literal forms.
  ['1e3 == 1000', 'A', true],
  ['1E3 == 1000', 'A', true],
  ['1.5e2 == 150', 'A', true],
  ['1. == 1', 'A', true],
  ['007 == 7', 'A', true],
  ['10 == 10.0', 'A', true],
  // Operator runs: longest prefix, rest re-scanned.
  ['notnull', 'A', true],
  ['1and(1)', 'A', true],
  ['!(0)', 'A', true],
  ['1!=2', 'A', true],
  // Expression string escapes (§9.3).
  ['"\\x41" == "x41"', 'A', true],
  ["'a\"b' == \"a\\\"b\"", 'A', true],
  ["\"O'Brien\" == 'O\\'Brien'", 'A', true],
  ['"a\\\\b" in "xa\\\\by"', 'A', true],
  ['"\\t" == "\t"', 'A', true],
  // Strings to numbers: strtod, whole string, leading whitespace only (§9.6).
  ['"0x1A" == 26', 'A', true],
  ['" 12" == 12', 'A', true],
  ['"12 " == 12', 'A', false],
  ['"12 " == 0', 'A', true],
  ['" \\t\\n12" == 12', 'A', true],
  ['"inf" > 1e308', 'A', true],
  ['"-INFINITY" < 0', 'A', true],
  ['"infinit" == 0', 'A', true],
  ['"nan" == "nan"', 'A', true],
  ['"nan" == 0', 'A', false],
  ['"nan(x1_)" + 0 == "nan" + 0', 'A', false],
  ['"12abc" == 0', 'A', true],
  ['"" == 0', 'A', true],
  ['"1e3" == 1000', 'A', true],
  ['"1e-3" * 1000 == 1', 'A', true],
  ['".5" == 0.5', 'A', true],
  ['"5." == 5', 'A', true],
  ['"+5" == 5', 'A', true],
  ['"0x" == 0', 'A', true],
  ['"0x1p4" == 16', 'A', true],
  ['"0x.8" == 0.5', 'A', true],
  ['"-0x10" == -16', 'A', true],
  ['"1_000" == 0', 'A', true],
  ['"1e" == 0', 'A', true],
  // JSON values (§9.4).
  ['.n == 5', 'NUMS', true],
  ['.z', 'NUMS', false],
  ['!.z', 'NUMS', true],
  ['.neg < -2', 'NUMS', true],
  ['.f == 1500', 'NUMS', true],
  ['.big > 1e308', 'NUMS', true],
  ['.s12 == 12', 'NUMS', true],
  ['.s12 == "12"', 'NUMS', true],
  ['.s12 > 11', 'NUMS', true],
  ['.sp == 12', 'NUMS', true],
  ['.sp == "12"', 'NUMS', false],
  ['.sp2 == 12', 'NUMS', false],
  ['.hex == 26', 'NUMS', true],
  ['.hexf == 16', 'NUMS', true],
  ['.inf > 0', 'NUMS', true],
  ['.nan == .nan', 'NUMS', true], // two strings: byte equality
  ['.nan + 0 == .nan + 0', 'NUMS', false],
  ['.exp * 1000 == 1', 'NUMS', true],
  ['.abc == 0', 'NUMS', true],
  ['.abc', 'NUMS', true],
  ['.empty', 'NUMS', false],
  ['.empty == 0', 'NUMS', true],
  ['"" in .empty', 'NUMS', true],
  ['.x12abc == 12', 'NUMS', false],
  ['.nul == null', 'NUMS', true],
  ['.nul', 'NUMS', false],
  ['!.nul', 'NUMS', true],
  ['.nul == 0', 'NUMS', false],
  ['.nul != null', 'NUMS', false],
  ['.nul == .nul', 'NUMS', true],
  ['.t == 1', 'NUMS', true],
  ['.f0 == 0', 'NUMS', true],
  ['.t and not .f0', 'NUMS', true],
  ['.arr', 'NUMS', true],
  ['1 in .arr', 'NUMS', false],
  ['.nested', 'NUMS', true],
  ['"a" in .nested', 'NUMS', true],
  ['1 in .nested', 'NUMS', false], // 1 is one level down: unreachable
  ['0 in .nested', 'NUMS', true], // the nested tuple and "a" both convert to 0
  ['null in .mixed', 'NUMS', true],
  ['"two" in .mixed', 'NUMS', true],
  ['1 in .mixed', 'NUMS', true],
  ['2 in .mixed', 'NUMS', false],
  ['.n in .arr', 'NUMS', false],
  ['.n + .z * 2 == 5', 'NUMS', true],
  ['.n == .n', 'NUMS', true],
  ['.s12 == .n', 'NUMS', false],
  ['.arr == .nested', 'NUMS', true],
  ['.n > 1 and .n < 10', 'NUMS', true],
  ['.s12 in .nested', 'NUMS', false],
  ['"1" in .s12', 'NUMS', true],
  // Escapes in JSON strings.
  ['.dq == "a\\"b"', 'ESC', true],
  [".dq == 'a\"b'", 'ESC', true],
  ['"\\"b" in .dq', 'ESC', true],
  ['.dq in ["zzz", "a\\"b"]', 'ESC', true],
  ['.sq == "O\'Brien"', 'ESC', true],
  [".sq == 'O\\'Brien'", 'ESC', true],
  ['.bs == "x\\\\y"', 'ESC', true],
  ['.nl == "l1\\nl2"', 'ESC', true],
  ['.u == "u0041"', 'ESC', true],
  ['.u == "A"', 'ESC', false],
  ['.sl == "/"', 'ESC', true],
  ['.tab == "a\\tb"', 'ESC', true],
  ['"\\t" in .tab', 'ESC', true],
  ['.after == 2', 'ESC', true], // the key with an escaped quote is skipped correctly
  // Duplicate keys: the first wins.
  ['.a == 1', 'DUP', true],
  ['.a == 2', 'DUP', false],
  // Objects are not values; skipping them works.
  ['.o', 'OBJ', false],
  ['.o or .after', 'OBJ', false],
  ['.after == 2', 'OBJ', true],
  ['.x == 1', 'OBJ', false],
  ['.arr', 'ARROBJ', false],
  ['.b == 1', 'ARROBJ', true],
  ['.arr', 'DEEPOBJ', false],
  ['.b == 1', 'DEEPOBJ', true],
  ['.a', 'OBJVAL', false],
  // Selector names: `-` and digits are selector characters; keys compare raw.
  ['.x-1 == 7', 'KEYS', true],
  ['.x-1 - 1 == 6', 'KEYS', true],
  ['.2024 == "yes"', 'KEYS', true],
  ['._u', 'KEYS', true],
  ['.A == 3', 'KEYS', true],
  ['.a', 'KEYS', false],
  ['.ab', 'RAWKEY', false],
  ['.c == 2', 'RAWKEY', true],
  ['.name == "Zoë"', 'UTF8', true],
  ['"京" in .city', 'UTF8', true],
  ['.a == 1 and "x" in .b and 1 in .b', 'SPACES', true],
  // Malformed JSON and non-objects.
  ['.a', 'INVALID', false],
  ['1', 'INVALID', true], // no selector: any attribute matches
  ['2 > 1', 'INVALID', true],
  ['.a', 'EMPTY', false],
  ['1', 'EMPTY', true],
  ['.a', 'ARRAY', false],
  ['.a', 'STRING', false],
  ['.a == 1', 'TRUNC', true], // found before the document breaks
  ['.b', 'TRUNC', false],
  ['.a', 'NOCOLON', false],
  ['.a', 'BADLIT', false],
  ['.x', 'BADLIT', false],
  ['.a == 1', 'GARBAGE_AFTER', true],
  ['.a == 1', 'BADB', true],
  ['.b', 'BADB', false],
  ['.a', 'BADFIRST', false],
  ['.a == 1', 'NOCOMMA', true],
  ['.b', 'NOCOMMA', false],
  ['.a == 1', 'TRAIL', true],
  ['.b', 'TRAIL', false],
  ['.a', 'UNQUOTED', false],
  ['.t', 'TRUEX', false],
  ['.u', 'TRUEX', false],
  ['.t', 'TRUESP', true],
  ['.u == 1', 'TRUESP', true],
  ['.p == 5', 'NUMFORMS', true],
  ['.e1 == 100', 'NUMFORMS', true],
  ['.e2 == 0', 'NUMFORMS', true],
  ['.e3 == 100000', 'NUMFORMS', true],
  ['.q', 'NUMBAD', false],
  ['.r == 0', 'HEXNUM', true], // the number run stops at the x; later JSON is not looked at
  ['.s', 'HEXNUM', false], // but a lookup that must skip it fails
  ['.m', 'MINUS', false],
  ['.e', 'DOTNUM', false],
  ['.a', 'ARRTRAIL', false],
  ['.a', 'ARRNOCOMMA', false],
  ['.a', 'ARRSPACE', true],
  ['1 in .a', 'ARRSPACE', false],
  ['.a', 'ARRDEEP', true],
  ['null in .a and 0 in .a and 1 in .a', 'ARRLIT', true],
  ['.a', 'ARRBADLIT', false],
  ['\'x"y\' in .a and "p\\\\q" in .a', 'ARRESC', true],
  ['.a', 'ARRUNTERM', false],
  ['.a', 'STRUNTERM', false],
];

const ENGINES: readonly FilterEngine[] = ['closure', 'stack'];

function run(expr: string, attrText: string, engine: FilterEngine): boolean {
  const r = compileFilter(expr, { engine });
  if (!r.ok) throw new Error(`does not compile (offset ${r.errorOffset}): ${expr}`);
  expect(r.filter.engine).toBe(engine);
  return matchFilter(r.filter, enc.encode(attrText));
}

describe('FILTER evaluation table', () => {
  it('has at least 100 rows', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(100);
  });

  for (const engine of ENGINES) {
    it.each(ROWS.map(([e, a, x]) => [e, a, x] as const))(`${engine}: %s against %s → %s`, (expr, attr, expected) => {
      expect(run(expr, ATTRS[attr]!, engine)).toBe(expected);
    });
  }
});

describe('FILTER evaluation details', () => {
  it('evaluates against a slice of a larger buffer without looking outside it', () => {
    const doc = enc.encode('{"a": 1}');
    const arena = new Uint8Array(100).fill(0x7b); // '{' everywhere else
    arena.set(doc, 40);
    const r = compileFilter('.a == 1');
    if (!r.ok) throw new Error('compile');
    expect(matchFilter(r.filter, arena, 40, 40 + doc.length)).toBe(true);
    // A window that cuts the document short sees malformed JSON.
    expect(matchFilter(r.filter, arena, 40, 40 + doc.length - 2)).toBe(false);
    // An unterminated string at the window's end must not read past it.
    const s = enc.encode('{"a": "xx"}');
    arena.set(s, 10);
    const q = compileFilter('.a == "xx"');
    if (!q.ok) throw new Error('compile');
    expect(matchFilter(q.filter, arena, 10, 10 + s.length)).toBe(true);
    expect(matchFilter(q.filter, arena, 10, 10 + 8)).toBe(false);
  });

  it('clamps a window that does not fit the buffer instead of misbehaving', () => {
    const doc = enc.encode('{"a": 1}');
    const r = compileFilter('.a == 1');
    if (!r.ok) throw new Error('compile');
    expect(matchFilter(r.filter, doc, 0, 1000)).toBe(true);
    expect(matchFilter(r.filter, doc, -5, doc.length)).toBe(true);
    expect(matchFilter(r.filter, doc, 6, 2)).toBe(false);
  });

  it('works on a SharedArrayBuffer-backed attribute arena', () => {
    const doc = enc.encode('{"year": 1984, "genre": "drama"}');
    const arena = new Uint8Array(new SharedArrayBuffer(64));
    arena.set(doc, 3);
    const r = compileFilter('.year > 1980 and .genre == "drama"');
    if (!r.ok) throw new Error('compile');
    expect(matchFilter(r.filter, arena, 3, 3 + doc.length)).toBe(true);
  });

  it('reuses a compiled filter across many attributes with independent results', () => {
    const r = compileFilter('.s == "a\\"b" or .n > 2 or "q" in .t');
    if (!r.ok) throw new Error('compile');
    const docs: Array<[string, boolean]> = [
      [String.raw`{"s": "a\"b", "n": 0, "t": []}`, true],
      ['{"s": "zz", "n": 3, "t": "x"}', true],
      ['{"s": "zz", "n": 0, "t": ["q"]}', true],
      ['{"s": "zz", "n": 0, "t": "xqx"}', true],
      ['{"s": "zz", "n": 0, "t": "x"}', false],
      ['{"s": "zz", "n": 0}', false],
      [String.raw`{"s": "a\\\"b", "n": 0, "t": 1}`, false],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [doc, expected] of docs) expect(matchFilter(r.filter, enc.encode(doc))).toBe(expected);
    }
  });

  it('treats a NUL byte as the end of a string converted to a number, as C does', () => {
    const doc = new Uint8Array([...enc.encode('{"s": "12'), 0, ...enc.encode('ab"}')]);
    const r = compileFilter('.s == 12');
    if (!r.ok) throw new Error('compile');
    expect(matchFilter(r.filter, doc)).toBe(true);
  });

  it('ignores the expression after an embedded NUL', () => {
    const expr = new Uint8Array([...enc.encode('.a == 1'), 0, ...enc.encode(' and @@@')]);
    const r = compileFilter(expr);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(matchFilter(r.filter, enc.encode('{"a": 1}'))).toBe(true);
      expect(new TextDecoder().decode(r.filter.source)).toBe('.a == 1');
    }
  });

  it('converts strings of up to 255 bytes to numbers, longer ones to 0', () => {
    const s255 = '0'.repeat(254) + '7';
    const s256 = '0'.repeat(255) + '7';
    const doc = enc.encode(`{"a": "${s255}", "b": "${s256}"}`);
    const r = compileFilter('.a == 7 and .b == 0');
    if (!r.ok) throw new Error('compile');
    expect(matchFilter(r.filter, doc)).toBe(true);
  });

  it('reports the selectors an expression uses, once each', () => {
    const r = compileFilter('.year > 1980 and .genre == "x" or .year < 1900 or .x-1');
    expect(r.ok && r.filter.selectors).toEqual(['year', 'genre', 'x-1']);
    const c = compileFilter('1 + 2');
    expect(c.ok && c.filter.selectors).toEqual([]);
  });

  it('evaluates very deep expressions with the stack machine', () => {
    const n = 100_000;
    const cases: Array<[string, boolean, FilterEngine]> = [
      // Parentheses add no tree level.
      ['('.repeat(n) + '.a' + ')'.repeat(n), true, 'closure'],
      ['!'.repeat(n) + '.a', n % 2 === 0, 'stack'],
      ['not '.repeat(n + 1) + '.a', false, 'stack'],
      ['.a' + ' + .a'.repeat(n) + ` == ${n + 1}`, true, 'stack'],
      ['2' + ' ** 1'.repeat(n) + ' == 2', true, 'stack'],
      ['.a' + ' and .a'.repeat(n), true, 'stack'],
      ['('.repeat(n) + '1' + ' + 1)'.repeat(n) + ` == ${n + 1}`, true, 'stack'],
    ];
    const doc = enc.encode('{"a": 1}');
    for (const [expr, expected, engine] of cases) {
      const r = compileFilter(expr);
      if (!r.ok) throw new Error('compile');
      expect(r.filter.engine).toBe(engine);
      expect(matchFilter(r.filter, doc)).toBe(expected);
    }
  });

  it('rejects deeply nested JSON arrays without recursion and accepts balanced ones', () => {
    const n = 1_000_000;
    const r = compileFilter('.a');
    if (!r.ok) throw new Error('compile');
    const open = enc.encode('{"a": ' + '['.repeat(n));
    expect(matchFilter(r.filter, open)).toBe(false);
    const balanced = enc.encode('{"a": ' + '['.repeat(n) + ']'.repeat(n) + '}');
    expect(matchFilter(r.filter, balanced)).toBe(true);
  });
});
