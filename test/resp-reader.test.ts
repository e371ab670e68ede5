import { describe, expect, it } from 'vitest';
import { ProtocolError, RequestReader, splitInlineArgs } from '../src/server/resp-reader.js';

function feedAll(chunks: Array<string | Buffer>, reader = new RequestReader()): string[][] {
  const out: string[][] = [];
  for (const c of chunks) reader.feed(Buffer.isBuffer(c) ? c : Buffer.from(c, 'latin1'), (argv) => out.push(argv.map((a) => a.toString('latin1'))));
  return out;
}

function errorOf(chunks: string[]): string {
  try {
    feedAll(chunks);
  } catch (e) {
    if (e instanceof ProtocolError) return e.reason;
    throw e;
  }
  return 'no error';
}

describe('RequestReader', () => {
  it('reads multibulk requests, pipelined and split at every byte', () => {
    const wire = '*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$0\r\n\r\n$3\r\na\r\n\r\n';
    expect(feedAll([wire])).toEqual([['ECHO', 'hello'], ['PING'], ['SET', '', 'a\r\n']]);
    expect(feedAll(wire.split(''))).toEqual([['ECHO', 'hello'], ['PING'], ['SET', '', 'a\r\n']]);
  });

  it('reads inline commands with quoting like sdssplitargs', () => {
    expect(feedAll(['PING\r\n', 'ECHO "a b\\x41\\n" \'c\\\'d\'\n', '\r\n', 'SET k v\r\n'])).toEqual([
      ['PING'],
      ['ECHO', 'a bA\n', "c'd"],
      ['SET', 'k', 'v'],
    ]);
    expect(splitInlineArgs(Buffer.from('"abc'), 0, 4)).toBeNull();
    expect(splitInlineArgs(Buffer.from('"abc"def'), 0, 8)).toBeNull();
    expect(errorOf(['ECHO "unterminated\r\n'])).toBe('unbalanced quotes in request');
  });

  it('skips empty multibulk requests', () => {
    expect(feedAll(['*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n'])).toEqual([['PING']]);
  });

  it('assembles big arguments across many chunks', () => {
    const big = Buffer.alloc(300_000, 7);
    const wire = Buffer.concat([Buffer.from(`*2\r\n$3\r\nSET\r\n$${big.length}\r\n`), big, Buffer.from('\r\n*1\r\n$4\r\nPING\r\n')]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 9999) chunks.push(wire.subarray(i, i + 9999));
    const out: Buffer[][] = [];
    const r = new RequestReader();
    for (const c of chunks) r.feed(c, (argv) => out.push(argv));
    expect(out.length).toBe(2);
    expect(out[0]![1]!.equals(big)).toBe(true);
    expect(out[1]![0]!.toString()).toBe('PING');
  });

  it('refuses malformed or oversized frames with Redis error texts', () => {
    expect(errorOf(['*-5x\r\n'])).toBe('invalid multibulk length');
    expect(errorOf(['*abc\r\n'])).toBe('invalid multibulk length');
    expect(errorOf(['*1\r\n$1099511627776\r\n'])).toBe('invalid bulk length');
    expect(errorOf(['*1\r\n$-3\r\n'])).toBe('invalid bulk length');
    expect(errorOf(['*1\r\n$600000000\r\n'])).toBe('invalid bulk length');
    expect(errorOf(['*1\r\n+PING\r\n'])).toBe("expected '$', got '+'");
    expect(errorOf(['*1\r\n$01\r\nx\r\n'])).toBe('invalid bulk length');
    expect(errorOf(['x'.repeat(70_000)])).toBe('too big inline request');
    expect(errorOf(['*1' + '1'.repeat(70_000)])).toBe('too big mbulk count string');
  });

  it('caps what an unauthenticated client can make it buffer', () => {
    const r = new RequestReader(undefined, () => false);
    expect(() => feedAll(['*11\r\n'], r)).toThrow(/unauthenticated multibulk length/);
    const r2 = new RequestReader(undefined, () => false);
    expect(() => feedAll(['*1\r\n$20000\r\n'], r2)).toThrow(/unauthenticated bulk length/);
  });

  it('delivers the requests before a fault, then stops', () => {
    const got: string[][] = [];
    const r = new RequestReader();
    expect(() => r.feed(Buffer.from('*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n'), (a) => got.push(a.map(String)))).toThrow(ProtocolError);
    expect(got).toEqual([['PING']]);
  });
});

describe('RequestReader.requestEnd', () => {
  it('tracks the stream offset after the last complete request, also for big arguments', () => {
    const big = Buffer.alloc(100_000, 1);
    const wire = Buffer.concat([
      Buffer.from('*1\r\n$4\r\nPING\r\n'),
      Buffer.from(`*2\r\n$3\r\nSET\r\n$${big.length}\r\n`),
      big,
      Buffer.from('\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk'),
    ]);
    for (const step of [1, 7, 4096, wire.length]) {
      const r = new RequestReader();
      const ends: number[] = [];
      for (let i = 0; i < wire.length; i += step) r.feed(wire.subarray(i, i + step), () => ends.push(r.requestEnd));
      const first = 14;
      const second = first + `*2\r\n$3\r\nSET\r\n$${big.length}\r\n`.length + big.length + 2;
      expect(ends).toEqual([first, second, second + 6]);
    }
  });
});
