// The snapshot reader's building blocks: crc32Combine (the file CRC from the records' CRCs) and
// FileReader (a file read as it is parsed, large fields straight into their destination), which
// must read exactly what BinaryReader reads from the same bytes, checksums included, whatever
// the window size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { BinaryReader, BinaryWriter, CorruptDataError, crc32Combine } from '../src/persistence/binary.js';
import { FileReader } from '../src/persistence/file-reader.js';
import { CaptureSlab } from '../src/persistence/codecs.js';
import { writevAllSync } from '../src/persistence/snapshot.js';
import { rng } from './helpers/rng.js';
import { collectDigest, collectPieces, pieceCrcs, piecesRead, takeReadPieces } from '../src/image/piece-crc.js';
import { DIGEST_BLOCK, digestBytes, digestInMemory, IMAGE_HEAP, IMAGE_RECORDS } from '../src/image/image-digest.js';
import { createSharedWasmMemory, type WasmMemory } from '../src/hnsw/platform.js';

function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

describe('crc32Combine', () => {
  test('equals the CRC of the concatenation, for any split', () => {
    const r = rng(11);
    for (const n of [0, 1, 2, 7, 64, 1000, 70_000]) {
      const a = randomBytes(r, Math.floor(r() * 3000));
      const b = randomBytes(r, n);
      const whole = zlib.crc32(Buffer.concat([a, b]));
      expect(crc32Combine(zlib.crc32(a), zlib.crc32(b), b.length), `|b| = ${n}`).toBe(whole);
    }
    // Lengths beyond 2^31 (no bytes needed: combining with the CRC of zeros is the same algebra).
    const zeros = new Uint8Array(1 << 20);
    const z = zlib.crc32(zeros);
    let acc = 0;
    for (let i = 0; i < 4; i++) acc = crc32Combine(acc, z, zeros.length);
    expect(acc).toBe(zlib.crc32(new Uint8Array(4 << 20)));
  });

  test('short lengths, whose powers are kept after first use, give the same answers the second time', () => {
    const r = rng(12);
    for (let round = 0; round < 2; round++) {
      for (const n of [1, 3, 60, 61, 1023, 1024, 1025]) {
        const a = randomBytes(r, 1 + Math.floor(r() * 200));
        const b = randomBytes(r, n);
        expect(crc32Combine(zlib.crc32(a), zlib.crc32(b), n), `round ${round}, |b| = ${n}`).toBe(zlib.crc32(Buffer.concat([a, b])));
      }
    }
  });
});

describe('FileReader', () => {
  /** Records of random fields, small and large, with the field values to expect. */
  function stream(seed: number): { bytes: Buffer; fields: Array<[string, number | Uint8Array]>; cuts: number[] } {
    const r = rng(seed);
    const w = new BinaryWriter();
    const fields: Array<[string, number | Uint8Array]> = [];
    const cuts: number[] = [];
    let at = 0;
    const push = (kind: string, v: number | Uint8Array, size: number): void => {
      fields.push([kind, v]);
      at += size;
    };
    for (let i = 0; i < 40; i++) {
      if (r() < 0.2) cuts.push(at);
      const k = Math.floor(r() * 6);
      if (k === 5) {
        // A key's name: length-prefixed, read as a latin1 string where it lies (some cross windows).
        const b = randomBytes(r, Math.floor(r() * (r() < 0.2 ? 300 : 30)));
        const before = w.length;
        w.bytes(b);
        push('text', b, w.length - before);
      } else if (k === 0) {
        const v = Math.floor(r() * 256);
        w.u8(v);
        push('u8', v, 1);
      } else if (k === 1) {
        const v = Math.floor(r() * 2 ** 32);
        w.u32(v);
        push('u32', v, 4);
      } else if (k === 2) {
        const v = Math.floor(r() * 2 ** 40);
        w.u64(v);
        push('u64', v, 8);
      } else if (k === 3) {
        const b = randomBytes(r, Math.floor(r() * 40));
        w.raw(b);
        push('raw', b, b.length);
      } else {
        // Large enough to cross several windows.
        const b = randomBytes(r, 1 + Math.floor(r() * 5000));
        w.raw(b);
        push('into', b, b.length);
      }
    }
    return { bytes: w.toBuffer(), fields, cuts };
  }

  /**
   * Reads the fields back with their checksums at each cut. `unchecked`: the large fields are read
   * with rawIntoUnchecked in pieces, their CRCs folded in later (as a streamed load's helper thread
   * does) — before the next cut, or before the next unchecked read once other fields were read.
   */
  function readAll(rd: BinaryReader, fields: Array<[string, number | Uint8Array]>, cuts: number[], start: number, unchecked = false): number[] {
    const crcs: number[] = [];
    let pieces: Uint8Array[] = [];
    let readOn = false;
    const fold = (): void => {
      for (const p of pieces) rd.foldPieceCrc(zlib.crc32(p), p.length);
      pieces = [];
      readOn = false;
    };
    for (const [kind, v] of fields) {
      if (cuts.includes(rd.pos - start)) {
        fold();
        crcs.push(rd.segmentCrc(), rd.crcAll());
        rd.mark();
      }
      if (kind === 'into' && unchecked) {
        if (readOn) fold();
        const into = new Uint8Array((v as Uint8Array).length);
        for (let at = 0, k = 1; at < into.length; at += k, k *= 3) {
          const piece = into.subarray(at, Math.min(into.length, at + k));
          rd.rawIntoUnchecked(piece);
          pieces.push(piece);
        }
        expect(Buffer.from(into).equals(v as Uint8Array)).toBe(true);
        continue;
      }
      if (pieces.length > 0) readOn = true;
      if (kind === 'u8') expect(rd.u8()).toBe(v);
      else if (kind === 'u32') expect(rd.u32()).toBe(v);
      else if (kind === 'u64') expect(rd.u64()).toBe(v);
      else if (kind === 'text') expect(rd.latin1()).toBe(Buffer.from(v as Uint8Array).toString('latin1'));
      else if (kind === 'raw') expect(Buffer.from(rd.raw((v as Uint8Array).length)).equals(v as Uint8Array)).toBe(true);
      else {
        const into = new Uint8Array((v as Uint8Array).length);
        rd.rawInto(into);
        expect(Buffer.from(into).equals(v as Uint8Array)).toBe(true);
      }
    }
    fold();
    crcs.push(rd.segmentCrc(), rd.crcAll());
    return crcs;
  }

  test('reads what BinaryReader reads, with the same checksums, for any window size', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-binary-'));
    for (let seed = 1; seed <= 6; seed++) {
      const { bytes, fields, cuts } = stream(seed);
      const file = path.join(dir, `s${seed}`);
      fs.writeFileSync(file, bytes);
      const expected = readAll(new BinaryReader(bytes), fields, cuts, 0);
      expect(expected[expected.length - 1]).toBe(zlib.crc32(bytes));
      expect(readAll(new BinaryReader(bytes), fields, cuts, 0, true), `seed ${seed}, unchecked`).toEqual(expected);
      for (const window of [8, 13, 100, 4096, 1 << 20]) {
        for (const unchecked of [false, true]) {
          const fd = fs.openSync(file, 'r');
          try {
            const fr = new FileReader(fd, bytes.length, window);
            expect(readAll(fr, fields, cuts, 0, unchecked), `seed ${seed}, window ${window}, unchecked ${unchecked}`).toEqual(expected);
            expect(fr.remaining).toBe(0);
          } finally {
            fs.closeSync(fd);
          }
        }
      }
    }
    fs.rmSync(dir, { recursive: true });
  });

  test('bytes read unchecked: no checksum until their CRCs are folded in, in order and in full', () => {
    const bytes = Buffer.from(Array.from({ length: 64 }, (_, i) => i * 7));
    {
      const rd = new BinaryReader(bytes);
      rd.u32();
      const a = new Uint8Array(10);
      const b = new Uint8Array(6);
      rd.rawIntoUnchecked(a);
      rd.rawIntoUnchecked(b);
      rd.u32();
      expect(() => rd.segmentCrc()).toThrow(/not folded/);
      expect(() => rd.rawIntoUnchecked(new Uint8Array(2))).toThrow(/must follow each other/);
      expect(() => rd.foldPieceCrc(zlib.crc32(a), 17)).toThrow(/not read unchecked/);
      rd.foldPieceCrc(zlib.crc32(a), a.length);
      expect(() => rd.segmentCrc()).toThrow(/not folded/);
      rd.foldPieceCrc(zlib.crc32(b), b.length);
      expect(rd.segmentCrc()).toBe(zlib.crc32(bytes.subarray(0, 24)));
      // A CRC folded for the wrong bytes gives a wrong checksum (the load then refuses the file).
      const rd2 = new BinaryReader(bytes);
      rd2.rawIntoUnchecked(new Uint8Array(8));
      rd2.foldPieceCrc(zlib.crc32(bytes.subarray(1, 9)), 8);
      expect(rd2.segmentCrc()).not.toBe(zlib.crc32(bytes.subarray(0, 8)));
    }
  });

  test('digested bytes: in no CRC, for a reader in memory or over a file, and only at the end of a writer', () => {
    const w = new BinaryWriter().u32(7).varint(300);
    const image = randomBytes(rng(3), 100_000);
    const small = Buffer.from([1, 2, 3]);
    w.digested(image).digested(small);
    expect(() => w.u8(1)).toThrow(/only digested bytes/);
    expect(() => w.raw(new Uint8Array(70_000))).toThrow(/only digested bytes/);
    expect(w.digestedBytes).toBe(image.length + 3);
    const parts = w.take();
    expect(parts.slice(w.checkedInTaken)).toEqual([image, small]);
    const head = Buffer.concat(parts.slice(0, w.checkedInTaken));
    expect(head.length).toBe(4 + 2);
    const all = Buffer.concat([head, image, small, Buffer.from([9, 9, 9, 9])]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-binary-'));
    const file = path.join(dir, 'digested');
    fs.writeFileSync(file, all);
    for (const rd of [new BinaryReader(all), new FileReader(fs.openSync(file, 'r'), all.length, 4096)]) {
      rd.mark();
      expect(rd.u32()).toBe(7);
      expect(rd.varint()).toBe(300);
      const a = new Uint8Array(image.length);
      rd.rawIntoDigested(a);
      expect(Buffer.from(a).equals(Buffer.from(image))).toBe(true);
      rd.skipDigested(3);
      expect(rd.digestedInSegment).toBe(image.length + 3);
      // The checksums are those of the other bytes, as if the digested ones were not there.
      expect(rd.segmentCrc()).toBe(zlib.crc32(head));
      expect(rd.crcAll()).toBe(zlib.crc32(head));
      expect(rd.u32()).toBe(0x09090909);
      expect(rd.crcAll()).toBe(zlib.crc32(Buffer.concat([head, Buffer.from([9, 9, 9, 9])])));
      rd.mark();
      expect(rd.digestedInSegment).toBe(0);
      if (rd instanceof FileReader) rd.close();
    }
    fs.rmSync(dir, { recursive: true });
  });

  test('digested bytes into a destination at an offset: through the window and straight from the file, nothing around them touched', () => {
    // A small set's images go into its block through a view of the whole arena (vset/codec.ts).
    const r = rng(11);
    const small = randomBytes(r, 3_000); // through the window
    const large = randomBytes(r, 200_000); // past the window's share: straight from the file, in slices
    const all = Buffer.concat([Buffer.from([5]), small, large, Buffer.from([6])]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-binary-'));
    const file = path.join(dir, 'at');
    fs.writeFileSync(file, all);
    for (const rd of [new BinaryReader(all), new FileReader(fs.openSync(file, 'r'), all.length, 4096)]) {
      const dest = new Uint8Array(new SharedArrayBuffer(300_000)).fill(0xee);
      rd.mark();
      expect(rd.u8()).toBe(5);
      rd.rawIntoDigestedAt(dest, 10_001, small.length);
      rd.rawIntoDigestedAt(dest, 50_003, large.length);
      expect(Buffer.from(dest.subarray(10_001, 10_001 + small.length)).equals(Buffer.from(small))).toBe(true);
      expect(Buffer.from(dest.subarray(50_003, 50_003 + large.length)).equals(Buffer.from(large))).toBe(true);
      const untouched = [...dest.subarray(0, 10_001), ...dest.subarray(10_001 + small.length, 50_003), ...dest.subarray(50_003 + large.length)];
      expect(untouched.every((b) => b === 0xee)).toBe(true);
      expect(rd.digestedInSegment).toBe(small.length + large.length);
      expect(rd.u8()).toBe(6);
      expect(rd.segmentCrc()).toBe(zlib.crc32(Buffer.from([5, 6])));
      // A destination too short is refused before anything is read.
      rd.pos = 1;
      expect(() => rd.rawIntoDigestedAt(dest, 299_000, small.length, 'the image')).toThrow(/the image: 3000 bytes at 299000 do not fit a destination of 300000/);
      expect(() => rd.rawIntoDigestedAt(dest, -1, 2)).toThrow(RangeError);
      expect(rd.pos).toBe(1);
      if (rd instanceof FileReader) rd.close();
    }
    fs.rmSync(dir, { recursive: true });
  });

  test('refuses to read past the end or the limit, naming the offset', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-binary-'));
    const file = path.join(dir, 'short');
    fs.writeFileSync(file, Buffer.from([1, 2, 3, 4, 5, 6]));
    const fr = FileReader.open(file);
    try {
      expect(fr.u32()).toBe(0x04030201);
      expect(() => fr.u32('a word')).toThrow(CorruptDataError);
      expect(() => fr.u32('a word')).toThrow(/truncated data: a word needs 4 bytes, 2 left \(at byte 4\)/);
      fr.end = 5;
      expect(() => fr.rawInto(new Uint8Array(2), 'the payload')).toThrow(/the payload needs 2 bytes, 1 left/);
      expect(fr.u8()).toBe(5);
    } finally {
      fr.close();
    }
    fs.rmSync(dir, { recursive: true });
  });
});

describe('piece checksums (a streamed load: the helper thread checksums pieces as they are read)', () => {
  test('every piece once, by either thread, in order; a piece the helper took and never finished is redone', () => {
    const r = rng(5);
    const image = new Uint8Array(new SharedArrayBuffer(10_000));
    image.set(randomBytes(r, image.length));
    const p = pieceCrcs(image, 3000);
    expect(p.state.length).toBe(4);
    const expected = [0, 1, 2, 3].map((k) => [zlib.crc32(image.subarray(k * 3000, Math.min(10_000, (k + 1) * 3000))), Math.min(3000, 10_000 - k * 3000)]);
    // Nothing is taken before it is read.
    takeReadPieces(p);
    expect(Array.from(p.state)).toEqual([0, 0, 0, 0]);
    piecesRead(p, 2);
    takeReadPieces(p);
    expect(Array.from(p.state)).toEqual([3, 3, 0, 0]);
    // Reporting the same pieces again keeps their state (they are not checksummed twice).
    piecesRead(p, 3);
    expect(Array.from(p.state)).toEqual([3, 3, 1, 0]);
    piecesRead(p, 4);
    // Piece 3 as taken by a helper that stopped before finishing it.
    p.state[3] = 2;
    expect(collectPieces(p, () => true)).toEqual(expected);
    // A wrong CRC a thread left behind would show: the collected values are the pieces' own.
    const q = pieceCrcs(image, 3000);
    piecesRead(q, 4);
    takeReadPieces(q);
    q.crcs[1] ^= 1;
    expect(collectPieces(q, () => true)[1]).not.toEqual(expected[1]);
  });
});

describe('image digest (format 2 of a vector set: its images checked apart from the CRCs)', () => {
  function memoryWith(bytes: Uint8Array): WasmMemory {
    const mem = createSharedWasmMemory(Math.ceil(bytes.length / 65536) + 1, 1024)!;
    new Uint8Array(mem.buffer).set(bytes);
    return mem;
  }
  const digestOf = (bytes: Uint8Array, image = IMAGE_RECORDS): [number, number] => {
    const sum = new Int32Array(2);
    digestBytes(bytes, 0, image, sum);
    return [sum[0], sum[1]];
  };

  test('in pieces, in any order, in place or copied: the same digest', () => {
    const r = rng(17);
    const bytes = randomBytes(r, 20 * DIGEST_BLOCK + 1234);
    const whole = digestOf(bytes);
    const mem = memoryWith(bytes);
    const pieces = new Int32Array(2);
    const starts = [0, 3, 4, 11, 19, 21].map((b) => b * DIGEST_BLOCK);
    for (let k = starts.length - 1; k >= 0; k--) {
      const from = starts[k]!;
      const to = Math.min(bytes.length, starts[k + 1] ?? bytes.length);
      digestInMemory(mem, from, to - from, from, IMAGE_RECORDS, pieces);
    }
    expect([pieces[0], pieces[1]]).toEqual(whole);
    expect(() => digestInMemory(mem, 100, 100, 100, IMAGE_RECORDS, pieces)).toThrow(/block boundary/);
  });

  test('any one flipped bit, two blocks swapped, a cut or another image give another digest (both words)', () => {
    const r = rng(19);
    const bytes = randomBytes(r, 3 * DIGEST_BLOCK + 100);
    const whole = digestOf(bytes);
    const differs = (d: [number, number]): boolean => d[0] !== whole[0] && d[1] !== whole[1];
    for (let i = 0; i < 3000; i++) {
      const at = i < 2000 ? Math.floor(r() * bytes.length) : bytes.length - 1 - (i % 100);
      const bit = 1 << Math.floor(r() * 8);
      bytes[at]! ^= bit;
      expect(differs(digestOf(bytes)), `bit ${bit} of byte ${at}`).toBe(true);
      bytes[at]! ^= bit;
    }
    const swapped = Buffer.concat([bytes.subarray(DIGEST_BLOCK, 2 * DIGEST_BLOCK), bytes.subarray(0, DIGEST_BLOCK), bytes.subarray(2 * DIGEST_BLOCK)]);
    expect(differs(digestOf(swapped))).toBe(true);
    expect(differs(digestOf(bytes.subarray(0, bytes.length - 4)))).toBe(true);
    expect(differs(digestOf(Buffer.concat([bytes, Buffer.alloc(4)])))).toBe(true);
    expect(differs(digestOf(bytes, IMAGE_HEAP))).toBe(true);
    expect(digestOf(bytes)).toEqual(whole);
  });

  test('digested pieces: every one once, by either thread; one the helper left unfinished is redone', () => {
    const r = rng(23);
    const image = randomBytes(r, 9 * DIGEST_BLOCK + 500);
    const mem = memoryWith(image);
    const view = new Uint8Array(mem.buffer, 2 * DIGEST_BLOCK, image.length - 2 * DIGEST_BLOCK);
    const p = pieceCrcs(view, 3 * DIGEST_BLOCK, { memory: mem, at: 2 * DIGEST_BLOCK });
    expect(p.state.length).toBe(3);
    piecesRead(p, 2);
    takeReadPieces(p);
    piecesRead(p, 3);
    // Piece 2 as taken by a helper that stopped before finishing it.
    p.state[2] = 2;
    const sum = new Int32Array(2);
    digestInMemory(mem, 0, 2 * DIGEST_BLOCK, 0, IMAGE_RECORDS, sum);
    collectDigest(p, () => true, sum);
    expect([sum[0], sum[1]]).toEqual(digestOf(image));
    expect(() => collectPieces(p, () => true)).toThrow(/collectDigest/);
  });
});

describe('writing a snapshot (BinaryWriter, writevAllSync, CaptureSlab)', () => {
  test('u64 fields round-trip up to 2^53 - 1; past it they are refused on both sides', () => {
    const values = [0, 1, 0xffffffff, 0x100000000, 0x1234567890ab, Number.MAX_SAFE_INTEGER];
    const w = new BinaryWriter();
    for (const v of values) w.u64(v);
    const bytes = w.toBuffer();
    expect(bytes.readBigUInt64LE(8 * 3)).toBe(0x100000000n);
    expect(bytes.readBigUInt64LE(8 * 5)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
    const rd = new BinaryReader(bytes);
    expect(values.map(() => rd.u64())).toEqual(values);
    const big = Buffer.alloc(8);
    big.writeBigUInt64LE(2n ** 53n);
    expect(() => new BinaryReader(big).u64('expire time')).toThrow(/expire time out of range/);
    for (const bad of [-1, 2 ** 53, 1.5]) expect(() => new BinaryWriter().u64(bad)).toThrow(RangeError);
  });

  test('latin1 strings are written as bytes() of their latin1 encoding, short or long, and read back', () => {
    const strings = ['', 'kb:0', 'tenant:\u00e9\u00ff\u0080', 'x'.repeat(300), '\u00e9'.repeat(65_535), 'k'.repeat(70_000)];
    const w = new BinaryWriter();
    const v = new BinaryWriter();
    for (const s of strings) {
      w.u8(7).latin1(s);
      v.u8(7).bytes(Buffer.from(s, 'latin1'));
    }
    const bytes = w.toBuffer();
    expect(bytes.equals(v.toBuffer())).toBe(true);
    const rd = new BinaryReader(bytes);
    for (const s of strings) {
      expect(rd.u8()).toBe(7);
      expect(rd.latin1()).toBe(s);
    }
  });

  test('a writer gives the same bytes however its fields fall across its growing first buffer and its chunks', () => {
    const r = rng(23);
    for (const sizes of [[1], [255, 2], [300], [60_000, 6_000], [65_535, 1, 70_000, 3], [10, 200_000, 10]]) {
      const w = new BinaryWriter();
      const expected: Uint8Array[] = [];
      for (const n of sizes) {
        const b = randomBytes(r, n);
        w.u8(n & 0xff).raw(b);
        expected.push(Uint8Array.of(n & 0xff), b);
      }
      w.u32(0xdeadbeef);
      expected.push(Uint8Array.of(0xef, 0xbe, 0xad, 0xde));
      const want = Buffer.concat(expected);
      expect(w.length).toBe(want.length);
      expect(Buffer.concat(w.finish()).equals(want), `sizes ${sizes.join(',')}`).toBe(true);
    }
  });

  test('one writer for many records (take, u64PairLater): each record the bytes a writer of its own gives', () => {
    // What encodeDataset does per key: a head, two lengths known only after the payload, checked
    // bytes, then digested ones; the next record goes on in the same buffers. The sizes move the
    // pair for later across the first buffer's growth and across cuts, and large raw fields are
    // referenced as chunks of their own.
    const r = rng(41);
    const w = new BinaryWriter();
    for (const [head, checked, images] of [
      [3, 300, [500, 20]],
      [250, 40, [0, 7]],
      [1, 70_000, [3]],
      [60_000, 5_000, [100_000, 1]],
      [2, 2, []],
      [65_530, 3, [65_536]],
    ] as Array<[number, number, number[]]>) {
      const h = randomBytes(r, head);
      const c = randomBytes(r, checked);
      const imgs = images.map((n) => randomBytes(r, n));
      w.raw(h).u64PairLater();
      const from = w.length;
      w.raw(c);
      for (const b of imgs) w.digested(b);
      w.fillU64Pair(w.length - from, w.digestedBytes);
      const parts = w.take();
      const lone = new BinaryWriter().raw(h);
      lone.u64(checked + images.reduce((a, n) => a + n, 0)).u64(images.reduce((a, n) => a + n, 0)).raw(c);
      const want = lone.finish();
      const label = `head ${head}, checked ${checked}, images ${images.join(',')}`;
      // The checked chunks lead, then each non-empty image as a chunk of its own, the same memory.
      expect(Buffer.concat(parts.slice(0, w.checkedInTaken)).equals(Buffer.concat(want)), label).toBe(true);
      const digestedParts = parts.slice(w.checkedInTaken);
      expect(digestedParts).toEqual(imgs.filter((b) => b.length > 0));
      for (const [i, b] of imgs.filter((x) => x.length > 0).entries()) expect(digestedParts[i]!.buffer).toBe(b.buffer);
    }
    // The pair is filled once; no digested bytes stay counted after a take.
    expect(() => w.fillU64Pair(1, 1)).toThrow(/no u64 pair/);
    expect(w.digestedBytes).toBe(0);
    expect(() => new BinaryWriter().digested(Uint8Array.of(1)).u8(1)).toThrow(/only digested bytes/);
  });

  test('writevAllSync writes every byte in order when each write takes only part of them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-writev-'));
    try {
      const r = rng(29);
      const chunks = Array.from({ length: 1500 }, (_, i) => randomBytes(r, i % 7 === 0 ? 0 : Math.floor(r() * 300)));
      const whole = Buffer.concat(chunks);
      for (const most of [1, 7, 1000, 1 << 30]) {
        const file = path.join(dir, `f${most}`);
        const fd = fs.openSync(file, 'w');
        let calls = 0;
        // Writes at most `most` bytes of what it is given, as a kernel may.
        const partial = (f: number, parts: Uint8Array[]): number => {
          // Each call writes at least a byte of what is left: more calls than bytes is a loop.
          if (++calls > whole.length + chunks.length) throw new Error('writevAllSync makes no progress');
          expect(parts.length).toBeLessThanOrEqual(1024);
          return fs.writeSync(f, Buffer.concat(parts).subarray(0, most));
        };
        writevAllSync(fd, [...chunks], partial);
        fs.closeSync(fd);
        expect(fs.readFileSync(file).equals(whole), `at most ${most} bytes per write`).toBe(true);
        if (most === 1 << 30) expect(calls).toBe(3); // 512 chunks per call
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a capture slab copies: later changes to the source reach no copy, and copies do not overlap', () => {
    const slab = new CaptureSlab();
    const r = rng(31);
    const sources = Array.from({ length: 4000 }, (_, i) => randomBytes(r, i === 17 ? 3 * 1024 * 1024 : Math.floor(r() * 9000)));
    const originals = sources.map((s) => Buffer.from(s));
    const copies = sources.map((s) => slab.copy(s));
    for (const s of sources) s.fill(0xaa);
    copies.forEach((c, i) => {
      expect(Buffer.from(c).equals(originals[i]!), `copy ${i}`).toBe(true);
      expect(c.byteOffset % 8).toBe(0);
    });
    // Small copies share slabs; the large one has a buffer of its own.
    expect(new Set(copies.map((c) => c.buffer)).size).toBeLessThan(copies.length / 100);
    expect(copies[17]!.byteOffset).toBe(0);
    expect(copies[17]!.buffer.byteLength).toBe(3 * 1024 * 1024);
  });
});
