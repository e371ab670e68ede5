/**
 * The digest a snapshot stores for a vector set's two images (format 2 of vset/codec.ts), in
 * place of the CRC-32 that covered them before: digest.wat's digest of each 4 KiB block of each
 * image, seeded with the image and the block's index, the blocks' words summed (mod 2^32) into
 * two words. A sum of blocks can be taken in pieces, on any thread and in any order — the
 * load's helper thread digests the records image's pieces as they are read (piece-crc.ts) — and
 * still name each block's place, through its seed.
 */
import { WASM_BYTES } from './digest.wasm.generated.js';
import { compileWasm, createSharedWasmMemory, instantiateWasm, WASM_PAGE, type WasmMemory } from '../hnsw/platform.js';

/** Bytes per digested block; pieces digested apart start at multiples of it. */
export const DIGEST_BLOCK = 4096;

/** Which image a block belongs to (part of its seed). */
export const IMAGE_RECORDS = 1;
export const IMAGE_HEAP = 2;

interface DigestExports {
  digest: (ptr: number, len: number, block0: number, image: number) => number;
  sum2: () => number;
}

let module: object | null = null;
const instances = new WeakMap<WasmMemory, DigestExports>();

function digestWasm(memory: WasmMemory): DigestExports {
  let e = instances.get(memory);
  if (e === undefined) {
    module ??= compileWasm(WASM_BYTES);
    e = instantiateWasm(module, { env: { memory } }).exports as unknown as DigestExports;
    instances.set(memory, e);
  }
  return e;
}

/** Calls cover at most this many bytes: V8 swaps optimised WebAssembly in only between calls. */
const CALL_BYTES = 1024 * 1024;

/**
 * Adds to `sum` (two words) the digest of the `len` bytes at `ptr` of `memory`, which are the
 * image's bytes from `at` on: `at` a multiple of DIGEST_BLOCK, and `len` too unless they run to
 * the image's end.
 */
export function digestInMemory(memory: WasmMemory, ptr: number, len: number, at: number, image: number, sum: Uint32Array | Int32Array): void {
  if (at % DIGEST_BLOCK !== 0) throw new Error('a digested piece must start at a block boundary');
  const e = digestWasm(memory);
  for (let done = 0; done < len; done += CALL_BYTES) {
    sum[0] = (sum[0] + e.digest(ptr + done, Math.min(CALL_BYTES, len - done), (at + done) / DIGEST_BLOCK, image)) | 0;
    sum[1] = (sum[1] + e.sum2()) | 0;
  }
}

/** A small memory of this thread's that bytes outside any WebAssembly memory are copied through. */
let staging: { memory: WasmMemory; bytes: Uint8Array } | null = null;

/** digestInMemory for bytes anywhere (64 KiB at a time, copied through `staging`). */
export function digestBytes(bytes: Uint8Array, at: number, image: number, sum: Uint32Array | Int32Array): void {
  if (staging === null) {
    const memory = createSharedWasmMemory(1, 1);
    if (memory === null) throw new Error('no memory for the image digest');
    staging = { memory, bytes: new Uint8Array(memory.buffer, 0, WASM_PAGE) };
  }
  for (let done = 0; done < bytes.byteLength; done += WASM_PAGE) {
    const n = Math.min(WASM_PAGE, bytes.byteLength - done);
    staging.bytes.set(bytes.subarray(done, done + n));
    digestInMemory(staging.memory, 0, n, at + done, image, sum);
  }
}
