/**
 * A small seeded share of `npm run fuzz` (bench/fuzz/), so every run of the suite tries a few
 * thousand cases of each target: the request reader fed in random chunks, the FILTER language,
 * ACL rules and their descriptions read back, and random command sequences of several tenants'
 * clients. The full run (100,000 cases each, other seeds) is `npm run fuzz`.
 */
import { describe, expect, it } from 'vitest';
import { fuzzReader } from '../bench/fuzz/reader.js';
import { fuzzFilter } from '../bench/fuzz/filter.js';
import { fuzzAcl } from '../bench/fuzz/acl.js';
import { fuzzCommands } from '../bench/fuzz/commands.js';
import type { FuzzReport } from '../bench/fuzz/common.js';

const SEED = Number(process.env.FUZZ_SEED ?? 11);

function check(report: FuzzReport, cases: number): void {
  expect(report.failures).toEqual([]);
  expect(report.cases).toBe(cases);
}

describe(`fuzzing (seed ${SEED})`, () => {
  it('request reader: only requests or protocol errors, the same however the bytes are split', () => {
    const r = fuzzReader(SEED, 3000);
    check(r, 3000);
    expect(r.counts.requests).toBeGreaterThan(1000);
    expect(r.counts['protocol errors']).toBeGreaterThan(100);
  });

  it('FILTER: compile or fail inside the expression, both evaluators agree, nothing throws', () => {
    const r = fuzzFilter(SEED, 5000);
    check(r, 5000);
    expect(r.counts.compiled).toBeGreaterThan(200);
  });

  it('ACL rules: applied or refused with Redis\'s errors; descriptions read back to the same permissions', () => {
    const r = fuzzAcl(SEED, 3000);
    check(r, 3000);
    expect(r.counts['checks allowed']).toBeGreaterThan(500);
    expect(r.counts['rules refused']).toBeGreaterThan(500);
  });

  it('command sequences of several tenants: no crash, no reply leaking another tenant\'s keys, sound graphs', () => {
    const r = fuzzCommands(SEED, 6000);
    check(r, 6000);
    expect(r.counts['refused (NOPERM)']).toBeGreaterThan(500);
    expect(r.counts['graphs validated']).toBeGreaterThan(3);
  });
});
