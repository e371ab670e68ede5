// The FILTER parser: tokens → expression tree (spec §9.5).
//
// An operator-precedence (shunting-yard) parser with an explicit "operand expected" state, so
// that it accepts exactly the well-formed infix expressions, and nothing like the reference's
// accidental postfix `1 2 +`. It is iterative: a hostile expression of a million nested
// parentheses or `!`s cannot exhaust the call stack here. Every structural error is reported at
// offset 0, as the reference does (its tokens never record their offsets).
//
// Unary `!`/`not` binds tighter than every binary operator (`!2 ** 2` is `(!2) ** 2`) and nests
// (`!!x`, `not not x`: §14.1 decides to accept them and evaluate them correctly).

import {
  OP_LPAREN,
  OP_NOT,
  OP_POW,
  OP_RPAREN,
  type Token,
  type TupleItem,
} from './lexer.js';

/** A literal value known at compile time. */
export type Literal =
  | { readonly type: 'num'; readonly value: number }
  | { readonly type: 'str'; readonly bytes: Uint8Array }
  | { readonly type: 'tuple'; readonly items: readonly TupleItem[] }
  | { readonly type: 'null' };

export type Node =
  | { readonly type: 'lit'; readonly value: Literal; readonly depth: 1 }
  | { readonly type: 'sel'; readonly name: string; readonly depth: 1 }
  | { readonly type: 'not'; readonly operand: Node; readonly depth: number }
  | { readonly type: 'bin'; readonly op: number; readonly left: Node; readonly right: Node; readonly depth: number };

export type ParseResult = { readonly ok: true; readonly root: Node } | { readonly ok: false; readonly errorOffset: 0 };

/** Binding strength (higher binds tighter), indexed by opcode; unary not is above all. */
const PRECEDENCE: readonly number[] = [
  -1, // (
  -1, // )
  6, // ! not
  5, // **
  4, // *
  4, // /
  4, // %
  3, // +
  3, // -
  2, // >
  2, // >=
  2, // <
  2, // <=
  2, // ==
  2, // !=
  2, // in
  1, // and &&
  0, // or ||
];

export function precedence(op: number): number {
  return PRECEDENCE[op] ?? -1;
}

const FAIL: ParseResult = { ok: false, errorOffset: 0 };

export function parse(tokens: readonly Token[]): ParseResult {
  const values: Node[] = [];
  const ops: number[] = [];

  // Apply the operator on top of the stack to its operands. The state machine below guarantees
  // the operands are there.
  const reduce = (): void => {
    const op = ops.pop()!;
    if (op === OP_NOT) {
      const operand = values.pop()!;
      values.push({ type: 'not', operand, depth: operand.depth + 1 });
    } else {
      const right = values.pop()!;
      const left = values.pop()!;
      values.push({ type: 'bin', op, left, right, depth: Math.max(left.depth, right.depth) + 1 });
    }
  };

  let expectOperand = true;
  for (const tok of tokens) {
    if (expectOperand) {
      switch (tok.type) {
        case 'num':
        case 'str':
        case 'tuple':
        case 'null':
          values.push({ type: 'lit', value: tok, depth: 1 });
          expectOperand = false;
          break;
        case 'sel':
          values.push({ type: 'sel', name: tok.name, depth: 1 });
          expectOperand = false;
          break;
        case 'op':
          if (tok.op !== OP_NOT && tok.op !== OP_LPAREN) return FAIL;
          ops.push(tok.op);
          break;
      }
      continue;
    }
    // An operand was just completed: only a binary operator or ')' may follow.
    if (tok.type !== 'op' || tok.op === OP_NOT || tok.op === OP_LPAREN) return FAIL;
    if (tok.op === OP_RPAREN) {
      for (;;) {
        const top = ops.length === 0 ? -1 : ops[ops.length - 1]!;
        if (top === -1) return FAIL;
        if (top === OP_LPAREN) {
          ops.pop();
          break;
        }
        reduce();
      }
      continue;
    }
    const prec = precedence(tok.op);
    const rightAssoc = tok.op === OP_POW;
    while (ops.length > 0) {
      const top = ops[ops.length - 1]!;
      if (top === OP_LPAREN) break;
      const topPrec = precedence(top);
      if (topPrec < prec || (topPrec === prec && rightAssoc)) break;
      reduce();
    }
    ops.push(tok.op);
    expectOperand = true;
  }
  if (expectOperand) return FAIL; // empty expression, or a trailing operator
  while (ops.length > 0) {
    if (ops[ops.length - 1] === OP_LPAREN) return FAIL;
    reduce();
  }
  return values.length === 1 ? { ok: true, root: values[0]! } : FAIL;
}
