/**
 * Damaged vector-set payloads (issue 6, split from persistence-vset.test.ts): graphs damaged in
 * DUMP payloads and snapshot files are refused with a message, never a crash or a hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { MAIN, startServer, type RunningServer } from './helpers/server.js';
import { RawConnection, RespError } from './helpers/raw.js';
import { rng } from './helpers/rng.js';
import { digestBytes, IMAGE_HEAP, IMAGE_RECORDS } from '../src/image/image-digest.js';

const DIM = 8;


function vec(r: () => number, dim = DIM): string[] {
  return Array.from({ length: dim }, () => (r() * 2 - 1).toFixed(5));
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-vpersist-'));
}


const H = { DIM: 2, STRIDE: 5, VEC_BYTES: 6, COUNT: 8, ENTRY: 9, HIGH_WATER: 11, NAME_TABLE: 20, REC_BASE: 29 };
/** Record offsets (layout.ts R): the meta word, the upper block's heap offset. */
const R_UPPER = 16;
const LINKS_OFFSET = 20; // R.VEC: level-0 links follow the vector

function readVarint(b: Buffer, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const x = b[pos++]!;
    v += (x & 0x7f) * mul;
    if ((x & 0x80) === 0) return [v, pos];
    mul *= 128;
  }
}

function varint(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/** DUMP payload of a vector set → its two images, and back (with valid checksums). */
function splitDump(p: Buffer): { records: Buffer; heap: Buffer } {
  const format = p.readUInt32LE(1);
  if (format === 1) {
    const [rl, p1] = readVarint(p, 1 + 4);
    const [hl, p2] = readVarint(p, p1 + rl);
    return { records: Buffer.from(p.subarray(p1, p1 + rl)), heap: Buffer.from(p.subarray(p2, p2 + hl)) };
  }
  expect(format).toBe(2);
  const [rl, p1] = readVarint(p, 1 + 4);
  const [hl, p2] = readVarint(p, p1);
  const at = p2 + 8; // after the digest
  return { records: Buffer.from(p.subarray(at, at + rl)), heap: Buffer.from(p.subarray(at + rl, at + rl + hl)) };
}

/**
 * The codec's bytes for two images: format 2 (the images after their digest, which `digest`
 * replaces when given) or format 1 (earlier builds: the images under the snapshot's CRC only).
 */
function valueBytes(records: Buffer, heap: Buffer, format: 1 | 2, digest?: [number, number]): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt32LE(format, 0);
  if (format === 1) return Buffer.concat([version, varint(records.length), records, varint(heap.length), heap]);
  const sum = new Int32Array(2);
  digestBytes(records, 0, IMAGE_RECORDS, sum);
  digestBytes(heap, 0, IMAGE_HEAP, sum);
  const d = Buffer.alloc(8);
  d.writeInt32LE(digest?.[0] ?? sum[0], 0);
  d.writeInt32LE(digest?.[1] ?? sum[1], 4);
  return Buffer.concat([version, varint(records.length), varint(heap.length), d, records, heap]);
}

function joinDump(records: Buffer, heap: Buffer, format: 1 | 2 = 2): Buffer {
  const dumpVersion = Buffer.alloc(4);
  dumpVersion.writeUInt32LE(1, 0);
  const body = Buffer.concat([Buffer.from([2]), valueBytes(records, heap, format), dumpVersion]);
  const check = Buffer.alloc(8);
  check.writeUInt32LE(zlib.crc32(body), 0);
  check.writeUInt32LE(zlib.crc32(Buffer.from(body).reverse()), 4);
  return Buffer.concat([body, check]);
}

describe('damaged vector-set payloads are refused', () => {
  let server: RunningServer;
  let c: RawConnection;
  let good: Buffer;

  beforeAll(async () => {
    server = await startServer({ args: ['--enable-debug-command', 'yes'] });
    c = await RawConnection.connect(server.port);
    const r = rng(5);
    for (let i = 0; i < 120; i++) await c.call('VADD', 'good', 'VALUES', DIM, ...vec(r), `g${i}`, 'SETATTR', JSON.stringify({ i }));
    good = Buffer.from((await c.value('DUMP', 'good')) as string, 'latin1');
  });

  afterAll(async () => {
    c?.close();
    await server?.stop('SIGKILL');
  });

  async function restoreRefused(records: Buffer, heap: Buffer, what: string): Promise<void> {
    const reply = await c.value('RESTORE', `bad:${what}`, '0', joinDump(records, heap));
    expect(reply, what).toBeInstanceOf(RespError);
    expect((reply as RespError).message, what).toMatch(/^ERR Bad data format|^ERR DUMP payload/);
    expect(await c.call('EXISTS', `bad:${what}`)).toBe(':0\r\n');
    expect(await c.call('PING')).toBe('+PONG\r\n');
  }

  it('the unchanged images, re-packed, restore fine (the harness is right)', async () => {
    const { records, heap } = splitDump(good);
    expect(good.readUInt32LE(1)).toBe(2);
    expect(joinDump(records, heap).equals(good)).toBe(true);
    expect(await c.call('RESTORE', 'copy', '0', joinDump(records, heap))).toBe('+OK\r\n');
    expect(await c.call('DEBUG', 'VSET-VALIDATE', 'copy')).toBe('+OK\r\n');
    // An earlier build's payload (format 1, no image digest) restores to the same set.
    expect(await c.call('RESTORE', 'former', '0', joinDump(records, heap, 1))).toBe('+OK\r\n');
    const [a, b] = (await c.value('DEBUG', 'DIGEST-VALUE', 'good', 'former')) as string[];
    expect(a).toBe(b);
  });

  it('dimension 0, a count larger than the nodes, a high-water mark beyond the image', async () => {
    const base = splitDump(good);
    let r = Buffer.from(base.records);
    r.writeInt32LE(0, H.DIM * 4);
    await restoreRefused(r, base.heap, 'dim0');
    r = Buffer.from(base.records);
    r.writeInt32LE(r.readInt32LE(H.COUNT * 4) + 1000, H.COUNT * 4);
    await restoreRefused(r, base.heap, 'count');
    r = Buffer.from(base.records);
    r.writeInt32LE(r.readInt32LE(H.HIGH_WATER * 4) + 1_000_000, H.HIGH_WATER * 4);
    await restoreRefused(r, base.heap, 'highwater');
    await restoreRefused(base.records.subarray(0, base.records.length - 100), base.heap, 'truncated-records');
    await restoreRefused(base.records, base.heap.subarray(0, base.heap.length >> 1), 'truncated-heap');
  });

  it('a link out of range and a one-way link', async () => {
    const base = splitDump(good);
    const stride = base.records.readInt32LE(H.STRIDE * 4);
    const recBase = base.records.readInt32LE(H.REC_BASE * 4);
    const vecBytes = base.records.readInt32LE(H.VEC_BYTES * 4);
    const hw = base.records.readInt32LE(H.HIGH_WATER * 4);
    const linkAt = (slot: number, i: number): number => recBase + slot * stride + LINKS_OFFSET + vecBytes + 4 * i;
    const countOf = (rec: Buffer, slot: number): number => rec.readUInt32LE(recBase + slot * stride) & 0xffff;
    let r = Buffer.from(base.records);
    r.writeInt32LE(5_000_000, linkAt(0, 0));
    await restoreRefused(r, base.heap, 'link-out-of-range');
    // One-way: point slot 0's first link at a node that does not link back to slot 0.
    r = Buffer.from(base.records);
    const linked = new Set<number>();
    for (let i = 0; i < countOf(r, 0); i++) linked.add(r.readInt32LE(linkAt(0, i)));
    let target = -1;
    for (let s = 1; s < hw && target < 0; s++) {
      if (linked.has(s)) continue;
      let back = false;
      for (let i = 0; i < countOf(r, s); i++) if (r.readInt32LE(linkAt(s, i)) === 0) back = true;
      if (!back) target = s;
    }
    expect(target).toBeGreaterThan(0);
    r.writeInt32LE(target, linkAt(0, 0));
    await restoreRefused(r, base.heap, 'one-way-link');
  });

  it('random byte flips and truncations never crash or hang the server', async () => {
    const base = splitDump(good);
    const r = rng(77);
    for (let round = 0; round < 60; round++) {
      const rec = Buffer.from(base.records);
      const heap = Buffer.from(base.heap);
      const target = r() < 0.6 ? rec : heap;
      const flips = 1 + Math.floor(r() * 8);
      for (let i = 0; i < flips; i++) target[Math.floor(r() * target.length)] ^= 1 << Math.floor(r() * 8);
      const key = `fuzz:${round}`;
      const reply = await c.value('RESTORE', key, '0', joinDump(rec, heap));
      if (reply instanceof RespError) {
        expect(reply.message).toMatch(/^ERR Bad data format|^ERR DUMP payload/);
      } else {
        // A flip that left a consistent set (in vector data, say) is fine, but then it must be valid.
        expect(reply).toBe('OK');
        expect(await c.call('DEBUG', 'VSET-VALIDATE', key)).toBe('+OK\r\n');
        expect(((await c.value('VSIM', key, 'VALUES', DIM, ...vec(r), 'COUNT', 5)) as unknown[]).length).toBeGreaterThan(0);
      }
      expect(await c.call('PING')).toBe('+PONG\r\n');
    }
  });

  /** dump.vsdb by hand: header, one KEY record (db 0, `key`, no expiry, type 2), trailer. */
  /**
   * A one-key snapshot holding the images. Format 2 files (snapshot version 2) leave the images,
   * the payload's digested tail, out of both CRCs; format 1 files are those of earlier builds.
   */
  function snapshotFile(records: Buffer, heap: Buffer, keyName: string, format: 1 | 2 = 2, digest?: [number, number]): string {
    const dir = tmpDir();
    const value = valueBytes(records, heap, format, digest);
    const tail = format === 2 ? records.length + heap.length : 0;
    const checked = value.subarray(0, value.length - tail);
    const key = Buffer.from(keyName);
    const len = Buffer.alloc(format === 2 ? 16 : 8);
    len.writeBigUInt64LE(BigInt(value.length));
    if (format === 2) len.writeBigUInt64LE(BigInt(tail), 8);
    const head = Buffer.concat([Buffer.from([1]), varint(0), varint(key.length), key, Buffer.alloc(8), Buffer.from([2]), len]);
    const recCrc = Buffer.alloc(4);
    recCrc.writeUInt32LE(zlib.crc32(checked, zlib.crc32(head)));
    const header = Buffer.concat([Buffer.from('VSETDSNP'), Buffer.from([format, 0, 0, 0, 0, 0, 0, 0])]);
    const count = Buffer.alloc(8);
    count.writeBigUInt64LE(1n);
    const trailer = Buffer.concat([Buffer.from([0xff]), count]);
    const fileCrc = Buffer.alloc(4);
    fileCrc.writeUInt32LE(zlib.crc32(Buffer.concat([header, head, checked, recCrc, trailer])));
    fs.writeFileSync(path.join(dir, 'dump.vsdb'), Buffer.concat([header, head, value, recCrc, trailer, fileCrc]));
    return dir;
  }

  function startupOutput(dir: string, env: NodeJS.ProcessEnv = {}): { status: number | null; out: string } {
    const res = spawnSync(process.execPath, [MAIN, '--port', '0', '--dir', dir, '--save', ''], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, ...env },
    });
    return { status: res.status, out: res.stdout + res.stderr };
  }

  it('a snapshot file holding a damaged set stops start-up naming the key', () => {
    const base = splitDump(good);
    const rec = Buffer.from(base.records);
    rec.writeInt32LE(0, H.DIM * 4);
    const res = startupOutput(snapshotFile(rec, base.heap, 'damaged'));
    expect(res.status).toBe(1);
    expect(res.out).toMatch(/key 'damaged' \(db 0\)/);
  });

  it('small sets checked in batches on the load helper thread: sound sets load alike, a bad one is named, the load stops', async () => {
    // VSETD_LOAD_HELPER=sets starts the helper for any file and lets it take the first pick of
    // small sets' checks (image/set-batch.ts), which the loading thread otherwise shares.
    const env = { VSETD_LOAD_HELPER: 'sets' };
    const dir = tmpDir();
    const a = await startServer({ dir, args: ['--enable-debug-command', 'yes'] });
    const keys: string[] = [];
    let before: string[] = [];
    try {
      const conn = await RawConnection.connect(a.port);
      const r = rng(77);
      for (let k = 0; k < 150; k++) {
        const key = `tenant:${k}`;
        keys.push(key);
        const n = 1 + Math.floor(r() * 30);
        for (let e = 0; e < n; e++) await conn.call('VADD', key, 'VALUES', DIM, ...vec(r), `e${e}`, ...(e % 3 === 0 ? ['SETATTR', JSON.stringify({ e })] : []));
        // Deleted elements leave limbo slots and heap gaps the adoption must turn into free space.
        if (n > 4) await conn.call('VREM', key, 'e1');
      }
      expect(await conn.call('SAVE')).toBe('+OK\r\n');
      before = (await conn.value('DEBUG', 'DIGEST-VALUE', ...keys)) as string[];
      // What the adoption recounts (the heap bytes in use) shows in MEMORY USAGE.
      for (const key of keys) before.push(await conn.call('MEMORY', 'USAGE', key));
      conn.close();
    } finally {
      await a.stop('SIGKILL');
    }
    const b = await startServer({ dir, env, args: ['--enable-debug-command', 'yes'] });
    try {
      const conn = await RawConnection.connect(b.port);
      const after = (await conn.value('DEBUG', 'DIGEST-VALUE', ...keys)) as string[];
      for (const key of keys) after.push(await conn.call('MEMORY', 'USAGE', key));
      expect(after).toEqual(before);
      for (const key of keys.slice(0, 20)) expect(await conn.call('DEBUG', 'VSET-VALIDATE', key)).toBe('+OK\r\n');
      // The adopted sets take writes: a new element in a set that had a deleted one.
      expect(await conn.call('VADD', 'tenant:0', 'VALUES', DIM, ...vec(rng(3)), 'fresh')).toBe(':1\r\n');
      expect(await conn.call('DEBUG', 'VSET-VALIDATE', 'tenant:0')).toBe('+OK\r\n');
      conn.close();
      expect(b.output()).toMatch(/DB loaded from disk: .* 150 keys, .*, 150 small set\(s\) checked on a helper thread/);
    } finally {
      await b.stop('SIGKILL');
    }
    // A bad small set, through the helper and on one thread: the same refusal, naming the key.
    const base = splitDump(good);
    const rec = Buffer.from(base.records);
    rec.writeInt32LE(0, H.DIM * 4);
    const bad = snapshotFile(rec, base.heap, 'damaged');
    for (const out of [startupOutput(bad, env), startupOutput(bad)]) {
      expect(out.status).toBe(1);
      expect(out.out).toMatch(/key 'damaged' \(db 0\).*vector set image refused/);
    }
  });

  it('with the links checked on the load helper thread: a sound set loads, a one-way link is named', async () => {
    // Large images share their link check with a helper thread; the variable sends this small
    // one there too, the helper first (it then checks every link, the image being one share).
    // The refusal must name the same link as a check on one thread.
    const helperEnv = { VSETD_LOAD_HELPER: 'always' };
    const base = splitDump(good);
    const dir = snapshotFile(base.records, base.heap, 'sound');
    const s = await startServer({ dir, env: helperEnv, args: ['--enable-debug-command', 'yes'] });
    try {
      const conn = await RawConnection.connect(s.port);
      expect(await conn.call('VCARD', 'sound')).toBe(':120\r\n');
      expect(await conn.call('DEBUG', 'VSET-VALIDATE', 'sound')).toBe('+OK\r\n');
      conn.close();
      // The helper began level 0 while the records were still being read (streamLinkCheck), in
      // pieces of 4 KiB under VSETD_LOAD_HELPER=always (STREAM_PIECE_BYTES).
      expect(base.records.length).toBeGreaterThan(4 * 4096);
      expect(s.output()).toMatch(/DB loaded from disk: [\d.]+ seconds, 1 keys, 120 vector set elements, .* MB\/s, \d+ elements\/s, 1 link check\(s\) on a helper thread \(1 begun while reading\)/);
    } finally {
      await s.stop('SIGKILL');
    }
    const stride = base.records.readInt32LE(H.STRIDE * 4);
    const recBase = base.records.readInt32LE(H.REC_BASE * 4);
    const vecBytes = base.records.readInt32LE(H.VEC_BYTES * 4);
    const hw = base.records.readInt32LE(H.HIGH_WATER * 4);
    const linkAt = (slot: number, i: number): number => recBase + slot * stride + LINKS_OFFSET + vecBytes + 4 * i;
    const countOf = (slot: number): number => base.records.readUInt32LE(recBase + slot * stride) & 0xffff;
    const linked = new Set<number>();
    for (let i = 0; i < countOf(0); i++) linked.add(base.records.readInt32LE(linkAt(0, i)));
    let target = -1;
    for (let t = 1; t < hw && target < 0; t++) {
      if (linked.has(t)) continue;
      let back = false;
      for (let i = 0; i < countOf(t); i++) if (base.records.readInt32LE(linkAt(t, i)) === 0) back = true;
      if (!back) target = t;
    }
    const rec = Buffer.from(base.records);
    rec.writeInt32LE(target, linkAt(0, 0));
    const bad = snapshotFile(rec, base.heap, 'oneway');
    const viaHelper = startupOutput(bad, helperEnv);
    const alone = startupOutput(bad);
    expect(viaHelper.status).toBe(1);
    expect(viaHelper.out).toMatch(/key 'oneway' \(db 0\).*node 0 level 0: link to \d+ is not reciprocated/);
    expect(alone.out).toMatch(/key 'oneway' \(db 0\).*node 0 level 0: link to \d+ is not reciprocated/);
    // A fault the records check finds while the helper has a streamed level-0 check under way
    // (unknown bits in a meta word, which the helper's pass does not look at): the same message
    // as on one thread, and start-up ends (the helper's job is stopped, not waited for forever).
    const odd = Buffer.from(base.records);
    odd.writeUInt32LE(odd.readUInt32LE(recBase + 5 * stride) | (1 << 21), recBase + 5 * stride);
    const oddDir = snapshotFile(odd, base.heap, 'oddmeta');
    for (const out of [startupOutput(oddDir, helperEnv), startupOutput(oddDir)]) {
      expect(out.status).toBe(1);
      expect(out.out).toMatch(/key 'oddmeta' \(db 0\).*slot 5: unknown bits in its meta word/);
    }
    // Images damaged where the helper checksums them as they are read (format 1: CRC-32 pieces,
    // format 2: digested pieces), in the heap, or a digest that no longer fits: refused as damage,
    // with a helper and without.
    const damage = (format: 1 | 2, where: 'records' | 'heap' | 'digest'): string => {
      const dir = snapshotFile(base.records, base.heap, 'crc', format, where === 'digest' ? [1, 2] : undefined);
      const file = path.join(dir, 'dump.vsdb');
      const bytes = fs.readFileSync(file);
      if (where === 'records') bytes[bytes.indexOf(base.records) + recBase + 3 * stride + 8] ^= 0x40;
      if (where === 'heap') bytes[bytes.indexOf(base.heap) + base.heap.length - 100] ^= 0x04;
      fs.writeFileSync(file, bytes);
      return dir;
    };
    for (const [format, where] of [[1, 'records'], [1, 'heap'], [2, 'records'], [2, 'heap'], [2, 'digest']] as const) {
      const dir = damage(format, where);
      for (const out of [startupOutput(dir, helperEnv), startupOutput(dir)]) {
        expect(out.status, `${format} ${where}`).toBe(1);
        expect(out.out, `${format} ${where}`).toMatch(/snapshot checksum mismatch: key 'crc' \(db 0\) is damaged/);
      }
    }
    // A sound format-1 file (an earlier build's) loads, its records checked in CRC-32 pieces.
    const formerDir = snapshotFile(base.records, base.heap, 'former', 1);
    const former = await startServer({ dir: formerDir, env: helperEnv, args: ['--enable-debug-command', 'yes'] });
    try {
      const conn = await RawConnection.connect(former.port);
      expect(await conn.call('VCARD', 'former')).toBe(':120\r\n');
      expect(await conn.call('DEBUG', 'VSET-VALIDATE', 'former')).toBe('+OK\r\n');
      conn.close();
      expect(former.output()).toMatch(/1 link check\(s\) on a helper thread \(1 begun while reading\)/);
    } finally {
      await former.stop('SIGKILL');
    }
    // Faults the helper's later jobs find (over the check memory after a streamed level 0): the
    // reachability walk, the upper-level links, the name table's sums. Each refusal must be the
    // one a single thread gives (a job that passed a damaged image would let it load).
    const M = base.records.readInt32LE(4 * 4);
    const levelOf = (slot: number): number => (base.records.readUInt32LE(recBase + slot * stride) >>> 16) & 31;
    const entry = base.records.readInt32LE(H.ENTRY * 4);
    const faults: Array<[string, Buffer, Buffer, RegExp]> = [];
    {
      // A level-0 node cut off: its links and their reverses removed (removeLink's way).
      const cut = Buffer.from(base.records);
      let t = 1;
      while (t === entry || levelOf(t) !== 0) t++;
      const meta = (slot: number): number => cut.readUInt32LE(recBase + slot * stride);
      const count = (slot: number): number => meta(slot) & 0xffff;
      const at = (slot: number, i: number): number => recBase + slot * stride + LINKS_OFFSET + vecBytes + 4 * i;
      for (let i = 0; i < count(t); i++) {
        const u = cut.readInt32LE(at(t, i));
        const n = count(u);
        for (let j = 0; j < n; j++) {
          if (cut.readInt32LE(at(u, j)) !== t) continue;
          cut.writeInt32LE(cut.readInt32LE(at(u, n - 1)), at(u, j));
          cut.writeUInt32LE((meta(u) & ~0xffff) | (n - 1), recBase + u * stride);
          break;
        }
      }
      cut.writeUInt32LE(meta(t) & ~0xffff, recBase + t * stride);
      faults.push(['cut', cut, base.heap, /unreachable from the entry point on level 0/]);
    }
    {
      // An upper-level link sent elsewhere: one-way.
      const heap = Buffer.from(base.heap);
      let x = 0;
      while (levelOf(x) === 0) x++;
      const upper = base.records.readInt32LE(recBase + x * stride + R_UPPER);
      const listed = new Set<number>();
      for (let i = 0; i < M; i++) listed.add(heap.readInt32LE(upper + 4 * i));
      let z = 0;
      while (z < hw && (z === x || listed.has(z) || levelOf(z) === 0)) z++;
      expect(z).toBeLessThan(hw);
      heap.writeInt32LE(z, upper);
      faults.push(['upper', base.records, heap, /level 1: link to \d+ is not reciprocated|not reciprocated/]);
    }
    {
      // A stored name hash changed in the name table.
      const heap = Buffer.from(base.heap);
      const t = base.records.readInt32LE(H.NAME_TABLE * 4);
      let e = 1;
      while (heap.readInt32LE(t + 8 * e) === 0) e++;
      heap.writeInt32LE(heap.readInt32LE(t + 8 * e + 4) ^ 0x100, t + 8 * e + 4);
      faults.push(['hashed', base.records, heap, /hash|name table/]);
    }
    for (const [name, records, heap, message] of faults) {
      const faultDir = snapshotFile(records, heap, name);
      const viaJobs = startupOutput(faultDir, helperEnv);
      const single = startupOutput(faultDir);
      expect(single.status, name).toBe(1);
      expect(single.out, name).toMatch(message);
      expect(viaJobs.status, name).toBe(1);
      const why = (out: string): string => /Fatal error loading the dataset: (.*)/.exec(out)?.[1] ?? out;
      expect(why(viaJobs.out), name).toBe(why(single.out));
    }
    // The same start-up without the variable: checked on one thread, no helper started.
    const plain = await startServer({ dir, args: ['--enable-debug-command', 'yes'] });
    await plain.stop('SIGKILL');
    expect(plain.output()).toMatch(/DB loaded from disk: /);
    expect(plain.output()).not.toMatch(/helper thread/);
  });
});
