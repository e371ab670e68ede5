/**
 * `vsetd export` / `vsetd import` and the VADDRAW command under them, against started servers:
 * sets of every quantisation, a REDUCE set and one with binary names and empty attributes move
 * between keys and between servers with DEBUG DIGEST-VALUE unchanged (stored bytes, l2, range,
 * names, attributes); float32 exports re-quantise on import; damaged files import nothing; an
 * existing key is kept unless --replace; an import killed half-way leaves nothing and a re-run
 * completes. VADDRAW refuses every stored form the engine could not hold, and what it adds
 * survives a snapshot reload (whose checks are strict about stored bytes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { serverForFile } from './helpers/server.js';
import { waitFor } from './helpers/wait.js';
import { rng } from './helpers/rng.js';
import { runCli } from './helpers/faiss.js';

const serverA = serverForFile({ args: ['--enable-debug-command', 'yes'] });
const serverB = serverForFile({ args: ['--enable-debug-command', 'yes'] });
let a: Redis;
let b: Redis;
let urlA: string;
let urlB: string;
let dir: string;

beforeAll(() => {
  a = new Redis(serverA().port, '127.0.0.1');
  b = new Redis(serverB().port, '127.0.0.1');
  urlA = `redis://127.0.0.1:${serverA().port}`;
  urlB = `redis://127.0.0.1:${serverB().port}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-export-'));
});
afterAll(async () => {
  await a?.quit();
  await b?.quit();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface SetSpec {
  key: string;
  n: number;
  dim: number;
  /** VADD options after the element (quantisation, M). */
  opts: string[];
  reduce?: number;
  binaryNames?: boolean;
}

const SETS: SetSpec[] = [
  { key: 'noquant', n: 300, dim: 24, opts: ['NOQUANT'] },
  { key: 'q8', n: 2500, dim: 8, opts: ['Q8', 'M', '8'] },
  { key: 'bin', n: 300, dim: 70, opts: ['BIN'] },
  { key: 'reduce', n: 300, dim: 32, opts: ['Q8'], reduce: 8 },
  { key: 'names', n: 200, dim: 6, opts: ['NOQUANT'], binaryNames: true },
];

async function fill(r: Redis, s: SetSpec): Promise<void> {
  const g = rng(s.n * 31 + s.dim);
  const p = r.pipeline();
  for (let i = 0; i < s.n; i++) {
    const v = new Float32Array(s.dim).map(() => (g() * 2 - 1) * (1 + i % 5));
    const name = s.binaryNames ? Buffer.from([i & 0xff, 0xff, 0x00, (i >> 8) & 0xff, 0x80]) : Buffer.from(`e${i}`);
    const args: Array<string | Buffer> = [s.key, ...(s.reduce !== undefined ? ['REDUCE', String(s.reduce)] : []), 'FP32', Buffer.from(v.buffer), name, ...s.opts];
    // Attributes of every kind: none, JSON, and (on a new element) an empty one.
    if (i % 3 === 1) args.push('SETATTR', JSON.stringify({ i, tag: `t${i % 4}` }));
    else if (i % 3 === 2) args.push('SETATTR', '');
    p.call('VADD', ...args);
  }
  const res = await p.exec();
  for (const [err] of res ?? []) expect(err).toBeNull();
}

async function digest(r: Redis, key: string): Promise<string> {
  return ((await r.call('DEBUG', 'DIGEST-VALUE', key)) as string[])[0]!;
}

function vinfo(raw: unknown): Record<string, unknown> {
  const list = raw as unknown[];
  const out: Record<string, unknown> = {};
  for (let i = 0; i < list.length; i += 2) out[list[i] as string] = list[i + 1];
  delete out['vset-uid'];
  delete out['max-level'];
  delete out['hnsw-max-node-uid'];
  return out;
}

/** The export of `key` on server A (made once; tests that only read a file share it). */
async function exported(key: string): Promise<string> {
  const file = path.join(dir, `${key}.vsx`);
  if (!fs.existsSync(file)) expect((await runCli(['export', key, '--url', urlA, '--out', file])).code).toBe(0);
  return file;
}

describe('export → import', () => {
  beforeAll(async () => {
    for (const s of SETS) await fill(a, s);
  });

  it.each(SETS.map((s) => [s.key, s] as const))('%s: the same digest in another key and on another server', async (key) => {
    const file = path.join(dir, `${key}.vsx`);
    const ex = await runCli(['export', key, '--url', urlA, '--out', file]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stderr).toContain(`exported ${SETS.find((s) => s.key === key)!.n} elements of '${key}'`);
    const want = await digest(a, key);
    const same = await runCli(['import', file, '--url', urlA, '--key', `${key}:copy`]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toContain('digest verified');
    expect(await digest(a, `${key}:copy`)).toBe(want);
    const other = await runCli(['import', file, '--url', urlB]);
    expect(other.code, other.stderr).toBe(0);
    expect(await digest(b, key)).toBe(want);
    expect(vinfo(await b.call('VINFO', key))).toEqual(vinfo(await a.call('VINFO', key)));
    expect(await b.call('DEBUG', 'VSET-VALIDATE', key)).toBe('OK');
  });

  it('to stdout, as `vsetd export key > file`', async () => {
    const ex = await runCli(['export', 'bin', '--url', urlA]);
    expect(ex.code, ex.stderr).toBe(0);
    const file = path.join(dir, 'stdout.vsx');
    fs.writeFileSync(file, ex.stdout);
    expect((await runCli(['import', file, '--url', urlA, '--key', 'bin:stdout'])).code).toBe(0);
    expect(await digest(a, 'bin:stdout')).toBe(await digest(a, 'bin'));
  });

  it('float32 exports carry VEMB\'s vectors and take a quantisation on import', async () => {
    const file = path.join(dir, 'f32.vsx');
    expect((await runCli(['export', 'q8', '--url', urlA, '--vectors', 'f32', '--out', file])).code).toBe(0);
    expect((await runCli(['import', file, '--url', urlA, '--key', 'q8:f32', '--quant', 'noquant'])).code).toBe(0);
    const info = vinfo(await a.call('VINFO', 'q8:f32'));
    expect(info['quant-type']).toBe('f32');
    expect(info.size).toBe(2500);
    for (const e of ['e0', 'e1', 'e77']) {
      const want = (await a.call('VEMB', 'q8', e)) as string[];
      const got = (await a.call('VEMB', 'q8:f32', e)) as string[];
      got.forEach((x, i) => expect(Number(x)).toBeCloseTo(Number(want[i]), 5));
      expect(await a.call('VGETATTR', 'q8:f32', e)).toEqual(await a.call('VGETATTR', 'q8', e));
    }
    const raw = await runCli(['import', await exported('q8'), '--url', urlA, '--key', 'x', '--quant', 'bin']);
    expect(raw.code).toBe(2);
  });

  it('an existing key is kept unless --replace', async () => {
    const file = await exported('noquant');
    await a.call('VADD', 'taken', 'VALUES', 2, 1, 2, 'only');
    const r = await runCli(['import', file, '--url', urlA, '--key', 'taken']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/key 'taken' exists; nothing was imported/);
    expect(await a.call('VCARD', 'taken')).toBe(1);
    expect((await runCli(['import', file, '--url', urlA, '--key', 'taken', '--replace'])).code).toBe(0);
    expect(await digest(a, 'taken')).toBe(await digest(a, 'noquant'));
  });

  it('damaged files import nothing, naming the problem', async () => {
    const good = fs.readFileSync(await exported('reduce'));
    const cases: Array<[string, Buffer, RegExp]> = [
      ['cut', good.subarray(0, good.length - 60), /cut short|not a readable export/],
      ['flipped', Buffer.from(good).fill(0x41, good.length >> 1, (good.length >> 1) + 1), /content hash does not match|not a readable export|element \d+/],
      ['foreign', Buffer.from([0x81, 0xa1, 0x61, 0x01]), /not a vsetd export/],
      ['empty', Buffer.alloc(0), /empty file/],
      ['garbage', Buffer.from('\xc1\xc1\xc1', 'latin1'), /not a (readable|vsetd) export/],
    ];
    for (const [name, bytes, message] of cases) {
      const file = path.join(dir, `${name}.vsx`);
      fs.writeFileSync(file, bytes);
      const r = await runCli(['import', file, '--url', urlA, '--key', `bad:${name}`]);
      expect(r.code, name).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/nothing was imported/);
      expect(await a.exists(`bad:${name}`, `bad:${name}:vsetd-import-tmp`)).toBe(0);
    }
  });

  it('an import killed half-way leaves nothing under the key; the re-run completes it', async () => {
    const file = await exported('q8');
    let pid = 0;
    const run = runCli(['import', file, '--url', urlB, '--key', 'killed', '--window', '1'], { onSpawn: (p) => (pid = p) });
    await waitFor('the import to be under way', async () => ((await b.exists('killed:vsetd-import-tmp')) === 1 ? true : (await b.exists('killed')) === 1));
    process.kill(pid, 'SIGKILL');
    await run;
    if ((await b.exists('killed')) === 1) expect(await b.call('VCARD', 'killed')).toBe(2500);
    const again = await runCli(['import', file, '--url', urlB, '--key', 'killed', '--replace']);
    expect(again.code, again.stderr).toBe(0);
    expect(await digest(b, 'killed')).toBe(await digest(a, 'q8'));
    expect(await b.exists('killed:vsetd-import-tmp')).toBe(0);
  });

  it('a missing key or another type is an error; bad arguments exit 2', async () => {
    expect((await runCli(['export', 'nope', '--url', urlA, '--out', path.join(dir, 'n.vsx')])).stderr).toMatch(/key 'nope' does not exist/);
    await a.set('str', 'x');
    expect((await runCli(['export', 'str', '--url', urlA, '--out', path.join(dir, 's.vsx')])).stderr).toMatch(/holds a string, not a vector set/);
    expect(fs.existsSync(path.join(dir, 's.vsx'))).toBe(false);
    expect((await runCli(['export', '--url', urlA])).code).toBe(2);
    expect((await runCli(['import', 'f', '--bogus'])).code).toBe(2);
  });
});

describe('VADDRAW', () => {
  const q8 = (vals: number[]): Buffer => Buffer.from(Int8Array.from(vals).buffer);

  it('refuses stored forms the engine could not hold, and mismatches with the set', async () => {
    const bad: Array<[Array<string | Buffer | number>, RegExp]> = [
      [['k', 'e', 'int8', 3, q8([1, 2]), 1, 0.5], /needs 3 bytes, got 2/],
      [['k', 'e', 'int8', 3, q8([1, -128, 2]), 1, 0.5], /-128, outside/],
      [['k', 'e', 'bin', 3, Buffer.from([0x08, 0, 0, 0, 0, 0, 0, 0]), 1, 0], /bit 3 is set beyond dimension 3/],
      [['k', 'e', 'f32', 2, Buffer.from(new Float32Array([1, NaN]).buffer), 1, 0], /component 1 is not a finite number/],
      [['k', 'e', 'int8', 3, q8([1, 2, 3]), -1, 0.5], /finite non-negative/],
      [['k', 'e', 'int8', 3, q8([1, 2, 3]), 'inf', 0.5], /finite non-negative/],
      [['k', 'e', 'q4', 3, q8([1, 2, 3]), 1, 0.5], /invalid quantization type/],
      [['k', 'e', 'int8', 0, q8([]), 1, 0.5], /invalid vector dimension/],
      [['k', 'e', 'int8', 3, q8([1, 2, 3]), 1, 0.5, 'PROJECTION', 2], /smaller than the dimension/],
      [['k', 'e', 'int8', 3, q8([1, 2, 3]), 1, 0.5, 'M', 2], /invalid M/],
      [['k', 'e', 'int8', 3, q8([1, 2, 3]), 1, 0.5, 'BOGUS', 1], /syntax error/],
    ];
    for (const [args, message] of bad) await expect(a.call('VADDRAW', ...args)).rejects.toThrow(message);
    expect(await a.exists('k')).toBe(0);
    expect(await a.call('VADDRAW', 'k', 'e', 'int8', 3, q8([1, 2, 3]), 1.5, 0.25, 'SETATTR', '{"a":1}')).toBe(1);
    await expect(a.call('VADDRAW', 'k', 'f', 'f32', 3, Buffer.alloc(12), 1, 0)).rejects.toThrow(/quantization mismatch/);
    await expect(a.call('VADDRAW', 'k', 'f', 'int8', 4, q8([1, 2, 3, 4]), 1, 0)).rejects.toThrow(/dimension mismatch/);
    await expect(a.call('VADDRAW', 'k', 'f', 'int8', 3, q8([1, 2, 3]), 1, 0, 'M', 32)).rejects.toThrow(/M value mismatch/);
    await a.set('s', 'x');
    await expect(a.call('VADDRAW', 's', 'f', 'int8', 3, q8([1, 2, 3]), 1, 0)).rejects.toThrow(/WRONGTYPE/);
    expect(await a.call('VEMB', 'k', 'e', 'RAW')).toEqual(['int8', '\x01\x02\x03', '1.5', '0.25']);
    // An update keeps VADD's rules: not new, attribute kept when none is given.
    expect(await a.call('VADDRAW', 'k', 'e', 'int8', 3, q8([3, 2, 1]), 2, 0.5)).toBe(0);
    expect(await a.call('VGETATTR', 'k', 'e')).toBe('{"a":1}');
  });

  it('what it adds survives a snapshot reload, whose checks are strict about stored bytes', async () => {
    await a.call('VADDRAW', 'rl', 'a', 'bin', 70, Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0x3f, 0, 0, 0, 0, 0, 0, 0]), 2.5, 0);
    await a.call('VADDRAW', 'rl', 'b', 'bin', 70, Buffer.from([0x0f, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0]), 1, 0);
    await a.call('VADDRAW', 'rp', 'a', 'int8', 4, q8([127, 0, -127, 5]), 1, 0.5, 'PROJECTION', 16);
    const before = [await digest(a, 'rl'), await digest(a, 'rp')];
    expect(await a.call('DEBUG', 'RELOAD')).toBe('OK');
    expect([await digest(a, 'rl'), await digest(a, 'rp')]).toEqual(before);
    const info = vinfo(await a.call('VINFO', 'rp'));
    expect(info['projection-input-dim']).toBe(16);
    // A REDUCE set made by VADDRAW projects queries like one made by VADD REDUCE.
    expect(await a.call('VSIM', 'rp', 'VALUES', 16, ...Array.from({ length: 16 }, (_, i) => String(i % 3)), 'COUNT', 1)).toEqual(['a']);
  });
});
