// Database.adoptLoaded: how a loaded snapshot's keys enter a database (installSnapshot). An empty
// database takes the loader's map as its own; one that holds keys takes each loaded key in place
// of its namesake. Either way the keys must behave as keys added one by one: counted, scanned,
// with their expiries known, and a key already expired left out with its value released.
import { describe, expect, test } from 'vitest';
import { Keyspace } from '../src/keyspace/keyspace.js';
import type { Entry } from '../src/keyspace/database.js';
import type { KeyValue } from '../src/keyspace/value.js';

class Counted implements KeyValue {
  readonly type = 'string' as const;
  released = 0;
  constructor(readonly name: string) {}
  memoryUsage(): number {
    return 1;
  }
  encoding(): string {
    return 'raw';
  }
  release(): void {
    this.released++;
  }
}

const entry = (value: KeyValue, expireAt = 0): Entry => ({ value, expireAt, slot: -1, accessedAt: 0 });

function scanAll(ks: Keyspace, db: number): string[] {
  const keys: string[] = [];
  let cursor = 0;
  do cursor = ks.dbs[db]!.scan(cursor, 10, (key) => keys.push(key));
  while (cursor !== 0);
  return keys.sort();
}

describe('Database.adoptLoaded', () => {
  const now = Date.now();

  test('an empty database takes the map: keys counted, scanned, expiries known, the expired one released', () => {
    const ks = new Keyspace(2);
    const gone = new Counted('gone');
    const dict = new Map<string, Entry>([
      ['a', entry(new Counted('a'))],
      ['ttl', entry(new Counted('ttl'), now + 60_000)],
      ['gone', entry(gone, now - 1)],
      ['b', entry(new Counted('b'))],
    ]);
    expect(ks.dbs[1]!.adoptLoaded(dict, now)).toBe(3);
    const db = ks.dbs[1]!;
    expect(db.size).toBe(3);
    expect(db.expiresCount).toBe(1);
    expect(gone.released).toBe(1);
    expect(db.has('gone')).toBe(false);
    expect(scanAll(ks, 1)).toEqual(['a', 'b', 'ttl']);
    expect((db.get('a') as Counted).name).toBe('a');
    expect(db.lookup('ttl', now)!.expireAt).toBe(now + 60_000);
    // Slots are the database's own from here on: a delete frees one, an add reuses it.
    expect(db.delete('b')).toBe(true);
    db.add('c', new Counted('c'));
    expect(scanAll(ks, 1)).toEqual(['a', 'c', 'ttl']);
    expect(ks.dbs[0]!.size).toBe(0);
  });

  test('a database that holds keys takes each loaded key in place of its namesake', () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    const old = new Counted('old');
    const kept = new Counted('kept');
    db.add('x', old);
    db.add('y', kept, now + 60_000);
    const dict = new Map<string, Entry>([
      ['x', entry(new Counted('new'))],
      ['z', entry(new Counted('z'), now + 30_000)],
    ]);
    expect(db.adoptLoaded(dict, now)).toBe(2);
    expect(old.released).toBe(1);
    expect(kept.released).toBe(0);
    expect((db.get('x') as Counted).name).toBe('new');
    expect(db.size).toBe(3);
    expect(db.expiresCount).toBe(2);
    expect(scanAll(ks, 0)).toEqual(['x', 'y', 'z']);
  });
});
