/**
 * Snapshot and AOF behaviour against real server processes: round trips, kill -9 with
 * appendfsync always, truncated and corrupted files, rewrites, DUMP/RESTORE, DEBUG RELOAD.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { MAIN, startServer, type RunningServer } from './helpers/server.js';
import { RawConnection, type RespValue } from './helpers/raw.js';
import { rng, valuesArgs } from './helpers/rng.js';
import { infoField, waitFor } from './helpers/wait.js';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-persist-'));
}

async function withServer<T>(dir: string, args: string[], fn: (c: RawConnection, s: RunningServer) => Promise<T>): Promise<T> {
  const s = await startServer({ dir, args });
  const c = await RawConnection.connect(s.port);
  try {
    return await fn(c, s);
  } finally {
    c.close();
    await s.stop('SIGKILL');
  }
}


/** Starting on a damaged dir must fail with exit code 1 and a message; returns the output. */
function startFails(dir: string, args: string[] = []): string {
  const r = spawnSync(process.execPath, [MAIN, '--port', '0', '--dir', dir, '--save', '', ...args], { encoding: 'utf8', timeout: 20_000 });
  expect(r.status).toBe(1);
  return r.stdout + r.stderr;
}

describe('snapshot', () => {
  it('SAVE then restart restores keys, TTLs and databases', async () => {
    const dir = tmpDir();
    const digest = await withServer(dir, ['--enable-debug-command', 'yes'], async (c) => {
      await c.call('SET', 'a', '1');
      await c.call('SET', 'bin', Buffer.from([0, 255, 13, 10]));
      await c.call('SET', 'ttl', 'x', 'EX', '1000');
      await c.call('SELECT', '7');
      await c.call('SET', 'in7', 'seven');
      await c.call('SELECT', '0');
      const digest = await c.value('DEBUG', 'DIGEST');
      // Gone by the time the file is loaded: left out of the keyspace.
      await c.call('SET', 'short', 'x', 'PX', '200');
      expect(await c.call('SAVE')).toBe('+OK\r\n');
      expect(fs.existsSync(path.join(dir, 'dump.vsdb'))).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 400));
      return digest;
    });
    await withServer(dir, ['--enable-debug-command', 'yes'], async (c) => {
      expect(await c.value('DEBUG', 'DIGEST')).toBe(digest);
      expect(await c.call('GET', 'bin')).toBe('$4\r\n\x00\xff\r\n\r\n');
      const ttl = (await c.value('TTL', 'ttl')) as number;
      expect(ttl).toBeGreaterThan(900);
      // The loaded keys are the database's own: counted, scanned, with their expiries known.
      expect(await c.value('DBSIZE')).toBe(3);
      expect(await c.value('EXISTS', 'short')).toBe(0);
      expect(String(await c.value('INFO', 'keyspace'))).toContain('db0:keys=3,expires=1');
      const [cursor, scanned] = (await c.value('SCAN', '0', 'COUNT', '100')) as [string, string[]];
      expect(cursor).toBe('0');
      expect([...scanned].sort()).toEqual(['a', 'bin', 'ttl']);
      expect(['a', 'bin', 'ttl']).toContain(await c.value('RANDOMKEY'));
      expect(await c.value('OBJECT', 'IDLETIME', 'a')).toBeLessThan(100);
      await c.call('SET', 'added', 'y');
      expect(await c.value('DBSIZE')).toBe(4);
      await c.call('SELECT', '7');
      expect(await c.call('GET', 'in7')).toBe('$5\r\nseven\r\n');
    });
  });

  it('BGSAVE writes exactly the state at its start while writes continue; the file it wrote loads', async () => {
    const dir = tmpDir();
    const args = ['--enable-debug-command', 'yes'];
    await withServer(dir, args, async (c) => {
      const r = rng(5);
      const setup: Array<Array<string | number>> = [];
      for (let i = 0; i < 1000; i++) setup.push(['SET', `k${i}`, `v${i}`]);
      // Some bulk, so the asynchronous write spans many turns of the event loop.
      for (let i = 0; i < 16; i++) setup.push(['SET', `big${i}`, 'x'.repeat(256 * 1024)]);
      for (let i = 0; i < 300; i++) setup.push(['VADD', 'vs', 'VALUES', 8, ...valuesArgs(r, 8), `e${i}`, 'SETATTR', JSON.stringify({ i })]);
      await c.pipeline(setup);
      const before = (await c.value('LASTSAVE')) as number;
      // One write: the digest, BGSAVE, writes to what it captured, and INFO, all read and run
      // before the save can finish (it completes asynchronously, in a later turn).
      const during: Array<Array<string | number>> = [
        ['DEBUG', 'DIGEST'],
        ['BGSAVE'],
        ['SET', 'k0', 'changed'],
        ['DEL', 'k1'],
        ['APPEND', 'k2', '+more'],
        ['SET', 'big0', 'small now'],
        ['SET', 'new', '1'],
        ['VADD', 'vs', 'VALUES', 8, ...valuesArgs(r, 8), 'added'],
        ['VREM', 'vs', 'e0'],
        ['VSETATTR', 'vs', 'e1', '{"i":-1}'],
        ['INFO', 'persistence'],
        ['DEBUG', 'DIGEST'],
      ];
      const replies = await c.pipeline(during);
      const digestAtStart = replies[0] as string;
      expect(replies[1]).toBe('Background saving started');
      expect(replies.slice(2, 10)).toEqual(['OK', 1, 'v2+more'.length, 'OK', 'OK', 1, 1, 1]);
      // The writes ran while the save was still in progress.
      expect(infoField(replies[10] as string, 'rdb_bgsave_in_progress')).toBe('1');
      const digestAfterWrites = replies[11] as string;
      expect(digestAfterWrites).not.toBe(digestAtStart);
      const info = await waitFor('BGSAVE to finish', async () => {
        const text = (await c.value('INFO', 'persistence')) as string;
        return infoField(text, 'rdb_bgsave_in_progress') === '0' ? text : undefined;
      });
      expect(infoField(info, 'rdb_last_bgsave_status')).toBe('ok');
      expect((await c.value('LASTSAVE')) as number).toBeGreaterThanOrEqual(before);
      // The file BGSAVE wrote, loaded by another server: exactly the state at BGSAVE's start.
      const copy = tmpDir();
      fs.copyFileSync(path.join(dir, 'dump.vsdb'), path.join(copy, 'dump.vsdb'));
      await withServer(copy, args, async (c2) => {
        expect(await c2.value('DEBUG', 'DIGEST')).toBe(digestAtStart);
        expect(await c2.value('MGET', 'k0', 'k1', 'k2', 'new')).toEqual(['v0', 'v1', 'v2', null]);
        expect(await c2.value('STRLEN', 'big0')).toBe(256 * 1024);
        expect(await c2.value('VCARD', 'vs')).toBe(300);
        expect(await c2.value('VISMEMBER', 'vs', 'added')).toBe(0);
        expect(await c2.value('VGETATTR', 'vs', 'e1')).toBe('{"i":1}');
        expect(await c2.value('DEBUG', 'VSET-VALIDATE', 'vs')).toBe('OK');
      });
      // And the serving one kept the writes.
      expect(await c.value('DEBUG', 'DIGEST')).toBe(digestAfterWrites);
    });
  });

  it('a flipped byte, a truncated file, or garbage stops start-up with a message', async () => {
    const dir = tmpDir();
    await withServer(dir, [], async (c) => {
      for (let i = 0; i < 50; i++) await c.call('SET', `key${i}`, 'x'.repeat(100));
      await c.call('SAVE');
    });
    const file = path.join(dir, 'dump.vsdb');
    const good = fs.readFileSync(file);
    const flipped = Buffer.from(good);
    // The middle of the file is inside some key's value ('x' × 100): the message names that key.
    flipped[Math.floor(good.length / 2)]! ^= 0x40;
    fs.writeFileSync(file, flipped);
    expect(startFails(dir)).toMatch(/snapshot checksum mismatch: key 'key\d+' \(db 0\) is damaged \(at byte \d+\)/);
    // Damage in the trailer, outside every key record, is still caught by the file checksum.
    const trailer = Buffer.from(good);
    trailer[good.length - 6]! ^= 0x01;
    fs.writeFileSync(file, trailer);
    expect(startFails(dir)).toMatch(/snapshot checksum mismatch: the file is damaged or truncated/);
    fs.writeFileSync(file, good.subarray(0, good.length - 100));
    expect(startFails(dir)).toMatch(/Fatal error loading the dataset/);
    fs.writeFileSync(file, Buffer.from('this is not a snapshot at all, just some text'));
    expect(startFails(dir)).toMatch(/not a vsetd snapshot|too short/);
    fs.writeFileSync(file, good);
    await withServer(dir, [], async (c) => {
      expect(await c.call('DBSIZE')).toBe(':50\r\n');
    });
  });
});

describe('a record that cannot be walked, after a vector set whose images no CRC covers', () => {
  // The file's CRC leaves the vector set's digested images out; whether the file is intact (so a
  // refusal is not blamed on damage) comes from a walk of the records' framing that skips them.
  it('an intact file is refused for what it holds; a damaged one as damage', async () => {
    const dir = tmpDir();
    await withServer(dir, [], async (c) => {
      for (let i = 0; i < 40; i++) await c.call('VADD', 'vs', 'VALUES', '4', String(i), String(i % 7), String(i % 3), '1', `e${i}`);
      await c.call('SELECT', '5');
      await c.call('SET', 'in5', 'five');
      expect(await c.call('SAVE')).toBe('+OK\r\n');
    });
    const file = path.join(dir, 'dump.vsdb');
    const good = fs.readFileSync(file);
    expect(good.readUInt32LE(8)).toBe(2);
    // Sound, but db 5 does not exist with 2 databases: said so, not called damage.
    const intact = startFails(dir, ['--databases', '2']);
    expect(intact).toMatch(/db index 5 out of range \(databases 2\)/);
    expect(intact).not.toMatch(/checksum mismatch/);
    // The same with the file's checksum changed: now the file is damaged. (A changed image byte
    // would be refused sooner, by the set's digest: 'key 'vs' (db 0) is damaged'.)
    const damaged = Buffer.from(good);
    damaged[good.length - 1]! ^= 0x10;
    fs.writeFileSync(file, damaged);
    expect(startFails(dir, ['--databases', '2'])).toMatch(/snapshot checksum mismatch: the file is damaged \(.*db index 5 out of range/);
    fs.writeFileSync(file, good);
    await withServer(dir, [], async (c) => {
      expect(await c.call('VCARD', 'vs')).toBe(':40\r\n');
    });
  });
});

describe('append-only file', () => {
  it('every acknowledged write survives kill -9 under appendfsync always', async () => {
    const dir = tmpDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    let acked = 0;
    for (let round = 0; round < 5; round++) {
      const s = await startServer({ dir, args });
      const c = await RawConnection.connect(s.port);
      expect(await c.call('GET', 'counter')).toBe(acked === 0 ? '$-1\r\n' : `$${String(acked).length}\r\n${acked}\r\n`);
      // Fire many writes; kill at a random moment; count only what was acknowledged.
      const n = 200 + Math.floor(Math.random() * 300);
      for (let i = 0; i < n; i++) c.write('*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n');
      const killAfter = Math.floor(Math.random() * n);
      for (let i = 0; i < killAfter; i++) {
        const r = await c.readReply();
        acked = r.value as number;
      }
      s.proc.kill('SIGKILL');
      await s.stop();
      // Replies already on the wire are acknowledged too.
      await new Promise((r) => setTimeout(r, 50));
      while (true) {
        try {
          const r = await c.readReply(200);
          acked = r.value as number;
        } catch {
          break;
        }
      }
      c.close();
      const s2 = await startServer({ dir, args });
      const c2 = await RawConnection.connect(s2.port);
      const v = Number((await c2.value('GET', 'counter')) ?? 0);
      // Every acknowledged INCR is there; unacknowledged ones may or may not be.
      expect(v).toBeGreaterThanOrEqual(acked);
      acked = v;
      c2.close();
      await s2.stop('SIGKILL');
    }
  });

  it('a truncated last command is dropped with a warning; corruption in the middle stops start-up', async () => {
    const dir = tmpDir();
    const args = ['--appendonly', 'yes'];
    await withServer(dir, args, async (c) => {
      for (let i = 0; i < 20; i++) await c.call('SET', `k${i}`, String(i));
    });
    const aofDir = path.join(dir, 'appendonlydir');
    const incr = fs.readdirSync(aofDir).find((f) => f.endsWith('.incr.aof'))!;
    const file = path.join(aofDir, incr);
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, Buffer.concat([good, Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\nk99\r\n$2\r\n9')]));
    const s = await startServer({ dir, args });
    const c = await RawConnection.connect(s.port);
    expect(await c.call('DBSIZE')).toBe(':20\r\n');
    expect(await c.call('SET', 'after', '1')).toBe('+OK\r\n');
    c.close();
    await s.stop('SIGKILL');
    expect(s.output()).toMatch(/short read while loading the AOF/);
    // The file was cut at the last complete command, so the next append is readable.
    await withServer(dir, args, async (c3) => {
      expect(await c3.call('GET', 'after')).toBe('$1\r\n1\r\n');
    });
    const now = fs.readFileSync(file);
    // Damage the framing of a command in the middle: its first bulk length is no number.
    const broken = Buffer.from(now);
    const at = broken.indexOf('\r\n$3\r\nSET\r\n', broken.length >> 1);
    broken.write('x', at + 3, 'latin1');
    fs.writeFileSync(file, broken);
    expect(startFails(dir, args)).toMatch(/Bad file format reading the append only file .* at offset \d+/);
    fs.writeFileSync(file, Buffer.concat([now.subarray(0, 40), Buffer.from('*1\r\n$7\r\nNOSUCHX\r\n'), now.subarray(40)]));
    expect(startFails(dir, args)).toMatch(/Fatal error loading the dataset/);
    fs.writeFileSync(path.join(aofDir, 'appendonly.aof.manifest'), 'file x.aof seq one type q\n');
    expect(startFails(dir, args)).toMatch(/Invalid AOF manifest/);
  });

  it('BGREWRITEAOF during vector-set writes: the writes overlap the rewrite, and after kill -9 every acknowledged write is there', async () => {
    const dir = tmpDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes'];
    const r = rng(6);
    const s = await startServer({ dir, args });
    const c = await RawConnection.connect(s.port);
    /** What every acknowledged write leaves: element → attribute (null: none). */
    const expected = new Map<string, string | null>();
    let digest: RespValue;
    try {
      const setup: Array<Array<string | number>> = [];
      for (let i = 0; i < 2000; i++) setup.push(['VADD', 'vs', 'VALUES', 8, ...valuesArgs(r, 8), `e${i}`, 'SETATTR', JSON.stringify({ i })]);
      for (let i = 0; i < 8; i++) setup.push(['SET', `big${i}`, 'x'.repeat(256 * 1024)]);
      (await c.pipeline(setup)).slice(0, 2000).forEach((v, i) => {
        expect(v).toBe(1);
        expected.set(`e${i}`, JSON.stringify({ i }));
      });
      const rewritesBefore = Number(infoField((await c.value('INFO', 'persistence')) as string, 'aof_rewrites'));
      // BGREWRITEAOF and vector-set writes in one request: they run while the new base is written.
      const during: Array<Array<string | number>> = [['BGREWRITEAOF']];
      for (let i = 0; i < 100; i++) during.push(['VADD', 'vs', 'VALUES', 8, ...valuesArgs(r, 8), `d${i}`, 'SETATTR', JSON.stringify({ d: i })]);
      for (let i = 0; i < 100; i++) during.push(['VREM', 'vs', `e${i * 3}`]);
      for (let i = 0; i < 50; i++) during.push(['VSETATTR', 'vs', `e${i * 3 + 1}`, JSON.stringify({ set: i })]);
      during.push(['INFO', 'persistence']);
      const replies = await c.pipeline(during);
      expect(replies[0]).toBe('Background append only file rewriting started');
      expect(infoField(replies.at(-1) as string, 'aof_rewrite_in_progress')).toBe('1');
      for (let i = 0; i < 100; i++) {
        expect(replies[1 + i]).toBe(1);
        expected.set(`d${i}`, JSON.stringify({ d: i }));
        expect(replies[101 + i]).toBe(1);
        expected.delete(`e${i * 3}`);
      }
      for (let i = 0; i < 50; i++) {
        expect(replies[201 + i]).toBe(1);
        expected.set(`e${i * 3 + 1}`, JSON.stringify({ set: i }));
      }
      const info = await waitFor('BGREWRITEAOF to finish', async () => {
        const text = (await c.value('INFO', 'persistence')) as string;
        return infoField(text, 'aof_rewrite_in_progress') === '0' ? text : undefined;
      });
      expect(infoField(info, 'aof_last_bgrewrite_status')).toBe('ok');
      expect(Number(infoField(info, 'aof_rewrites'))).toBe(rewritesBefore + 1);
      // Writes after the rewrite land in the new increment.
      for (let i = 0; i < 20; i++) {
        expect(await c.value('VADD', 'vs', 'VALUES', 8, ...valuesArgs(r, 8), `a${i}`)).toBe(1);
        expected.set(`a${i}`, null);
      }
      expect(await c.value('VREM', 'vs', 'd0')).toBe(1);
      expected.delete('d0');
      digest = await c.value('DEBUG', 'DIGEST');
    } finally {
      c.close();
      await s.stop('SIGKILL');
    }
    const files = fs.readdirSync(path.join(dir, 'appendonlydir'));
    expect(files.filter((f) => f.includes('.base.')).length).toBe(1);
    await withServer(dir, args, async (c2) => {
      expect(await c2.value('DEBUG', 'DIGEST')).toBe(digest);
      expect(await c2.value('VCARD', 'vs')).toBe(expected.size);
      const attrs = await c2.pipeline([...expected.keys()].map((name) => ['VGETATTR', 'vs', name]));
      expect(new Map([...expected.keys()].map((name, i) => [name, attrs[i]]))).toEqual(expected);
      for (let i = 0; i < 100; i++) expect(await c2.value('VISMEMBER', 'vs', `e${i * 3}`)).toBe(0);
      expect(await c2.value('DEBUG', 'VSET-VALIDATE', 'vs')).toBe('OK');
      expect(await c2.value('DBSIZE')).toBe(9);
    });
  });

  it('CONFIG SET appendonly yes starts an AOF from the current data', async () => {
    const dir = tmpDir();
    await withServer(dir, [], async (c) => {
      await c.call('SET', 'before', '1');
      expect(await c.call('CONFIG', 'SET', 'appendonly', 'yes')).toBe('+OK\r\n');
      await c.call('SET', 'after', '2');
    });
    await withServer(dir, ['--appendonly', 'yes'], async (c) => {
      expect(await c.call('MGET', 'before', 'after')).toBe('*2\r\n$1\r\n1\r\n$1\r\n2\r\n');
    });
  });
});

describe('DUMP / RESTORE', () => {
  it('round-trips strings and refuses damaged payloads', async () => {
    const dir = tmpDir();
    await withServer(dir, [], async (c) => {
      await c.call('SET', 'src', 'hello world');
      const payload = Buffer.from((await c.value('DUMP', 'src')) as string, 'latin1');
      expect(await c.call('DUMP', 'missing')).toBe('$-1\r\n');
      expect(await c.call('RESTORE', 'dst', '0', payload)).toBe('+OK\r\n');
      expect(await c.call('GET', 'dst')).toBe('$11\r\nhello world\r\n');
      expect(await c.call('RESTORE', 'dst', '0', payload)).toBe('-BUSYKEY Target key name already exists.\r\n');
      expect(await c.call('RESTORE', 'dst', '5000', payload, 'REPLACE')).toBe('+OK\r\n');
      expect((await c.value('PTTL', 'dst')) as number).toBeGreaterThan(4000);
      expect(await c.call('RESTORE', 'dst2', '-1', payload)).toBe('-ERR Invalid TTL value, must be >= 0\r\n');
      const damaged = Buffer.from(payload);
      damaged[3]! ^= 1;
      expect(await c.call('RESTORE', 'dst3', '0', damaged)).toBe('-ERR DUMP payload version or checksum are wrong\r\n');
      expect(await c.call('RESTORE', 'dst3', '0', 'short')).toBe('-ERR DUMP payload version or checksum are wrong\r\n');
      expect(await c.call('EXISTS', 'dst3')).toBe(':0\r\n');
    });
  });
});
