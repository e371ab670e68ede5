// Checking byte images of a set before they are adopted (VectorSet.fromImages/fromImageMemory),
// and the live set's own check (SetReader.validate): the graph half in src/image, the element
// half in elements.ts.

import { checkGraph } from '../image/image.js';
import { imageViews } from '../image/check-state.js';
import { SetCheck } from '../image/set-check.js';
import type { LinkStream, StagedHeap } from '../image/streamed-load.js';
import type { WasmMemory } from '../hnsw/platform.js';
import { checkElements, prepareElements } from '../image/element-check.js';
import { loadMark } from '../persistence/load-trace.js';

/** Run every check; an exception (there should be none) becomes a problem, never escapes. */
export function runChecks(c: SetCheck, recordsBytes: number, heapBytes: number): SetCheck {
  try {
    if (checkGraph(c, recordsBytes, heapBytes, checkElements, prepareElements)) c.reachability();
    loadMark('reachability');
  } catch (e) {
    c.fail(`check failed: ${(e as Error).message}`);
  }
  return c;
}

/**
 * `recordsMemory`: the WebAssembly memory the records image sits in (fromImageMemory), which the
 * check may use for scratch after the image (it zeroes it again before returning); `stagedHeap`:
 * where `heap` lies when the loader staged it (src/image/streamed-load.ts, StagedHeap).
 */
export function checkImages(records: Uint8Array, heap: Uint8Array, recordsMemory: WasmMemory | null = null, stream: LinkStream | null = null, stagedHeap: StagedHeap | null = null): SetCheck {
  if (!(records instanceof Uint8Array) || !(heap instanceof Uint8Array)) {
    const c = new SetCheck(imageViews(new Uint8Array(0), new Uint8Array(0)), true);
    c.fail('images must be byte arrays');
    return c;
  }
  const views = imageViews(records, heap);
  // The staged memory serves as the check memory only while the check reads the image in it.
  const c = new SetCheck(views, true, recordsMemory, stream, views.hu8 === heap ? stagedHeap : null);
  try {
    return runChecks(c, records.byteLength, heap.byteLength);
  } finally {
    c.clearScratch();
  }
}

