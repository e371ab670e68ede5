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
import { loadSnapshotFile, writeSnapshotSync, type CapturedDataset, type CapturedKey } from '../src/persistence/snapshot.js';
import { loadedKeys, releaseLoaded } from '../src/persistence/loaded-keys.js';
import { CorruptDataError, crc32 } from '../src/persistence/binary.js';
import { decodeDump, encodeDump } from '../src/persistence/dump-payload.js';
import { StringValue } from '../src/keyspace/value.js';
import { rng } from './helpers/rng.js';
import { arenaSpace } from '../src/hnsw/arena.js';

describe('a snapshot with a vector set, one byte damaged', () => {
  test('is refused as damage for a damaged byte anywhere, and loads when sound', () => {
    const r = rng(31);
    const set = VectorSet.create({ dim: 12, quant: Quant.Q8, M: 6 });
    for (let i = 0; i < 300; i++) set.add(Buffer.from(`e${i}`), Float32Array.from({ length: 12 }, () => r() - 0.5), i % 4 === 0 ? { attr: Buffer.from(`{"i":${i}}`) } : {});
    const vset = codecForType('vectorset');
    const ds: CapturedDataset = {
      keys: [{ db: 0, key: 'vs', expireAt: 0, typeId: vset.typeId, value: vset.capture(new VectorSetValue(set)) }],
      count: 1,
      aux: [['vsetd-ver', 'test']],
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-damage-'));
    const file = path.join(dir, 'dump.vsdb');
    writeSnapshotSync(file, ds);
    const good = fs.readFileSync(file);
    const sound = loadSnapshotFile(file, 16);
    expect(loadedKeys(sound).map((k) => k.key)).toEqual(['vs']);
    expect(((loadedKeys(sound)[0]!.value as VectorSetValue).engine).card).toBe(300);
    releaseLoaded(sound);
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
        releaseLoaded(loadSnapshotFile(file, 16));
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

describe('a snapshot whose records are sound but say something impossible', () => {
  function write(keys: CapturedKey[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-records-'));
    const file = path.join(dir, 'dump.vsdb');
    writeSnapshotSync(file, { keys, count: keys.length, aux: [] });
    return file;
  }
  const str = codecForType('string');
  const value = (s: string) => str.capture(new StringValue(Buffer.from(s)));

  test('a key twice in one database is refused by name; the same key in two databases loads', () => {
    const twice = write([
      { db: 0, key: 'tenant:1', expireAt: 0, typeId: str.typeId, value: value('a') },
      { db: 0, key: 'other', expireAt: 0, typeId: str.typeId, value: value('b') },
      { db: 0, key: 'tenant:1', expireAt: 0, typeId: str.typeId, value: value('c') },
    ]);
    expect(() => loadSnapshotFile(twice, 16)).toThrow(/^key 'tenant:1' \(db 0\) appears twice/);
    const apart = write([
      { db: 0, key: 'tenant:1', expireAt: 0, typeId: str.typeId, value: value('a') },
      { db: 3, key: 'tenant:1', expireAt: 0, typeId: str.typeId, value: value('b') },
    ]);
    expect(loadedKeys(loadSnapshotFile(apart, 16)).map((k) => `${k.db}/${k.key}`)).toEqual(['0/tenant:1', '3/tenant:1']);
    // A long name is cut in the message; its bytes outside ASCII come back as they were (latin1).
    const long = `é${'x'.repeat(100)}`;
    const named = write([
      { db: 1, key: long, expireAt: 0, typeId: str.typeId, value: value('a') },
      { db: 1, key: long, expireAt: 0, typeId: str.typeId, value: value('b') },
    ]);
    expect(() => loadSnapshotFile(named, 16)).toThrow(`key '${long.slice(0, 64)}…' (db 1) appears twice`);
    const loaded = loadSnapshotFile(write([{ db: 1, key: long, expireAt: 0, typeId: str.typeId, value: value('a') }]), 16);
    expect(loadedKeys(loaded)[0]!.key).toBe(long);
    for (const f of [twice, apart, named]) fs.rmSync(path.dirname(f), { recursive: true });
  });

  test('a key of an unknown type is refused by name', () => {
    const file = write([{ db: 2, key: 'k', expireAt: 0, typeId: 99, value: value('a') }]);
    expect(() => loadSnapshotFile(file, 16)).toThrow("key 'k' (db 2): unknown type id 99");
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});

describe('a load that fails gives back the memory its values took', () => {
  test('arena blocks read for small sets before the damaged record are all free again, whichever check refuses it', () => {
    const r = rng(77);
    const sets: VectorSet[] = [];
    const vset = codecForType('vectorset');
    const keys: CapturedKey[] = [];
    for (let k = 0; k < 80; k++) {
      const set = VectorSet.create({ dim: 8, arena: true, seed: k + 1 });
      for (let e = 0; e < 1 + (k % 6); e++) set.add(Buffer.from(`e${e}`), Float32Array.from({ length: 8 }, () => r() - 0.5));
      sets.push(set);
      keys.push({ db: 0, key: `tenant:${k}`, expireAt: 0, typeId: vset.typeId, value: vset.capture(new VectorSetValue(set)) });
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-release-'));
    const file = path.join(dir, 'dump.vsdb');
    writeSnapshotSync(file, { keys, count: keys.length, aux: [] });
    const good = fs.readFileSync(file);
    // Key 60's frame: its name, then expire (8), type (1), payload and digested lengths (8 + 8),
    // the codec's version (4), two varint lengths, the digest (8), then the records image.
    const name = good.indexOf(Buffer.from('tenant:60'));
    const afterName = name + 'tenant:60'.length;
    const records = afterName + 8 + 1 + 16 + 4;
    const damages: Array<[string, number, RegExp]> = [
      ['its expiry (the record CRC refuses it, after its images were read)', afterName + 3, /checksum mismatch/],
      ['its records image (its digest refuses it)', records + 20 + 40, /checksum mismatch/],
      ['its stored digest (refused before its CRC is read)', records + 4, /checksum mismatch/],
    ];
    const live = (): number => arenaSpace.usage().live;
    const before = live();
    const sound = loadSnapshotFile(file, 16);
    expect(loadedKeys(sound)).toHaveLength(80);
    expect(live()).toBeGreaterThan(before);
    releaseLoaded(sound);
    expect(live()).toBe(before);
    // A key twice in a sound file: the first one's set, no longer in the load's map, goes back too.
    const twice = path.join(dir, 'twice.vsdb');
    writeSnapshotSync(twice, { keys: keys.map((k, i) => (i === 60 ? { ...k, key: 'tenant:59' } : k)), count: keys.length, aux: [] });
    expect(() => loadSnapshotFile(twice, 16)).toThrow(/^key 'tenant:59' \(db 0\) appears twice/);
    expect(live()).toBe(before);
    for (const [what, at, message] of damages) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x5a;
      fs.writeFileSync(file, bad);
      expect(() => loadSnapshotFile(file, 16), what).toThrow(message);
      expect(live(), what).toBe(before);
    }
    for (const s of sets) s.dispose();
    fs.rmSync(dir, { recursive: true });
  });
  test('a RESTORE payload whose checksum holds but whose images do not match their digest gives its block back', () => {
    const r = rng(78);
    const set = VectorSet.create({ dim: 8, arena: true, seed: 5 });
    for (let e = 0; e < 6; e++) set.add(Buffer.from(`e${e}`), Float32Array.from({ length: 8 }, () => r() - 0.5));
    const vset = codecForType('vectorset');
    const payload = Buffer.from(encodeDump(vset.capture(new VectorSetValue(set)), vset.typeId));
    // A byte of the records image (after type 1, version 4, two varint lengths, digest 8), then
    // the payload's own check made right again: only the image digest can refuse it.
    payload[1 + 4 + 2 + 8 + 40] ^= 0x5a;
    const body = payload.subarray(0, payload.length - 8);
    payload.writeUInt32LE(crc32(body), payload.length - 8);
    payload.writeUInt32LE(crc32(Buffer.from(body).reverse()), payload.length - 4);
    const before = arenaSpace.usage().live;
    expect(() => decodeDump(payload)).toThrow(/Bad data format/);
    expect(arenaSpace.usage().live).toBe(before);
    set.dispose();
  });
});
