// The secondary indexes of one FT index: a TEXT, TAG, NUMERIC or GEO index per field, and the set
// of documents the index holds. The owner numbers documents (small integers, reused freely after
// remove) and hands over each hash's fields; evaluate() answers a query tree with a DocSet,
// estimate() bounds its size cheaply, matcher() tests documents one at a time.
//
// A document whose field cannot be indexed (a numeric field that is not a number, a vector blob
// of the wrong size, a bad GEO point) is not indexed at all, as in the module; add() says why.

import type { QueryNode } from './ast.js';
import { parseDouble } from '../commands/args.js';
import { DocSet } from './docset.js';
import { fastFloatStrtod } from './numbers.js';
import { GeoIndex, NumericIndex } from './numeric-index.js';
import { PostingList } from './postings.js';
import type { FieldSpec, IndexDefinition } from './schema.js';
import { TagIndex, tagMatches } from './tag-index.js';
import { globMatch, TermDictionary, TextIndex, withinDistance } from './text-index.js';
import { cBytes, splitTags, tokenizeText } from './tokenizer.js';
import { QueryError } from './errors.js';

export type AddResult =
  | { readonly ok: true }
  /** `field` (its name) could not be indexed; `message` is the module's index error text. */
  | { readonly ok: false; readonly field: string; readonly message: string };

/** What evaluation needs from outside: the vector engine, for VECTOR_RANGE clauses. */
export interface EvalHooks {
  vectorRange?(node: Extract<QueryNode, { type: 'vectorRange' }>): DocSet;
}

type Index = TextIndex | TagIndex | NumericIndex | GeoIndex;

const MAX_GEO_STRING = 128;
const GEO_LAT_LIMIT = 85.05112878;

export class SecondaryIndex {
  readonly dict = new TermDictionary();
  private readonly byName = new Map<string, { spec: FieldSpec; index: Index | null; present: PostingList | null }>();
  private liveBits = new Uint32Array(4);
  private liveCount = 0;
  private version = 0;
  private universeCache: { version: number; set: DocSet } | null = null;

  constructor(readonly def: IndexDefinition) {
    for (const f of def.fields) {
      let index: Index | null = null;
      if (!f.noIndex) {
        if (f.type === 'TEXT') index = new TextIndex(this.dict);
        else if (f.type === 'TAG') index = new TagIndex();
        else if (f.type === 'NUMERIC') index = new NumericIndex();
        else if (f.type === 'GEO') index = new GeoIndex();
      }
      this.byName.set(f.name, { spec: f, index, present: f.indexMissing ? new PostingList() : null });
    }
  }

  /** Number of documents indexed. */
  get size(): number {
    return this.liveCount;
  }

  has(id: number): boolean {
    const w = id >>> 5;
    return w < this.liveBits.length && (this.liveBits[w]! & (1 << (id & 31))) !== 0;
  }

  /** Indexes (or re-indexes) a document from its hash fields, keyed by field name (latin1). */
  add(id: number, fields: ReadonlyMap<string, Uint8Array>): AddResult {
    if (!Number.isInteger(id) || id < 0 || id > 0xfffffffe) throw new RangeError('document id must be a uint32');
    this.remove(id);
    const apply: Array<() => void> = [];
    for (const f of this.def.fields) {
      const raw = fields.get(f.path);
      if (raw === undefined) continue;
      const entry = this.byName.get(f.name)!;
      if (entry.present !== null) apply.push(() => entry.present!.add(id));
      if (f.noIndex || entry.index === null) {
        if (f.type === 'VECTOR' && raw.length !== f.blobBytes) {
          return { ok: false, field: f.name, message: `Could not add vector with blob size ${raw.length} (expected size ${f.blobBytes})` };
        }
        continue;
      }
      const index = entry.index;
      if (index instanceof TextIndex) {
        const ids: number[] = [];
        if (cBytes(raw).length === 0) {
          if (f.indexEmpty) ids.push(this.dict.id(''));
        } else tokenizeText(raw, this.def.stopwords, (term) => ids.push(this.dict.id(term)));
        apply.push(() => index.set(id, Uint32Array.from(ids)));
      } else if (index instanceof TagIndex && f.type === 'TAG') {
        const tags = splitTags(raw, f.separator.charCodeAt(0), f.caseSensitive);
        if (f.indexEmpty && (cBytes(raw).length === 0 || raw[cBytes(raw).length - 1] === f.separator.charCodeAt(0))) tags.push('');
        apply.push(() => index.set(id, tags));
      } else if (index instanceof NumericIndex) {
        const v = parseDouble(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
        if (v === null) {
          return { ok: false, field: f.name, message: `Invalid numeric value: '${Buffer.from(cBytes(raw)).toString('latin1')}'` };
        }
        apply.push(() => index.set(id, v));
      } else if (index instanceof GeoIndex) {
        const g = parseGeo(raw);
        if (typeof g === 'string') return { ok: false, field: f.name, message: g };
        apply.push(() => index.set(id, g[0], g[1]));
      }
    }
    for (const a of apply) a();
    if (id >>> 5 >= this.liveBits.length) {
      const bigger = new Uint32Array(Math.max(this.liveBits.length * 2, (id >>> 5) + 1));
      bigger.set(this.liveBits);
      this.liveBits = bigger;
    }
    this.liveBits[id >>> 5]! |= 1 << (id & 31);
    this.liveCount++;
    this.version++;
    return { ok: true };
  }

  remove(id: number): void {
    if (!this.has(id)) return;
    for (const { index, present } of this.byName.values()) {
      index?.remove(id);
      present?.remove(id);
    }
    this.liveBits[id >>> 5]! &= ~(1 << (id & 31));
    this.liveCount--;
    this.version++;
  }

  /** Every indexed document. */
  universe(): DocSet {
    if (this.universeCache === null || this.universeCache.version !== this.version) {
      this.universeCache = { version: this.version, set: DocSet.fromBits(this.liveBits.slice()) };
    }
    return this.universeCache.set;
  }

  /** The value of a NUMERIC field (NaN when the document has none), e.g. for SORTBY. */
  numericValue(field: string, id: number): number {
    const index = this.byName.get(field)?.index;
    return index instanceof NumericIndex ? index.value(id) : NaN;
  }

  /** Terms known to the index and documents×terms entries, for FT.INFO. */
  get numTerms(): number {
    return this.dict.size;
  }

  private field<T extends Index>(name: string, type: new (...args: never[]) => T): T | null {
    const index = this.byName.get(name)?.index;
    return index instanceof type ? index : null;
  }

  /** The TEXT indexes a text node looks in. */
  private textIndexes(fields: readonly string[] | null): TextIndex[] {
    const out: TextIndex[] = [];
    for (const { spec, index } of this.byName.values()) {
      if (spec.type === 'TEXT' && index instanceof TextIndex && (fields === null || fields.includes(spec.name))) out.push(index);
    }
    return out;
  }

  /** The documents a query tree matches. Throws QueryError if a VECTOR_RANGE has no hook. */
  evaluate(n: QueryNode, hooks: EvalHooks = {}): DocSet {
    const universe = this.liveBits.length * 32;
    switch (n.type) {
      case 'all':
        return this.universe();
      case 'none':
        return DocSet.EMPTY;
      case 'and': {
        const pos = n.children.filter((c) => c.type !== 'not');
        const neg = n.children.filter((c): c is Extract<QueryNode, { type: 'not' }> => c.type === 'not');
        // Smallest first: later clauses then only filter a short list.
        const sized = pos.map((c) => [this.estimate(c), c] as const).sort((a, b) => a[0] - b[0]);
        let acc = sized.length === 0 ? this.universe() : this.evaluate(sized[0]![1], hooks);
        for (let i = 1; i < sized.length && acc.size > 0; i++) acc = acc.and(this.evaluate(sized[i]![1], hooks));
        for (let i = 0; i < neg.length && acc.size > 0; i++) acc = acc.andNot(this.evaluate(neg[i]!.child, hooks));
        return acc;
      }
      case 'or': {
        let acc = DocSet.EMPTY;
        for (const c of n.children) acc = acc.or(this.evaluate(c, hooks));
        return acc;
      }
      case 'not':
        return this.universe().andNot(this.evaluate(n.child, hooks));
      case 'term': {
        const id = this.dict.find(n.term);
        if (id === undefined) return DocSet.EMPTY;
        let acc = DocSet.EMPTY;
        for (const t of this.textIndexes(n.fields)) {
          const p = t.posting(id);
          if (p !== undefined) acc = acc.or(DocSet.fromSorted(p.sorted()));
        }
        return acc;
      }
      case 'phrase': {
        const ids = n.terms.map((t) => this.dict.find(t));
        if (ids.some((x) => x === undefined)) return DocSet.EMPTY;
        const termIds = ids as number[];
        let acc = DocSet.EMPTY;
        for (const t of this.textIndexes(n.fields)) {
          let cand: DocSet | null = null;
          for (const id of termIds) {
            const p = t.posting(id);
            cand = p === undefined ? DocSet.EMPTY : cand === null ? DocSet.fromSorted(p.sorted()) : cand.and(DocSet.fromSorted(p.sorted()));
            if (cand.size === 0) break;
          }
          if (cand === null || cand.size === 0) continue;
          const hits: number[] = [];
          cand.forEach((doc) => {
            if (t.hasPhrase(doc, termIds)) hits.push(doc);
          });
          acc = acc.or(DocSet.fromSorted(Uint32Array.from(hits)));
        }
        return acc;
      }
      case 'affix':
      case 'fuzzy':
      case 'pattern': {
        const pred = termPredicate(n);
        let acc = DocSet.EMPTY;
        for (const t of this.textIndexes(n.fields)) acc = acc.or(t.union(t.termsWhere(pred), universe));
        return acc;
      }
      case 'tag':
        return this.field(n.field, TagIndex)?.lookup(n.matches, universe) ?? DocSet.EMPTY;
      case 'numeric':
        return this.field(n.field, NumericIndex)?.range(n.min, n.max, n.minInclusive, n.maxInclusive, universe) ?? DocSet.EMPTY;
      case 'geo':
        return this.field(n.field, GeoIndex)?.radius(n.lon, n.lat, n.radius) ?? DocSet.EMPTY;
      case 'missing': {
        const present = this.byName.get(n.field)?.present;
        return present ? this.universe().andNot(DocSet.fromSorted(present.sorted())) : DocSet.EMPTY;
      }
      case 'vectorRange':
        if (hooks.vectorRange === undefined) throw new QueryError('GENERIC', 'VECTOR_RANGE needs the vector index');
        return hooks.vectorRange(n);
    }
  }

  /** An upper bound of evaluate(n).size, without building sets. */
  estimate(n: QueryNode): number {
    const all = this.liveCount;
    switch (n.type) {
      case 'all':
      case 'not':
      case 'vectorRange':
        return all;
      case 'none':
        return 0;
      case 'and': {
        let best = all;
        for (const c of n.children) if (c.type !== 'not') best = Math.min(best, this.estimate(c));
        return best;
      }
      case 'or': {
        let sum = 0;
        for (const c of n.children) sum += this.estimate(c);
        return Math.min(all, sum);
      }
      case 'term':
      case 'phrase': {
        const terms = n.type === 'term' ? [n.term] : n.terms;
        let sum = 0;
        for (const t of this.textIndexes(n.fields)) {
          let min = Infinity;
          for (const term of terms) min = Math.min(min, t.posting(this.dict.find(term))?.sizeBound ?? 0);
          sum += min;
        }
        return Math.min(all, sum);
      }
      case 'affix':
      case 'fuzzy':
      case 'pattern': {
        let sum = 0;
        for (const t of this.textIndexes(n.fields)) sum += t.size;
        return Math.min(all, sum);
      }
      case 'tag':
        return this.field(n.field, TagIndex)?.estimate(n.matches) ?? 0;
      case 'numeric':
        return this.field(n.field, NumericIndex)?.estimate(n.min, n.max, n.minInclusive, n.maxInclusive) ?? 0;
      case 'geo':
        return this.field(n.field, GeoIndex)?.size ?? 0;
      case 'missing': {
        const present = this.byName.get(n.field)?.present;
        return present ? Math.max(0, all - present.size) : 0;
      }
    }
  }

  /**
   * A test of one document against a query tree, for walks that check candidates one by one.
   * Term lookups are resolved once here, so each call is a few array reads.
   */
  matcher(n: QueryNode, hooks: EvalHooks = {}): (id: number) => boolean {
    const live = (id: number): boolean => this.has(id);
    switch (n.type) {
      case 'all':
        return live;
      case 'none':
        return () => false;
      case 'and': {
        const fs = n.children.map((c) => this.matcher(c, hooks));
        return (id) => fs.every((f) => f(id));
      }
      case 'or': {
        const fs = n.children.map((c) => this.matcher(c, hooks));
        return (id) => fs.some((f) => f(id));
      }
      case 'not': {
        const f = this.matcher(n.child, hooks);
        return (id) => live(id) && !f(id);
      }
      case 'term': {
        const termId = this.dict.find(n.term);
        const lists = this.textIndexes(n.fields).map((t) => t.posting(termId)).filter((p) => p !== undefined);
        return (id) => lists.some((p) => p.has(id));
      }
      case 'phrase': {
        const ids = n.terms.map((t) => this.dict.find(t));
        if (ids.some((x) => x === undefined)) return () => false;
        const texts = this.textIndexes(n.fields);
        return (id) => texts.some((t) => t.hasPhrase(id, ids as number[]));
      }
      case 'affix':
      case 'fuzzy':
      case 'pattern': {
        const pred = termPredicate(n);
        const per = this.textIndexes(n.fields).map((t) => [t, new Set(t.termsWhere(pred))] as const);
        return (id) =>
          per.some(([t, set]) => {
            const terms = t.terms(id);
            if (terms === undefined || set.size === 0) return false;
            for (let i = 0; i < terms.length; i++) if (set.has(terms[i]!)) return true;
            return false;
          });
      }
      case 'tag': {
        const index = this.field(n.field, TagIndex);
        if (index === null) return () => false;
        const selected = index.select(n.matches);
        return (id) => index.test(id, selected);
      }
      case 'numeric': {
        const index = this.field(n.field, NumericIndex);
        return (id) => {
          const v = index === null ? NaN : index.value(id);
          return (n.minInclusive ? v >= n.min : v > n.min) && (n.maxInclusive ? v <= n.max : v < n.max);
        };
      }
      case 'geo': {
        const index = this.field(n.field, GeoIndex);
        return (id) => index !== null && index.within(id, n.lon, n.lat, n.radius);
      }
      case 'missing': {
        const present = this.byName.get(n.field)?.present;
        return (id) => present !== null && present !== undefined && live(id) && !present.has(id);
      }
      case 'vectorRange': {
        const set = this.evaluate(n, hooks);
        return (id) => set.has(id);
      }
    }
  }

  /** matcher(n)(id), for a single test. */
  matches(id: number, n: QueryNode, hooks: EvalHooks = {}): boolean {
    return this.matcher(n, hooks)(id);
  }
}

/** The term test of an affix, fuzzy or pattern node. */
function termPredicate(n: Extract<QueryNode, { type: 'affix' | 'fuzzy' | 'pattern' }>): (term: string) => boolean {
  if (n.type === 'fuzzy') return (t) => withinDistance(n.term, t, n.distance);
  if (n.type === 'pattern') return (t) => globMatch(n.pattern, t);
  const kind = n.prefix && n.suffix ? 'contains' : n.prefix ? 'prefix' : 'suffix';
  return (t) => tagMatches(t, { kind, value: n.text });
}

/** parseGeo: "lon,lat" or "lon lat"; [lon, lat] or the module's error text. */
function parseGeo(raw: Uint8Array): [number, number] | string {
  const b = cBytes(raw);
  if (b.length > MAX_GEO_STRING) return 'Geo string cannot be longer than 128 bytes';
  const s = Buffer.from(b).toString('latin1');
  const cut = s.search(/[ ,]/);
  if (cut < 0) return 'Invalid geo string';
  const a = s.slice(0, cut);
  const c = s.slice(cut + 1);
  const lon = fastFloatStrtod(a);
  const lat = fastFloatStrtod(c);
  if (lon.end !== a.length || lat.end !== c.length) return 'Invalid geo string';
  if (!(Math.abs(lon.value) <= 180 && Math.abs(lat.value) <= GEO_LAT_LIMIT)) {
    return `Invalid geo coordinates: ${lon.value.toFixed(6)}, ${lat.value.toFixed(6)}`;
  }
  return [lon.value, lat.value];
}
