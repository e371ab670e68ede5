/**
 * Fuzzing the request reader (src/server/resp-reader.ts): valid multibulk and inline requests,
 * their mutations, oversized and malformed headers, and random bytes, fed in random chunks. The
 * reader may only deliver requests or throw ProtocolError, and what it delivers must not depend
 * on how the bytes were split: the same input fed whole is the reference.
 */
import { RequestReader, ProtocolError, type ReaderLimits } from '../../src/server/resp-reader.js';
import { Rand, count, fail, newReport, type FuzzReport } from './common.js';

const LIMITS: ReaderLimits = { maxBulkLength: 1024 * 1024, maxMultibulkLength: 4096 };
const HEADERS = ['*-1', '*0', '*1', '*3', '*00', '*+1', '* 1', '*99999999999', '*4097', '$-1', '$0', '$5', '$1048577', '$00', '$x', '*', '$'];
const WORDS = ['PING', 'SET', 'k', 'v', 'VSIM', '"quoted arg"', "'single'", '"\\x41\\n"', '"unbalanced', '', 'a b'];

function frame(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

function input(r: Rand): Buffer {
  const pieces: Buffer[] = [];
  const n = 1 + r.int(4);
  for (let i = 0; i < n; i++) {
    const kind = r.int(6);
    if (kind <= 1) {
      const args = Array.from({ length: 1 + r.int(5) }, () => (r.chance(0.03) ? r.bytes(32 * 1024 + r.int(2048)) : r.bytes(r.int(12))));
      pieces.push(frame(args));
    } else if (kind === 2) {
      const words = Array.from({ length: 1 + r.int(4) }, () => r.pick(WORDS));
      pieces.push(Buffer.from(words.join(r.pick([' ', '  ', '\t'])) + r.pick(['\r\n', '\n', ''])));
    } else if (kind === 3) {
      pieces.push(Buffer.from(`${r.pick(HEADERS)}\r\n`));
    } else if (kind === 4) {
      pieces.push(r.mutate(frame([Buffer.from('SET'), r.bytes(r.int(6)), r.bytes(r.int(6))])));
    } else {
      pieces.push(r.bytes(r.int(24), r.chance(0.5) ? Buffer.from('*$\r\n0123456789-+ ab"\'\\') : undefined));
    }
  }
  return Buffer.concat(pieces);
}

interface Outcome {
  requests: string[];
  error: string | null;
}

function run(data: Buffer, chunks: number[], authenticated: boolean): Outcome {
  const reader = new RequestReader(LIMITS, () => authenticated);
  const requests: string[] = [];
  let error: string | null = null;
  let at = 0;
  for (const size of chunks) {
    if (error !== null) break;
    const chunk = data.subarray(at, at + size);
    at += size;
    try {
      // Arguments are views of the received bytes: copy them as a server must before keeping them.
      reader.feed(chunk, (argv) => requests.push(argv.map((a) => a.toString('hex')).join(' ')));
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      error = e.reason;
    }
  }
  return { requests, error };
}

export function fuzzReader(seed: number, cases: number): FuzzReport {
  const report = newReport('request reader');
  const r = new Rand(seed);
  for (let i = 0; i < cases; i++) {
    const data = input(r);
    const authenticated = r.chance(0.8);
    const chunks: number[] = [];
    for (let left = data.length; left > 0; ) {
      const size = Math.min(left, r.chance(0.3) ? 1 : 1 + r.int(64));
      chunks.push(size);
      left -= size;
    }
    report.cases++;
    try {
      const whole = run(data, [data.length], authenticated);
      const split = run(data, chunks, authenticated);
      count(report, 'requests', whole.requests.length);
      if (whole.error) count(report, 'protocol errors');
      if (JSON.stringify(whole) !== JSON.stringify(split)) {
        fail(report, `case ${i}: fed in ${chunks.length} chunks gives ${JSON.stringify(split).slice(0, 200)}, whole gives ${JSON.stringify(whole).slice(0, 200)} (input ${data.toString('hex').slice(0, 120)})`);
      }
    } catch (e) {
      fail(report, `case ${i}: threw ${e instanceof Error ? e.stack : String(e)} (input ${data.toString('hex').slice(0, 120)})`);
    }
  }
  return report;
}
