// Values of the FILTER language and the operations on them (spec §9.6).
//
// Values live in ValueTables — parallel typed arrays, one row per value — rather than in objects,
// so that evaluating a filter against an attribute allocates nothing: a string is a span of some
// byte buffer (the attribute itself, the expression's literal pool, or a scratch buffer for JSON
// strings that had escapes); a tuple is a row range in the filter's tuple arena.

import { stringToNumber } from './strtod.js';

export const K_NUM = 0;
export const K_STR = 1;
export const K_TUPLE = 2;
export const K_NULL = 3;

const EMPTY = new Uint8Array(0);

export class ValueTable {
  kind: Uint8Array;
  num: Float64Array;
  /** For strings: 1 once `num` holds the string's numeric value (computed on first use). */
  numOk: Uint8Array;
  /** For strings: the buffer holding the bytes. */
  buf: Uint8Array[];
  /** Strings: byte span [start, end) of buf. Tuples: row span [start, end) of the tuple arena. */
  start: Int32Array;
  end: Int32Array;
  length = 0;

  constructor(capacity: number) {
    const n = Math.max(capacity, 1);
    this.kind = new Uint8Array(n);
    this.num = new Float64Array(n);
    this.numOk = new Uint8Array(n);
    this.buf = new Array<Uint8Array>(n).fill(EMPTY);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
  }

  get capacity(): number {
    return this.kind.length;
  }

  /** Make room for at least n rows, keeping the first `length`. */
  ensure(n: number): void {
    if (n <= this.kind.length) return;
    const cap = Math.max(n, this.kind.length * 2);
    const grow = <T extends Uint8Array | Float64Array | Int32Array>(a: T, make: (c: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.kind = grow(this.kind, (c) => new Uint8Array(c));
    this.num = grow(this.num, (c) => new Float64Array(c));
    this.numOk = grow(this.numOk, (c) => new Uint8Array(c));
    this.start = grow(this.start, (c) => new Int32Array(c));
    this.end = grow(this.end, (c) => new Int32Array(c));
    const buf = new Array<Uint8Array>(cap).fill(EMPTY);
    for (let i = 0; i < this.buf.length; i++) buf[i] = this.buf[i]!;
    this.buf = buf;
  }

  setNum(i: number, v: number): void {
    this.kind[i] = K_NUM;
    this.num[i] = v;
  }

  setStr(i: number, buf: Uint8Array, start: number, end: number): void {
    this.kind[i] = K_STR;
    this.numOk[i] = 0;
    this.buf[i] = buf;
    this.start[i] = start;
    this.end[i] = end;
  }

  setTuple(i: number, first: number, last: number): void {
    this.kind[i] = K_TUPLE;
    this.start[i] = first;
    this.end[i] = last;
  }

  setNull(i: number): void {
    this.kind[i] = K_NULL;
  }

  /** Copy row j of table src into row i of this table. */
  copyFrom(i: number, src: ValueTable, j: number): void {
    this.kind[i] = src.kind[j]!;
    this.num[i] = src.num[j]!;
    this.numOk[i] = src.numOk[j]!;
    this.buf[i] = src.buf[j]!;
    this.start[i] = src.start[j]!;
    this.end[i] = src.end[j]!;
  }
}

/** A string's numeric value, cached in the row. */
export function strNumber(t: ValueTable, i: number): number {
  if (t.numOk[i] === 1) return t.num[i]!;
  const v = stringToNumber(t.buf[i]!, t.start[i]!, t.end[i]!);
  t.num[i] = v;
  t.numOk[i] = 1;
  return v;
}

/** To number: numbers as is, strings by strtod (0 unless fully consumed), tuples and null 0. */
export function toNumber(t: ValueTable, i: number): number {
  const k = t.kind[i];
  if (k === K_NUM) return t.num[i]!;
  if (k === K_STR) return strNumber(t, i);
  return 0;
}

/** Truthiness: number ≠ 0 (NaN is true), string non-empty, tuple always, null never. */
export function truthy(t: ValueTable, i: number): boolean {
  const k = t.kind[i];
  if (k === K_NUM) return t.num[i] !== 0;
  if (k === K_STR) return t.end[i]! > t.start[i]!;
  return k === K_TUPLE;
}

export function bytesEqual(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): boolean {
  const n = ae - as;
  if (n !== be - bs) return false;
  for (let i = 0; i < n; i++) if (a[as + i] !== b[bs + i]) return false;
  return true;
}

/** Is needle b[bs..be) a substring of haystack a[as..ae)? The empty string is in every string. */
export function bytesContain(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): boolean {
  const n = be - bs;
  if (n === 0) return true;
  const last = ae - n;
  const first = b[bs]!;
  for (let i = as; i <= last; i++) {
    if (a[i] !== first) continue;
    let j = 1;
    while (j < n && a[i + j] === b[bs + j]) j++;
    if (j === n) return true;
  }
  return false;
}

/**
 * `==`: two strings compare bytes, two numbers compare numerically (NaN ≠ NaN), null equals
 * only null, and any other mix compares the numeric conversions (`"1" == 1`, `"abc" == 0`).
 */
export function valuesEqual(ta: ValueTable, ia: number, tb: ValueTable, ib: number): boolean {
  const ka = ta.kind[ia];
  const kb = tb.kind[ib];
  if (ka === K_STR && kb === K_STR) {
    return bytesEqual(ta.buf[ia]!, ta.start[ia]!, ta.end[ia]!, tb.buf[ib]!, tb.start[ib]!, tb.end[ib]!);
  }
  if (ka === K_NUM && kb === K_NUM) return ta.num[ia] === tb.num[ib];
  if (ka === K_NULL || kb === K_NULL) return ka === kb;
  return toNumber(ta, ia) === toNumber(tb, ib);
}

/**
 * `a in b`: with a tuple on the right, whether any element `==` a; with two strings, whether
 * a is a substring of b; otherwise false (`5 in "5"` is false). Tuple rows live in `arena`.
 */
export function valueIn(ta: ValueTable, ia: number, tb: ValueTable, ib: number, arena: ValueTable): boolean {
  const kb = tb.kind[ib];
  if (kb === K_TUPLE) {
    const last = tb.end[ib]!;
    for (let j = tb.start[ib]!; j < last; j++) if (valuesEqual(ta, ia, arena, j)) return true;
    return false;
  }
  if (kb === K_STR && ta.kind[ia] === K_STR) {
    return bytesContain(tb.buf[ib]!, tb.start[ib]!, tb.end[ib]!, ta.buf[ia]!, ta.start[ia]!, ta.end[ia]!);
  }
  return false;
}

