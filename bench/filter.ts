// FILTER evaluator speed: nanoseconds per matchFilter call for typical expressions, on the
// closure evaluator and on the stack machine, with JSON.parse + a hand-written predicate as a
// point of comparison. Attributes are 1000 different documents packed in one byte arena, the way
// a search visits them.
//
//   npx tsc -p tsconfig.json && node dist/bench/filter.js [--quick]
//
// Prints a table and writes bench/data/filter.json (machine, Node version, results).

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFilter, matchFilter, type CompiledFilter, type FilterEngine } from '../src/filter/index.js';

const quick = process.argv.includes('--quick');
const DOCS = 1000;
const CALLS = quick ? 200_000 : 1_000_000;
const ROUNDS = quick ? 3 : 5;

const GENRES = ['action', 'drama', 'comedy', 'horror', 'sci-fi'];
const TITLES = ['The Terminator', 'Alien', 'Heat', 'Brazil', 'Akira', 'Ran'];

function makeDocs(): { arena: Uint8Array; starts: Int32Array; ends: Int32Array; texts: string[] } {
  let seed = 7;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const texts: string[] = [];
  for (let i = 0; i < DOCS; i++) {
    const doc = {
      year: 1950 + Math.floor(rand() * 75),
      genre: GENRES[Math.floor(rand() * GENRES.length)],
      rating: Math.round(rand() * 100) / 10,
      title: TITLES[Math.floor(rand() * TITLES.length)],
      tags: rand() < 0.5 ? ['classic', 'cult'] : [],
      director: 'Someone "Quoted" Name',
      country: 'US',
      budget: Math.floor(rand() * 1e8),
      awards: rand() < 0.1,
      id: i,
    };
    texts.push(JSON.stringify(doc));
  }
  const enc = new TextEncoder();
  const parts = texts.map((t) => enc.encode(t));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const arena = new Uint8Array(new SharedArrayBuffer(total));
  const starts = new Int32Array(DOCS);
  const ends = new Int32Array(DOCS);
  let at = 0;
  parts.forEach((p, i) => {
    arena.set(p, at);
    starts[i] = at;
    at += p.length;
    ends[i] = at;
  });
  return { arena, starts, ends, texts };
}

interface Movie {
  year: number;
  genre: string;
  rating: number;
  title: string;
  tags: string[];
  budget: number;
  id: number;
}

const CASES: ReadonlyArray<{ expr: string; js: (m: Movie) => boolean }> = [
  { expr: '.year > 1980', js: (m) => m.year > 1980 },
  { expr: '.year > 1980 and .genre == "action"', js: (m) => m.year > 1980 && m.genre === 'action' },
  {
    expr: '.rating >= 8 and .genre in ["action", "drama"] and "Term" in .title',
    js: (m) => m.rating >= 8 && ['action', 'drama'].includes(m.genre) && m.title.includes('Term'),
  },
  { expr: '(.year - 1900) % 10 == 4 or .budget / 1e6 > 90', js: (m) => (m.year - 1900) % 10 === 4 || m.budget / 1e6 > 90 },
  { expr: '.id >= 500', js: (m) => m.id >= 500 }, // the last key of the document
  { expr: '"cult" in .tags', js: (m) => m.tags.includes('cult') },
  { expr: '1', js: () => true },
];

function time(fn: () => number): { ns: number; sink: number } {
  const times: number[] = [];
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    sink += fn();
    const t1 = process.hrtime.bigint();
    times.push(Number(t1 - t0) / CALLS);
  }
  times.sort((a, b) => a - b);
  return { ns: times[Math.floor(times.length / 2)]!, sink };
}

function benchFilter(f: CompiledFilter, arena: Uint8Array, starts: Int32Array, ends: Int32Array): { ns: number; sink: number } {
  return time(() => {
    let hits = 0;
    for (let i = 0, d = 0; i < CALLS; i++) {
      if (matchFilter(f, arena, starts[d]!, ends[d]!)) hits++;
      if (++d === DOCS) d = 0;
    }
    return hits;
  });
}

function main(): void {
  const { arena, starts, ends, texts } = makeDocs();
  const dec = new TextDecoder();
  const results: Array<Record<string, string | number>> = [];
  console.log(`FILTER evaluation, ${DOCS} documents of ~${Math.round(arena.length / DOCS)} bytes, median of ${ROUNDS} x ${CALLS} calls`);
  console.log(`${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
  console.log('ns/call   closure   stack   JSON.parse+js   hits   expression');
  for (const c of CASES) {
    const ns: Partial<Record<FilterEngine, number>> = {};
    let hits = 0;
    for (const engine of ['closure', 'stack'] as const) {
      const r = compileFilter(c.expr, { engine });
      if (!r.ok) throw new Error(`does not compile: ${c.expr}`);
      ns[engine] = benchFilter(r.filter, arena, starts, ends).ns;
      hits = 0;
      for (let d = 0; d < DOCS; d++) if (matchFilter(r.filter, arena, starts[d]!, ends[d]!)) hits++;
    }
    // The naive alternative: decode and parse every document, then test.
    const parsed = time(() => {
      let h = 0;
      for (let i = 0, d = 0; i < CALLS; i++) {
        const m = JSON.parse(dec.decode(arena.subarray(starts[d]!, ends[d]!))) as Movie;
        if (c.js(m)) h++;
        if (++d === DOCS) d = 0;
      }
      return h;
    });
    let jsHits = 0;
    for (const t of texts) if (c.js(JSON.parse(t) as Movie)) jsHits++;
    if (jsHits !== hits) throw new Error(`result mismatch for ${c.expr}: ${hits} vs ${jsHits}`);
    console.log(
      `${' '.repeat(9)}${ns.closure!.toFixed(0).padStart(8)}${ns.stack!.toFixed(0).padStart(8)}${parsed.ns
        .toFixed(0)
        .padStart(16)}${String(hits).padStart(7)}   ${c.expr}`,
    );
    results.push({ expr: c.expr, closureNs: ns.closure!, stackNs: ns.stack!, jsonParseNs: parsed.ns, hits });
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const outDir = path.resolve(here, '..', '..', 'bench', 'data');
  mkdirSync(outDir, { recursive: true });
  const out = {
    bench: 'filter',
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    documents: DOCS,
    callsPerRound: CALLS,
    rounds: ROUNDS,
    results,
  };
  writeFileSync(path.join(outDir, 'filter.json'), JSON.stringify(out, null, 2) + '\n');
}

main();
