/**
 * Helpers of the FAISS import and export tests: LangChain FAISS stores made by Python with
 * Debian's python3-faiss (faiss_store.py), the vsetd command-line tools run as a user runs them
 * (`node dist/src/main.js import-faiss …`), and the documents the stores hold.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { MAIN, ROOT } from './server.js';
import { PYTHON } from './tools.js';

export type StoreKind = 'flat-l2' | 'flat-ip' | 'hnsw' | 'hnsw-ip' | 'idmap-flat' | 'idmap2-hnsw' | 'pq' | 'ivf' | 'lsh';

export interface Doc {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
}

export interface MadeStore {
  dir: string;
  docs: Doc[];
  dim: number;
  /** The stored vectors, in index order (the docs' order). */
  vectors: Float32Array[];
  queries: Float32Array[];
  /** FAISS's exact search for each query: doc ids, best first. */
  truth: string[][];
}

const TOPICS = ['alpha', 'beta', 'gamma'];

/** Documents with metadata of every kind LangChain's Redis store indexes: numeric, text, tag. */
export function makeDocs(n: number, prefix = 'doc'): Doc[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    text: `document ${i} about ${TOPICS[i % 3]}`,
    metadata: { year: 2015 + (i % 10), topic: TOPICS[i % 3]!, tags: i % 2 === 0 ? ['even', 'red'] : ['odd'], score: i / 8, source: `file-${i % 4}.txt` },
  }));
}

function floats(b64: string, dim: number): Float32Array[] {
  const buf = Buffer.from(b64, 'base64');
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const out: Float32Array[] = [];
  for (let i = 0; i < all.length; i += dim) out.push(all.slice(i, i + dim));
  return out;
}

export interface StoreSpec {
  kind: StoreKind;
  docs: Doc[];
  dim: number;
  seed?: number;
  queries?: number;
  k?: number;
  normalize?: boolean;
  protocol?: number;
}

/** Writes index.faiss and index.pkl into `dir` with Python, and returns FAISS's exact answers. */
export function makeStore(dir: string, spec: StoreSpec): MadeStore {
  const input = JSON.stringify({ dir, kind: spec.kind, docs: spec.docs, dim: spec.dim, seed: spec.seed ?? 1, queries: spec.queries ?? 10, k: spec.k ?? 10, normalize: spec.normalize ?? true, protocol: spec.protocol ?? 4 });
  const r = spawnSync(PYTHON, [path.join(ROOT, 'test/helpers/faiss_store.py')], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`faiss_store.py failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { vectors: string; queries: string; truth: string[][] };
  return { dir, docs: spec.docs, dim: spec.dim, vectors: floats(out.vectors, spec.dim), queries: floats(out.queries, spec.dim), truth: out.truth };
}

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `vsetd <args…>` from dist/, as installed. */
export function runCli(args: string[], opts: { onSpawn?: (pid: number) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    if (opts.onSpawn && p.pid !== undefined) opts.onSpawn(p.pid);
  });
}

export function f32(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Exact cosine ranking of `docs` for `q` (the vectors are the docs' own), ids best first. */
export function exactCosine(vectors: Float32Array[], docs: Doc[], q: Float32Array, k: number, keep: (d: Doc) => boolean = () => true): string[] {
  const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const nq = norm(q);
  return docs
    .map((d, i) => ({ d, i }))
    .filter(({ d }) => keep(d))
    .map(({ d, i }) => {
      const v = vectors[i]!;
      let dot = 0;
      for (let j = 0; j < v.length; j++) dot += v[j]! * q[j]!;
      return { id: d.id, sim: dot / (norm(v) * nq) };
    })
    .sort((a, b) => b.sim - a.sim)
    .slice(0, k)
    .map((x) => x.id);
}
