/**
 * All databases plus the bookkeeping that spans them: WATCH registrations (which clients must see
 * their transaction aborted when a key changes) and counters for INFO.
 */
import { Database, type DatabaseEvents, type ExpiryMode } from './database.js';

export type { ExpiryMode };

/** A client that watches keys; the keyspace only needs to flag it. */
export interface KeyWatcher {
  /** Called when any watched key was modified: the next EXEC must fail. */
  watchedKeyModified(): void;
}

export interface KeyspaceStats {
  expiredKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
}

export class Keyspace {
  readonly dbs: Database[];
  readonly stats: KeyspaceStats = { expiredKeys: 0, keyspaceHits: 0, keyspaceMisses: 0 };
  /** Per database: key → clients watching it. */
  private readonly watched: Array<Map<string, Set<KeyWatcher>>>;
  /** Receives keys removed by expiry, so persistence can log a DEL. */
  onExpired: (db: number, key: string) => void = () => {};
  /** What lookups do with keys past their TTL (database.ts); a replica changes it. */
  readonly expiry: { mode: ExpiryMode } = { mode: 'delete' };

  constructor(databases: number) {
    const events: DatabaseEvents = {
      expiry: this.expiry,
      modified: (db, key) => this.signalModified(db, key),
      expired: (db, key) => {
        this.stats.expiredKeys++;
        this.onExpired(db, key);
      },
    };
    this.dbs = Array.from({ length: databases }, (_, i) => new Database(i, events));
    this.watched = Array.from({ length: databases }, () => new Map());
  }

  watch(db: number, key: string, who: KeyWatcher): void {
    const m = this.watched[db]!;
    let set = m.get(key);
    if (!set) {
      set = new Set();
      m.set(key, set);
    }
    set.add(who);
  }

  unwatch(db: number, key: string, who: KeyWatcher): void {
    const m = this.watched[db]!;
    const set = m.get(key);
    if (!set) return;
    set.delete(who);
    if (set.size === 0) m.delete(key);
  }

  get watchedKeyCount(): number {
    let n = 0;
    for (const m of this.watched) n += m.size;
    return n;
  }

  signalModified(db: number, key: string): void {
    const set = this.watched[db]!.get(key);
    if (set) for (const w of set) w.watchedKeyModified();
  }

  /** FLUSHALL: empties every database; returns the number of keys removed. */
  flushAll(): number {
    let n = 0;
    for (const db of this.dbs) n += db.flush();
    return n;
  }

  totalKeys(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }
}
