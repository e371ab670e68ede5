// A save captures the dataset before writing it. A save that serves clients while it writes
// (BGSAVE, an AOF rewrite) copies every value's bytes; one that writes the whole file before any
// other command runs (SAVE, SHUTDOWN, the first AOF base) reads them where they lie
// (captureDataset's 'in-place'). Both must write the same bytes, and only the copy may survive
// later changes to the sets.
import { describe, expect, test } from 'vitest';
import { Keyspace } from '../src/keyspace/keyspace.js';
import { StringValue } from '../src/keyspace/value.js';
import { VectorSet } from '../src/vset/index.js';
import { VectorSetValue } from '../src/vset/vector-set-value.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { captureDataset, encodeDataset, loadSnapshotFile, writeSnapshotAsync, writeSnapshotSync } from '../src/persistence/snapshot.js';
import { loadedKeys, releaseLoaded } from '../src/persistence/loaded-keys.js';
import '../src/vset/codec.js';
import { rng } from './helpers/rng.js';

function fill(set: VectorSet, seed: number, n: number, dim: number): void {
  const r = rng(seed);
  for (let e = 0; e < n; e++) {
    const v = Float32Array.from({ length: dim }, () => r() - 0.5);
    set.add(new TextEncoder().encode(`e${e}`), v, { attr: e % 3 === 0 ? new TextEncoder().encode(`{"e":${e}}`) : undefined });
  }
}

/** A keyspace with small sets in arenas (some with views, some without), a large set of its own, a string. */
function dataset(): { keyspace: Keyspace; sets: VectorSet[] } {
  const keyspace = new Keyspace(2);
  const sets: VectorSet[] = [];
  for (let k = 0; k < 40; k++) {
    const set = VectorSet.create({ dim: 16, arena: true, seed: k + 1 });
    fill(set, k, 1 + (k % 12), 16);
    if (k % 5 === 0) set.remove(new TextEncoder().encode('e0'));
    sets.push(set);
    keyspace.dbs[k % 2]!.add(`tenant:${k}`, new VectorSetValue(set));
  }
  const big = VectorSet.create({ dim: 64, seed: 99 });
  fill(big, 99, 300, 64);
  sets.push(big);
  keyspace.dbs[0]!.add('big', new VectorSetValue(big));
  keyspace.dbs[1]!.add('note', new StringValue(Buffer.from('a string beside the sets')));
  return { keyspace, sets };
}

const bytesOf = (chunks: Iterable<Uint8Array>): Buffer => Buffer.concat([...chunks]);

describe('the capture of a dataset for a save', () => {
  test("'in-place' writes the same bytes as 'copy'", () => {
    const { keyspace, sets } = dataset();
    const aux: Array<[string, string]> = [['ctime', '1']];
    const copied = bytesOf(encodeDataset(captureDataset(keyspace, aux, 'copy')));
    // The in-place capture takes no memory for the values' bytes: a copy of these would take an
    // 8 MiB slab (the collector can only make the difference smaller).
    const before = process.memoryUsage().arrayBuffers;
    const captured = captureDataset(keyspace, aux, 'in-place');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
    const inPlace = bytesOf(encodeDataset(captured));
    expect(inPlace.length).toBeGreaterThan(40 * 100);
    expect(inPlace.equals(copied)).toBe(true);
    for (const s of sets) s.dispose();
  });

  test("a 'copy' capture is not reached by later changes; an 'in-place' one reads the sets as they are", () => {
    const { keyspace, sets } = dataset();
    const before = bytesOf(encodeDataset(captureDataset(keyspace, [], 'copy')));
    const copied = captureDataset(keyspace, [], 'copy');
    const inPlace = captureDataset(keyspace, [], 'in-place');
    // A write to one small set after the capture: a new element's vector in place of an old one's.
    const target = sets[3]!;
    target.add(new TextEncoder().encode('e1'), Float32Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 1 : -1)));
    expect(bytesOf(encodeDataset(copied)).equals(before)).toBe(true);
    expect(bytesOf(encodeDataset(inPlace)).equals(before)).toBe(false);
    for (const s of sets) s.dispose();
  });
});

describe('the keys a capture holds', () => {
  test("'in-place' captures each key as it is reached, and counts what it will yield: live keys only, as 'copy'", () => {
    const { keyspace, sets } = dataset();
    keyspace.dbs[0]!.add('gone', new StringValue(Buffer.from('expired')), Date.now() - 1000);
    keyspace.dbs[1]!.add('later', new StringValue(Buffer.from('expires later')), Date.now() + 3_600_000);
    const copied = captureDataset(keyspace, [], 'copy');
    const inPlace = captureDataset(keyspace, [], 'in-place');
    const names = (ds: typeof copied): string[] => [...ds.keys].map((k) => `${k.db}:${k.key}`);
    expect(copied.count).toBe(43);
    expect(inPlace.count).toBe(43);
    expect(names(inPlace)).toEqual(names(copied));
    expect(names(inPlace)).not.toContain('0:gone');
    // Nothing is captured before the encoder asks: a key added after the capture is written too.
    keyspace.dbs[0]!.add('added', new StringValue(Buffer.from('after the capture')));
    expect(inPlace.count).toBe(44);
    expect(names(inPlace)).toContain('0:added');
    expect(names(copied)).not.toContain('0:added');
    for (const s of sets) s.dispose();
  });
});

describe('frames of many keys (one writer frames them all, several of its buffers)', () => {
  test('SAVE and BGSAVE write the same file while clients change the keys during the BGSAVE, and it loads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-frames-'));
    const { keyspace, sets } = dataset();
    // (The one set left empty by the dataset's removals would not load: Redis never stores one.)
    expect(keyspace.dbs[0]!.detach('tenant:0')).toBeDefined();
    // 4,000 keys with long names: ~400 KB of frames, six of the writer's 64 KiB buffers, and
    // more chunks than one writev batch takes, so the asynchronous writer awaits between them.
    for (let i = 0; i < 4000; i++) keyspace.dbs[i % 2]!.add(`key:${i}:${'n'.repeat(i % 90)}`, new StringValue(Buffer.from(`v${i}`.repeat(1 + (i % 7)))));
    try {
      const inPlace = path.join(dir, 'sync.vsdb');
      const background = path.join(dir, 'async.vsdb');
      writeSnapshotSync(inPlace, captureDataset(keyspace, [['a', 'b']], 'in-place'));
      const copied = captureDataset(keyspace, [['a', 'b']], 'copy');
      const written = writeSnapshotAsync(background, copied);
      // What clients do meanwhile reaches neither the capture nor the frames already handed out.
      for (let i = 0; i < 4000; i += 3) keyspace.dbs[i % 2]!.add(`key:${i}:${'n'.repeat(i % 90)}`, new StringValue(Buffer.from('changed')));
      sets[2]!.add(new TextEncoder().encode('late'), Float32Array.from({ length: 16 }, () => 0.25));
      await written;
      expect(fs.readFileSync(background).equals(fs.readFileSync(inPlace))).toBe(true);
      const loaded = loadSnapshotFile(background, 2);
      expect(loaded.keyCount).toBe(41 + 4000);
      expect(loadedKeys(loaded)).toHaveLength(41 + 4000);
      const k = loadedKeys(loaded).find((x) => x.key === `key:3999:${'n'.repeat(3999 % 90)}`)!;
      expect(Buffer.from((k.value as StringValue).data).toString()).toBe('v3999'.repeat(1 + (3999 % 7)));
      releaseLoaded(loaded);
    } finally {
      for (const s of sets) s.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a snapshot written over another (writeSnapshotSync)', () => {
  test('replaces it, and the replaced file is let go once the save has returned', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-replace-'));
    const target = path.join(dir, 'dump.vsdb');
    const { keyspace, sets } = dataset();
    try {
      // The first save has nothing to replace.
      const first = writeSnapshotSync(target, captureDataset(keyspace, [], 'in-place'));
      expect(fs.statSync(target).size).toBe(first);
      const replaced = fs.statSync(target).ino;
      keyspace.dbs[1]!.add('another', new StringValue(Buffer.from('x'.repeat(1000))));
      const second = writeSnapshotSync(target, captureDataset(keyspace, [], 'in-place'));
      expect(fs.statSync(target).ino).not.toBe(replaced);
      expect(fs.statSync(target).size).toBe(second);
      expect(second).toBeGreaterThan(first);
      // The replaced file was held open across the rename (so that freeing its blocks happens
      // off this thread) and closed asynchronously: no descriptor may stay on it.
      const heldOpen = (): boolean =>
        fs.readdirSync('/proc/self/fd').some((fd) => {
          try {
            return fs.readlinkSync(`/proc/self/fd/${fd}`) === `${target} (deleted)`;
          } catch {
            return false;
          }
        });
      for (let i = 0; i < 200 && heldOpen(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(heldOpen()).toBe(false);
    } finally {
      for (const s of sets) s.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
