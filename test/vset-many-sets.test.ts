// Many sets in one server (issue 14): tens of thousands of small sets in arenas survive SAVE,
// restarts and the AOF exactly; create/delete churn keeps every set valid and reuses memory; an
// allocation failure is an -OOM reply that changes nothing; MEMORY USAGE follows attributes; a set
// that grows past the arena limit moves to memory of its own while clients search it.
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './helpers/server.js';
import { RawConnection, RespError, type RespValue } from './helpers/raw.js';
import { infoField, waitFor } from './helpers/wait.js';
import { Prng } from '../src/hnsw/prng.js';

const running: RunningServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop('SIGKILL');
});

async function start(args: string[], dir?: string): Promise<RunningServer> {
  const s = await startServer({ args: ['--enable-debug-command', 'yes', ...args], ...(dir ? { dir } : {}) });
  running.push(s);
  return s;
}

function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}


function vaddArgs(key: string, name: string, r: () => number, dim: number, extra: Array<string | number> = []): Array<string | number> {
  return ['VADD', key, 'VALUES', dim, ...Array.from({ length: dim }, () => (r() * 2 - 1).toFixed(4)), name, ...extra];
}

async function memoryInfo(c: RawConnection, field: string): Promise<number> {
  return Number(infoField((await c.value('INFO', 'memory')) as string, field));
}

describe('tens of thousands of small sets', () => {
  it('50,000 sets: SAVE and a restart give back exactly the same data, each set in an arena', async () => {
    const s = await start([]);
    const c = await RawConnection.connect(s.port);
    const r = rng(1);
    const cmds: Array<Array<string | number>> = [];
    for (let k = 0; k < 50_000; k++) for (let e = 0; e < 2; e++) cmds.push(vaddArgs(`tenant:${k}`, `doc${e}`, r, 4, e === 1 && k % 7 === 0 ? ['SETATTR', `{"k":${k}}`] : []));
    const replies = await c.pipeline(cmds, 5000);
    expect(replies.every((x) => x === 1)).toBe(true);
    expect(await c.value('DBSIZE')).toBe(50_000);
    const digest = await c.value('DEBUG', 'DIGEST');
    expect(await c.value('DEBUG', 'VSET-PLACE', 'tenant:777')).toEqual(['arena', expect.any(Number)]);
    const odd = Array.from({ length: 100 }, (_, i) => `tenant:${2 * i + 5}`);
    const oddDigests = await c.value('DEBUG', 'DIGEST-VALUE', ...odd);
    expect(await c.value('SAVE')).toBe('OK');
    c.close();
    await s.stop('SIGKILL');
    running.splice(running.indexOf(s), 1);

    const again = await start([], s.dir);
    const d = await RawConnection.connect(again.port);
    expect(await d.value('DBSIZE')).toBe(50_000);
    expect(await d.value('DEBUG', 'DIGEST')).toBe(digest);
    // Element counts of sets whose views the hydration ring let go (all but the last few
    // hundred), read without making them again.
    expect(again.output()).toMatch(/DB loaded from disk: .* 50000 keys, 100000 vector set elements/);
    expect(infoField((await d.value('INFO', 'vectorsets')) as string, 'db0')).toBe('sets=50000,elements=100000');
    for (const k of [0, 7, 12_345, 49_999]) {
      expect(await d.value('DEBUG', 'VSET-VALIDATE', `tenant:${k}`)).toBe('OK');
      expect(await d.value('DEBUG', 'VSET-PLACE', `tenant:${k}`)).toEqual(['arena', expect.any(Number)]);
      expect(await d.value('VSIM', `tenant:${k}`, 'VALUES', 4, 1, 0, 0, 0, 'COUNT', 5)).toHaveLength(2);
    }
    expect(await d.value('VGETATTR', 'tenant:7', 'doc1')).toBe('{"k":7}');
    // Loaded sets grow as before.
    expect(await d.value(...vaddArgs('tenant:3', 'doc9', r, 4))).toBe(1);
    expect(await d.value('DEBUG', 'VSET-VALIDATE', 'tenant:3')).toBe('OK');
    // Sets loaded one after another lie side by side in an arena: growing the even ones well past
    // their blocks (they move) leaves the odd ones, their neighbours, untouched. (A loaded set
    // whose header claimed one record more than its block holds wrote into its neighbour.)
    const grow: Array<Array<string | number>> = [];
    for (let i = 0; i < 100; i++) for (let e = 0; e < 40; e++) grow.push(vaddArgs(`tenant:${2 * i + 4}`, `more${e}`, r, 4));
    expect((await d.pipeline(grow, 1000)).every((x) => x === 1)).toBe(true);
    expect(await d.value('DEBUG', 'DIGEST-VALUE', ...odd)).toEqual(oddDigests);
    for (const k of [...odd.slice(0, 10), 'tenant:4', 'tenant:202']) expect(await d.value('DEBUG', 'VSET-VALIDATE', k)).toBe('OK');
    d.close();
  });

  it('AOF: sets in the rewritten base and in the increment after it all come back after kill -9', async () => {
    const s = await start(['--appendonly', 'yes', '--appendfsync', 'always']);
    const c = await RawConnection.connect(s.port);
    const r = rng(2);
    const first: Array<Array<string | number>> = [];
    for (let k = 0; k < 8000; k++) for (let e = 0; e < 3; e++) first.push(vaddArgs(`a:${k}`, `e${e}`, r, 3));
    expect((await c.pipeline(first, 2000)).every((x) => x === 1)).toBe(true);
    expect(await c.value('BGREWRITEAOF')).toMatch(/rewriting started/);
    await waitFor('the AOF rewrite', async () => {
      const info = (await c.value('INFO', 'persistence')) as string;
      return infoField(info, 'aof_rewrite_in_progress') === '0' && infoField(info, 'aof_last_bgrewrite_status') === 'ok';
    });
    const second: Array<Array<string | number>> = [];
    for (let k = 0; k < 4000; k++) second.push(k % 2 === 0 ? vaddArgs(`a:${k}`, 'late', r, 3) : ['DEL', `a:${k}`]);
    await c.pipeline(second, 2000);
    const digest = await c.value('DEBUG', 'DIGEST');
    c.close();
    await s.stop('SIGKILL');
    running.splice(running.indexOf(s), 1);

    const again = await start(['--appendonly', 'yes'], s.dir);
    const d = await RawConnection.connect(again.port);
    expect(await d.value('DBSIZE')).toBe(8000 - 2000);
    expect(await d.value('DEBUG', 'DIGEST')).toBe(digest);
    expect(await d.value('VCARD', 'a:0')).toBe(4);
    expect(await d.value('DEBUG', 'VSET-VALIDATE', 'a:7998')).toBe('OK');
    d.close();
  });
});

describe('churn', () => {
  it('create and delete thousands of sets of random sizes: every set valid, freed memory reused', async () => {
    const s = await start([]);
    const c = await RawConnection.connect(s.port);
    const sizes = (seed: number): number[] => {
      const r = rng(seed);
      return Array.from({ length: 1500 }, () => 1 + Math.floor(r() * r() * 120));
    };
    const create = async (prefix: string, seed: number, which: (k: number) => boolean): Promise<void> => {
      const r = rng(seed + 100);
      const cmds: Array<Array<string | number>> = [];
      sizes(seed).forEach((n, k) => {
        if (which(k)) for (let e = 0; e < n; e++) cmds.push(vaddArgs(`${prefix}${k}`, `m${e}`, r, 12, ['EF', 20]));
      });
      expect((await c.pipeline(cmds, 2000)).every((x) => x === 1)).toBe(true);
    };
    await create('x:', 5, () => true);
    const used1 = await memoryInfo(c, 'vset_arena_used');
    const reserved1 = await memoryInfo(c, 'vset_arena_reserved');
    expect(used1).toBeGreaterThan(0);
    // Delete two thirds, remove some elements from the rest, check them all.
    const r = rng(9);
    const dels: Array<Array<string | number>> = [];
    sizes(5).forEach((n, k) => {
      if (k % 3 !== 0) dels.push(['DEL', `x:${k}`]);
      else if (n > 2) dels.push(['VREM', `x:${k}`, `m${Math.floor(r() * n)}`]);
    });
    await c.pipeline(dels, 2000);
    for (let k = 0; k < 1500; k += 3) expect(await c.value('DEBUG', 'VSET-VALIDATE', `x:${k}`)).toBe('OK');
    expect(await memoryInfo(c, 'vset_arena_used')).toBeLessThan(used1 / 2);
    // The deleted sets again under other names: they take the blocks freed, so the arenas grow by
    // a fraction of what they would without reuse (two thirds of the first round's bytes).
    await create('y:', 5, (k) => k % 3 !== 0);
    const used2 = await memoryInfo(c, 'vset_arena_used');
    expect(used2).toBeGreaterThan(used1 * 0.9);
    expect(await memoryInfo(c, 'vset_arena_reserved')).toBeLessThan(reserved1 + used1 / 4);
    for (let k = 1; k < 1500; k += 37) if (k % 3 !== 0) expect(await c.value('DEBUG', 'VSET-VALIDATE', `y:${k}`)).toBe('OK');
    // Everything gone: nothing in use.
    expect(await c.value('FLUSHALL')).toBe('OK');
    expect(await memoryInfo(c, 'vset_arena_used')).toBe(0);
    c.close();
  });
});

describe('limits', () => {
  it('an allocation failure answers -OOM, changes nothing, and the server goes on', async () => {
    const s = await start([]);
    const c = await RawConnection.connect(s.port);
    const other = await RawConnection.connect(s.port);
    const r = rng(3);
    // A new set that cannot get a block is never created.
    expect(await c.value('DEBUG', 'ARENA-FAIL', 1)).toBe('OK');
    const refused = await c.value(...vaddArgs('fresh', 'a', r, 8));
    expect(refused).toBeInstanceOf(RespError);
    expect((refused as RespError).message).toMatch(/^OOM /);
    expect(await c.value('EXISTS', 'fresh')).toBe(0);
    // A set that must move to a bigger block stays as it was.
    expect(await c.value(...vaddArgs('grow', 'a', r, 8))).toBe(1);
    expect(await c.value('DEBUG', 'ARENA-FAIL', 1000)).toBe('OK');
    let error: RespError | null = null;
    let card = 0;
    let digest: RespValue = null;
    for (let i = 0; i < 100 && error === null; i++) {
      card = (await c.value('VCARD', 'grow')) as number;
      digest = await c.value('DEBUG', 'DIGEST-VALUE', 'grow');
      const reply = await c.value(...vaddArgs('grow', `e${i}`, r, 8));
      if (reply instanceof RespError) error = reply;
    }
    expect(error?.message).toMatch(/^OOM /);
    expect(await c.value('VCARD', 'grow')).toBe(card);
    expect(await c.value('DEBUG', 'DIGEST-VALUE', 'grow')).toEqual(digest);
    // Other clients are served meanwhile; once memory is back, writes go on.
    expect(await other.value('PING')).toBe('PONG');
    expect(await c.value('DEBUG', 'ARENA-FAIL', 0)).toBe('OK');
    expect(await c.value(...vaddArgs('grow', 'after', r, 8))).toBe(1);
    expect(await c.value('VCARD', 'grow')).toBe(card + 1);
    expect(await c.value('DEBUG', 'VSET-VALIDATE', 'grow')).toBe('OK');
    c.close();
    other.close();
  });

  it('MEMORY USAGE grows with a larger attribute and shrinks when it goes', async () => {
    const s = await start([]);
    const c = await RawConnection.connect(s.port);
    const r = rng(4);
    for (let i = 0; i < 3; i++) expect(await c.value(...vaddArgs('m', `e${i}`, r, 8))).toBe(1);
    const before = (await c.value('MEMORY', 'USAGE', 'm')) as number;
    expect(await c.value('VSETATTR', 'm', 'e1', JSON.stringify({ text: 'x'.repeat(10_000) }))).toBe(1);
    const bigger = (await c.value('MEMORY', 'USAGE', 'm')) as number;
    expect(bigger).toBeGreaterThan(before + 10_000);
    expect(await c.value('VSETATTR', 'm', 'e1', '')).toBe(1);
    // The old attribute waits for searches that could see it (none here): freed at the next write.
    expect(await c.value(...vaddArgs('m', 'e3', r, 8))).toBe(1);
    expect((await c.value('MEMORY', 'USAGE', 'm')) as number).toBeLessThan(bigger - 10_000);
    c.close();
  });
});

describe('a set outgrowing its arena', () => {
  it('moves to memory of its own while clients search it, and no search sees a name not yet added', async () => {
    const s = await start(['--search-threads', '2']);
    const w = await RawConnection.connect(s.port);
    await w.value('MEMORY', 'PURGE');
    const usedBefore = await memoryInfo(w, 'used_memory');
    const dim = 128;
    const r = rng(6);
    // 128-dim float32 records are 660 bytes: 14,000 of them pass the 8 MiB arena limit.
    const total = 14_000;
    let sent = 0;
    let done = false;
    const bad: string[] = [];
    let searches = 0;
    const searcher = async (seed: number): Promise<void> => {
      const q = await RawConnection.connect(s.port);
      const qr = rng(seed);
      while (!done) {
        const limit = sent;
        const reply = await q.value('VSIM', 'big', 'VALUES', dim, ...Array.from({ length: dim }, () => (qr() * 2 - 1).toFixed(3)), 'COUNT', 5);
        if (reply instanceof RespError) {
          if (!/no such key|not found/i.test(reply.message) && limit > 0) bad.push(reply.message);
          continue;
        }
        searches++;
        for (const name of (reply ?? []) as string[]) if (Number(name.slice(1)) >= sent) bad.push(`${name} before it was added (${limit} sent)`);
      }
      q.close();
    };
    const searchers = [searcher(11), searcher(12), searcher(13)];
    for (let i = 0; i < total; i += 500) {
      const cmds: Array<Array<string | number>> = [];
      for (let k = i; k < Math.min(total, i + 500); k++) cmds.push(vaddArgs('big', `e${k}`, r, dim, ['EF', 16, 'NOQUANT']));
      sent = Math.min(total, i + 500);
      const replies = await w.pipeline(cmds, 2000);
      expect(replies.every((x) => x === 1)).toBe(true);
    }
    done = true;
    await Promise.all(searchers);
    expect(bad).toEqual([]);
    expect(searches).toBeGreaterThan(0);
    expect(await w.value('VCARD', 'big')).toBe(total);
    const [place, bytes] = (await w.value('DEBUG', 'VSET-PLACE', 'big')) as [string, number];
    expect(place).toBe('own');
    expect(bytes).toBeGreaterThan(8 * 1024 * 1024);
    // Its memories count in used_memory (Node's own figures leave WebAssembly memories and
    // growable buffers out).
    expect((await memoryInfo(w, 'used_memory')) - usedBefore).toBeGreaterThan(bytes);
    expect(await w.value('DEBUG', 'VSET-VALIDATE', 'big')).toBe('OK');
    w.close();
  });
});
