/**
 * The vector-set commands (spec Part A §7) against a started server, reply bytes compared exactly
 * in RESP2 and RESP3: every option, every documented error in the order the reference checks
 * them (§7.1, §15). This file: VEMB, VGETATTR and VSETATTR, VINFO, VLINKS.
 *
 * Expected numbers come from the spec, or from the float emulation in helpers/vset-replies.ts,
 * written from the spec's prose independently of src/vset — so an engine that drifts is caught.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RespValue } from './helpers/raw.js';
import { bulk, arr, int, err, simple, dbl3, NIL2, NIL3, T, F, names, WRONGTYPE, arity, f, normalize, q8, reconF32, d2s, fp32, reconQ8, type Arg, vsetConnections } from './helpers/vset-replies.js';

const { r2, r3, v2, c3, setup } = vsetConnections();

describe('VEMB', () => {
  beforeAll(async () => {
    await setup(
      ['VADD', 'emb:q8', 'VALUES', 3, 1.262185, 1.958231, -0.5, 'v'],
      ['VADD', 'emb:f32', 'VALUES', 3, 1.262185, 1.958231, -0.5, 'v', 'NOQUANT'],
      ['VADD', 'emb:bin', 'VALUES', 3, 1.262185, 0, -0.5, 'v', 'BIN'],
      ['VADD', 'emb:zero', 'VALUES', 3, 0, 0, 0, 'z'],
      ['SET', 'emb:str', 'x'],
    );
  });

  it('reconstructs Q8 and NOQUANT vectors as §3.6 says, BIN as ±1', async () => {
    const x = [1.262185, 1.958231, -0.5];
    expect(await r2('VEMB', 'emb:q8', 'v')).toBe(arr(...reconQ8(x).map((v) => bulk(d2s(v)))));
    expect(await r2('VEMB', 'emb:f32', 'v')).toBe(arr(...reconF32(x).map((v) => bulk(d2s(v)))));
    expect(await r2('VEMB', 'emb:bin', 'v')).toBe(arr(bulk('1'), bulk('-1'), bulk('-1')));
    expect(await r3('VEMB', 'emb:bin', 'v')).toBe(arr(dbl3('1'), dbl3('-1'), dbl3('-1')));
    expect(await r2('VEMB', 'emb:zero', 'z')).toBe(arr(bulk('0'), bulk('0'), bulk('0')));
    // A small negative component quantises to the int8 0, which reconstructs as +0; a -0 input
    // under NOQUANT stays -0 (§6: printed as "-0").
    await setup(['VADD', 'emb:sign', 'VALUES', 2, 1, -0.001, 'q'], ['VADD', 'emb:sign2', 'VALUES', 2, 1, '-0', 'f', 'NOQUANT']);
    expect(await r2('VEMB', 'emb:sign', 'q')).toBe(arr(bulk('1'), bulk('0')));
    expect(await r2('VEMB', 'emb:sign2', 'f')).toBe(arr(bulk('1'), bulk('-0')));
    expect(await r3('VEMB', 'emb:sign2', 'f')).toBe(arr(dbl3('1'), dbl3('-0')));
  });

  it('RAW: f32 and bin give 3 items, int8 gives 4, with the stored bytes (§7.6)', async () => {
    const x = [1.262185, 1.958231, -0.5];
    const { u, l2 } = normalize(x);
    const { q, range } = q8(x);
    expect(await r2('VEMB', 'emb:f32', 'v', 'RAW')).toBe(`*3\r\n+f32\r\n${bulk(fp32(...u))}${bulk(d2s(l2))}`);
    expect(await r2('VEMB', 'emb:q8', 'v', 'RAW')).toBe(`*4\r\n+int8\r\n${bulk(Buffer.from(Int8Array.from(q).buffer))}${bulk(d2s(l2))}${bulk(d2s(range))}`);
    // BIN: bit j set iff component j > 0, packed LSB first into 64-bit words.
    const lBin = normalize([1.262185, 0, -0.5]).l2;
    expect(await r2('VEMB', 'emb:bin', 'v', 'RAW')).toBe(`*3\r\n+bin\r\n${bulk(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]))}${bulk(d2s(lBin))}`);
    expect(await r3('VEMB', 'emb:q8', 'v', 'RAW')).toBe(`*4\r\n+int8\r\n${bulk(Buffer.from(Int8Array.from(q).buffer))},${d2s(l2)}\r\n,${d2s(range)}\r\n`);
    // The all-zero vector: l2 stays 1, range 0.
    expect(await r2('VEMB', 'emb:zero', 'z', 'RAW')).toBe(`*4\r\n+int8\r\n${bulk(Buffer.alloc(3))}${bulk('1')}${bulk('0')}`);
  });

  it('BIN RAW over 70 components uses two 64-bit words', async () => {
    const x = Array.from({ length: 70 }, (_, i) => (i % 3 === 0 ? 1 : -1));
    await setup(['VADD', 'emb:bin70', 'VALUES', 70, ...x, 'v', 'BIN']);
    const bytes = Buffer.alloc(16);
    x.forEach((v, j) => {
      if (v > 0) bytes[j >> 3]! |= 1 << (j & 7);
    });
    const v = (await v2('VEMB', 'emb:bin70', 'v', 'RAW')) as RespValue[];
    expect(v[0]).toBe('bin');
    expect(Buffer.from(v[1] as string, 'latin1')).toEqual(bytes);
  });

  it('every argument after the element must be RAW, checked before the key', async () => {
    expect(await r2('VEMB', 'emb:q8', 'v', 'RAW', 'raw')).toMatch(/^\*4\r\n\+int8/);
    expect(await r2('VEMB', 'emb:q8', 'v', 'FOO')).toBe(err('ERR invalid option'));
    expect(await r2('VEMB', 'emb:q8', 'v', 'RAW', 'FOO')).toBe(err('ERR invalid option'));
    expect(await r2('VEMB', 'emb:none', 'v', 'FOO')).toBe(err('ERR invalid option'));
    expect(await r2('VEMB', 'emb:str', 'v', 'FOO')).toBe(err('ERR invalid option'));
    expect(await r2('VEMB', 'emb:str', 'v')).toBe(err(WRONGTYPE));
    expect(await r2('VEMB', 'emb:q8')).toBe(err(arity('VEMB')));
  });

  it('a missing key or element is a null in both protocols, with or without RAW', async () => {
    expect(await r2('VEMB', 'emb:none', 'v')).toBe(NIL2);
    expect(await r2('VEMB', 'emb:q8', 'nope')).toBe(NIL2);
    expect(await r2('VEMB', 'emb:q8', 'nope', 'RAW')).toBe(NIL2);
    expect(await r3('VEMB', 'emb:none', 'v', 'RAW')).toBe(NIL3);
    expect(await r3('VEMB', 'emb:q8', 'nope')).toBe(NIL3);
  });

  it('a REDUCE set returns the reduced vector', async () => {
    await setup(['VADD', 'emb:red', 'REDUCE', 1, 'VALUES', 2, 3, 4, 'v', 'NOQUANT']);
    expect(await r2('VEMB', 'emb:red', 'v')).toBe(arr(bulk(d2s(reconF32([f(f(3 * f(1 / Math.sqrt(2))) + f(4 * f(1 / Math.sqrt(2))))])[0]!))));
  });
});

// ---- VGETATTR / VSETATTR -----------------------------------------------------------------------

describe('VGETATTR and VSETATTR', () => {
  beforeAll(async () => {
    await setup(['VADD', 'attr', 'VALUES', 2, 1, 1, 'a'], ['VADD', 'attr', 'VALUES', 2, 1, 0, 'b'], ['SET', 'attr:str', 'x']);
  });

  it('set, get, replace and remove; attributes-count follows', async () => {
    const count = async (): Promise<RespValue> => ((await v2('VINFO', 'attr')) as RespValue[])[13]!;
    expect(await r2('VGETATTR', 'attr', 'a')).toBe(NIL2);
    expect(await r3('VGETATTR', 'attr', 'a')).toBe(NIL3);
    expect(await r2('VSETATTR', 'attr', 'a', '{"year": 1950}')).toBe(int(1));
    expect(await r2('VGETATTR', 'attr', 'a')).toBe(bulk('{"year": 1950}'));
    expect(await r3('VGETATTR', 'attr', 'a')).toBe(bulk('{"year": 1950}'));
    expect(await count()).toBe(1);
    expect(await r3('VSETATTR', 'attr', 'a', '{"year": 1951}')).toBe(T);
    expect(await count()).toBe(1);
    expect(await r2('VSETATTR', 'attr', 'b', '{')).toBe(int(1)); // not validated
    expect(await r2('VGETATTR', 'attr', 'b')).toBe(bulk('{'));
    expect(await count()).toBe(2);
    expect(await r2('VSETATTR', 'attr', 'a', '')).toBe(int(1));
    expect(await r2('VGETATTR', 'attr', 'a')).toBe(NIL2);
    expect(await count()).toBe(1);
    // Removing an absent attribute still replies true.
    expect(await r2('VSETATTR', 'attr', 'a', '')).toBe(int(1));
    expect(await count()).toBe(1);
  });

  it('a missing key or element: false / null; WRONGTYPE; arity', async () => {
    expect(await r2('VSETATTR', 'attr:none', 'a', '{}')).toBe(int(0));
    expect(await r3('VSETATTR', 'attr:none', 'a', '{}')).toBe(F);
    expect(await r2('VSETATTR', 'attr', 'nope', '{}')).toBe(int(0));
    expect(await r2('EXISTS', 'attr:none')).toBe(int(0));
    expect(await r2('VGETATTR', 'attr:none', 'a')).toBe(NIL2);
    expect(await r2('VGETATTR', 'attr', 'nope')).toBe(NIL2);
    expect(await r2('VSETATTR', 'attr:str', 'a', '{}')).toBe(err(WRONGTYPE));
    expect(await r2('VGETATTR', 'attr:str', 'a')).toBe(err(WRONGTYPE));
    expect(await r2('VSETATTR', 'attr', 'a')).toBe(err(arity('VSETATTR')));
    expect(await r2('VSETATTR', 'attr', 'a', '{}', 'x')).toBe(err(arity('VSETATTR')));
    expect(await r2('VGETATTR', 'attr', 'a', 'x')).toBe(err(arity('VGETATTR')));
  });

  it('the attribute survives a vector update and is what FILTER sees', async () => {
    await setup(['VSETATTR', 'attr', 'b', '{"k": 2}'], ['VADD', 'attr', 'VALUES', 2, 0, 1, 'b']);
    expect(await r2('VGETATTR', 'attr', 'b')).toBe(bulk('{"k": 2}'));
    expect(await r2('VSIM', 'attr', 'ELE', 'a', 'FILTER', '.k == 2')).toBe(names('b'));
  });
});

// ---- VINFO ------------------------------------------------------------------------------------

describe('VINFO', () => {
  it('nine fields in order, simple-string keys; a flat array in RESP2, a map in RESP3', async () => {
    await setup(['VADD', 'info', 'REDUCE', 2, 'VALUES', 3, 1, 2, 3, 'a', 'BIN', 'M', 8, 'SETATTR', '{}'], ['VADD', 'info', 'REDUCE', 2, 'VALUES', 3, 3, 2, 1, 'b', 'BIN', 'M', 8]);
    const v = (await v2('VINFO', 'info')) as RespValue[];
    const uid = v[15] as number;
    const maxLevel = v[11] as number;
    expect(typeof uid).toBe('number');
    expect(maxLevel).toBeGreaterThanOrEqual(0);
    expect(maxLevel).toBeLessThanOrEqual(16);
    const fields: Array<[string, string]> = [
      ['quant-type', simple('bin')],
      ['hnsw-m', int(8)],
      ['vector-dim', int(2)],
      ['projection-input-dim', int(3)],
      ['size', int(2)],
      ['max-level', int(maxLevel)],
      ['attributes-count', int(1)],
      ['vset-uid', int(uid)],
      ['hnsw-max-node-uid', int(2)],
    ];
    const body = fields.map(([k, val]) => simple(k) + val).join('');
    expect(await r2('VINFO', 'info')).toBe(`*18\r\n${body}`);
    expect(await r3('VINFO', 'info')).toBe(`%9\r\n${body}`);
  });

  it('vset-uid grows with every set created; defaults show as int8 / 16 / 0', async () => {
    await setup(['VADD', 'info:1', 'VALUES', 1, 1, 'a'], ['VADD', 'info:2', 'VALUES', 1, 1, 'a']);
    const a = (await v2('VINFO', 'info:1')) as RespValue[];
    const b = (await v2('VINFO', 'info:2')) as RespValue[];
    expect(b[15]).toBe((a[15] as number) + 1);
    expect(a.slice(0, 10)).toEqual(['quant-type', 'int8', 'hnsw-m', 16, 'vector-dim', 1, 'projection-input-dim', 0, 'size', 1]);
  });

  it('a missing key is a null array (*-1 / _); WRONGTYPE; arity', async () => {
    await setup(['SET', 'info:str', 'x']);
    expect(await r2('VINFO', 'info:none')).toBe('*-1\r\n');
    expect(await r3('VINFO', 'info:none')).toBe(NIL3);
    expect(await r2('VINFO', 'info:str')).toBe(err(WRONGTYPE));
    expect(await r2('VINFO', 'info', 'x')).toBe(err(arity('VINFO')));
  });
});

// ---- VLINKS -----------------------------------------------------------------------------------

describe('VLINKS', () => {
  beforeAll(async () => {
    const cmds: Arg[][] = [];
    for (let i = 0; i < 300; i++) cmds.push(['VADD', 'links', 'VALUES', 3, Math.sin(i * 0.37), Math.cos(i * 0.91), Math.sin(i * 1.3 + 1), `n${i}`, 'M', 4]);
    await setup(...cmds, ['SET', 'links:str', 'x'], ['VADD', 'links:2', 'VALUES', 2, 1, 0, 'a', 'NOQUANT'], ['VADD', 'links:2', 'VALUES', 2, 0, 1, 'b', 'NOQUANT']);
  });

  it('two orthogonal elements link to each other at level 0 with score 0.5', async () => {
    const levels = (await v2('VLINKS', 'links:2', 'a')) as RespValue[][];
    expect(levels.at(-1)).toEqual(['b']);
    const withScores = (await v2('VLINKS', 'links:2', 'a', 'WITHSCORES')) as RespValue[][];
    expect(withScores.at(-1)).toEqual(['b', '0.5']);
    const raw3 = await r3('VLINKS', 'links:2', 'a', 'withscores');
    expect(raw3.endsWith(`%1\r\n${bulk('b')},0.5\r\n`)).toBe(true);
    expect(raw3.startsWith(`*${levels.length}\r\n`)).toBe(true);
  });

  it('levels run from the node’s top level down to 0, and links are reciprocal', async () => {
    const levelOf = new Map<string, number>();
    const linksOf = new Map<string, string[][]>();
    for (let i = 0; i < 300; i++) {
      const v = (await v2('VLINKS', 'links', `n${i}`)) as string[][];
      levelOf.set(`n${i}`, v.length - 1);
      linksOf.set(`n${i}`, v);
    }
    const maxLevel = Math.max(...levelOf.values());
    const info = (await v2('VINFO', 'links')) as RespValue[];
    expect(info[11]).toBe(maxLevel);
    expect(maxLevel).toBeGreaterThan(0); // 300 draws at p = 0.25: a level above 0 is all but certain
    for (const [name, levels] of linksOf) {
      const top = levels.length - 1;
      levels.forEach((neighbours, idx) => {
        const level = top - idx;
        expect(neighbours.length).toBeLessThanOrEqual(level === 0 ? 3 * 4 : 2 * 4);
        for (const n of neighbours) {
          // A neighbour at level L lives on level L, and links back.
          expect(levelOf.get(n)!, `${name}→${n} at ${level}`).toBeGreaterThanOrEqual(level);
          const back = linksOf.get(n)!;
          expect(back[back.length - 1 - level], `${n} links back to ${name} at ${level}`).toContain(name);
        }
      });
    }
  });

  it('WITHSCORES: a map per level in RESP3, flat name/score pairs in RESP2, scores rounded to float', async () => {
    const plain = (await v2('VLINKS', 'links', 'n7')) as string[][];
    const flat = (await v2('VLINKS', 'links', 'n7', 'WITHSCORES')) as string[][];
    expect(flat.map((l) => l.filter((_, i) => i % 2 === 0))).toEqual(plain);
    for (const level of flat) {
      for (let i = 1; i < level.length; i += 2) {
        const s = Number(level[i]);
        expect(Math.fround(s)).toBe(s);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
      }
    }
    const v3 = (await c3().value('VLINKS', 'links', 'n7', 'WITHSCORES')) as Array<{ map: Array<[RespValue, RespValue]> }>;
    expect(v3.map((m) => m.map.map(([k, val]) => [k, (val as { text: string }).text]).flat())).toEqual(flat);
  });

  it('a bad fourth argument or a fifth is an arity error; missing key/element are nulls', async () => {
    expect(await r2('VLINKS', 'links', 'n1', 'WITHSCORE')).toBe(err(arity('VLINKS')));
    expect(await r2('VLINKS', 'links', 'n1', 'WITHSCORES', 'x')).toBe(err(arity('VLINKS')));
    expect(await r2('VLINKS', 'links')).toBe(err(arity('VLINKS')));
    expect(await r2('VLINKS', 'links:none', 'n1')).toBe(NIL2);
    expect(await r2('VLINKS', 'links', 'nope')).toBe(NIL2);
    expect(await r3('VLINKS', 'links', 'nope', 'WITHSCORES')).toBe(NIL3);
    expect(await r2('VLINKS', 'links:str', 'n1')).toBe(err(WRONGTYPE));
    expect(await r2('VLINKS', 'links:str', 'n1', 'BAD')).toBe(err(arity('VLINKS')));
  });
});

// ---- VRANDMEMBER ------------------------------------------------------------------------------
