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
  OP_MOD,
  OP_MUL,
  OP_NEQ,
  OP_NOT,
  OP_OR,
  OP_POW,
  OP_SUB,
} from './lexer.js';
import type { Node } from './parser.js';
import { K_NUM, toNumber, truthy, valueIn, valuesEqual, ValueTable } from './values.js';

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

  /**
   * Evaluate with the selectors already resolved into ctx.sel. Results are written straight into
   * the stack's typed arrays: a helper returning a fractional double from a call V8 does not
   * inline would box it in a fresh heap number on every operation.
   */
  run(): boolean {
    const code = this.code;
    const st = this.stack;
    const ctx = this.ctx;
    const consts = ctx.consts;
    const sel = ctx.sel;
    const arena = ctx.arena;
    const kind = st.kind;
    const num = st.num;
    let sp = 0;
    for (let pc = 0; pc < code.length; pc += 2) {
      const op = code[pc]!;
      if (op === PUSH_CONST) {
        st.copyFrom(sp++, consts, code[pc + 1]!);
        continue;
      }
      if (op === PUSH_SEL) {
        st.copyFrom(sp++, sel, code[pc + 1]!);
        continue;
      }
      if (op === OP_NOT) {
        const t = truthy(st, sp - 1);
        kind[sp - 1] = K_NUM;
        num[sp - 1] = t ? 0 : 1;
        continue;
      }
      const b = --sp;
      const a = sp - 1;
      let r: boolean;
      switch (op) {
        case OP_EQ:
          r = valuesEqual(st, a, st, b);
          break;
        case OP_NEQ:
          r = !valuesEqual(st, a, st, b);
          break;
        case OP_IN:
          r = valueIn(st, a, st, b, arena);
          break;
        case OP_AND:
          r = truthy(st, a) && truthy(st, b);
          break;
        case OP_OR:
          r = truthy(st, a) || truthy(st, b);
          break;
        default: {
          // Numeric operators: both operands converted to numbers.
          const x = kind[a] === K_NUM ? num[a]! : toNumber(st, a);
          const y = kind[b] === K_NUM ? num[b]! : toNumber(st, b);
          kind[a] = K_NUM;
          switch (op) {
            case OP_POW:
              num[a] = cPow(x, y);
              continue;
            case OP_MUL:
              num[a] = x * y;
              continue;
            case OP_DIV:
              num[a] = x / y;
              continue;
            case OP_MOD:
              num[a] = x % y; // JavaScript's % is C's fmod()
              continue;
            case OP_ADD:
              num[a] = x + y;
              continue;
            case OP_SUB:
              num[a] = x - y;
              continue;
            case OP_GT:
              r = x > y;
              break;
            case OP_GTE:
              r = x >= y;
              break;
            case OP_LT:
              r = x < y;
              break;
            default:
              r = x <= y;
          }
        }
      }
      kind[a] = K_NUM;
      num[a] = r ? 1 : 0;
    }
    return truthy(st, 0);
  }
}
