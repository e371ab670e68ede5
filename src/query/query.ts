// parseQuery: query text + PARAMS → the evaluable query, with every error the module reports
// before it starts reading the index, in the module's order.

import type { ParsedQuery, QueryNode } from './ast.js';
import { resolveParams, toQuery, validate } from './bind.js';
import { argText, QueryError } from './errors.js';
import { formatFixed6 } from './numbers.js';
import { parseTree } from './parser.js';
import type { IndexDefinition } from './schema.js';

/** FT.SEARCH's legacy FILTER option: a numeric range ANDed with the query. */
export interface NumericFilterOption {
  readonly field: string;
  readonly min: number;
  readonly max: number;
  readonly minInclusive: boolean;
  readonly maxInclusive: boolean;
}

/** FT.SEARCH's legacy GEOFILTER option; radius in meters. */
export interface GeoFilterOption {
  readonly field: string;
  readonly lon: number;
  readonly lat: number;
  readonly radius: number;
}

export interface QueryOptions {
  /** PARAMS: name (a C string, latin1) → value. */
  readonly params?: ReadonlyMap<string, Uint8Array> | null;
  /** NOSTOPWORDS: stopwords in the query are searched for, not dropped. */
  readonly noStopwords?: boolean;
  readonly numericFilters?: readonly NumericFilterOption[];
  readonly geoFilters?: readonly GeoFilterOption[];
}

/**
 * Parses a DIALECT 2 query for an index. Throws QueryError with the module's text for syntax
 * errors, unknown or mistyped fields, missing or malformed parameters, bad attributes and bad
 * vector clauses.
 */
export function parseQuery(query: Uint8Array, def: IndexDefinition, opts: QueryOptions = {}): ParsedQuery {
  const params = opts.params ?? null;
  const { root, bits } = parseTree(query, def, { stopwords: opts.noStopwords ? null : def.stopwords, params });
  if (root !== null) resolveParams(root, params);
  const filters: QueryNode[] = [];
  for (const f of opts.numericFilters ?? []) {
    const fs = def.fields.find((x) => x.name === f.field);
    if (fs === undefined) throw new QueryError('INVAL', `Unknown Field '${argText(f.field)}'`);
    if (fs.type !== 'NUMERIC') throw new QueryError('INVAL', `Field is not a numeric field, field: ${argText(f.field)}`);
    filters.push({ type: 'numeric', ...f });
  }
  for (const g of opts.geoFilters ?? []) {
    const fs = def.fields.find((x) => x.name === g.field);
    if (fs === undefined || fs.type !== 'GEO') {
      throw new QueryError('INVAL', `${fs === undefined ? 'Unknown Field' : 'Field is not a geo field'}, field: ${argText(g.field)}`);
    }
    filters.push({ type: 'geo', ...g });
  }
  if (root !== null) validate(root, def, bits);
  const parsed = toQuery(root, def, bits);
  if (filters.length === 0) return parsed;
  for (const f of filters) {
    if (f.type === 'numeric' && f.min > f.max) {
      throw new QueryError('SYNTAX', `Invalid numeric range (min > max): @${argText(f.field)}:[${formatFixed6(f.min)} ${formatFixed6(f.max)}]`);
    }
  }
  return { root: { type: 'and', children: [parsed.root, ...filters] }, knn: parsed.knn };
}
