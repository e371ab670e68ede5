// The two pieces of the JavaScript platform the engine relies on that the project's TypeScript
// settings (lib ES2022, no DOM) do not describe: WebAssembly and growable SharedArrayBuffers.
//
// Both exist in Node 20 (V8 11.3). Instead of adding global declarations — which would clash the
// day someone adds "DOM" or "ES2024" to tsconfig — we describe the few members we use as local
// interfaces and reach the real objects through `globalThis` once, here.

/** The subset of `WebAssembly.Memory` we use. A shared one is structured-cloneable. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmModuleCtor {
  new (bytes: Uint8Array): object;
}
interface WasmInstanceCtor {
  new (module: object, imports: Record<string, Record<string, unknown>>): WasmInstance;
}
interface WasmMemoryCtor {
  new (descriptor: { initial: number; maximum: number; shared: boolean }): WasmMemory;
}
interface WasmNamespace {
  Module: WasmModuleCtor;
  Instance: WasmInstanceCtor;
  Memory: WasmMemoryCtor;
}

const wasm = (globalThis as unknown as { WebAssembly?: WasmNamespace }).WebAssembly;

/** True when this runtime has WebAssembly at all (Node always does; kept for clarity). */
export const hasWasm = wasm !== undefined;

export const WASM_PAGE = 65536;

/**
 * Items per call of the checks' long WebAssembly loops: V8 runs a function first as quickly
 * compiled baseline code and swaps in its optimised code only between calls, so a loop over a
 * million items in one call would run at baseline speed to its end (see src/image/warm-up.ts).
 */
export const CALL_CHUNK = 8192;
/** 4 GiB of 32-bit address space, in 64 KiB pages. */
export const WASM_MAX_PAGES = 65536;

export function compileWasm(bytes: Uint8Array): object {
  if (!wasm) throw new Error('WebAssembly is not available');
  return new wasm.Module(bytes);
}

export function instantiateWasm(module: object, imports: Record<string, Record<string, unknown>>): WasmInstance {
  if (!wasm) throw new Error('WebAssembly is not available');
  return new wasm.Instance(module, imports);
}

/**
 * A shared WebAssembly.Memory, by default with the full 4 GiB maximum. V8 reserves (does not
 * commit) the address range up front, so `grow` never moves or copies the data; the cost is
 * virtual address space: about 10 GiB per memory on x64 (4 GiB + guard region), i.e. roughly
 * 13,000 live memories per process. A work area that never grows passes its size as the maximum.
 * Returns null when the reservation fails, so callers can fall back.
 */
export function createSharedWasmMemory(initialPages: number, maximumPages = WASM_MAX_PAGES): WasmMemory | null {
  if (!wasm) return null;
  try {
    return new wasm.Memory({ initial: initialPages, maximum: maximumPages, shared: true });
  } catch {
    return null;
  }
}

export function isWasmMemory(x: unknown): x is WasmMemory {
  return wasm !== undefined && x instanceof (wasm.Memory as unknown as new () => object);
}

/** The members of a growable SharedArrayBuffer (ES2024) that we use. */
export interface GrowableSab extends SharedArrayBuffer {
  readonly growable: boolean;
  readonly maxByteLength: number;
  grow(newByteLength: number): void;
}

type GrowableSabCtor = new (byteLength: number, options: { maxByteLength: number }) => GrowableSab;

/**
 * A growable SharedArrayBuffer. Like the WebAssembly memory, V8 reserves `maxByteLength` of
 * address space and grows in place; typed arrays created *without* a length track the growth,
 * in every thread that holds the buffer.
 */
export function createGrowableSab(byteLength: number, maxByteLength: number): GrowableSab {
  return new (SharedArrayBuffer as unknown as GrowableSabCtor)(byteLength, { maxByteLength });
}

export function asGrowable(sab: SharedArrayBuffer): GrowableSab {
  const g = sab as GrowableSab;
  if (!g.growable) throw new TypeError('expected a growable SharedArrayBuffer');
  return g;
}
