/**
 * lookupRead, the read lookup every command module makes (keyspace hit/miss counting for INFO
 * stats, as Redis's lookupKeyRead).
 *
 * A module of its own, and not in keys.ts where the rule is explained, so that the command
 * families split off keys.ts (expire.ts) and the type modules (strings, hashes) can use it
 * without importing keys.ts, whose table imports those families in turn.
 */
import type { Client } from '../server/client.js';
import type { Entry } from '../keyspace/database.js';

/**
 * A read lookup as Redis's lookupKeyRead: lazy expiry, keyspace hit/miss counting and, unless
 * `touch` is false (LOOKUP_NOTOUCH), an access for OBJECT IDLETIME.
 */
export function lookupRead(c: Client, k: string, touch = true, now = Date.now()): Entry | undefined {
  const e = c.db.lookup(k, now, touch);
  const stats = c.server.keyspace.stats;
  if (e) stats.keyspaceHits++;
  else stats.keyspaceMisses++;
  return e;
}
