// The query parser: scanner tokens through the Lemon-style tables (lalr.ts, grammar.ts), with the
// grammar's actions written after RediSearch's parser.y. Actions check fields against the index
// definition as they are reduced, so "Unknown field" and "Expected a TAG field" come out at the
// same point of the query as in the module, and only the first error counts.

import { argText, QueryError, type QueryErrorCode } from './errors.js';
import { buildTables, LemonParser, type ParseTables } from './lalr.js';
import { QUERY_GRAMMAR } from './grammar.js';
import { QT, scanQuery, TEXT_NULL, TK, type Tok } from './lexer.js';
import { formatFixed6, parseDoubleFF } from './numbers.js';
import { FIELDMASK_ALL, newNode, ParamType, setFieldMask, TextFieldBits, type PNode, type PParam, type ParamTarget, type VecParam } from './parse-tree.js';
import type { FieldSpec, IndexDefinition } from './schema.js';
import { isPunct, isSpace, lowerBytes, phraseTermBytes, normalizeBytes, unescapeBytes } from './tokenizer.js';

interface FieldName {
  tok: Tok;
  fs: FieldSpec | null;
}

interface Attr {
  name: Uint8Array;
  value: Uint8Array;
}

type Sem =
  | { k: 'tok'; t: Tok }
  | { k: 'node'; n: PNode | null }
  | { k: 'field'; f: FieldName }
  | { k: 'fields'; list: FieldName[] | null }
  | { k: 'attr'; a: Attr }
  | { k: 'attrs'; list: Attr[] | null }
  | { k: 'vattr'; a: VecParam }
  | { k: 'vattrs'; list: VecParam[] }
  | { k: 'none' };

const NONE: Sem = { k: 'none' };

function internal(): never {
  throw new Error('query parser: value of an unexpected kind');
}
function T(v: Sem): Tok {
  return v.k === 'tok' ? v.t : internal();
}
function N(v: Sem): PNode | null {
  return v.k === 'node' ? v.n : internal();
}
function F(v: Sem): FieldName {
  return v.k === 'field' ? v.f : internal();
}
function node(n: PNode | null): Sem {
  return { k: 'node', n };
}
function tokSem(t: Tok, type?: number, sign?: number): Sem {
  return { k: 'tok', t: { ...t, type: type ?? t.type, sign: sign ?? t.sign } };
}

export interface ParseOptions {
  /** Stopwords dropped from the query (none with FT.SEARCH … NOSTOPWORDS). */
  readonly stopwords: ReadonlySet<string> | null;
  /** PARAMS, for the values of attributes (`=>{$weight: $w}`), which are read while parsing. */
  readonly params: ReadonlyMap<string, Uint8Array> | null;
}

export interface ParseResult {
  /** The query tree; null for an empty query (or one of stopwords only). */
  readonly root: PNode | null;
  readonly bits: TextFieldBits;
}

let tables: ParseTables | null = null;

/** Parses a DIALECT 2 query against an index definition. Throws QueryError. */
export function parseTree(query: Uint8Array, def: IndexDefinition, opts: ParseOptions): ParseResult {
  tables ??= buildTables(QUERY_GRAMMAR);
  const nul = query.indexOf(0);
  // The query is read as a C string, and the parser edits it in place (field-name escapes).
  const q = Uint8Array.from(nul < 0 ? query : query.subarray(0, nul));
  const ctx = new ParseContext(q, def, opts);
  const parser = new LemonParser<Sem>(tables, (rule, rhs) => ctx.reduce(rule, rhs), NONE);
  scanQuery(q, (major, tok) => {
    const step = parser.feed(major, { k: 'tok', t: tok });
    if (step === 'error') ctx.syntaxError(tok);
    else if (step === 'overflow') ctx.fail('SYNTAX', 'Parser stack overflow. Try moving nested parentheses more to the left');
    return ctx.error === null && step !== 'error' && step !== 'overflow';
  });
  if (ctx.error !== null) throw ctx.error;
  return { root: ctx.root, bits: ctx.bits };
}

class ParseContext {
  error: QueryError | null = null;
  root: PNode | null = null;
  readonly bits: TextFieldBits;
  private readonly actions: ReadonlyArray<(r: readonly Sem[]) => Sem>;

  constructor(
    readonly q: Uint8Array,
    readonly def: IndexDefinition,
    readonly opts: ParseOptions,
  ) {
    this.bits = new TextFieldBits(def);
    this.actions = makeActions(this);
  }

  reduce(rule: number, rhs: readonly Sem[]): Sem {
    return this.actions[rule]!(rhs);
  }

  /** First error wins, as QueryError_SetError does. */
  fail(code: QueryErrorCode, detail: string): void {
    this.error ??= new QueryError(code, detail);
  }

  /** The bytes a token points at, as rm_strndup copies them (stopping at the query's end). */
  text(t: Tok): Uint8Array {
    if (t.s < 0) return new Uint8Array(0);
    return this.q.subarray(t.s, Math.min(this.q.length, t.s + Math.max(0, t.len)));
  }

  syntaxError(t: Tok): void {
    this.fail('SYNTAX', `Syntax error at offset ${t.pos} near ${argText(this.text(t))}`);
  }

  /** reportSyntaxError: how much of the token the message shows depends on its type. */
  report(t: Tok, msg: string): void {
    if (t.type === QT.TERM || t.type === QT.TERM_CASE) this.fail('SYNTAX', `${msg} at offset ${t.pos} near ${argText(this.text(t))}`);
    else if (t.type === QT.NUMERIC) this.fail('SYNTAX', `${msg} at offset ${t.pos} near ${formatFixed6(t.numval)}`);
    else this.fail('SYNTAX', `${msg} at offset ${t.pos}`);
  }

  wrongType(f: FieldName, type: string): void {
    this.report(f.tok, `Expected a ${type} field`);
  }

  lookupField(t: Tok): FieldSpec | null {
    const name = Buffer.from(this.text(t)).toString('latin1');
    return this.def.fields.find((f) => f.name === name) ?? null;
  }

  isStopword(b: Uint8Array): boolean {
    const sw = this.opts.stopwords;
    return sw !== null && sw.size > 0 && sw.has(lowerBytes(b));
  }

  /** QueryNode_SetParam: a literal token fills the target now, a $param is resolved later. */
  setParam(n: PNode, target: ParamTarget, t: Tok, paramType?: ParamType): void {
    switch (t.type) {
      case QT.TERM:
        setStr(n, target, normalizeBytes(this.text(t)));
        return;
      case QT.TERM_CASE:
      case QT.WILDCARD:
        setStr(n, target, Uint8Array.from(this.text(t)));
        return;
      case QT.NUMERIC:
        setNum(n, target, t.numval);
        return;
      case QT.SIZE:
        setNum(n, target, Math.trunc(t.numval));
        return;
    }
    const type = paramType ?? PARAM_OF_TOKEN[t.type];
    if (type === undefined) internal();
    const raw = this.text(t);
    const nul = raw.indexOf(0);
    const name = Buffer.from(nul < 0 ? raw : raw.subarray(0, nul)).toString('latin1');
    n.params.push({ type, name, sign: t.sign, target } satisfies PParam);
  }

  /** NewTokenNode_WithParams. */
  tokenNode(t: Tok): PNode {
    const n = newNode('TOKEN');
    if (t.type === QT.TERM) n.str = normalizeBytes(this.text(t));
    else if (t.type === QT.TERM_CASE || t.type === QT.NUMERIC || t.type === QT.SIZE) {
      n.str = Uint8Array.from(this.text(t));
      if (t.type !== QT.TERM_CASE) n.verbatim = true;
    } else this.setParam(n, 'str', t);
    return n;
  }

  prefixNode(t: Tok, prefix: boolean, suffix: boolean): PNode {
    const n = newNode('PREFIX');
    n.prefix = prefix;
    n.suffix = suffix;
    if (t.type === QT.TERM) n.str = Uint8Array.from(unescapeBytes(this.text(t)));
    else this.setParam(n, 'str', t, ParamType.TERM);
    return n;
  }

  fuzzyNode(t: Tok, maxDist: number): PNode {
    const n = newNode('FUZZY');
    n.maxDist = maxDist;
    if (t.type === QT.TERM || t.type === QT.NUMERIC || t.type === QT.SIZE) n.str = normalizeBytes(this.text(t));
    else this.setParam(n, 'str', t, ParamType.TERM);
    return n;
  }

  /** NewNumericFilterQueryParam_WithParams + NewNumericNode; a null bound is infinite. */
  numericNode(field: FieldSpec | null, min: Tok | null, max: Tok | null, incMin: boolean, incMax: boolean): PNode {
    const n = newNode('NUMERIC');
    n.field = field;
    n.minInclusive = incMin;
    n.maxInclusive = incMax;
    if (min !== null) this.setParam(n, 'min', min);
    else n.min = -Infinity;
    if (max !== null) this.setParam(n, 'max', max);
    else n.max = Infinity;
    return n;
  }

  vectorNode(knn: boolean, value: Tok, vec: Tok): PNode {
    const n = newNode('VECTOR');
    n.knn = knn;
    n.yieldsDistance = true;
    this.setParam(n, 'vector', vec, ParamType.VEC);
    this.setParam(n, knn ? 'k' : 'radius', value);
    return n;
  }

  /** QueryNode_ApplyAttributes: stops at the first attribute it refuses. */
  applyAttributes(n: PNode, attrs: readonly Attr[]): void {
    for (const a of attrs) if (!this.applyAttribute(n, a)) return;
  }

  private applyAttribute(n: PNode, a: Attr): boolean {
    const name = Buffer.from(a.name).toString('latin1');
    const value = Buffer.from(cstrBytes(a.value)).toString('latin1');
    const invalid = (): false => {
      this.fail('SYNTAX', `Invalid value (${argText(a.value)}) for \`${argText(name)}\``);
      return false;
    };
    if (a.value.length === 0) return invalid();
    const lname = name.toLowerCase();
    if (lname === 'slop') {
      const s = parseStrtoll(value);
      if (s === null || s < -1) return invalid();
      n.maxSlop = s;
    } else if (lname === 'inorder' || lname === 'phonetic') {
      const b = parseBoolean(value);
      if (b === null) return invalid();
      if (lname === 'inorder') n.inOrder = b;
    } else if (lname === 'weight') {
      const d = parseDoubleFF(value);
      if (d === null || !(d >= 0)) return invalid();
      n.weight = d;
    } else if (lname === 'yield_distance_as' && n.yieldsDistance) {
      n.distField = a.value;
    } else if (n.type === 'VECTOR' && lname === 'shard_k_ratio') {
      const r = parseDoubleFF(value);
      if (r === null) {
        this.fail('INVAL', `Invalid shard k ratio value '${argText(value)}'`);
        return false;
      }
      if (!(r > 0 && r <= 1)) {
        this.fail('INVAL', `Invalid shard k ratio value: Shard k ratio must be greater than 0 and at most 1 (got ${formatG(r)})`);
        return false;
      }
      n.shardKRatio = r;
    } else if (n.type === 'VECTOR' && ['ef_runtime', 'epsilon', 'hybrid_policy', 'batch_size', 'rerank'].includes(lname)) {
      n.vecParams.push({ name: a.name, value: a.value, needResolve: false });
    } else {
      this.fail('NO_OPTION', `Invalid attribute ${argText(name)}`);
      return false;
    }
    return true;
  }
}

const PARAM_OF_TOKEN: Partial<Record<number, ParamType>> = {
  [QT.PARAM_TERM]: ParamType.TERM,
  [QT.PARAM_TERM_CASE]: ParamType.TERM_CASE,
  [QT.PARAM_NUMERIC]: ParamType.NUMERIC,
  [QT.PARAM_SIZE]: ParamType.SIZE,
  [QT.PARAM_NUMERIC_MIN_RANGE]: ParamType.NUMERIC_MIN_RANGE,
  [QT.PARAM_NUMERIC_MAX_RANGE]: ParamType.NUMERIC_MAX_RANGE,
  [QT.PARAM_GEO_COORD]: ParamType.GEO_COORD,
  [QT.PARAM_GEO_UNIT]: ParamType.GEO_UNIT,
  [QT.PARAM_VEC]: ParamType.VEC,
  [QT.PARAM_WILDCARD]: ParamType.WILDCARD,
};

function setStr(n: PNode, target: ParamTarget, v: Uint8Array): void {
  if (target === 'str') n.str = v;
  else if (target === 'vector') n.vector = v;
  else if (target === 'unit') n.unit = v;
  else if (target === 'scoreField') n.scoreField = v;
  else internal();
}

function setNum(n: PNode, target: ParamTarget, v: number): void {
  if (target === 'min') n.min = v;
  else if (target === 'max') n.max = v;
  else if (target === 'k') n.k = v;
  else if (target === 'radius') n.radius = v;
  else if (target === 'lon') n.lon = v;
  else if (target === 'lat') n.lat = v;
  else internal();
}

function cstrBytes(b: Uint8Array): Uint8Array {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

/** strtoll over the whole string (leading blanks and a sign allowed), as ParseInteger. */
export function parseStrtoll(s: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s);
  if (m === null) return null;
  const v = Number(m[1]);
  return Math.abs(v) > 9223372036854775807 ? null : v;
}

function parseBoolean(s: string): boolean | null {
  const l = s.toLowerCase();
  if (l === 'true' || l === '1') return true;
  if (l === 'false' || l === '0') return false;
  return null;
}

/** C's "%g". */
export function formatG(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = n.toExponential(5).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const ev = Number(e);
    return `${mant}e${ev < 0 ? '-' : '+'}${String(Math.abs(ev)).padStart(2, '0')}`;
  }
  const s = n.toPrecision(6);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** intersection_step: merge into an existing plain intersection when one side is one. */
function intersectionStep(b: PNode | null, c: PNode | null): PNode | null {
  if (b === null || c === null) return b ?? c;
  const plain = (x: PNode): boolean => x.type === 'PHRASE' && !x.exact && x.fieldMask === FIELDMASK_ALL;
  let a: PNode;
  let child: PNode;
  if (plain(b)) {
    a = b;
    child = c;
  } else if (plain(c)) {
    a = c;
    child = b;
  } else {
    a = newNode('PHRASE');
    a.children.push(b);
    child = c;
  }
  a.children.push(child);
  return a;
}

/** union_step: the same for unions. */
function unionStep(b: PNode | null, c: PNode | null): PNode | null {
  if (b === null || c === null) return b ?? c;
  const plain = (x: PNode): boolean => x.type === 'UNION' && x.fieldMask === FIELDMASK_ALL;
  let a: PNode;
  let child: PNode;
  if (plain(b)) {
    a = b;
    child = c;
  } else if (plain(c)) {
    a = c;
    child = b;
  } else {
    a = newNode('UNION');
    a.children.push(b);
    child = c;
  }
  a.children.push(child);
  return a;
}

/** not_step: -(-x) is x. */
function notStep(c: PNode | null): PNode | null {
  if (c === null) return null;
  if (c.type === 'NOT') return c.children[0]!;
  const n = newNode('NOT');
  n.children.push(c);
  return n;
}

function isField(f: FieldName, type: FieldSpec['type']): boolean {
  return f.fs !== null && f.fs.type === type;
}

/** The grammar's actions, one per rule of grammar.ts, in the same order. */
function makeActions(ctx: ParseContext): Array<(r: readonly Sem[]) => Sem> {
  const pass = (r: readonly Sem[]): Sem => r[0]!;
  const and = (r: readonly Sem[]): Sem => node(intersectionStep(N(r[0]!), N(r[1]!)));
  const or = (r: readonly Sem[]): Sem => node(unionStep(N(r[0]!), N(r[2]!)));
  const attrs = (r: readonly Sem[]): Sem => {
    const b = N(r[0]!);
    const c = r[3]!;
    if (c.k !== 'attrs') internal();
    if (b !== null && c.list !== null) ctx.applyAttributes(b, c.list);
    return node(b);
  };
  const hybrid = (withAttrs: boolean, filterIsStar: boolean) => (r: readonly Sem[]): Sem => {
    const b = N(r[3]!);
    ctx.root = b;
    if (b !== null && withAttrs) {
      const c = r[7]!;
      if (c.k !== 'attrs') internal();
      if (c.list !== null) ctx.applyAttributes(b, c.list);
    }
    const a = filterIsStar ? null : N(r[0]!);
    if (b !== null && a !== null) b.children.push(a);
    return NONE;
  };
  const tagItem = (r: readonly Sem[], i: number): PNode => {
    const v = r[i]!;
    return v.k === 'tok' ? ctx.tokenNode(v.t) : (N(v) ?? internal());
  };
  const tagList = (r: readonly Sem[]): Sem => {
    const n = newNode('PHRASE');
    n.children.push(tagItem(r, 0));
    return node(n);
  };
  const tagMore = (r: readonly Sem[]): Sem => {
    const b = N(r[0]!) ?? internal();
    b.children.push(tagItem(r, 2));
    return node(b);
  };
  const range = (incMin: boolean, incMax: boolean) => (r: readonly Sem[]): Sem => {
    const b = T(r[1]!);
    const c = T(r[2]!);
    const min = b.type === QT.PARAM_NUMERIC ? { ...b, type: QT.PARAM_NUMERIC_MIN_RANGE } : b;
    const max = c.type === QT.PARAM_NUMERIC ? { ...c, type: QT.PARAM_NUMERIC_MAX_RANGE } : c;
    return node(ctx.numericNode(null, min, max, incMin, incMax));
  };
  const compare = (kind: 'NE' | 'EQ' | 'GT' | 'GE' | 'LT' | 'LE') => (r: readonly Sem[]): Sem => {
    const b = F(r[0]!);
    const c = T(r[2]!);
    if (!isField(b, 'NUMERIC')) {
      ctx.wrongType(b, 'NUMERIC');
      return node(null);
    }
    if (kind === 'NE') return node(notStep(ctx.numericNode(b.fs, c, c, true, true)));
    if (kind === 'EQ') return node(ctx.numericNode(b.fs, c, c, true, true));
    if (kind === 'GT' || kind === 'GE') return node(ctx.numericNode(b.fs, c, null, kind === 'GE', true));
    return node(ctx.numericNode(b.fs, null, c, true, kind === 'LE'));
  };
  const modifierList = (first: boolean) => (r: readonly Sem[]): Sem => {
    const c = T(r[2]!);
    let list: FieldName[] | null;
    if (first) {
      const b = F(r[0]!);
      if (!isField(b, 'TEXT')) {
        ctx.wrongType(b, 'TEXT');
        return { k: 'fields', list: null };
      }
      list = [b];
    } else {
      const v = r[0]!;
      list = v.k === 'fields' ? v.list : internal();
    }
    const second: FieldName = { tok: c, fs: ctx.lookupField(c) };
    if (second.fs === null) {
      ctx.report(c, 'Unknown field');
      return { k: 'fields', list: null };
    }
    if (!isField(second, 'TEXT')) {
      ctx.wrongType(second, 'TEXT');
      return { k: 'fields', list: null };
    }
    return { k: 'fields', list: list === null ? null : [...list, second] };
  };
  const fuzzy = (i: number, d: number) => (r: readonly Sem[]): Sem => node(ctx.fuzzyNode(T(r[i]!), d));
  const retype = (type: number) => (r: readonly Sem[]): Sem => tokSem(T(r[0]!), type);

  return [
    /* 0 query ::= expr */ (r) => ((ctx.root = N(r[0]!)), NONE),
    /* 1 query ::= */ () => ((ctx.root = null), NONE),
    /* 2 query ::= star */ () => ((ctx.root = newNode('WILDCARD')), NONE),
    /* 3 star ::= STAR */ () => NONE,
    /* 4 star ::= LP star RP */ () => NONE,
    /* 5 expr ::= text_expr */ pass,
    /* 6 expr ::= expr expr */ and,
    /* 7 expr ::= text_expr expr */ and,
    /* 8 expr ::= expr text_expr */ and,
    /* 9 text_expr ::= text_expr text_expr */ and,
    /* 10 expr ::= union */ pass,
    /* 11-14 union ::= … OR … */ or, or, or, or,
    /* 15 text_expr ::= text_union */ pass,
    /* 16-17 text_union ::= … OR … */ or, or,
    /* 18 expr ::= modifier COLON text_expr */ (r) => {
      const b = F(r[0]!);
      const c = N(r[2]!);
      if (!isField(b, 'TEXT')) {
        ctx.wrongType(b, 'TEXT');
        return node(null);
      }
      if (c === null) return node(null);
      setFieldMask(c, ctx.bits.bit(b.fs));
      return node(c);
    },
    /* 19 expr ::= modifierlist COLON text_expr */ (r) => {
      const b = r[0]!;
      const c = N(r[2]!);
      if (b.k !== 'fields') internal();
      if (c === null) return node(null);
      let mask = 0n;
      for (const f of b.list ?? []) mask |= ctx.bits.bit(f.fs);
      setFieldMask(c, mask);
      return node(c);
    },
    /* 20 expr ::= LP expr RP */ (r) => r[1]!,
    /* 21 text_expr ::= LP text_expr RP */ (r) => r[1]!,
    /* 22 attribute ::= ATTRIBUTE COLON param_term */ (r) => {
      const b = T(r[0]!);
      const c = T(r[2]!);
      let value: Uint8Array = Uint8Array.from(cstrBytes(ctx.text(c)));
      if (c.type === QT.PARAM_TERM) {
        const name = Buffer.from(value).toString('latin1');
        const found = ctx.opts.params?.get(name);
        if (found !== undefined) value = found;
        else ctx.fail('NO_PARAM', `Parameter not found \`${argText(name)}\``);
      }
      return { k: 'attr', a: { name: Uint8Array.from(ctx.text(b)), value } };
    },
    /* 23 attribute_list ::= attribute */ (r) => ({ k: 'attrs', list: [r[0]!.k === 'attr' ? r[0]!.a : internal()] }),
    /* 24 attribute_list ::= attribute_list SEMICOLON attribute */ (r) => {
      const b = r[0]!;
      const c = r[2]!;
      if (b.k !== 'attrs' || c.k !== 'attr') internal();
      return { k: 'attrs', list: [...(b.list ?? []), c.a] };
    },
    /* 25 attribute_list ::= attribute_list SEMICOLON */ pass,
    /* 26 attribute_list ::= */ () => ({ k: 'attrs', list: null }),
    /* 27 expr ::= expr ARROW LB attribute_list RB */ attrs,
    /* 28 text_expr ::= text_expr ARROW LB attribute_list RB */ attrs,
    /* 29 text_expr ::= EXACT */ (r) => {
      const a = newNode('PHRASE');
      for (const t of phraseTermBytes(cstrBytes(ctx.text(T(r[0]!))))) {
        const c = newNode('TOKEN');
        c.str = t;
        a.children.push(c);
      }
      a.exact = true;
      a.verbatim = true;
      return node(a);
    },
    /* 30, 31 text_expr ::= QUOTE ATTRIBUTE QUOTE (a quoted "$word" is a word) */
    (r) => quotedParam(ctx, T(r[1]!)),
    (r) => quotedParam(ctx, T(r[1]!)),
    /* 32 text_expr ::= param_term */ (r) => {
      const b = T(r[0]!);
      if (b.type === QT.TERM && ctx.isStopword(ctx.text(b))) return node(null);
      return node(ctx.tokenNode(b));
    },
    /* 33 text_expr ::= affix */ pass,
    /* 34 text_expr ::= verbatim */ pass,
    /* 35 termlist ::= param_term param_term */ (r) => {
      const a = newNode('PHRASE');
      a.children.push(ctx.tokenNode(T(r[0]!)), ctx.tokenNode(T(r[1]!)));
      return node(a);
    },
    /* 36 termlist ::= termlist param_term */ (r) => {
      const a = N(r[0]!) ?? internal();
      a.children.push(ctx.tokenNode(T(r[1]!)));
      return node(a);
    },
    /* 37, 38 … ::= MINUS … */ (r) => node(notStep(N(r[1]!))),
    (r) => node(notStep(N(r[1]!))),
    /* 39, 40 … ::= TILDE … */ (r) => node(optional(N(r[1]!))),
    (r) => node(optional(N(r[1]!))),
    /* 41-43 affix */ (r) => node(ctx.prefixNode(T(r[0]!), true, false)),
    (r) => node(ctx.prefixNode(T(r[0]!), false, true)),
    (r) => node(ctx.prefixNode(T(r[0]!), true, true)),
    /* 44 verbatim ::= WILDCARD */ (r) => {
      const t = T(r[0]!);
      const n = newNode('WILDCARD_QUERY');
      if (t.type === QT.WILDCARD) n.str = Uint8Array.from(ctx.text(t));
      else ctx.setParam(n, 'str', t, ParamType.WILDCARD);
      return node(n);
    },
    /* 45-47 fuzzy */ fuzzy(1, 1), fuzzy(2, 2), fuzzy(3, 3),
    /* 48 modifier ::= MODIFIER */ (r) => {
      const b = T(r[0]!);
      // unescapen works on the query itself: later tokens see the shifted bytes.
      const len = unescapeInPlace(ctx.q, b.s, b.len);
      const tok: Tok = { ...b, len };
      const fs = ctx.lookupField(tok);
      if (fs === null) ctx.report(tok, 'Unknown field');
      return { k: 'field', f: { tok, fs } };
    },
    /* 49, 50 modifierlist */ modifierList(true), modifierList(false),
    /* 51 expr ::= ISMISSING LP modifier RP */ (r) => {
      const b = F(r[2]!);
      if (b.fs === null || !b.fs.indexMissing) {
        ctx.report(b.tok, "'ismissing' requires defining the field with 'INDEXMISSING'");
        return node(null);
      }
      const n = newNode('MISSING');
      n.field = b.fs;
      return node(n);
    },
    /* 52 expr ::= modifier COLON LB tag_list RB */ (r) => {
      const b = F(r[0]!);
      const c = N(r[3]!);
      if (!isField(b, 'TAG')) {
        ctx.wrongType(b, 'TAG');
        return node(null);
      }
      if (c === null) return node(null);
      const n = newNode('TAG');
      n.field = b.fs;
      n.children = c.children;
      return node(n);
    },
    /* 53-56 tag_list ::= one item */ tagList, tagList, tagList, tagList,
    /* 57-60 tag_list ::= tag_list OR item */ tagMore, tagMore, tagMore, tagMore,
    /* 61 expr ::= modifier COLON numeric_range */ (r) => {
      const b = F(r[0]!);
      const c = N(r[2]!);
      if (!isField(b, 'NUMERIC')) {
        ctx.wrongType(b, 'NUMERIC');
        return node(null);
      }
      if (c !== null) c.field = b.fs;
      return node(c);
    },
    /* 62-65 numeric_range ::= LSQB … RSQB */ range(true, true), range(false, true), range(true, false), range(false, false),
    /* 66 numeric_range ::= LSQB param_num RSQB */ (r) => node(ctx.numericNode(null, T(r[1]!), T(r[1]!), true, true)),
    /* 67-72 comparisons */ compare('NE'), compare('EQ'), compare('GT'), compare('GE'), compare('LT'), compare('LE'),
    /* 73 expr ::= modifier COLON geo_filter */ (r) => {
      const b = F(r[0]!);
      const c = N(r[2]!);
      if (!isField(b, 'GEO')) {
        ctx.wrongType(b, 'GEO');
        return node(null);
      }
      if (c !== null) c.field = b.fs;
      return node(c);
    },
    /* 74 geo_filter */ (r) => node(geoFilter(ctx, r)),
    /* 75 expr ::= modifier COLON geometry_query */ (r) => {
      const b = F(r[0]!);
      const c = N(r[2]!);
      if (!isField(b, 'GEOSHAPE')) {
        ctx.wrongType(b, 'GEOSHAPE');
        return node(null);
      }
      if (c !== null) c.field = b.fs;
      return node(c);
    },
    /* 76 geometry_query ::= LSQB TERM ATTRIBUTE RSQB */ (r) => {
      const pred = Buffer.from(ctx.text(T(r[1]!))).toString('latin1').toUpperCase();
      if (!['WITHIN', 'CONTAINS', 'DISJOINT', 'INTERSECTS'].includes(pred)) {
        ctx.report({ ...T(r[2]!), type: QT.PARAM_TERM_CASE }, 'Syntax error: Expecting a geoshape predicate');
        return node(null);
      }
      return node(newNode('GEOMETRY'));
    },
    /* 77-79 query ::= … ARROW LSQB vector_query RSQB */ hybrid(false, false), hybrid(false, false), hybrid(false, true),
    /* 80 vector_query ::= vector_command vector_attribute_list vector_score_field */ (r) => {
      const b = N(r[0]!);
      const c = r[1]!;
      if (c.k !== 'vattrs') internal();
      if (b !== null) {
        b.scoreField = null;
        ctx.setParam(b, 'scoreField', T(r[2]!));
        b.vecParams = c.list;
      }
      return node(b);
    },
    /* 81 vector_query ::= vector_command vector_score_field */ (r) => {
      const b = N(r[0]!);
      if (b !== null) {
        b.scoreField = null;
        ctx.setParam(b, 'scoreField', T(r[1]!));
      }
      return node(b);
    },
    /* 82 vector_query ::= vector_command vector_attribute_list */ (r) => {
      const b = N(r[0]!);
      const c = r[1]!;
      if (c.k !== 'vattrs') internal();
      if (b !== null) b.vecParams = c.list;
      return node(b);
    },
    /* 83 vector_query ::= vector_command */ pass,
    /* 84 as ::= AS_T */ () => NONE,
    /* 85 vector_score_field ::= as param_term_case */ (r) => r[1]!,
    /* 86-88 the same with =>{attributes} */ hybrid(true, false), hybrid(true, false), hybrid(true, true),
    /* 89 vector_command ::= TERM param_size modifier ATTRIBUTE */ (r) => {
      const t = T(r[0]!);
      const c = F(r[2]!);
      if (!isField(c, 'VECTOR')) {
        ctx.wrongType(c, 'VECTOR');
        return node(null);
      }
      if (Buffer.from(ctx.text(t)).toString('latin1').toUpperCase() !== 'KNN') {
        ctx.report(t, 'Syntax error: Expecting Vector Similarity command');
        return node(null);
      }
      const n = ctx.vectorNode(true, T(r[1]!), { ...T(r[3]!), type: QT.PARAM_VEC });
      n.field = c.fs;
      n.scoreField = Uint8Array.from(Buffer.concat([Buffer.from('__'), ctx.text(c.tok), Buffer.from('_score')]));
      return node(n);
    },
    /* 90 vector_attribute ::= TERM param_term */ (r) => {
      const c = T(r[1]!);
      return {
        k: 'vattr',
        a: { name: Uint8Array.from(ctx.text(T(r[0]!))), value: Uint8Array.from(cstrBytes(ctx.text(c))), needResolve: c.type === QT.PARAM_TERM },
      };
    },
    /* 91 vector_attribute_list ::= vector_attribute_list vector_attribute */ (r) => {
      const b = r[0]!;
      const c = r[1]!;
      if (b.k !== 'vattrs' || c.k !== 'vattr') internal();
      return { k: 'vattrs', list: [...b.list, c.a] };
    },
    /* 92 vector_attribute_list ::= vector_attribute */ (r) => ({ k: 'vattrs', list: [r[0]!.k === 'vattr' ? r[0]!.a : internal()] }),
    /* 93 expr ::= modifier COLON LSQB vector_range_command RSQB */ (r) => {
      const b = F(r[0]!);
      const c = N(r[3]!);
      if (!isField(b, 'VECTOR')) {
        ctx.wrongType(b, 'VECTOR');
        return node(null);
      }
      if (c !== null) c.field = b.fs;
      return node(c);
    },
    /* 94 vector_range_command ::= TERM param_num ATTRIBUTE */ (r) => {
      const t = T(r[0]!);
      if (Buffer.from(ctx.text(t)).toString('latin1').toUpperCase() !== 'VECTOR_RANGE') {
        ctx.report(t, 'Syntax error: expecting vector similarity range command');
        return node(null);
      }
      return node(ctx.vectorNode(false, T(r[1]!), { ...T(r[2]!), type: QT.PARAM_VEC }));
    },
    /* 95, 96 num ::= SIZE | NUMBER */ pass, pass,
    /* 97 num ::= MINUS num */ (r) => {
      const b = T(r[1]!);
      return { k: 'tok', t: { ...b, numval: -b.numval } };
    },
    /* 98-100 term ::= TERM | NUMBER | SIZE */ retype(QT.TERM), retype(QT.NUMERIC), retype(QT.SIZE),
    /* 101 param_term ::= term */ pass,
    /* 102 param_term ::= ATTRIBUTE */ retype(QT.PARAM_TERM),
    /* 103 param_term_case ::= term */ retype(QT.TERM_CASE),
    /* 104 param_term_case ::= ATTRIBUTE */ retype(QT.PARAM_TERM_CASE),
    /* 105 param_size ::= SIZE */ retype(QT.SIZE),
    /* 106 param_size ::= ATTRIBUTE */ retype(QT.PARAM_SIZE),
    /* 107 param_num ::= ATTRIBUTE */ retype(QT.PARAM_NUMERIC),
    /* 108 param_num ::= MINUS ATTRIBUTE */ (r) => tokSem(T(r[1]!), QT.PARAM_NUMERIC, -1),
    /* 109 param_num ::= num */ retype(QT.NUMERIC),
    /* 110 exclusive_param_num ::= LP num */ (r) => tokSem(T(r[1]!), QT.NUMERIC),
    /* 111 exclusive_param_num ::= LP ATTRIBUTE */ (r) => tokSem(T(r[1]!), QT.PARAM_NUMERIC),
    /* 112 exclusive_param_num ::= LP MINUS ATTRIBUTE */ (r) => tokSem(T(r[2]!), QT.PARAM_NUMERIC, -1),
  ];
}

function optional(b: PNode | null): PNode | null {
  if (b === null) return null;
  const n = newNode('OPTIONAL');
  n.children.push(b);
  return n;
}

function quotedParam(ctx: ParseContext, b: Tok): Sem {
  const n = newNode('TOKEN');
  n.str = normalizeBytes(Buffer.concat([Buffer.from('$'), ctx.text(b)]));
  n.verbatim = true;
  return node(n);
}

function geoFilter(ctx: ParseContext, r: readonly Sem[]): PNode {
  const lon = T(r[1]!);
  const lat = T(r[2]!);
  const unit = T(r[4]!);
  const n = newNode('GEO');
  const coord = (t: Tok): Tok => (t.type === QT.PARAM_NUMERIC ? { ...t, type: QT.PARAM_GEO_COORD } : t);
  ctx.setParam(n, 'lon', coord(lon));
  ctx.setParam(n, 'lat', coord(lat));
  ctx.setParam(n, 'radius', T(r[3]!));
  if (unit.type === QT.TERM && unit.s !== TEXT_NULL) n.unit = Uint8Array.from(ctx.text(unit));
  else if (unit.type === QT.PARAM_TERM) ctx.setParam(n, 'unit', { ...unit, type: QT.PARAM_GEO_UNIT });
  else ctx.fail('SYNTAX', 'Invalid GeoFilter unit');
  return n;
}

/** unescapen over q[s, s+len): returns the new length; the bytes after it stay as they were. */
function unescapeInPlace(q: Uint8Array, s: number, len: number): number {
  if (s < 0) return len;
  const end = Math.min(q.length, s + len);
  let dst = s;
  let src = s;
  while (src < end) {
    if (q[src] === 0x5c && src + 1 < end && (isPunct(q[src + 1]!) || isSpace(q[src + 1]!))) {
      src++;
      continue;
    }
    q[dst++] = q[src++]!;
  }
  return dst - s;
}

export { TK };
