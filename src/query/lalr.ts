// A small LALR(1) table builder and driver that behave like the Lemon parser generator.
//
// RediSearch's query grammar is an ambiguous grammar made deterministic by Lemon's precedence
// rules, and which inputs it accepts — and at which token it reports "Syntax error at offset N" —
// follows from how Lemon builds and compresses its tables. Rather than imitate that by hand, the
// grammar (grammar.ts) is turned into tables here with Lemon's own rules:
//   - LALR(1) lookaheads;
//   - conflicts resolved pairwise in (symbol, type, rule) order: a rule's precedence is that of
//     its explicit [TOKEN] or else of its leftmost terminal with a precedence; a shift/reduce
//     goes to the higher precedence, a tie of left-associative ones to the reduce; without
//     precedence the shift wins, and of two reduces the earlier rule;
//   - per state, the most frequent reduce (never one of the start symbol's rules) becomes the
//     default action, taken for every token without an explicit action — so a reduce may happen
//     on a token that then fails, exactly as in the module;
//   - a token without an explicit action is first retried as its %fallback token;
//   - a shift into a state whose only action is its default reduce becomes a shift-reduce: the
//     reduce runs when the next token arrives;
//   - a 256-entry stack, overflowing with the module's error.
// The tables are built once, lazily (about a millisecond).

export interface GrammarRule {
  readonly lhs: string;
  readonly rhs: readonly string[];
  /** Explicit precedence token ([TOKEN] in Lemon). */
  readonly prec?: string;
}

export interface GrammarSpec {
  /** Terminals in Lemon's numbering order; '$' (end of input) is added as number 0. */
  readonly terminals: readonly string[];
  /** Precedence levels, lowest first; every level is left-associative here. */
  readonly leftPrecedence: readonly (readonly string[])[];
  /** token → token to retry with when it has no action. */
  readonly fallback: Readonly<Record<string, string>>;
  /** Rules in file order; the first rule's LHS is the start symbol. */
  readonly rules: readonly GrammarRule[];
}

/** Built tables. Action codes: [0, nstate) shift; then shift-reduce, reduce, error, accept. */
export interface ParseTables {
  readonly terminalIndex: ReadonlyMap<string, number>;
  readonly nstate: number;
  readonly nrule: number;
  readonly ruleLhs: Int32Array;
  readonly ruleLen: Int32Array;
  /** Per state, per symbol: explicit action or -1. */
  readonly action: Int32Array;
  readonly nsymbol: number;
  readonly dflt: Int32Array;
  readonly fallback: Int32Array;
  readonly errorAction: number;
  readonly acceptAction: number;
}

type ActType = 'SHIFT' | 'ACCEPT' | 'REDUCE' | 'ERROR' | 'SSCONFLICT' | 'SRCONFLICT' | 'RRCONFLICT' | 'SH_RESOLVED' | 'RD_RESOLVED' | 'NOT_USED';
const TYPE_ORDER: Record<ActType, number> = {
  SHIFT: 0, ACCEPT: 1, REDUCE: 2, ERROR: 3, SSCONFLICT: 4, SRCONFLICT: 5, RRCONFLICT: 6, SH_RESOLVED: 7, RD_RESOLVED: 8, NOT_USED: 9,
};

interface Act {
  sym: number;
  type: ActType;
  /** Target state (SHIFT) or rule (REDUCE). */
  x: number;
}

export function buildTables(g: GrammarSpec): ParseTables {
  const terms = ['$', ...g.terminals];
  const T = terms.length;
  const symIndex = new Map<string, number>();
  terms.forEach((t, i) => symIndex.set(t, i));
  const nonterms: string[] = [];
  for (const r of g.rules) {
    if (!symIndex.has(r.lhs)) {
      symIndex.set(r.lhs, T + nonterms.length);
      nonterms.push(r.lhs);
    }
  }
  const NS = T + nonterms.length;
  const R = g.rules.length;
  const lhs = new Int32Array(R);
  const rhs: number[][] = [];
  const precSym = new Int32Array(R).fill(-1);
  const prec = new Int32Array(NS).fill(-1);
  g.leftPrecedence.forEach((level, i) => level.forEach((t) => (prec[symIndex.get(t)!] = i)));
  g.rules.forEach((r, i) => {
    lhs[i] = symIndex.get(r.lhs)!;
    const syms = r.rhs.map((s) => {
      const k = symIndex.get(s);
      if (k === undefined) throw new Error(`grammar: unknown symbol ${s}`);
      return k;
    });
    rhs.push(syms);
    if (r.prec !== undefined) precSym[i] = symIndex.get(r.prec)!;
    else precSym[i] = syms.find((s) => prec[s]! >= 0) ?? -1;
  });
  const start = lhs[0]!;
  const rulesOf: number[][] = Array.from({ length: NS }, () => []);
  for (let i = 0; i < R; i++) rulesOf[lhs[i]!]!.push(i);

  // Nullable and FIRST sets (FIRST over terminals only).
  const nullable = new Uint8Array(NS);
  const first: Set<number>[] = Array.from({ length: NS }, (_, i) => (i < T ? new Set([i]) : new Set<number>()));
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < R; i++) {
      const l = lhs[i]!;
      let allNull = true;
      for (const s of rhs[i]!) {
        for (const f of first[s]!) {
          if (!first[l]!.has(f)) {
            first[l]!.add(f);
            changed = true;
          }
        }
        if (!nullable[s]) {
          allNull = false;
          break;
        }
      }
      if (allNull && !nullable[l]) {
        nullable[l] = 1;
        changed = true;
      }
    }
  }

  // LR(0) states. An item is rule * 64 + dot.
  const item = (r: number, d: number): number => r * 64 + d;
  const closure0 = (kernel: readonly number[]): number[] => {
    const out = [...kernel];
    const seen = new Set(out);
    for (let i = 0; i < out.length; i++) {
      const r = out[i]! >> 6;
      const d = out[i]! & 63;
      const s = rhs[r]![d];
      if (s === undefined || s < T) continue;
      for (const r2 of rulesOf[s]!) {
        const it = item(r2, 0);
        if (!seen.has(it)) {
          seen.add(it);
          out.push(it);
        }
      }
    }
    return out;
  };
  const kernels: number[][] = [rulesOf[start]!.map((r) => item(r, 0))];
  const stateKey = new Map<string, number>([[kernels[0]!.join(','), 0]]);
  const closures: number[][] = [];
  const gotos: Map<number, number>[] = [];
  for (let st = 0; st < kernels.length; st++) {
    const cl = closure0(kernels[st]!);
    closures.push(cl);
    const bySym = new Map<number, number[]>();
    for (const it of cl) {
      const s = rhs[it >> 6]![it & 63];
      if (s === undefined) continue;
      let list = bySym.get(s);
      if (list === undefined) bySym.set(s, (list = []));
      list.push(it + 1);
    }
    const gm = new Map<number, number>();
    for (const [s, k] of bySym) {
      k.sort((a, b) => a - b);
      const key = k.join(',');
      let target = stateKey.get(key);
      if (target === undefined) {
        target = kernels.length;
        kernels.push(k);
        stateKey.set(key, target);
      }
      gm.set(s, target);
    }
    gotos.push(gm);
  }
  const S = kernels.length;

  // LALR(1) lookaheads by spontaneous generation and propagation ('#' = T).
  const HASH = T;
  const la: Map<number, Set<number>>[] = kernels.map((k) => new Map(k.map((it) => [it, new Set<number>()])));
  for (const it of kernels[0]!) la[0]!.get(it)!.add(0);
  const links: Array<[number, number, number, number]> = [];
  const closure1 = (seed: ReadonlyMap<number, ReadonlySet<number>>): Map<number, Set<number>> => {
    const out = new Map<number, Set<number>>();
    const work: number[] = [];
    for (const [it, set] of seed) {
      out.set(it, new Set(set));
      work.push(it);
    }
    while (work.length > 0) {
      const it = work.pop()!;
      const r = it >> 6;
      const d = it & 63;
      const s = rhs[r]![d];
      if (s === undefined || s < T) continue;
      const f = new Set<number>();
      let restNullable = true;
      for (let j = d + 1; j < rhs[r]!.length; j++) {
        for (const x of first[rhs[r]![j]!]!) f.add(x);
        if (!nullable[rhs[r]![j]!]) {
          restNullable = false;
          break;
        }
      }
      if (restNullable) for (const x of out.get(it)!) f.add(x);
      for (const r2 of rulesOf[s]!) {
        const it2 = item(r2, 0);
        let set = out.get(it2);
        let grew = false;
        if (set === undefined) {
          out.set(it2, (set = new Set()));
          grew = true;
        }
        for (const x of f) {
          if (!set.has(x)) {
            set.add(x);
            grew = true;
          }
        }
        if (grew) work.push(it2);
      }
    }
    return out;
  };
  for (let st = 0; st < S; st++) {
    for (const k of kernels[st]!) {
      const cl = closure1(new Map([[k, new Set([HASH])]]));
      for (const [it, set] of cl) {
        const s = rhs[it >> 6]![it & 63];
        if (s === undefined) continue;
        const target = gotos[st]!.get(s)!;
        for (const a of set) {
          if (a === HASH) links.push([st, k, target, it + 1]);
          else la[target]!.get(it + 1)!.add(a);
        }
      }
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const [s1, k1, s2, k2] of links) {
      const from = la[s1]!.get(k1)!;
      const to = la[s2]!.get(k2)!;
      for (const a of from) {
        if (!to.has(a)) {
          to.add(a);
          changed = true;
        }
      }
    }
  }

  // Actions per state.
  const acts: Act[][] = [];
  for (let st = 0; st < S; st++) {
    const list: Act[] = [];
    for (const [s, target] of gotos[st]!) list.push({ sym: s, type: 'SHIFT', x: target });
    const full = closure1(la[st]!);
    for (const [it, set] of full) {
      const r = it >> 6;
      if ((it & 63) !== rhs[r]!.length) continue;
      for (const a of set) list.push({ sym: a, type: 'REDUCE', x: r });
    }
    if (st === 0) list.push({ sym: start, type: 'ACCEPT', x: 0 });
    list.sort((a, b) => a.sym - b.sym || TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || (a.type === 'REDUCE' ? a.x - b.x : 0));
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length && list[j]!.sym === list[i]!.sym; j++) resolveConflict(list[i]!, list[j]!, prec, precSym);
    }
    acts.push(list);
  }

  // Default reduces, auto-reducing states, shift-reduce.
  const dfltRule = new Int32Array(S).fill(-1);
  const autoReduce = new Uint8Array(S);
  for (let st = 0; st < S; st++) {
    const list = acts[st]!;
    let nbest = 0;
    let rbest = -1;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (a.type !== 'REDUCE' || lhs[a.x] === start || a.x === rbest) continue;
      let n = 1;
      for (let j = i + 1; j < list.length; j++) {
        const b = list[j]!;
        if (b.type !== 'REDUCE' || b.x === rbest) continue;
        if (b.x === a.x) n++;
      }
      if (n > nbest) {
        nbest = n;
        rbest = a.x;
      }
    }
    if (nbest < 1) continue;
    dfltRule[st] = rbest;
    for (const a of list) if (a.type === 'REDUCE' && a.x === rbest) a.type = 'NOT_USED';
    if (!list.some((a) => a.type === 'SHIFT' || a.type === 'REDUCE')) autoReduce[st] = 1;
  }

  const SR = S;
  const RD = S + R;
  const ERR = S + 2 * R;
  const ACC = ERR + 1;
  const action = new Int32Array(S * NS).fill(-1);
  const dflt = new Int32Array(S);
  for (let st = 0; st < S; st++) {
    dflt[st] = dfltRule[st]! >= 0 ? RD + dfltRule[st]! : ERR;
    for (const a of acts[st]!) {
      let code: number;
      if (a.type === 'SHIFT') code = autoReduce[a.x] ? (a.sym < T ? SR : RD) + dfltRule[a.x]! : a.x;
      else if (a.type === 'REDUCE') code = RD + a.x;
      else if (a.type === 'ACCEPT') code = ACC;
      else if (a.type === 'ERROR') code = ERR;
      else continue;
      action[st * NS + a.sym] = code;
    }
  }
  const fallback = new Int32Array(T);
  for (const [from, to] of Object.entries(g.fallback)) fallback[symIndex.get(from)!] = symIndex.get(to)!;
  const terminalIndex = new Map<string, number>();
  terms.forEach((t, i) => terminalIndex.set(t, i));
  const ruleLen = new Int32Array(R);
  rhs.forEach((r, i) => (ruleLen[i] = r.length));
  return { terminalIndex, nstate: S, nrule: R, ruleLhs: lhs, ruleLen, action, nsymbol: NS, dflt, fallback, errorAction: ERR, acceptAction: ACC };
}

function resolveConflict(x: Act, y: Act, prec: Int32Array, precSym: Int32Array): void {
  if (x.type === 'SHIFT' && y.type === 'SHIFT') {
    y.type = 'SSCONFLICT';
  } else if (x.type === 'SHIFT' && y.type === 'REDUCE') {
    const sx = prec[x.sym]!;
    const ps = precSym[y.x]!;
    const sy = ps < 0 ? -1 : prec[ps]!;
    if (ps < 0 || sx < 0 || sy < 0) y.type = 'SRCONFLICT';
    else if (sx > sy) y.type = 'RD_RESOLVED';
    else if (sx < sy) x.type = 'SH_RESOLVED';
    else x.type = 'SH_RESOLVED'; // equal precedence, left-associative: reduce
  } else if (x.type === 'REDUCE' && y.type === 'REDUCE') {
    const px = precSym[x.x]!;
    const py = precSym[y.x]!;
    const a = px < 0 ? -1 : prec[px]!;
    const b = py < 0 ? -1 : prec[py]!;
    if (a < 0 || b < 0 || a === b) y.type = 'RRCONFLICT';
    else if (a > b) y.type = 'RD_RESOLVED';
    else x.type = 'RD_RESOLVED';
  }
}

/** One shifted symbol with its semantic value. */
interface StackEntry<V> {
  state: number;
  value: V;
}

export type ParseStep = 'ok' | 'error' | 'overflow' | 'accept';

/**
 * The Lemon driver: feed tokens one at a time (0 = end of input). `reduce(rule, values)` builds
 * the value of the rule's left-hand side from the values of its right-hand side.
 */
export class LemonParser<V> {
  private readonly stack: StackEntry<V>[];
  static readonly STACK_DEPTH = 256;

  constructor(
    private readonly t: ParseTables,
    private readonly reduce: (rule: number, rhs: readonly V[]) => V,
    bottom: V,
  ) {
    this.stack = [{ state: 0, value: bottom }];
  }

  private findShiftAction(state: number, major: number): number {
    const t = this.t;
    if (state >= t.nstate) return state; // a pending shift-reduce
    for (;;) {
      const a = t.action[state * t.nsymbol + major]!;
      if (a >= 0) return a;
      if (major < t.fallback.length && t.fallback[major] !== 0) {
        major = t.fallback[major]!;
        continue;
      }
      return t.dflt[state]!;
    }
  }

  /** Feeds one token. 'error' and 'overflow' end the parse; 'accept' only comes with token 0. */
  feed(major: number, value: V): ParseStep {
    const t = this.t;
    const RD = t.nstate + t.nrule;
    let act = this.stack[this.stack.length - 1]!.state;
    for (;;) {
      act = this.findShiftAction(act, major);
      if (act >= RD && act < t.errorAction) {
        const rule = act - RD;
        const n = t.ruleLen[rule]!;
        if (n === 0 && this.stack.length - 1 >= LemonParser.STACK_DEPTH - 1) return 'overflow';
        const values = this.stack.splice(this.stack.length - n, n).map((e) => e.value);
        const lhsValue = this.reduce(rule, values);
        const under = this.stack[this.stack.length - 1]!.state;
        const g = t.action[under * t.nsymbol + t.ruleLhs[rule]!]!;
        if (g === t.acceptAction) return 'accept';
        // A goto into an auto-reducing state is stored as that reduce (Lemon's encoding).
        const next = g >= t.nstate && g < RD ? g + t.nrule : g;
        this.stack.push({ state: next, value: lhsValue });
        act = next;
      } else if (act < RD) {
        if (this.stack.length >= LemonParser.STACK_DEPTH) return 'overflow';
        this.stack.push({ state: act >= t.nstate ? act + t.nrule : act, value });
        return 'ok';
      } else if (act === t.acceptAction) {
        return 'accept';
      } else {
        return 'error';
      }
    }
  }
}
