// Distance kernels: WebAssembly SIMD (kernels.wat) and plain JavaScript, same results.
//
// A kernel is a function of two record offsets in the set's records memory (a node, or a reader's
// query scratch record: same shape) returning the float distance of spec §3.5. The engine picks
// the WebAssembly one whenever the records memory is a WebAssembly.Memory, which is always the
// case unless reserving one failed.
//
// Measured by bench/engine (`npm run bench:engine`, figures in bench/results/engine.md), Node 20,
// 128 dimensions, 100k records, 2-core AMD EPYC VM:
//
//                     random access (graph walk)    streaming (records in order)
//    JS int8          ≈ 350–440 ns                  ≈ 210 ns
//    JS float32       ≈ 530–620 ns                  ≈ 190 ns
//    WASM SIMD int8   ≈ 155–170 ns                  ≈ 25 ns  (40 M/s)
//    WASM SIMD f32    ≈ 210–275 ns                  ≈ 40 ns
//
// Random access is dominated by the cache miss on the record, which is why search.ts touches a
// whole neighbour list's records before computing its distances (the misses then overlap);
// once the data is in cache the SIMD kernel is 5–8× faster than JS. So WebAssembly is kept.
//
// The JS versions are exact twins — same operation order, every float step rounded with
// Math.fround — so a set gives identical distances whichever kernel runs (tests check this).

import { WASM_BYTES } from './kernels.wasm.generated.js';
import { compileWasm, instantiateWasm, type WasmMemory } from './platform.js';
import { Quant, R, type SetViews } from './layout.js';
import { upperLinks } from './writer-zone.js';

export type DistanceFn = (a: number, b: number) => number;
/**
 * Replace `n` node slots stored as i32 at byte offset `list` of the records memory by their
 * float distances (as f32, in place) to the record at `q`.
 */
export type BatchFn = (q: number, list: number, n: number) => void;

export interface Kernel {
  kind: KernelKind;
  dist: DistanceFn;
  batch: BatchFn;
  /**
   * Point the kernel at a set: the offsets it is given are relative to `base` (SetViews.base).
   * A WebAssembly instance serves every set of one geometry in one memory (the arena sets of a
   * thread), so a searcher binds before each use; the JS kernels read the set's own views.
   */
  bind(base: number): void;
  /** The writer's beam search of an insert (kernels.wat walk; writer-zone.ts): WebAssembly kernels only. */
  walk?: WalkFn;
  /** kernels.wat closer: (quant kind, record, level-0 list, its length, d) → 1 when one is closer than d. */
  closer?: (kind: number, c: number, list: number, n: number, d: number) => number;
}

/**
 * kernels.wat walk: (quant kind 0 Q8 / 1 BIN / 2 F32 / 3 L2, query, entry, its distance, ef,
 * slot limit, link offset, zone, visited bits, batch, result queue, candidate queue, its
 * capacity, Q8 query widened, level, upper list area) → results written ascending at the
 * candidate queue, or -1 when it would overflow.
 */
export type WalkFn = (
  kind: number, q: number, ep: number, dEp: number, ef: number, limit: number, linkOff: number,
  zone: number, bits: number, batch: number, res: number, cand: number, candCap: number, qw: number,
  level: number, ulist: number,
) => number;

let compiled: object | null = null;
function kernelModule(): object {
  // Compiled once per thread; instantiated once per (thread, memory, geometry).
  if (compiled === null) compiled = compileWasm(WASM_BYTES);
  return compiled;
}

export type KernelKind = 'wasm' | 'js';

interface WasmGlobalCtor {
  new (descriptor: { value: 'i32'; mutable: boolean }, value: number): { value: number };
}
const WasmGlobal = (globalThis as unknown as { WebAssembly: { Global: WasmGlobalCtor } }).WebAssembly.Global;

/** Per thread: instances by memory, then by geometry. */
const instances = new WeakMap<object, Map<string, Kernel>>();

/**
 * What a kernel instance compares: the vector of `quant` and `vecBytes` at R.VEC + `recShift`
 * of every record. The graph's kernel reads the walked vector (shift 0); an exact set's float32
 * kernel the copy after the links (layout.ts geometry), its callers adding the same shift to the
 * query's and nodes' offsets — the kernels themselves read every vector at R.VEC.
 */
export interface KernelTarget {
  quant: Quant;
  vecBytes: number;
  recShift: number;
}

/** The vector the graph is walked in. */
export function navTarget(v: SetViews): KernelTarget {
  return { quant: v.navQuant, vecBytes: v.vecBytes, recShift: 0 };
}

/** An exact set's float32 copy (null for other sets). */
export function exactTarget(v: SetViews): KernelTarget | null {
  return v.exactOff === 0 ? null : { quant: Quant.NoQuant, vecBytes: v.exactBytes, recShift: v.exactOff - R.VEC };
}

export function wasmKernel(v: SetViews, t: KernelTarget = navTarget(v)): Kernel {
  if (!v.wasm) throw new Error('the set has no WebAssembly memory');
  const memory = v.records as WasmMemory;
  let byGeometry = instances.get(memory);
  if (byGeometry === undefined) instances.set(memory, (byGeometry = new Map()));
  const recBase = v.recBase + t.recShift;
  const key = `${t.quant}/${v.dim}/${t.vecBytes}/${recBase}/${v.stride}`;
  const known = byGeometry.get(key);
  if (known !== undefined) return known;
  const base = new WasmGlobal({ value: 'i32', mutable: true }, v.base);
  const inst = instantiateWasm(kernelModule(), {
    env: { memory, vecBytes: t.vecBytes, dim: v.dim, recBase, stride: v.stride, base, upperLinks },
  });
  const ex = inst.exports;
  const name = t.quant === Quant.Q8 ? 'Q8' : t.quant === Quant.Bin ? 'Bin' : t.quant === Quant.RawL2 ? 'L2' : 'F32';
  // The JS side remembers the bound base: reading a WebAssembly.Global costs more than a compare.
  let bound = v.base;
  const k: Kernel = {
    kind: 'wasm',
    dist: ex[`dist${name}`] as DistanceFn,
    batch: ex[`batch${name}`] as BatchFn,
    walk: ex.walk as WalkFn,
    closer: ex.closer as Kernel['closer'],
    bind(b: number): void {
      if (b !== bound) base.value = bound = b;
    },
  };
  byGeometry.set(key, k);
  return k;
}

export function wasmDistance(v: SetViews): DistanceFn {
  const k = wasmKernel(v);
  k.bind(v.base);
  return k.dist;
}

export function jsKernel(v: SetViews, t: KernelTarget = navTarget(v)): Kernel {
  if (v.place !== null) throw new Error('an arena set is searched with the WebAssembly kernels');
  const dist = jsDistance(v, t);
  const shift = t.recShift;
  const batch = (q: number, list: number, n: number): void => {
    const i32 = v.i32;
    const f32 = v.f32;
    const recBase = v.recBase + shift;
    const stride = v.stride;
    const base = list >>> 2;
    for (let i = 0; i < n; i++) f32[base + i] = dist(q, recBase + i32[base + i] * stride);
  };
  return { kind: 'js', dist, batch, bind: () => {} };
}

const fround = Math.fround;

export function jsDistance(v: SetViews, t: KernelTarget = navTarget(v)): DistanceFn {
  const vecBytes = t.vecBytes;
  const dim = v.dim;
  switch (t.quant) {
    case Quant.Q8:
      return (a: number, b: number): number => {
        const f32 = v.f32;
        const ra = f32[(a + R.RANGE) >>> 2];
        const rb = f32[(b + R.RANGE) >>> 2];
        if (ra === 0 || rb === 0) return 1;
        const i8 = v.i8;
        const pa = a + R.VEC;
        const pb = b + R.VEC;
        let d0 = 0;
        let d1 = 0;
        let d2 = 0;
        let d3 = 0;
        for (let j = 0; j < vecBytes; j += 4) {
          d0 += i8[pa + j] * i8[pb + j];
          d1 += i8[pa + j + 1] * i8[pb + j + 1];
          d2 += i8[pa + j + 2] * i8[pb + j + 2];
          d3 += i8[pa + j + 3] * i8[pb + j + 3];
        }
        const d = fround(1 - fround(fround(d0 + d1 + d2 + d3) * fround(fround(ra / 127) * fround(rb / 127))));
        return d < 0 ? 0 : d > 2 ? 2 : d;
      };
    case Quant.Bin: {
      const words32 = Math.ceil(dim / 64) * 2;
      return (a: number, b: number): number => {
        const i32 = v.i32;
        const pa = (a + R.VEC) >>> 2;
        const pb = (b + R.VEC) >>> 2;
        let ones = 0;
        for (let j = 0; j < words32; j++) {
          let x = i32[pa + j] ^ i32[pb + j];
          x = x - ((x >>> 1) & 0x55555555);
          x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
          ones += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
        }
        return fround(fround(ones * 2) / dim);
      };
    }
    case Quant.RawL2:
      return (a: number, b: number): number => {
        // Twin of distL2: acc0 lanes take floats 8k+0..3, acc1 lanes 8k+4..7, a 4-float tail
        // goes to acc0 (vecBytes is a multiple of 16), then acc0 + acc1 and the pairwise sum.
        const f32 = v.f32;
        const pa = (a + R.VEC) >>> 2;
        const pb = (b + R.VEC) >>> 2;
        const floats = vecBytes >>> 2;
        const body = floats & ~7;
        const sq = (i: number): number => {
          const d = fround(f32[pa + i] - f32[pb + i]);
          return fround(d * d);
        };
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0; // prettier-ignore
        for (let i = 0; i < body; i += 8) {
          a0 = fround(a0 + sq(i));
          a1 = fround(a1 + sq(i + 1));
          a2 = fround(a2 + sq(i + 2));
          a3 = fround(a3 + sq(i + 3));
          b0 = fround(b0 + sq(i + 4));
          b1 = fround(b1 + sq(i + 5));
          b2 = fround(b2 + sq(i + 6));
          b3 = fround(b3 + sq(i + 7));
        }
        if (floats & 4) {
          a0 = fround(a0 + sq(body));
          a1 = fround(a1 + sq(body + 1));
          a2 = fround(a2 + sq(body + 2));
          a3 = fround(a3 + sq(body + 3));
        }
        return fround(fround(fround(a0 + b0) + fround(a1 + b1)) + fround(fround(a2 + b2) + fround(a3 + b3)));
      };
    case Quant.NoQuant:
    case Quant.RawIP:
      if (dim < 16) {
        return (a: number, b: number): number => {
          const f32 = v.f32;
          const pa = (a + R.VEC) >>> 2;
          const pb = (b + R.VEC) >>> 2;
          let dot0 = 0;
          let dot1 = 0;
          let i = 0;
          for (; i + 7 < dim; i += 8) {
            dot0 = fround(
              dot0 +
                fround(
                  fround(
                    fround(fround(f32[pa + i] * f32[pb + i]) + fround(f32[pa + i + 1] * f32[pb + i + 1])) +
                      fround(f32[pa + i + 2] * f32[pb + i + 2]),
                  ) + fround(f32[pa + i + 3] * f32[pb + i + 3]),
                ),
            );
            dot1 = fround(
              dot1 +
                fround(
                  fround(
                    fround(fround(f32[pa + i + 4] * f32[pb + i + 4]) + fround(f32[pa + i + 5] * f32[pb + i + 5])) +
                      fround(f32[pa + i + 6] * f32[pb + i + 6]),
                  ) + fround(f32[pa + i + 7] * f32[pb + i + 7]),
                ),
            );
          }
          for (; i < dim; i++) dot0 = fround(dot0 + fround(f32[pa + i] * f32[pb + i]));
          return fround(1 - fround(dot0 + dot1));
        };
      }
      return (a: number, b: number): number => {
        // Twin of the SIMD path: per step of 16 floats, lanes of acc0 take floats 16k+0..3, acc1
        // 16k+4..7, acc2 16k+8..11, acc3 16k+12..15; an 8-float tail goes to acc0 and acc1, a
        // 4-float one to acc2; then lane-wise (acc0 + acc1) + (acc2 + acc3).
        const f32 = v.f32;
        const pa = (a + R.VEC) >>> 2;
        const pb = (b + R.VEC) >>> 2;
        const floats = vecBytes >>> 2;
        const body = floats & ~15;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0; // prettier-ignore
        let c0 = 0, c1 = 0, c2 = 0, c3 = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0; // prettier-ignore
        const m = (k: number): number => fround(f32[pa + k] * f32[pb + k]);
        let i = 0;
        for (; i < body; i += 16) {
          a0 = fround(a0 + m(i));
          a1 = fround(a1 + m(i + 1));
          a2 = fround(a2 + m(i + 2));
          a3 = fround(a3 + m(i + 3));
          b0 = fround(b0 + m(i + 4));
          b1 = fround(b1 + m(i + 5));
          b2 = fround(b2 + m(i + 6));
          b3 = fround(b3 + m(i + 7));
          c0 = fround(c0 + m(i + 8));
          c1 = fround(c1 + m(i + 9));
          c2 = fround(c2 + m(i + 10));
          c3 = fround(c3 + m(i + 11));
          d0 = fround(d0 + m(i + 12));
          d1 = fround(d1 + m(i + 13));
          d2 = fround(d2 + m(i + 14));
          d3 = fround(d3 + m(i + 15));
        }
        if (floats & 8) {
          a0 = fround(a0 + m(i));
          a1 = fround(a1 + m(i + 1));
          a2 = fround(a2 + m(i + 2));
          a3 = fround(a3 + m(i + 3));
          b0 = fround(b0 + m(i + 4));
          b1 = fround(b1 + m(i + 5));
          b2 = fround(b2 + m(i + 6));
          b3 = fround(b3 + m(i + 7));
          i += 8;
        }
        if (floats & 4) {
          c0 = fround(c0 + m(i));
          c1 = fround(c1 + m(i + 1));
          c2 = fround(c2 + m(i + 2));
          c3 = fround(c3 + m(i + 3));
        }
        a0 = fround(fround(a0 + b0) + fround(c0 + d0));
        a1 = fround(fround(a1 + b1) + fround(c1 + d1));
        a2 = fround(fround(a2 + b2) + fround(c2 + d2));
        a3 = fround(fround(a3 + b3) + fround(c3 + d3));
        return fround(1 - fround(fround(a0 + a1) + fround(a2 + a3)));
      };
  }
}

/** The kernel the engine uses for a set: WebAssembly when possible. */
export function bestKernel(v: SetViews, t: KernelTarget = navTarget(v)): Kernel {
  return v.wasm ? wasmKernel(v, t) : jsKernel(v, t);
}
