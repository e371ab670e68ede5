/**
 * Argument helpers shared by the command modules: strict integer and double parsing with Redis's
 * rules, case-insensitive keyword matching on raw bytes, and key names as binary-safe strings.
 */
import { parseStrictInt } from '../server/resp-reader.js';

/** The long long range Redis's integer commands work in. */
export const LLONG_MAX = 9223372036854775807n;
export const LLONG_MIN = -9223372036854775808n;

/** Whether value + incr leaves the long long range (INCRBY, HINCRBY: "increment or decrement would overflow"). */
export function addOverflows(value: bigint, incr: bigint): boolean {
  return (incr < 0n && value < 0n && incr < LLONG_MIN - value) || (incr > 0n && value > 0n && incr > LLONG_MAX - value);
}

export const ERR_NOT_INTEGER = 'ERR value is not an integer or out of range';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
export const ERR_SYNTAX = 'ERR syntax error';

/** A key or element name as a binary-safe string (one char per byte). */
export function keyOf(arg: Buffer): string {
  return arg.toString('latin1');
}

/** Bytes of a key string made by keyOf. */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** Case-insensitive comparison of an argument with an ASCII keyword given in upper case. */
export function isWord(arg: Buffer | undefined, upper: string): boolean {
  if (arg === undefined || arg.length !== upper.length) return false;
  for (let i = 0; i < upper.length; i++) {
    let c = arg[i]!;
    if (c >= 97 && c <= 122) c -= 32;
    if (c !== upper.charCodeAt(i)) return false;
  }
  return true;
}

/** The argument upper-cased as text, for switch statements over keywords. */
export function word(arg: Buffer): string {
  return arg.toString('latin1').toUpperCase();
}

/**
 * string2ll: optional '-', digits, no '+', no spaces, no leading zeros; within ±2^63. Returns null
 * when invalid. Values beyond 2^53 are returned as inexact numbers (callers bound them anyway).
 */
export function parseInteger(arg: Buffer): number | null {
  const n = parseStrictInt(arg, 0, arg.length);
  if (!Number.isNaN(n)) return n;
  // Longer than a safe integer: accept it if it still fits a signed 64-bit value.
  const s = arg.toString('latin1');
  if (!/^-?[1-9]\d*$/.test(s) || s.length > 20) return null;
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
  return Number(b);
}

/** Exact 64-bit parse for INCR and friends, which must not lose precision. */
export function parseInt64(arg: Buffer): bigint | null {
  const s = arg.toString('latin1');
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9]\d*)$/.test(s)) return null;
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
  return b;
}

const STRTOD_RE = /^[ \t\n\v\f\r]*[+-]?(?:(?:\d+\.?\d*(?:[eE][+-]?\d+)?)|(?:\.\d+(?:[eE][+-]?\d+)?)|(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)|inf(?:inity)?|nan)$/i;

/**
 * C strtod over the whole string: decimal, exponent, hexadecimal (`0x1A`, `0x1p3`), inf/infinity,
 * nan. Leading whitespace is skipped as strtod does; `allowSpace` = false rejects it as Redis's
 * string2d-based parsers (getDoubleFromObject) do. Returns null if not entirely consumed.
 */
export function strtod(text: string, allowSpace = true): number | null {
  if (!STRTOD_RE.test(text)) return null;
  if (!allowSpace && /^\s/.test(text)) return null;
  const t = text.trim();
  const lowerT = t.toLowerCase();
  const sign = lowerT.startsWith('-') ? -1 : 1;
  const body = lowerT.replace(/^[+-]/, '');
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  if (body.startsWith('0x')) return sign * parseHexFloat(body.slice(2));
  return Number(t.replace(/^\+/, ''));
}

function parseHexFloat(h: string): number {
  const pIdx = h.indexOf('p');
  const mant = pIdx < 0 ? h : h.slice(0, pIdx);
  const exp = pIdx < 0 ? 0 : Number(h.slice(pIdx + 1));
  const dot = mant.indexOf('.');
  const intPart = dot < 0 ? mant : mant.slice(0, dot);
  const frac = dot < 0 ? '' : mant.slice(dot + 1);
  let v = 0;
  for (const ch of intPart) v = v * 16 + parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of frac) {
    v += parseInt(ch, 16) * scale;
    scale /= 16;
  }
  return v * 2 ** exp;
}

/**
 * Parses a double argument as Redis's getDoubleFromObject: no leading space, whole string,
 * NaN rejected. Returns null when invalid.
 */
export function parseDouble(arg: Buffer): number | null {
  if (arg.length === 0 || arg.length > 5000) return null;
  const v = strtod(arg.toString('latin1'), false);
  if (v === null || Number.isNaN(v)) return null;
  return v;
}
