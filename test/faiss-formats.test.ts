/**
 * The readers behind `vsetd import-faiss`, without a server: faiss index files and LangChain's
 * pickle read back exactly what Python wrote; seeded mutations of real files (flipped bytes,
 * cuts, inserted bytes) and hand-made hostile inputs end in the readers' own errors — never a
 * crash of another kind, a hang or an allocation the file does not pay for; Python's float
 * repr() and LangChain's field classification are reproduced.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FaissFormatError, readFaissIndex } from '../src/tools/faiss-index.js';
import { PickleError, PyDict, PyFloat, PyTuple, unpickle } from '../src/tools/pickle.js';
import { StoreError, loadStore } from '../src/tools/langchain-faiss.js';
import { classify, hashValue, pythonFloatRepr, toJson } from '../src/tools/metadata.js';
import { PYTHON, requireTool, skipWithout } from './helpers/tools.js';
import { rng } from './helpers/rng.js';
import { makeDocs, makeStore, type MadeStore, type StoreKind } from './helpers/faiss.js';

const KNOWN_ERRORS = [FaissFormatError, PickleError, StoreError];

function expectOwnError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!KNOWN_ERRORS.some((k) => e instanceof k)) throw new Error(`a reader threw ${(e as Error).constructor.name}: ${(e as Error).message}`);
  }
}

function mutate(b: Buffer, r: () => number): Buffer {
  const out = Buffer.from(b);
  switch (Math.floor(r() * 4)) {
    case 0: // flip some bytes
      for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) out[Math.floor(r() * out.length)] ^= 1 + Math.floor(r() * 255);
      return out;
    case 1: // cut
      return out.subarray(0, Math.floor(r() * out.length));
    case 2: {
      // a length-sized field set to something large
      const at = Math.floor(r() * Math.max(1, out.length - 8));
      out.writeUInt32LE(Math.floor(r() * 2 ** 32), at);
      return out;
    }
    default: {
      // bytes inserted
      const at = Math.floor(r() * out.length);
      return Buffer.concat([out.subarray(0, at), Buffer.from([Math.floor(r() * 256), Math.floor(r() * 256)]), out.subarray(at)]);
    }
  }
}

describe.skipIf(skipWithout('python3 faiss'))('faiss index files and LangChain pickles made by Python', () => {
  const stores = new Map<StoreKind, MadeStore>();
  let root: string;
  beforeAll(() => {
    requireTool('python3 faiss');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-faiss-formats-'));
    for (const kind of ['flat-l2', 'flat-ip', 'hnsw', 'idmap-flat', 'idmap2-hnsw'] as const) {
      stores.set(kind, makeStore(path.join(root, kind), { kind, docs: makeDocs(25), dim: 12, normalize: false }));
    }
  });

  it('read back exactly: vectors, ids, metric, documents', () => {
    const expected: Record<string, { kind: string; metric: string; labels: bigint[] | null }> = {
      'flat-l2': { kind: 'IndexFlatL2', metric: 'l2', labels: null },
      'flat-ip': { kind: 'IndexFlatIP', metric: 'ip', labels: null },
      hnsw: { kind: 'IndexHNSWFlat', metric: 'l2', labels: null },
      'idmap-flat': { kind: 'IndexIDMap(IndexFlatIP)', metric: 'ip', labels: Array.from({ length: 25 }, (_, i) => BigInt(1000 + 7 * i)) },
      'idmap2-hnsw': { kind: 'IndexIDMap2(IndexHNSWFlat)', metric: 'l2', labels: Array.from({ length: 25 }, (_, i) => (1n << 40n) + BigInt(3 * i)) },
    };
    for (const [kind, s] of stores) {
      const store = loadStore(s.dir);
      expect({ kind: store.index.kind, metric: store.index.metric, labels: store.index.labels }).toEqual(expected[kind]);
      expect(store.index.hnswM).toBe(kind.includes('hnsw') ? 16 : null);
      expect(store.docs.map((d) => d.id)).toEqual(s.docs.map((d) => d.id));
      store.docs.forEach((d, i) => expect(Array.from(d.vector)).toEqual(Array.from(s.vectors[i]!)));
      expect(store.docs[3]!.pageContent).toBe(s.docs[3]!.text);
      expect(toJson(store.docs[3]!.metadata, 'm')).toBe(JSON.stringify(s.docs[3]!.metadata));
      expect(store.notUnitLength).toBe(25);
    }
  });

  it('seeded mutations of real files end in the readers\' own errors', () => {
    const r = rng(19);
    for (const [, s] of stores) {
      const faiss = fs.readFileSync(path.join(s.dir, 'index.faiss'));
      const pkl = fs.readFileSync(path.join(s.dir, 'index.pkl'));
      for (let i = 0; i < 400; i++) {
        expectOwnError(() => readFaissIndex(mutate(faiss, r)));
        expectOwnError(() => {
          const v = unpickle(mutate(pkl, r));
          // What did parse must still convert or be refused cleanly.
          if (v instanceof PyTuple) for (const item of v.items) if (item instanceof PyDict) toJson(item, 'x');
        });
      }
    }
  });
});

describe('hand-made hostile inputs', () => {
  const flatHeader = (fourcc: string, d: number, ntotal: bigint, metric = 1): Buffer => {
    const b = Buffer.alloc(4 + 4 + 8 + 16 + 1 + 4);
    b.write(fourcc, 0, 'latin1');
    b.writeInt32LE(d, 4);
    b.writeBigInt64LE(ntotal, 8);
    b[32] = 1;
    b.writeInt32LE(metric, 33);
    return b;
  };

  it('faiss: counts beyond the file, bad dimensions, other metrics, nesting, trailing bytes', () => {
    const huge = Buffer.concat([flatHeader('IxF2', 4, 1n << 50n), Buffer.from(new BigUint64Array([1n << 52n]).buffer)]);
    expect(() => readFaissIndex(huge)).toThrow(/claims 4503599627370496 items of 4 bytes but only 0 bytes remain/);
    expect(() => readFaissIndex(flatHeader('IxF2', 0, 0n))).toThrow(/dimension 0 is outside/);
    expect(() => readFaissIndex(flatHeader('IxF2', 4, -1n))).toThrow(/ntotal -1 is invalid/);
    expect(() => readFaissIndex(flatHeader('IxFl', 4, 0n, 2))).toThrow(/faiss metric 2/);
    const one = Buffer.concat([flatHeader('IxFI', 2, 1n, 0), Buffer.from(new BigUint64Array([2n]).buffer), Buffer.from(new Float32Array([1, 2]).buffer)]);
    expect(readFaissIndex(one)).toMatchObject({ kind: 'IndexFlatIP', dim: 2, count: 1, metric: 'ip' });
    expect(() => readFaissIndex(Buffer.concat([one, Buffer.from([0])]))).toThrow(/1 unexpected bytes after the index/);
    const nan = Buffer.from(one);
    nan.writeFloatLE(NaN, one.length - 4);
    expect(() => readFaissIndex(nan)).toThrow(/non-finite/);
    let nested: Buffer = one;
    for (let i = 0; i < 6; i++) nested = Buffer.concat([flatHeader('IxMp', 2, 1n, 0), nested]);
    expect(() => readFaissIndex(nested)).toThrow(/nested more than 4 deep|wraps another id map/);
    expect(() => readFaissIndex(Buffer.from('IBxF'))).toThrow(/IndexBinaryFlat/);
    expect(() => readFaissIndex(Buffer.alloc(2))).toThrow(/truncated/);
  });

  it('pickle: only allowed globals, no calls, bounded lengths, cycles refused on conversion', () => {
    const p = (...parts: Array<number[] | string>): Buffer => Buffer.concat(parts.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from(x))));
    expect(() => unpickle(p('cos\nsystem\n(S"x"\ntR.'))).toThrow(/refusing to unpickle os\.system/);
    expect(() => unpickle(p('cbuiltins\neval\n.'))).toThrow(/refusing to unpickle builtins\.eval/);
    // An allowed class may be created but not called with arguments through REDUCE.
    expect(() => unpickle(p('clangchain_core.documents.base\nDocument\n(tR.'))).toThrow(/refusing to call langchain_core\.documents\.base\.Document\(\)/);
    expect(() => unpickle(p([0x80, 5, 0x8d], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toThrow(/longer than the file/);
    expect(() => unpickle(p([0x80, 5, 0x8b, 0xff, 0xff, 0xff, 0x7f]))).toThrow(/truncated or corrupt/);
    expect(() => unpickle(p([0x80, 6, 0x4e, 0x2e]))).toThrow(/protocol above 5/);
    expect(() => unpickle(p([0x80, 4, 0x4e, 0x2e, 0x00]))).toThrow(/1 bytes after the end/);
    expect(() => unpickle(p([0x80, 4, 0x4e]))).toThrow(/without a STOP/);
    expect(() => unpickle(p([0x80, 4, 0x4e, 0x4e, 0x2e]))).toThrow(/left on the stack/);
    expect(() => unpickle(p([0x80, 4, 0xff]))).toThrow(/unsupported pickle opcode 0xff/);
    expect(() => unpickle(p([0x80, 4, 0x68, 0x07, 0x2e]))).toThrow(/memo 7 was never stored/);
    // A list that holds itself: read, then refused when turned into JSON.
    const cyclic = unpickle(p([0x80, 4, 0x5d, 0x94, 0x68, 0x00, 0x61, 0x2e]));
    expect(() => toJson(cyclic, 'm')).toThrow(/nested more than 64 deep/);
    // Sets through REDUCE (protocol 2) and through EMPTY_SET/ADDITEMS (4).
    expect(toJson(unpickle(p('c__builtin__\nset\n(]K\x01aK\x02atR.')), 'm')).toBe('[1,2]');
    expect(toJson(unpickle(p([0x80, 4, 0x8f, 0x28, 0x4b, 3, 0x90, 0x2e])), 'm')).toBe('[3]');
  });

  it('python values: repr of floats as Python writes them, LangChain\'s field kinds and hash values', () => {
    const floats = [0.1, 1, 3, -0, 1e16, 1.5e-7, 123456789.123, 1e-5, 0.0001, 2.5e300, -1e22, 5e-324, 1 / 3, 100, 1e15];
    // Python itself, where it is installed (JSON carries -0 as 0, hence the one adjustment).
    const py = spawnSync(PYTHON, ['-c', 'import json,sys; print("\\n".join(repr(float(x)) for x in json.load(sys.stdin)))'], { input: JSON.stringify(floats), encoding: 'utf8' });
    const mine = floats.map(pythonFloatRepr);
    if (py.status === 0) expect(mine).toEqual(py.stdout.trim().split('\n').map((w, i) => (Object.is(floats[i], -0) ? '-0.0' : w)));
    expect(mine.slice(0, 6)).toEqual(['0.1', '1.0', '3.0', '-0.0', '1e+16', '1.5e-07']);
    expect(pythonFloatRepr(NaN)).toBe('nan');
    expect(classify(5, 'x')).toBe('numeric');
    expect(classify(new PyFloat(2.5), 'x')).toBe('numeric');
    expect(classify('42', 'x')).toBe('numeric');
    expect(classify(' -1_000 ', 'x')).toBe('numeric');
    expect(classify('4.2', 'x')).toBe('text');
    expect(classify(['a'], 'x')).toBe('tag');
    expect(classify([], 'x')).toBe('tag');
    expect(classify(null, 'x')).toBe('none');
    expect(() => classify([1], 'x')).toThrow(/lists of strings/);
    expect(() => classify(new PyDict(), 'x')).toThrow(/cannot index it/);
    expect(hashValue(new PyFloat(3), 'x')).toBe('3.0');
    expect(hashValue(3, 'x')).toBe('3');
    expect(hashValue(2n ** 70n, 'x')).toBe('1180591620717411303424');
    expect(hashValue(['a', 'b'], 'x')).toBe('a,b');
    expect(hashValue(null, 'x')).toBe('');
    expect(() => hashValue(true, 'x')).toThrow(/bool/);
    expect(() => toJson(new PyFloat(Infinity), 'm')).toThrow(/inf, which JSON cannot hold/);
  });
});
