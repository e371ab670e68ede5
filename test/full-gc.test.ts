import { describe, expect, it } from 'vitest';
import { fullGc } from '../src/server/full-gc.js';

describe('fullGc (MEMORY PURGE)', () => {
  it('leaves no dropped buffer counted in process.memoryUsage().arrayBuffers', () => {
    fullGc();
    const before = process.memoryUsage().arrayBuffers;
    // Many small buffers, as a burst of writes or a SAVE leaves behind: a single collection
    // frees them only once its concurrent sweeper is done, and they stay counted until then.
    let keep: Uint8Array[] | null = Array.from({ length: 20_000 }, () => new Uint8Array(4096));
    expect(process.memoryUsage().arrayBuffers).toBeGreaterThan(before + 70e6);
    keep.length = 0;
    keep = null;
    fullGc();
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(before + 4e6);
  });
});
