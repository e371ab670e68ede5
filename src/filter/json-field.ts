// Top-level field lookup in an attribute's JSON, without parsing the document (spec §9.4).
//
// A selector `.name` seeks the first top-level key whose *raw* text equals `name`, skipping the
// values of other keys with a light scanner, and converts only the value it finds. The rules are
// those of the reference scanner, including its leniencies, because they decide which elements
// match:
//   - the document must start (after whitespace) with `{`; a key must be a string followed by
//     `:`; after each skipped value comes `,` or `}` (a trailing comma before `}` is tolerated);
//   - skipping is shallow: a skipped string ends at the first unescaped `"`, a skipped `{…}` or
//     `[…]` ends when its own bracket kind balances (strings inside are honoured, the other
//     bracket kind is not counted), `true`/`false`/`null` are matched as prefixes, a number is
//     any non-empty run of `[0-9+-.eE]`; anything else is malformed and fails the lookup;
//   - JSON after the matched value is never looked at; a missing key fails the lookup.
// Conversion of the matched value: strings decode `\n \r \t \\ \"` and keep the character after
// any other backslash (`\u0041` → `u0041`); numbers must be a complete strtod decimal (first 255
// characters of the run); `true`/`false` → 1/0 and `null` → null, each followed by whitespace,
// `,`, `]`, `}` or the end; arrays → tuples of those values, nested arrays included; objects,
// and arrays holding an object or anything malformed, fail.
//
// All positions are absolute indices into the attribute bytes, so the scanner works directly on
// a slice [start, end) of a shared byte arena. Nothing here allocates on the hot path.

import { isDigit, scanDecimal, scanned } from './strtod.js';
import { K_NULL, K_NUM, K_STR, K_TUPLE, ValueTable } from './values.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

// Byte classes for the scanning loops: one table load instead of a chain of comparisons.
const C_SPACE = 1; // isspace() in the C locale
const C_NUMBER = 2; // what the reference skips as a number: [0-9+-.eE]
const CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]) t[c] = C_SPACE;
  for (const ch of '0123456789+-.eE') t[ch.charCodeAt(0)] = C_NUMBER;
  return t;
})();

function skipSpaces(b: Uint8Array, p: number, end: number): number {
  while (p < end && CLASS[b[p]!] === C_SPACE) p++;
  return p;
}

/** p at an opening `"`: the index just after the closing quote, or -1 if unterminated. */
function skipString(b: Uint8Array, p: number, end: number): number {
  p++;
  while (p < end) {
    const c = b[p]!;
    if (c === QUOTE) return p + 1;
    p += c === BACKSLASH ? 2 : 1;
  }
  return -1;
}

/** p at `open`: skip to just after the matching `close`, counting only that bracket kind. */
function skipBracketed(b: Uint8Array, p: number, end: number, open: number, close: number): number {
  let depth = 1;
  p++;
  while (p < end && depth > 0) {
    const c = b[p]!;
    if (c === QUOTE) {
      p = skipString(b, p, end);
      if (p < 0) return -1;
      continue;
    }
    if (c === open) depth++;
    else if (c === close) depth--;
    p++;
  }
  return depth === 0 ? p : -1;
}

function skipWord(b: Uint8Array, p: number, end: number, w0: number, w1: number, w2: number, w3: number, w4: number): number {
  const n = w4 === 0 ? 4 : 5;
  if (p + n > end) return -1;
  if (b[p] !== w0 || b[p + 1] !== w1 || b[p + 2] !== w2 || b[p + 3] !== w3) return -1;
  if (n === 5 && b[p + 4] !== w4) return -1;
  return p + n;
}

/** Skip the value at p (not whitespace): the index after it, or -1 when malformed. */
function skipValue(b: Uint8Array, p: number, end: number): number {
  const c = b[p]!;
  if (c === QUOTE) return skipString(b, p, end);
  if (CLASS[c] === C_NUMBER) {
    do p++;
    while (p < end && CLASS[b[p]!] === C_NUMBER);
    return p;
  }
  switch (c) {
    case 0x7b:
      return skipBracketed(b, p, end, 0x7b, 0x7d);
    case 0x5b:
      return skipBracketed(b, p, end, 0x5b, 0x5d);
    case 0x74:
      return skipWord(b, p, end, 0x74, 0x72, 0x75, 0x65, 0); // true
    case 0x66:
      return skipWord(b, p, end, 0x66, 0x61, 0x6c, 0x73, 0x65); // false
    case 0x6e:
      return skipWord(b, p, end, 0x6e, 0x75, 0x6c, 0x6c, 0); // null
    default:
      return -1;
  }
}

/**
 * Find the values of several top-level keys in one pass over attr[start..end). out[i] receives
 * the position of the first value of names[i]. Returns false as soon as the document cannot
 * yield all of them (not an object, malformed before a key is found, key missing); the result is
 * the same as looking each name up on its own, since every lookup walks the same prefix.
 * This loop is the hot path of a filtered search, hence the inlined scanning.
 */
export function seekFields(b: Uint8Array, start: number, end: number, names: readonly Uint8Array[], out: Int32Array): boolean {
  let missing = names.length;
  for (let i = 0; i < missing; i++) out[i] = -1;
  let p = skipSpaces(b, start, end);
  if (p >= end || b[p] !== 0x7b) return false;
  p++;
  for (;;) {
    while (p < end && CLASS[b[p]!] === C_SPACE) p++;
    if (p >= end || b[p] !== QUOTE) return false; // includes `}`: end of object, key missing
    const ks = ++p;
    for (;;) {
      if (p >= end) return false;
      const c = b[p]!;
      if (c === QUOTE) break;
      p += c === BACKSLASH ? 2 : 1;
    }
    const klen = p - ks;
    p++;
    while (p < end && CLASS[b[p]!] === C_SPACE) p++;
    if (p >= end || b[p] !== 0x3a) return false;
    p++;
    while (p < end && CLASS[b[p]!] === C_SPACE) p++;
    if (p >= end) return false;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (name.length !== klen || out[i]! >= 0) continue;
      let j = 0;
      while (j < klen && b[ks + j] === name[j]) j++;
      if (j === klen) {
        out[i] = p;
        if (--missing === 0) return true;
      }
    }
    p = skipValue(b, p, end);
    if (p < 0) return false;
    while (p < end && CLASS[b[p]!] === C_SPACE) p++;
    if (p >= end || b[p] !== 0x2c) return false; // `}` here also means: not found
    p++;
  }
}

/** The position of the value of top-level key `name`, or -1 (see seekFields). */
export function seekField(b: Uint8Array, start: number, end: number, name: Uint8Array): number {
  const out = new Int32Array(1);
  return seekFields(b, start, end, [name], out) ? out[0]! : -1;
}

/**
 * Where converted values go: `values` row `row` gets the value; array elements are appended to
 * `arena` (only the top-level elements: a nested array is one tuple element whose contents no
 * operator can reach); strings with escapes are decoded into `scratch`.
 */
export class JsonSink {
  scratch: Uint8Array = new Uint8Array(256);
  scratchLength = 0;
  constructor(readonly arena: ValueTable) {}

  /** Room for n more scratch bytes; returns the (possibly new) scratch buffer. */
  reserve(n: number): Uint8Array {
    if (this.scratchLength + n > this.scratch.length) {
      // Earlier strings keep pointing into the old buffer, which stays valid.
      this.scratch = new Uint8Array(Math.max(this.scratch.length * 2, n * 2));
      this.scratchLength = 0;
    }
    return this.scratch;
  }
}

/** p at `"`: convert the string into row i of t. Returns the index after it, or -1. */
function readString(b: Uint8Array, p: number, end: number, t: ValueTable, i: number, sink: JsonSink): number {
  const s = p + 1;
  const after = skipString(b, p, end);
  if (after < 0) return -1;
  const e = after - 1;
  let bs = s;
  while (bs < e && b[bs] !== BACKSLASH) bs++;
  if (bs === e) {
    t.setStr(i, b, s, e);
    return after;
  }
  const out = sink.reserve(e - s);
  const first = sink.scratchLength;
  let n = first;
  for (let j = s; j < e; j++) {
    let c = b[j]!;
    if (c === BACKSLASH) {
      c = b[++j]!;
      if (c === 0x6e) c = 0x0a;
      else if (c === 0x72) c = 0x0d;
      else if (c === 0x74) c = 0x09;
    }
    out[n++] = c;
  }
  sink.scratchLength = n;
  t.setStr(i, out, first, n);
  return after;
}

// The reference copies at most 255 number characters into its buffer before calling strtod.
const MAX_NUMBER_RUN = 255;

/** A number: the run of [0-9+-.eE] must be a complete strtod decimal. Index after it, or -1. */
function readNumber(b: Uint8Array, p: number, end: number, t: ValueTable | null, i: number): number {
  const s = p;
  const limit = Math.min(end, s + MAX_NUMBER_RUN);
  while (p < limit && CLASS[b[p]!] === C_NUMBER) p++;
  if (scanDecimal(b, s, p) !== p) return -1;
  if (t !== null) t.setNum(i, scanned.value);
  return p;
}

/** A literal that must be followed by whitespace, `,`, `]`, `}` or the end. */
function readWord(b: Uint8Array, p: number, end: number, w: number): number {
  let q: number;
  if (w === 0x74) q = skipWord(b, p, end, 0x74, 0x72, 0x75, 0x65, 0);
  else if (w === 0x66) q = skipWord(b, p, end, 0x66, 0x61, 0x6c, 0x73, 0x65);
  else q = skipWord(b, p, end, 0x6e, 0x75, 0x6c, 0x6c, 0);
  if (q < 0) return -1;
  if (q < end) {
    const c = b[q]!;
    if (CLASS[c] !== C_SPACE && c !== 0x2c && c !== 0x5d && c !== 0x7d) return -1;
  }
  return q;
}

/**
 * Convert one scalar (string, number, true, false, null) at p into row i of t, or just validate
 * it when t is null. Returns the index after it, or -1 for anything else.
 */
function readScalar(b: Uint8Array, p: number, end: number, t: ValueTable | null, i: number, sink: JsonSink): number {
  const c = b[p]!;
  if (c === QUOTE) {
    if (t === null) return skipString(b, p, end);
    return readString(b, p, end, t, i, sink);
  }
  if (c === 0x74 || c === 0x66 || c === 0x6e) {
    const q = readWord(b, p, end, c);
    if (q >= 0 && t !== null) {
      if (c === 0x6e) t.setNull(i);
      else t.setNum(i, c === 0x74 ? 1 : 0);
    }
    return q;
  }
  if (isDigit(c) || c === 0x2d || c === 0x2b) return readNumber(b, p, end, t, i);
  return -1;
}

/**
 * p at `[`: convert an array into a tuple in row i of t. Iterative, so deep nesting costs no
 * stack. Only top-level elements are stored; deeper ones are validated with the same rules.
 */
function readArray(b: Uint8Array, p: number, end: number, t: ValueTable, i: number, sink: JsonSink): number {
  const arena = sink.arena;
  const first = arena.length;
  let depth = 0;
  let open = true; // at a `[` still to be entered
  for (;;) {
    if (open) {
      p = skipSpaces(b, p + 1, end);
      depth++;
      open = false;
      if (p < end && b[p] === 0x5d) {
        p++;
        depth--;
      } else {
        // A value.
        if (p >= end) return -1;
        const c = b[p]!;
        if (c === 0x5b) {
          if (depth === 1) pushTuple(arena);
          open = true;
          continue;
        }
        const row = depth === 1 ? pushRow(arena) : -1;
        p = readScalar(b, p, end, row >= 0 ? arena : null, row, sink);
        if (p < 0) return -1;
      }
    }
    // After a value (or an array just closed): `,` then a value, or `]`.
    for (;;) {
      if (depth === 0) {
        t.setTuple(i, first, arena.length);
        return p;
      }
      p = skipSpaces(b, p, end);
      if (p >= end) return -1;
      const c = b[p]!;
      if (c === 0x5d) {
        p++;
        depth--;
        continue;
      }
      if (c !== 0x2c) return -1;
      p = skipSpaces(b, p + 1, end);
      if (p >= end) return -1;
      const v = b[p]!;
      if (v === 0x5b) {
        if (depth === 1) pushTuple(arena);
        open = true;
        break;
      }
      const row = depth === 1 ? pushRow(arena) : -1;
      p = readScalar(b, p, end, row >= 0 ? arena : null, row, sink);
      if (p < 0) return -1;
    }
  }
}

function pushRow(arena: ValueTable): number {
  arena.ensure(arena.length + 1);
  return arena.length++;
}

function pushTuple(arena: ValueTable): void {
  const row = pushRow(arena);
  arena.setTuple(row, 0, 0);
}

/**
 * Convert the JSON value at p (whitespace allowed before it) into row i of t. Returns false
 * when the value cannot be a FILTER value (object, malformed, unsupported).
 */
export function readValue(b: Uint8Array, p: number, end: number, t: ValueTable, i: number, sink: JsonSink): boolean {
  p = skipSpaces(b, p, end);
  if (p >= end) return false;
  if (b[p] === 0x5b) return readArray(b, p, end, t, i, sink) >= 0;
  return readScalar(b, p, end, t, i, sink) >= 0;
}

/** A converted field as plain JavaScript data (for tests and tools; allocates). */
export type JsonFieldValue = number | Uint8Array | null | JsonFieldValue[];

function toPlain(t: ValueTable, i: number, arena: ValueTable): JsonFieldValue {
  switch (t.kind[i]) {
    case K_NUM:
      return t.num[i]!;
    case K_STR:
      return t.buf[i]!.slice(t.start[i]!, t.end[i]!);
    case K_NULL:
      return null;
    case K_TUPLE: {
      const out: JsonFieldValue[] = [];
      for (let j = t.start[i]!; j < t.end[i]!; j++) out.push(toPlain(arena, j, arena));
      return out;
    }
    default:
      return null;
  }
}

/**
 * Look up and convert one top-level field; undefined when the selector would fail. Nested arrays
 * come back as empty arrays: their contents are validated but, as in the language, unreachable.
 */
export function extractField(
  attr: Uint8Array,
  name: Uint8Array | string,
  start = 0,
  end = attr.length,
): JsonFieldValue | undefined {
  const key = typeof name === 'string' ? new TextEncoder().encode(name) : name;
  const p = seekField(attr, start, end, key);
  if (p < 0) return undefined;
  const arena = new ValueTable(4);
  const t = new ValueTable(1);
  if (!readValue(attr, p, end, t, 0, new JsonSink(arena))) return undefined;
  return toPlain(t, 0, arena);
}
