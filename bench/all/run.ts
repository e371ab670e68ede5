/**
 * `npm run bench` (issue 20): one run that measures vsetd's engine against hnswlib-node
 * in-process, the server over the network, and optionally another Redis-protocol server through
 * the same load generator, and writes bench/results/<date>-<machine>.json and bench/REPORT.md
 * with SVG charts under bench/charts/.
 *
 *   npm run bench                      full run (hours on two cores)
 *   npm run bench -- --quick           a few minutes: small sizes, few EF points, short cells
 *   npm run bench -- --against redis://host:port    also the other server, with ratios
 *   npm run bench -- --only engine,server,against   some sections only
 *   npm run bench -- --only engine --datasets clustered-100k-128,clustered-20k-1024   some engine datasets
 *   npm run bench -- --max-n 300000    the full run without its 1M-element sets
 *   npm run bench -- --engine-quant noquant   vsetd's engine sets in float32 (NOQUANT), as
 *                                      hnswlib-node stores them, instead of Q8
 *   npm run bench -- --machine NAME    the machine label in the results file name
 *   npm run bench -- --variant NAME    write REPORT-NAME.md, charts-NAME/ and <date>-<machine>-NAME.json
 *                                      beside the main report (e.g. a run of the 1M sets alone)
 *   npm run bench -- --from-json bench/results/FILE.json   rewrite the report from a results file
 *
 * Progress goes to stderr (a bar per phase on a terminal, plain lines otherwise); the measuring
 * modules' log lines to stdout. Not a test: nothing asserts; the report states each target and
 * whether it was met.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg } from '../net.js';
import { Progress } from '../report/progress.js';
import { allCharts } from '../report/charts.js';
import { headline, reportMarkdown } from '../report/markdown.js';
import { insertTargets } from '../report/targets.js';
import { runEngineSection, TARGET_EF } from './engine.js';
import { codeVersion, machineInfo } from './machine.js';
import { runAgainst, runVsetdServer, serverPlan } from './server.js';
import type { BenchResults, Skip } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Works from dist/bench/all (the npm script) and from the sources.
const root = [path.resolve(here, '..', '..'), path.resolve(here, '..', '..', '..')].find((p) => existsSync(path.join(p, 'package.json')))!;

const SECTIONS = ['engine', 'server', 'against'] as const;

/**
 * Charts, REPORT.md and the results JSON (unless it was read from there) of one run. A run of the
 * engine sets in float32 (--engine-quant noquant) writes REPORT-noquant.md and charts-noquant/, so
 * that it sits beside the Q8 report instead of replacing it.
 */
function writeOutputs(results: BenchResults, jsonName: string, writeJson: boolean, log: (m: string) => void): void {
  const variant = variantOf(results.settings);
  const resultsDir = path.join(root, 'bench', 'results');
  const chartsDir = path.join(root, 'bench', `charts${variant}`);
  mkdirSync(resultsDir, { recursive: true });
  mkdirSync(chartsDir, { recursive: true });
  if (writeJson) writeFileSync(path.join(resultsDir, jsonName), `${JSON.stringify(results, null, 2)}\n`);
  const charts = allCharts(results);
  for (const c of [...charts.engine.values(), charts.bytes, charts.build, charts.throughput, charts.load]) {
    if (c) writeFileSync(path.join(chartsDir, c.file), c.svg);
  }
  const md = reportMarkdown(results, charts, { chartsRel: `charts${variant}`, jsonRel: `bench/results/${jsonName}`, jsonCommitted: !results.quick });
  writeFileSync(path.join(root, 'bench', `REPORT${variant}.md`), md);
  // README.md's Benchmarks section shows this table: printed so it can be pasted from the full run.
  log(`\nHeadline (README.md's Benchmarks section):\n${headline(results).join('\n')}`);
}

/**
 * The suffix of a run's outputs: '-noquant' for the float32 engine run, then '-<name>' for
 * --variant NAME (a run of some sections or datasets only, e.g. the 1M sets, written beside the
 * main report instead of over it). `--engine-quant noquant --variant noquant` names its outputs
 * once, not REPORT-noquant-noquant.md.
 */
function variantOf(settings: BenchResults['settings']): string {
  const quant = settings.engineQuant === 'noquant' ? '-noquant' : '';
  const named = settings.variant ? `-${String(settings.variant)}` : '';
  return named === quant ? quant : quant + named;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  // --from-json FILE: rewrite REPORT.md and the charts from a results file, measuring nothing
  // (e.g. after a change to the report's format; the figures stay those of that run).
  const fromJson = arg('from-json', '');
  if (fromJson !== '') {
    const results = JSON.parse(readFileSync(fromJson, 'utf8')) as BenchResults;
    writeOutputs(results, path.basename(fromJson), false, (m) => void process.stdout.write(`${m}\n`));
    return;
  }
  const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const against = arg('against', '');
  const only = arg('only', SECTIONS.join(',')).split(',');
  for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section ${s} (have ${SECTIONS.join(', ')})`);
  const machineArg = arg('machine', '');
  const machine = machineInfo(machineArg === '' ? undefined : machineArg);
  const progress = new Progress();
  const log = (m: string): void => void process.stdout.write(`${m}\n`);
  log(`vsetd benchmark${quick ? ' (quick)' : ''}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
  if (!(globalThis as { gc?: unknown }).gc) log('(run with --expose-gc for steadier memory figures; npm run bench does)');

  const skips: Skip[] = [];
  const plan = serverPlan(quick);
  // --max-n N: leave out the engine datasets and snapshot sizes above N elements (the 1M runs
  // take hours on a 2-core machine); what is left out is listed in the report.
  const maxN = Number(arg('max-n', '0'));
  const variant = arg('variant', '');
  if (!/^[a-z0-9-]*$/.test(variant)) throw new Error(`--variant: lower-case letters, digits and '-' only, not ${variant}`);
  if (maxN > 0) {
    for (const n of plan.snapshotSizes) if (n > maxN) skips.push({ what: `snapshot of ${n} × 128`, why: `--max-n ${maxN} leaves it out` });
    plan.snapshotSizes = plan.snapshotSizes.filter((n) => n <= maxN);
  }
  const code = codeVersion(here);
  const results: BenchResults = {
    date: new Date().toISOString(),
    quick,
    wallSeconds: 0,
    machine,
    command: `npm run bench --${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`.replace(/ --$/, ''),
    ...(code !== null ? { code } : {}),
    settings: { serverSeconds: plan.seconds, serverRounds: plan.rounds, snapshotRounds: plan.snapshotRounds, ...(variant !== '' ? { variant } : {}) },
    engine: [],
    server: null,
    against: null,
    targets: [],
    skips,
  };
  if (only.includes('engine')) {
    const datasets = arg('datasets', '').split(',').filter((x) => x !== '');
    const quant = arg('engine-quant', 'q8');
    if (quant !== 'q8' && quant !== 'noquant') throw new Error(`--engine-quant: q8 or noquant, not ${quant}`);
    const e = runEngineSection(quick, path.join(root, 'bench', 'data'), progress, log, datasets, maxN, quant);
    results.engine = e.datasets;
    skips.push(...e.skips);
    Object.assign(results.settings, e.settings);
  } else skips.push({ what: 'engine section', why: '--only leaves it out' });
  if (only.includes('server')) results.server = await runVsetdServer(plan, progress, log);
  else skips.push({ what: 'vsetd server section', why: '--only leaves it out' });
  if (against !== '' && only.includes('against')) {
    const result = await runAgainst(against, plan, progress, log);
    results.against = { url: against, result };
    skips.push(...result.skips.map((s) => ({ what: `--against: ${s.what}`, why: s.why })));
  } else skips.push({ what: '--against rows (vsetd / other server ratios)', why: against === '' ? 'no --against redis://host:port given' : '--only leaves it out' });
  results.targets = insertTargets(results.engine, results.server, TARGET_EF);
  results.wallSeconds = (performance.now() - t0) / 1000;

  const jsonName = `${results.date.slice(0, 10)}-${machine.slug}${variantOf(results.settings)}${quick ? '-quick' : ''}.json`;
  writeOutputs(results, jsonName, true, log);
  log(`\nTargets:`);
  for (const t of results.targets) log(`  [${t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED'}] ${t.target}: ${t.measured}${t.note ? ` (${t.note})` : ''}`);
  for (const s of skips) log(`  skipped ${s.what}: ${s.why}`);
  log(`\nWrote bench/results/${jsonName}, bench/REPORT${variantOf(results.settings)}.md and its charts in ${(results.wallSeconds / 60).toFixed(1)} min`);
}

await main();
