// What both evaluators share: the selectors of an expression and their per-evaluation values,
// the literal table, the tuple arena, and the arithmetic that differs from JavaScript's.
//
// Selectors are resolved before the expression runs, all of them, in one pass over the JSON.
// That is equivalent to the reference, which looks each selector up as the program reaches it
// and answers "no match" the moment one fails: operators have no side effects, so the result is
// false exactly when some selector fails, and otherwise depends only on the values. It also means
// the expression itself may short-circuit `and`/`or` freely, and that a selector appearing twice
// is looked up once.

import { JsonSink, readValue, seekFields } from './json-field.js';
import type { Literal, Node } from './parser.js';
import { stringToNumber } from './strtod.js';
import { ValueTable } from './values.js';

export class FilterContext {
  /** Distinct selector names, in order of first appearance, and their byte form. */
  readonly selectors: readonly string[];
  readonly selectorBytes: readonly Uint8Array[];
  /** Row i holds the value of selectors[i] during an evaluation. */
  readonly sel: ValueTable;
  /** Literal values of the expression (rows handed out by addLiteral). */
  readonly consts: ValueTable;
  /** Tuple elements: literal tuples first (fixed), then those of the attribute being evaluated. */
  readonly arena: ValueTable;
  private readonly sink: JsonSink;
  private readonly positions: Int32Array;
  private constRows = 0;
  private readonly selectorIndex = new Map<string, number>();

  constructor(root: Node) {
    const names: string[] = [];
    // Iterative walk: the tree may be far deeper than the call stack.
    const stack: Node[] = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.type === 'sel') {
        if (!this.selectorIndex.has(n.name)) {
          this.selectorIndex.set(n.name, names.length);
          names.push(n.name);
        }
      } else if (n.type === 'not') {
        stack.push(n.operand);
      } else if (n.type === 'bin') {
        stack.push(n.right, n.left);
      }
    }
    this.selectors = names;
    this.selectorBytes = names.map((s) => Uint8Array.from(s, (ch) => ch.charCodeAt(0)));
    this.sel = new ValueTable(names.length);
    this.sel.length = names.length;
    this.consts = new ValueTable(8);
    this.arena = new ValueTable(16);
    this.sink = new JsonSink(this.arena);
    this.positions = new Int32Array(Math.max(names.length, 1));
  }

  selectorSlot(name: string): number {
    return this.selectorIndex.get(name)!;
  }

  /** Store a literal in the constant table; tuple items go to the fixed part of the arena. */
  addLiteral(lit: Literal): number {
    const row = this.consts.length;
    this.consts.ensure(row + 1);
    this.consts.length++;
    switch (lit.type) {
      case 'num':
        this.consts.setNum(row, lit.value);
        break;
      case 'str':
        this.consts.setStr(row, lit.bytes, 0, lit.bytes.length);
        break;
      case 'null':
        this.consts.setNull(row);
        break;
      case 'tuple': {
        const first = this.constRows;
        this.arena.ensure(first + lit.items.length);
        for (const item of lit.items) {
          const r = this.constRows++;
          if (item.type === 'num') this.arena.setNum(r, item.value);
          else this.arena.setStr(r, item.bytes, 0, item.bytes.length);
        }
        this.arena.length = this.constRows;
        this.consts.setTuple(row, first, this.constRows);
        break;
      }
    }
    return row;
  }

  /**
   * Look up and convert every selector in attr[start..end). False when any of them cannot
   * produce a value, which makes the whole expression false.
   */
  resolve(attr: Uint8Array, start: number, end: number): boolean {
    const names = this.selectorBytes;
    if (names.length === 0) return true;
    this.arena.length = this.constRows;
    this.sink.scratchLength = 0;
    const pos = this.positions;
    if (!seekFields(attr, start, end, names, pos)) return false;
    for (let i = 0; i < names.length; i++) {
      if (!readValue(attr, pos[i]!, end, this.sel, i, this.sink)) return false;
    }
    return true;
  }
}

/** The numeric value of a literal (strings by strtod, tuples and null 0). */
export function literalNumber(lit: Literal): number {
  if (lit.type === 'num') return lit.value;
  if (lit.type === 'str') return stringToNumber(lit.bytes, 0, lit.bytes.length);
  return 0;
}

/**
 * C pow(). JavaScript's `**` differs where C99 (Annex F) pins special cases: pow(1, y) is 1 for
 * every y, NaN included, and pow(-1, ±∞) is 1; JavaScript gives NaN for both.
 */
export function cPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}
