/**
 * Vector arguments of VADD and VSIM (src/commands/vector-args.ts, spec §2, §4, §14.1).
 *
 * The component table follows Redis's string2d (C strtod over the whole argument, no leading
 * space, ERANGE overflow / underflow-to-zero and NaN rejected), then vsetd's refusal of values
 * that are not finite as a float. It was cross-checked against glibc's strtod on 200k random
 * strings while writing the scanner; these rows keep the interesting ones.
 */
import { describe, expect, it } from 'vitest';
import { MAX_DIMENSION, parseComponent, parseString2d, parseVectorSpec } from '../src/commands/vector-args.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const argv = (...a: Array<string | number | Buffer>): Buffer[] => a.map((x) => (Buffer.isBuffer(x) ? x : b(String(x))));

describe('parseComponent', () => {
  const ACCEPT: Array<[string, number]> = [
    ['1', 1],
    ['-1', -1],
    ['+1', 1],
    ['0', 0],
    ['-0', -0],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['-.5', -0.5],
    ['5.', 5],
    ['007', 7],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e+3', 1000],
    ['1e-7', Math.fround(1e-7)],
    ['2.5e-3', Math.fround(2.5e-3)],
    ['.5e1', 5],
    ['0e999999', 0],
    ['0x10', 16],
    ['0X1a', 26],
    ['-0x10', -16],
    ['0x1.8p1', 3],
    ['0x.8', 0.5],
    ['0x1P-2', 0.25],
    ['1e-40', Math.fround(1e-40)], // a float denormal
    ['1e-50', 0], // fine as a double (no ERANGE), zero as a float
    ['1e-310', 0], // a double denormal: ERANGE but not zero, so string2d accepts it
    ['3.4028234e38', Math.fround(3.4028234e38)],
    ['1.262185', Math.fround(1.262185)],
    ['0'.repeat(300) + '1', 1],
    ['0.' + '0'.repeat(30) + '1', Math.fround(1e-31)],
  ];
  it.each(ACCEPT)('accepts %j as %d', (text, value) => {
    expect(Object.is(parseComponent(b(text)), value)).toBe(true);
  });

  const REJECT: string[] = [
    '', ' 1', '1 ', '\t1', '1\n', 'x', '1x', '1.2.3', '.', '+', '-', '+-1', '--1', 'e5', '.e5', '1e', '1e+', '1e-', '1e5.5',
    '1_000', '1,5', '0x', '0x.', '0xg', '0x1p', '0x1p+', '0x1.8q', 'nan', 'NaN', '-nan', 'inf', '-inf', 'Infinity', 'infinity',
    '1e400', '-1e400', '1e-400', '0x1p-2000', '0xAp-5000', '1e39', '-3.5e38', '0x1p200', '1e308e', '\x001',
  ];
  it.each(REJECT)('rejects %j', (text) => {
    expect(parseComponent(b(text))).toBe(null);
  });

  it('reads a megabyte of digits in linear time', () => {
    const long = '1' + '0'.repeat(30) + '.' + '0'.repeat(1_000_000) + '1';
    expect(parseComponent(b(long))).toBe(Math.fround(1e30));
    expect(parseComponent(b('1'.repeat(1_000_000) + 'x'))).toBe(null);
  });
});

describe('parseString2d (EPSILON)', () => {
  it('keeps doubles and infinities, rejects NaN and ERANGE cases', () => {
    expect(parseString2d(b('1e39'))).toBe(1e39);
    expect(parseString2d(b('1e-310'))).toBe(1e-310);
    expect(parseString2d(b('inf'))).toBe(Infinity);
    expect(parseString2d(b('-INFINITY'))).toBe(-Infinity);
    expect(parseString2d(b('+Inf'))).toBe(Infinity);
    for (const t of ['nan', 'infx', 'infinit', ' inf', '1e400', '1e-400', '']) expect(parseString2d(b(t)), t).toBe(null);
  });
});

describe('parseVectorSpec', () => {
  it('VALUES: n strict, exactly the next n arguments, next index after them', () => {
    const r = parseVectorSpec(argv('VADD', 'k', 'VALUES', 3, 1, 2, 3, 'e', 'CAS'), 2, true);
    expect(r && { v: [...r.vector], reduce: r.reduceDim, next: r.next }).toEqual({ v: [1, 2, 3], reduce: 0, next: 7 });
    // The quirk of §7.1: a small n leaves numbers for the element name.
    expect(parseVectorSpec(argv('VADD', 'k', 'VALUES', 2, 1, 2, 3, 'e'), 2, true)?.next).toBe(6);
    for (const n of ['0', '-1', '01', '+1', ' 1', '1.0', 'x', '', String(MAX_DIMENSION + 1), '99999999999999999999']) {
      expect(parseVectorSpec(argv('VADD', 'k', 'VALUES', n, 1, 'e'), 2, true), n).toBe(null);
    }
    expect(parseVectorSpec(argv('VADD', 'k', 'VALUES', 3, 1, 2), 2, true)).toBe(null);
    expect(parseVectorSpec(argv('VADD', 'k', 'VALUES'), 2, true)).toBe(null);
    expect(parseVectorSpec(argv('VADD', 'k', 'values', 1, 5), 2, true)?.vector[0]).toBe(5);
  });

  it('FP32: a little-endian float blob, 4 … 4·65536 bytes, finite components', () => {
    const blob = Buffer.alloc(12);
    [1.5, -2, 1e-7].forEach((x, i) => blob.writeFloatLE(x, 4 * i));
    const r = parseVectorSpec(argv('VSIM', 'k', 'fp32', blob, 'COUNT', 1), 2, false);
    expect(r && [...r.vector]).toEqual([1.5, -2, Math.fround(1e-7)]);
    expect(r?.next).toBe(4);
    for (const len of [0, 1, 3, 5, 4 * MAX_DIMENSION + 4]) expect(parseVectorSpec(argv('VADD', 'k', 'FP32', Buffer.alloc(len), 'e'), 2, true), String(len)).toBe(null);
    expect(parseVectorSpec(argv('VADD', 'k', 'FP32', Buffer.alloc(4 * MAX_DIMENSION), 'e'), 2, true)?.vector.length).toBe(MAX_DIMENSION);
    const nan = Buffer.alloc(8);
    nan.writeFloatLE(NaN, 4);
    expect(parseVectorSpec(argv('VADD', 'k', 'FP32', nan, 'e'), 2, true)).toBe(null);
    const inf = Buffer.alloc(4);
    inf.writeFloatLE(-Infinity, 0);
    expect(parseVectorSpec(argv('VADD', 'k', 'FP32', inf, 'e'), 2, true)).toBe(null);
    expect(parseVectorSpec(argv('VADD', 'k', 'FP32'), 2, true)).toBe(null);
  });

  it('REDUCE: only for VADD, only right after the key, 1 ≤ dim ≤ input dimension', () => {
    const r = parseVectorSpec(argv('VADD', 'k', 'REDUCE', 2, 'VALUES', 4, 1, 2, 3, 4, 'e'), 2, true);
    expect(r && { reduce: r.reduceDim, len: r.vector.length, next: r.next }).toEqual({ reduce: 2, len: 4, next: 10 });
    expect(parseVectorSpec(argv('VADD', 'k', 'reduce', 4, 'VALUES', 4, 1, 2, 3, 4, 'e'), 2, true)?.reduceDim).toBe(4);
    for (const d of ['0', '-1', '5', 'x', '', '01', String(MAX_DIMENSION + 1)]) {
      expect(parseVectorSpec(argv('VADD', 'k', 'REDUCE', d, 'VALUES', 4, 1, 2, 3, 4, 'e'), 2, true), d).toBe(null);
    }
    expect(parseVectorSpec(argv('VADD', 'k', 'REDUCE'), 2, true)).toBe(null);
    expect(parseVectorSpec(argv('VADD', 'k', 'REDUCE', 2), 2, true)).toBe(null);
    // VSIM: REDUCE is an unknown format word.
    expect(parseVectorSpec(argv('VSIM', 'k', 'REDUCE', 2, 'VALUES', 2, 1, 2), 2, false)).toBe(null);
  });

  it('an unknown format word or a missing one is an error', () => {
    for (const w of ['ELE', 'FP16', 'VALUE', '', 'FP32X']) expect(parseVectorSpec(argv('VADD', 'k', w, 1, 1, 'e'), 2, true), w).toBe(null);
    expect(parseVectorSpec(argv('VADD', 'k'), 2, true)).toBe(null);
  });
});
