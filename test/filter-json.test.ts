// The attribute JSON field scanner and the strtod-compatible number conversion, on their own.

import { describe, expect, it } from 'vitest';
import { extractField, type JsonFieldValue } from '../src/filter/index.js';
import { scanDecimal, scanned, stringToNumber } from '../src/filter/strtod.js';

const enc = new TextEncoder();

function field(doc: string, name: string): JsonFieldValue | undefined {
  return extractField(enc.encode(doc), name);
}

function str(s: string): Uint8Array {
  return enc.encode(s);
}

function num(s: string): number {
  const b = enc.encode(s);
  return stringToNumber(b, 0, b.length);
}

describe('extractField', () => {
  it('converts each JSON value kind', () => {
    const doc = String.raw`{"n": -12.5e1, "s": "a\"b\\c\nd\te\rf\/g\u0041", "t": true, "f": false, "z": null,
      "a": [1, "x", [2, [3]], true, null], "e": [], "o": {"k": 1}}`;
    expect(field(doc, 'n')).toBe(-125);
    expect(field(doc, 's')).toEqual(str('a"b\\c\nd\te\rf/gu0041'));
    expect(field(doc, 't')).toBe(1);
    expect(field(doc, 'f')).toBe(0);
    expect(field(doc, 'z')).toBeNull();
    expect(field(doc, 'a')).toEqual([1, str('x'), [], 1, null]); // nested arrays: contents unreachable
    expect(field(doc, 'e')).toEqual([]);
    expect(field(doc, 'o')).toBeUndefined();
    expect(field(doc, 'missing')).toBeUndefined();
  });

  it('follows the reference scanner on malformed and edge-case documents', () => {
    const cases: Array<[string, string, JsonFieldValue | undefined]> = [
      ['{"a":1}', 'a', 1],
      ['  {"a"  :\n1 }', 'a', 1],
      ['{"a": 1, "a": 2}', 'a', 1],
      ['{"b": "}", "a": 2}', 'a', 2],
      ['{"b": {"a": 5}, "a": 2}', 'a', 2],
      ['{"b": [{"a": 5}], "a": 2}', 'a', 2],
      ['{"b": ["]"], "a": 2}', 'a', 2],
      // Skipping a [...] counts only square brackets (the reference's shallow skip).
      ['{"b": [{], "a": 2}', 'a', 2],
      ['{"b": [{]}, "a": 2}', 'a', undefined], // the } after [{] closes the top-level object
      ['{"b": {[}, "a": 2}', 'a', 2],
      ['{"b": tru, "a": 2}', 'a', undefined],
      ['{"b": truex, "a": 2}', 'a', undefined],
      ['{"b": nullnull, "a": 2}', 'a', undefined],
      ['{"b": 1-2+3e.E, "a": 2}', 'a', 2], // skipped numbers are not validated
      ['{"b": x, "a": 2}', 'a', undefined],
      ['{"a": 2', 'a', 2],
      ['{"a": }', 'a', undefined],
      ['{"a"', 'a', undefined],
      ['{"a" 2}', 'a', undefined],
      ['{,"a": 2}', 'a', undefined],
      ['{"a": 2,}', 'b', undefined],
      ['', 'a', undefined],
      ['   ', 'a', undefined],
      ['[{"a": 1}]', 'a', undefined],
      ['{"a": "unterminated', 'a', undefined],
      ['{"a": "ends with backslash\\', 'a', undefined],
      ['{"a": 01}', 'a', 1],
      ['{"a": +1}', 'a', 1],
      ['{"a": 1.}', 'a', 1],
      ['{"a": -.5}', 'a', -0.5],
      ['{"a": .5}', 'a', undefined],
      ['{"a": 1e}', 'a', undefined],
      ['{"a": 1e+}', 'a', undefined],
      ['{"a": 0x10}', 'a', 0],
      ['{"a": 12abc}', 'a', 12], // the value ends where the number characters do
      ['{"a": [12abc]}', 'a', undefined],
      ['{"a": true}', 'a', 1],
      ['{"a": true}x', 'a', 1],
      ['{"a": truex}', 'a', undefined],
      ['{"a": true\t}', 'a', 1],
      ['{"a": [true]}', 'a', [1]],
      ['{"a": [ 1 , 2 ] }', 'a', [1, 2]],
      ['{"a": [1, 2,]}', 'a', undefined],
      ['{"a": [,1]}', 'a', undefined],
      ['{"a": [1, {}]}', 'a', undefined],
      ['{"a": [[1, {}]]}', 'a', undefined],
      ['{"a": [[1, 2,]]}', 'a', undefined],
      ['{"a": [1, 2] trailing', 'a', [1, 2]],
      ['{"a": [1, 2', 'a', undefined],
      ['{"a": ["x\\"]"]}', 'a', [str('x"]')]],
      ['{"a\\"b": 1, "c": 2}', 'c', 2],
      ['{"a\\u0062": 1}', 'ab', undefined],
      ['{"a\\u0062": 1}', 'a\\u0062', 1],
      ['{"": 7}', '', 7],
    ];
    for (const [doc, name, expected] of cases) {
      expect([doc, name, field(doc, name)]).toEqual([doc, name, expected]);
    }
  });

  it('reads numbers of up to 255 characters', () => {
    const d255 = '0'.repeat(254) + '5';
    expect(field(`{"a": ${d255}}`, 'a')).toBe(5);
    // A longer run: the first 255 characters are the value at top level, an error in an array.
    expect(field(`{"a": ${d255}1}`, 'a')).toBe(5);
    expect(field(`{"a": [${d255}1]}`, 'a')).toBeUndefined();
  });

  it('works inside a larger buffer', () => {
    const buf = enc.encode('xx{"a": "yy"}zz');
    expect(extractField(buf, 'a', 2, 13)).toEqual(str('yy'));
    expect(extractField(buf, 'a', 2, 11)).toBeUndefined();
  });
});

describe('stringToNumber (strtod over the whole string)', () => {
  it('accepts what strtod accepts and requires the whole string', () => {
    const cases: Array<[string, number]> = [
      ['12', 12],
      [' 12', 12],
      ['\t\n\v\f\r 12', 12],
      ['12 ', 0],
      ['+12', 12],
      ['-12', -12],
      ['1.5', 1.5],
      ['.5', 0.5],
      ['5.', 5],
      ['-.5e1', -5],
      ['1e3', 1000],
      ['1E+3', 1000],
      ['1e-3', 0.001],
      ['1e', 0],
      ['1e+', 0],
      ['.', 0],
      ['-', 0],
      ['', 0],
      ['abc', 0],
      ['12abc', 0],
      ['0x1A', 26],
      ['0X1a', 26],
      ['-0x10', -16],
      ['0x', 0],
      ['0xg', 0],
      ['0x.8', 0.5],
      ['0x1.8p1', 3],
      ['0x1p-2', 0.25],
      ['0x1P+4', 16],
      ['0x1p', 0],
      ['inf', Infinity],
      ['-inf', -Infinity],
      ['INFINITY', Infinity],
      ['Infinity', Infinity],
      ['infinit', 0],
      ['infx', 0],
      ['1e400', Infinity],
      ['-1e400', -Infinity],
      ['1e-400', 0],
      ['4.9406564584124654e-324', 5e-324],
      ['1_000', 0],
      ['0.1', 0.1],
      ['123456789012345678901234567890', 1.2345678901234568e29],
      ['0.000000000000000000000000000001', 1e-30],
      ['9007199254740993', 9007199254740992], // ties to even
      ['0x20000000000001', 9007199254740992], // 2^53 + 1 rounds to even
      ['0x20000000000003', 9007199254740996],
      ['0x1p-1074', 5e-324],
      ['0x1p-1075', 0], // exactly half the smallest subnormal: ties to even (0)
      ['0x1.8p-1075', 5e-324],
      ['0x1.fffffffffffffp1023', Number.MAX_VALUE],
      ['0x1p1024', Infinity],
    ];
    for (const [s, v] of cases) expect([s, num(s)]).toEqual([s, v]);
    expect(Number.isNaN(num('nan'))).toBe(true);
    expect(Number.isNaN(num('-NaN'))).toBe(true);
    expect(Number.isNaN(num('nan()'))).toBe(true);
    expect(Number.isNaN(num('nan(abc_123)'))).toBe(true);
    expect(num('nan(')).toBe(0);
    expect(num('nan(a b)')).toBe(0);
    expect(Object.is(num('-0'), -0)).toBe(true);
  });

  it('gives 0 for strings of 256 bytes or more', () => {
    expect(num(' '.repeat(250) + '12345')).toBe(12345);
    expect(num(' '.repeat(251) + '12345')).toBe(0);
  });

  it('stops at a NUL byte like a C string', () => {
    const b = new Uint8Array([0x31, 0x32, 0, 0x61]);
    expect(stringToNumber(b, 0, 4)).toBe(12);
  });

  it('rounds decimals exactly like Number() on random inputs', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 20000; i++) {
      const intDigits = Math.floor(rand() * 20);
      const fracDigits = Math.floor(rand() * 20);
      let s = rand() < 0.3 ? '-' : '';
      for (let j = 0; j < intDigits; j++) s += Math.floor(rand() * 10);
      if (fracDigits > 0 || intDigits === 0) {
        s += '.';
        for (let j = 0; j < Math.max(fracDigits, intDigits === 0 ? 1 : 0); j++) s += Math.floor(rand() * 10);
      }
      if (rand() < 0.5) s += 'e' + (rand() < 0.5 ? '-' : '') + Math.floor(rand() * 40);
      const b = enc.encode(s);
      const end = scanDecimal(b, 0, b.length);
      expect(end).toBe(b.length);
      expect([s, scanned.value]).toEqual([s, Number(s)]);
    }
  });
});
