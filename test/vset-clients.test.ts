/**
 * The V* family through the clients users point at vsetd (spec §13): node-redis 5.9 with its own
 * vector-set helpers (vAdd, vSim, vSimWithScores, vEmb, vEmbRaw, vInfo, vLinks,
 * vLinksWithScores, vRandMember, vGetAttr, vSetAttr, vRem, vCard, vDim; VRANGE and VISMEMBER
 * have no helper in 5.9 and go through sendCommand) under RESP2 and RESP3, ioredis with
 * `call` (RESP2 shapes), redis-cli (printed output, RESP2 and -3) and Python's redis module.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { serverForFile } from './helpers/server.js';
import { PYTHON, requireTool, skipWithout } from './helpers/tools.js';

const server = serverForFile();

describe.each([2, 3] as const)('node-redis helpers, RESP%i', (resp) => {
  const key = `nr${resp}`;

  it('vAdd with every option, vCard, vDim, vInfo, vRem', async () => {
    const client = createClient({ socket: { port: server().port, host: '127.0.0.1' }, RESP: resp });
    client.on('error', () => {});
    await client.connect();
    try {
      // node-redis sends VALUES with JS number formatting: 1e-7 reaches the server as is.
      expect(await client.vAdd(key, [1, 0, 1e-7], 'a', { QUANT: 'NOQUANT', EF: 50, M: 8, SETATTR: { year: 1950, genre: 'drama' } })).toBe(true);
      expect(await client.vAdd(key, [0, 1, 0], 'b', { QUANT: 'NOQUANT', M: 8, CAS: true })).toBe(true);
      expect(await client.vAdd(key, [0.5, 0.5, 0], 'c', { QUANT: 'NOQUANT', M: 8, SETATTR: { year: 1999 } })).toBe(true);
      expect(await client.vAdd(key, [0, 1, 1], 'b', { QUANT: 'NOQUANT', M: 8 })).toBe(false);
      await expect(client.vAdd(key, [0, 1, 1], 'd')).rejects.toThrow('ERR asked quantization mismatch with existing vector set');
      expect(await client.vCard(key)).toBe(3);
      expect(await client.vDim(key)).toBe(3);
      const info = (await client.vInfo(key)) as unknown as Record<string, unknown>;
      expect(info['quant-type']).toBe('f32');
      expect(info['hnsw-m']).toBe(8);
      expect(info['vector-dim']).toBe(3);
      expect(info['projection-input-dim']).toBe(0);
      expect(info['size']).toBe(3);
      expect(info['attributes-count']).toBe(2);
      expect(Object.keys(info)).toEqual(['quant-type', 'hnsw-m', 'vector-dim', 'projection-input-dim', 'size', 'max-level', 'attributes-count', 'vset-uid', 'hnsw-max-node-uid']);
      // A missing key is a null array; node-redis 5.9's RESP2 transform of VINFO cannot take a
      // null (it reads reply.length) — a client limitation, the same against Redis.
      if (resp === 3) expect(await client.vInfo(`${key}:none`)).toBe(null);
      else expect(await client.sendCommand(['VINFO', `${key}:none`])).toBe(null);
      // REDUCE through the helper.
      expect(await client.vAdd(`${key}:r`, [1, 2, 3, 4], 'p', { REDUCE: 2 })).toBe(true);
      expect(await client.vDim(`${key}:r`)).toBe(2);
      expect(await client.vRem(`${key}:r`, 'p')).toBe(true);
      expect(await client.vRem(`${key}:r`, 'p')).toBe(false);
      expect(await client.exists(`${key}:r`)).toBe(0);
    } finally {
      client.destroy();
    }
  });

  it('vSim, vSimWithScores, vEmb, vEmbRaw, vGetAttr, vSetAttr', async () => {
    const client = createClient({ socket: { port: server().port, host: '127.0.0.1' }, RESP: resp });
    client.on('error', () => {});
    await client.connect();
    try {
      expect(await client.vSim(key, 'a', { COUNT: 2 })).toEqual(['a', 'c']);
      expect(await client.vSim(key, [1, 0, 0], { COUNT: 3, EF: 10, EPSILON: 0.9, TRUTH: true, NOTHREAD: true })).toEqual(['a', 'c', 'b']);
      expect(await client.vSim(key, [1, 0, 0], { FILTER: '.year > 1960', 'FILTER-EF': 100 })).toEqual(['c']);
      expect(await client.vSim(key, [1, 0, 0], { FILTER: '.genre == "drama"' })).toEqual(['a']);
      await expect(client.vSim(key, [1, 0, 0], { FILTER: '.year >' })).rejects.toThrow('ERR syntax error in FILTER expression near: .year >');
      const scores = (await client.vSimWithScores(key, [1, 0, 0], { COUNT: 2 })) as Record<string, number>;
      expect(Object.keys(scores)).toEqual(['a', 'c']);
      expect(scores['a']).toBeCloseTo(1, 6);
      expect(scores['c']).toBeCloseTo(1 - (1 - Math.SQRT1_2) / 2, 6);
      expect(await client.vSim(`${key}:none`, 'a')).toEqual([]);
      const emb = await client.vEmb(key, 'c');
      expect(emb).toHaveLength(3);
      [0.5, 0.5, 0].forEach((x, i) => expect(emb[i]).toBeCloseTo(x, 6));
      // Same client limitation as VINFO: the RESP2 transform maps over a null.
      if (resp === 3) expect(await client.vEmb(key, 'nope')).toBe(null);
      else expect(await client.sendCommand(['VEMB', key, 'nope'])).toBe(null);
      const raw = await client.vEmbRaw(key, 'c');
      expect(raw.quantization).toBe('f32');
      expect(raw.l2Norm).toBeCloseTo(Math.SQRT1_2, 6);
      const rawQ8 = await (async () => {
        await client.vAdd(`${key}:q8`, [1, 1], 'x');
        return client.vEmbRaw(`${key}:q8`, 'x');
      })();
      expect(rawQ8.quantization).toBe('int8');
      expect(rawQ8.l2Norm).toBeCloseTo(Math.SQRT2, 6);
      expect(rawQ8.quantizationRange).toBeCloseTo(Math.SQRT1_2, 6);
      expect(await client.vGetAttr(key, 'a')).toEqual({ year: 1950, genre: 'drama' });
      expect(await client.vGetAttr(key, 'b')).toBe(null);
      expect(await client.vSetAttr(key, 'b', { year: 2001 })).toBe(true);
      expect(await client.vGetAttr(key, 'b')).toEqual({ year: 2001 });
      expect(await client.vSetAttr(key, 'nope', { year: 2001 })).toBe(false);
      expect(await client.vSetAttr(key, 'b', '')).toBe(true);
      expect(await client.vGetAttr(key, 'b')).toBe(null);
    } finally {
      client.destroy();
    }
  });

  it('vLinks, vLinksWithScores, vRandMember; VRANGE and VISMEMBER through sendCommand', async () => {
    const client = createClient({ socket: { port: server().port, host: '127.0.0.1' }, RESP: resp });
    client.on('error', () => {});
    await client.connect();
    try {
      const links = await client.vLinks(key, 'a');
      expect(Array.isArray(links)).toBe(true);
      expect([...links.at(-1)!].sort()).toEqual(['b', 'c']);
      const withScores = (await client.vLinksWithScores(key, 'a')) as Array<Record<string, number>>;
      expect(withScores).toHaveLength(links.length);
      const level0 = withScores.at(-1)!;
      expect(Object.keys(level0).sort()).toEqual(['b', 'c']);
      expect(level0['c']).toBeCloseTo(Math.fround(1 - (1 - Math.SQRT1_2) / 2), 6);
      expect(await client.vLinks(key, 'nope')).toBe(null);
      expect(['a', 'b', 'c']).toContain(await client.vRandMember(key));
      expect(((await client.vRandMember(key, 2)) as string[]).length).toBe(2);
      expect(((await client.vRandMember(key, -5)) as string[]).length).toBe(5);
      expect(await client.vRandMember(`${key}:none`)).toBe(null);
      expect(await client.sendCommand(['VRANGE', key, '-', '+'])).toEqual(['a', 'b', 'c']);
      expect(await client.sendCommand(['VRANGE', key, '(a', '+', '1'])).toEqual(['b']);
      expect(await client.sendCommand(['VISMEMBER', key, 'a'])).toBe(resp === 3 ? true : 1);
      expect(await client.sendCommand(['VISMEMBER', key, 'z'])).toBe(resp === 3 ? false : 0);
    } finally {
      client.destroy();
    }
  });

  it('VSIM WITHSCORES WITHATTRIBS in RESP3 is a map of [score, attribute]', async () => {
    const client = createClient({ socket: { port: server().port, host: '127.0.0.1' }, RESP: resp });
    client.on('error', () => {});
    await client.connect();
    try {
      const reply = await client.sendCommand(['VSIM', key, 'ELE', 'a', 'COUNT', '2', 'WITHSCORES', 'WITHATTRIBS']);
      if (resp === 3) {
        const m = reply as unknown as Record<string, [number, string | null]>;
        expect(Object.keys(m)).toEqual(['a', 'c']);
        expect(m['a']![0]).toBeCloseTo(1, 6);
        expect(JSON.parse(m['a']![1]!)).toEqual({ year: 1950, genre: 'drama' });
      } else {
        const flat = reply as unknown as string[];
        expect(flat).toHaveLength(6);
        expect([flat[0], flat[3]]).toEqual(['a', 'c']);
        expect(JSON.parse(flat[2]!)).toEqual({ year: 1950, genre: 'drama' });
      }
    } finally {
      client.destroy();
    }
  });
});

describe('ioredis (RESP2 shapes through call)', () => {
  it('VADD, VSIM WITHSCORES / WITHATTRIBS, VEMB, VINFO, VLINKS, errors', async () => {
    const r = new Redis({ port: server().port, lazyConnect: true });
    await r.connect();
    try {
      expect(await r.call('VADD', 'io', 'VALUES', '2', '1', '1', 'pt:A')).toBe(1);
      expect(await r.call('VADD', 'io', 'VALUES', '2', '-1', '-1', 'pt:B')).toBe(1);
      expect(await r.call('VADD', 'io', 'VALUES', '2', '-1', '1', 'pt:C')).toBe(1);
      expect(await r.call('VADD', 'io', 'VALUES', '2', '1', '-1', 'pt:D')).toBe(1);
      expect(await r.call('VADD', 'io', 'VALUES', '2', '1', '0', 'pt:E', 'SETATTR', '{"x":1}')).toBe(1);
      expect(await r.call('VADD', 'io', 'VALUES', '2', '1', '0', 'pt:E')).toBe(0);
      const ws = (await r.call('VSIM', 'io', 'ELE', 'pt:A', 'WITHSCORES', 'COUNT', '2')) as string[];
      expect(ws).toEqual(['pt:A', '1', 'pt:E', '0.8535534143447876']);
      expect(await r.call('VSIM', 'io', 'ELE', 'pt:A', 'WITHATTRIBS', 'COUNT', '2')).toEqual(['pt:A', null, 'pt:E', '{"x":1}']);
      expect(await r.call('VSIM', 'io', 'VALUES', '2', '0.9', '0.1')).toEqual(['pt:E', 'pt:A', 'pt:D', 'pt:C', 'pt:B']);
      expect(await r.call('VEMB', 'io', 'pt:A')).toEqual(['0.9999999403953552', '0.9999999403953552']);
      const raw = (await r.callBuffer('VEMB', 'io', 'pt:A', 'RAW')) as Buffer[];
      expect(raw[0]!.toString()).toBe('int8');
      expect([...raw[1]!]).toEqual([127, 127]);
      expect(raw.slice(2).map(String)).toEqual(['1.4142135381698608', '0.7071067690849304']);
      const info = (await r.call('VINFO', 'io')) as unknown[];
      expect(info).toHaveLength(18);
      expect(info.slice(0, 6)).toEqual(['quant-type', 'int8', 'hnsw-m', 16, 'vector-dim', 2]);
      expect(await r.call('VINFO', 'io:none')).toBe(null);
      const links = (await r.call('VLINKS', 'io', 'pt:A', 'WITHSCORES')) as string[][];
      expect(links.at(-1)!.length % 2).toBe(0);
      expect(await r.call('VCARD', 'io')).toBe(5);
      expect(await r.call('VISMEMBER', 'io', 'pt:A')).toBe(1);
      expect(await r.call('VRANGE', 'io', '[pt:B', '[pt:D')).toEqual(['pt:B', 'pt:C', 'pt:D']);
      await expect(r.call('VSIM', 'io', 'ELE', 'nope')).rejects.toThrow('ERR element not found in set');
      await expect(r.call('VDIM', 'io:none')).rejects.toThrow('ERR key does not exist');
      // A pipeline of mixed V* commands comes back in order.
      const p = r.pipeline();
      p.call('VADD', 'io:p', 'VALUES', '1', '1', 'a');
      p.call('VSIM', 'io:p', 'ELE', 'a');
      p.call('VREM', 'io:p', 'a');
      p.call('EXISTS', 'io:p');
      expect(await p.exec()).toEqual([[null, 1], [null, ['a']], [null, 1], [null, 0]]);
    } finally {
      r.disconnect();
    }
  });
});

describe.skipIf(skipWithout('redis-cli'))('redis-cli', () => {
  beforeAll(() => requireTool('redis-cli'));
  const cli = (...args: string[]): string => execFileSync('redis-cli', ['-p', String(server().port), ...args], { encoding: 'utf8', timeout: 20_000 });

  it('prints V* replies in RESP2 and RESP3', () => {
    expect(cli('VADD', 'cli', 'VALUES', '2', '1', '1', 'pt:A')).toBe('1\n');
    expect(cli('VADD', 'cli', 'VALUES', '2', '1', '0', 'pt:E', 'SETATTR', '{"a":1}')).toBe('1\n');
    expect(cli('VSIM', 'cli', 'ELE', 'pt:A', 'WITHSCORES')).toBe('pt:A\n1\npt:E\n0.8535534143447876\n');
    // A RESP3 map prints one "key value" line per entry.
    expect(cli('-3', 'VSIM', 'cli', 'ELE', 'pt:A', 'WITHSCORES')).toBe('pt:A 1\npt:E 0.8535534143447876\n');
    expect(cli('VEMB', 'cli', 'pt:A')).toBe('0.9999999403953552\n0.9999999403953552\n');
    expect(cli('VGETATTR', 'cli', 'pt:E')).toBe('{"a":1}\n');
    expect(cli('-3', 'VISMEMBER', 'cli', 'pt:A')).toBe('(true)\n');
    expect(cli('VINFO', 'cli').split('\n').slice(0, 4)).toEqual(['quant-type', 'int8', 'hnsw-m', '16']);
    expect(cli('VDIM', 'cli:none')).toBe('ERR key does not exist\n\n');
    expect(cli('VRANGE', 'cli', '-', '+', '1')).toBe('pt:A\n');
  });

  it('COMMAND DOCS for the V* family does not upset redis-cli', () => {
    const out = cli('COMMAND', 'DOCS', 'VADD', 'VSIM', 'VRANGE');
    expect(out).toContain('vectorset');
    // What redis-cli does with the docs at start-up (hints): it must not abort.
    const r = spawnSync('redis-cli', ['-p', String(server().port)], { input: 'VCARD cli\n', encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('2\n');
  });
});

describe.skipIf(skipWithout('python3 redis'))('redis-py 4.3.4 (execute_command)', () => {
  const python = PYTHON;
  beforeAll(() => requireTool('python3 redis'));

  it('VADD, VSIM WITHSCORES, VEMB (int()/float() on each component), VINFO, errors', () => {
    const script = `
import json, redis
r = redis.Redis(host='127.0.0.1', port=${server().port})
out = {}
out['add'] = [r.execute_command('VADD', 'py', 'VALUES', 2, 1.0, 0.0, 'x'),
              r.execute_command('VADD', 'py', 'VALUES', 2, 1e-05, 0.5, 'y', 'SETATTR', json.dumps({'n': 1})),
              r.execute_command('VADD', 'py', 'VALUES', 2, 1.0, 0.0, 'x')]
ws = r.execute_command('VSIM', 'py', 'VALUES', 2, 1, 0, 'WITHSCORES')
out['sim'] = [ws[0].decode(), float(ws[1]), ws[2].decode()]
def num(b):
    try:
        return int(b)
    except ValueError:
        return float(b)
out['emb'] = [num(b) for b in r.execute_command('VEMB', 'py', 'x')]
info = r.execute_command('VINFO', 'py')
out['info'] = {info[i].decode(): (info[i+1].decode() if isinstance(info[i+1], bytes) else info[i+1]) for i in range(0, len(info), 2)}
out['attr'] = json.loads(r.execute_command('VGETATTR', 'py', 'y'))
out['filter'] = [b.decode() for b in r.execute_command('VSIM', 'py', 'ELE', 'x', 'FILTER', '.n == 1')]
try:
    r.execute_command('VSIM', 'py', 'ELE', 'x', 'COUNT', 0)
except redis.ResponseError as e:
    out['error'] = str(e)
print(json.dumps(out))
`;
    const r = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out['add']).toEqual([1, 1, 0]);
    expect(out['sim']).toEqual(['x', 1, 'y']);
    expect(out['emb']).toEqual([1, 0]);
    expect(out['attr']).toEqual({ n: 1 });
    expect(out['filter']).toEqual(['y']);
    expect(out['error']).toBe('invalid COUNT');
    const info = out['info'] as Record<string, unknown>;
    expect(info['quant-type']).toBe('int8');
    expect(info['size']).toBe(2);
    expect(info['hnsw-max-node-uid']).toBe(3);
  });
});
