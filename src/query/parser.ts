// The query parser: scanner tokens through the Lemon-style tables (lalr.ts, grammar.ts), with the
// grammar's actions written after RediSearch's parser.y. Actions check fields against the index
// definition as they are reduced, so "Unknown field" and "Expected a TAG field" come out at the
// same point of the query as in the module, and only the first error counts.

import { argText, QueryError, type QueryErrorCode } from './errors.js';
import { buildTables, LemonParser, type ParseTables } from './lalr.js';
import { QUERY_GRAMMAR } from './grammar.js';
import { QT, scanQuery, type Tok } from './lexer.js';
import { formatFixed6, formatG, parseBoolean, parseDoubleFF, parseStrtoll } from './numbers.js';
import { cstrBytes, internal, makeActions, NONE, type Attr, type FieldName, type Sem } from './parser-actions.js';
import { newNode, ParamType, TextFieldBits, type PNode, type PParam, type ParamTarget } from './parse-tree.js';
import type { FieldSpec, IndexDefinition } from './schema.js';
import { lowerBytes, normalizeBytes, unescapeBytes } from './tokenizer.js';

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

export class ParseContext {
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

