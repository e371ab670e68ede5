/**
 * Pure comparison logic for the benchmark report (issue 20): QPS at equal recall between two
 * recall–QPS curves, and hnswlib-node's per-call copy cost taken out of its QPS. Kept free of I/O
 * so that test/bench-report.test.ts can check the fairness rules without running a benchmark.
 */

export interface CurveLike {
  ef: number;
  recall: number;
  qps: number;
}

/**
 * QPS at recall `r`, log-interpolated between the two EF points around it; null when the curve
 * never reaches `r`. A curve already at or above `r` at its lowest EF answers that point's QPS
 * (a floor: a lower EF would be faster still), which is why equalRecallRows flags that case.
 */
export function interpolateQps(curve: readonly CurveLike[], r: number): number | null {
  for (let i = 0; i < curve.length; i++) {
    const b = curve[i]!;
    if (b.recall >= r) {
      if (i === 0) return b.qps;
      const a = curve[i - 1]!;
      if (b.recall === a.recall) return b.qps;
      const t = (r - a.recall) / (b.recall - a.recall);
      return Math.exp(Math.log(a.qps) + t * (Math.log(b.qps) - Math.log(a.qps)));
    }
  }
  return null;
}

export type EqualRecallRow =
  | { recall: number; kind: 'ratio'; aQps: number; bQps: number; ratio: number; note: string }
  /** Rule (c): both curves start above the level, so neither QPS is "at" that recall. */
  | { recall: number; kind: 'both-above-at-lowest-ef'; aRecall: number; bRecall: number; lowestEf: number; note: string }
  | { recall: number; kind: 'unreached'; note: string };

/**
 * One row per recall level: the ratio a/b of QPS at equal recall, or why there is none. Rule (c)
 * of issue 20: where both engines already exceed the level at their lowest EF, the figures are
 * each engine's fastest point, not QPS at that recall, so the row says so and carries no ratio.
 * Where only one starts above the level, its QPS is a floor and the note says which.
 */
export function equalRecallRows(
  a: readonly CurveLike[],
  b: readonly CurveLike[],
  levels: readonly number[],
  names: [string, string] = ['a', 'b'],
): EqualRecallRow[] {
  const rows: EqualRecallRow[] = [];
  const a0 = a[0];
  const b0 = b[0];
  for (const r of levels) {
    if (a0 === undefined || b0 === undefined) {
      rows.push({ recall: r, kind: 'unreached', note: 'no curve' });
      continue;
    }
    const aAbove = a0.recall >= r;
    const bAbove = b0.recall >= r;
    if (aAbove && bAbove) {
      rows.push({
        recall: r,
        kind: 'both-above-at-lowest-ef',
        aRecall: a0.recall,
        bRecall: b0.recall,
        lowestEf: Math.min(a0.ef, b0.ef),
        note: `both exceed ${r} at their lowest EF: not a ratio`,
      });
      continue;
    }
    const aq = interpolateQps(a, r);
    const bq = interpolateQps(b, r);
    if (aq === null || bq === null) {
      const note = aq === null && bq === null ? `neither reaches ${r}` : `${aq === null ? names[0] : names[1]} does not reach ${r}`;
      rows.push({ recall: r, kind: 'unreached', note });
      continue;
    }
    const note = aAbove ? `${names[0]} is above ${r} at its lowest EF (its QPS is a floor)` : bAbove ? `${names[1]} is above ${r} at its lowest EF (its QPS is a floor)` : '';
    rows.push({ recall: r, kind: 'ratio', aQps: aq, bQps: bq, ratio: aq / bq, note });
  }
  return rows;
}

/**
 * QPS with a fixed per-call cost taken out (rule b: hnswlib-node copies the query element by
 * element into C++ on every searchKnn): 1 / (1/qps − cost). Infinity when the cost is the whole
 * call (a measurement artefact worth seeing rather than hiding).
 */
export function subtractCallCost(qps: number, costMicros: number): number {
  const perCall = 1e6 / qps - costMicros;
  return perCall > 0 ? 1e6 / perCall : Infinity;
}

/** Recall of a curve at a fixed EF, or null when the curve has no such point. */
export function recallAtEf(curve: readonly CurveLike[], ef: number): number | null {
  return curve.find((p) => p.ef === ef)?.recall ?? null;
}
