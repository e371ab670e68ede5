// A set attached from its structured-cloned handle — in this thread or in a real worker thread —
// sees exactly what the owner sees, and keeps working while the owner changes the graph.
//
// Worker threads run the compiled engine from dist/ (test/global-setup.ts builds it), since a
// worker cannot load the TypeScript sources directly.
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { SearchResults, VectorSet, type PreparedQuery } from '../src/vset/index.js';
import { Prng } from '../src/hnsw/prng.js';
import { waitFor } from './helpers/wait.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (b: Uint8Array): string => Buffer.from(b).toString();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distEngine = pathToFileURL(path.join(root, 'dist/src/vset/index.js')).href;

function build(n: number, dim: number, seed: number): { set: VectorSet; rng: Prng } {
  const rng = new Prng(seed);
  const set = VectorSet.create({ dim, seed });
  for (let i = 0; i < n; i++) set.add(enc(`e${i}`), Float32Array.from({ length: dim }, () => rng.gauss()), { attr: enc(`{"i":${i}}`) });
  return { set, rng };
}

function names(set: VectorSet, r: SearchResults): string[] {
  return Array.from(r.ids.subarray(0, r.count), (id) => dec(set.nameOf(id)));
}

/** Run `body` (a function source taking (engine, data) and returning a value) in a worker. */
function inWorker<T>(body: string, data: unknown): Promise<T> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(distEngine)}).then(async (engine) => {
      try {
        const result = await (${body})(engine, workerData);
        parentPort.postMessage({ ok: true, result });
      } catch (e) {
        parentPort.postMessage({ ok: false, error: String(e && e.stack || e) });
      }
    });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: data });
    w.once('message', (m: { ok: boolean; result: T; error: string }) => {
      void w.terminate();
      if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
    });
    w.once('error', reject);
  });
}

describe('attach from a handle', () => {
  test('a set attached from a cloned handle in the same thread sees the same results', () => {
    const { set, rng } = build(1500, 24, 1);
    const other = VectorSet.attach(structuredClone(set.handle()));
    expect(other.card).toBe(1500);
    expect(other.dim).toBe(24);
    expect(other.M).toBe(16);
    for (let t = 0; t < 20; t++) {
      const q = set.prepare(Float32Array.from({ length: 24 }, () => rng.gauss()));
      expect(names(other, other.search(q, { count: 10 }))).toEqual(names(set, set.search(q, { count: 10 })));
    }
    expect(() => other.add(enc('x'), new Float32Array(24))).toThrow(/read-only/);
    // The attached view follows later growth.
    for (let i = 0; i < 3000; i++) set.add(enc(`late${i}`), Float32Array.from({ length: 24 }, () => rng.gauss()));
    expect(other.lookup(enc('late2999'))).toBe(set.lookup(enc('late2999')));
    expect(dec(other.getAttr(other.lookup(enc('e7'))) as Uint8Array)).toBe('{"i":7}');
  });

  test('a worker thread attaches once and returns the same results, names and vectors', async () => {
    const { set, rng } = build(2000, 32, 2);
    const queries: PreparedQuery[] = [];
    for (let t = 0; t < 25; t++) queries.push(set.prepare(Float32Array.from({ length: 32 }, () => rng.gauss())));
    const expected = queries.map((q) => names(set, set.search(q, { count: 10 })));
    const got = await inWorker<{ results: string[][]; ele: string[]; vemb: number[]; attr: string; kernel: string }>(
      `(engine, { handle, queries }) => {
        const set = engine.VectorSet.attach(handle);
        const dec = (b) => Buffer.from(b).toString();
        const results = queries.map((q) => {
          const r = set.search(q, { count: 10 });
          return Array.from(r.ids.subarray(0, r.count), (id) => dec(set.nameOf(id)));
        });
        const node = set.lookup(Buffer.from('e5'));
        const ele = (() => { const r = set.search(set.queryFromNode(node), { count: 3 }); return Array.from(r.ids.subarray(0, r.count), (id) => dec(set.nameOf(id))); })();
        return { results, ele, vemb: Array.from(set.reconstruct(node)), attr: dec(set.getAttr(node)), kernel: set.kernel };
      }`,
      { handle: set.handle(), queries },
    );
    expect(got.results).toEqual(expected);
    const node = set.lookup(enc('e5'));
    expect(got.ele).toEqual(names(set, set.search(set.queryFromNode(node), { count: 3 })));
    expect(got.vemb).toEqual(Array.from(set.reconstruct(node)));
    expect(got.attr).toBe('{"i":5}');
    expect(got.kernel).toBe('wasm');
  });

  test('workers keep searching while the owner inserts, updates and deletes', async () => {
    const dim = 16;
    const { set, rng } = build(1000, dim, 3);
    // [0]: stop flag; [1]: searches the worker has finished so far.
    const stop = new SharedArrayBuffer(8);
    const stopFlag = new Int32Array(stop);
    const queries = Array.from({ length: 20 }, () => set.prepare(Float32Array.from({ length: dim }, () => rng.gauss())));
    const worker = inWorker<{ searches: number; results: number; bad: string[] }>(
      `(engine, { handle, queries, stop }) => {
        const set = engine.VectorSet.attach(handle);
        const flag = new Int32Array(stop);
        const out = new engine.SearchResults();
        let searches = 0, results = 0;
        const bad = [];
        while (Atomics.load(flag, 0) === 0) {
          const q = queries[searches % queries.length];
          // Search and read the names in one read section, as a worker building a reply does.
          set.read(() => {
            set.search(q, { count: 10, ef: 50 }, out);
            for (let i = 0; i < out.count; i++) {
              const name = Buffer.from(set.nameView(out.ids[i])).toString();
              if (!/^(e|u)[0-9]+$/.test(name)) bad.push(name);
              results++;
            }
          });
          searches++;
          // Tell the owner one more search finished (it waits for one between rounds of writes).
          Atomics.store(flag, 1, searches);
        }
        return { searches, results, bad };
      }`,
      { handle: set.handle(), queries, stop },
    );
    // Meanwhile: rounds of writes on this thread, and between two rounds at least one search
    // finished in the worker, so every round of writes overlaps searching (counts, not a time).
    const ROUNDS = 75;
    let next = 0;
    // The worker is searching before the first round.
    await waitFor('the worker to start searching', () => Atomics.load(stopFlag, 1) > 0, 30_000, 1);
    for (let round = 0; round < ROUNDS; round++) {
      const seen = Atomics.load(stopFlag, 1);
      for (let k = 0; k < 20; k++) {
        const roll = rng.float();
        const i = rng.int(1000);
        if (roll < 0.4) set.add(enc(`u${next++}`), Float32Array.from({ length: dim }, () => rng.gauss()));
        else if (roll < 0.7) set.add(enc(`e${i}`), Float32Array.from({ length: dim }, () => rng.gauss()));
        else set.remove(enc(`e${i}`));
      }
      await waitFor(`a search to finish after round ${round}`, () => Atomics.load(stopFlag, 1) > seen, 30_000, 1);
    }
    Atomics.store(stopFlag, 0, 1);
    const got = await worker;
    expect(got.bad).toEqual([]);
    expect(got.searches).toBeGreaterThan(ROUNDS);
    expect(got.results).toBeGreaterThan(0);
    expect(set.validate()).toEqual([]);
    // With the worker gone nothing holds the old epoch: limbo drains completely.
    set.reclaim();
    expect(set.pendingReclaim).toBe(0);
    expect(set.activeSearches()).toBe(0);
  });
});
