// What a search is given and what it gives back: the prepared query, the options of VSIM (and
// of the query engine's plans), and the reusable result buffers. Apart from search.ts so that
// code that only builds queries or reads results need not see the searcher.

/** A query in the set's own stored form (after projection, normalisation, quantisation). */
export interface PreparedQuery {
  /** The stored vector bytes, `vecBytes` long (zero padded). */
  readonly bytes: Uint8Array;
  /** Q8 range of the normalised query (0 for other quantisations or a zero vector). */
  readonly range: number;
}

export interface SearchOptions {
  /** How many results to return (VSIM COUNT, default 10). */
  count: number;
  /** Search effort (VSIM EF, default 100); the effective value is max(ef, count) ≤ cardinality. */
  ef?: number;
  /** Keep a result iff d/2 ≤ epsilon, compared in float (VSIM EPSILON). */
  epsilon?: number;
  /** Called once per visited node on level 0; only nodes it accepts are returned. */
  filter?: (slot: number) => boolean;
  /** Maximum candidates expanded on level 0 when filtering (FILTER-EF, default count·100). */
  filterEf?: number;
  /** Exact linear scan with the same distance (VSIM TRUTH). */
  truth?: boolean;
  /**
   * An exact scan of these slots only (the query engine's plan for a selective filter: the
   * matching documents' vectors, src/query). Slots not live (any more) are skipped.
   */
  among?: Int32Array;
}

/** Result buffers, reused across queries: slots and float distances, ascending by distance. */
export class SearchResults {
  ids: Int32Array;
  dists: Float64Array;
  count = 0;
  constructor(capacity = 16) {
    this.ids = new Int32Array(capacity);
    this.dists = new Float64Array(capacity);
  }
  reserve(n: number): void {
    if (n <= this.ids.length) return;
    this.ids = new Int32Array(n);
    this.dists = new Float64Array(n);
  }
  /** Score as replied by VSIM WITHSCORES: 1 − d/2 in double from the float distance. */
  score(i: number): number {
    return 1 - this.dists[i] / 2;
  }
}
