// The stack-machine evaluator: the expression as a flat postfix program in an Int32Array, run
// over a value stack held in typed arrays. It has no recursion at all, so it evaluates trees of
// any depth; the closure evaluator (closures.ts) is faster on ordinary expressions and defers to
// this one for very deep trees.

import { cPow, type FilterContext } from './context.js';
import {
  OP_ADD,
  OP_AND,
  OP_DIV,
  OP_EQ,
  OP_GT,
  OP_GTE,
  OP_IN,
  OP_LT,
  OP_LTE,
  OP_MOD,
  OP_MUL,
  OP_NEQ,
  OP_NOT,
  OP_OR,
  OP_POW,
  OP_SUB,
} from './lexer.js';
import type { Node } from './parser.js';
import { toNumber, truthy, valueIn, valuesEqual, ValueTable } from './values.js';

// Instructions are (code, argument) pairs. Operator codes are the lexer's opcodes (all ≥ 2).
const PUSH_CONST = 0;
const PUSH_SEL = 1;

export class StackProgram {
  private readonly code: Int32Array;
  private readonly stack: ValueTable;

  constructor(
    private readonly ctx: FilterContext,
    root: Node,
  ) {
    const code: number[] = [];
    let depth = 0;
    let maxDepth = 0;
    // Iterative post-order walk. A frame is a node plus whether its children are emitted.
    const nodes: Node[] = [root];
    const visited: boolean[] = [false];
    while (nodes.length > 0) {
      const n = nodes.pop()!;
      const done = visited.pop()!;
      if (n.type === 'lit') {
        code.push(PUSH_CONST, ctx.addLiteral(n.value));
        maxDepth = Math.max(maxDepth, ++depth);
      } else if (n.type === 'sel') {
        code.push(PUSH_SEL, ctx.selectorSlot(n.name));
        maxDepth = Math.max(maxDepth, ++depth);
      } else if (done) {
        if (n.type === 'not') {
          code.push(OP_NOT, 0);
        } else {
          code.push(n.op, 0);
          depth--;
        }
      } else {
        nodes.push(n);
        visited.push(true);
        if (n.type === 'not') {
          nodes.push(n.operand);
          visited.push(false);
        } else {
          nodes.push(n.right, n.left);
          visited.push(false, false);
        }
      }
    }
    this.code = Int32Array.from(code);
    this.stack = new ValueTable(maxDepth);
  }

  /** Evaluate with the selectors already resolved into ctx.sel. */
  run(): boolean {
    const code = this.code;
    const st = this.stack;
    const ctx = this.ctx;
    const consts = ctx.consts;
    const sel = ctx.sel;
    const arena = ctx.arena;
    let sp = 0;
    for (let pc = 0; pc < code.length; pc += 2) {
      const op = code[pc]!;
      switch (op) {
        case PUSH_CONST:
          st.copyFrom(sp++, consts, code[pc + 1]!);
          break;
        case PUSH_SEL:
          st.copyFrom(sp++, sel, code[pc + 1]!);
          break;
        case OP_NOT:
          st.setNum(sp - 1, truthy(st, sp - 1) ? 0 : 1);
          break;
        default: {
          const b = --sp;
          const a = sp - 1;
          st.setNum(a, binary(op, st, a, b, arena));
        }
      }
    }
    return truthy(st, 0);
  }
}

function binary(op: number, st: ValueTable, a: number, b: number, arena: ValueTable): number {
  switch (op) {
    case OP_POW:
      return cPow(toNumber(st, a), toNumber(st, b));
    case OP_MUL:
      return toNumber(st, a) * toNumber(st, b);
    case OP_DIV:
      return toNumber(st, a) / toNumber(st, b);
    case OP_MOD:
      return toNumber(st, a) % toNumber(st, b);
    case OP_ADD:
      return toNumber(st, a) + toNumber(st, b);
    case OP_SUB:
      return toNumber(st, a) - toNumber(st, b);
    case OP_GT:
      return toNumber(st, a) > toNumber(st, b) ? 1 : 0;
    case OP_GTE:
      return toNumber(st, a) >= toNumber(st, b) ? 1 : 0;
    case OP_LT:
      return toNumber(st, a) < toNumber(st, b) ? 1 : 0;
    case OP_LTE:
      return toNumber(st, a) <= toNumber(st, b) ? 1 : 0;
    case OP_EQ:
      return valuesEqual(st, a, st, b) ? 1 : 0;
    case OP_NEQ:
      return valuesEqual(st, a, st, b) ? 0 : 1;
    case OP_IN:
      return valueIn(st, a, st, b, arena) ? 1 : 0;
    case OP_AND:
      return truthy(st, a) && truthy(st, b) ? 1 : 0;
    case OP_OR:
      return truthy(st, a) || truthy(st, b) ? 1 : 0;
    default:
      return 0;
  }
}
