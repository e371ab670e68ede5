// The pure parts of `npm run bench`'s report (issue 20): the SVG chart writer, the equal-recall
// logic with rule (c), and the ground-truth cache key of rule (e). No benchmark runs here and no
// timing is asserted.
import { describe, expect, it } from 'vitest';
import { barChart, lineChart, linearTicks, logTicks } from '../bench/report/svg.js';
import { equalRecallRows, interpolateQps, subtractCallCost } from '../bench/report/ratio.js';
import { truthCacheKey, type TruthKeyParts } from '../bench/engine/truth.js';
import { clustered } from '../bench/engine/datasets.js';
import { Progress } from '../bench/report/progress.js';
import { codeVersion } from '../bench/all/machine.js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Attribute values of every element `tag` in an SVG string. */
function elements(svg: string, tag: string): Array<Record<string, string>> {
  return [...svg.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'g'))].map((m) => Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])));
}

function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

describe('SVG chart writer', () => {
  const spec = {
    title: 'recall vs QPS <test & check>',
    caption: 'Xeon · 2 cores · Node v20 · clustered 10k × 128',
    xLabel: 'recall@10',
    yLabel: 'queries/s',
    yLog: true,
    series: [
      { name: 'vsetd', points: [{ x: 0.8, y: 9000, label: 'ef10' }, { x: 0.9, y: 5000 }, { x: 0.99, y: 1200 }] },
      { name: 'hnswlib-node', points: [{ x: 0.85, y: 7000 }, { x: 0.97, y: 2000 }], dashed: true },
    ],
  };
  const svg = lineChart(spec);

  it('is one well-formed-looking svg element with balanced groups', () => {
    expect(svg.trimStart().startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect((svg.match(/<svg\b/g) ?? []).length).toBe(1);
    expect((svg.match(/<g\b/g) ?? []).length).toBe((svg.match(/<\/g>/g) ?? []).length);
    expect((svg.match(/<circle\b/g) ?? []).length).toBe((svg.match(/<\/circle>/g) ?? []).length);
    // Nothing unescaped from the labels.
    expect(svg).not.toContain('<test');
    expect(svg).toContain('&lt;test &amp; check&gt;');
  });

  it('carries the title, caption, axis labels and series names', () => {
    const t = texts(svg);
    expect(t).toContain('recall vs QPS &lt;test &amp; check&gt;');
    expect(t).toContain('Xeon · 2 cores · Node v20 · clustered 10k × 128');
    expect(t).toContain('recall@10');
    expect(t).toContain('queries/s');
    expect(t).toContain('vsetd');
    expect(t).toContain('hnswlib-node');
    expect(t).toContain('ef10');
  });

  it('draws one circle per point, higher values higher up, and a path per series', () => {
    const circles = elements(svg, 'circle');
    expect(circles).toHaveLength(5);
    const titles = [...svg.matchAll(/<circle\b[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]!);
    expect(titles[0]).toContain('vsetd: recall@10 0.8, queries/s 9,000');
    const [a, b, c] = circles.map((x) => Number(x.cy));
    // SVG y grows downwards: 9000 q/s sits above 5000, above 1200.
    expect(a!).toBeLessThan(b!);
    expect(b!).toBeLessThan(c!);
    const xs = circles.slice(0, 3).map((x) => Number(x.cx));
    expect(xs[0]!).toBeLessThan(xs[1]!);
    expect(xs[1]!).toBeLessThan(xs[2]!);
    const paths = elements(svg, 'path');
    expect(paths).toHaveLength(2);
    expect(paths[1]!['stroke-dasharray']).toBeDefined();
    for (const p of circles) {
      expect(Number.isFinite(Number(p.cx)) && Number.isFinite(Number(p.cy))).toBe(true);
    }
  });

  it('bar charts: a rect per value, n/a where a value is missing', () => {
    const bars = barChart({
      title: 'bytes per element',
      caption: 'machine line',
      yLabel: 'bytes',
      categories: ['10k-128', '5k-1024'],
      series: [
        { name: 'vsetd', values: [240, 1300] },
        { name: 'hnswlib', values: [700, null] },
      ],
    });
    const rects = elements(bars, 'rect').filter((r) => r.class === 'bar');
    expect(rects).toHaveLength(3);
    const heights = rects.map((r) => Number(r.height));
    // In category order: 240, 700 (first category), 1300 (second; its hnswlib bar is n/a).
    expect(heights[2]!).toBeGreaterThan(heights[1]!);
    expect(heights[1]!).toBeGreaterThan(heights[0]!);
    const titles = [...bars.matchAll(/<rect\b[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]!);
    expect(titles).toEqual(['vsetd, 10k-128: 240', 'hnswlib, 10k-128: 700', 'vsetd, 5k-1024: 1,300']);
    expect(texts(bars)).toContain('n/a');
    expect(texts(bars)).toContain('10k-128');
  });

  it('ticks: linear round steps inside the range; log ticks in decades', () => {
    expect(linearTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    const lt = logTicks(80, 20000);
    expect(lt[0]!).toBeGreaterThanOrEqual(80);
    expect(lt[lt.length - 1]!).toBeLessThanOrEqual(20000);
    expect(lt).toContain(1000);
  });
});

describe('equal-recall ratios (rule c)', () => {
  const a = [
    { ef: 10, recall: 0.92, qps: 10000 },
    { ef: 20, recall: 0.96, qps: 6000 },
    { ef: 40, recall: 0.99, qps: 3000 },
  ];
  const b = [
    { ef: 10, recall: 0.95, qps: 8000 },
    { ef: 20, recall: 0.975, qps: 5000 },
    { ef: 40, recall: 0.985, qps: 2500 },
  ];

  it('says "both above at the lowest EF" instead of a ratio when both start above the level', () => {
    const rows = equalRecallRows(a, b, [0.9], ['vsetd', 'hnswlib']);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.kind).toBe('both-above-at-lowest-ef');
    expect('ratio' in rows[0]!).toBe(false);
    expect(rows[0]!.note).toContain('not a ratio');
  });

  it('gives a ratio where one curve has to be interpolated, noting the one that is a floor', () => {
    const [r] = equalRecallRows(a, b, [0.95], ['vsetd', 'hnswlib']);
    expect(r!.kind).toBe('ratio');
    if (r!.kind !== 'ratio') return;
    // vsetd between 0.92@10000 and 0.96@6000, log-interpolated at 0.95.
    const expected = Math.exp(Math.log(10000) + 0.75 * (Math.log(6000) - Math.log(10000)));
    expect(r.aQps).toBeCloseTo(expected, 6);
    expect(r.bQps).toBe(8000);
    expect(r.ratio).toBeCloseTo(expected / 8000, 9);
    expect(r.note).toContain('hnswlib is above 0.95');
  });

  it('plain ratio when neither starts above; unreached when one never gets there', () => {
    const rows = equalRecallRows(a, b, [0.97, 0.99], ['vsetd', 'hnswlib']);
    expect(rows[0]!.kind).toBe('ratio');
    expect(rows[0]!.note).toBe('');
    expect(rows[1]!.kind).toBe('unreached');
    expect(rows[1]!.note).toBe('hnswlib does not reach 0.99');
  });

  it('interpolateQps is null above the curve and subtractCallCost removes a per-call cost', () => {
    expect(interpolateQps(a, 0.995)).toBeNull();
    // 1,000 q/s is 1,000 µs a call; without 500 µs of copying: 2,000 q/s.
    expect(subtractCallCost(1000, 500)).toBeCloseTo(2000, 9);
    expect(subtractCallCost(1000, 1000)).toBe(Infinity);
  });
});

describe('ground-truth cache key (rule e)', () => {
  const base: TruthKeyParts = { name: 'clustered-10k-128', generator: 'clustered@1', seed: 7, params: { n: 10000, dim: 128, nq: 200 }, k: 10, tag: 'all' };

  it('changes with the seed, the generator and its version, the parameters, k and the tag', () => {
    const key = truthCacheKey(base);
    expect(truthCacheKey({ ...base, seed: 8 })).not.toBe(key);
    expect(truthCacheKey({ ...base, generator: 'clustered@2' })).not.toBe(key);
    expect(truthCacheKey({ ...base, generator: 'other@1' })).not.toBe(key);
    expect(truthCacheKey({ ...base, params: { ...base.params, nq: 201 } })).not.toBe(key);
    expect(truthCacheKey({ ...base, k: 100 })).not.toBe(key);
    expect(truthCacheKey({ ...base, tag: 'alive50' })).not.toBe(key);
  });

  it('is stable: same parts (any parameter order) give the same file name', () => {
    expect(truthCacheKey({ ...base, params: { nq: 200, dim: 128, n: 10000 } })).toBe(truthCacheKey(base));
    expect(truthCacheKey(base)).toMatch(/^clustered-10k-128-clustered_1-[0-9a-f]{16}-all\.truth$/);
  });

  it('datasets carry their generator and seed', () => {
    const d = clustered('t', 20, 4, 3, 1.5, 2, 42);
    expect(d.source.generator).toMatch(/^clustered@\d+$/);
    expect(d.source.seed).toBe(42);
    expect(d.source.params).toMatchObject({ n: 20, dim: 4, clusters: 3, nq: 2 });
  });
});

describe('progress output', () => {
  it('writes plain lines, no carriage returns, when the stream is not a TTY', () => {
    const out: string[] = [];
    const p = new Progress({ isTTY: false, write: (s) => (out.push(s), true) });
    p.start('phase one', 10);
    p.update(5);
    p.end('done');
    expect(out.join('')).not.toContain('\r');
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(/^\[bench\] phase one done in [\d.]+ s \(done\)\n$/);
  });

  it('redraws one bar with \\r on a TTY', () => {
    const out: string[] = [];
    const p = new Progress({ isTTY: true, write: (s) => (out.push(s), true) });
    p.start('phase', 4);
    p.update(4);
    p.end();
    expect(out[0]!.startsWith('\r[')).toBe(true);
    expect(out.some((s) => s.includes('100% phase'))).toBe(true);
  });
});

describe('the code a run measured (rule e)', () => {
  it('names the commit, says when tracked files differ from it, and is null outside a checkout', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-code-'));
    try {
      expect(codeVersion(dir)).toBeNull();
      const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' }).trim();
      git('init', '-q');
      fs.writeFileSync(path.join(dir, 'a.txt'), 'one');
      git('add', 'a.txt');
      git('commit', '-q', '-m', 'one');
      const sha = git('rev-parse', '--short', 'HEAD');
      expect(codeVersion(dir)).toBe(`commit ${sha}`);
      // Untracked files (a run's own outputs) do not count; a changed tracked file does.
      fs.writeFileSync(path.join(dir, 'new.json'), '{}');
      expect(codeVersion(dir)).toBe(`commit ${sha}`);
      fs.writeFileSync(path.join(dir, 'a.txt'), 'two');
      expect(codeVersion(dir)).toBe(`commit ${sha} with uncommitted changes`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
