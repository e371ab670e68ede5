// The FILTER expression language of VSIM (spec §9): compile once per query, then match it
// against the attribute bytes of every visited element.
//
//   const r = compileFilter(exprBytes);
//   if (!r.ok) reply(filterSyntaxError(exprBytes, r.errorOffset));
//   …
//   if (hasAttribute && matchFilter(r.filter, arena, attrStart, attrEnd)) keep(element);
//
// The caller decides that an element without an attribute never matches. A compiled filter
// holds per-evaluation scratch state, so use one per thread (compile the same bytes again in a
// worker: compiling costs microseconds). It is not reentrant, which a synchronous call never is.

import { ClosureProgram, CLOSURE_MAX_DEPTH } from './closures.js';
import { FilterContext } from './context.js';
import { cStringLength, tokenize } from './lexer.js';
import { parse } from './parser.js';
import { StackProgram } from './vm.js';

export type FilterEngine = 'closure' | 'stack';

export interface CompiledFilter {
  /** The expression, up to its first NUL byte. */
  readonly source: Uint8Array;
  /** Distinct selector names in order of first appearance (without the leading dot). */
  readonly selectors: readonly string[];
  /** Which evaluator runs it: closures, or the stack machine for very deep expressions. */
  readonly engine: FilterEngine;
  /** Evaluate against attr[start..end); see matchFilter. */
  match(attr: Uint8Array, start: number, end: number): boolean;
}

export type CompileFilterResult =
  | { readonly ok: true; readonly filter: CompiledFilter }
  | { readonly ok: false; readonly errorOffset: number };

export interface CompileFilterOptions {
  /** Force an evaluator (tests and benchmarks); by default closures unless the tree is too deep. */
  readonly engine?: FilterEngine;
}

class Filter implements CompiledFilter {
  constructor(
    readonly source: Uint8Array,
    private readonly ctx: FilterContext,
    readonly engine: FilterEngine,
    private readonly program: () => boolean,
  ) {}

  get selectors(): readonly string[] {
    return this.ctx.selectors;
  }

  match(attr: Uint8Array, start: number, end: number): boolean {
    // Keep the window inside the buffer: the scanner trusts its bounds.
    if (end > attr.length) end = attr.length;
    if (start < 0) start = 0;
    return this.ctx.resolve(attr, start, end) && this.program();
  }
}

const utf8 = new TextEncoder();

/**
 * Compile an expression. On a syntax error, errorOffset is where the reply's `near:` text
 * starts (spec §9.7): the lexer's stopping point for lexical errors, 0 for structural errors and
 * whenever the lexer stopped at the end of the expression (unterminated string or tuple).
 */
export function compileFilter(expr: Uint8Array | string, options: CompileFilterOptions = {}): CompileFilterResult {
  const bytes = typeof expr === 'string' ? utf8.encode(expr) : expr;
  const len = cStringLength(bytes);
  const source = bytes.slice(0, len);
  const lexed = tokenize(source);
  if (!lexed.ok) return { ok: false, errorOffset: lexed.errorOffset >= len ? 0 : lexed.errorOffset };
  const parsed = parse(lexed.tokens);
  if (!parsed.ok) return { ok: false, errorOffset: 0 };
  const root = parsed.root;
  const ctx = new FilterContext(root);
  const engine = options.engine ?? (root.depth <= CLOSURE_MAX_DEPTH ? 'closure' : 'stack');
  if (engine === 'closure' && root.depth <= CLOSURE_MAX_DEPTH) {
    const p = new ClosureProgram(ctx, root);
    return { ok: true, filter: new Filter(source, ctx, 'closure', p.run) };
  }
  const p = new StackProgram(ctx, root);
  return { ok: true, filter: new Filter(source, ctx, 'stack', () => p.run()) };
}

/**
 * Does the attribute attr[start..end) satisfy the filter? False whenever a selector of the
 * expression cannot produce a value (missing key, not a JSON object, malformed JSON before the
 * key, object value), whatever the rest of the expression says. Never throws.
 */
export function matchFilter(filter: CompiledFilter, attr: Uint8Array, start = 0, end = attr.length): boolean {
  return filter.match(attr, start, end);
}

/** The selector names an expression uses, or undefined if it does not compile. */
export function filterSelectors(expr: Uint8Array | string): readonly string[] | undefined {
  const r = compileFilter(expr);
  return r.ok ? r.filter.selectors : undefined;
}

/** The `near:` text of a syntax error: the expression from errorOffset up to its first NUL. */
export function filterErrorTail(expr: Uint8Array | string, errorOffset: number): Uint8Array {
  const bytes = typeof expr === 'string' ? utf8.encode(expr) : expr;
  const len = cStringLength(bytes);
  return bytes.slice(Math.min(errorOffset, len), len);
}

const ERROR_PREFIX = utf8.encode('ERR syntax error in FILTER expression near: ');

/**
 * The complete error text (without the leading `-` and the CRLF), as Redis formats error
 * replies: CR and LF at the end are trimmed and the others become spaces, so the text stays one
 * protocol line.
 */
export function filterSyntaxError(expr: Uint8Array | string, errorOffset: number): Uint8Array {
  const tail = filterErrorTail(expr, errorOffset);
  let n = tail.length;
  while (n > 0 && (tail[n - 1] === 0x0d || tail[n - 1] === 0x0a)) n--;
  const out = new Uint8Array(ERROR_PREFIX.length + n);
  out.set(ERROR_PREFIX, 0);
  for (let i = 0; i < n; i++) {
    const c = tail[i]!;
    out[ERROR_PREFIX.length + i] = c === 0x0d || c === 0x0a ? 0x20 : c;
  }
  return out;
}

export { extractField, type JsonFieldValue } from './json-field.js';
