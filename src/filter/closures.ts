// The closure evaluator: the expression tree compiled once into nested JavaScript closures,
// specialised on what is known at compile time — which operands are literals, which are
// selectors, which are operator results (always numbers) — so that `.year > 1980` becomes one
// closure that reads the selector's number and compares it with a constant. Sub-expressions
// without selectors are folded to constants.
//
// Closures call each other once per tree level, so the tree depth is limited (CLOSURE_MAX_DEPTH);
// deeper expressions use the stack machine in vm.ts.

import { cPow, literalNumber, type FilterContext } from './context.js';
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
  OP_OR,
  OP_POW,
  OP_SUB,
} from './lexer.js';
import type { Literal, Node } from './parser.js';
import {
  bytesContain,
  bytesEqual,
  K_NULL,
  K_NUM,
  K_STR,
  K_TUPLE,
  strNumber,
  toNumber,
  truthy,
  valueIn,
  valuesEqual,
  ValueTable,
} from './values.js';

/** Trees deeper than this are evaluated by the stack machine instead. */
export const CLOSURE_MAX_DEPTH = 200;

type NumFn = () => number;
type BoolFn = () => boolean;

/** A compiled sub-expression. */
type Compiled =
  | { readonly kind: 'const'; readonly lit: Literal; readonly row: number; readonly num: number }
  | { readonly kind: 'sel'; readonly slot: number }
  | { readonly kind: 'op'; readonly num: NumFn; readonly bool: BoolFn };

const TRUE: BoolFn = () => true;
const FALSE: BoolFn = () => false;

function literalTruthy(lit: Literal): boolean {
  switch (lit.type) {
    case 'num':
      return lit.value !== 0;
    case 'str':
      return lit.bytes.length > 0;
    case 'tuple':
      return true;
    case 'null':
      return false;
  }
}

/** Mirror a comparison so that the constant can sit on the right: k < x ⟺ x > k (NaN too). */
function mirror(op: number): number {
  switch (op) {
    case OP_GT:
      return OP_LT;
    case OP_GTE:
      return OP_LTE;
    case OP_LT:
      return OP_GT;
    case OP_LTE:
      return OP_GTE;
    default:
      return op;
  }
}

function arith(op: number, x: NumFn, y: NumFn): NumFn {
  switch (op) {
    case OP_POW:
      return () => cPow(x(), y());
    case OP_MUL:
      return () => x() * y();
    case OP_DIV:
      return () => x() / y();
    case OP_MOD:
      return () => x() % y(); // JavaScript's % is C's fmod()
    case OP_ADD:
      return () => x() + y();
    default:
      return () => x() - y();
  }
}

function arithConstRight(op: number, x: NumFn, k: number): NumFn {
  switch (op) {
    case OP_POW:
      return () => cPow(x(), k);
    case OP_MUL:
      return () => x() * k;
    case OP_DIV:
      return () => x() / k;
    case OP_MOD:
      return () => x() % k;
    case OP_ADD:
      return () => x() + k;
    default:
      return () => x() - k;
  }
}

function compare(op: number, x: NumFn, y: NumFn): BoolFn {
  switch (op) {
    case OP_GT:
      return () => x() > y();
    case OP_GTE:
      return () => x() >= y();
    case OP_LT:
      return () => x() < y();
    default:
      return () => x() <= y();
  }
}

function compareConst(op: number, x: NumFn, k: number): BoolFn {
  switch (op) {
    case OP_GT:
      return () => x() > k;
    case OP_GTE:
      return () => x() >= k;
    case OP_LT:
      return () => x() < k;
    default:
      return () => x() <= k;
  }
}

/** Selector compared with a constant number: the most common filter shape, kept in one closure. */
function compareSelConst(op: number, sel: ValueTable, i: number, k: number): BoolFn {
  const kind = sel.kind;
  const num = sel.num;
  switch (op) {
    case OP_GT:
      return () => (kind[i] === K_NUM ? num[i]! : toNumber(sel, i)) > k;
    case OP_GTE:
      return () => (kind[i] === K_NUM ? num[i]! : toNumber(sel, i)) >= k;
    case OP_LT:
      return () => (kind[i] === K_NUM ? num[i]! : toNumber(sel, i)) < k;
    default:
      return () => (kind[i] === K_NUM ? num[i]! : toNumber(sel, i)) <= k;
  }
}

export class ClosureProgram {
  readonly run: BoolFn;
  private readonly sel: ValueTable;
  private readonly regs = new ValueTable(1);

  constructor(
    private readonly ctx: FilterContext,
    root: Node,
  ) {
    this.sel = ctx.sel;
    this.run = this.boolOf(this.compile(root));
  }

  private constant(lit: Literal): Compiled {
    return { kind: 'const', lit, row: this.ctx.addLiteral(lit), num: literalNumber(lit) };
  }

  private compile(n: Node): Compiled {
    switch (n.type) {
      case 'lit':
        return this.constant(n.value);
      case 'sel':
        return { kind: 'sel', slot: this.ctx.selectorSlot(n.name) };
      case 'not': {
        const a = this.compile(n.operand);
        if (a.kind === 'const') return this.constant({ type: 'num', value: literalTruthy(a.lit) ? 0 : 1 });
        const p = this.boolOf(a);
        return this.boolean(() => !p());
      }
      case 'bin': {
        const a = this.compile(n.left);
        const b = this.compile(n.right);
        const c = this.binary(n.op, a, b);
        // Both operands constant: fold. Operators have no side effects and read no selector.
        if (a.kind === 'const' && b.kind === 'const' && c.kind === 'op') {
          return this.constant({ type: 'num', value: c.num() });
        }
        return c;
      }
    }
  }

  private boolean(f: BoolFn): Compiled {
    return { kind: 'op', bool: f, num: () => (f() ? 1 : 0) };
  }

  private numeric(f: NumFn): Compiled {
    return { kind: 'op', num: f, bool: () => f() !== 0 };
  }

  private numOf(c: Compiled): NumFn {
    if (c.kind === 'op') return c.num;
    if (c.kind === 'const') {
      const k = c.num;
      return () => k;
    }
    const i = c.slot;
    const sel = this.sel;
    const kind = sel.kind;
    const num = sel.num;
    return () => (kind[i] === K_NUM ? num[i]! : toNumber(sel, i));
  }

  private boolOf(c: Compiled): BoolFn {
    if (c.kind === 'op') return c.bool;
    if (c.kind === 'const') return literalTruthy(c.lit) ? TRUE : FALSE;
    const i = c.slot;
    const sel = this.sel;
    return () => truthy(sel, i);
  }

  private binary(op: number, a: Compiled, b: Compiled): Compiled {
    switch (op) {
      case OP_POW:
      case OP_MUL:
      case OP_DIV:
      case OP_MOD:
      case OP_ADD:
      case OP_SUB:
        if (b.kind === 'const') return this.numeric(arithConstRight(op, this.numOf(a), b.num));
        return this.numeric(arith(op, this.numOf(a), this.numOf(b)));
      case OP_GT:
      case OP_GTE:
      case OP_LT:
      case OP_LTE: {
        let x = a;
        let y = b;
        let o: number = op;
        if (x.kind === 'const' && y.kind !== 'const') {
          x = b;
          y = a;
          o = mirror(op);
        }
        if (y.kind === 'const') {
          if (x.kind === 'sel') return this.boolean(compareSelConst(o, this.sel, x.slot, y.num));
          return this.boolean(compareConst(o, this.numOf(x), y.num));
        }
        return this.boolean(compare(o, this.numOf(x), this.numOf(y)));
      }
      case OP_EQ:
        return this.boolean(this.equal(a, b));
      case OP_NEQ: {
        const e = this.equal(a, b);
        return this.boolean(() => !e());
      }
      case OP_IN:
        return this.boolean(this.contains(a, b));
      case OP_AND: {
        // Both sides are pure, and every selector was resolved before the run: short-circuit.
        const p = this.boolOf(a);
        const q = this.boolOf(b);
        return this.boolean(() => p() && q());
      }
      case OP_OR: {
        const p = this.boolOf(a);
        const q = this.boolOf(b);
        return this.boolean(() => p() || q());
      }
      default:
        return this.constant({ type: 'num', value: 0 });
    }
  }

  /** `a == b`, specialised on operand kinds (equality is symmetric). */
  private equal(a: Compiled, b: Compiled): BoolFn {
    if (a.kind === 'const') {
      if (b.kind !== 'const') return this.equal(b, a);
      return valuesEqual(this.ctx.consts, a.row, this.ctx.consts, b.row) ? TRUE : FALSE;
    }
    const sel = this.sel;
    const kind = sel.kind;
    const num = sel.num;
    if (b.kind === 'const') {
      const lit = b.lit;
      const k = b.num;
      if (a.kind === 'op') {
        if (lit.type === 'null') return FALSE;
        const x = a.num;
        return () => x() === k; // a number against a number, or mixed: numeric either way
      }
      const i = a.slot;
      switch (lit.type) {
        case 'null':
          return () => kind[i] === K_NULL;
        case 'num':
          return () => {
            const t = kind[i];
            if (t === K_NUM) return num[i] === k;
            if (t === K_STR) return strNumber(sel, i) === k;
            return t === K_TUPLE && k === 0;
          };
        case 'str': {
          const bytes = lit.bytes;
          const len = bytes.length;
          return () => {
            const t = kind[i];
            if (t === K_STR) return bytesEqual(sel.buf[i]!, sel.start[i]!, sel.end[i]!, bytes, 0, len);
            if (t === K_NUM) return num[i] === k;
            return t === K_TUPLE && k === 0;
          };
        }
        case 'tuple':
          return () => kind[i] !== K_NULL && toNumber(sel, i) === 0;
      }
    }
    if (a.kind === 'op' && b.kind === 'op') {
      const x = a.num;
      const y = b.num;
      return () => x() === y();
    }
    if (a.kind === 'sel' && b.kind === 'sel') {
      const i = a.slot;
      const j = b.slot;
      return () => valuesEqual(sel, i, sel, j);
    }
    // One operator result (a number) and one selector.
    const x = a.kind === 'op' ? a.num : (b as { num: NumFn }).num;
    const j = a.kind === 'sel' ? a.slot : (b as { slot: number }).slot;
    return () => kind[j] !== K_NULL && x() === toNumber(sel, j);
  }

  /** `a in b`: membership in a tuple, or substring of a string. */
  private contains(a: Compiled, b: Compiled): BoolFn {
    const ctx = this.ctx;
    const sel = this.sel;
    const arena = ctx.arena;
    if (b.kind === 'op') return FALSE; // a number is neither a tuple nor a string
    if (b.kind === 'const') {
      const lit = b.lit;
      if (lit.type === 'num' || lit.type === 'null') return FALSE;
      if (a.kind === 'const') return valueIn(ctx.consts, a.row, ctx.consts, b.row, arena) ? TRUE : FALSE;
      if (lit.type === 'str') {
        if (a.kind === 'op') return FALSE;
        const i = a.slot;
        const kind = sel.kind;
        const hay = lit.bytes;
        return () => kind[i] === K_STR && bytesContain(hay, 0, hay.length, sel.buf[i]!, sel.start[i]!, sel.end[i]!);
      }
      // A literal tuple.
      if (a.kind === 'op') {
        const items = lit.items.map((it) => (it.type === 'num' ? it.value : literalNumber(it)));
        const nums = Float64Array.from(items);
        const x = a.num;
        return () => {
          const v = x();
          for (let j = 0; j < nums.length; j++) if (nums[j] === v) return true;
          return false;
        };
      }
      const i = a.slot;
      const consts = ctx.consts;
      const row = b.row;
      return () => valueIn(sel, i, consts, row, arena);
    }
    // The right side is a selector.
    const j = b.slot;
    if (a.kind === 'const') {
      const consts = ctx.consts;
      const row = a.row;
      return () => valueIn(consts, row, sel, j, arena);
    }
    if (a.kind === 'sel') {
      const i = a.slot;
      return () => valueIn(sel, i, sel, j, arena);
    }
    const x = a.num;
    const regs = this.regs;
    return () => {
      regs.setNum(0, x());
      return valueIn(regs, 0, sel, j, arena);
    };
  }
}
