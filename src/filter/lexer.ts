// The FILTER lexer (spec §9.2, §9.3, §9.7).
//
// The expression is a C string: scanning stops at the first NUL byte. The whole expression is
// tokenized before any structural check, exactly like the reference, so a lexical error anywhere
// wins over a structural error earlier in the text, and its position is where scanning stopped:
//   - an unexpected character: that character;
//   - a number that strtod does not consume completely: just after the run of [0-9.eE]
//     (or after its 255th character when the run is longer);
//   - a run of letters/operator characters with no operator as prefix (`true`, `AND`, `=`):
//     just after the run;
//   - a bad tuple: where the tuple scanner stopped;
//   - an unterminated string: the end of the expression (which the caller maps to 0).

import { isAlpha, isDigit, isSpace, scanDecimal, scanned } from './strtod.js';

export const OP_LPAREN = 0;
export const OP_RPAREN = 1;
export const OP_NOT = 2;
export const OP_POW = 3;
export const OP_MUL = 4;
export const OP_DIV = 5;
export const OP_MOD = 6;
export const OP_ADD = 7;
export const OP_SUB = 8;
export const OP_GT = 9;
export const OP_GTE = 10;
export const OP_LT = 11;
export const OP_LTE = 12;
export const OP_EQ = 13;
export const OP_NEQ = 14;
export const OP_IN = 15;
export const OP_AND = 16;
export const OP_OR = 17;

/** Operator spellings; a run of operator characters takes the longest one that is its prefix. */
const OPERATORS: ReadonlyArray<readonly [string, number]> = [
  ['(', OP_LPAREN],
  [')', OP_RPAREN],
  ['!', OP_NOT],
  ['not', OP_NOT],
  ['**', OP_POW],
  ['*', OP_MUL],
  ['/', OP_DIV],
  ['%', OP_MOD],
  ['+', OP_ADD],
  ['-', OP_SUB],
  ['>', OP_GT],
  ['>=', OP_GTE],
  ['<', OP_LT],
  ['<=', OP_LTE],
  ['==', OP_EQ],
  ['!=', OP_NEQ],
  ['in', OP_IN],
  ['and', OP_AND],
  ['&&', OP_AND],
  ['or', OP_OR],
  ['||', OP_OR],
];

/** A literal that may appear inside a tuple: a number or a (decoded) string. */
export type TupleItem =
  | { readonly type: 'num'; readonly value: number }
  | { readonly type: 'str'; readonly bytes: Uint8Array };

export type Token =
  | { readonly type: 'num'; readonly value: number }
  | { readonly type: 'str'; readonly bytes: Uint8Array }
  | { readonly type: 'tuple'; readonly items: readonly TupleItem[] }
  | { readonly type: 'sel'; readonly name: string }
  | { readonly type: 'null' }
  | { readonly type: 'op'; readonly op: number };

export type LexResult =
  | { readonly ok: true; readonly tokens: Token[] }
  | { readonly ok: false; readonly errorOffset: number };

/** `+-*%/!()<>=|&`: the characters that, with letters, make up operator runs. */
function isOperatorChar(c: number): boolean {
  switch (c) {
    case 0x2b: // +
    case 0x2d: // -
    case 0x2a: // *
    case 0x25: // %
    case 0x2f: // /
    case 0x21: // !
    case 0x28: // (
    case 0x29: // )
    case 0x3c: // <
    case 0x3e: // >
    case 0x3d: // =
    case 0x7c: // |
    case 0x26: // &
      return true;
    default:
      return false;
  }
}

/** Selector characters: letters, digits, `_` and `-`. */
export function isSelectorChar(c: number): boolean {
  return isAlpha(c) || isDigit(c) || c === 0x5f || c === 0x2d;
}

/** Length of the expression as a C string: up to the first NUL byte. */
export function cStringLength(expr: Uint8Array): number {
  const nul = expr.indexOf(0);
  return nul < 0 ? expr.length : nul;
}

// Longest numeric run the reference's 256-byte buffer holds (one byte is the terminator).
const MAX_NUMBER_RUN = 255;

/** Lexer state: the text (ending at len, NUL-free) and the scan position. */
class Scanner {
  pos = 0;
  constructor(
    readonly text: Uint8Array,
    readonly len: number,
  ) {}

  at(i: number): number {
    return i < this.len ? this.text[i]! : 0;
  }

  skipSpaces(): void {
    while (this.pos < this.len && isSpace(this.text[this.pos]!)) this.pos++;
  }

  /**
   * A number: the run of `[0-9.eE]` (with a `-` allowed as its first character) must be a
   * complete strtod decimal. Returns the value, or undefined with pos left where the scan stopped.
   */
  number(): number | undefined {
    const start = this.pos;
    let p = start;
    while (p < this.len) {
      const c = this.text[p]!;
      if (!(isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || (p === start && c === 0x2d))) break;
      if (p - start >= MAX_NUMBER_RUN) {
        this.pos = p;
        return undefined;
      }
      p++;
    }
    this.pos = p;
    if (scanDecimal(this.text, start, p) !== p) return undefined;
    return scanned.value;
  }

  /**
   * A string in `"` or `'`: a backslash takes the next character literally; `\n \r \t` decode to
   * control characters (spec §9.3). Returns the decoded bytes, or undefined if unterminated.
   */
  string(): Uint8Array | undefined {
    const quote = this.text[this.pos]!;
    const start = this.pos + 1;
    let p = start;
    let escapes = false;
    while (p < this.len) {
      const c = this.text[p]!;
      if (c === 0x5c && p + 1 < this.len) {
        escapes = true;
        p += 2;
        continue;
      }
      if (c === quote) break;
      p++;
    }
    if (p >= this.len) {
      this.pos = this.len;
      return undefined;
    }
    this.pos = p + 1;
    if (!escapes) return this.text.slice(start, p);
    const out = new Uint8Array(p - start);
    let n = 0;
    for (let i = start; i < p; i++) {
      let c = this.text[i]!;
      if (c === 0x5c) {
        c = this.text[++i]!;
        if (c === 0x6e) c = 0x0a;
        else if (c === 0x72) c = 0x0d;
        else if (c === 0x74) c = 0x09;
      }
      out[n++] = c;
    }
    return out.slice(0, n);
  }

  selector(): string {
    const start = ++this.pos;
    while (this.pos < this.len && isSelectorChar(this.text[this.pos]!)) this.pos++;
    let s = '';
    for (let i = start; i < this.pos; i++) s += String.fromCharCode(this.text[i]!);
    return s;
  }

  /** `[` items `]`; items are numbers or strings separated by commas; `[1,]` is tolerated. */
  tuple(): TupleItem[] | undefined {
    this.pos++;
    const items: TupleItem[] = [];
    for (;;) {
      this.skipSpaces();
      if (this.at(this.pos) === 0x5d) {
        this.pos++;
        return items;
      }
      const c = this.at(this.pos);
      if (isDigit(c) || c === 0x2d) {
        const v = this.number();
        if (v === undefined) return undefined;
        items.push({ type: 'num', value: v });
      } else if (c === 0x22 || c === 0x27) {
        const s = this.string();
        if (s === undefined) return undefined;
        items.push({ type: 'str', bytes: s });
      } else {
        return undefined;
      }
      this.skipSpaces();
      const d = this.at(this.pos);
      if (d === 0x5d) {
        this.pos++;
        return items;
      }
      if (d !== 0x2c) return undefined;
      this.pos++;
    }
  }

  /** A run of letters and operator characters: `null`, or the longest operator prefix. */
  operatorOrNull(): Token | undefined {
    const start = this.pos;
    // Only the first few characters of the run decide the token (operators are at most 3 long,
    // `null` must be exactly the 4-character run), so look at no more than 5: rescanning a long
    // run such as `!!!!…` once per token would be quadratic. Only an error needs the run's end.
    const isRunChar = (c: number): boolean => isAlpha(c) || isOperatorChar(c);
    let p = start;
    while (p < this.len && p - start < 5 && isRunChar(this.text[p]!)) p++;
    const run = p - start;
    if (
      run === 4 &&
      this.text[start] === 0x6e &&
      this.text[start + 1] === 0x75 &&
      this.text[start + 2] === 0x6c &&
      this.text[start + 3] === 0x6c
    ) {
      this.pos = p;
      return { type: 'null' };
    }
    let best = 0;
    let code = -1;
    for (const [name, op] of OPERATORS) {
      if (name.length > run || name.length <= best) continue;
      let match = true;
      for (let i = 0; i < name.length; i++) {
        if (this.text[start + i] !== name.charCodeAt(i)) {
          match = false;
          break;
        }
      }
      if (match) {
        best = name.length;
        code = op;
      }
    }
    if (best === 0) {
      while (p < this.len && isRunChar(this.text[p]!)) p++;
      this.pos = p;
      return undefined;
    }
    this.pos = start + best;
    return { type: 'op', op: code };
  }
}

/**
 * Split an expression into tokens. On a lexical error returns the raw position where scanning
 * stopped; it may equal the expression length (unterminated string), which callers map to 0.
 */
export function tokenize(expr: Uint8Array): LexResult {
  const s = new Scanner(expr, cStringLength(expr));
  const tokens: Token[] = [];
  for (;;) {
    s.skipSpaces();
    if (s.pos >= s.len) return { ok: true, tokens };
    // A '-' starts a number at the beginning or after an operator other than ')'.
    const last = tokens.length === 0 ? undefined : tokens[tokens.length - 1]!;
    const minusIsNumber = last === undefined || (last.type === 'op' && last.op !== OP_RPAREN);
    const c = s.text[s.pos]!;
    let tok: Token | undefined;
    if (isDigit(c) || (minusIsNumber && c === 0x2d && isDigit(s.at(s.pos + 1)))) {
      const v = s.number();
      if (v !== undefined) tok = { type: 'num', value: v };
    } else if (c === 0x22 || c === 0x27) {
      const bytes = s.string();
      if (bytes !== undefined) tok = { type: 'str', bytes };
    } else if (c === 0x2e && isSelectorChar(s.at(s.pos + 1))) {
      tok = { type: 'sel', name: s.selector() };
    } else if (c === 0x5b) {
      const items = s.tuple();
      if (items !== undefined) tok = { type: 'tuple', items };
    } else if (isAlpha(c) || isOperatorChar(c)) {
      tok = s.operatorOrNull();
    }
    if (tok === undefined) return { ok: false, errorOffset: s.pos };
    tokens.push(tok);
  }
}
