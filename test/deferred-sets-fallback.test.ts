// Small sets read into arena blocks during a load are checked in batches on the load's helper
// thread (vset/deferred-sets.ts). When the helper's verdicts for a batch do not fit it — a helper
// bug, not damage in the file — the loading thread must check that batch itself and adopt the
// same sets it would have adopted alone, and must not count them as the helper's. A helper that
// reports the batch as not delivered is the same case. This drives SetBatches with a stand-in
// helper that answers every batch that way, over real images in real arena blocks; and with one
// that falls far behind, whose batches not yet begun the loading thread takes from the end back.
import { describe, expect, test } from 'vitest';
import { MessagePort } from 'node:worker_threads';
import { VectorSet } from '../src/vset/index.js';
import { VectorSetValue } from '../src/vset/vector-set-value.js';
import { SetBatches } from '../src/vset/deferred-sets.js';
import { JOB_CANCELLED, JOB_DONE, JOB_POSTED, JOB_RUNNING, type CheckHelper } from '../src/image/check-helper.js';
import type { SetsJobMessage, SetsVerdictMessage } from '../src/image/set-batch.js';
import { H, type ArenaPlace } from '../src/hnsw/layout.js';
import { arenaSpace } from '../src/hnsw/arena.js';
import { allocPlaceBytes } from '../src/vset/placement.js';
import type { PendingValue } from '../src/persistence/codecs.js';
import { rng } from './helpers/rng.js';

type Answer = 'too few verdicts' | 'too many verdicts' | 'not delivered';

/** A helper that takes every batch, marks it done, and answers it wrongly. */
function wrongHelper(answer: Answer): { helper: CheckHelper; batches: number } {
  let port: MessagePort | null = null;
  const seen = { batches: 0 };
  const stub = {
    setsDelivered: 0,
    submitSets(job: SetsJobMessage): void {
      seen.batches++;
      port ??= job.port ?? null;
      const sets = job.sets.length / 5;
      // A passed set's packed verdict is six numbers; these describe none, or one set too many.
      const facts = answer === 'too many verdicts' ? new Int32Array((sets + 1) * 6).fill(1).map((v, i) => (i % 6 >= 4 ? 0 : v)) : new Int32Array(0);
      const message: SetsVerdictMessage = { batch: job.batch, facts, problems: [] };
      if (answer !== 'not delivered') port!.postMessage(message);
      job.status[1] = answer === 'not delivered' ? -1 : 1;
      Atomics.store(job.status, 0, JOB_DONE);
    },
    await: (job: SetsJobMessage): boolean => Atomics.load(job.status, 0) === JOB_DONE,
    awaitPickup: (): void => {},
  };
  return {
    helper: stub as unknown as CheckHelper,
    get batches() {
      return seen.batches;
    },
  };
}

/** A set of `n` elements in an arena, as a SAVE would capture it. */
function tenantSet(seed: number, n: number): VectorSet {
  const r = rng(seed);
  const set = VectorSet.create({ dim: 8, arena: true, seed });
  for (let e = 0; e < n; e++) {
    const v = Float32Array.from({ length: 8 }, () => r() - 0.5);
    set.add(new TextEncoder().encode(`doc${e}`), v, { attr: e % 2 === 0 ? new TextEncoder().encode(`{"e":${e}}`) : undefined });
  }
  // Deleted elements leave limbo slots and heap gaps, which the adoption turns into free space.
  if (n > 3) set.remove(new TextEncoder().encode('doc1'));
  return set;
}

/** A set's images in an arena block: the block, and where its images lie in the arena's memory. */
interface Block {
  place: ArenaPlace;
  recordsAt: number;
  heapAt: number;
  records: Uint8Array;
  heapLen: number;
}

/** The images of `set` copied into a fresh arena block, as a snapshot load reads them there (vset/codec.ts). */
function readIntoBlock(set: VectorSet): Block {
  const img = set.images();
  const place = allocPlaceBytes(img.heap.byteLength, img.records.byteLength);
  // The block starts with the heap part; the records part follows it.
  const recordsAt = place.block + place.heapBytes;
  const bytes = arenaSpace.arena(place.arena).bytes;
  bytes.set(img.records, recordsAt);
  bytes.set(img.heap, place.block);
  return { place, recordsAt, heapAt: place.block, records: bytes.subarray(recordsAt, recordsAt + img.records.byteLength), heapLen: img.heap.byteLength };
}

/** The block's set queued for its check, as the loader queues it. */
function defer(batches: SetBatches, b: Block): PendingValue {
  return batches.deferAt(b.place, b.recordsAt, b.records.byteLength, b.heapAt, b.heapLen, (set) => new VectorSetValue(set));
}

describe('small sets whose helper verdicts do not fit their batch', () => {
  for (const answer of ['too few verdicts', 'too many verdicts', 'not delivered'] as const) {
    test(`${answer}: the loading thread checks the batches itself and adopts the same sets`, () => {
      const originals = Array.from({ length: 70 }, (_, k) => tenantSet(100 + k, 1 + (k % 9)));
      const h = wrongHelper(answer);
      const batches = new SetBatches(h.helper);
      const pending = originals.map((s) => defer(batches, readIntoBlock(s)));
      const values = pending.map((p) => p.settle() as VectorSetValue);
      // 70 sets: two full batches of 32 and the last 6, all answered wrongly.
      expect(h.batches).toBe(3);
      expect(h.helper.setsDelivered).toBe(0);
      values.forEach((v, k) => {
        const set = v.engine;
        const original = originals[k]!;
        expect(set.card, `set ${k}`).toBe(original.card);
        expect(set.validate(), `set ${k}`).toEqual([]);
        for (let e = 0; e < 1 + (k % 9); e++) {
          const name = new TextEncoder().encode(`doc${e}`);
          expect(set.lookup(name) >= 0, `set ${k} doc${e}`).toBe(original.lookup(name) >= 0);
        }
      });
      for (const s of originals) s.dispose();
      for (const v of values) v.engine.dispose();
    });
  }

  test('a damaged set in a batch the helper answered wrongly is refused by the loading thread, naming its problem', () => {
    const originals = [tenantSet(7, 5), tenantSet(8, 5), tenantSet(9, 5)];
    const h = wrongHelper('too few verdicts');
    const batches = new SetBatches(h.helper);
    const blocks = originals.map(readIntoBlock);
    // The second set's dimension word zeroed: its check must refuse it.
    new Int32Array(blocks[1]!.records.buffer, blocks[1]!.records.byteOffset, H.DIM + 1)[H.DIM] = 0;
    const pending = blocks.map((b) => defer(batches, b));
    expect((pending[0]!.settle() as VectorSetValue).engine.card).toBe(4);
    expect(() => pending[1]!.settle()).toThrow(/vector set image refused: .*dim/i);
    expect((pending[2]!.settle() as VectorSetValue).engine.card).toBe(4);
    for (const s of originals) s.dispose();
  });
});

/** A helper that begins only the first `begun` batches and finishes none (a starved thread). */
function starvedHelper(begun: number): { helper: CheckHelper; awaited: number[]; statuses: Int32Array[] } {
  const awaited: number[] = [];
  const statuses: Int32Array[] = [];
  const stub = {
    setsDelivered: 0,
    submitSets(job: SetsJobMessage): void {
      statuses.push(job.status);
      if (statuses.length <= begun) Atomics.store(job.status, 0, JOB_RUNNING);
    },
    // As CheckHelper.await: a batch not begun is cancelled; a begun one ends undelivered.
    await(job: SetsJobMessage): boolean {
      awaited.push(job.batch);
      if (Atomics.compareExchange(job.status, 0, JOB_POSTED, JOB_CANCELLED) === JOB_POSTED) return false;
      job.status[1] = -1;
      Atomics.store(job.status, 0, JOB_DONE);
      return true;
    },
    awaitPickup: (): void => {},
  };
  return { helper: stub as unknown as CheckHelper, awaited, statuses };
}

describe('the batches a helper far behind has not begun when the file is read', () => {
  for (const [ahead, taken] of [
    [2, 7],
    [7, 0],
  ] as const) {
    test(`helperAhead ${ahead}: the loading thread takes ${taken} of the 7 batches not begun, from the last one back`, () => {
      // 10 batches: the helper began the first 3 and will deliver none of them.
      const originals = Array.from({ length: 320 }, (_, k) => tenantSet(500 + k, 1 + (k % 4)));
      const h = starvedHelper(3);
      const batches = new SetBatches(h.helper, ahead);
      const pending = originals.map((s) => defer(batches, readIntoBlock(s)));
      const values = pending.map((p) => p.settle() as VectorSetValue);
      expect(h.statuses).toHaveLength(10);
      // Taken ones were cancelled before anything was awaited; the rest were awaited in order.
      expect(h.awaited).toEqual(Array.from({ length: 10 - taken }, (_, i) => i));
      expect(h.statuses.filter((s) => s[0] === JOB_CANCELLED)).toHaveLength(10 - 3);
      expect(h.helper.setsDelivered).toBe(0);
      values.forEach((v, k) => {
        expect(v.engine.card, `set ${k}`).toBe(originals[k]!.card);
        expect(v.engine.validate(), `set ${k}`).toEqual([]);
      });
      for (const s of originals) s.dispose();
      for (const v of values) v.engine.dispose();
    });
  }
});
