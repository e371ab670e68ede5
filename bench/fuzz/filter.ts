/**
 * Fuzzing the FILTER language (src/filter/): random byte strings and mutations of valid
 * expressions must compile, or fail with an offset inside the expression, the same way on both
 * evaluators; compiled ones, run over random and mutated JSON attributes, must never throw and
 * must agree between the closure evaluator and the stack machine.
 */
import { compileFilter, matchFilter, type CompiledFilter } from '../../src/filter/index.js';
import { Rand, count, enc, fail, newReport, type FuzzReport } from './common.js';

const ALPHABET = enc.encode('abcdeflnortu ANDOR0123456789.eE-+*/%!()<>=|&"\'[],\\ @#{}:;?^~\t\n_xyz.');
const JSONISH = enc.encode('{}[]":,\\ \t\n0123456789-+.eEtruefalsnl abcsx');
const SEEDS = ['.age == 25', '.age > 20 and .age < 30', '.name == "Alice" or "lic" in .name', '.age in [25, 35, "40"]', '!(.active) || .scores', '(.a + .b) * 2 ** 3 ** .c >= -1.5e2', 'not not .x != null', '.s == "a\\"b" and \'c\' in .t', '.x-1 % 3 == 1 && .2024'];
const ATTRS = [
  '{"age": 25, "name": "Alice", "active": true, "scores": [85, 90, 95], "city": "New York"}',
  '{"a": 1, "b": "2", "c": null, "s": "a\\"b", "t": ["c"], "x": [[1], {"y": 2}], "x-1": 4, "2024": 1}',
  '{"age": "25", "name": ["Alice"], "active": 0, "scores": "", "a": -1, "b": 1e400, "c": 0.5}',
  '',
];

function expression(r: Rand): Buffer {
  if (r.chance(0.4)) return r.bytes(r.int(40), r.chance(0.95) ? ALPHABET : undefined);
  return r.mutate(Buffer.from(r.pick(SEEDS)), ALPHABET);
}

function attribute(r: Rand): Buffer {
  const k = r.int(3);
  if (k === 0) return r.bytes(r.int(48));
  if (k === 1) return r.bytes(r.int(48), JSONISH);
  return r.mutate(Buffer.from(r.pick(ATTRS)), JSONISH);
}

export function fuzzFilter(seed: number, cases: number): FuzzReport {
  const report = newReport('FILTER parser');
  const r = new Rand(seed);
  for (let i = 0; i < cases; i++) {
    report.cases++;
    const expr = expression(r);
    try {
      const a = compileFilter(expr, { engine: 'closure' });
      const b = compileFilter(expr, { engine: 'stack' });
      if (a.ok !== b.ok || (!a.ok && !b.ok && a.errorOffset !== b.errorOffset)) {
        fail(report, `case ${i}: the evaluators disagree on compiling ${JSON.stringify(expr.toString('latin1'))}`);
        continue;
      }
      if (!a.ok || !b.ok) {
        count(report, 'refused');
        const end = expr.indexOf(0) < 0 ? expr.length : expr.indexOf(0);
        if (a.ok === false && (a.errorOffset < 0 || (a.errorOffset > 0 && a.errorOffset >= end))) fail(report, `case ${i}: error offset ${a.errorOffset} outside ${JSON.stringify(expr.toString('latin1'))}`);
        continue;
      }
      count(report, 'compiled');
      const filters: CompiledFilter[] = [a.filter, b.filter];
      for (let k = 0; k < 4; k++) {
        const attr = attribute(r);
        const results = filters.map((f) => matchFilter(f, attr));
        if (results[0] !== results[1]) fail(report, `case ${i}: ${JSON.stringify(expr.toString('latin1'))} on ${JSON.stringify(attr.toString('latin1'))}: closure ${results[0]}, stack ${results[1]}`);
        if (results[0]) count(report, 'matches');
      }
    } catch (e) {
      fail(report, `case ${i}: threw ${e instanceof Error ? e.stack : String(e)} for ${JSON.stringify(expr.toString('latin1'))}`);
    }
  }
  return report;
}
