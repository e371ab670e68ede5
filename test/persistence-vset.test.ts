/**
 * Persistence of vector sets (issue 6): snapshot and AOF round trips keep every element,
 * attribute and search result; kill -9 under appendfsync always loses no acknowledged VADD/VREM.
 * Damaged payloads: persistence-vset-payloads.test.ts.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './helpers/server.js';
import { RawConnection } from './helpers/raw.js';
import { rng } from './helpers/rng.js';
import { infoField, waitFor } from './helpers/wait.js';

const DIM = 8;


function vec(r: () => number, dim = DIM): string[] {
  return Array.from({ length: dim }, () => (r() * 2 - 1).toFixed(5));
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-vpersist-'));
}

/** Replies that characterise a set completely: elements, vectors, attributes and exact searches. */
async function fingerprint(c: RawConnection, key: string, queries: string[][]): Promise<string[]> {
  const out: string[] = [];
  out.push(await c.call('VCARD', key));
  out.push(await c.call('VRANGE', key, '-', '+'));
  const names = (await c.value('VRANGE', key, '-', '+')) as string[];
  for (const n of names) {
    out.push(await c.call('VEMB', key, n));
    out.push(await c.call('VGETATTR', key, n));
  }
  for (const q of queries) out.push(await c.call('VSIM', key, 'VALUES', q.length, ...q, 'WITHSCORES', 'COUNT', 20, 'TRUTH'));
  const info = (await c.value('VINFO', key)) as unknown[];
  // vset-uid and hnsw-max-node-uid are not persisted (spec §1.4); compare the rest.
  out.push(JSON.stringify(info.slice(0, 14)));
  return out;
}

describe('round trips', () => {
  it('SAVE + restart, DEBUG RELOAD and BGREWRITEAOF keep every element, attribute and exact search', async () => {
    const dir = tmpDir();
    const args = ['--appendonly', 'yes', '--enable-debug-command', 'yes'];
    const s = await startServer({ dir, args });
    const c = await RawConnection.connect(s.port);
    const r = rng(3);
    const sets: Array<[string, string[]]> = [
      ['q8', []],
      ['f32', ['NOQUANT']],
      ['bin', ['BIN']],
      ['m32', ['M', '32']],
    ];
    for (const [key, opts] of sets) {
      for (let i = 0; i < 300; i++) {
        const attr = i % 3 === 0 ? ['SETATTR', JSON.stringify({ i, tag: `t${i % 5}` })] : [];
        await c.call('VADD', key, 'VALUES', DIM, ...vec(r), `${key}:${i}`, ...opts, ...attr);
      }
      for (let i = 0; i < 300; i += 7) await c.call('VREM', key, `${key}:${i}`);
    }
    for (let i = 0; i < 100; i++) await c.call('VADD', 'red', 'REDUCE', 4, 'VALUES', 16, ...vec(r, 16), `red:${i}`);
    const queries = Array.from({ length: 5 }, () => vec(r));
    const before = new Map<string, string[]>();
    for (const [key] of sets) before.set(key, await fingerprint(c, key, queries));
    const redQueries = [vec(r, 4), vec(r, 16)];
    before.set('red', await fingerprint(c, 'red', redQueries));
    const digests = await c.value('DEBUG', 'DIGEST-VALUE', 'q8', 'f32', 'bin', 'm32', 'red');
    expect(await c.call('SAVE')).toBe('+OK\r\n');
    expect(await c.call('DEBUG', 'RELOAD')).toBe('+OK\r\n');
    expect(await c.value('DEBUG', 'DIGEST-VALUE', 'q8', 'f32', 'bin', 'm32', 'red')).toEqual(digests);
    expect(await c.call('BGREWRITEAOF')).toBe('+Background append only file rewriting started\r\n');
    const info = await waitFor('BGREWRITEAOF to finish', async () => {
      const text = (await c.value('INFO', 'persistence')) as string;
      return infoField(text, 'aof_rewrite_in_progress') === '0' ? text : undefined;
    });
    expect(infoField(info, 'aof_last_bgrewrite_status')).toBe('ok');
    for (const key of ['q8', 'f32', 'bin', 'm32', 'red']) expect(await c.call('DEBUG', 'VSET-VALIDATE', key)).toBe('+OK\r\n');
    c.close();
    await s.stop('SIGKILL');
    // From the AOF (base written by the rewrite) …
    const s2 = await startServer({ dir, args });
    const c2 = await RawConnection.connect(s2.port);
    for (const [key] of sets) expect(await fingerprint(c2, key, queries)).toEqual(before.get(key));
    expect(await fingerprint(c2, 'red', redQueries)).toEqual(before.get('red'));
    expect(await c2.value('DEBUG', 'DIGEST-VALUE', 'q8', 'f32', 'bin', 'm32', 'red')).toEqual(digests);
    c2.close();
    await s2.stop('SIGKILL');
    // … and from the snapshot alone.
    const s3 = await startServer({ dir, args: ['--enable-debug-command', 'yes'] });
    const c3 = await RawConnection.connect(s3.port);
    for (const [key] of sets) expect(await fingerprint(c3, key, queries)).toEqual(before.get(key));
    expect(await fingerprint(c3, 'red', redQueries)).toEqual(before.get('red'));
    c3.close();
    await s3.stop('SIGKILL');
  });

  it('DUMP / RESTORE copies a vector set exactly', async () => {
    const s = await startServer({ args: ['--enable-debug-command', 'yes'] });
    const c = await RawConnection.connect(s.port);
    const r = rng(9);
    for (let i = 0; i < 200; i++) await c.call('VADD', 'src', 'VALUES', DIM, ...vec(r), `e${i}`, 'SETATTR', JSON.stringify({ i }));
    const payload = Buffer.from((await c.value('DUMP', 'src')) as string, 'latin1');
    expect(await c.call('RESTORE', 'dst', '0', payload)).toBe('+OK\r\n');
    const q = [vec(r)];
    expect(await fingerprint(c, 'dst', q)).toEqual(await fingerprint(c, 'src', q));
    expect(await c.call('RESTORE', 'dst', '0', payload)).toBe('-BUSYKEY Target key name already exists.\r\n');
    expect(await c.call('TYPE', 'dst')).toBe('+vectorset\r\n');
    const [a, b] = (await c.value('DEBUG', 'DIGEST-VALUE', 'src', 'dst')) as string[];
    expect(a).toBe(b);
    c.close();
    await s.stop('SIGKILL');
  });
});

describe('kill -9 under appendfsync always', () => {
  it('10 rounds of acknowledged VADD/VREM: nothing acknowledged is lost, nothing removed returns, graph valid, exact searches equal a server that never crashed', async () => {
    const dir = tmpDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes'];
    const reference = await startServer({});
    const ref = await RawConnection.connect(reference.port);
    const present = new Set<string>();
    const r = rng(21);
    let seq = 0;
    const queries = Array.from({ length: 4 }, () => vec(r));
    for (let round = 0; round < 10; round++) {
      const s = await startServer({ dir, args });
      const c = await RawConnection.connect(s.port);
      // After a restart: the set holds exactly what was acknowledged (plus possibly the one
      // unacknowledged command of the previous round, which we resolve by asking).
      for (const n of present) expect(await c.call('VISMEMBER', 'crash', n)).toBe(':1\r\n');
      if (present.size > 0) {
        expect(await c.call('DEBUG', 'VSET-VALIDATE', 'crash')).toBe('+OK\r\n');
        expect(await c.value('VCARD', 'crash')).toBe(present.size);
        for (const q of queries) {
          expect(await c.call('VSIM', 'crash', 'VALUES', DIM, ...q, 'WITHSCORES', 'COUNT', 10, 'TRUTH')).toBe(
            await ref.call('VSIM', 'crash', 'VALUES', DIM, ...q, 'WITHSCORES', 'COUNT', 10, 'TRUTH'),
          );
        }
      }
      const ops = 20 + Math.floor(r() * 40);
      const killAt = Math.floor(r() * ops);
      for (let i = 0; i < ops; i++) {
        const remove = present.size > 5 && r() < 0.35;
        const name = remove ? [...present][Math.floor(r() * present.size)]! : `c${seq++}`;
        const args2 = remove ? ['VREM', 'crash', name] : ['VADD', 'crash', 'VALUES', String(DIM), ...vec(r), name];
        if (i === killAt) {
          // Sent, then the server dies before (or after) it is applied: not acknowledged.
          c.write(Buffer.from(`*${args2.length}\r\n${args2.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
          s.proc.kill('SIGKILL');
          await s.stop();
          const s2 = await startServer({ dir, args });
          const probe = await RawConnection.connect(s2.port);
          const isThere = (await probe.value('VISMEMBER', 'crash', name)) === 1;
          probe.close();
          await s2.stop('SIGKILL');
          if (remove && !isThere) {
            present.delete(name);
            await ref.call(...(args2 as [string, ...string[]]));
          } else if (!remove && isThere) {
            present.add(name);
            await ref.call(...(args2 as [string, ...string[]]));
          }
          break;
        }
        const reply = await c.value(...args2);
        expect(reply).toBe(1);
        await ref.call(...(args2 as [string, ...string[]]));
        if (remove) present.delete(name);
        else present.add(name);
      }
      c.close();
      if (s.proc.exitCode === null && s.proc.signalCode === null) await s.stop('SIGKILL');
    }
    ref.close();
    await reference.stop('SIGKILL');
  });
});

// ---- damaged graphs ------------------------------------------------------------------------

/** Header word indexes of the engine's records image (src/hnsw/layout.ts). */
