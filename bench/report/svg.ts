/**
 * A small SVG chart writer for bench/REPORT.md (issue 20): line charts (recall–QPS curves,
 * throughput against connections, load time against size) and grouped bar charts (bytes per
 * element, build rates). Our own code rather than a chart package: the report needs a few plain
 * charts, and a dependency would be another thing for a fresh clone to install.
 *
 * Every chart carries its title and a caption line (machine, cores, Node version, data), so a
 * chart copied out of the report still says where its figures come from. Each point is a
 * <circle> with a <title> holding its exact values (a tooltip in browsers).
 */

export interface Point {
  x: number;
  y: number;
  /** Shown next to the point (e.g. the EF value). */
  label?: string;
}

export interface Series {
  name: string;
  points: Point[];
  /** Drawn dashed: a derived series (e.g. QPS with a per-call cost subtracted). */
  dashed?: boolean;
}

export interface LineChartSpec {
  title: string;
  /** Machine, cores, Node version and data: printed under the title. */
  caption: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  series: Series[];
  width?: number;
  height?: number;
}

export interface BarChartSpec {
  title: string;
  caption: string;
  yLabel: string;
  categories: string[];
  /** One value per category; null where there is none (skipped). */
  series: { name: string; values: Array<number | null> }[];
  width?: number;
  height?: number;
}

/** Coordinates to a tenth of a pixel: shorter files, no float noise in them. */
const r1 = (v: number): string => (Math.round(v * 10) / 10).toString();

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const MARGIN = { left: 78, right: 20, top: 58, bottom: 92 };

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Numbers in labels: few digits, thousands grouped. */
export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(0);
  if (a >= 1) return v.toFixed(1).replace(/\.0$/, '');
  if (a === 0) return '0';
  // Recall values: up to three significant digits, no trailing zeros (0.8, 0.95, 0.929).
  return String(Number(v.toPrecision(3)));
}

/** About `count` round tick values covering [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** 1-2-5 ticks per decade inside [lo, hi] (both > 0); fewer when the range spans many decades. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const decades = Math.log10(hi / lo);
  const mults = decades > 3 ? [1] : decades > 1.5 ? [1, 3] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mults) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out.length >= 2 ? out : [lo, hi];
}

interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: number[];
}

function axis(values: number[], log: boolean): Axis {
  const vs = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo = vs.length ? Math.min(...vs) : 0;
  let hi = vs.length ? Math.max(...vs) : 1;
  if (log) {
    if (hi <= lo) hi = lo * 10;
    lo = lo / 1.15;
    hi = hi * 1.15;
    return { lo, hi, log, ticks: logTicks(lo, hi) };
  }
  if (hi <= lo) hi = lo + 1;
  const pad = (hi - lo) * 0.06;
  lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
  hi = hi + pad;
  return { lo, hi, log, ticks: linearTicks(lo, hi) };
}

function scale(a: Axis, from: number, to: number): (v: number) => number {
  if (a.log) {
    const l0 = Math.log(a.lo);
    const l1 = Math.log(a.hi);
    return (v) => from + ((Math.log(v) - l0) / (l1 - l0)) * (to - from);
  }
  return (v) => from + ((v - a.lo) / (a.hi - a.lo)) * (to - from);
}

function frame(w: number, h: number, title: string, caption: string, xLabel: string, yLabel: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${w}" height="${h}" fill="#ffffff"/>`,
    `<text class="title" x="${w / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text class="caption" x="${w / 2}" y="38" text-anchor="middle" font-size="11" fill="#555">${escapeXml(caption)}</text>`,
    `<text class="x-label" x="${MARGIN.left + (w - MARGIN.left - MARGIN.right) / 2}" y="${h - MARGIN.bottom + 36}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text class="y-label" transform="translate(16 ${MARGIN.top + (h - MARGIN.top - MARGIN.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  ];
}

/** Legend in rows under the plot. */
function legend(w: number, h: number, items: { name: string; colour: string; dashed?: boolean }[]): string[] {
  const out: string[] = [];
  let x = MARGIN.left;
  let y = h - MARGIN.bottom + 58;
  for (const it of items) {
    const width = 34 + it.name.length * 6.6;
    if (x + width > w - MARGIN.right && x > MARGIN.left) {
      x = MARGIN.left;
      y += 16;
    }
    out.push(
      `<g class="legend-item"><line x1="${r1(x)}" y1="${y - 4}" x2="${r1(x + 22)}" y2="${y - 4}" stroke="${it.colour}" stroke-width="3"${it.dashed ? ' stroke-dasharray="5 3"' : ''}/>` +
        `<text x="${r1(x + 27)}" y="${y}">${escapeXml(it.name)}</text></g>`,
    );
    x += width + 14;
  }
  return out;
}

export function lineChart(spec: LineChartSpec): string {
  const w = spec.width ?? 720;
  const h = spec.height ?? 440;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p.y));
  const ax = axis(xs, spec.xLog ?? false);
  const ay = axis(ys, spec.yLog ?? false);
  const x0 = MARGIN.left;
  const x1 = w - MARGIN.right;
  const y0 = h - MARGIN.bottom;
  const y1 = MARGIN.top;
  const sx = scale(ax, x0, x1);
  const sy = scale(ay, y0, y1);
  const out = frame(w, h, spec.title, spec.caption, spec.xLabel, spec.yLabel);
  out.push(`<g class="grid" stroke="#e5e5e5">`);
  for (const t of ay.ticks) out.push(`<line x1="${x0}" y1="${r1(sy(t))}" x2="${x1}" y2="${r1(sy(t))}"/>`);
  for (const t of ax.ticks) out.push(`<line x1="${r1(sx(t))}" y1="${y0}" x2="${r1(sx(t))}" y2="${y1}"/>`);
  out.push('</g>');
  out.push(`<g class="axes" stroke="#333"><line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}"/><line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}"/></g>`);
  for (const t of ax.ticks) out.push(`<text class="x-tick" x="${r1(sx(t))}" y="${y0 + 16}" text-anchor="middle">${fmtNum(t)}</text>`);
  for (const t of ay.ticks) out.push(`<text class="y-tick" x="${x0 - 6}" y="${r1(sy(t) + 4)}" text-anchor="end">${fmtNum(t)}</text>`);
  spec.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!ax.log || p.x > 0) && (!ay.log || p.y > 0));
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (pts.length > 1) {
      const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${r1(sx(p.x))} ${r1(sy(p.y))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    }
    for (const p of pts) {
      out.push(`<circle cx="${r1(sx(p.x))}" cy="${r1(sy(p.y))}" r="3.5" fill="${colour}"><title>${escapeXml(`${s.name}: ${spec.xLabel} ${fmtNum(p.x)}, ${spec.yLabel} ${fmtNum(p.y)}${p.label ? ` (${p.label})` : ''}`)}</title></circle>`);
      if (p.label) out.push(`<text class="point-label" x="${r1(sx(p.x) + 5)}" y="${r1(sy(p.y) - 5)}" font-size="9" fill="${colour}">${escapeXml(p.label)}</text>`);
    }
    out.push('</g>');
  });
  out.push(...legend(w, h, spec.series.map((s, i) => ({ name: s.name, colour: COLOURS[i % COLOURS.length]!, dashed: s.dashed }))));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export function barChart(spec: BarChartSpec): string {
  const w = spec.width ?? 720;
  const h = spec.height ?? 400;
  const values = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const ay = axis([0, ...values], false);
  const x0 = MARGIN.left;
  const x1 = w - MARGIN.right;
  const y0 = h - MARGIN.bottom;
  const y1 = MARGIN.top;
  const sy = scale(ay, y0, y1);
  const out = frame(w, h, spec.title, spec.caption, '', spec.yLabel);
  out.push(`<g class="grid" stroke="#e5e5e5">`);
  for (const t of ay.ticks) out.push(`<line x1="${x0}" y1="${r1(sy(t))}" x2="${x1}" y2="${r1(sy(t))}"/>`);
  out.push('</g>');
  out.push(`<g class="axes" stroke="#333"><line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}"/><line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}"/></g>`);
  for (const t of ay.ticks) out.push(`<text class="y-tick" x="${x0 - 6}" y="${r1(sy(t) + 4)}" text-anchor="end">${fmtNum(t)}</text>`);
  const group = (x1 - x0) / Math.max(1, spec.categories.length);
  const barW = (group * 0.8) / Math.max(1, spec.series.length);
  spec.categories.forEach((c, ci) => {
    const gx = x0 + ci * group + group * 0.1;
    out.push(`<text class="x-tick" x="${r1(x0 + (ci + 0.5) * group)}" y="${y0 + 16}" text-anchor="middle" font-size="11">${escapeXml(c)}</text>`);
    spec.series.forEach((s, si) => {
      const v = s.values[ci];
      const colour = COLOURS[si % COLOURS.length]!;
      const bx = gx + si * barW;
      if (v === null || v === undefined || !Number.isFinite(v)) {
        out.push(`<text class="missing" x="${r1(bx + barW / 2)}" y="${y0 - 4}" text-anchor="middle" font-size="9" fill="#999">n/a</text>`);
        return;
      }
      const top = sy(v);
      out.push(`<rect class="bar" x="${r1(bx)}" y="${r1(top)}" width="${r1(barW - 2)}" height="${r1(y0 - top)}" fill="${colour}"><title>${escapeXml(`${s.name}, ${c}: ${fmtNum(v)}`)}</title></rect>`);
      out.push(`<text class="bar-value" x="${r1(bx + barW / 2)}" y="${r1(top - 3)}" text-anchor="middle" font-size="9">${fmtNum(v)}</text>`);
    });
  });
  out.push(...legend(w, h, spec.series.map((s, i) => ({ name: s.name, colour: COLOURS[i % COLOURS.length]! }))));
  out.push('</svg>');
  return out.join('\n') + '\n';
}
