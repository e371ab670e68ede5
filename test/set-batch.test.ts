// The verdicts of a batch of small sets' checks travel from the load's helper as packed numbers
// (image/set-batch.ts): what the loading thread reads back for each set must be what the helper
// found — passed sets' facts with their limbo slots and heap gaps, refused sets' problems — and
// verdicts that do not fit the batch must be refused, so the batch is checked on the loading thread.
import { describe, expect, test } from 'vitest';
import { BatchVerdicts, VerdictPacker } from '../src/image/set-batch.js';

/** A set's verdict as the helper's check found it: the problem that refuses it, or the facts adoption needs. */
type Verdict = { problem: string } | { problem: null; stride: number; recBase: number; deleted: number[]; liveHeapBytes: number; upperBytes: number; gaps: number[] };

/** The helper's side: each verdict packed as its set's check ends (a passed one from a CheckedImage). */
function packVerdicts(batch: number, verdicts: readonly Verdict[]) {
  const packer = new VerdictPacker();
  for (const v of verdicts) {
    if (v.problem !== null) packer.refuse(v.problem);
    else packer.pass({ stride: v.stride, recBase: v.recBase, deleted: v.deleted, liveHeapBytes: v.liveHeapBytes, upperBytes: v.upperBytes, gaps: () => v.gaps });
  }
  return packer.message(batch);
}

describe('packed set verdicts', () => {
  const verdicts: Verdict[] = [
    { problem: null, stride: 208, recBase: 896, deleted: [], liveHeapBytes: 4096, upperBytes: 120, gaps: [] },
    { problem: 'node 3 level 0: link to 9 is not reciprocated' },
    { problem: null, stride: 336, recBase: 896, deleted: [4, 17, 2], liveHeapBytes: 70000, upperBytes: 0, gaps: [64, 128, 512, 520] },
    { problem: 'name table: 2 entries for one name' },
    { problem: null, stride: 80, recBase: 1024, deleted: [0], liveHeapBytes: 2 ** 31 - 1, upperBytes: 8, gaps: [] },
  ];

  test('each set reads back as the helper found it', () => {
    const m = packVerdicts(7, verdicts);
    expect(m.batch).toBe(7);
    const back = new BatchVerdicts(structuredClone(m), verdicts.length);
    expect(back.length).toBe(5);
    verdicts.forEach((v, i) => {
      expect(back.problem(i), `set ${i}`).toBe(v.problem);
      if (v.problem !== null) return;
      const c = back.checked(i);
      expect({ stride: c.stride, recBase: c.recBase, deleted: c.deleted, liveHeapBytes: c.liveHeapBytes, upperBytes: c.upperBytes, gaps: c.gaps() }).toEqual({ ...v, problem: undefined, gaps: v.gaps });
    });
  });

  test('verdicts for fewer or more sets than the batch holds are refused', () => {
    const m = packVerdicts(1, verdicts);
    expect(() => new BatchVerdicts(m, verdicts.length + 1)).toThrow(/verdicts for 5 of 6 sets/);
    expect(() => new BatchVerdicts(m, verdicts.length - 1)).toThrow(/verdicts for more than 4 sets/);
    expect(new BatchVerdicts(packVerdicts(2, []), 0).length).toBe(0);
  });

  test('a batch whose lists outgrow the packer\'s first buffer reads back whole', () => {
    // 40 sets with 20 limbo slots and 10 gap bounds each: 1,440 numbers, past the first 384.
    const many: Verdict[] = Array.from({ length: 40 }, (_, k) =>
      k % 7 === 3
        ? { problem: `set ${k} refused` }
        : { problem: null, stride: 64 + k, recBase: 896, deleted: Array.from({ length: 20 }, (_, j) => k * 100 + j), liveHeapBytes: k * 1000, upperBytes: k, gaps: Array.from({ length: 10 }, (_, j) => 8 * (k + j)) },
    );
    const back = new BatchVerdicts(packVerdicts(3, many), many.length);
    many.forEach((v, i) => {
      expect(back.problem(i), `set ${i}`).toBe(v.problem);
      if (v.problem === null) {
        const c = back.checked(i);
        expect([c.stride, [...c.deleted], c.gaps()]).toEqual([v.stride, v.deleted, v.gaps]);
      }
    });
  });
});
