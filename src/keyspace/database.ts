/**
 * One numbered database: the key → value dictionary, expiry times, and a slot table that gives
 * SCAN its guarantee.
 *
 * SCAN must return every key that exists for the whole iteration at least once, while keys come
 * and go between calls. Redis gets this from reverse-binary iteration over its hash table. Here
 * each key owns a slot in an array for as long as it lives; a cursor is a slot index; freed slots
 * are reused by later keys. A key that lives through an iteration never moves, so a cursor walk
 * always passes it; a key added meanwhile may land before or after the cursor (returned or not,
 * both allowed). The array only grows to the peak key count and trailing holes are trimmed.
 *
 * Keys are JavaScript strings holding the raw bytes one per char (latin1), which is binary-safe
 * and lets Map do the hashing.
 */
import type { KeyValue } from './value.js';

/** Whole seconds of a time in ms (Entry.accessedAt). */
export const secondsOf = (ms: number): number => Math.floor(ms / 1000);

export interface Entry {
  value: KeyValue;
  /** Absolute expiry in ms since the epoch, or 0 for none. */
  expireAt: number;
  slot: number;
  /**
   * Last access in whole seconds since the epoch (OBJECT IDLETIME, which Redis also counts in
   * seconds); reads that Redis does not count as access skip it. Seconds rather than ms: a small
   * integer is stored in the entry itself, where a ms timestamp (past 2^31) took a 16-byte number
   * box of its own, for every key.
   */
  accessedAt: number;
}

/**
 * What a lookup does with a key whose TTL has passed. A primary deletes it ('delete'). A replica
 * never expires keys on its own — its primary's DEL arrives through the replication stream, as
 * in Redis — so a replica's readers do not see the key ('hide'), while the commands of its
 * primary's stream still find it ('keep'), exactly as the primary had it when it sent them.
 */
export type ExpiryMode = 'delete' | 'hide' | 'keep';

/**
 * Hooks the keyspace installs so databases can report changes without knowing about clients.
 * Every event fires after the change, so a listener that looks (peek) sees the new state.
 */
export interface DatabaseEvents {
  /** The current expiry mode, shared by all databases (the server sets it per command). */
  readonly expiry: { mode: ExpiryMode };
  /** A key's value or TTL changed, or it was deleted: WATCH must notice. */
  modified(db: number, key: string): void;
  /**
   * A key's value was created, changed in place, replaced or removed (expiry included), but not
   * when only its TTL changed: what keyspace observers (FT.* indexes) follow. Always fires
   * together with `modified`; the two differ only for EXPIRE/PERSIST-style changes.
   */
  valueChanged(db: number, key: string): void;
  /** A key was found expired and removed; `key` is propagated as a DEL to the AOF. */
  expired(db: number, key: string): void;
  /** Every key of the database was removed at once (FLUSHDB, FLUSHALL). */
  flushed(db: number): void;
  /** SWAPDB exchanged this database's contents with another's. */
  swapped(a: number, b: number): void;
}

export class Database {
  // Not readonly: SWAPDB exchanges them between two databases (swapContents).
  private dict = new Map<string, Entry>();
  private slots: Array<string | undefined> = [];
  private freeSlots: number[] = [];
  /** Keys with a TTL, for active expiry sampling and INFO keyspace. */
  private volatile = new Set<string>();
  private volatileCursor: IterableIterator<string> | null = null;

  constructor(
    readonly index: number,
    private readonly events: DatabaseEvents,
  ) {}

  get size(): number {
    return this.dict.size;
  }

  get expiresCount(): number {
    return this.volatile.size;
  }

  /**
   * The entry for a key, after removing it if it has expired (lazy expiry). Counts as an access
   * for OBJECT IDLETIME unless `touch` is false (Redis's LOOKUP_NOTOUCH: TYPE, EXISTS, TTL, OBJECT,
   * SCAN and RANDOMKEY look without touching).
   */
  lookup(key: string, now = Date.now(), touch = true): Entry | undefined {
    const e = this.dict.get(key);
    if (e === undefined) return undefined;
    if (e.expireAt !== 0 && e.expireAt <= now) {
      const mode = this.events.expiry.mode;
      if (mode === 'hide') return undefined;
      if (mode === 'delete') {
        this.removeExpired(key);
        return undefined;
      }
    }
    if (touch) e.accessedAt = secondsOf(now);
    return e;
  }

  get(key: string): KeyValue | undefined {
    return this.lookup(key)?.value;
  }

  has(key: string): boolean {
    return this.lookup(key) !== undefined;
  }

  /**
   * Stores a value, replacing any old one (which is released). The TTL is cleared unless
   * `keepTtl`. Signals WATCH.
   */
  set(key: string, value: KeyValue, keepTtl = false): void {
    const e = this.lookup(key);
    if (e) {
      if (e.value !== value) e.value.release?.();
      e.value = value;
      if (!keepTtl && e.expireAt !== 0) {
        e.expireAt = 0;
        this.volatile.delete(key);
      }
    } else {
      this.dict.set(key, { value, expireAt: 0, slot: this.takeSlot(key), accessedAt: secondsOf(Date.now()) });
    }
    this.changed(key);
  }

  /** Adds a key known not to exist (after a lookup returned nothing), with an optional expiry. */
  add(key: string, value: KeyValue, expireAt = 0): void {
    this.dict.set(key, { value, expireAt, slot: this.takeSlot(key), accessedAt: secondsOf(Date.now()) });
    if (expireAt !== 0) this.volatile.add(key);
    this.changed(key);
  }

  /**
   * A loaded snapshot's keys (installSnapshot), in the map the loader built as it read them (its
   * duplicate check), which an empty database takes as its own: a load of 100,000 keys hashed
   * each one again here. Keys already past their expiry are released and left out; into a
   * database that holds keys, each replaces its namesake. Returns the keys added.
   */
  adoptLoaded(dict: Map<string, Entry>, now: number): number {
    const adopt = this.dict.size === 0;
    const slots: string[] = [];
    for (const [key, e] of dict) {
      if (e.expireAt !== 0 && e.expireAt <= now) {
        e.value.release?.();
        if (adopt) dict.delete(key);
        continue;
      }
      if (!adopt) {
        this.delete(key);
        this.add(key, e.value, e.expireAt);
        slots.push(key);
        continue;
      }
      e.slot = slots.length;
      e.accessedAt = secondsOf(now);
      slots.push(key);
      if (e.expireAt !== 0) this.volatile.add(key);
    }
    if (adopt) {
      this.dict = dict;
      this.slots = slots;
      this.freeSlots.length = 0;
      this.volatileCursor = null;
      for (const key of slots) this.changed(key);
    }
    return slots.length;
  }

  /** Deletes a key; returns whether it existed (expired keys count as missing). */
  delete(key: string): boolean {
    const e = this.lookup(key);
    if (!e) return false;
    this.remove(key, e);
    e.value.release?.();
    this.changed(key);
    return true;
  }

  /**
   * Removes a key without releasing its value, for RENAME and MOVE which hand the same value to
   * another key. Returns the entry, or undefined if missing.
   */
  detach(key: string): Entry | undefined {
    const e = this.lookup(key);
    if (!e) return undefined;
    this.remove(key, e);
    this.changed(key);
    return e;
  }

  /** Signals that a value was changed in place (e.g. an element added to a vector set). */
  touch(key: string): void {
    this.changed(key);
  }

  /**
   * The value at a key as it stands, without lazy expiry and without counting an access: for
   * keyspace observers, which run inside other operations and must not change the keyspace.
   * A key whose time has passed but that was not removed yet is still returned (its removal
   * follows with an event of its own).
   */
  peek(key: string): KeyValue | undefined {
    return this.dict.get(key)?.value;
  }

  setExpire(key: string, at: number): void {
    const e = this.dict.get(key);
    if (!e) return;
    e.expireAt = at;
    this.volatile.add(key);
    this.events.modified(this.index, key);
  }

  /** Removes the TTL; returns whether there was one. */
  persist(key: string): boolean {
    const e = this.lookup(key);
    if (!e || e.expireAt === 0) return false;
    e.expireAt = 0;
    this.volatile.delete(key);
    this.events.modified(this.index, key);
    return true;
  }

  /** Removes every key, releasing values; returns how many there were. */
  flush(): number {
    const n = this.dict.size;
    const keys = [...this.dict.keys()];
    for (const e of this.dict.values()) e.value.release?.();
    this.dict.clear();
    this.slots.length = 0;
    this.freeSlots.length = 0;
    this.volatile.clear();
    this.volatileCursor = null;
    // WATCH needs every key; observers get one event for the lot.
    for (const k of keys) this.events.modified(this.index, k);
    this.events.flushed(this.index);
    return n;
  }

  /**
   * Visits up to `count` slots starting at `cursor`; returns the next cursor (0 when done).
   * Expired keys are skipped (and removed).
   */
  scan(cursor: number, count: number, visit: (key: string, entry: Entry) => void): number {
    const now = Date.now();
    let i = Math.max(0, cursor);
    // Visit at least `count` slots, and keep going over holes a little so sparse tables make progress.
    let budget = count;
    let holes = count * 10;
    while (i < this.slots.length && budget > 0) {
      const key = this.slots[i];
      i++;
      if (key === undefined) {
        if (--holes <= 0) break;
        continue;
      }
      budget--;
      const e = this.lookup(key, now, false);
      if (e) visit(key, e);
    }
    return i >= this.slots.length ? 0 : i;
  }

  /** Every live key (KEYS); expired keys are skipped. */
  *keys(): IterableIterator<[string, Entry]> {
    const now = Date.now();
    for (const [k, e] of this.dict) {
      if (e.expireAt !== 0 && e.expireAt <= now) continue;
      yield [k, e];
    }
  }

  randomKey(): string | undefined {
    const now = Date.now();
    for (let attempt = 0; attempt < 100 && this.dict.size > 0; attempt++) {
      const key = this.slots[Math.floor(Math.random() * this.slots.length)];
      if (key === undefined) continue;
      if (this.lookup(key, now, false)) return key;
    }
    // Sparse table or mostly expired keys: fall back to a walk from a random point.
    const start = Math.floor(Math.random() * Math.max(1, this.slots.length));
    for (let k = 0; k < this.slots.length; k++) {
      const key = this.slots[(start + k) % this.slots.length];
      if (key !== undefined && this.lookup(key, now, false)) return key;
    }
    return undefined;
  }

  /**
   * SWAPDB: exchanges every key, TTL and SCAN slot with another database. The Database objects
   * (and so each client's selected index) stay where they are; only their contents move, which is
   * what Redis does. WATCH notification is the caller's job.
   */
  swapContents(other: Database): void {
    [this.dict, other.dict] = [other.dict, this.dict];
    [this.slots, other.slots] = [other.slots, this.slots];
    [this.freeSlots, other.freeSlots] = [other.freeSlots, this.freeSlots];
    [this.volatile, other.volatile] = [other.volatile, this.volatile];
    this.volatileCursor = null;
    other.volatileCursor = null;
    this.events.swapped(this.index, other.index);
  }

  /**
   * Active expiry: samples keys with a TTL, removing expired ones. Returns the number sampled and
   * expired so the caller can decide to run another round (Redis repeats while > 25% expired).
   */
  expireCycle(samples: number, now = Date.now()): { sampled: number; expired: number } {
    let sampled = 0;
    let expired = 0;
    if (this.volatile.size === 0) return { sampled, expired };
    while (sampled < samples && sampled < this.volatile.size) {
      if (!this.volatileCursor) this.volatileCursor = this.volatile.values();
      const next = this.volatileCursor.next();
      if (next.done) {
        this.volatileCursor = null;
        if (sampled === 0) break;
        continue;
      }
      sampled++;
      const e = this.dict.get(next.value);
      if (e && e.expireAt !== 0 && e.expireAt <= now) {
        this.removeExpired(next.value);
        expired++;
      }
    }
    return { sampled, expired };
  }

  /** Sum of TTLs remaining, for INFO keyspace avg_ttl (sampled). */
  averageTtl(now = Date.now()): number {
    let sum = 0;
    let n = 0;
    for (const k of this.volatile) {
      const e = this.dict.get(k);
      if (e && e.expireAt > now) {
        sum += e.expireAt - now;
        n++;
      }
      if (n >= 100) break;
    }
    return n === 0 ? 0 : Math.round(sum / n);
  }

  private removeExpired(key: string): void {
    const e = this.dict.get(key)!;
    this.remove(key, e);
    e.value.release?.();
    this.changed(key);
    this.events.expired(this.index, key);
  }

  /** A value change: WATCH and keyspace observers both hear of it. */
  private changed(key: string): void {
    this.events.modified(this.index, key);
    this.events.valueChanged(this.index, key);
  }

  private remove(key: string, e: Entry): void {
    this.dict.delete(key);
    if (e.expireAt !== 0) this.volatile.delete(key);
    this.slots[e.slot] = undefined;
    if (this.dict.size === 0) {
      // The last key: drop the slot table and its free list too, so a database emptied key by
      // key holds no memory for the keys it had (arrays do not shrink on their own).
      this.slots = [];
      this.freeSlots = [];
    } else if (e.slot === this.slots.length - 1) {
      while (this.slots.length > 0 && this.slots[this.slots.length - 1] === undefined) this.slots.pop();
      // Free-list entries beyond the trimmed end are dropped lazily in takeSlot.
    } else {
      this.freeSlots.push(e.slot);
    }
  }

  private takeSlot(key: string): number {
    while (this.freeSlots.length > 0) {
      const s = this.freeSlots.pop()!;
      if (s < this.slots.length && this.slots[s] === undefined) {
        this.slots[s] = key;
        return s;
      }
    }
    this.slots.push(key);
    return this.slots.length - 1;
  }

  /** Every entry, for persistence and DEBUG; includes keys whose TTL passed but were not yet removed. */
  entries(): IterableIterator<[string, Entry]> {
    return this.dict.entries();
  }
}
