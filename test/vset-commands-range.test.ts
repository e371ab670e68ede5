/**
 * The vector-set commands (spec Part A §7) against a started server, reply bytes compared exactly
 * in RESP2 and RESP3: every option, every documented error in the order the reference checks
 * them (§7.1, §15). This file: VRANDMEMBER, VRANGE, and the arity errors.
 *
 * Expected numbers come from the spec, or from the float emulation in helpers/vset-replies.ts,
 * written from the spec's prose independently of src/vset — so an engine that drifts is caught.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bulk, err, NIL2, NIL3, names, WRONGTYPE, arity, strs, type Arg, vsetConnections } from './helpers/vset-replies.js';

const { r2, r3, v2, setup } = vsetConnections();

describe('VRANDMEMBER', () => {
  const members = Array.from({ length: 20 }, (_, i) => `m${i}`);
  beforeAll(async () => {
    await setup(...members.map((m, i) => ['VADD', 'rand', 'VALUES', 2, Math.cos(i), Math.sin(i), m]), ['SET', 'rand:str', 'x'], ['VADD', 'rand:1', 'VALUES', 1, 1, 'only']);
  });

  it('without a count: one member as a bulk string; null on a missing key', async () => {
    for (let i = 0; i < 10; i++) expect(members).toContain(await v2('VRANDMEMBER', 'rand'));
    expect(await r2('VRANDMEMBER', 'rand:1')).toBe(bulk('only'));
    expect(await r2('VRANDMEMBER', 'rand:none')).toBe(NIL2);
    expect(await r3('VRANDMEMBER', 'rand:none')).toBe(NIL3);
  });

  it('count 0 is *0 at once, even for a missing key or a key of another type', async () => {
    expect(await r2('VRANDMEMBER', 'rand', 0)).toBe('*0\r\n');
    expect(await r2('VRANDMEMBER', 'rand:none', 0)).toBe('*0\r\n');
    expect(await r2('VRANDMEMBER', 'rand:str', 0)).toBe('*0\r\n');
    expect(await r3('VRANDMEMBER', 'rand:str', 0)).toBe('*0\r\n');
  });

  it('positive counts: min(count, size) distinct members, both sampling regimes', async () => {
    for (const count of [1, 3, 4, 5, 10, 19, 20, 21, 1000]) {
      for (let rep = 0; rep < 5; rep++) {
        const v = strs(await v2('VRANDMEMBER', 'rand', count));
        expect(v).toHaveLength(Math.min(count, 20));
        expect(new Set(v).size).toBe(v.length);
        for (const m of v) expect(members).toContain(m);
      }
    }
    expect(await r2('VRANDMEMBER', 'rand:1', 5)).toBe(names('only'));
  });

  it('negative counts: exactly |count| members, repeats allowed', async () => {
    expect(await r2('VRANDMEMBER', 'rand:1', -3)).toBe(names('only', 'only', 'only'));
    const v = strs(await v2('VRANDMEMBER', 'rand', -200));
    expect(v).toHaveLength(200);
    for (const m of v) expect(members).toContain(m);
    expect(new Set(v).size).toBeLessThan(200);
  });

  it('a negative count beyond 10 million is refused on an existing set only (a vsetd limit)', async () => {
    expect(await r2('VRANDMEMBER', 'rand', -10000001)).toBe(err('ERR value is out of range'));
    expect(await r2('VRANDMEMBER', 'rand', '-9223372036854775808')).toBe(err('ERR value is out of range'));
    expect(await r2('VRANDMEMBER', 'rand:none', '-9223372036854775808')).toBe('*0\r\n');
    expect(await r2('VRANDMEMBER', 'rand:str', '-9223372036854775808')).toBe(err(WRONGTYPE));
    expect(await r2('VRANDMEMBER', 'rand', '9223372036854775807')).toMatch(/^\*20\r\n/);
    expect(strs(await v2('VRANDMEMBER', 'rand', -100000))).toHaveLength(100000);
  });

  it('errors: non-integer count, WRONGTYPE, arity; a missing key with a count is *0', async () => {
    expect(await r2('VRANDMEMBER', 'rand', 'x')).toBe(err('ERR COUNT value is not an integer'));
    expect(await r2('VRANDMEMBER', 'rand', '1.5')).toBe(err('ERR COUNT value is not an integer'));
    expect(await r2('VRANDMEMBER', 'rand:none', 'x')).toBe(err('ERR COUNT value is not an integer'));
    expect(await r2('VRANDMEMBER', 'rand:str', 'x')).toBe(err('ERR COUNT value is not an integer'));
    expect(await r2('VRANDMEMBER', 'rand:none', 5)).toBe('*0\r\n');
    expect(await r2('VRANDMEMBER', 'rand:none', -5)).toBe('*0\r\n');
    expect(await r3('VRANDMEMBER', 'rand:none', 5)).toBe('*0\r\n');
    expect(await r2('VRANDMEMBER', 'rand:str')).toBe(err(WRONGTYPE));
    expect(await r2('VRANDMEMBER', 'rand:str', 2)).toBe(err(WRONGTYPE));
    expect(await r2('VRANDMEMBER', 'rand', 1, 2)).toBe(err(arity('VRANDMEMBER')));
    expect(await r2('VRANDMEMBER')).toBe(err(arity('VRANDMEMBER')));
  });
});

// ---- VRANGE -----------------------------------------------------------------------------------

describe('VRANGE', () => {
  const fruits = ['apple', 'apricot', 'banana', 'cherry', 'date', 'elderberry', 'fig', 'grape', 'honeydew', 'kiwi', 'lemon', 'mango', 'nectarine', 'orange', 'papaya', 'quince', 'raspberry', 'strawberry', 'tangerine', 'watermelon'];
  beforeAll(async () => {
    await setup(...fruits.map((n, i) => ['VADD', 'fruits', 'VALUES', 2, Math.cos(i), Math.sin(i), n]), ['SET', 'fruits:str', 'x']);
  });

  it('the examples of §7.13', async () => {
    expect(await r2('VRANGE', 'fruits', '[apple', '[grape', 5)).toBe(names('apple', 'apricot', 'banana', 'cherry', 'date'));
    expect(await r2('VRANGE', 'fruits', '[app', '[apr', 10)).toBe(names('apple'));
    expect(await r2('VRANGE', 'fruits', '[cherry', '[cherry', 10)).toBe(names('cherry'));
    expect(await r2('VRANGE', 'fruits', '+', '-', 10)).toBe(err("ERR '-' can only be used as first argument, '+' only as second"));
    expect(await r3('VRANGE', 'fruits', '[cherry', '[cherry')).toBe(names('cherry'));
  });

  it('inclusive and exclusive bounds, - and +, start after end, beyond the last', async () => {
    expect(await r2('VRANGE', 'fruits', '(apple', '[cherry')).toBe(names('apricot', 'banana', 'cherry'));
    expect(await r2('VRANGE', 'fruits', '[banana', '(cherry')).toBe(names('banana'));
    expect(await r2('VRANGE', 'fruits', '(banana', '(cherry')).toBe('*0\r\n');
    expect(await r2('VRANGE', 'fruits', '-', '[banana')).toBe(names('apple', 'apricot', 'banana'));
    expect(await r2('VRANGE', 'fruits', '[raspberry', '+')).toBe(names('raspberry', 'strawberry', 'tangerine', 'watermelon'));
    expect(strs(await v2('VRANGE', 'fruits', '-', '+'))).toEqual([...fruits].sort());
    expect(await r2('VRANGE', 'fruits', '[grape', '[apple', 10)).toBe('*0\r\n');
    expect(await r2('VRANGE', 'fruits', '[zebra', '+', 10)).toBe('*0\r\n');
    expect(await r2('VRANGE', 'fruits', '-', '(apple')).toBe('*0\r\n');
    expect(await r2('VRANGE', 'fruits', '(watermelon', '+')).toBe('*0\r\n');
  });

  it('count: 0 is empty, negative means no limit, a huge count is fine', async () => {
    expect(await r2('VRANGE', 'fruits', '-', '+', 0)).toBe('*0\r\n');
    expect(strs(await v2('VRANGE', 'fruits', '-', '+', -1))).toHaveLength(20);
    expect(strs(await v2('VRANGE', 'fruits', '-', '+', -100))).toHaveLength(20);
    expect(strs(await v2('VRANGE', 'fruits', '-', '+', '9223372036854775807'))).toHaveLength(20);
    expect(strs(await v2('VRANGE', 'fruits', '-', '+', '-9223372036854775808'))).toHaveLength(20);
  });

  it('paging with ( visits every element exactly once', async () => {
    const seen: string[] = [];
    let start = '-';
    for (;;) {
      const page = strs(await v2('VRANGE', 'fruits', start, '+', 3));
      seen.push(...page);
      if (page.length < 3) break;
      start = `(${page.at(-1)!}`;
    }
    expect(seen).toEqual([...fruits].sort());
  });

  it('validation order: count, start, end, the -/+ rule, then the key (§7.13)', async () => {
    const e = (m: string): string => err(m);
    const BADCOUNT = 'ERR invalid COUNT value';
    const BADSTART = 'ERR invalid start range format';
    const BADEND = 'ERR invalid end range format';
    const PM = "ERR '-' can only be used as first argument, '+' only as second";
    const cases: Array<[Arg[], string]> = [
      [['-', '+', 'x'], BADCOUNT],
      [['-', '+', '1.5'], BADCOUNT],
      [['-', '+', '+1'], BADCOUNT],
      [['-', '+', ''], BADCOUNT],
      [['-', '+', '99999999999999999999'], BADCOUNT],
      [['bad', 'bad', 'x'], BADCOUNT],
      [['apple', '+'], BADSTART],
      [['', '+'], BADSTART],
      [['[', '+'], BADSTART],
      [['(', '+'], BADSTART],
      [['--', '+'], BADSTART],
      [['bad', 'bad'], BADSTART],
      [['-', 'z'], BADEND],
      [['-', ''], BADEND],
      [['-', '['], BADEND],
      [['-', '('], BADEND],
      [['-', '++'], BADEND],
      [['+', '+'], PM],
      [['-', '-'], PM],
      [['+', '[a'], PM],
      [['[a', '-'], PM],
    ];
    for (const key of ['fruits', 'fruits:none', 'fruits:str']) {
      for (const [args, m] of cases) expect(await r2('VRANGE', key, ...args), `${key} ${args.join(' ')}`).toBe(e(m));
    }
    expect(await r2('VRANGE', 'fruits:none', '-', '+')).toBe('*0\r\n');
    expect(await r3('VRANGE', 'fruits:none', '-', '+', 5)).toBe('*0\r\n');
    expect(await r2('VRANGE', 'fruits:str', '-', '+')).toBe(err(WRONGTYPE));
    expect(await r2('VRANGE', 'fruits', '-')).toBe(err(arity('VRANGE')));
    expect(await r2('VRANGE', 'fruits', '-', '+', 1, 2)).toBe(err(arity('VRANGE')));
  });

  it('stays exact while elements come and go between calls (seeded model check)', async () => {
    let seed = 0xbeef;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 4294967296;
    };
    const model = new Set<string>();
    const sortedModel = (): string[] => [...model].map((n) => Buffer.from(n, 'latin1')).sort(Buffer.compare).map((b) => b.toString('latin1'));
    for (let step = 0; step < 400; step++) {
      const name = String.fromCharCode(97 + Math.floor(next() * 4)) + String.fromCharCode(97 + Math.floor(next() * 4)).repeat(Math.floor(next() * 3));
      if (next() < 0.6) {
        await setup(['VADD', 'churn', 'VALUES', 1, 1, name]);
        model.add(name);
      } else {
        await r2('VREM', 'churn', name);
        model.delete(name);
      }
      if (step % 7 === 0) {
        const lo = String.fromCharCode(97 + Math.floor(next() * 4));
        const got = model.size === 0 ? [] : strs(await v2('VRANGE', 'churn', `(${lo}`, '+', 5));
        const want = model.size === 0 ? [] : sortedModel().filter((n) => n > lo).slice(0, 5);
        expect(got, `step ${step}`).toEqual(want);
      }
    }
    if (model.size > 0) expect(strs(await v2('VRANGE', 'churn', '-', '+'))).toEqual(sortedModel());
  });

  it('byte order: a prefix first, bytes above 0x7f after ASCII, - and + addressed with [ and (', async () => {
    const odd = ['a', 'a\x00', 'ab', 'B', '-', '+', '[x', '\xff', '\x80a', ''];
    await setup(...odd.map((n, i) => ['VADD', 'bytes', 'VALUES', 1, i + 1, Buffer.from(n, 'latin1')]));
    const sorted = odd.map((n) => Buffer.from(n, 'latin1')).sort(Buffer.compare).map((b) => b.toString('latin1'));
    expect(strs(await v2('VRANGE', 'bytes', '-', '+'))).toEqual(sorted);
    expect(await r2('VRANGE', 'bytes', '[-', '[-')).toBe(names('-'));
    expect(await r2('VRANGE', 'bytes', '[+', '(-')).toBe(names('+'));
    expect(await r2('VRANGE', 'bytes', '[a', '(b')).toBe(names('a', 'a\x00', 'ab'));
    expect(await r2('VRANGE', 'bytes', '(a', '[ab')).toBe(names('a\x00', 'ab'));
    expect(await r2('VRANGE', 'bytes', Buffer.from('(\x80', 'latin1'), '+')).toBe(names('\x80a', '\xff'));
    // The range follows membership changes.
    await setup(['VREM', 'bytes', 'ab'], ['VADD', 'bytes', 'VALUES', 1, 1, 'aa']);
    expect(await r2('VRANGE', 'bytes', '[a', '(b')).toBe(names('a', 'a\x00', 'aa'));
  });
});

// ---- arity of the whole family ----------------------------------------------------------------

describe('arity errors name the command in upper case (§6)', () => {
  it('each V* command', async () => {
    const cases: Array<[string, Arg[]]> = [
      ['VADD', ['k', 'VALUES', '1']],
      ['VREM', ['k']],
      ['VSIM', ['k', 'ELE']],
      ['VDIM', []],
      ['VCARD', []],
      ['VEMB', ['k']],
      ['VLINKS', ['k']],
      ['VINFO', []],
      ['VSETATTR', ['k', 'e']],
      ['VGETATTR', ['k']],
      ['VRANDMEMBER', []],
      ['VISMEMBER', ['k']],
      ['VRANGE', ['k', '-']],
    ];
    for (const [cmd, args] of cases) {
      expect(await r2(cmd.toLowerCase(), ...args)).toBe(err(arity(cmd)));
    }
  });
});
