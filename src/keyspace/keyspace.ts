/**
 * All databases plus the bookkeeping that spans them: WATCH registrations (which clients must see
 * their transaction aborted when a key changes), keyspace observers (which FT.* indexes use to
 * follow the hashes under their prefixes) and counters for INFO.
 */
import { Database, type DatabaseEvents, type ExpiryMode } from './database.js';

export type { ExpiryMode };

/** A client that watches keys; the keyspace only needs to flag it. */
export interface KeyWatcher {
  /** Called when any watched key was modified: the next EXEC must fail. */
  watchedKeyModified(): void;
}

/**
 * Told, synchronously on the main thread and after the change, about every change to what keys
 * hold, in any database and by any path: commands of every type, DEL/UNLINK, overwrites (SET,
 * RESTORE REPLACE, COPY REPLACE), RENAME/RENAMENX (source and target), MOVE (both databases),
 * lazy and active expiry. A TTL change alone (EXPIRE, PERSIST) is not a value change and is not
 * reported; the removal at expiry is.
 *
 * An observer must not change the keyspace and should not throw (an exception is caught and
 * reported through Keyspace.onObserverError, so the operation that fired it completes).
 */
export interface KeyspaceObserver {
  /**
   * The value at `key` in database `db` was created, changed in place, replaced or removed. Look
   * at the database (`keyspace.dbs[db].peek(key)`) to see what it holds now: undefined after a
   * removal. One command may report the same key more than once (RENAME onto an existing key:
   * the old target's removal, then the new value).
   */
  keyChanged(db: number, key: string): void;
  /** FLUSHDB / FLUSHALL: every key of `db` is gone (one event per database, not per key). */
  flushed(db: number): void;
  /** SWAPDB: databases `a` and `b` exchanged their whole contents. */
  swapped(a: number, b: number): void;
  /**
   * A load finished: the snapshot or AOF at start-up, DEBUG RELOAD, DEBUG LOADAOF. During a load
   * no other event is sent (not the flush before it, not a key's arrival, not the commands an AOF
   * replays); the dataset may be entirely different afterwards, so an observer rebuilds from the
   * databases in one pass. That is cheaper than millions of single events, and an index whose
   * definition arrives with the same load (after the keys) misses nothing.
   */
  loaded(): void;
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
  /** Receives what an observer threw (the server logs it). */
  onObserverError: (e: unknown) => void = () => {};
  private observers: KeyspaceObserver[] = [];
  /** Nesting depth of load(): observers hear nothing but the final `loaded`. */
  private loadDepth = 0;
  /** What lookups do with keys past their TTL (database.ts); a replica changes it. */
  readonly expiry: { mode: ExpiryMode } = { mode: 'delete' };

  constructor(databases: number) {
    const events: DatabaseEvents = {
      expiry: this.expiry,
      modified: (db, key) => this.signalModified(db, key),
      // Every write passes here: no closure is made unless someone listens.
      valueChanged: (db, key) => {
        if (this.observers.length > 0) this.notify((o) => o.keyChanged(db, key));
      },
      expired: (db, key) => {
        this.stats.expiredKeys++;
        this.onExpired(db, key);
      },
      flushed: (db) => this.notify((o) => o.flushed(db)),
      swapped: (a, b) => this.notify((o) => o.swapped(a, b)),
    };
    this.dbs = Array.from({ length: databases }, (_, i) => new Database(i, events));
    this.watched = Array.from({ length: databases }, () => new Map());
  }

  /** Registers an observer of value changes; returns the function that removes it. */
  addObserver(observer: KeyspaceObserver): () => void {
    // A fresh array, so an observer added or removed during a notification does not disturb it.
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  /**
   * Runs a load (snapshot or AOF, at start-up or by DEBUG): observers hear nothing while it runs,
   * then one `loaded` when the outermost load ends, even if it failed part way (what did load is
   * in the databases either way).
   */
  /** Whether a load is running (observers hear about it at its end). */
  get loading(): boolean {
    return this.loadDepth > 0;
  }

  load<T>(fn: () => T): T {
    this.loadDepth++;
    try {
      return fn();
    } finally {
      if (--this.loadDepth === 0) this.notify((o) => o.loaded());
    }
  }

  /** load() for a load written as steps (persistence/load-steps.ts), which may yield between them. */
  *loadSteps<T>(steps: Generator<void, T, void>): Generator<void, T, void> {
    this.loadDepth++;
    try {
      return yield* steps;
    } finally {
      if (--this.loadDepth === 0) this.notify((o) => o.loaded());
    }
  }

  private notify(event: (o: KeyspaceObserver) => void): void {
    if (this.loadDepth > 0) return;
    for (const o of this.observers) {
      try {
        event(o);
      } catch (e) {
        this.onObserverError(e);
      }
    }
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
