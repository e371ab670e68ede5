// From parse tree to the evaluable query, in the module's order of checks:
//   1. parameters, node by node in tree order (a node's own before its children's):
//      "Parameter not found", "Invalid numeric value", "Bad lower range" …;
//   2. validation, again in tree order: "Invalid numeric range (min > max)", empty strings;
//   3. what the module checks while building iterators: GEO filter ranges, vector blob sizes,
//      vector search options, KNN's K.
// Text is turned into the keys the indexes store (tokenizer.ts), fields into names.

import type { QueryNode, ParsedQuery, TagMatch, VectorSearchOptions } from './ast.js';
import { argText, QueryError, QueryErrorCodes, type QueryErrorCode } from './errors.js';
import { formatFixed6, formatG, parseDoubleFF, parseDoubleRange, parseStrtoll } from './numbers.js';
import { FIELDMASK_ALL, ParamType, type PNode, type TextFieldBits, type VecParam } from './parse-tree.js';
import type { IndexDefinition, TagFieldSpec, VectorFieldSpec } from './schema.js';
import { lowerBytes, normalizeBytes, normalizeQueryTag, unescapeBytes } from './tokenizer.js';

/** The largest K a KNN query may ask for (the module's MAX_KNN_K). */
export const MAX_KNN_K = 2 ** 58;
/** Prefixes (and suffixes, infixes) shorter than this match nothing, as in the module. */
export const MIN_PREFIX_LENGTH = 2;

const GEO_UNITS: Readonly<Record<string, number>> = { m: 1, km: 1000, mi: 1609.34, ft: 0.3048 };

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function cstr(b: Uint8Array): Uint8Array {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

/** Step 1: QueryNode_EvalParams. */
export function resolveParams(n: PNode, params: ReadonlyMap<string, Uint8Array> | null): void {
  for (const p of n.params) {
    const val = params?.get(p.name);
    if (val === undefined) throw new QueryError('NO_PARAM', `Parameter not found \`${argText(p.name)}\``);
    const text = latin1(cstr(val));
    const invalid = (): QueryError =>
      new QueryError('NUMERIC_VALUE_INVALID', `Invalid numeric value (${argText(text)}) for parameter \`${argText(p.name)}\``);
    switch (p.type) {
      case ParamType.TERM:
        n.str = normalizeBytes(val);
        break;
      case ParamType.TERM_CASE:
        if (p.target === 'scoreField') n.scoreField = Uint8Array.from(cstr(val));
        else n.str = Uint8Array.from(cstr(val));
        break;
      case ParamType.WILDCARD:
        n.str = Uint8Array.from(val);
        break;
      case ParamType.VEC:
        n.vector = val;
        break;
      case ParamType.GEO_UNIT:
        n.unit = Uint8Array.from(cstr(val));
        break;
      case ParamType.NUMERIC:
      case ParamType.GEO_COORD: {
        const d = text === '' ? null : parseDoubleFF(text, p.sign);
        if (d === null) throw invalid();
        setNumber(n, p.target, d);
        break;
      }
      case ParamType.SIZE: {
        const k = text === '' ? null : parseStrtoll(text);
        if (k === null || k < 0) throw invalid();
        n.k = k;
        break;
      }
      case ParamType.NUMERIC_MIN_RANGE:
      case ParamType.NUMERIC_MAX_RANGE:
        // An empty value leaves the bound as it was (0): the module does the same.
        if (text !== '') setNumber(n, p.target, parseDoubleRange(text, p.type === ParamType.NUMERIC_MIN_RANGE, p.sign));
        break;
    }
  }
  if (n.type === 'VECTOR') {
    for (const vp of n.vecParams) {
      if (!vp.needResolve) continue;
      const name = latin1(vp.value);
      const val = params?.get(name);
      if (val === undefined) throw new QueryError('NO_PARAM', `Parameter not found \`${argText(name)}\``);
      vp.value = Uint8Array.from(val);
      vp.needResolve = false;
    }
  }
  if (n.type === 'MISSING') return;
  for (const c of n.children) resolveParams(c, params);
}

function setNumber(n: PNode, target: string, v: number): void {
  if (target === 'min') n.min = v;
  else if (target === 'max') n.max = v;
  else if (target === 'radius') n.radius = v;
  else if (target === 'lon') n.lon = v;
  else if (target === 'lat') n.lat = v;
  else if (target === 'k') n.k = v;
}

/** Step 2: QueryNode_CheckIsValid. */
export function validate(n: PNode, def: IndexDefinition, bits: TextFieldBits): void {
  if (n.type === 'MISSING') return;
  if (n.type === 'NUMERIC' && n.min > n.max) {
    throw new QueryError(
      'SYNTAX',
      `Invalid numeric range (min > max): @${argText(n.field?.name ?? '')}:[${formatFixed6(n.min)} ${formatFixed6(n.max)}]`,
    );
  }
  if (n.type === 'TOKEN' && n.str !== null && n.str.length === 0 && hasNonEmptyField(def) && !indexesEmpty(n, def, bits)) {
    throw new QueryError('SYNTAX', 'Use `INDEXEMPTY` in field creation in order to index and query for empty strings');
  }
  for (const c of n.children) {
    if (n.type === 'TAG' && c.type === 'TOKEN' && c.str !== null && c.str.length === 0 && !n.field?.indexEmpty && hasNonEmptyField(def)) {
      throw new QueryError('SYNTAX', 'Use `INDEXEMPTY` in field creation in order to index and query for empty strings');
    }
    if (n.type !== 'TAG') validate(c, def, bits);
  }
}

function hasNonEmptyField(def: IndexDefinition): boolean {
  return def.fields.some((f) => (f.type === 'TEXT' || f.type === 'TAG') && !f.indexEmpty);
}

function indexesEmpty(n: PNode, def: IndexDefinition, bits: TextFieldBits): boolean {
  const names = bits.names(n.fieldMask);
  return def.fields.some((f) => f.type === 'TEXT' && f.indexEmpty && (names === null || names.includes(f.name)));
}

/** Step 3 and conversion: the evaluable query. */
export function toQuery(root: PNode | null, def: IndexDefinition, bits: TextFieldBits): ParsedQuery {
  if (root === null) return { root: { type: 'none' }, knn: null };
  if (root.type === 'VECTOR' && root.knn) {
    const filter = root.children[0] ?? null;
    const filterNode: QueryNode = filter === null ? { type: 'all' } : convert(filter, def, bits);
    const field = root.field as VectorFieldSpec;
    const vector = checkBlob(root, field);
    const options = vectorOptions(root.vecParams, field, filter === null ? 'KNN' : 'HYBRID');
    if (root.k > MAX_KNN_K) {
      throw new QueryError('INVAL', `Error parsing vector similarity query: query KNN K parameter is too large, must not exceed ${BigInt(MAX_KNN_K)}`);
    }
    const scoreField = latin1(root.distField ?? root.scoreField ?? new Uint8Array(0));
    return {
      root: filterNode,
      knn: { k: root.k, field: field.name, vector, options, scoreField, shardKRatio: root.shardKRatio },
    };
  }
  return { root: convert(root, def, bits), knn: null };
}

function checkBlob(n: PNode, field: VectorFieldSpec): Uint8Array {
  const v = n.vector ?? new Uint8Array(0);
  if (v.length !== field.blobBytes) {
    throw new QueryError(
      'INVAL',
      `Error parsing vector similarity query: query vector blob size (${v.length}) does not match index's expected size (${field.blobBytes}).`,
    );
  }
  return v;
}

function vecError(code: QueryErrorCode): QueryError {
  return new QueryError(code, `${QueryErrorCodes[code][1]} (Error parsing vector similarity parameters)`);
}

/** VecSim_ResolveQueryParams: the KNN/range options, checked against the field and query kind. */
function vectorOptions(list: readonly VecParam[], field: VectorFieldSpec, kind: 'KNN' | 'HYBRID' | 'RANGE'): VectorSearchOptions {
  let efRuntime: number | null = null;
  let epsilon: number | null = null;
  let hybridPolicy: 'BATCHES' | 'ADHOC_BF' | null = null;
  let batchSize: number | null = null;
  const positiveInt = (v: string): number => {
    const n = parseStrtoll(v);
    if (n === null || n <= 0) throw vecError('BAD_VAL');
    return n;
  };
  for (const p of list) {
    const name = latin1(p.name).toUpperCase();
    const value = latin1(cstr(p.value));
    if (name === 'EF_RUNTIME') {
      if (field.algorithm !== 'HNSW') throw vecError('NO_OPTION');
      if (efRuntime !== null) throw vecError('DUP_PARAM');
      efRuntime = positiveInt(value);
    } else if (name === 'EPSILON') {
      if (field.algorithm !== 'HNSW') throw vecError('NO_OPTION');
      if (kind !== 'RANGE') throw vecError('NON_RANGE');
      if (epsilon !== null) throw vecError('DUP_PARAM');
      const d = parseDoubleFF(value);
      if (d === null || !(d > 0)) throw vecError('BAD_VAL');
      epsilon = d;
    } else if (name === 'BATCH_SIZE') {
      if (kind !== 'HYBRID') throw vecError('NON_HYBRID');
      if (batchSize !== null) throw vecError('DUP_PARAM');
      batchSize = positiveInt(value);
    } else if (name === 'HYBRID_POLICY') {
      if (kind !== 'HYBRID') throw vecError('NON_HYBRID');
      if (hybridPolicy !== null) throw vecError('DUP_PARAM');
      const pol = value.toUpperCase();
      if (pol !== 'BATCHES' && pol !== 'ADHOC_BF') throw vecError('HYBRID_NON_EXIST');
      hybridPolicy = pol;
    } else {
      throw vecError('NO_OPTION');
    }
  }
  if (hybridPolicy === 'ADHOC_BF' && batchSize !== null) throw vecError('ADHOC_WITH_BATCH_SIZE');
  if (hybridPolicy === 'ADHOC_BF' && efRuntime !== null) throw vecError('ADHOC_WITH_EF_RUNTIME');
  return { efRuntime, epsilon, hybridPolicy, batchSize };
}

function convert(n: PNode, def: IndexDefinition, bits: TextFieldBits): QueryNode {
  const kids = (): QueryNode[] => n.children.map((c) => convert(c, def, bits));
  const fields = (): readonly string[] | null => bits.names(n.fieldMask);
  switch (n.type) {
    case 'WILDCARD':
    case 'OPTIONAL':
      // An optional clause only changes scores: it matches every document.
      return { type: 'all' };
    case 'UNION':
      return { type: 'or', children: kids() };
    case 'NOT':
      return { type: 'not', child: convert(n.children[0]!, def, bits) };
    case 'PHRASE': {
      if (!n.exact) return { type: 'and', children: kids() };
      const terms = n.children.map((c) => lowerBytes(c.str ?? new Uint8Array(0)));
      if (terms.length === 0) return { type: 'none' };
      if (terms.length === 1) return { type: 'term', fields: fields(), term: terms[0]! };
      return { type: 'phrase', fields: fields(), terms };
    }
    case 'TOKEN':
      return { type: 'term', fields: fields(), term: lowerBytes(n.str ?? new Uint8Array(0)) };
    case 'PREFIX': {
      const text = n.str ?? new Uint8Array(0);
      checkSuffixTrie(n, def, bits);
      if (text.length < MIN_PREFIX_LENGTH) return { type: 'none' };
      return { type: 'affix', fields: fields(), prefix: n.prefix, suffix: n.suffix, text: lowerBytes(text) };
    }
    case 'FUZZY':
      return { type: 'fuzzy', fields: fields(), term: lowerBytes(n.str ?? new Uint8Array(0)), distance: n.maxDist };
    case 'WILDCARD_QUERY':
      return { type: 'pattern', fields: fields(), pattern: lowerBytes(n.str ?? new Uint8Array(0)) };
    case 'TAG': {
      const matches: TagMatch[] = [];
      for (const c of n.children) {
        const m = tagMatch(c, n.field as TagFieldSpec);
        if (m !== null) matches.push(m);
      }
      return { type: 'tag', field: n.field!.name, matches };
    }
    case 'NUMERIC':
      return { type: 'numeric', field: n.field!.name, min: n.min, max: n.max, minInclusive: n.minInclusive, maxInclusive: n.maxInclusive };
    case 'GEO': {
      const unit = n.unit === null ? undefined : GEO_UNITS[latin1(n.unit).toLowerCase()];
      if (unit === undefined || (n.unit !== null && n.unit.length >= 16)) throw new QueryError('SYNTAX', 'Invalid GeoFilter unit');
      if (n.lat > 90 || n.lat < -90 || n.lon > 180 || n.lon < -180) throw new QueryError('SYNTAX', 'Invalid GeoFilter lat/lon');
      if (!(n.radius > 0)) throw new QueryError('SYNTAX', 'Invalid GeoFilter radius');
      return { type: 'geo', field: n.field!.name, lon: n.lon, lat: n.lat, radius: n.radius * unit };
    }
    case 'GEOMETRY':
      throw new QueryError('GENERIC', 'GEOSHAPE queries are not supported');
    case 'MISSING':
      return { type: 'missing', field: n.field!.name };
    case 'VECTOR': {
      const field = n.field as VectorFieldSpec;
      const vector = checkBlob(n, field);
      if (n.radius < 0) {
        throw new QueryError('INVAL', `Error parsing vector similarity query: negative radius (${formatG(n.radius)}) given in a range query`);
      }
      const options = vectorOptions(n.vecParams, field, 'RANGE');
      return {
        type: 'vectorRange', field: field.name, radius: n.radius, vector, options,
        distanceField: n.distField === null ? null : latin1(n.distField),
      };
    }
  }
}

/** A contains/suffix query on TEXT fields must not mix fields with and without a suffix trie. */
function checkSuffixTrie(n: PNode, def: IndexDefinition, bits: TextFieldBits): void {
  if (!n.suffix || !def.fields.some((f) => f.type === 'TEXT' && f.withSuffixTrie)) return;
  if (n.fieldMask === FIELDMASK_ALL) return;
  const names = bits.names(n.fieldMask) ?? [];
  if (!names.every((name) => def.fields.some((f) => f.name === name && f.type === 'TEXT' && f.withSuffixTrie))) {
    throw new QueryError('GENERIC', 'Contains query on fields without WITHSUFFIXTRIE support');
  }
}

/** One alternative of a tag query; null for one that can match nothing (a too short prefix). */
function tagMatch(c: PNode, field: TagFieldSpec): TagMatch | null {
  const cs = field.caseSensitive;
  switch (c.type) {
    case 'TOKEN':
      return { kind: 'exact', value: normalizeQueryTag(c.str ?? new Uint8Array(0), cs) };
    case 'PREFIX': {
      const value = normalizeQueryTag(c.str ?? new Uint8Array(0), cs);
      if (unescapeBytes(c.str ?? new Uint8Array(0)).length < MIN_PREFIX_LENGTH) return null;
      return { kind: c.prefix && c.suffix ? 'contains' : c.prefix ? 'prefix' : 'suffix', value };
    }
    case 'WILDCARD_QUERY':
      return { kind: 'pattern', pattern: normalizeQueryTag(c.str ?? new Uint8Array(0), cs) };
    default:
      // A list of words in braces: the words, each normalised, joined by single spaces.
      return { kind: 'exact', value: c.children.map((t) => normalizeQueryTag(t.str ?? new Uint8Array(0), cs)).join(' ') };
  }
}
