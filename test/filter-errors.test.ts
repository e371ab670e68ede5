// FILTER compile errors and their `near:` position (spec §9.2, §9.7).
//
// Lexical errors point where the reference's lexer stops: at an unexpected character, or just
// after a consumed number or operator-word run; a stop at the very end (unterminated string or
// tuple, bad run at the end) maps to 0. Structural errors always report 0: the whole expression.

import { describe, expect, it } from 'vitest';
import { compileFilter, filterErrorTail, filterSyntaxError, filterSelectors } from '../src/filter/index.js';

const dec = new TextDecoder();

// [expression, expected near: tail]. FULL means the whole expression (offset 0).
const FULL = Symbol('full');
const ERRORS: ReadonlyArray<readonly [string, string | typeof FULL]> = [
  // The examples of §9.7.
  ['.year >', FULL],
  ['(.a == 1', FULL],
  ['.a == 1)', FULL],
  ['.a = 1', ' 1'],
  ['.a == true', FULL],
  ['.a == true and 1', ' and 1'],
  ['.a == 1 AND .b == 2', ' .b == 2'],
  ['.x == null)', FULL],
  ['.v > 1e-3', '-3'],
  ['.a .b', FULL],
  // Unexpected characters: the tail starts at them.
  ['@', '@'],
  ['.a == @x', '@x'],
  ['.a, .b', ', .b'],
  ['1 # 2', '# 2'],
  ['{', '{'],
  ['.a == 1 ; 2', '; 2'],
  ['. a', '. a'],
  ['1 + . a', '. a'],
  ['.', '.'],
  ['1 .', '.'],
  ['.a == é', 'é'],
  ['.a ~ 1', '~ 1'],
  ['.a ? 1 : 2', '? 1 : 2'],
  ['.a == $x', '$x'],
  ['.a ^ 2', '^ 2'],
  ['.a == [1, 2] ]', ']'],
  ['.a == 1}', '}'],
  // Lexical errors win over earlier structural ones: the whole text is tokenized first.
  ['(.a == 1 @', '@'],
  ['.a == 1 and .b = 2 and @', ' 2 and @'],
  // Strings.
  ['.a == "unterminated', FULL],
  [".a == 'x\\'", FULL],
  ['"abc\\', FULL],
  // Tuples: where the tuple scanner stopped.
  ['[1, 2', FULL],
  ['[1 2] ', '2] '],
  ['[1,,2]', ',2]'],
  ['[.a]', '.a]'],
  ['[null]', 'null]'],
  ['[[1]]', '[1]]'],
  ['[-]', ']'],
  ['[1e-3]', '-3]'],
  ['[-x]', 'x]'],
  ['[,]', ',]'],
  // Numbers: the whole [0-9.eE] run must be a strtod number.
  ['1.2.3', FULL],
  ['1.2.3 + 1', ' + 1'],
  ['1e+3 == 1000', '+3 == 1000'],
  ['1e', FULL],
  ['1e5e + 1', ' + 1'],
  ['1' + '1'.repeat(299), '1'.repeat(45)], // the reference's buffer holds 255 characters
  // Operator words and runs: longest operator prefix, else an error after the run.
  ['true', FULL],
  ['true or 1', ' or 1'],
  ['false', FULL],
  ['AND', FULL],
  ['Not .a', ' .a'],
  ['.a IN [1]', ' [1]'],
  ['.a === 1', ' 1'],
  ['1 !== 2', ' 2'],
  ['1 & 2', ' 2'],
  ['1 | 2', ' 2'],
  ['1 ||| 2', ' 2'],
  ['nullx', FULL],
  ['nullx or 1', ' or 1'],
  ['1 inx 2', ' 2'],
  // Structural errors: position 0.
  ['.a <> 1', FULL],
  ['1 *** 2', FULL],
  ['!', FULL],
  ['()', FULL],
  ['', FULL],
  ['   ', FULL],
  ['-(1)', FULL],
  ['- 5', FULL],
  ['-.x', FULL],
  ['1 -', FULL],
  ['1 + * 2', FULL],
  ['(1))', FULL],
  ['((1)', FULL],
  ['.a == 1 and', FULL],
  ['"a" "b"', FULL],
  ['1 2 +', FULL], // the reference's shunting-yard accepts this; vsetd need not (§9.5)
  ['and(1)', FULL],
  ['.a not .b', FULL],
  ['null null', FULL],
  ['.a (1)', FULL],
];

// Expressions that must compile.
const VALID: readonly string[] = [
  '!!.year',
  'not not .x',
  '!!!.x',
  '.a > 1 and !!.b',
  '(.x == null )',
  '.x == null',
  'null',
  '.2024',
  '.5',
  '.-',
  '.a in[1]',
  '1e3',
  '1'.repeat(255),
  '[]',
  '[1,]',
  '[ ]',
  '[-1.5, "a", \'b\']',
  '[-.5]',
  '.a==-1',
  '.a>=-1',
  '(1)and(1)',
  '1&&1||0',
  '!(1)',
  '1 in ["a\\"b"]',
  '.a-1',
  '.x_y',
  'notnull',
  '\t.a\n==\r1\f',
  '.a\v',
];

function tail(expr: string, offset: number): string {
  return dec.decode(filterErrorTail(expr, offset));
}

describe('FILTER compile errors', () => {
  it.each(ERRORS.map(([e, t]) => [e, t === FULL ? '(whole expression)' : JSON.stringify(t)] as const))(
    '%s → near: %s',
    (expr) => {
      const expected = ERRORS.find(([e]) => e === expr)![1];
      const r = compileFilter(expr);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      if (expected === FULL) expect(r.errorOffset).toBe(0);
      expect(tail(expr, r.errorOffset)).toBe(expected === FULL ? expr : expected);
    },
  );

  it.each(VALID.map((e) => [e] as const))('compiles %s', (expr) => {
    expect(compileFilter(expr).ok).toBe(true);
  });

  it('builds the Redis error text, trimming trailing CR/LF and blanking inner ones', () => {
    const expr = '.a == 1 AND .b == 2';
    const r = compileFilter(expr);
    if (r.ok) throw new Error('should not compile');
    expect(dec.decode(filterSyntaxError(expr, r.errorOffset))).toBe(
      'ERR syntax error in FILTER expression near:  .b == 2',
    );
    const nl = '1 @\n2\r\n';
    const q = compileFilter(nl);
    if (q.ok) throw new Error('should not compile');
    expect(dec.decode(filterSyntaxError(nl, q.errorOffset))).toBe('ERR syntax error in FILTER expression near: @ 2');
  });

  it('stops the error tail at an embedded NUL, like %s', () => {
    const expr = new Uint8Array([...new TextEncoder().encode('1 + @x'), 0, 0x41]);
    const r = compileFilter(expr);
    if (r.ok) throw new Error('should not compile');
    expect(r.errorOffset).toBe(4);
    expect(dec.decode(filterErrorTail(expr, r.errorOffset))).toBe('@x');
  });

  it('maps an error at the end of the C string to 0 even with bytes after a NUL', () => {
    const expr = new Uint8Array([...new TextEncoder().encode('"abc'), 0, 0x22]);
    const r = compileFilter(expr);
    expect(r).toEqual({ ok: false, errorOffset: 0 });
  });

  it('reports selectors without compiling twice in the caller', () => {
    expect(filterSelectors('.a + .b > .a')).toEqual(['a', 'b']);
    expect(filterSelectors('.a +')).toBeUndefined();
  });
});
