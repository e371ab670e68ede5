// The query scanner (DIALECT 2), after RediSearch's Ragel lexer (query_parser/v2/lexer.rl).
//
// At each position the longest match among the patterns wins, ties going to the pattern listed
// first (size before number before term, `as` and `inf` before term …). Blanks, control bytes and
// lone punctuation that starts no pattern are skipped. The module reuses one token structure for
// every token and only some patterns set its text, so a token like `)` carries the text and
// length of the last token that set them; syntax errors print that text ("near …"), so the
// scanner here keeps the same stale fields.

import { fastFloatStrtod } from './numbers.js';
import { isPunct, isSpace } from './tokenizer.js';

/** Token numbers, as the grammar numbers its terminals (0 is end of input). */
export const TK = {
  EOF: 0, LOWEST: 1, TEXTEXPR: 2, ORX: 3, OR: 4, ISMISSING: 5, MODIFIER: 6, RP: 7, RB: 8, RSQB: 9,
  EXACT: 10, TERM: 11, QUOTE: 12, SQUOTE: 13, LP: 14, LB: 15, LSQB: 16, TILDE: 17, MINUS: 18,
  AND: 19, ARROW: 20, COLON: 21, NOT_EQUAL: 22, EQUALS: 23, GE: 24, GT: 25, LE: 26, LT: 27,
  NUMBER: 28, SIZE: 29, STAR: 30, TAGLIST: 31, TERMLIST: 32, PREFIX: 33, SUFFIX: 34, CONTAINS: 35,
  PERCENT: 36, ATTRIBUTE: 37, VERBATIM: 38, WILDCARD: 39, AS_T: 40, SEMICOLON: 41,
} as const;

/** QueryTokenType values the parser looks at. */
export const QT = {
  TERM: 0, TERM_CASE: 1, NUMERIC: 2, SIZE: 3, WILDCARD: 4, PARAM_ANY: 5, PARAM_TERM: 6,
  PARAM_TERM_CASE: 7, PARAM_NUMERIC: 8, PARAM_SIZE: 9, PARAM_NUMERIC_MIN_RANGE: 10,
  PARAM_NUMERIC_MAX_RANGE: 11, PARAM_GEO_COORD: 12, PARAM_GEO_UNIT: 13, PARAM_VEC: 14,
  PARAM_WILDCARD: 15,
} as const;

/** Where a token's text points: an offset in the query, NULL, or the static empty string. */
export const TEXT_NULL = -1;
export const TEXT_EMPTY = -2;

/** A QueryToken: copied by value, as in C. */
export interface Tok {
  s: number;
  len: number;
  pos: number;
  numval: number;
  type: number;
  sign: number;
}

export function copyTok(t: Tok): Tok {
  return { s: t.s, len: t.len, pos: t.pos, numval: t.numval, type: t.type, sign: t.sign };
}

const enum P {
  SIZE, NUMBER, MOD, ATTR, MOD_NE, MOD_EQ, MOD_GT, MOD_GE, MOD_LT, MOD_LE, ARROW, AS, INF,
  EMPTY_STRING, QUOTE, OR, LP, RP, LB, RB, COLON, SEMICOLON, MINUS, TILDE, STAR, PERCENT, LSQB,
  RSQB, SKIP, ISMISSING, TERM, EXACT, PREFIX, PREFIX_EXACT, SUFFIX, SUFFIX_EXACT, CONTAINS,
  CONTAINS_EXACT, VERBATIM, WILDCARD,
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A byte that may appear in a term on its own: not punctuation, control or blank ('_' may). */
function isTermChar(c: number): boolean {
  return c === 0x5f || !(isPunct(c) || c < 0x20 || c === 0x7f || c === 0x20);
}

export class Scanner {
  constructor(
    readonly q: Uint8Array,
    readonly n: number,
  ) {}

  private at(i: number): number {
    return i < this.n ? this.q[i]! : -1;
  }

  /** End of the longest run of term units from i (i when none). */
  termEnd(i: number): number {
    for (;;) {
      const c = this.at(i);
      if (c < 0) return i;
      if (isTermChar(c)) i++;
      else if (c === 0x5c) {
        const d = this.at(i + 1);
        if (d >= 0 && (isPunct(d) || isSpace(d))) i += 2;
        else return i;
      } else return i;
    }
  }

  /** Every end of a `number` match from i, ascending. */
  numberEnds(i: number): number[] {
    const out: number[] = [];
    let p = i;
    if (this.at(p) === 0x2b || this.at(p) === 0x2d) p++;
    let d = p;
    while (isDigit(this.at(d))) d++;
    const mantissaEnds: number[] = [];
    if (d > p) {
      mantissaEnds.push(d);
      if (this.at(d) === 0x2e) {
        mantissaEnds.push(d + 1);
        let f = d + 1;
        while (isDigit(this.at(f))) f++;
        for (let k = d + 2; k <= f; k++) mantissaEnds.push(k);
      }
    } else if (this.at(p) === 0x2e && isDigit(this.at(p + 1))) {
      let f = p + 1;
      while (isDigit(this.at(f))) f++;
      for (let k = p + 2; k <= f; k++) mantissaEnds.push(k);
    }
    for (const m of mantissaEnds) {
      out.push(m);
      const e = this.at(m);
      if (e === 0x45 || e === 0x65) {
        let x = m + 1;
        if (this.at(x) === 0x2b || this.at(x) === 0x2d) x++;
        let y = x;
        while (isDigit(this.at(y))) y++;
        for (let k = x + 1; k <= y; k++) out.push(k);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** Every end of an `exact` ("…" or '…' with \" escapes) match from i. */
  exactEnds(i: number): number[] {
    const qc = this.at(i);
    if (qc !== 0x22 && qc !== 0x27) return [];
    const out: number[] = [];
    for (let j = i + 1; j < this.n; j++) {
      if (this.q[j] !== qc) continue;
      if (j > i + 1) out.push(j + 1);
      // A quote inside needs a backslash before it (which must be inside too).
      if (!(j - 1 > i && this.q[j - 1] === 0x5c)) break;
    }
    return out;
  }

  /** End of a `verbatim` ("…" where a backslash escapes any byte) match from i, or -1. */
  verbatimEnd(i: number): number {
    const qc = this.at(i);
    if (qc !== 0x22 && qc !== 0x27) return -1;
    let j = i + 1;
    while (j < this.n) {
      const c = this.q[j]!;
      if (c === 0x5c) {
        if (j + 1 >= this.n) return -1;
        j += 2;
      } else if (c === qc) {
        return j > i + 1 ? j + 1 : -1;
      } else j++;
    }
    return -1;
  }

  private ci(i: number, word: string): boolean {
    for (let k = 0; k < word.length; k++) {
      let c = this.at(i + k);
      if (c >= 0x41 && c <= 0x5a) c += 32;
      if (c !== word.charCodeAt(k)) return false;
    }
    return true;
  }

  private infEnd(i: number): number {
    let p = i;
    if (this.at(p) === 0x2b || this.at(p) === 0x2d) p++;
    return this.ci(p, 'inf') ? p + 3 : -1;
  }

  /** Longest end of (term | number | attr) from i, used by prefix/suffix/contains; all ends. */
  private stemEnds(i: number): number[] {
    const ends = this.numberEnds(i);
    const t = this.termEnd(i);
    if (t > i) ends.push(t);
    if (this.at(i) === 0x24) {
      const a = this.termEnd(i + 1);
      if (a > i + 1) ends.push(a);
    }
    return ends;
  }

  private modOpEnd(i: number, op: string): number {
    if (this.at(i) !== 0x40) return -1;
    let p = this.termEnd(i + 1);
    if (p === i + 1) return -1;
    while (isSpace(this.at(p))) p++;
    for (let k = 0; k < op.length; k++) if (this.at(p + k) !== op.charCodeAt(k)) return -1;
    p += op.length;
    while (isSpace(this.at(p))) p++;
    let best = -1;
    const nums = this.numberEnds(p);
    if (nums.length > 0) best = nums[nums.length - 1]!;
    best = Math.max(best, this.infEnd(p));
    let d = p;
    while (isDigit(this.at(d))) d++;
    if (d > p) best = Math.max(best, d);
    let a = p;
    if (this.at(a) === 0x2b || this.at(a) === 0x2d) a++;
    if (this.at(a) === 0x24) {
      const e = this.termEnd(a + 1);
      if (e > a + 1) best = Math.max(best, e);
    }
    return best;
  }

  /** The pattern and end of the longest match at i (i < n). */
  match(i: number): [P, number] {
    let bestP = P.SKIP;
    let bestEnd = -1;
    const offer = (p: P, end: number): void => {
      if (end > bestEnd || (end === bestEnd && p < bestP)) {
        bestP = p;
        bestEnd = end;
      }
    };
    const c = this.q[i]!;
    // Blanks, control bytes and punctuation match one byte that makes no token.
    if (isPunct(c) || isSpace(c) || c < 0x20 || c === 0x7f) offer(P.SKIP, i + 1);
    if (isDigit(c)) {
      let d = i;
      while (isDigit(this.at(d))) d++;
      offer(P.SIZE, d);
    }
    const nums = this.numberEnds(i);
    if (nums.length > 0) offer(P.NUMBER, nums[nums.length - 1]!);
    if (c === 0x40) {
      const e = this.termEnd(i + 1);
      if (e > i + 1) offer(P.MOD, e);
      offer(P.MOD_NE, this.modOpEnd(i, '!='));
      offer(P.MOD_EQ, this.modOpEnd(i, '=='));
      offer(P.MOD_GT, this.modOpEnd(i, '>'));
      offer(P.MOD_GE, this.modOpEnd(i, '>='));
      offer(P.MOD_LT, this.modOpEnd(i, '<'));
      offer(P.MOD_LE, this.modOpEnd(i, '<='));
    }
    if (c === 0x24) {
      const e = this.termEnd(i + 1);
      if (e > i + 1) offer(P.ATTR, e);
    }
    if (c === 0x3d && this.at(i + 1) === 0x3e) offer(P.ARROW, i + 2);
    if (this.ci(i, 'as')) offer(P.AS, i + 2);
    offer(P.INF, this.infEnd(i));
    if ((c === 0x22 || c === 0x27) && this.at(i + 1) === c) offer(P.EMPTY_STRING, i + 2);
    const s = SINGLE_PATTERN[c];
    if (s !== undefined) offer(s, i + 1);
    if (this.ci(i, 'ismissing')) offer(P.ISMISSING, i + 9);
    const te = this.termEnd(i);
    if (te > i) offer(P.TERM, te);
    const ex = this.exactEnds(i);
    if (ex.length > 0) offer(P.EXACT, ex[ex.length - 1]!);
    for (const e of this.stemEnds(i)) if (this.at(e) === 0x2a) offer(P.PREFIX, e + 1);
    for (const e of ex) if (this.at(e) === 0x2a) offer(P.PREFIX_EXACT, e + 1);
    if (c === 0x2a) {
      for (const e of this.stemEnds(i + 1)) {
        offer(P.SUFFIX, e);
        if (this.at(e) === 0x2a) offer(P.CONTAINS, e + 1);
      }
      for (const e of this.exactEnds(i + 1)) {
        offer(P.SUFFIX_EXACT, e);
        if (this.at(e) === 0x2a) offer(P.CONTAINS_EXACT, e + 1);
      }
    }
    const v = this.verbatimEnd(i);
    if (v > 0) offer(P.VERBATIM, v);
    if (c === 0x77) {
      const w = this.verbatimEnd(i + 1);
      if (w > 0) offer(P.WILDCARD, w);
    }
    return bestEnd < 0 ? [P.SKIP, i + 1] : [bestP, bestEnd];
  }
}

const SINGLE_PATTERN: Readonly<Record<number, P>> = {
  0x22: P.QUOTE, 0x7c: P.OR, 0x28: P.LP, 0x29: P.RP, 0x7b: P.LB, 0x7d: P.RB, 0x3a: P.COLON,
  0x3b: P.SEMICOLON, 0x2d: P.MINUS, 0x7e: P.TILDE, 0x2a: P.STAR, 0x25: P.PERCENT, 0x5b: P.LSQB,
  0x5d: P.RSQB,
};

/** Receives tokens; returns false to stop scanning (an error was recorded). */
export type TokenSink = (major: number, tok: Tok) => boolean;

/**
 * Scans the query (already cut at its first NUL) and feeds every token, then end of input, to
 * `sink`, unless the sink stops it first.
 */
export function scanQuery(q: Uint8Array, sink: TokenSink): void {
  const n = q.length;
  const sc = new Scanner(q, n);
  const tok: Tok = { s: TEXT_NULL, len: 0, pos: 0, numval: 0, type: QT.TERM, sign: 1 };
  const num = (from: number): number => fastFloatStrtod(Buffer.from(q.buffer, q.byteOffset + from, n - from).toString('latin1')).value;
  let i = 0;
  while (i < n) {
    const [p, te] = sc.match(i);
    const ts = i;
    i = te;
    let major = -1;
    switch (p) {
      case P.SKIP:
        continue;
      case P.SIZE:
      case P.NUMBER:
        tok.s = ts;
        tok.len = te - ts;
        tok.numval = num(ts);
        tok.pos = ts;
        major = p === P.SIZE ? TK.SIZE : TK.NUMBER;
        break;
      case P.MOD:
      case P.ATTR:
        tok.pos = ts;
        tok.len = te - (ts + 1);
        tok.s = ts + 1;
        major = p === P.MOD ? TK.MODIFIER : TK.ATTRIBUTE;
        break;
      case P.MOD_NE:
      case P.MOD_EQ:
      case P.MOD_GT:
      case P.MOD_GE:
      case P.MOD_LT:
      case P.MOD_LE:
        if (!numericOp(q, n, p, ts, te, copyTok(tok), sink, num)) return;
        continue;
      case P.ARROW:
        tok.pos = ts;
        tok.len = te - ts;
        tok.s = ts + 1;
        major = TK.ARROW;
        break;
      case P.AS:
      case P.ISMISSING:
        tok.pos = ts;
        tok.len = te - ts;
        tok.s = ts;
        major = p === P.AS ? TK.AS_T : TK.ISMISSING;
        break;
      case P.INF:
        tok.pos = ts;
        tok.s = ts;
        tok.len = te - ts;
        tok.numval = q[ts] === 0x2d ? -Infinity : Infinity;
        major = TK.NUMBER;
        break;
      case P.EMPTY_STRING:
        tok.pos = ts;
        tok.s = TEXT_EMPTY;
        tok.len = 0;
        major = TK.TERM;
        break;
      case P.TERM:
        tok.len = te - ts;
        tok.s = ts;
        tok.numval = 0;
        tok.pos = ts;
        major = TK.TERM;
        break;
      case P.EXACT:
        tok.len = te - (ts + 2);
        tok.s = ts + 1;
        tok.numval = 0;
        tok.pos = ts;
        major = TK.EXACT;
        break;
      case P.PREFIX: {
        const attr = q[ts] === 0x24 ? 1 : 0;
        tok.type = attr ? QT.PARAM_TERM : QT.TERM;
        tok.len = te - (ts + 1 + attr);
        tok.s = ts + attr;
        tok.numval = 0;
        tok.pos = ts;
        major = TK.PREFIX;
        break;
      }
      case P.PREFIX_EXACT:
        tok.type = QT.TERM;
        tok.len = te - (ts + 3);
        tok.s = ts + 1;
        tok.numval = 0;
        tok.pos = ts;
        major = TK.PREFIX;
        break;
      case P.SUFFIX:
      case P.CONTAINS: {
        const attr = q[ts + 1] === 0x24 ? 1 : 0;
        tok.type = attr ? QT.PARAM_TERM : QT.TERM;
        tok.len = te - (ts + (p === P.SUFFIX ? 1 : 2) + attr);
        tok.s = ts + 1 + attr;
        tok.numval = 0;
        tok.pos = ts;
        major = p === P.SUFFIX ? TK.SUFFIX : TK.CONTAINS;
        break;
      }
      case P.SUFFIX_EXACT:
      case P.CONTAINS_EXACT:
        tok.type = QT.TERM;
        tok.len = te - (ts + (p === P.SUFFIX_EXACT ? 3 : 4));
        tok.s = ts + 2;
        tok.numval = 0;
        tok.pos = ts;
        major = p === P.SUFFIX_EXACT ? TK.SUFFIX : TK.CONTAINS;
        break;
      case P.VERBATIM: {
        const attr = q[ts + 2] === 0x24 ? 1 : 0;
        tok.type = attr ? QT.PARAM_TERM : QT.TERM;
        tok.pos = ts;
        tok.len = te - (ts + 2 + attr);
        tok.s = ts + 1 + attr;
        tok.numval = 0;
        major = TK.VERBATIM;
        break;
      }
      case P.WILDCARD: {
        const attr = q[ts + 2] === 0x24 ? 1 : 0;
        tok.type = attr ? QT.PARAM_WILDCARD : QT.WILDCARD;
        tok.pos = ts + 2;
        tok.len = te - (ts + 3 + attr);
        tok.s = ts + 2 + attr;
        tok.numval = 0;
        major = TK.WILDCARD;
        break;
      }
      default: {
        // Single-character tokens set only the position.
        tok.pos = ts;
        major = SINGLE_TOKEN[p]!;
        break;
      }
    }
    if (!sink(major, copyTok(tok))) return;
  }
  sink(TK.EOF, copyTok(tok));
}

const SINGLE_TOKEN: Partial<Record<P, number>> = {
  [P.QUOTE]: TK.QUOTE, [P.OR]: TK.OR, [P.LP]: TK.LP, [P.RP]: TK.RP, [P.LB]: TK.LB, [P.RB]: TK.RB,
  [P.COLON]: TK.COLON, [P.SEMICOLON]: TK.SEMICOLON, [P.MINUS]: TK.MINUS, [P.TILDE]: TK.TILDE,
  [P.STAR]: TK.STAR, [P.PERCENT]: TK.PERCENT, [P.LSQB]: TK.LSQB, [P.RSQB]: TK.RSQB,
};

/**
 * `@field op value` (RSQuery_ParseNumericOp_v2): three tokens from one match, built on a copy of
 * the current token, so they leave the scanner's own token as it was. The arithmetic on the
 * value's length is the module's, including the byte after the match it counts.
 */
function numericOp(q: Uint8Array, n: number, p: P, ts: number, te: number, tok: Tok, sink: TokenSink, num: (from: number) => number): boolean {
  const at = (i: number): number => (i < n ? q[i]! : 0);
  const c1 = p === P.MOD_NE ? 0x21 : p === P.MOD_EQ ? 0x3d : p === P.MOD_GT || p === P.MOD_GE ? 0x3e : 0x3c;
  const opLen = p === P.MOD_GT || p === P.MOD_LT ? 1 : 2;
  const major = [TK.NOT_EQUAL, TK.EQUALS, TK.GT, TK.GE, TK.LT, TK.LE][p - P.MOD_NE]!;
  tok.pos = ts;
  tok.s = ts + 1;
  let end1 = q.indexOf(c1, tok.s) - 1;
  const start2 = end1 + opLen + 1;
  // Cut unescaped blanks between the field name and the operator.
  let m = tok.s;
  let escaped = at(m) === 0x5c;
  while (m < end1) {
    if (isSpace(at(m + 1)) && !escaped) {
      end1 = m;
      break;
    }
    m++;
    escaped = !escaped && at(m) === 0x5c;
  }
  tok.len = end1 - tok.s + 1;
  if (!sink(TK.MODIFIER, copyTok(tok))) return false;
  tok.s = start2 - opLen;
  tok.len = opLen;
  if (!sink(major, copyTok(tok))) return false;
  let v = start2;
  while (isSpace(at(v))) v++;
  if ((at(v) === 0x2b || at(v) === 0x2d) && at(v + 1) === 0x24) {
    tok.sign = at(v) === 0x2d ? -1 : 1;
    v++;
  }
  tok.s = v;
  const isAttr = at(v) === 0x24 ? 1 : 0;
  tok.len = te - v + 1 - isAttr;
  if (isAttr) {
    tok.s++;
    while (isSpace(at(tok.s + tok.len - 1))) tok.len--;
    return sink(TK.ATTRIBUTE, copyTok(tok));
  }
  tok.numval = num(tok.s);
  return sink(TK.NUMBER, copyTok(tok));
}
