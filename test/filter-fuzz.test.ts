// Seeded random testing of the FILTER language:
//   - random byte strings and mutations of valid expressions compile or fail with an offset
//     inside the expression, and never throw or hang;
//   - random attribute bytes never make matchFilter throw, and both evaluators agree;
//   - random well-formed expressions over random attributes give the same result on both
//     evaluators and on a small independent interpreter written from spec §9.6.

import { describe, expect, it } from 'vitest';
import { compileFilter, matchFilter, type CompiledFilter } from '../src/filter/index.js';

const enc = new TextEncoder();

/** mulberry32: a small seedable PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, xs: ArrayLike<T>): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

function cLength(b: Uint8Array): number {
  const i = b.indexOf(0);
  return i < 0 ? b.length : i;
}

function compileBoth(expr: Uint8Array): { closure: CompiledFilter; stack: CompiledFilter } | number {
  const a = compileFilter(expr, { engine: 'closure' });
  const b = compileFilter(expr, { engine: 'stack' });
  expect(a.ok).toBe(b.ok);
  if (!a.ok || !b.ok) {
    const offset = a.ok ? -1 : a.errorOffset;
    expect(b.ok ? -1 : b.errorOffset).toBe(offset);
    return offset;
  }
  return { closure: a.filter, stack: b.filter };
}

const EXPR_ALPHABET = enc.encode('abcdeflnortu ANDOR0123456789.eE-+*/%!()<>=|&"\'[],\\ @#{}:;?^~\t\n_xyz.');

const SEED_EXPRESSIONS: readonly string[] = [
  '.age == 25',
  '.age > 20 and .age < 30',
  '.name == "Alice" or "lic" in .name',
  '.age in [25, 35, "40"]',
  '!(.active) || .scores',
  '(.a + .b) * 2 ** 3 ** .c >= -1.5e2',
  'not not .x != null',
  '.s == "a\\"b" and \'c\' in .t',
  '.x-1 % 3 == 1 && .2024',
  '3 - -5 == 8 and (1) -5 == -4',
];

const ATTRIBUTE_SAMPLES: readonly string[] = [
  '{"age": 25, "name": "Alice", "active": true, "scores": [85, 90, 95], "city": "New York"}',
  '{"a": 1, "b": "2", "c": null, "s": "a\\"b", "t": ["c"], "x": [[1], {"y": 2}], "x-1": 4, "2024": 1}',
  '{"age": "25", "name": ["Alice"], "active": 0, "scores": "", "a": -1, "b": 1e400, "c": 0.5}',
  'invalid json',
  '',
  '{"a": [1, 2, [3, [4]]], "b": {"c": 1}, "s": "x\\u0041\\n", "t": "tt", "x": true}',
];

describe('FILTER random expressions', () => {
  it('compile or fail inside the expression, and evaluate identically on both engines', () => {
    const rand = prng(1);
    const attrs = ATTRIBUTE_SAMPLES.map((s) => enc.encode(s));
    let compiled = 0;
    for (let i = 0; i < 20000; i++) {
      const len = Math.floor(rand() * 32);
      const bytes = new Uint8Array(len);
      for (let j = 0; j < len; j++) {
        const r = rand();
        bytes[j] = r < 0.02 ? 0 : r < 0.04 ? 0x80 + Math.floor(rand() * 128) : pick(rand, EXPR_ALPHABET);
      }
      const result = compileBoth(bytes);
      if (typeof result === 'number') {
        const cl = cLength(bytes);
        expect(result).toBeGreaterThanOrEqual(0);
        expect(result === 0 || result < cl).toBe(true);
        continue;
      }
      compiled++;
      for (const attr of attrs) expect(matchFilter(result.closure, attr)).toBe(matchFilter(result.stack, attr));
    }
    expect(compiled).toBeGreaterThan(100);
  });

  it('survive random mutations of valid expressions', () => {
    const rand = prng(2);
    const attrs = ATTRIBUTE_SAMPLES.map((s) => enc.encode(s));
    let compiled = 0;
    for (let i = 0; i < 20000; i++) {
      let b = Array.from(enc.encode(pick(rand, SEED_EXPRESSIONS)));
      const mutations = 1 + Math.floor(rand() * 3);
      for (let m = 0; m < mutations; m++) {
        const at = Math.floor(rand() * (b.length + 1));
        const r = rand();
        if (r < 0.3 && b.length > 0) b.splice(Math.min(at, b.length - 1), 1);
        else if (r < 0.6) b.splice(at, 0, pick(rand, EXPR_ALPHABET));
        else if (r < 0.8 && at < b.length) b[at] = pick(rand, EXPR_ALPHABET);
        else {
          const from = Math.floor(rand() * b.length);
          const piece = b.slice(from, from + Math.floor(rand() * 6));
          b = [...b.slice(0, at), ...piece, ...b.slice(at)];
        }
      }
      const bytes = Uint8Array.from(b);
      const result = compileBoth(bytes);
      if (typeof result === 'number') {
        expect(result === 0 || result < cLength(bytes)).toBe(true);
        continue;
      }
      compiled++;
      for (const attr of attrs) expect(matchFilter(result.closure, attr)).toBe(matchFilter(result.stack, attr));
    }
    expect(compiled).toBeGreaterThan(1000);
  });
});

describe('FILTER random attributes', () => {
  const FILTERS = [
    '.a',
    '.a == 1 or .b == "2" or .c == null',
    '"x" in .a or 1 in .a or .a in [1, "x"]',
    '.s > 0 and .t != .s',
    '.x-1 + .2024 >= 0',
    '!.a',
  ];

  it('never throw and agree between engines on random bytes and mutated JSON', () => {
    const rand = prng(3);
    const filters = FILTERS.map((f) => compileBoth(enc.encode(f)));
    const JSONISH = enc.encode('{}[]":,\\ \t\n0123456789-+.eEtruefalsnl abcsx');
    let matched = 0;
    for (let i = 0; i < 10000; i++) {
      let attr: Uint8Array;
      const kind = rand();
      if (kind < 0.2) {
        attr = new Uint8Array(Math.floor(rand() * 48));
        for (let j = 0; j < attr.length; j++) attr[j] = Math.floor(rand() * 256);
      } else if (kind < 0.5) {
        attr = new Uint8Array(Math.floor(rand() * 48));
        for (let j = 0; j < attr.length; j++) attr[j] = pick(rand, JSONISH);
        if (attr.length > 0 && rand() < 0.7) attr[0] = 0x7b;
      } else {
        const b = Array.from(enc.encode(pick(rand, ATTRIBUTE_SAMPLES)));
        const mutations = 1 + Math.floor(rand() * 4);
        for (let m = 0; m < mutations; m++) {
          const at = Math.floor(rand() * (b.length + 1));
          const r = rand();
          if (r < 0.4 && b.length > 0) b.splice(Math.min(at, b.length - 1), 1);
          else if (r < 0.7) b.splice(at, 0, pick(rand, JSONISH));
          else if (at < b.length) b[at] = pick(rand, JSONISH);
          else b.length = Math.floor(rand() * b.length); // truncate
        }
        attr = Uint8Array.from(b);
      }
      // Place the attribute inside a larger buffer to check the window is respected.
      const arena = new Uint8Array(attr.length + 16).fill(0x22);
      arena.set(attr, 8);
      for (const f of filters) {
        if (typeof f === 'number') throw new Error('filter does not compile');
        const a = matchFilter(f.closure, arena, 8, 8 + attr.length);
        const b = matchFilter(f.stack, arena, 8, 8 + attr.length);
        expect(a).toBe(b);
        expect(matchFilter(f.closure, attr)).toBe(a);
        if (a) matched++;
      }
    }
    expect(matched).toBeGreaterThan(100);
  });
});

// ---------------------------------------------------------------------------------------------
// An independent model: random expression trees printed fully parenthesised, random attributes
// built from a model of their fields, and a direct interpreter of spec §9.6 over plain values.

type Val =
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'str'; readonly b: Uint8Array }
  | { readonly t: 'tup'; readonly items: readonly Val[] }
  | { readonly t: 'null' };

type Expr =
  | { readonly k: 'lit'; readonly v: Val; readonly text: string }
  | { readonly k: 'sel'; readonly name: string }
  | { readonly k: 'not'; readonly a: Expr; readonly word: boolean }
  | { readonly k: 'bin'; readonly op: string; readonly a: Expr; readonly b: Expr };

const SELECTORS = ['a', 'b', 'c', 's', 'n', 'x-1', '7'];
const NUMBERS: ReadonlyArray<readonly [string, number]> = [
  ['0', 0],
  ['1', 1],
  ['2', 2],
  ['3', 3],
  ['12', 12],
  ['25', 25],
  ['0.5', 0.5],
  ['1.5', 1.5],
  ['1e3', 1000],
  ['-1', -1],
  ['-2.5', -2.5],
];
const STRINGS: readonly string[] = ['', 'a', 'ab', 'b', '12', ' 12', '12 ', '0x1A', 'abc', 'a"b', "it's", 'x\\y', 'l1\nl2', 'inf', 'nan', '1e3', '1'];
const BINARY_OPS = ['+', '-', '*', '/', '%', '**', '>', '>=', '<', '<=', '==', '!=', 'in', 'and', 'or', '&&', '||'];

function quote(s: string, q: string): string {
  let out = q;
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += '\\n';
    else out += ch;
  }
  return out + q;
}

function randomLiteral(rand: () => number): Expr {
  const r = rand();
  if (r < 0.4) {
    const [text, v] = pick(rand, NUMBERS);
    return { k: 'lit', v: { t: 'num', v }, text };
  }
  if (r < 0.75) {
    const s = pick(rand, STRINGS);
    return { k: 'lit', v: { t: 'str', b: enc.encode(s) }, text: quote(s, rand() < 0.7 ? '"' : "'") };
  }
  if (r < 0.9) {
    const n = Math.floor(rand() * 4);
    const items: Val[] = [];
    const texts: string[] = [];
    for (let i = 0; i < n; i++) {
      const lit = randomLiteral(rand);
      if (lit.k !== 'lit' || (lit.v.t !== 'num' && lit.v.t !== 'str')) {
        i--;
        continue;
      }
      items.push(lit.v);
      texts.push(lit.text);
    }
    return { k: 'lit', v: { t: 'tup', items }, text: '[' + texts.join(', ') + (n > 0 && rand() < 0.2 ? ',' : '') + ']' };
  }
  // `null)` is a syntax error (the run `null)` is not the word null): keep a space after it.
  return { k: 'lit', v: { t: 'null' }, text: 'null ' };
}

function randomExpr(rand: () => number, depth: number): Expr {
  const r = rand();
  if (depth <= 0 || r < 0.25) {
    return rand() < 0.5 ? { k: 'sel', name: pick(rand, SELECTORS) } : randomLiteral(rand);
  }
  if (r < 0.35) return { k: 'not', a: randomExpr(rand, depth - 1), word: rand() < 0.5 };
  return { k: 'bin', op: pick(rand, BINARY_OPS), a: randomExpr(rand, depth - 1), b: randomExpr(rand, depth - 1) };
}

function print(e: Expr): string {
  switch (e.k) {
    case 'lit':
      return e.text;
    case 'sel':
      return '.' + e.name;
    case 'not':
      return (e.word ? 'not ' : '!') + '(' + print(e.a) + ')';
    case 'bin':
      return '(' + print(e.a) + ' ' + e.op + ' ' + print(e.b) + ')';
  }
}

function selectorsOf(e: Expr, out: Set<string>): Set<string> {
  if (e.k === 'sel') out.add(e.name);
  else if (e.k === 'not') selectorsOf(e.a, out);
  else if (e.k === 'bin') {
    selectorsOf(e.a, out);
    selectorsOf(e.b, out);
  }
  return out;
}

/**
 * The numeric value of every string the generators use, as spec §9 defines it (C strtod over the
 * whole string; 0 unless it consumes all of it), written down by hand and checked once against
 * glibc's strtod through Python's ctypes — not computed by the code under test. A string not in
 * the table fails the test, so a new generator string needs its value added here.
 */
const STRING_NUMBERS = new Map<string, number>([
  ['', 0], ['a', 0], ['ab', 0], ['b', 0], ['12', 12], [' 12', 12], ['12 ', 0], ['0x1A', 26], ['abc', 0],
  ['a"b', 0], ["it's", 0], ['x\\y', 0], ['l1\nl2', 0], ['inf', Infinity], ['nan', NaN], ['1e3', 1000], ['1', 1],
  ['New York', 0], ['tt', 0], ['"', 0], ['\\', 0], ['\t', 0],
]);

const dec = new TextDecoder();

function toNum(v: Val): number {
  if (v.t === 'num') return v.v;
  if (v.t === 'str') {
    const text = dec.decode(v.b);
    const n = STRING_NUMBERS.get(text);
    if (n === undefined) throw new Error(`no expected numeric value for the string ${JSON.stringify(text)}: add it to STRING_NUMBERS`);
    return n;
  }
  return 0;
}

function isTrue(v: Val): boolean {
  if (v.t === 'num') return v.v !== 0;
  if (v.t === 'str') return v.b.length > 0;
  return v.t === 'tup';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function eq(a: Val, b: Val): boolean {
  if (a.t === 'str' && b.t === 'str') return sameBytes(a.b, b.b);
  if (a.t === 'num' && b.t === 'num') return a.v === b.v;
  if (a.t === 'null' || b.t === 'null') return a.t === b.t;
  return toNum(a) === toNum(b);
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function evaluate(e: Expr, fields: Map<string, Val>): Val {
  const n = (v: number): Val => ({ t: 'num', v });
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'sel':
      return fields.get(e.name)!;
    case 'not':
      return n(isTrue(evaluate(e.a, fields)) ? 0 : 1);
    case 'bin': {
      const a = evaluate(e.a, fields);
      const b = evaluate(e.b, fields);
      const x = toNum(a);
      const y = toNum(b);
      switch (e.op) {
        case '+':
          return n(x + y);
        case '-':
          return n(x - y);
        case '*':
          return n(x * y);
        case '/':
          return n(x / y);
        case '%':
          return n(x % y);
        case '**':
          return n(x === 1 || (x === -1 && Math.abs(y) === Infinity) ? 1 : x ** y);
        case '>':
          return n(x > y ? 1 : 0);
        case '>=':
          return n(x >= y ? 1 : 0);
        case '<':
          return n(x < y ? 1 : 0);
        case '<=':
          return n(x <= y ? 1 : 0);
        case '==':
          return n(eq(a, b) ? 1 : 0);
        case '!=':
          return n(eq(a, b) ? 0 : 1);
        case 'in':
          if (b.t === 'tup') return n(b.items.some((it) => eq(a, it)) ? 1 : 0);
          if (a.t === 'str' && b.t === 'str') return n(contains(b.b, a.b) ? 1 : 0);
          return n(0);
        case 'and':
        case '&&':
          return n(isTrue(a) && isTrue(b) ? 1 : 0);
        default:
          return n(isTrue(a) || isTrue(b) ? 1 : 0);
      }
    }
  }
}

/** A field's JSON model: plain JS data, or 'object' (not a FILTER value). */
type JsonModel = number | string | boolean | null | JsonModel[] | { readonly object: true };

function randomJson(rand: () => number, depth: number): JsonModel {
  const r = rand();
  if (r < 0.3) return pick(rand, [0, 1, 2, 3, 12, 25, -1, 0.5, 1.5, 1000, 1e21, -0, 123456.789]);
  if (r < 0.6) return pick(rand, STRINGS.concat(['New York', 'tt', '"', '\\', '\t']));
  if (r < 0.7) return pick(rand, [true, false, null]);
  if (r < 0.9 && depth > 0) {
    const n = Math.floor(rand() * 4);
    const out: JsonModel[] = [];
    for (let i = 0; i < n; i++) out.push(randomJson(rand, depth - 1));
    return out;
  }
  return { object: true };
}

function serialize(m: JsonModel): string {
  if (Array.isArray(m)) return '[' + m.map(serialize).join(rand01() ? ', ' : ',') + ']';
  if (m !== null && typeof m === 'object') return '{"k": [1, {"z": "}"}]}';
  return JSON.stringify(m);
}
let toggle = false;
function rand01(): boolean {
  toggle = !toggle;
  return toggle;
}

/** The value a selector yields for a model field, or undefined when the selector fails. */
function modelValue(m: JsonModel): Val | undefined {
  if (typeof m === 'number') return { t: 'num', v: Number(JSON.stringify(m)) };
  if (typeof m === 'string') return { t: 'str', b: enc.encode(m) };
  if (typeof m === 'boolean') return { t: 'num', v: m ? 1 : 0 };
  if (m === null) return { t: 'null' };
  if (Array.isArray(m)) {
    const items: Val[] = [];
    for (const x of m) {
      const v = modelValue(x);
      if (v === undefined) return undefined;
      items.push(v);
    }
    return { t: 'tup', items };
  }
  return undefined;
}

describe('FILTER against an independent interpreter', () => {
  it('random expressions over random attributes agree with the model on both engines', () => {
    const rand = prng(4);
    let matched = 0;
    let failedSelectors = 0;
    for (let i = 0; i < 4000; i++) {
      const expr = randomExpr(rand, 1 + Math.floor(rand() * 5));
      const text = print(expr);
      const both = compileBoth(enc.encode(text));
      if (typeof both === 'number') throw new Error(`does not compile: ${text}`);
      for (let k = 0; k < 4; k++) {
        // A document with a random subset of the selector keys, in random order, sometimes with
        // a later duplicate key that must be ignored.
        const keys = SELECTORS.filter(() => rand() < 0.8).sort(() => rand() - 0.5);
        const model = new Map<string, JsonModel>();
        const parts: string[] = [];
        for (const key of keys) {
          const m = randomJson(rand, 2);
          model.set(key, m);
          parts.push(JSON.stringify(key) + ': ' + serialize(m));
          if (rand() < 0.1) parts.push(JSON.stringify(key) + ': "dup"');
        }
        const doc = (rand() < 0.2 ? ' \n' : '') + '{' + parts.join(rand() < 0.5 ? ', ' : ',') + '}';
        const fields = new Map<string, Val>();
        let ok = true;
        for (const name of selectorsOf(expr, new Set())) {
          const m = model.get(name);
          const v = m === undefined ? undefined : modelValue(m);
          if (v === undefined) ok = false;
          else fields.set(name, v);
        }
        const expected = ok && isTrue(evaluate(expr, fields));
        if (!ok) failedSelectors++;
        if (expected) matched++;
        const attr = enc.encode(doc);
        const got = [matchFilter(both.closure, attr), matchFilter(both.stack, attr)];
        expect({ text, doc, got }).toEqual({ text, doc, got: [expected, expected] });
      }
    }
    expect(matched).toBeGreaterThan(500);
    expect(failedSelectors).toBeGreaterThan(500);
  });
});
