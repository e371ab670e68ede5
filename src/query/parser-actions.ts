// The grammar's actions, one per rule of grammar.ts in the same order, after RediSearch's
// parser.y: how intersections and unions merge, where field masks and attributes apply, which
// field types each clause requires. ParseContext (parser.ts) holds the state they share.

import { argText } from './errors.js';
import { QT, TEXT_NULL, type Tok } from './lexer.js';
import { FIELDMASK_ALL, newNode, ParamType, setFieldMask, type PNode, type VecParam } from './parse-tree.js';
import type { ParseContext } from './parser.js';
import type { FieldSpec } from './schema.js';
import { isPunct, isSpace, normalizeBytes, phraseTermBytes } from './tokenizer.js';

export interface FieldName {
  tok: Tok;
  fs: FieldSpec | null;
}

export interface Attr {
  name: Uint8Array;
  value: Uint8Array;
}

export type Sem =
  | { k: 'tok'; t: Tok }
  | { k: 'node'; n: PNode | null }
  | { k: 'field'; f: FieldName }
  | { k: 'fields'; list: FieldName[] | null }
  | { k: 'attr'; a: Attr }
  | { k: 'attrs'; list: Attr[] | null }
  | { k: 'vattr'; a: VecParam }
  | { k: 'vattrs'; list: VecParam[] }
  | { k: 'none' };

export const NONE: Sem = { k: 'none' };

export function internal(): never {
  throw new Error('query parser: value of an unexpected kind');
}
export function T(v: Sem): Tok {
  return v.k === 'tok' ? v.t : internal();
}
export function N(v: Sem): PNode | null {
  return v.k === 'node' ? v.n : internal();
}
export function F(v: Sem): FieldName {
  return v.k === 'field' ? v.f : internal();
}
export function node(n: PNode | null): Sem {
  return { k: 'node', n };
}
export function tokSem(t: Tok, type?: number, sign?: number): Sem {
  return { k: 'tok', t: { ...t, type: type ?? t.type, sign: sign ?? t.sign } };
}

export function cstrBytes(b: Uint8Array): Uint8Array {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

/** unescapen over q[s, s+len): returns the new length; the bytes after it stay as they were. */
export function unescapeInPlace(q: Uint8Array, s: number, len: number): number {
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
export function makeActions(ctx: ParseContext): Array<(r: readonly Sem[]) => Sem> {
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

