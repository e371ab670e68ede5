// A snapshot load's keys as a list, and their release, for callers that look at a load without
// installing it (tests, tools); installSnapshot (snapshot.ts) hands the databases' maps over whole.
import type { KeyValue } from '../keyspace/value.js';
import type { LoadResult } from './snapshot.js';

export interface LoadedKey {
  db: number;
  key: string;
  expireAt: number;
  value: KeyValue;
}

/** A load's keys, database by database, in file order. */
export function loadedKeys(r: LoadResult): LoadedKey[] {
  const out: LoadedKey[] = [];
  r.dbs.forEach((dict, db) => dict?.forEach((e, key) => out.push({ db, key, expireAt: e.expireAt, value: e.value })));
  return out;
}

/** Releases every value of a load that will not be installed. */
export function releaseLoaded(r: LoadResult): void {
  for (const dict of r.dbs) dict?.forEach((e) => e.value.release?.());
}
