// What the load in progress lends the image checks: its helper thread (set by the loader with
// useCheckHelper, read by the streamed load and by SetCheck), and the image size up to which the
// heap-side checks run in WebAssembly over a check memory (check-memory.ts) rather than in JS.

import type { CheckHelper } from './check-helper.js';

/** The helper thread of the load in progress (see check-helper.ts for when it pays). */
export let loadHelper: CheckHelper | null = null;
/**
 * Below these sizes the heap-side checks run in WebAssembly over a copy of the heap (see
 * recordsFast); the heap limit keeps the copy from doubling a large heap's memory during a load.
 */
let checkMemoryMaxNodes = 262_144;
const CHECK_MEMORY_MAX_HEAP = 64 * 1024 * 1024;

/** Whether an image of these sizes gets its heap-side checks in a check memory. */
export const usesCheckMemory = (hw: number, heapTop: number): boolean => hw < checkMemoryMaxNodes && heapTop <= CHECK_MEMORY_MAX_HEAP;

/**
 * For tests: the image size (nodes) from which the heap-side checks run in JS, as they do for
 * large sets; 0 makes every image take that path. Returns the previous value.
 */
export function heapChecksInJsFrom(nodes: number): number {
  const previous = checkMemoryMaxNodes;
  checkMemoryMaxNodes = nodes;
  return previous;
}

/** Lets image checks use `helper` until called again with null (the loader's scope). */
export function useCheckHelper(helper: CheckHelper | null): void {
  loadHelper = helper;
  if (helper === null) for (const f of loadEndHooks.splice(0)) f();
}

const loadEndHooks: Array<() => void> = [];

/** Runs `f` when the load in progress ends (state kept for one load only lets go there). */
export function whenLoadEnds(f: () => void): void {
  loadEndHooks.push(f);
}
