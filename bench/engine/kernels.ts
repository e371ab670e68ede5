// Distance-kernel micro-benchmark: plain JS vs WebAssembly SIMD on the same shared memory,
// 128 dimensions, random access over 100k records as in a graph walk (so memory latency counts,
// as it does in a real search).

import { jsDistance, wasmDistance, type DistanceFn } from '../../src/hnsw/kernels.js';
import { Quant, SetViews, geometry, type Quant as QuantT } from '../../src/hnsw/layout.js';
import { Prng, seedState } from '../../src/hnsw/prng.js';
import { GraphWriter } from '../../src/hnsw/writer.js';
import { encodeVector } from '../../src/vset/quantize.js';

export interface KernelFigure {
  quant: 'int8' | 'f32' | 'bin';
  kernel: 'js' | 'wasm';
  /** Random access over all records, as in a graph walk (memory latency included). */
  nsPerDistance: number;
  millionsPerSecond: number;
  /** Records in slot order (streaming: compute and bandwidth bound). */
  streamingNsPerDistance: number;
  streamingMillionsPerSecond: number;
}

function measure(fn: DistanceFn, offs: Int32Array, q: number, rounds: number): number {
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < offs.length; i++) sink += fn(q, offs[i]);
    const ns = Number(process.hrtime.bigint() - t0) / offs.length;
    if (ns < best) best = ns;
  }
  if (Number.isNaN(sink)) throw new Error('kernel returned NaN');
  return best;
}

export function kernelBenchmark(n = 100_000, dim = 128, accesses = 1 << 20): KernelFigure[] {
  const out: KernelFigure[] = [];
  const rng = new Prng(42);
  const quants: [QuantT, KernelFigure['quant']][] = [
    [Quant.Q8, 'int8'],
    [Quant.NoQuant, 'f32'],
    [Quant.Bin, 'bin'],
  ];
  for (const [quant, label] of quants) {
    const g = geometry(dim, quant, 16);
    const v = SetViews.create(g, 0, seedState(1));
    const w = new GraphWriter(v);
    const x = new Float32Array(dim);
    const work = new Float32Array(dim);
    const bytes = new Uint8Array(g.vecBytes);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dim; j++) x[j] = rng.gauss();
      const { l2, range } = encodeVector(quant, x, work, bytes);
      const slot = w.allocSlot();
      w.writeRecord(slot, 0, 0, bytes, l2, range);
    }
    const q = v.recOff(rng.int(n));
    const offs = new Int32Array(accesses);
    for (let i = 0; i < accesses; i++) offs[i] = v.recOff(rng.int(n));
    const seq = new Int32Array(accesses);
    for (let i = 0; i < accesses; i++) seq[i] = v.recOff(i % n);
    for (const kind of ['js', 'wasm'] as const) {
      const fn = kind === 'js' ? jsDistance(v) : wasmDistance(v);
      const ns = measure(fn, offs, q, 4);
      const streaming = measure(fn, seq, q, 4);
      out.push({
        quant: label,
        kernel: kind,
        nsPerDistance: ns,
        millionsPerSecond: 1000 / ns,
        streamingNsPerDistance: streaming,
        streamingMillionsPerSecond: 1000 / streaming,
      });
    }
  }
  return out;
}
