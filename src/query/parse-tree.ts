// The tree the grammar's actions build: RediSearch's QueryNode, field for field where it matters
// (field masks, the attributes of `=>{…}`, parameters still to resolve). bind.ts turns it into the
// public QueryNode of ast.ts once PARAMS are known.

import type { FieldSpec, IndexDefinition, TextFieldSpec } from './schema.js';

export type PNodeType =
  | 'PHRASE' | 'UNION' | 'NOT' | 'OPTIONAL' | 'TOKEN' | 'PREFIX' | 'FUZZY' | 'WILDCARD_QUERY' | 'TAG'
  | 'NUMERIC' | 'GEO' | 'GEOMETRY' | 'VECTOR' | 'MISSING' | 'WILDCARD';

/** How a parameter's value is read (RediSearch's ParamType). */
export const ParamType = {
  TERM: 0,
  TERM_CASE: 1,
  NUMERIC: 2,
  SIZE: 3,
  NUMERIC_MIN_RANGE: 4,
  NUMERIC_MAX_RANGE: 5,
  GEO_COORD: 6,
  GEO_UNIT: 7,
  VEC: 8,
  WILDCARD: 9,
} as const;
export type ParamType = (typeof ParamType)[keyof typeof ParamType];

/** Which field of its node a parameter fills. */
export type ParamTarget = 'str' | 'min' | 'max' | 'k' | 'radius' | 'vector' | 'lon' | 'lat' | 'unit' | 'scoreField';

export interface PParam {
  readonly type: ParamType;
  /** The name as a C string (cut at NUL), latin1. */
  readonly name: string;
  readonly sign: number;
  readonly target: ParamTarget;
}

/** KNN options from the brackets (`EF_RUNTIME 100`) or attributes; value may name a param. */
export interface VecParam {
  readonly name: Uint8Array;
  value: Uint8Array;
  needResolve: boolean;
}

export interface PNode {
  type: PNodeType;
  children: PNode[];
  params: PParam[];
  /** TEXT fields the node applies to, one bit per indexed TEXT field. */
  fieldMask: bigint;
  weight: number;
  maxSlop: number;
  inOrder: boolean;
  verbatim: boolean;
  yieldsDistance: boolean;
  distField: Uint8Array | null;
  // PHRASE
  exact: boolean;
  // TOKEN, PREFIX, FUZZY, WILDCARD_QUERY: the bytes as the parser left them.
  str: Uint8Array | null;
  prefix: boolean;
  suffix: boolean;
  maxDist: number;
  // TAG, NUMERIC, GEO, GEOMETRY, VECTOR, MISSING
  field: FieldSpec | null;
  min: number;
  max: number;
  minInclusive: boolean;
  maxInclusive: boolean;
  lon: number;
  lat: number;
  radius: number;
  unit: Uint8Array | null;
  // VECTOR
  knn: boolean;
  k: number;
  vector: Uint8Array | null;
  vecParams: VecParam[];
  scoreField: Uint8Array | null;
  shardKRatio: number | null;
}

export const FIELDMASK_ALL = (1n << 128n) - 1n;

export function newNode(type: PNodeType): PNode {
  return {
    type, children: [], params: [], fieldMask: FIELDMASK_ALL, weight: 1, maxSlop: -1, inOrder: false,
    verbatim: false, yieldsDistance: false, distField: null, exact: false, str: null, prefix: false,
    suffix: false, maxDist: 0, field: null, min: 0, max: 0, minInclusive: true, maxInclusive: true,
    lon: 0, lat: 0, radius: 0, unit: null, knn: false, k: 0, vector: null, vecParams: [],
    scoreField: null, shardKRatio: null,
  };
}

/** QueryNode_SetFieldMask: narrows the node and everything under it. */
export function setFieldMask(n: PNode, mask: bigint): void {
  n.fieldMask &= mask;
  for (const c of n.children) setFieldMask(c, mask);
}

/** The index's TEXT fields as the module numbers them (indexed ones only) and their bits. */
export class TextFieldBits {
  readonly byName = new Map<string, bigint>();
  readonly fields: TextFieldSpec[] = [];

  constructor(def: IndexDefinition) {
    for (const f of def.fields) {
      if (f.type === 'TEXT' && !f.noIndex) {
        this.byName.set(f.name, 1n << BigInt(this.fields.length));
        this.fields.push(f);
      }
    }
  }

  bit(f: FieldSpec | null): bigint {
    return f === null ? 0n : (this.byName.get(f.name) ?? 0n);
  }

  /** Field names of a mask; null when the mask covers every TEXT field. */
  names(mask: bigint): string[] | null {
    if (mask === FIELDMASK_ALL) return null;
    const out: string[] = [];
    this.fields.forEach((f, i) => {
      if (mask & (1n << BigInt(i))) out.push(f.name);
    });
    return out;
  }
}
