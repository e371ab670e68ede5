/**
 * The FT indexes of a server and what keeps them exact: a keyspace observer that hands every
 * change of a database-0 key to the indexes whose prefixes it starts with (RediSearch indexes
 * database 0 only), rebuilds after a flush, SWAPDB or load, and the aux section that keeps the
 * definitions in snapshots (the AOF has the FT.CREATE / FT.ALTER / FT.DROPINDEX commands).
 *
 * One index per tenant means up to a million indexes: a key's indexes are found by looking up its
 * first L bytes for each prefix length L in use, not by testing every index.
 */
import type { Keyspace, KeyspaceObserver } from '../keyspace/keyspace.js';
import { addAuxSection } from '../persistence/snapshot.js';
import { FtIndex } from './ft-index.js';
import { parseCreate } from './schema.js';

/** Aux field names: one per index, its FT.CREATE arguments as JSON (latin1 strings). */
const AUX_PREFIX = 'vsetd-ft-index:';

export class FtRegistry implements KeyspaceObserver {
  private readonly indexes = new Map<string, FtIndex>();
  /** Prefix length → prefix → the indexes following it. */
  private readonly byPrefix = new Map<number, Map<string, FtIndex[]>>();

  constructor(private readonly keyspace: Keyspace) {
    keyspace.addObserver(this);
    addAuxSection(keyspace, {
      save: () => [...this.indexes.values()].map((ix, i) => [`${AUX_PREFIX}${i}`, JSON.stringify(ix.createArgs.map((a) => a.toString('latin1')))]),
      restore: (aux) => this.restore(aux),
    });
  }

  get size(): number {
    return this.indexes.size;
  }

  get(name: string): FtIndex | undefined {
    return this.indexes.get(name);
  }

  names(): IterableIterator<string> {
    return this.indexes.keys();
  }

  all(): IterableIterator<FtIndex> {
    return this.indexes.values();
  }

  /** Adds an index (the name is known to be free) and indexes the hashes it follows. */
  add(index: FtIndex): void {
    this.indexes.set(index.name, index);
    for (const p of index.def.prefixes) {
      let m = this.byPrefix.get(p.length);
      if (m === undefined) this.byPrefix.set(p.length, (m = new Map()));
      const list = m.get(p);
      if (list === undefined) m.set(p, [index]);
      else if (!list.includes(index)) list.push(index);
    }
    // During a load the final rebuild (loaded) indexes everything once.
    if (!index.def.skipInitialScan && !this.keyspace.loading) this.build(index);
  }

  remove(name: string): FtIndex | undefined {
    const index = this.indexes.get(name);
    if (index === undefined) return undefined;
    this.indexes.delete(name);
    for (const p of index.def.prefixes) {
      const m = this.byPrefix.get(p.length);
      const list = m?.get(p);
      if (m === undefined || list === undefined) continue;
      const rest = list.filter((x) => x !== index);
      if (rest.length > 0) m.set(p, rest);
      else m.delete(p);
      if (m.size === 0) this.byPrefix.delete(p.length);
    }
    index.dispose();
    return index;
  }

  /** Indexes every database-0 hash the index follows (after creation, a flush or a load). */
  private build(index: FtIndex): void {
    index.clear();
    const db = this.keyspace.dbs[0]!;
    const prefixes = index.def.prefixes;
    for (const [key, entry] of db.entries()) {
      if (entry.value.type !== 'hash') continue;
      for (const p of prefixes) {
        if (key.startsWith(p)) {
          index.update(key, entry.value);
          break;
        }
      }
    }
  }

  private each(key: string, fn: (index: FtIndex) => void): void {
    for (const [len, m] of this.byPrefix) {
      if (key.length < len) continue;
      const list = m.get(len === key.length ? key : key.slice(0, len));
      if (list !== undefined) for (const ix of list) fn(ix);
    }
  }

  // ---- KeyspaceObserver ----------------------------------------------------------------------

  keyChanged(db: number, key: string): void {
    if (db !== 0 || this.indexes.size === 0) return;
    const value = this.keyspace.dbs[0]!.peek(key);
    // An index with two prefixes of the same key sees it once per prefix: update is idempotent.
    this.each(key, (ix) => ix.update(key, value));
  }

  flushed(db: number): void {
    if (db === 0) for (const ix of this.indexes.values()) ix.clear();
  }

  swapped(a: number, b: number): void {
    if (a === 0 || b === 0) for (const ix of this.indexes.values()) this.build(ix);
  }

  loaded(): void {
    for (const ix of this.indexes.values()) this.build(ix);
  }

  // ---- snapshots -----------------------------------------------------------------------------

  /** The definitions a loaded snapshot holds replace the current ones (built by `loaded`). */
  private restore(aux: ReadonlyMap<string, string>): void {
    for (const name of [...this.indexes.keys()]) this.remove(name);
    const entries = [...aux].filter(([k]) => k.startsWith(AUX_PREFIX)).sort((x, y) => Number(x[0].slice(AUX_PREFIX.length)) - Number(y[0].slice(AUX_PREFIX.length)));
    for (const [, json] of entries) {
      const args = (JSON.parse(json) as string[]).map((a) => Buffer.from(a, 'latin1'));
      const def = parseCreate([Buffer.from('FT.CREATE'), ...args]);
      if (!this.indexes.has(def.name)) this.add(new FtIndex(def, args));
    }
  }
}

const registries = new WeakMap<Keyspace, FtRegistry>();

/** The registry of a keyspace, made on first use. */
export function ftRegistry(keyspace: Keyspace): FtRegistry {
  let r = registries.get(keyspace);
  if (r === undefined) registries.set(keyspace, (r = new FtRegistry(keyspace)));
  return r;
}
