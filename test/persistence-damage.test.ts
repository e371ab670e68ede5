// Every single damaged byte of a snapshot holding a vector set is refused as damage, wherever it
// falls: the framing and small fields under the CRC-32s, the set's images under their digest
// (snapshot version 2 leaves them out of the CRCs, see image/image-digest.ts). In-process loads,
// so that hundreds of damaged files take a second.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Quant, VectorSet } from '../src/vset/index.js';
import { VectorSetValue } from '../src/vset/vector-set-value.js';
import '../src/vset/codec.js';
import { codecForType } from '../src/persistence/codecs.js';
import { loadSnapshotFile, writeSnapshotSync, type CapturedDataset } from '../src/persistence/snapshot.js';
import { CorruptDataError } from '../src/persistence/binary.js';
import { rng } from './helpers/rng.js';

describe('a snapshot with a vector set, one byte damaged', () => {
  test('is refused as damage for a damaged byte anywhere, and loads when sound', () => {
    const r = rng(31);
    const set = VectorSet.create({ dim: 12, quant: Quant.Q8, M: 6 });
    for (let i = 0; i < 300; i++) set.add(Buffer.from(`e${i}`), Float32Array.from({ length: 12 }, () => r() - 0.5), i % 4 === 0 ? { attr: Buffer.from(`{"i":${i}}`) } : {});
    const vset = codecForType('vectorset');
    const ds: CapturedDataset = {
      keys: [{ db: 0, key: 'vs', expireAt: 0, typeId: vset.typeId, value: vset.capture(new VectorSetValue(set)) }],
      aux: [['vsetd-ver', 'test']],
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-damage-'));
    const file = path.join(dir, 'dump.vsdb');
    writeSnapshotSync(file, ds);
    const good = fs.readFileSync(file);
    const sound = loadSnapshotFile(file, 16);
    expect(sound.keys.map((k) => k.key)).toEqual(['vs']);
    expect(((sound.keys[0]!.value as VectorSetValue).engine).card).toBe(300);
    for (const k of sound.keys) k.value.release?.();
    // Every byte of the first 200 (header, framing, lengths, digest, the records' header) and of
    // the last 40 (end of the heap, record CRC, trailer), and 300 others at random.
    const positions = new Set<number>();
    for (let i = 0; i < 200; i++) positions.add(i);
    for (let i = good.length - 40; i < good.length; i++) positions.add(i);
    while (positions.size < 540) positions.add(Math.floor(r() * good.length));
    const reasons = new Map<string, number>();
    for (const at of positions) {
      const bad = Buffer.from(good);
      bad[at]! ^= 1 << Math.floor(r() * 8);
      fs.writeFileSync(file, bad);
      let message = '';
      try {
        const loaded = loadSnapshotFile(file, 16);
        for (const k of loaded.keys) k.value.release?.();
      } catch (e) {
        expect(e, `byte ${at}`).toBeInstanceOf(CorruptDataError);
        message = (e as Error).message;
      }
      expect(message, `byte ${at} of ${good.length}`).not.toBe('');
      const key = message.replace(/[0-9]+/g, '#').slice(0, 60);
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
    // Most are checksum or digest mismatches; a damaged length or opcode may be named as such.
    const mismatches = [...reasons].filter(([m]) => m.includes('checksum mismatch')).reduce((a, [, n]) => a + n, 0);
    expect(mismatches).toBeGreaterThan(positions.size * 0.9);
    fs.rmSync(dir, { recursive: true });
  });
});
