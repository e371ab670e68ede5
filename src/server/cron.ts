/**
 * The periodic work of the server's cron (hz times a second), as Redis's serverCron does it:
 * active expiry, the idle-client timeout and the instantaneous ops/sec figure of INFO.
 */
import type { Database } from '../keyspace/database.js';
import type { Client } from './client.js';

/**
 * Active expiry: sample 20 volatile keys per db, repeat while more than a quarter expired,
 * bounded to a few milliseconds so a burst of expiries cannot stall clients.
 */
export function activeExpireCycle(dbs: readonly Database[], now: number): void {
  const deadline = performance.now() + 5;
  for (const db of dbs) {
    if (db.expiresCount === 0) continue;
    for (;;) {
      const { sampled, expired } = db.expireCycle(20, now);
      if (sampled === 0 || expired * 4 <= sampled || performance.now() > deadline) break;
    }
  }
}

/**
 * The clients idle longer than `timeout` seconds. As in Redis, a client in pub/sub mode is never
 * idle: it waits for messages and may send nothing for hours (Sentinel's pubsub link, for one).
 */
export function idleClients(clients: Iterable<Client>, timeout: number, now: number): Client[] {
  if (timeout <= 0) return [];
  const out: Client[] = [];
  for (const c of clients) {
    if (!c.multi && c.pendingReplies === 0 && !c.subscriptions.active && now - c.lastInteraction > timeout * 1000) out.push(c);
  }
  return out;
}

/** Instantaneous ops/sec over the last second or so (16 samples, as Redis). */
export class OpsMeter {
  private samples: number[] = [];
  private last = { at: Date.now(), commands: 0 };
  value = 0;

  sample(now: number, totalCommands: number): void {
    const dt = now - this.last.at;
    if (dt < 100) return;
    this.samples.push(((totalCommands - this.last.commands) * 1000) / dt);
    if (this.samples.length > 16) this.samples.shift();
    this.value = Math.round(this.samples.reduce((a, b) => a + b, 0) / this.samples.length);
    this.last = { at: now, commands: totalCommands };
  }
}
