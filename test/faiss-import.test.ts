/**
 * `vsetd import-faiss` against a started server, with LangChain FAISS stores made at test time by
 * Debian's python3-faiss (test/helpers/faiss_store.py): every supported index type lands with the
 * same top results as FAISS's own exact search, as vector sets (VSIM) and as LangChain's Redis
 * layout (FT.SEARCH, compared with the index and hashes redis-py writes for LangChain's schema);
 * metadata filters work on what was imported; damaged, unsupported or hostile files import
 * nothing; an import killed half-way and run again leaves no duplicates; --tenants does a
 * directory of stores and a re-run finishes only what failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { serverForFile } from './helpers/server.js';
import { PYTHON, requireTool, skipWithout } from './helpers/tools.js';
import { waitFor } from './helpers/wait.js';
import { exactCosine, f32, makeDocs, makeStore, runCli, type Doc, type MadeStore, type StoreKind } from './helpers/faiss.js';

const server = serverForFile();
const DIM = 16;
const N = 240;
let redis: Redis;
let root: string;
let url: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-faiss-'));
  url = `redis://127.0.0.1:${server().port}`;
  redis = new Redis(server().port, '127.0.0.1', { lazyConnect: false });
});
afterAll(async () => {
  await redis?.quit();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Cosine similarity of each doc to q, by id. */
function similarities(store: MadeStore, q: Float32Array): Map<string, number> {
  const m = new Map<string, number>();
  const nq = Math.hypot(...q);
  store.docs.forEach((d, i) => {
    const v = store.vectors[i]!;
    let dot = 0;
    for (let j = 0; j < v.length; j++) dot += v[j]! * q[j]!;
    m.set(d.id, dot / (Math.hypot(...v) * nq));
  });
  return m;
}

/**
 * The same top results: position by position the same document, or one exactly as similar
 * (FAISS and vsetd round their float sums differently, so two near-equal documents may swap).
 */
function expectSameRanking(got: string[], want: string[], sim: Map<string, number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i]) continue;
    expect(Math.abs(sim.get(got[i]!)! - sim.get(want[i]!)!), `position ${i}: ${got[i]} for ${want[i]}`).toBeLessThan(1e-5);
  }
}

async function vsim(key: string, q: Float32Array, k: number, filter?: string): Promise<string[]> {
  const args: Array<string | Buffer | number> = [key, 'FP32', f32(q), 'COUNT', k, 'EF', 1000];
  if (filter !== undefined) args.push('FILTER', filter);
  return (await redis.call('VSIM', ...args)) as string[];
}

async function knn(index: string, q: Float32Array, k: number, filter = '*'): Promise<string[]> {
  const r = (await redis.call('FT.SEARCH', index, `(${filter})=>[KNN ${k} @content_vector $vector AS distance]`, 'PARAMS', 2, 'vector', f32(q), 'SORTBY', 'distance', 'RETURN', 1, 'distance', 'LIMIT', 0, k, 'DIALECT', 2)) as unknown[];
  const keys: string[] = [];
  for (let i = 1; i < r.length; i += 2) keys.push(r[i] as string);
  return keys;
}

function store(name: string, kind: StoreKind, docs: Doc[] = makeDocs(N), extra: { protocol?: number; normalize?: boolean } = {}): MadeStore {
  return makeStore(path.join(root, name), { kind, docs, dim: DIM, queries: 8, k: 10, ...extra });
}

describe.skipIf(skipWithout('python3 faiss'))('import-faiss', () => {
  beforeAll(() => requireTool('python3 faiss'));

  describe('--target vset', () => {
    const kinds: StoreKind[] = ['flat-l2', 'flat-ip', 'hnsw', 'hnsw-ip', 'idmap-flat', 'idmap2-hnsw'];
    it.each(kinds)('%s: VSIM returns what FAISS exact search returns', async (kind) => {
      const s = store(`vset-${kind}`, kind);
      const r = await runCli(['import-faiss', s.dir, '--url', url, '--key', `v:${kind}`, '--quant', 'noquant']);
      expect(r.stderr).toContain(`${N} documents → vector set 'v:${kind}'`);
      expect(r.code).toBe(0);
      expect(await redis.call('VCARD', `v:${kind}`)).toBe(N);
      for (let q = 0; q < s.queries.length; q++) expectSameRanking(await vsim(`v:${kind}`, s.queries[q]!, 10), s.truth[q]!, similarities(s, s.queries[q]!));
    });

    it('pickles of every protocol read the same, Q8 finds the same neighbours', async () => {
      for (const protocol of [0, 2, 5]) {
        const s = store(`proto-${protocol}`, 'flat-ip', makeDocs(60), { protocol });
        const r = await runCli(['import-faiss', s.dir, '--url', url, '--key', `p:${protocol}`]);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse((await redis.call('VGETATTR', `p:${protocol}`, 'doc-7')) as string)).toEqual({ page_content: 'document 7 about beta', ...s.docs[7]!.metadata });
        const info = (await redis.call('VINFO', `p:${protocol}`)) as unknown[];
        expect(info[info.indexOf('quant-type') + 1]).toBe('int8');
        // Q8 rounds the vectors: the nearest neighbour is still FAISS's.
        expect((await vsim(`p:${protocol}`, s.queries[0]!, 1))[0]).toBe(s.truth[0]![0]);
      }
    });

    it('the attribute holds page_content and the metadata, and VSIM FILTER selects on it', async () => {
      const s = store('filters', 'flat-ip');
      expect((await runCli(['import-faiss', s.dir, '--url', url, '--key', 'f', '--quant', 'noquant'])).code).toBe(0);
      const attr = JSON.parse((await redis.call('VGETATTR', 'f', 'doc-10')) as string) as Record<string, unknown>;
      expect(attr).toEqual({ page_content: 'document 10 about beta', year: 2015, topic: 'beta', tags: ['even', 'red'], score: 1.25, source: 'file-2.txt' });
      const cases: Array<[string, (d: Doc) => boolean]> = [
        ['.year >= 2020', (d) => (d.metadata.year as number) >= 2020],
        ['.topic == "gamma" and .score > 10', (d) => d.metadata.topic === 'gamma' && (d.metadata.score as number) > 10],
        ['"red" in .tags', (d) => (d.metadata.tags as string[]).includes('red')],
      ];
      for (const [filter, keep] of cases) {
        for (const q of s.queries.slice(0, 4)) {
          const got = await vsim('f', q, 10, filter);
          expect(got.every((id) => keep(s.docs.find((d) => d.id === id)!))).toBe(true);
          expectSameRanking(got, exactCosine(s.vectors, s.docs, q, 10, keep), similarities(s, q));
        }
      }
    });
  });

  describe('--target langchain', () => {
    let s: MadeStore;
    beforeAll(async () => {
      s = store('lc', 'flat-ip');
      const r = await runCli(['import-faiss', s.dir, '--url', url, '--target', 'langchain', '--index-name', 'lcstore', '--schema-out', path.join(root, 'lc.yaml')]);
      expect(r.code, r.stderr).toBe(0);
    });

    it('FT.SEARCH KNN, as LangChain queries, returns what FAISS exact search returns', async () => {
      for (let q = 0; q < s.queries.length; q++) {
        expectSameRanking(await knn('lcstore', s.queries[q]!, 10), s.truth[q]!.map((id) => `doc:lcstore:${id}`), new Map([...similarities(s, s.queries[q]!)].map(([id, v]) => [`doc:lcstore:${id}`, v])));
      }
    });

    it('metadata filters work on the imported fields (numeric, tag, text)', async () => {
      const cases: Array<[string, (d: Doc) => boolean]> = [
        ['@year:[2020 +inf]', (d) => (d.metadata.year as number) >= 2020],
        ['@tags:{red}', (d) => (d.metadata.tags as string[]).includes('red')],
        ['@topic:gamma @score:[10 20]', (d) => d.metadata.topic === 'gamma' && (d.metadata.score as number) >= 10 && (d.metadata.score as number) <= 20],
      ];
      for (const [filter, keep] of cases) {
        for (const q of s.queries.slice(0, 4)) {
          const want = exactCosine(s.vectors, s.docs, q, 10, keep).map((id) => `doc:lcstore:${id}`);
          expectSameRanking(await knn('lcstore', q, 10, filter), want, new Map([...similarities(s, q)].map(([id, v]) => [`doc:lcstore:${id}`, v])));
        }
      }
    });

    it('writes the schema LangChain needs to open the index', () => {
      expect(fs.readFileSync(path.join(root, 'lc.yaml'), 'utf8')).toBe(
        'text:\n- name: "topic"\n- name: "source"\n- name: "content"\ntag:\n- name: "tags"\nnumeric:\n- name: "year"\n- name: "score"\n' +
          `vector:\n- name: content_vector\n  algorithm: FLAT\n  dims: ${DIM}\n  distance_metric: COSINE\n  datatype: FLOAT32\n`,
      );
    });

    it.skipIf(skipWithout('python3 redis'))('index and hashes are those redis-py writes for LangChain\'s schema', async () => {
      requireTool('python3 redis');
      // LangChain's add_texts and _create_index_if_not_exist, through the real redis-py, with the
      // schema RedisModel builds from the first document's metadata (see langchain-redis-layout.ts).
      const py = `
import sys, json, base64, numpy as np, redis
from redis.commands.search.field import TextField, TagField, NumericField, VectorField
from redis.commands.search.indexDefinition import IndexDefinition, IndexType
spec = json.load(sys.stdin)
r = redis.Redis(port=spec["port"])
def prep(meta):
    out = {}
    for k, v in meta.items():
        if v is None: out[k] = ""
        elif isinstance(v, (str, int, float)): out[k] = v
        else: out[k] = ",".join(v)
    return out
t = dict(weight=1, no_stem=False, phonetic_matcher=None, sortable=False, no_index=False)
fields = [TextField("topic", **t), TextField("source", **t), TextField("content", **t),
          TagField("tags", separator=",", case_sensitive=False, sortable=False, no_index=False),
          NumericField("year", sortable=False, no_index=False), NumericField("score", sortable=False, no_index=False),
          VectorField("content_vector", "FLAT", {"TYPE": "FLOAT32", "DIM": spec["dim"], "DISTANCE_METRIC": "COSINE"})]
r.ft("lcrefidx").create_index(fields=fields, definition=IndexDefinition(prefix=["doc:lcrefidx"], index_type=IndexType.HASH))
pipe = r.pipeline(transaction=False)
for doc, vec in zip(spec["docs"], spec["vectors"]):
    pipe.hset("doc:lcrefidx:" + doc["id"], mapping={"content": doc["text"], "content_vector": np.frombuffer(base64.b64decode(vec), dtype=np.float32).tobytes(), **prep(doc["metadata"])})
pipe.execute()
`;
      const input = JSON.stringify({ port: server().port, dim: DIM, docs: s.docs.slice(0, 20), vectors: s.vectors.slice(0, 20).map((v) => f32(v).toString('base64')) });
      const r = spawnSync(PYTHON, ['-c', py], { input, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const info = async (ix: string): Promise<string> => JSON.stringify(await redis.call('FT.INFO', ix)).split(ix).join('IX');
      const ours = JSON.parse(await info('lcstore')) as unknown[];
      const ref = JSON.parse(await info('lcrefidx')) as unknown[];
      for (const field of ['index_definition', 'attributes', 'index_options']) expect(ours[ours.indexOf(field) + 1]).toEqual(ref[ref.indexOf(field) + 1]);
      for (const d of s.docs.slice(0, 20)) expect(await redis.hgetallBuffer(`doc:lcstore:${d.id}`)).toEqual(await redis.hgetallBuffer(`doc:lcrefidx:${d.id}`));
      await redis.call('FT.DROPINDEX', 'lcrefidx', 'DD');
    });
  });

  describe('bad input imports nothing', () => {
    async function refused(dir: string, key: string, message: RegExp, target: 'vset' | 'langchain' = 'vset'): Promise<void> {
      const r = await runCli(['import-faiss', dir, '--url', url, target === 'vset' ? '--key' : '--index-name', key, '--target', target]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/nothing was imported/);
      expect(await redis.exists(key, `${key}:vsetd-import-tmp`)).toBe(0);
      expect(await redis.keys(`doc:${key}:*`)).toEqual([]);
    }
    function damaged(name: string, file: 'index.faiss' | 'index.pkl', change: (b: Buffer) => Buffer): string {
      const s = store(name, 'hnsw', makeDocs(40));
      const p = path.join(s.dir, file);
      fs.writeFileSync(p, change(fs.readFileSync(p)));
      return s.dir;
    }

    it('a truncated or corrupt index file, for either target', async () => {
      const cut = damaged('cut', 'index.faiss', (b) => b.subarray(0, b.length >> 1));
      await refused(cut, 'cut', /index\.faiss: .*truncated or corrupt/);
      await refused(cut, 'cutlc', /truncated or corrupt/, 'langchain');
      await refused(damaged('magic', 'index.faiss', (b) => Buffer.concat([Buffer.from('XXXX'), b.subarray(4)])), 'magic', /unknown index type 'XXXX'/);
      await refused(damaged('count', 'index.faiss', (b) => (b.writeBigInt64LE(1n << 40n, 8), b)), 'count', /HNSW levels has 40 entries for ntotal 1099511627776/);
    });

    it.each([
      ['pq', /unsupported index type 'IxPq' \(IndexPQ\)/],
      ['ivf', /unsupported index type 'IwFl' \(IndexIVFFlat\)/],
      ['lsh', /unsupported index type 'IxHe' \(IndexLSH\)/],
    ] as const)('an unsupported index type (%s) is refused by name', async (kind, message) => {
      const s = store(`un-${kind}`, kind, makeDocs(200));
      await refused(s.dir, `un-${kind}`, message);
    });

    it('a pickle that calls anything is refused, and nothing it names runs', async () => {
      const s = store('evil', 'flat-ip', makeDocs(20));
      const marker = path.join(root, 'pwned');
      const py = `import os, pickle, sys
class Evil:
    def __reduce__(self):
        return (os.system, ("touch ${marker}",))
pickle.dump((Evil(), {}), open(sys.argv[1], "wb"))`;
      expect(spawnSync(PYTHON, ['-c', py, path.join(s.dir, 'index.pkl')]).status).toBe(0);
      await refused(s.dir, 'evil', /refusing to unpickle posix\.system/);
      expect(fs.existsSync(marker)).toBe(false);
    });

    it('a truncated pickle, a missing document, a document id mapped twice', async () => {
      await refused(damaged('pcut', 'index.pkl', (b) => b.subarray(0, b.length - 40)), 'pcut', /index\.pkl: .*(truncated|corrupt)/);
      // Rewrite the id map so that a label names a document the docstore lacks, or two labels one.
      const py = `import pickle, sys
sys.path.insert(0, sys.argv[2])
ds, ids = pickle.load(open(sys.argv[1], "rb"))
if sys.argv[3] == "missing": ids[5] = "nobody"
else: ids[6] = ids[7]
pickle.dump((ds, ids), open(sys.argv[1], "wb"))`;
      const standins = fs.mkdtempSync(path.join(root, 'standins-'));
      fs.mkdirSync(path.join(standins, 'langchain_community/docstore'), { recursive: true });
      fs.mkdirSync(path.join(standins, 'langchain_core/documents'), { recursive: true });
      for (const f of ['langchain_community/__init__.py', 'langchain_community/docstore/__init__.py', 'langchain_core/__init__.py', 'langchain_core/documents/__init__.py']) fs.writeFileSync(path.join(standins, f), '');
      fs.writeFileSync(path.join(standins, 'langchain_community/docstore/in_memory.py'), 'class InMemoryDocstore:\n    pass\n');
      fs.writeFileSync(path.join(standins, 'langchain_core/documents/base.py'), 'class Document:\n    def __setstate__(self, s):\n        self.s = s\n    def __getstate__(self):\n        return self.s\n');
      for (const [mode, message] of [
        ['missing', /docstore id nobody \(stored vector 5\) is missing, not a Document/],
        ['twice', /docstore id doc-7 is mapped from two stored vectors/],
      ] as const) {
        const s = store(`map-${mode}`, 'flat-ip', makeDocs(20));
        expect(spawnSync(PYTHON, ['-c', py, path.join(s.dir, 'index.pkl'), standins, mode], { encoding: 'utf8' }).status).toBe(0);
        await refused(s.dir, `map-${mode}`, message);
      }
    });

    it('metadata LangChain cannot write refuses the langchain target and still imports as a set', async () => {
      const docs = makeDocs(30).map((d, i) => ({ ...d, metadata: { ...d.metadata, flag: i % 2 === 0 } }));
      const s = store('bools', 'flat-ip', docs);
      await refused(s.dir, 'bools', /metadata 'flag' is a bool, which LangChain's Redis store cannot write/, 'langchain');
      const r = await runCli(['import-faiss', s.dir, '--url', url, '--key', 'bools']);
      expect(r.code).toBe(0);
      expect(await redis.call('VSIM', 'bools', 'ELE', 'doc-1', 'FILTER', '.flag', 'COUNT', 100)).toHaveLength(15);
    });

    it('bad arguments exit 2 with the usage', async () => {
      const r = await runCli(['import-faiss', root, '--url', url]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--key is required[\s\S]*Usage/);
      expect((await runCli(['import-faiss', root, '--key', 'x', '--distance-metric', 'L2'])).code).toBe(2);
    });
  });

  describe('re-running after a failure', () => {
    it('an import killed half-way leaves nothing under the key; the re-run imports each document once', async () => {
      const s = store('killed', 'flat-ip', makeDocs(4000, 'k'));
      let pid = 0;
      const run = runCli(['import-faiss', s.dir, '--url', url, '--key', 'killed', '--window', '1'], { onSpawn: (p) => (pid = p) });
      await waitFor('the import to be under way', async () => ((await redis.exists('killed:vsetd-import-tmp')) === 1 ? true : (await redis.exists('killed')) === 1));
      process.kill(pid, 'SIGKILL');
      await run;
      // Killed before the rename: no key. (Had it finished first, the key would be complete.)
      if ((await redis.exists('killed')) === 1) expect(await redis.call('VCARD', 'killed')).toBe(4000);
      const again = await runCli(['import-faiss', s.dir, '--url', url, '--key', 'killed']);
      expect(again.code, again.stderr).toBe(0);
      expect(await redis.call('VCARD', 'killed')).toBe(4000);
      expect(await redis.exists('killed:vsetd-import-tmp')).toBe(0);
    });

    it('langchain: a killed import left no index; the re-run writes each hash once and creates it', async () => {
      const s = store('killedlc', 'flat-ip', makeDocs(3000, 'k'));
      let pid = 0;
      const run = runCli(['import-faiss', s.dir, '--url', url, '--target', 'langchain', '--index-name', 'klc', '--window', '1'], { onSpawn: (p) => (pid = p) });
      await waitFor('hashes to arrive', async () => (await redis.exists('doc:klc:k-0')) === 1);
      process.kill(pid, 'SIGKILL');
      const killed = await run;
      if (killed.code !== 0) await expect(redis.call('FT.INFO', 'klc')).rejects.toThrow(/Unknown index name|not found/i);
      const again = await runCli(['import-faiss', s.dir, '--url', url, '--target', 'langchain', '--index-name', 'klc']);
      expect(again.code, again.stderr).toBe(0);
      const info = (await redis.call('FT.INFO', 'klc')) as unknown[];
      expect(Number(info[info.indexOf('num_docs') + 1])).toBe(3000);
      expect(await redis.keys('doc:klc:*')).toHaveLength(3000);
    });
  });

  describe('--tenants', () => {
    it('imports a directory of stores, reports the one that failed, and a re-run finishes it', async () => {
      const dir = path.join(root, 'tenants');
      const made = {
        acme: makeStore(path.join(dir, 'acme'), { kind: 'flat-ip', docs: makeDocs(50, 'acme'), dim: DIM }),
        globex: makeStore(path.join(dir, 'globex'), { kind: 'hnsw', docs: makeDocs(70, 'globex'), dim: DIM }),
        initech: makeStore(path.join(dir, 'initech'), { kind: 'idmap-flat', docs: makeDocs(30, 'initech'), dim: DIM }),
      };
      fs.mkdirSync(path.join(dir, 'not-a-store'));
      const pkl = path.join(dir, 'initech', 'index.pkl');
      const good = fs.readFileSync(pkl);
      fs.writeFileSync(pkl, good.subarray(0, 100));
      const first = await runCli(['import-faiss', dir, '--tenants', '--url', url, '--key', 'docs:{tenant}']);
      expect(first.code).toBe(1);
      expect(first.stderr).toMatch(/tenant initech: FAILED: .*index\.pkl/);
      expect(first.stderr).toContain('2 of 3 stores in place (120 documents)');
      expect(await redis.call('VCARD', 'docs:acme')).toBe(50);
      expect(await redis.call('VCARD', 'docs:globex')).toBe(70);
      expect(await redis.exists('docs:initech', 'docs:initech:vsetd-import-tmp')).toBe(0);

      fs.writeFileSync(pkl, good);
      const second = await runCli(['import-faiss', dir, '--tenants', '--url', url, '--key', 'docs:{tenant}']);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toContain("tenant acme: 'docs:acme' already holds these 50 documents");
      expect(await redis.call('VCARD', 'docs:initech')).toBe(30);
      for (const [tenant, s] of Object.entries(made)) {
        expectSameRanking(await vsim(`docs:${tenant}`, s.queries[0]!, 5), s.truth[0]!.slice(0, 5), similarities(s, s.queries[0]!));
      }

      const lc = await runCli(['import-faiss', dir, '--tenants', '--url', url, '--target', 'langchain', '--index-name', 'kb_{tenant}']);
      expect(lc.code, lc.stderr).toBe(0);
      expect(((await redis.call('FT._LIST')) as string[]).filter((n) => n.startsWith('kb_')).sort()).toEqual(['kb_acme', 'kb_globex', 'kb_initech']);
      expect((await knn('kb_globex', made.globex.queries[1]!, 3))[0]).toBe(`doc:kb_globex:${made.globex.truth[1]![0]}`);
    });
  });
});
