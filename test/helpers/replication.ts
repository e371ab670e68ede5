/**
 * Helpers for replication suites: servers started as primary or replica, waiting until a
 * replica has applied everything its primary sent (offsets equal, link up), and comparing two
 * servers' data the ways a user would notice a difference.
 */
import { expect } from 'vitest';
import { startServer, type RunningServer, type StartOptions } from './server.js';
import { RawConnection, type RespValue } from './raw.js';
import { infoField, waitFor } from './wait.js';

/** Options every replication suite's servers get: DEBUG for digests, no delay before a sync. */
export const REPL_ARGS = ['--enable-debug-command', 'yes', '--repl-diskless-sync-delay', '0', '--search-threads', '1'];

export async function startNode(opts: StartOptions = {}): Promise<RunningServer> {
  return startServer({ ...opts, args: [...REPL_ARGS, ...(opts.args ?? [])] });
}

export async function startReplicaOf(primary: RunningServer, opts: StartOptions = {}): Promise<RunningServer> {
  return startNode({ ...opts, args: ['--replicaof', '127.0.0.1', String(primary.port), ...(opts.args ?? [])] });
}

export async function infoOf(port: number, section = 'replication'): Promise<string> {
  return RawConnection.using(port, async (c) => ((await c.value('INFO', section)) as string));
}

/** Waits until every replica is connected and has applied all the primary has sent. */
export async function waitInSync(primary: RunningServer, replicas: RunningServer[], limitMs = 60_000): Promise<void> {
  await waitFor(
    `replicas ${replicas.map((r) => r.port).join(', ')} to catch up with ${primary.port}`,
    async () => {
      const want = infoField(await infoOf(primary.port), 'master_repl_offset');
      for (const r of replicas) {
        const info = await infoOf(r.port);
        if (infoField(info, 'master_link_status') !== 'up' || infoField(info, 'slave_repl_offset') !== want) return false;
      }
      return true;
    },
    limitMs,
  );
}

async function values(port: number, cmds: Array<Array<string | number>>): Promise<RespValue[]> {
  return RawConnection.using(port, async (c) => {
    const out: RespValue[] = [];
    for (const cmd of cmds) out.push(await c.value(...cmd));
    return out;
  });
}

/**
 * The reads that must agree between a primary and its replica: DEBUG DIGEST of everything and,
 * per vector set, VCARD, DEBUG DIGEST-VALUE, VEMB of a few elements and exact (TRUTH) searches.
 */
export async function expectSameData(a: number, b: number, sets: Array<{ key: string; db?: number; dim: number; elements: string[] }>, strings: string[] = []): Promise<void> {
  const cmds: Array<Array<string | number>> = [['DEBUG', 'DIGEST']];
  for (const s of sets) {
    cmds.push(['SELECT', s.db ?? 0], ['VCARD', s.key], ['DEBUG', 'DIGEST-VALUE', s.key]);
    for (const e of s.elements.slice(0, 5)) cmds.push(['VEMB', s.key, e]);
    for (const e of s.elements.slice(0, 3)) cmds.push(['VSIM', s.key, 'ELE', e, 'TRUTH', 'COUNT', 20, 'WITHSCORES']);
  }
  cmds.push(['SELECT', 0]);
  for (const k of strings) cmds.push(['GET', k]);
  const [va, vb] = await Promise.all([values(a, cmds), values(b, cmds)]);
  expect(va[0]).not.toBe('0'.repeat(40));
  for (let i = 0; i < cmds.length; i++) expect(vb[i], `${cmds[i]!.join(' ')} on ${b} vs ${a}`).toEqual(va[i]);
}
