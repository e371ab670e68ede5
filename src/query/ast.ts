// The query tree handed to evaluation: parameters already substituted, text normalised the way
// the indexes store it, field names resolved against the index definition. Plain data, so it can
// be posted to a worker thread as is (structured clone keeps Buffers as Uint8Arrays).

/** TEXT fields a text node looks in: null means every TEXT field of the index. */
export type TextFields = readonly string[] | null;

export type TagMatch =
  | { readonly kind: 'exact'; readonly value: string }
  /** Tag begins with / ends with / contains value. */
  | { readonly kind: 'prefix' | 'suffix' | 'contains'; readonly value: string }
  /** w'…' glob: `*` any run, `?` one character. */
  | { readonly kind: 'pattern'; readonly pattern: string };

/**
 * Runtime options of a KNN or range query, validated as the module's vector library does
 * (EF_RUNTIME for HNSW only, EPSILON for range queries only, HYBRID_POLICY and BATCH_SIZE only
 * when there is a filter). null: not given.
 */
export interface VectorSearchOptions {
  readonly efRuntime: number | null;
  readonly epsilon: number | null;
  readonly hybridPolicy: 'BATCHES' | 'ADHOC_BF' | null;
  readonly batchSize: number | null;
}

export type QueryNode =
  /** `*`, and `~x` (an optional clause matches every document; it only affects scores). */
  | { readonly type: 'all' }
  /** The empty query, or one made only of stopwords: matches nothing. */
  | { readonly type: 'none' }
  | { readonly type: 'and'; readonly children: readonly QueryNode[] }
  | { readonly type: 'or'; readonly children: readonly QueryNode[] }
  | { readonly type: 'not'; readonly child: QueryNode }
  /** A term in any of the fields. */
  | { readonly type: 'term'; readonly fields: TextFields; readonly term: string }
  /** "exact phrase": the terms at consecutive positions of one field. */
  | { readonly type: 'phrase'; readonly fields: TextFields; readonly terms: readonly string[] }
  /** Terms beginning with (prefix), ending with (suffix) or containing (both) text. */
  | { readonly type: 'affix'; readonly fields: TextFields; readonly prefix: boolean; readonly suffix: boolean; readonly text: string }
  /** Terms within `distance` edits (Levenshtein) of term: %term%, %%term%%, %%%term%%%. */
  | { readonly type: 'fuzzy'; readonly fields: TextFields; readonly term: string; readonly distance: number }
  /** Terms matching a w'…' glob. */
  | { readonly type: 'pattern'; readonly fields: TextFields; readonly pattern: string }
  | { readonly type: 'tag'; readonly field: string; readonly matches: readonly TagMatch[] }
  | {
      readonly type: 'numeric';
      readonly field: string;
      readonly min: number;
      readonly max: number;
      readonly minInclusive: boolean;
      readonly maxInclusive: boolean;
    }
  /** Documents whose point lies within radius (meters) of lon/lat. */
  | { readonly type: 'geo'; readonly field: string; readonly lon: number; readonly lat: number; readonly radius: number }
  /** ismissing(@field): documents without the field (INDEXMISSING fields only). */
  | { readonly type: 'missing'; readonly field: string }
  /** @field:[VECTOR_RANGE radius $vec]: evaluated by the vector engine, not by evaluate(). */
  | {
      readonly type: 'vectorRange';
      readonly field: string;
      readonly radius: number;
      /** The query vector; its length is the field's blob size (checked). */
      readonly vector: Uint8Array;
      readonly options: VectorSearchOptions;
      /** $YIELD_DISTANCE_AS: the name to return each match's distance under, or null. */
      readonly distanceField: string | null;
    };

/** `…=>[KNN k @field $vec …]`: the k nearest documents among those the filter matches. */
export interface KnnClause {
  readonly k: number;
  readonly field: string;
  /** The query vector; its length is the field's blob size (checked). */
  readonly vector: Uint8Array;
  /** EF_RUNTIME, HYBRID_POLICY, BATCH_SIZE from inside the brackets or from =>{…}. */
  readonly options: VectorSearchOptions;
  /** Where the distance is returned: AS name, $YIELD_DISTANCE_AS, or `__<field>_score`. */
  readonly scoreField: string;
  /** $SHARD_K_RATIO if given (meaningful in a cluster only). */
  readonly shardKRatio: number | null;
}

export interface ParsedQuery {
  /** The filter: for a KNN query, which documents may be returned. */
  readonly root: QueryNode;
  readonly knn: KnnClause | null;
}
