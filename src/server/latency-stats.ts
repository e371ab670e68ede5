/**
 * Per-command latency distributions, recorded for every call (Server.call) and read two ways:
 * INFO latencystats prints Redis 7's percentiles (`latency_percentiles_usec_<cmd>:p50=…,p99=…,
 * p99.9=…`, which redis_exporter turns into a summary), and the metrics endpoint exports a
 * Prometheus histogram over the same calls (metrics.ts), so the two never disagree on a count.
 *
 * Two bucket sets per command, both fixed arrays: fine logarithmic buckets (eight per doubling,
 * so a percentile is known within about 9 %, as Redis's hdr_histogram gives about two digits)
 * for the percentiles, and the few decimal bounds Prometheus users expect for the histogram.
 * Recording is a log2, a short search and two increments.
 */

/** Upper bounds of the Prometheus buckets, in seconds (+Inf is implied). */
export const HISTOGRAM_BOUNDS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const BOUNDS_USEC = HISTOGRAM_BOUNDS_SECONDS.map((s) => s * 1e6);

const FINE_PER_DOUBLING = 8;
/** From 1 µs up to 2^36 µs (19 hours): longer calls count in the last bucket. */
const FINE_BUCKETS = FINE_PER_DOUBLING * 36;

export class LatencyHistogram {
  count = 0;
  sumUsec = 0;
  /** Calls per Prometheus bucket (not cumulative); the last slot is +Inf. */
  readonly coarse = new Float64Array(BOUNDS_USEC.length + 1);
  private readonly fine = new Float64Array(FINE_BUCKETS);

  record(usec: number): void {
    this.count++;
    this.sumUsec += usec;
    let i = 0;
    while (i < BOUNDS_USEC.length && usec > BOUNDS_USEC[i]!) i++;
    this.coarse[i]!++;
    const f = usec <= 1 ? 0 : Math.min(FINE_BUCKETS - 1, Math.floor(Math.log2(usec) * FINE_PER_DOUBLING));
    this.fine[f]!++;
  }

  /** The latency below which `p` percent of the calls fall, in µs (a bucket's upper bound). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < FINE_BUCKETS; i++) {
      seen += this.fine[i]!;
      if (seen >= rank) return 2 ** ((i + 1) / FINE_PER_DOUBLING);
    }
    return 2 ** (FINE_BUCKETS / FINE_PER_DOUBLING);
  }
}

/** The percentiles Redis prints by default (latency-tracking-info-percentiles "50 99 99.9"). */
const PERCENTILES: ReadonlyArray<[string, number]> = [
  ['p50', 50],
  ['p99', 99],
  ['p99.9', 99.9],
];

/** INFO latencystats lines for the commands that have been called, as Redis 7 prints them. */
export function latencyLines(stats: ReadonlyMap<string, { latency?: LatencyHistogram }>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, s] of stats) {
    if (s.latency === undefined || s.latency.count === 0) continue;
    const h = s.latency;
    out.push([`latency_percentiles_usec_${name}`, PERCENTILES.map(([label, p]) => `${label}=${h.percentile(p).toFixed(3)}`).join(',')]);
  }
  return out;
}
