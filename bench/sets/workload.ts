/**
 * The many-small-sets workload (issue 14, part B) against any Redis-protocol server: pipelined
 * VADD into `sets` keys of `per` elements each, then VSIM on random keys from 8 connections.
 * bench/sets/run.ts (npm run bench:sets) wraps it with memory and snapshot figures of a vsetd it
 * started; the unified runner (npm run bench, issue 20) runs it against vsetd and, with
 * --against, the other server.
 */
import { Prng } from '../../src/hnsw/prng.js';
import { pipelined, resp, throughput } from '../harness.js';
import type { Endpoint } from '../net.js';

/** A deterministic generator (the engine's xoshiro128**), so every run inserts the same vectors. */
export function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

export function fp32(rng: () => number, dim: number): Buffer {
  const b = Buffer.alloc(dim * 4);
  for (let j = 0; j < dim; j++) b.writeFloatLE(rng() * 2 - 1, j * 4);
  return b;
}

export interface SmallSetsOptions {
  sets: number;
  per: number;
  dim: number;
  seconds: number;
  /** Key prefix: `${prefix}${set number}`. */
  prefix: string;
  /** Called after the inserts, before the searches (e.g. to read memory). */
  between?: () => Promise<void>;
}

export async function smallSetsWorkload(
  to: Endpoint,
  o: SmallSetsOptions,
): Promise<{ ins: { seconds: number; errors: number; firstError: string }; vsim: { qps: number; errors: number } }> {
  const rng = prng(3);
  const total = o.sets * o.per;
  const ins = await pipelined(to, total, (i) => resp(['VADD', `${o.prefix}${Math.floor(i / o.per)}`, 'FP32', fp32(rng, o.dim), `d${i}`, 'EF', '40']), 512);
  if (o.between) await o.between();
  const q = fp32(rng, o.dim);
  const pick = prng(4);
  const vsim = await throughput(to, 8, o.seconds, () => resp(['VSIM', `${o.prefix}${Math.floor(pick() * o.sets)}`, 'FP32', q, 'COUNT', '10', 'EF', '100']));
  return { ins, vsim };
}
