// Evaluation (src/query/secondary-index.ts and its indexes) against a brute-force reference:
// random documents (texts, tags, numbers, missing fields, unparsable numbers), random queries
// built as a tree, printed as query text, parsed, evaluated — and the same tree evaluated
// directly on the documents. Sets must be equal, the per-document matcher must agree, and the
// estimate must bound the count; again after documents are removed, changed and re-added.

import { describe, expect, it } from 'vitest';
import { DocSet, parseCreate, parseQuery, SecondaryIndex } from '../src/query/index.js';
import { NumericIndex } from '../src/query/numeric-index.js';
import { SeqStore, sortByKey } from '../src/query/seq-store.js';
import { rng } from './helpers/rng.js';

const def = parseCreate(
  ('FT.CREATE idx ON HASH PREFIX 1 d: SCHEMA title TEXT body TEXT tags TAG ctags TAG SEPARATOR ; CASESENSITIVE ' +
    'price NUMERIC qty NUMERIC opt TAG INDEXMISSING').split(' ').map((s) => Buffer.from(s)),
);

const WORDS = ['apple', 'banana', 'cherry', 'delta', 'echo', 'fig', 'grape', 'hotel', 'india', 'juliet'];
const TAGS = ['red', 'green', 'blue', 'dark red', 'x-y', 'Teal'];
const CTAGS = ['Aa', 'aa', 'BB', 'c c'];

interface Doc {
  title?: string;
  body?: string;
  tags?: string;
  ctags?: string;
  price?: string;
  qty?: string;
  opt?: string;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomDoc(r: () => number): Doc {
  const d: Doc = {};
  const text = (): string => {
    const n = Math.floor(r() * 8);
    let s = '';
    for (let i = 0; i < n; i++) {
      const w = pick(r, WORDS);
      s += (i > 0 ? pick(r, [' ', ', ', '. ', '-', ' / ', '  ']) : '') + (r() < 0.2 ? w.toUpperCase() : w);
    }
    return s;
  };
  if (r() < 0.85) d.title = text();
  if (r() < 0.85) d.body = text();
  if (r() < 0.8) d.tags = TAGS.filter(() => r() < 0.3).map((t) => (r() < 0.3 ? ` ${t.toUpperCase()} ` : t)).join(pick(r, [',', ', ']));
  if (r() < 0.7) d.ctags = CTAGS.filter(() => r() < 0.35).join(';');
  if (r() < 0.8) d.price = r() < 0.03 ? 'abc' : String(Math.floor(r() * 41) - 20 + (r() < 0.3 ? 0.5 : 0));
  if (r() < 0.8) d.qty = String(Math.floor(r() * 10));
  if (r() < 0.5) d.opt = 'o';
  return d;
}

// ---- the reference -------------------------------------------------------------------------

type Spec =
  | { k: 'term'; field: 'title' | 'body' | null; word: string }
  | { k: 'phrase'; field: 'title' | 'body' | null; words: string[] }
  | { k: 'prefix'; field: 'title' | 'body' | null; p: string }
  | { k: 'tag'; values: string[] }
  | { k: 'ctag'; values: string[] }
  | { k: 'num'; field: 'price' | 'qty'; lo: number; hi: number; loInc: boolean; hiInc: boolean }
  | { k: 'missing' }
  | { k: 'and' | 'or'; children: Spec[] }
  | { k: 'not'; child: Spec };

const tokens = (s: string | undefined): string[] => (s === undefined ? [] : s.toLowerCase().split(/[^a-z0-9]+/).filter((t) => t !== ''));
const textFields = (d: Doc, f: 'title' | 'body' | null): string[][] => (f === null ? [tokens(d.title), tokens(d.body)] : [tokens(d[f])]);

function refMatch(d: Doc, s: Spec): boolean {
  switch (s.k) {
    case 'term':
      return textFields(d, s.field).some((ts) => ts.includes(s.word));
    case 'phrase':
      return textFields(d, s.field).some((ts) => ts.some((_, i) => s.words.every((w, j) => ts[i + j] === w)));
    case 'prefix':
      return textFields(d, s.field).some((ts) => ts.some((t) => t.startsWith(s.p)));
    case 'tag': {
      const tags = (d.tags ?? '').split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
      return s.values.some((v) => tags.includes(v.toLowerCase()));
    }
    case 'ctag': {
      const tags = (d.ctags ?? '').split(';').map((t) => t.trim()).filter((t) => t !== '');
      return s.values.some((v) => tags.includes(v));
    }
    case 'num': {
      const raw = d[s.field];
      if (raw === undefined) return false;
      const v = Number(raw);
      return (s.loInc ? v >= s.lo : v > s.lo) && (s.hiInc ? v <= s.hi : v < s.hi);
    }
    case 'missing':
      return d.opt === undefined;
    case 'and':
      return s.children.every((c) => refMatch(d, c));
    case 'or':
      return s.children.some((c) => refMatch(d, c));
    case 'not':
      return !refMatch(d, s.child);
  }
}

function randomSpec(r: () => number, depth: number): Spec {
  if (depth > 0 && r() < 0.45) {
    const k = pick(r, ['and', 'or', 'not'] as const);
    if (k === 'not') return { k, child: randomSpec(r, depth - 1) };
    return { k, children: Array.from({ length: 2 + Math.floor(r() * 2) }, () => randomSpec(r, depth - 1)) };
  }
  const field = pick(r, ['title', 'body', null] as const);
  switch (Math.floor(r() * 7)) {
    case 0:
      return { k: 'term', field, word: pick(r, WORDS) };
    case 1:
      return { k: 'phrase', field, words: [pick(r, WORDS), pick(r, WORDS)] };
    case 2: {
      const w = pick(r, WORDS);
      return { k: 'prefix', field, p: w.slice(0, 2 + Math.floor(r() * 3)) };
    }
    case 3:
      return { k: 'tag', values: TAGS.filter(() => r() < 0.35).concat(pick(r, TAGS)) };
    case 4:
      return { k: 'ctag', values: [pick(r, CTAGS), pick(r, CTAGS)] };
    case 5: {
      const a = Math.floor(r() * 41) - 20;
      const b = a + Math.floor(r() * 20);
      return { k: 'num', field: pick(r, ['price', 'qty'] as const), lo: r() < 0.15 ? -Infinity : a, hi: r() < 0.15 ? Infinity : b, loInc: r() < 0.6, hiInc: r() < 0.6 };
    }
    default:
      return { k: 'missing' };
  }
}

/**
 * The query text for a spec, escaped the way LangChain's TokenEscaper escapes tag values. Every
 * clause is parenthesised, as the stores do: in the module's grammar a prefix binds tighter than
 * `-` and a field modifier (`-a b*` is `-(a b*)`), which plain juxtaposition would change.
 */
function render(s: Spec, r: () => number): string {
  const out = renderBare(s, r);
  return s.k === 'and' || s.k === 'or' ? out : `(${out})`;
}

function renderBare(s: Spec, r: () => number): string {
  const at = (f: string | null): string => (f === null ? '' : `@${f}:`);
  const esc = (v: string): string => v.replace(/[,.<>{}[\]\\"':;!@#$%^&*()\-+=~/ ]/g, (c) => `\\${c}`);
  const word = (w: string): string => (r() < 0.3 ? w.toUpperCase() : w);
  switch (s.k) {
    case 'term':
      return at(s.field) + word(s.word);
    case 'phrase':
      return `${at(s.field)}"${s.words.map(word).join(' ')}"`;
    case 'prefix':
      return `${at(s.field)}${word(s.p)}*`;
    case 'tag':
      return `@tags:{${s.values.map((v) => (r() < 0.5 ? esc(v) : esc(v.toUpperCase()))).join(' | ')}}`;
    case 'ctag':
      return `@ctags:{${s.values.map(esc).join('|')}}`;
    case 'num': {
      const b = (v: number, inc: boolean): string => (inc ? '' : '(') + (v === Infinity ? '+inf' : v === -Infinity ? '-inf' : String(v));
      return `@${s.field}:[${b(s.lo, s.loInc)} ${b(s.hi, s.hiInc)}]`;
    }
    case 'missing':
      return 'ismissing(@opt)';
    // Pairs, nested, as LangChain writes them: the module rejects some flat mixes of
    // words and fields under one OR (`a | b | @t:{x}`).
    case 'and':
      return s.children.map((c) => render(c, r)).reduce((acc, c) => `(${acc} ${c})`);
    case 'or':
      return s.children.map((c) => render(c, r)).reduce((acc, c) => `(${acc} | ${c})`);
    case 'not':
      return `-(${render(s.child, r)})`;
  }
}

function fields(d: Doc): Map<string, Buffer> {
  return new Map(Object.entries(d).map(([k, v]) => [k, Buffer.from(v as string)]));
}

describe('evaluation against a brute-force reference', () => {
  for (const seed of [1, 2, 3]) {
    it(`random documents and queries, with updates (seed ${seed})`, () => {
      const r = rng(seed);
      const idx = new SecondaryIndex(def);
      const docs = new Map<number, Doc>();
      const N = 400;
      const put = (id: number, d: Doc): void => {
        const res = idx.add(id, fields(d));
        const bad = d.price === 'abc';
        expect(res.ok).toBe(!bad);
        if (!bad) docs.set(id, d);
        else {
          expect(res).toEqual({ ok: false, field: 'price', message: "Invalid numeric value: 'abc'" });
          docs.delete(id);
        }
      };
      for (let id = 0; id < N; id++) put(id * 3, randomDoc(r));

      const check = (rounds: number): void => {
        for (let i = 0; i < rounds; i++) {
          const spec = randomSpec(r, 3);
          const text = render(spec, r);
          let parsed: ReturnType<typeof parseQuery>;
          try {
            parsed = parseQuery(Buffer.from(text), def, {});
          } catch (e) {
            throw new Error(`${text}: ${String(e)}`);
          }
          const got = idx.evaluate(parsed.root);
          const want: number[] = [];
          for (const [id, d] of docs) if (refMatch(d, spec)) want.push(id);
          want.sort((a, b) => a - b);
          expect(Array.from(got.toArray()), text).toEqual(want);
          expect(idx.estimate(parsed.root), text).toBeGreaterThanOrEqual(want.length);
          const m = idx.matcher(parsed.root);
          for (let id = 0; id < N * 3 + 3; id++) {
            if (m(id) !== got.has(id)) throw new Error(`matcher disagrees on ${id} for ${text}`);
          }
        }
      };
      check(150);
      // Remove some, change some (same ids, new values), add new ids.
      for (let id = 0; id < N * 3; id += 3) {
        const x = r();
        if (x < 0.2) {
          idx.remove(id);
          docs.delete(id);
        } else if (x < 0.4) put(id, randomDoc(r));
      }
      for (let id = 1; id < 150; id += 3) put(id, randomDoc(r));
      expect(idx.size).toBe(docs.size);
      check(150);
    });
  }
});

describe('DocSet', () => {
  it('AND, OR and AND-NOT agree with Set for sparse and dense sets', () => {
    const r = rng(11);
    const U = 5000;
    const make = (p: number): [DocSet, Set<number>] => {
      const s = new Set<number>();
      for (let i = 0; i < U; i++) if (r() < p) s.add(i);
      const ids = Uint32Array.from(s);
      // Shuffle and repeat some ids: fromUnsorted must cope.
      const arr = Uint32Array.from([...ids, ...ids.slice(0, 5)].sort(() => r() - 0.5));
      return [DocSet.fromUnsorted(arr, U), s];
    };
    for (let i = 0; i < 200; i++) {
      const [a, sa] = make(pick(r, [0.001, 0.01, 0.1, 0.5]));
      const [b, sb] = make(pick(r, [0.001, 0.01, 0.1, 0.5]));
      const sorted = (s: Iterable<number>): number[] => [...s].sort((x, y) => x - y);
      expect(Array.from(a.and(b).toArray())).toEqual(sorted([...sa].filter((x) => sb.has(x))));
      expect(Array.from(a.or(b).toArray())).toEqual(sorted(new Set([...sa, ...sb])));
      expect(Array.from(a.andNot(b).toArray())).toEqual(sorted([...sa].filter((x) => !sb.has(x))));
      expect(a.size).toBe(sa.size);
      const seen: number[] = [];
      a.forEach((x) => seen.push(x));
      expect(seen).toEqual(sorted(sa));
    }
  });
});

describe('SeqStore and sortByKey', () => {
  it('per-document lists survive replacement, removal and compaction', () => {
    const r = rng(9);
    const store = new SeqStore();
    const truth = new Map<number, number[]>();
    for (let i = 0; i < 20000; i++) {
      const id = Math.floor(r() * 500);
      if (r() < 0.3) {
        store.remove(id);
        truth.delete(id);
      } else {
        const list = Array.from({ length: Math.floor(r() * 9) }, () => Math.floor(r() * 1e6));
        store.set(id, list);
        if (list.length > 0) truth.set(id, list);
        else truth.delete(id);
      }
    }
    for (let id = 0; id < 500; id++) expect(store.get(id) && Array.from(store.get(id)!)).toEqual(truth.get(id));
    expect(store.size).toBe(truth.size);
  });

  it('sorts ids by their keys, negatives, zeros and infinities included', () => {
    const r = rng(4);
    const keys = Float64Array.from({ length: 3000 }, () =>
      r() < 0.2 ? pick(r, [-Infinity, Infinity, 0, -0, 1e-300, -1e300, 5e-324]) : r() < 0.5 ? Math.floor((r() - 0.5) * 1e6) : (r() - 0.5) * 1e6);
    const ids = Uint32Array.from({ length: keys.length }, (_, i) => i);
    const want = Array.from(ids).sort((a, b) => keys[a]! - keys[b]! || 0).map((i) => keys[i]);
    const k = Float64Array.from(keys);
    sortByKey(k, ids);
    expect(Array.from(k)).toEqual(want);
    for (let i = 0; i < ids.length; i++) expect(keys[ids[i]!]).toBe(k[i]);
  });
});

describe('NumericIndex', () => {
  it('ranges stay exact through many changes, across merges of its pending part', () => {
    const r = rng(5);
    const idx = new NumericIndex();
    const truth = new Map<number, number>();
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 400; i++) {
        const id = Math.floor(r() * 3000);
        if (r() < 0.25) {
          idx.remove(id);
          truth.delete(id);
        } else {
          const v = Math.floor(r() * 100) - 50 + (r() < 0.1 ? Infinity : 0);
          idx.set(id, v);
          truth.set(id, v);
        }
      }
      for (let k = 0; k < 10; k++) {
        const lo = Math.floor(r() * 120) - 60;
        const hi = lo + Math.floor(r() * 60);
        const li = r() < 0.5;
        const hiInc = r() < 0.5;
        const want = [...truth].filter(([, v]) => (li ? v >= lo : v > lo) && (hiInc ? v <= hi : v < hi)).map(([id]) => id).sort((a, b) => a - b);
        expect(Array.from(idx.range(lo, hi, li, hiInc, 4096).toArray())).toEqual(want);
        expect(idx.estimate(lo, hi, li, hiInc)).toBeGreaterThanOrEqual(want.length);
      }
      expect(idx.size).toBe(truth.size);
    }
  });
});

describe('evaluation of the other query shapes', () => {
  const d2 = parseCreate(
    ('FT.CREATE i SCHEMA t TEXT tg TAG INDEXEMPTY n NUMERIC g GEO v VECTOR FLAT 6 TYPE FLOAT32 DIM 2 DISTANCE_METRIC L2 ' +
      'e TEXT INDEXEMPTY').split(' ').map((s) => Buffer.from(s)),
  );
  const idx = new SecondaryIndex(d2);
  const rows: Array<Record<string, string | Buffer>> = [
    /* 0 */ { t: 'Running runners ran', tg: 'Alpha,beta', n: '1', g: '2.35,48.86' },
    /* 1 */ { t: 'hello\nworld, hell-o', tg: 'alphabet', n: 'inf', g: '-0.13 51.51' },
    /* 2 */ { t: 'the end of the road', tg: '', n: '-1e2', e: '' },
    /* 3 */ { t: 'escaped a\\,b stays', tg: 'Beta ,, gamma ', g: '2.29,48.86' },
  ];
  rows.forEach((row, id) => {
    const res = idx.add(id, new Map(Object.entries(row).map(([k, v]) => [k, Buffer.from(v)])));
    expect(res.ok).toBe(true);
  });
  const ids = (text: string, params: Record<string, Buffer> = {}): number[] =>
    Array.from(idx.evaluate(parseQuery(Buffer.from(text), d2, { params: new Map(Object.entries(params)) }).root, {
      vectorRange: () => DocSet.fromSorted(Uint32Array.of(1, 3)),
    }).toArray());

  it('affixes, fuzzy and patterns over terms', () => {
    expect(ids('runn*')).toEqual([0]);
    expect(ids('*ers')).toEqual([0]);
    expect(ids('*unne*')).toEqual([0]);
    expect(ids('%rann%')).toEqual([0]);
    expect(ids('%%helo%%')).toEqual([1]);
    expect(ids("w'r?n'")).toEqual([0]);
    expect(ids("w'*oa*'")).toEqual([2]);
  });

  it('tokenizer details: control bytes join words, escaped separators stay, stopwords are skipped in positions', () => {
    expect(ids('helloworld')).toEqual([1]);
    expect(ids('hello')).toEqual([]);
    expect(ids('hell')).toEqual([1]);
    expect(ids('a\\,b')).toEqual([3]);
    expect(ids('"end road"')).toEqual([2]); // "of the" took no position
    expect(ids('"end of road"')).toEqual([]); // and is not in the index
  });

  it('tags: prefixes, suffixes, case folding, trimming, INDEXEMPTY', () => {
    expect(ids('@tg:{alpha}')).toEqual([0]);
    expect(ids('@tg:{alph*}')).toEqual([0, 1]);
    expect(ids('@tg:{*ta}')).toEqual([0, 3]);
    expect(ids('@tg:{GAMMA}')).toEqual([3]);
    expect(ids('@tg:{""}')).toEqual([2]);
    expect(ids('@e:""')).toEqual([2]);
    expect(ids('@tg:{a*}')).toEqual([]); // a one-byte prefix matches nothing
  });

  it('numbers, geo, vector ranges through the hook, NOT and the universe', () => {
    expect(ids('@n:[-inf +inf]')).toEqual([0, 1, 2]);
    expect(ids('@n:[(1 +inf]')).toEqual([1]);
    expect(ids('@g:[2.3 48.86 10 km]')).toEqual([0, 3]);
    expect(ids('@g:[2.3 48.86 3 km]')).toEqual([3]);
    expect(ids('-@g:[2.3 48.86 3 km]')).toEqual([0, 1, 2]);
    expect(ids('@v:[VECTOR_RANGE 1 $b] @n:[1 +inf]', { b: Buffer.alloc(8) })).toEqual([1]);
    expect(idx.matcher(parseQuery(Buffer.from('-@n:[1 1]'), d2).root)(99)).toBe(false);
  });

  it('documents that cannot be indexed are left out, with the module\'s reason', () => {
    const put = (row: Record<string, string>): unknown => idx.add(9, new Map(Object.entries(row).map(([k, v]) => [k, Buffer.from(v)])));
    expect(put({ t: 'x', n: ' 1' })).toEqual({ ok: false, field: 'n', message: "Invalid numeric value: ' 1'" });
    expect(put({ v: 'abc' })).toEqual({ ok: false, field: 'v', message: 'Could not add vector with blob size 3 (expected size 8)' });
    expect(put({ g: '1' })).toEqual({ ok: false, field: 'g', message: 'Invalid geo string' });
    expect(put({ g: '0,89' })).toEqual({ ok: false, field: 'g', message: 'Invalid geo coordinates: 0.000000, 89.000000' });
    expect(idx.has(9)).toBe(false);
    expect(put({ t: 'zzz', n: '0x10' })).toEqual({ ok: true });
    expect(ids('@n:[16 16]')).toEqual([9]);
    idx.remove(9);
    expect(ids('zzz')).toEqual([]);
  });
});

describe('robustness', () => {
  it('random field bytes are indexed or refused, never thrown on', () => {
    const d3 = parseCreate(
      'FT.CREATE i SCHEMA t TEXT INDEXEMPTY g TAG INDEXEMPTY n NUMERIC p GEO v VECTOR HNSW 6 TYPE FLOAT32 DIM 1 DISTANCE_METRIC IP'
        .split(' ').map((s) => Buffer.from(s)),
    );
    const idx = new SecondaryIndex(d3);
    const r = rng(21);
    for (let i = 0; i < 3000; i++) {
      const f = new Map<string, Buffer>();
      for (const name of ['t', 'g', 'n', 'p', 'v']) {
        if (r() < 0.7) f.set(name, Buffer.from(Array.from({ length: Math.floor(r() * 12) }, () => Math.floor(r() * 256))));
      }
      const res = idx.add(Math.floor(r() * 200), f);
      expect(typeof res.ok).toBe('boolean');
    }
    const q = parseQuery(Buffer.from('-@g:{x*}'), d3);
    expect(idx.evaluate(q.root).size).toBeLessThanOrEqual(idx.size);
  });
});
