/**
 * The vector-set commands (spec Part A §7) against a started server, reply bytes compared exactly
 * in RESP2 and RESP3: every option, every documented error in the order the reference checks
 * them (§7.1, §15). This file: VSIM, VREM, VCARD, VDIM, VISMEMBER.
 *
 * Expected numbers come from the spec, or from the float emulation in helpers/vset-replies.ts,
 * written from the spec's prose independently of src/vset — so an engine that drifts is caught.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RespValue } from './helpers/raw.js';
import { bulk, arr, map3, int, err, simple, dbl3, NIL2, NIL3, T, F, names, WRONGTYPE, SPEC, arity, fp32, strs, type Arg, vsetConnections } from './helpers/vset-replies.js';

const { r2, r3, v2, setup, points } = vsetConnections();

describe('VSIM', () => {
  beforeAll(async () => {
    await points('sim');
    await setup(['VSETATTR', 'sim', 'pt:A', '{"n":1}'], ['VSETATTR', 'sim', 'pt:E', '{"n":5}'], ['SET', 'sim:str', 'x']);
  });

  it('a missing key answers *0 before any syntax check, in RESP2 and RESP3', async () => {
    expect(await r2('VSIM', 'sim:none', 'BOGUS', 'x', 'y')).toBe('*0\r\n');
    expect(await r2('VSIM', 'sim:none', 'ELE', 'a', 'WITHSCORES', 'COUNT', 0)).toBe('*0\r\n');
    expect(await r3('VSIM', 'sim:none', 'ELE', 'a', 'WITHSCORES', 'WITHATTRIBS')).toBe('*0\r\n');
    expect(await r3('VSIM', 'sim:none', 'VALUES', 2, 1, 'x', 'FILTER', '@')).toBe('*0\r\n');
  });

  it('arity and WRONGTYPE', async () => {
    expect(await r2('VSIM', 'sim', 'ELE')).toBe(err(arity('VSIM')));
    expect(await r2('VSIM', 'sim:str', 'ELE', 'a')).toBe(err(WRONGTYPE));
    expect(await r2('VSIM', 'sim:str', 'BOGUS', 'x')).toBe(err(WRONGTYPE));
  });

  it('query errors: unknown element, bad vector, dimension, then option errors', async () => {
    expect(await r2('VSIM', 'sim', 'ELE', 'nope')).toBe(err('ERR element not found in set'));
    expect(await r2('VSIM', 'sim', 'ELE', 'nope', 'COUNT', 0)).toBe(err('ERR element not found in set'));
    expect(await r2('VSIM', 'sim', 'FOO', 2, 1, 1)).toBe(err(SPEC));
    expect(await r2('VSIM', 'sim', 'VALUES', 2, 1, 'x')).toBe(err(SPEC));
    expect(await r2('VSIM', 'sim', 'VALUES', 3, 1, 1)).toBe(err(SPEC));
    expect(await r2('VSIM', 'sim', 'FP32', Buffer.alloc(5))).toBe(err(SPEC));
    expect(await r2('VSIM', 'sim', 'VALUES', 3, 1, 1, 1)).toBe(err('ERR Vector dimension mismatch - got 3 but set has 2'));
    // VALUES n takes exactly n numbers: a surplus one is read as an option.
    expect(await r2('VSIM', 'sim', 'VALUES', 2, 1, 1, 1)).toBe(err('ERR syntax error in VSIM command'));
    expect(await r2('VSIM', 'sim', 'FP32', fp32(1, 1, 1), 'COUNT', 0)).toBe(err('ERR Vector dimension mismatch - got 3 but set has 2'));
  });

  it('option errors (§7.2 step 5, §15)', async () => {
    const cases: Array<[Arg[], string]> = [
      [['COUNT', 0], 'ERR invalid COUNT'],
      [['COUNT', -1], 'ERR invalid COUNT'],
      [['COUNT', 'x'], 'ERR invalid COUNT'],
      [['COUNT', '1.5'], 'ERR invalid COUNT'],
      [['EPSILON', 0], 'ERR invalid EPSILON'],
      [['EPSILON', -0.5], 'ERR invalid EPSILON'],
      [['EPSILON', 'x'], 'ERR invalid EPSILON'],
      [['EPSILON', 'nan'], 'ERR invalid EPSILON'],
      [['EPSILON', ' 0.5'], 'ERR invalid EPSILON'],
      [['EF', 0], 'ERR invalid EF'],
      [['EF', 1000001], 'ERR invalid EF'],
      [['EF', 'x'], 'ERR invalid EF'],
      [['FILTER-EF', 0], 'ERR invalid FILTER-EF'],
      [['FILTER-EF', -5], 'ERR invalid FILTER-EF'],
      [['FILTER-EF', 'x'], 'ERR invalid FILTER-EF'],
      [['LIMIT', 3], 'ERR syntax error in VSIM command'],
      [['COUNT'], 'ERR syntax error in VSIM command'],
      [['EPSILON'], 'ERR syntax error in VSIM command'],
      [['EF'], 'ERR syntax error in VSIM command'],
      [['FILTER'], 'ERR syntax error in VSIM command'],
      [['FILTER-EF'], 'ERR syntax error in VSIM command'],
      [['REDUCE', 2], 'ERR syntax error in VSIM command'],
      [['FILTER', '.a = 1'], 'ERR syntax error in FILTER expression near:  1'],
      [['FILTER', '.a == 1 AND .b == 2'], 'ERR syntax error in FILTER expression near:  .b == 2'],
      [['FILTER', '(.a == 1'], 'ERR syntax error in FILTER expression near: (.a == 1'],
      [['FILTER', '.v > 1e-3'], 'ERR syntax error in FILTER expression near: -3'],
      [['FILTER', '.a == "x'], 'ERR syntax error in FILTER expression near: .a == "x'],
      [['FILTER', '.a == 1 @ 2'], 'ERR syntax error in FILTER expression near: @ 2'],
      [['FILTER', ''], 'ERR syntax error in FILTER expression near: '],
      // Left to right: the first bad option is the reply.
      [['COUNT', 0, 'FILTER', '@'], 'ERR invalid COUNT'],
      [['FILTER', '@', 'COUNT', 0], 'ERR syntax error in FILTER expression near: @'],
      [['WITHSCORES', 'BOGUS', 'COUNT', 0], 'ERR syntax error in VSIM command'],
    ];
    for (const [opts, e] of cases) {
      expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', ...opts), opts.join(' ')).toBe(err(e));
    }
    // The limits themselves are accepted.
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', 'EF', 1000000, 'COUNT', 1)).toBe(names('pt:A'));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', 'EF', 1, 'COUNT', 1, 'FILTER-EF', 1)).toBe(names('pt:A'));
  });

  it('a FILTER error tail keeps CR/LF out of the error line', async () => {
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', 'FILTER', '.a ==\r\n@x')).toBe(err('ERR syntax error in FILTER expression near: @x'));
    const raw = await r2('VSIM', 'sim', 'ELE', 'pt:A', 'FILTER', '@\r\nx');
    expect(raw.startsWith('-ERR syntax error in FILTER expression near: @')).toBe(true);
    expect(raw.indexOf('\r\n')).toBe(raw.length - 2);
  });

  it('keywords are case-insensitive, options repeat (last wins, a second FILTER replaces the first)', async () => {
    expect(await r2('VSIM', 'sim', 'ele', 'pt:A', 'count', 1, 'withscores')).toBe(arr(bulk('pt:A'), bulk('1')));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', 'COUNT', 1, 'COUNT', 2)).toBe(names('pt:A', 'pt:E'));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', 'FILTER', '.n == 1', 'FILTER', '.n == 5')).toBe(names('pt:E'));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', 'TRUTH', 'NOTHREAD', 'truth', 'nothread', 'COUNT', 2)).toBe(names('pt:A', 'pt:E'));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', 'EF', 5, 'EF', 50, 'EPSILON', 0.1, 'EPSILON', 2, 'COUNT', 1)).toBe(names('pt:A'));
  });

  it('the default COUNT is 10 and a COUNT beyond the cardinality returns every element', async () => {
    await setup(...Array.from({ length: 15 }, (_, i) => ['VADD', 'sim:15', 'VALUES', 2, Math.cos(i / 3), Math.sin(i / 3), `e${i}`]));
    expect(strs(await v2('VSIM', 'sim:15', 'ELE', 'e0'))).toHaveLength(10);
    expect(strs(await v2('VSIM', 'sim:15', 'ELE', 'e0', 'COUNT', 100))).toHaveLength(15);
    expect(strs(await v2('VSIM', 'sim:15', 'ELE', 'e0', 'COUNT', '9223372036854775807', 'TRUTH'))).toHaveLength(15);
  });

  it('reply shapes in RESP2 (§7.2 table)', async () => {
    const q: Arg[] = ['VSIM', 'sim', 'VALUES', 2, 1, 0.2, 'COUNT', 2];
    expect(await r2(...q)).toBe(names('pt:E', 'pt:A'));
    const [sE, sA] = strs(await v2(...q, 'WITHSCORES')).filter((_, i) => i % 2 === 1);
    expect(await r2(...q, 'WITHSCORES')).toBe(arr(bulk('pt:E'), bulk(sE!), bulk('pt:A'), bulk(sA!)));
    expect(await r2(...q, 'WITHATTRIBS')).toBe(arr(bulk('pt:E'), bulk('{"n":5}'), bulk('pt:A'), bulk('{"n":1}')));
    expect(await r2(...q, 'WITHSCORES', 'WITHATTRIBS')).toBe(arr(bulk('pt:E'), bulk(sE!), bulk('{"n":5}'), bulk('pt:A'), bulk(sA!), bulk('{"n":1}')));
    // Always name, score, attribute, whatever the order of the flags.
    expect(await r2(...q, 'WITHATTRIBS', 'WITHSCORES')).toBe(arr(bulk('pt:E'), bulk(sE!), bulk('{"n":5}'), bulk('pt:A'), bulk(sA!), bulk('{"n":1}')));
    // Elements without an attribute give nil.
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:B', 'COUNT', 1, 'WITHATTRIBS')).toBe(arr(bulk('pt:B'), NIL2));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:B', 'COUNT', 1, 'WITHSCORES', 'WITHATTRIBS')).toBe(arr(bulk('pt:B'), bulk('1'), NIL2));
    // Zero hits: an empty array in every combination.
    const none: Arg[] = ['VSIM', 'sim', 'ELE', 'pt:A', 'FILTER', '.n > 100'];
    expect(await r2(...none)).toBe('*0\r\n');
    expect(await r2(...none, 'WITHSCORES')).toBe('*0\r\n');
    expect(await r2(...none, 'WITHSCORES', 'WITHATTRIBS')).toBe('*0\r\n');
  });

  it('reply shapes in RESP3: maps for WITH*, %0 for zero hits, *0 without WITH*', async () => {
    const q: Arg[] = ['VSIM', 'sim', 'VALUES', 2, 1, 0.2, 'COUNT', 2];
    const [sE, sA] = strs(await v2(...q, 'WITHSCORES')).filter((_, i) => i % 2 === 1);
    expect(await r3(...q)).toBe(names('pt:E', 'pt:A'));
    expect(await r3(...q, 'WITHSCORES')).toBe(map3(bulk('pt:E'), dbl3(sE!), bulk('pt:A'), dbl3(sA!)));
    expect(await r3(...q, 'WITHATTRIBS')).toBe(map3(bulk('pt:E'), bulk('{"n":5}'), bulk('pt:A'), bulk('{"n":1}')));
    expect(await r3(...q, 'WITHSCORES', 'WITHATTRIBS')).toBe(
      map3(bulk('pt:E'), arr(dbl3(sE!), bulk('{"n":5}')), bulk('pt:A'), arr(dbl3(sA!), bulk('{"n":1}'))),
    );
    expect(await r3('VSIM', 'sim', 'ELE', 'pt:B', 'COUNT', 1, 'WITHATTRIBS')).toBe(map3(bulk('pt:B'), NIL3));
    expect(await r3('VSIM', 'sim', 'ELE', 'pt:B', 'COUNT', 1, 'WITHSCORES', 'WITHATTRIBS')).toBe(map3(bulk('pt:B'), arr(dbl3('1'), NIL3)));
    const none: Arg[] = ['VSIM', 'sim', 'ELE', 'pt:A', 'FILTER', '.n > 100'];
    expect(await r3(...none)).toBe('*0\r\n');
    expect(await r3(...none, 'WITHSCORES')).toBe('%0\r\n');
    expect(await r3(...none, 'WITHATTRIBS')).toBe('%0\r\n');
    expect(await r3(...none, 'WITHSCORES', 'WITHATTRIBS')).toBe('%0\r\n');
  });

  it('FILTER, FILTER-EF and TRUTH: elements without attributes never match', async () => {
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:B', 'FILTER', '1')).toBe(names('pt:E', 'pt:A'));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:B', 'FILTER', '1', 'TRUTH')).toBe(names('pt:E', 'pt:A'));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:B', 'FILTER', '.n >= 1', 'FILTER-EF', 1000)).toBe(names('pt:E', 'pt:A'));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', 'FILTER', '.n == 1', 'COUNT', 1, 'WITHSCORES')).toBe(arr(bulk('pt:A'), bulk('1')));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', 'FILTER', 'not .missing')).toBe('*0\r\n');
  });

  it('scores: zero vectors 0.5, BIN is 1 − hamming/D, opposite vectors 0', async () => {
    await setup(['VADD', 'sc:f', 'VALUES', 2, 0, 0, 'z', 'NOQUANT'], ['VADD', 'sc:f', 'VALUES', 2, 1, 0, 'x', 'NOQUANT'], ['VADD', 'sc:f', 'VALUES', 2, -1, 0, 'y', 'NOQUANT']);
    expect(await r2('VSIM', 'sc:f', 'VALUES', 2, 1, 0, 'WITHSCORES')).toBe(arr(bulk('x'), bulk('1'), bulk('z'), bulk('0.5'), bulk('y'), bulk('0')));
    expect(await r2('VSIM', 'sc:f', 'VALUES', 2, 0, 0, 'WITHSCORES', 'COUNT', 1, 'FILTER', '1')).toBe('*0\r\n');
    await setup(['VADD', 'sc:b', 'VALUES', 4, 1, 1, 1, 1, 'p', 'BIN'], ['VADD', 'sc:b', 'VALUES', 4, 1, -1, 1, 1, 'q', 'BIN'], ['VADD', 'sc:b', 'VALUES', 4, -1, -1, 0, 1, 'r', 'BIN']);
    expect(await r2('VSIM', 'sc:b', 'VALUES', 4, 2, 3, 4, 5, 'WITHSCORES')).toBe(arr(bulk('p'), bulk('1'), bulk('q'), bulk('0.75'), bulk('r'), bulk('0.25')));
    expect(await r2('VEMB', 'sc:b', 'r')).toBe(arr(bulk('-1'), bulk('-1'), bulk('-1'), bulk('1')));
  });

  it('ELE uses the reconstructed vector: the element itself comes first, score ≈ 1', async () => {
    const vec = (i: number): number[] => [Math.sin(i), Math.cos(i * 1.7), (i % 7) - 3];
    await setup(...Array.from({ length: 30 }, (_, i) => ['VADD', 'sim:30', 'VALUES', 3, ...vec(i), `e${i}`, 'NOQUANT']));
    await setup(...Array.from({ length: 30 }, (_, i) => ['VADD', 'sim:30q', 'VALUES', 3, ...vec(i), `e${i}`]));
    for (let i = 0; i < 30; i += 7) {
      const v = strs(await v2('VSIM', 'sim:30', 'ELE', `e${i}`, 'WITHSCORES', 'COUNT', 1, 'TRUTH'));
      expect(v[0]).toBe(`e${i}`);
      expect(Number(v[1])).toBeCloseTo(1, 6);
      // Under Q8 the re-quantised reconstruction is not exactly the stored vector (§3.6).
      const q = strs(await v2('VSIM', 'sim:30q', 'ELE', `e${i}`, 'WITHSCORES', 'COUNT', 1, 'TRUTH'));
      expect(q[0]).toBe(`e${i}`);
      expect(Number(q[1])).toBeGreaterThan(0.999);
    }
  });

  it('VSIM inside MULTI/EXEC answers inline with the same reply', async () => {
    const direct = await r2('VSIM', 'sim', 'ELE', 'pt:A', 'WITHSCORES', 'COUNT', 2);
    expect(await r2('MULTI')).toBe(simple('OK'));
    expect(await r2('VSIM', 'sim', 'ELE', 'pt:A', 'WITHSCORES', 'COUNT', 2)).toBe(simple('QUEUED'));
    expect(await r2('VCARD', 'sim')).toBe(simple('QUEUED'));
    expect(await r2('EXEC')).toBe(`*2\r\n${direct}${int(5)}`);
  });
});

// ---- VREM -------------------------------------------------------------------------------------

describe('VREM', () => {
  it('removes one element; the last one deletes the key', async () => {
    await setup(['VADD', 'rem', 'VALUES', 2, 1, 1, 'a', 'SETATTR', '{}'], ['VADD', 'rem', 'VALUES', 2, 1, 0, 'b'], ['SET', 'rem:str', 'x']);
    expect(await r2('VREM', 'rem', 'nope')).toBe(int(0));
    expect(await r3('VREM', 'rem', 'nope')).toBe(F);
    expect(await r2('VREM', 'rem:none', 'a')).toBe(int(0));
    expect(await r3('VREM', 'rem:none', 'a')).toBe(F);
    expect(await r2('VREM', 'rem:str', 'a')).toBe(err(WRONGTYPE));
    expect(await r2('VREM', 'rem', 'a', 'b')).toBe(err(arity('VREM')));
    expect(await r2('VREM', 'rem', 'a')).toBe(int(1));
    expect(((await v2('VINFO', 'rem')) as RespValue[])[13]).toBe(0); // attributes-count follows
    expect(await r2('VCARD', 'rem')).toBe(int(1));
    expect(await r3('VREM', 'rem', 'b')).toBe(T);
    expect(await r2('EXISTS', 'rem')).toBe(int(0));
    expect(await r2('TYPE', 'rem')).toBe(simple('none'));
    expect(await r2('VCARD', 'rem')).toBe(int(0));
    // A new VADD creates a fresh set with new parameters.
    expect(await r2('VADD', 'rem', 'VALUES', 3, 1, 1, 1, 'c', 'NOQUANT')).toBe(int(1));
    expect(await r2('VDIM', 'rem')).toBe(int(3));
  });
});

// ---- VCARD, VDIM, VISMEMBER --------------------------------------------------------------------

describe('VCARD, VDIM, VISMEMBER', () => {
  beforeAll(async () => {
    await setup(['VADD', 'small', 'VALUES', 3, 1, 2, 3, 'a'], ['VADD', 'small', 'VALUES', 3, 1, 2, 4, ''], ['SET', 'small:str', 'x']);
  });

  it('VCARD: count, 0 for a missing key, WRONGTYPE, arity', async () => {
    expect(await r2('VCARD', 'small')).toBe(int(2));
    expect(await r3('VCARD', 'small')).toBe(int(2));
    expect(await r2('VCARD', 'small:none')).toBe(int(0));
    expect(await r2('VCARD', 'small:str')).toBe(err(WRONGTYPE));
    expect(await r2('VCARD', 'small', 'x')).toBe(err(arity('VCARD')));
  });

  it('VDIM: dimension, an error for a missing key, WRONGTYPE, arity', async () => {
    expect(await r2('VDIM', 'small')).toBe(int(3));
    expect(await r2('VDIM', 'small:none')).toBe(err('ERR key does not exist'));
    expect(await r3('VDIM', 'small:none')).toBe(err('ERR key does not exist'));
    expect(await r2('VDIM', 'small:str')).toBe(err(WRONGTYPE));
    expect(await r2('VDIM')).toBe(err(arity('VDIM')));
  });

  it('VISMEMBER: booleans in both protocols, the empty name is a member', async () => {
    expect(await r2('VISMEMBER', 'small', 'a')).toBe(int(1));
    expect(await r2('VISMEMBER', 'small', '')).toBe(int(1));
    expect(await r2('VISMEMBER', 'small', 'b')).toBe(int(0));
    expect(await r2('VISMEMBER', 'small:none', 'a')).toBe(int(0));
    expect(await r3('VISMEMBER', 'small', 'a')).toBe(T);
    expect(await r3('VISMEMBER', 'small', 'b')).toBe(F);
    expect(await r3('VISMEMBER', 'small:none', 'a')).toBe(F);
    expect(await r2('VISMEMBER', 'small:str', 'a')).toBe(err(WRONGTYPE));
    expect(await r2('VISMEMBER', 'small', 'a', 'b')).toBe(err(arity('VISMEMBER')));
  });
});

// ---- VEMB -------------------------------------------------------------------------------------
