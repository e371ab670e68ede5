/**
 * Bad input never crashes the server (design invariant 6), for the FT.* commands: a seeded fuzz of
 * FT.SEARCH queries (fragments of the query language glued at random, valid queries mutated byte
 * by byte) and arguments (every option with sound, odd and absurd values), and of FT.CREATE,
 * FT.ALTER, FT.INFO and FT.DROPINDEX arguments. Every reply must be a result or an error that is
 * not an internal error, and the server answers PING afterwards. Seeded: a failure prints the
 * command, and the same seed replays it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, RawConnection, RespError, type RespValue } from './helpers/raw.js';
import { serverForFile } from './helpers/server.js';
import { blob, ok } from './helpers/ft.js';
import { rng } from './helpers/rng.js';

const server = serverForFile();
let c: RawConnection;

type Arg = string | Buffer;

beforeAll(async () => {
  c = await RawConnection.connect(server().port);
  await ok(c, 'FT.CREATE', 'fz', 'ON', 'HASH', 'PREFIX', '1', 'fz:', 'SCHEMA', 't', 'TAG', 'n', 'NUMERIC', 'SORTABLE', 'body', 'TEXT', 'SORTABLE', 'g', 'GEO', 'v', 'VECTOR', 'HNSW', '6', 'TYPE', 'FLOAT32', 'DIM', '4', 'DISTANCE_METRIC', 'L2', 'w', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT64', 'DIM', '3', 'DISTANCE_METRIC', 'COSINE');
  const r = rng(1);
  const words = ['hello', 'world', 'vector', 'redis', 'search', 'the', 'a'];
  for (let i = 0; i < 60; i++) {
    await ok(c, 'HSET', `fz:${i}`, 't', ['a', 'b', 'c,d', 'x y'][i % 4]!, 'n', String(i % 13), 'body', `${words[i % 7]} ${words[(i * 3) % 7]}`, 'g', '13.4,52.5', 'v', blob([r(), r(), r(), r()]), 'w', blob([r(), r(), r()], 'FLOAT64'));
  }
  return () => c.close();
});

/** Sends commands pipelined; returns each reply. */
async function send(cmds: Arg[][]): Promise<RespValue[]> {
  c.write(Buffer.concat(cmds.map((a) => encodeCommand(a))));
  const out: RespValue[] = [];
  for (let i = 0; i < cmds.length; i++) out.push((await c.readReply(30_000)).value);
  return out;
}

const show = (cmd: Arg[]): string => JSON.stringify(cmd.map((a) => (Buffer.isBuffer(a) ? `<${a.length} bytes>` : a)));

/** Replies by kind, so the fuzz can show that it reaches past the argument checks. */
const tally = { results: 0, errors: new Map<string, number>() };

/** Every reply a result or a client error; the server alive. */
async function expectSane(cmds: Arg[][]): Promise<void> {
  const replies = await send(cmds);
  replies.forEach((v, i) => {
    if (v instanceof RespError) {
      if (/internal error/i.test(v.message)) throw new Error(`${show(cmds[i]!)} → ${v.message}`);
      const code = v.message.split(' ')[0]!;
      tally.errors.set(code, (tally.errors.get(code) ?? 0) + 1);
    } else tally.results++;
  });
  expect(await c.value('PING')).toBe('PONG');
}

const FRAGMENTS = [
  '*', '@t:{a}', '@t:{a|b}', '@t:{c\\,d}', '@t:{x*}', "@t:{w'a*'}", '@n:[1 5]', '@n:[(1 +inf]', '@n:[-inf (3]', '@n:[5 1]', '@n:[$lo $hi]',
  'hello', 'hel*', '*orl*', '%world%', '"hello world"', '@body:(hello|world)', '-@t:{b}', '-hello', '~vector', '(', ')', '|', ' ', '  ',
  '=>[KNN 3 @v $q]', '=>[KNN $k @v $q AS d]', '=>[KNN 2 @w $q2 EF_RUNTIME 5]', '=>[KNN 3 @v $q HYBRID_POLICY ADHOC_BF]', '=>[KNN 3 @v $q HYBRID_POLICY BATCHES BATCH_SIZE 2]',
  '@v:[VECTOR_RANGE 0.5 $q]', '@v:[VECTOR_RANGE $r $q]=>{$YIELD_DISTANCE_AS: d}', '=>{$YIELD_DISTANCE_AS: z}', '=>{$weight: 2}', '=>{$inorder: true}',
  '@g:[13 52 10 km]', 'ismissing(@t)', '@nope:{a}', '@v:{a}', '$q', '@', '{', '}', '[', ']', '=>', '\\', '"', "'", ';', ':', '%%', '$', 'KNN', 'AS',
  '\u00e9t\u00e9', '\u4e2d\u6587', '\0', '\r\n', 'a'.repeat(300),
];

const VALID = [
  '*=>[KNN 3 @v $q]', '(@t:{a} @n:[1 9])=>[KNN 2 @v $q AS d]', '@body:hello @n:[(0 +inf]', '@v:[VECTOR_RANGE 1 $q]=>{$YIELD_DISTANCE_AS: d}',
  '(-@t:{b} | hello)=>[KNN $k @w $q2]', '@t:{a|b} @n:[-inf 4]',
];

function randomBytes(r: () => number, max: number): Buffer {
  return Buffer.from(Array.from({ length: Math.floor(r() * max) }, () => Math.floor(r() * 256)));
}

function query(r: () => number): Buffer {
  const kind = r();
  if (kind < 0.25) return Buffer.from(VALID[Math.floor(r() * VALID.length)]!);
  if (kind < 0.55) {
    let s = '';
    const n = 1 + Math.floor(r() * 6);
    for (let i = 0; i < n; i++) s += (r() < 0.5 ? ' ' : '') + FRAGMENTS[Math.floor(r() * FRAGMENTS.length)]!;
    return Buffer.from(s);
  }
  if (kind < 0.9) {
    const b = Buffer.from(VALID[Math.floor(r() * VALID.length)]!);
    const edits = 1 + Math.floor(r() * 3);
    let out = b;
    for (let i = 0; i < edits; i++) {
      const at = Math.floor(r() * (out.length + 1));
      const op = r();
      const byte = Buffer.from([r() < 0.7 ? ' ()[]{}|@$:;=>*-~%"\\,0123456789abcKNN'.charCodeAt(Math.floor(r() * 36)) : Math.floor(r() * 256)]);
      if (op < 0.33) out = Buffer.concat([out.subarray(0, at), byte, out.subarray(at)]);
      else if (op < 0.66) out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
      else out = Buffer.concat([out.subarray(0, at), byte, out.subarray(at + 1)]);
    }
    return out;
  }
  return randomBytes(r, 40);
}

const NUMBERS = ['0', '1', '2', '3', '10', '-1', '-0', '1e3', '1.5', 'inf', '-inf', '+inf', 'nan', '99999999999999999999', '18446744073709551615', '4294967296', '0x10', '', ' ', 'abc', '(3', '1000001'];
const num = (r: () => number): string => NUMBERS[Math.floor(r() * NUMBERS.length)]!;
const FIELDS = ['t', 'n', 'body', 'g', 'v', 'w', 'd', 'z', '__v_score', 'nope', '@n', '', 'N'];
const field = (r: () => number): string => FIELDS[Math.floor(r() * FIELDS.length)]!;

function params(r: () => number): Arg[] {
  const names = ['q', 'q2', 'k', 'lo', 'hi', 'r'];
  const values = (name: string): Arg => {
    const x = r();
    if (name === 'q' && x < 0.7) return blob([r(), r(), r(), r()]);
    if (name === 'q2' && x < 0.7) return blob([r(), r(), r()], 'FLOAT64');
    if (x < 0.5) return num(r);
    return randomBytes(r, 40);
  };
  const n = Math.floor(r() * 7);
  const out: Arg[] = [];
  for (let i = 0; i < n; i++) {
    const name = r() < 0.9 ? names[Math.floor(r() * names.length)]! : String(Math.floor(r() * 5));
    out.push(name, values(name));
  }
  const count = r() < 0.85 ? String(out.length) : num(r);
  return ['PARAMS', count, ...out];
}

/** Well-formed options with values that make sense, in random order and number. */
function saneArgs(r: () => number): Arg[] {
  const out: Arg[] = ['PARAMS', '10', 'q', blob([r(), r(), r(), r()]), 'q2', blob([r(), r(), r()], 'FLOAT64'), 'k', String(Math.floor(r() * 6)), 'lo', String(Math.floor(r() * 5)), 'r', String(r() * 2)];
  if (r() < 0.5) out.push('LIMIT', String(Math.floor(r() * 5)), String(Math.floor(r() * 8)));
  if (r() < 0.3) out.push('SORTBY', ['n', 'body', 't', 'd'][Math.floor(r() * 4)]!, r() < 0.5 ? 'ASC' : 'DESC');
  if (r() < 0.3) out.push('RETURN', '3', 'd', 'AS', 'dist');
  if (r() < 0.2) out.push('NOCONTENT');
  if (r() < 0.2) out.push('WITHSCORES');
  if (r() < 0.2) out.push('FILTER', 'n', String(Math.floor(r() * 5)), '+inf');
  out.push('DIALECT', '2');
  return out;
}

function searchArgs(r: () => number): Arg[] {
  if (r() < 0.5) return saneArgs(r);
  const out: Arg[] = [];
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const o = Math.floor(r() * 22);
    switch (o) {
      case 0: out.push('LIMIT', num(r), num(r)); break;
      case 1: out.push('SORTBY', field(r), ...(r() < 0.5 ? [r() < 0.5 ? 'ASC' : 'DESC'] : [])); break;
      case 2: { const k = Math.floor(r() * 4); out.push('RETURN', r() < 0.8 ? String(k) : num(r), ...Array.from({ length: k }, () => (r() < 0.2 ? 'AS' : field(r)))); break; }
      case 3: out.push('NOCONTENT'); break;
      case 4: out.push('WITHSCORES'); break;
      case 5: out.push(...params(r)); break;
      case 6: out.push('DIALECT', r() < 0.7 ? String(2 + Math.floor(r() * 3)) : num(r)); break;
      case 7: out.push('FILTER', field(r), num(r), num(r)); break;
      case 8: out.push('TIMEOUT', num(r)); break;
      case 9: out.push('FORMAT', r() < 0.5 ? 'STRING' : 'EXPAND'); break;
      case 10: out.push('INKEYS', '2', 'fz:1', 'fz:2'); break;
      case 11: out.push('SUMMARIZE', 'FIELDS', '1', 'body', 'LEN', num(r)); break;
      case 12: out.push('HIGHLIGHT', 'TAGS', '<b>', '</b>'); break;
      case 13: out.push('SLOP', num(r)); break;
      case 14: out.push('LANGUAGE', r() < 0.5 ? 'english' : 'klingon'); break;
      case 15: out.push('SCORER', r() < 0.5 ? 'BM25' : 'nope'); break;
      case 16: out.push('GEOFILTER', 'g', num(r), num(r), num(r), r() < 0.7 ? 'km' : 'parsec'); break;
      case 17: out.push('WITHCURSOR'); break;
      case 18: out.push('VERBATIM', 'NOSTOPWORDS', 'INORDER'); break;
      case 19: out.push(['LIMIT', 'SORTBY', 'RETURN', 'PARAMS', 'DIALECT', 'FILTER', 'TIMEOUT'][Math.floor(r() * 7)]!); break;
      case 20: out.push(randomBytes(r, 10)); break;
      default: out.push('EXPLAINSCORE', 'WITHSCORES');
    }
  }
  if (r() < 0.8) out.push('DIALECT', '2');
  return out;
}

const TYPES = ['TEXT', 'TAG', 'NUMERIC', 'GEO', 'GEOSHAPE', 'VECTOR', 'VECTORS', 'text', 'BLOB', ''];
const VEC_KEYS = ['TYPE', 'DIM', 'DISTANCE_METRIC', 'M', 'EF_CONSTRUCTION', 'EF_RUNTIME', 'EPSILON', 'INITIAL_CAP', 'BLOCK_SIZE', 'RERANK', 'COMPRESSION', 'NOPE'];
const VEC_VALUES = ['FLOAT32', 'FLOAT64', 'FLOAT16', 'BFLOAT16', 'INT8', 'UINT8', 'L2', 'IP', 'COSINE', 'HAMMING', '4', '16', '0', '-4', '32768', '65536', '100000000', '2147483648', '1e9', 'abc', 'TRUE'];

function vectorField(r: () => number): Arg[] {
  const params: Arg[] = [];
  if (r() < 0.8) {
    params.push('TYPE', r() < 0.7 ? 'FLOAT32' : VEC_VALUES[Math.floor(r() * 6)]!);
    params.push('DIM', r() < 0.7 ? String(1 + Math.floor(r() * 8)) : VEC_VALUES[10 + Math.floor(r() * 11)]!);
    params.push('DISTANCE_METRIC', r() < 0.8 ? ['L2', 'IP', 'COSINE'][Math.floor(r() * 3)]! : 'HAMMING');
  }
  const extra = Math.floor(r() * 3);
  for (let i = 0; i < extra; i++) params.push(VEC_KEYS[Math.floor(r() * VEC_KEYS.length)]!, VEC_VALUES[Math.floor(r() * VEC_VALUES.length)]!);
  const count = r() < 0.85 ? String(params.length) : num(r);
  return [['HNSW', 'FLAT', 'SVS-VAMANA', 'IVF'][Math.floor(r() * (r() < 0.9 ? 2 : 4))]!, count, ...params];
}

function schemaField(r: () => number): Arg[] {
  const name = r() < 0.9 ? `f${Math.floor(r() * 6)}` : randomBytes(r, 6);
  const out: Arg[] = [name];
  if (r() < 0.15) out.push('AS', `a${Math.floor(r() * 4)}`);
  const type = TYPES[Math.floor(r() * TYPES.length)]!;
  out.push(type);
  if (type === 'VECTOR') out.push(...vectorField(r));
  else if (r() < 0.4) out.push(['SORTABLE', 'UNF', 'NOINDEX', 'SEPARATOR', 'CASESENSITIVE', 'WEIGHT', 'NOSTEM', 'PHONETIC', 'INDEXMISSING', 'INDEXEMPTY', 'WITHSUFFIXTRIE'][Math.floor(r() * 11)]!);
  if (r() < 0.2) out.push(num(r));
  return out;
}

function createArgs(r: () => number, name: string): Arg[] {
  const out: Arg[] = ['FT.CREATE', name];
  if (r() < 0.6) out.push('ON', r() < 0.8 ? 'HASH' : ['JSON', 'SET', ''][Math.floor(r() * 3)]!);
  if (r() < 0.8) {
    const k = r() < 0.9 ? 1 + Math.floor(r() * 2) : Math.floor(r() * 4);
    out.push('PREFIX', r() < 0.9 ? String(k) : num(r), ...Array.from({ length: k }, (_, i) => `cr${i}:`));
  }
  if (r() < 0.15) out.push('FILTER', "@n > 1");
  if (r() < 0.1) out.push(['LANGUAGE', 'SCORE', 'STOPWORDS', 'TEMPORARY', 'MAXTEXTFIELDS', 'NOOFFSETS', 'NOFREQS', 'SKIPINITIALSCAN'][Math.floor(r() * 8)]!, num(r));
  if (r() < 0.95) out.push('SCHEMA');
  const n = r() < 0.1 ? 0 : 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) out.push(...schemaField(r));
  return out;
}

describe('fuzz', () => {
  it('FT.SEARCH: 3000 seeded queries and argument lists', async () => {
    const r = rng(20260101);
    for (let round = 0; round < 30; round++) {
      const cmds: Arg[][] = [];
      for (let i = 0; i < 100; i++) cmds.push(['FT.SEARCH', r() < 0.97 ? 'fz' : 'nope', query(r), ...searchArgs(r)]);
      await expectSane(cmds);
    }
    // Most cases are refused somewhere, but a fair share runs to a result.
    expect(tally.results).toBeGreaterThan(300);
  });

  it('FT.CREATE, FT.ALTER, FT.INFO, FT.DROPINDEX: 1500 seeded argument lists; what gets created works', async () => {
    const r = rng(777);
    let created = 0;
    for (let round = 0; round < 15; round++) {
      const cmds: Arg[][] = [];
      for (let i = 0; i < 100; i++) {
        const name = `cr${round}-${i}`;
        const x = r();
        if (x < 0.7) cmds.push(createArgs(r, name));
        else if (x < 0.85) cmds.push(['FT.ALTER', 'fz-alter', ...(r() < 0.3 ? ['SKIPINITIALSCAN'] : []), ...(r() < 0.9 ? ['SCHEMA', 'ADD'] : ['SCHEMA', 'DROP']), ...schemaField(r)]);
        else if (x < 0.92) cmds.push(['FT.INFO', r() < 0.5 ? name : randomBytes(r, 8)]);
        else cmds.push(['FT.DROPINDEX', r() < 0.5 ? `cr${round}-${i - 1}` : randomBytes(r, 8), ...(r() < 0.5 ? [r() < 0.5 ? 'DD' : num(r)] : [])]);
      }
      if (round === 0) await ok(c, 'FT.CREATE', 'fz-alter', 'PREFIX', '1', 'fz:', 'SCHEMA', 'n', 'NUMERIC');
      await expectSane(cmds);
      // Documents under the prefixes the created indexes follow, then searches of every index.
      const w: Arg[][] = [];
      for (let i = 0; i < 20; i++) w.push(['HSET', `cr${i % 2}:${round}-${i}`, `f${i % 6}`, r() < 0.5 ? blob([r(), r(), r(), r()]) : num(r), 'a1', num(r)]);
      await expectSane(w);
      const names = (await c.value('FT._LIST')) as string[];
      await expectSane(names.map((n) => ['FT.SEARCH', n, r() < 0.5 ? '*' : query(r), 'LIMIT', '0', '3', 'DIALECT', '2']));
      await expectSane(names.map((n) => ['FT.INFO', n]));
      created += names.filter((n) => n.startsWith('cr')).length;
      await expectSane(names.filter((n) => n.startsWith('cr')).map((n) => ['FT.DROPINDEX', n, ...(r() < 0.5 ? ['DD'] : [])]));
    }
    expect(created).toBeGreaterThan(50);
  });

  it('sizes at and past the limits: huge DIM, M, INITIAL_CAP, BLOCK_SIZE, EF_RUNTIME, K, radius, LIMIT', async () => {
    const vec = (n: string, ...params: string[]): Arg[] => ['FT.CREATE', n, 'PREFIX', '1', `${n}:`, 'SCHEMA', 'v', 'VECTOR', 'HNSW', String(params.length + 6), 'TYPE', 'FLOAT32', 'DIM', '4', 'DISTANCE_METRIC', 'L2', ...params];
    await expectSane([
      ['FT.CREATE', 'big1', 'SCHEMA', 'v', 'VECTOR', 'HNSW', '6', 'TYPE', 'FLOAT32', 'DIM', '100000000', 'DISTANCE_METRIC', 'L2'],
      ['FT.CREATE', 'big2', 'SCHEMA', 'v', 'VECTOR', 'FLAT', '6', 'TYPE', 'FLOAT64', 'DIM', '65536', 'DISTANCE_METRIC', 'IP'],
      vec('big3', 'M', '4096'),
      vec('big4', 'INITIAL_CAP', '4294967295'),
      vec('big5', 'EF_CONSTRUCTION', '1000000'),
      vec('big6', 'EF_RUNTIME', '1000000'),
      ['FT.CREATE', 'big7', 'PREFIX', '1', 'big7:', 'SCHEMA', 'v', 'VECTOR', 'FLAT', '8', 'TYPE', 'FLOAT32', 'DIM', '4', 'DISTANCE_METRIC', 'L2', 'BLOCK_SIZE', '4294967295'],
    ]);
    const w: Arg[][] = [];
    for (const n of ['big3', 'big4', 'big5', 'big6', 'big7']) for (let i = 0; i < 5; i++) w.push(['HSET', `${n}:${i}`, 'v', blob([i, 1, 2, 3])]);
    await expectSane(w);
    const q = blob([0, 0, 0, 0]);
    await expectSane(
      ['big3', 'big4', 'big5', 'big6', 'big7'].flatMap((n) => [
        ['FT.SEARCH', n, '*=>[KNN 288230376151711744 @v $q]', 'PARAMS', '2', 'q', q, 'DIALECT', '2'],
        ['FT.SEARCH', n, '*=>[KNN 3 @v $q EF_RUNTIME 4294967295]', 'PARAMS', '2', 'q', q, 'DIALECT', '2'],
        ['FT.SEARCH', n, '(@v:[VECTOR_RANGE 1e308 $q])=>[KNN 3 @v $q HYBRID_POLICY BATCHES BATCH_SIZE 4294967295]', 'PARAMS', '2', 'q', q, 'DIALECT', '2'],
        ['FT.SEARCH', n, '@v:[VECTOR_RANGE -1 $q]', 'PARAMS', '2', 'q', q, 'DIALECT', '2'],
        ['FT.SEARCH', n, '*', 'LIMIT', '999999', '1000000'],
        ['FT.SEARCH', n, '*', 'LIMIT', '0', '1000001'],
      ]),
    );
    for (const n of ['big2', 'big3', 'big4', 'big5', 'big6', 'big7']) await c.value('FT.DROPINDEX', n, 'DD');
  });
});
