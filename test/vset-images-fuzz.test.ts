// Loading byte images is a gate for arbitrary bytes (see vset-images.test.ts): thousands of
// seeded random corruptions of each base set give a clear refusal or a sound set, never another
// exception, a crash or a hang; the JS-only check (validateImages) agrees with the load every time.
import { describe, expect, onTestFinished, test } from 'vitest';
import { VectorSet } from '../src/vset/index.js';
import { Prng } from '../src/hnsw/prng.js';
import { H } from '../src/hnsw/layout.js';
import { heapChecksInJsFrom } from '../src/image/load-scope.js';
import { bases, exercise, FUZZ_SEED, load, setWord, word, type Base } from './helpers/images.js';

describe('random corruption: a clear refusal or a sound set, never a crash or a hang', () => {
  const ROUNDS = 1500;
  const WORDS = [0, 1, -1, 2, 7, 8, 0x7fffffff, -0x80000000, 0xffff, 0x10000, 0x01000000, 0x02000000, 0x04000000];

  function corrupt(base: Base, rng: Prng): { records: Uint8Array; heap: Uint8Array; what: string } {
    let records = base.records.slice();
    let heap = base.heap.slice();
    const pick = (): Uint8Array => (rng.float() < 0.6 ? records : heap);
    const roll = rng.int(6);
    switch (roll) {
      case 0: {
        // Bit flips anywhere.
        const t = pick();
        const n = 1 + rng.int(8);
        for (let i = 0; i < n; i++) t[rng.int(t.length)] ^= 1 << rng.int(8);
        return { records, heap, what: `${n} bit flips` };
      }
      case 1: {
        // A word overwritten with a boundary value (or a plausible slot / heap offset).
        const t = pick();
        const w = rng.int(t.length >>> 2);
        const hw = word(base.records, H.HIGH_WATER);
        const values = [...WORDS, hw, hw - 1, hw + 1, base.heap.length, base.heap.length - 8, rng.int(hw), rng.int(base.heap.length) & ~7];
        const x = values[rng.int(values.length)];
        setWord(t, w, x);
        return { records, heap, what: `word ${w} of ${t === records ? 'records' : 'heap'} = ${x}` };
      }
      case 2: {
        // A header word, where every field lives.
        const w = rng.int(256);
        setWord(records, w, WORDS[rng.int(WORDS.length)] ^ (rng.float() < 0.5 ? word(records, w) : 0));
        return { records, heap, what: `header word ${w}` };
      }
      case 3: {
        // Truncation (or extension) of either image.
        const cut = rng.float() < 0.5;
        if (rng.float() < 0.5) {
          const len = cut ? rng.int(records.length) : records.length + 1 + rng.int(64);
          const r = new Uint8Array(len);
          r.set(records.subarray(0, Math.min(len, records.length)));
          records = r;
        } else {
          const len = cut ? rng.int(heap.length) : heap.length + 1 + rng.int(64);
          const h = new Uint8Array(len);
          h.set(heap.subarray(0, Math.min(len, heap.length)));
          heap = h;
        }
        return { records, heap, what: cut ? 'truncated' : 'extended' };
      }
      case 4: {
        // Two regions swapped.
        const t = pick();
        const len = 4 * (1 + rng.int(32));
        const a = rng.int(Math.max(1, t.length - len)) & ~3;
        const b = rng.int(Math.max(1, t.length - len)) & ~3;
        const tmp = t.slice(a, a + len);
        t.copyWithin(a, b, b + len);
        t.set(tmp.subarray(0, Math.min(len, t.length - b)), b);
        return { records, heap, what: `swapped ${len} bytes at ${a} and ${b}` };
      }
      default: {
        // A node record's link or meta word, or a name-table entry.
        if (rng.float() < 0.5) {
          const stride = word(records, H.STRIDE);
          const recBase = word(records, H.REC_BASE);
          const hw = word(records, H.HIGH_WATER);
          const slot = rng.int(hw);
          const off = recBase + slot * stride + 4 * rng.int(stride / 4);
          setWord(records, off / 4, rng.float() < 0.5 ? rng.int(hw + 2) - 1 : WORDS[rng.int(WORDS.length)]);
          return { records, heap, what: `record ${slot} word` };
        }
        const table = word(records, H.NAME_TABLE);
        const cap = word(heap, table / 4);
        const i = rng.int(2 * cap);
        setWord(heap, table / 4 + i, rng.float() < 0.5 ? rng.int(heap.length) & ~7 : WORDS[rng.int(WORDS.length)]);
        return { records, heap, what: `name table word ${i}` };
      }
    }
  }

  // Images this small run the heap-side checks in WebAssembly over a copy of the heap; large sets
  // run them in JS after records0 (src/image/records-check.ts, recordsFast): both against the JS-only check.
  for (const [base, path] of bases.flatMap((b) => [[b, 'heap checks in WebAssembly'], [b, 'heap checks in JS']] as const)) {
    test(`${base.label}, ${path}: ${ROUNDS} corruptions`, () => {
      const previous = heapChecksInJsFrom(path === 'heap checks in JS' ? 0 : 262_144);
      onTestFinished(() => {
        heapChecksInJsFrom(previous);
      });
      const rng = new Prng(base.label.length * 7919 + FUZZ_SEED);
      let accepted = 0;
      const reasons = new Map<string, number>();
      for (let round = 0; round < ROUNDS; round++) {
        const { records, heap, what } = corrupt(base, rng);
        const result = load(records, heap);
        expect(VectorSet.validateImages(records, heap), `FUZZ_SEED=${FUZZ_SEED} round ${round}: ${what}`).toBe(typeof result === 'string' ? result : null);
        if (typeof result === 'string') {
          const key = result.replace(/[0-9]+/g, '#').slice(0, 40);
          reasons.set(key, (reasons.get(key) ?? 0) + 1);
          continue;
        }
        accepted++;
        exercise(result, rng);
      }
      // Both outcomes occur: flips in vector bytes are harmless, most others are caught.
      if (process.env.FUZZ_REPORT) console.log(base.label, accepted, [...reasons].sort((a, b) => b[1] - a[1]));
      expect(accepted).toBeGreaterThan(20);
      expect(reasons.size).toBeGreaterThan(10);
    });
  }
});
