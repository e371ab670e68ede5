// The load's helper checks a small set's level-0 links in WebAssembly (image-check.wat, matrix0)
// in its own scratch slot of the set's arena (image/set-batch.ts, image/link-check.ts). Its
// verdicts must be the JS pass's — the same sets refused, with the same problems — and when the
// slot is taken (a helper of an earlier load still stopping) or the set is too large for the
// slot, the JS pass must run instead.
import { describe, expect, onTestFinished, test } from 'vitest';
import { BatchVerdicts, checkSetBatch, type SetsJobMessage } from '../src/image/set-batch.js';
import { checkImages } from '../src/vset/image-load.js';
import { VectorSet } from '../src/vset/index.js';
import { HELPER_SCRATCH_SLOT, SCRATCH_BYTES, setThreadScratchSlot } from '../src/hnsw/arena.js';
import { H, R } from '../src/hnsw/layout.js';
import { Prng } from '../src/hnsw/prng.js';
import type { WasmMemory } from '../src/hnsw/platform.js';
import { enc, gauss } from './helpers/images.js';

function arenaSet(n: number, seed: number, dim = 8): VectorSet {
  const set = VectorSet.create({ dim, arena: true, seed });
  onTestFinished(() => set.dispose());
  const rng = new Prng(seed);
  for (let i = 0; i < n; i++) set.add(enc(`e${i}`), gauss(rng, dim));
  return set;
}

/** The set's arena and its memory (the handle a worker attaches with). */
function arenaOf(set: VectorSet): { arena: number; memory: WasmMemory } {
  const h = set.handle();
  if (h.kind !== 'vsetd.arena-set') throw new Error('not in an arena');
  return h;
}

const memoryOf = (set: VectorSet): WasmMemory => arenaOf(set).memory;

/** The helper's verdict on each set, checked where it lies (as a load's batch). */
function helperVerdicts(sets: VectorSet[]): Array<string | null> {
  const memories = new Map<number, WasmMemory>();
  const nums: number[] = [];
  for (const set of sets) {
    const im = set.images();
    const p = arenaOf(set);
    memories.set(p.arena, p.memory);
    nums.push(p.arena, im.records.byteOffset, im.records.byteLength, im.heap.byteOffset, im.heap.byteLength);
  }
  const job: SetsJobMessage = { kind: 'sets', batch: 0, memories: [], sets: nums, status: new Int32Array(2) };
  const back = new BatchVerdicts(checkSetBatch(job, memories, checkImages), sets.length);
  return sets.map((_, i) => back.problem(i));
}

/** The JS check's verdict on copies of the set's images. */
function jsVerdict(set: VectorSet): string | null {
  const im = set.images();
  const c = checkImages(im.records.slice(), im.heap.slice());
  return c.ok ? null : (c.problems[0] ?? 'refused');
}

/** The helper's scratch slot of the set's arena, as words (word 0 is its lock). */
const helperSlot = (set: VectorSet): Int32Array => new Int32Array(memoryOf(set).buffer, HELPER_SCRATCH_SLOT * SCRATCH_BYTES, SCRATCH_BYTES / 4);

/** Level-0 list access of a set's records, in place. */
function lists(set: VectorSet) {
  const r = set.images().records;
  const w = new Int32Array(r.buffer, r.byteOffset, r.byteLength >>> 2);
  const stride = w[H.STRIDE]!;
  const recBase = w[H.REC_BASE]!;
  const linkOff = R.VEC + w[H.VEC_BYTES]!;
  const hw = w[H.HIGH_WATER]!;
  const meta = (s: number): number => (recBase + s * stride) >>> 2;
  const link = (s: number, i: number): number => (recBase + s * stride + linkOff) / 4 + i;
  const count = (s: number): number => w[meta(s)]! & 0xffff;
  return { w, hw, meta, link, count };
}

type Damage = (set: VectorSet) => void;
const damages: Array<[string, Damage]> = [
  ['a link out of bounds', (set) => {
    const { w, hw, link } = lists(set);
    w[link(3, 0)] = hw + 5;
  }],
  ['a negative link', (set) => {
    const { w, link } = lists(set);
    w[link(2, 1)] = -7;
  }],
  ['a link to itself', (set) => {
    const { w, link } = lists(set);
    w[link(4, 0)] = 4;
  }],
  ['a link twice in a list', (set) => {
    const { w, link } = lists(set);
    w[link(5, 1)] = w[link(5, 0)]!;
  }],
  ['a link one way only, to a later slot', (set) => oneWay(set, (t, s) => t > s)],
  ['a link one way only, to an earlier slot', (set) => oneWay(set, (t, s) => t < s)],
];

/** Takes s out of the list of a neighbour t that `pick` accepts (the list stays packed): s → t is then one way. */
function oneWay(set: VectorSet, pick: (t: number, s: number) => boolean): void {
  const { w, meta, link, count } = lists(set);
  const s = 6;
  let t = -1;
  for (let i = 0; i < count(s) && t < 0; i++) if (pick(w[link(s, i)]!, s)) t = w[link(s, i)]!;
  if (t < 0) throw new Error('no such neighbour: pick another slot');
  const kept: number[] = [];
  for (let i = 0; i < count(t); i++) if (w[link(t, i)] !== s) kept.push(w[link(t, i)]!);
  kept.forEach((x, i) => (w[link(t, i)] = x));
  w[meta(t)] = (w[meta(t)]! & ~0xffff) | kept.length;
}

describe('small sets checked in their arena by the load helper (matrix0)', () => {
  test('sound sets pass, and the check ran in the helper slot', () => {
    const sets = [arenaSet(30, 1), arenaSet(1, 2), arenaSet(64, 3), arenaSet(200, 4)];
    const slot = helperSlot(sets[0]!);
    slot.fill(0);
    expect(helperVerdicts(sets)).toEqual([null, null, null, null]);
    // The last set's matrix is left in the slot (it is zeroed before each use), the lock free.
    expect(slot[0]).toBe(0);
    expect(slot.subarray(1).some((x) => x !== 0)).toBe(true);
  });

  test.each(damages)('%s is refused with the JS pass\'s problem', (_, damage) => {
    const sound = arenaSet(40, 11);
    const damaged = arenaSet(40, 12);
    damage(damaged);
    const expected = jsVerdict(damaged);
    expect(expected).not.toBeNull();
    expect(helperVerdicts([sound, damaged, arenaSet(40, 13)])).toEqual([null, expected, null]);
  });

  test('a slot held by another helper, or a set too large for it, takes the JS pass', () => {
    const damaged = arenaSet(40, 21);
    damages[5]![1](damaged);
    const expected = jsVerdict(damaged);
    const slot = helperSlot(damaged);
    slot.fill(0);
    slot[0] = 12345;
    expect(helperVerdicts([arenaSet(40, 22), damaged])).toEqual([null, expected]);
    expect(slot[0]).toBe(12345);
    expect(slot.subarray(1).every((x) => x === 0)).toBe(true);
    slot[0] = 0;
    // 240 slots: past the 224 whose matrix fits the slot.
    const large = arenaSet(240, 23, 4);
    expect(lists(large).hw).toBeGreaterThan(224);
    slot.fill(0);
    expect(helperVerdicts([large])).toEqual([null]);
    expect(slot.every((x) => x === 0)).toBe(true);
    damages[3]![1](large);
    expect(helperVerdicts([large])).toEqual([jsVerdict(large)]);
  });

  test('no search worker can take the helper slot', () => {
    expect(() => setThreadScratchSlot(HELPER_SCRATCH_SLOT)).toThrow(/scratch slot 258 outside 0\.\.257/);
  });
});
