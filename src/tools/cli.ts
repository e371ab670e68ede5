/**
 * The command-line tools that run beside a server rather than as one: `vsetd import-faiss`,
 * `vsetd export` and `vsetd import` (main.ts hands argv here when its first word is one of them,
 * before any server option is parsed). Each returns its exit code: 0 success, 1 a failure it
 * names, 2 bad arguments.
 */
import { importFaiss, type ImportFaissOptions } from './import-faiss.js';
import { exportSet, importSet } from './set-transfer.js';
import { terminalOutput, type Output } from './progress.js';
import type { DistanceMetric, VectorAlgorithm } from './langchain-redis-layout.js';

export const TOOLS = ['import-faiss', 'export', 'import'] as const;

const DEFAULT_URL = 'redis://127.0.0.1:6379';

const USAGE = `Usage:
  vsetd import-faiss <dir> [--url redis://host:port] (--key <key> | --index-name <name>)
                     [--target vset|langchain] [--tenants] [--quant q8|noquant|bin]
                     [--m <n>] [--ef <n>] [--replace] [--store-name index]
                     [--distance-metric COSINE|L2|IP] [--algorithm FLAT|HNSW] [--schema-out <file>]
      Import a LangChain FAISS store (index.faiss + index.pkl, as FAISS.save_local writes them)
      into a vector set (--target vset, the default: --key) or into the hashes and FT index of
      LangChain's Redis store (--target langchain: --index-name). With --tenants, <dir> holds one
      store per subdirectory and --key / --index-name is a pattern with {tenant} (default {tenant}).
  vsetd export <key> [--url …] [--vectors raw|f32] [--out <file>]   (or > file)
      Write a vector set as MessagePack records: the stored vectors (raw, the default) or float32.
  vsetd import <file> [--url …] [--key <key>] [--replace] [--quant q8|noquant|bin]
      Read an export back, checked completely first; the set appears only once it is whole.

Common options: --url (default ${DEFAULT_URL}; redis://user:pass@host:port/db, rediss://, unix:///path),
--window <n> (commands in flight, default 512), --quiet (no progress bar).
Exit codes: 0 everything arrived, 1 a failure (named on stderr), 2 bad arguments.
`;

class UsageError extends Error {}

/** Splits `--name value` options (and `--flag` switches) from positional arguments. */
function parse(args: string[], flags: readonly string[], valued: readonly string[]): { positional: string[]; opts: Map<string, string> } {
  const positional: string[] = [];
  const opts = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (flags.includes(name)) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      opts.set(name, 'true');
    } else if (valued.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      opts.set(name, v);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positional, opts };
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], name: string, def: T): T {
  if (v === undefined) return def;
  const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
  if (hit === undefined) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  return hit;
}

function positiveInt(v: string | undefined, name: string, max: number): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > max) throw new UsageError(`--${name} must be an integer from 1 to ${max}`);
  return n;
}

const COMMON = ['url', 'window'];

async function runImportFaiss(args: string[], out: Output): Promise<number> {
  const { positional, opts } = parse(args, ['tenants', 'replace', 'quiet'], [...COMMON, 'key', 'index-name', 'target', 'quant', 'm', 'ef', 'store-name', 'distance-metric', 'algorithm', 'schema-out']);
  if (positional.length !== 1) throw new UsageError('import-faiss takes one directory');
  const target = oneOf(opts.get('target'), ['vset', 'langchain'] as const, 'target', 'vset');
  const tenants = opts.has('tenants');
  const nameOpt = target === 'vset' ? 'key' : 'index-name';
  const other = target === 'vset' ? 'index-name' : 'key';
  if (opts.has(other)) throw new UsageError(`--${other} does not apply to --target ${target} (use --${nameOpt})`);
  const name = opts.get(nameOpt) ?? (tenants ? '{tenant}' : undefined);
  if (name === undefined || name === '') throw new UsageError(`--${nameOpt} is required`);
  if (tenants && !name.includes('{tenant}')) throw new UsageError(`with --tenants, --${nameOpt} must contain {tenant}, e.g. docs:{tenant}`);
  if (target === 'langchain') {
    for (const o of ['quant', 'm', 'ef']) if (opts.has(o)) throw new UsageError(`--${o} applies to --target vset`);
  } else {
    for (const o of ['distance-metric', 'algorithm', 'schema-out']) if (opts.has(o)) throw new UsageError(`--${o} applies to --target langchain`);
  }
  const o: ImportFaissOptions = {
    dir: positional[0]!,
    url: opts.get('url') ?? DEFAULT_URL,
    target,
    name,
    tenants,
    quant: oneOf(opts.get('quant'), ['q8', 'noquant', 'bin'] as const, 'quant', 'q8'),
    m: positiveInt(opts.get('m'), 'm', 4096),
    ef: positiveInt(opts.get('ef'), 'ef', 1_000_000),
    replace: opts.has('replace'),
    storeName: opts.get('store-name') ?? 'index',
    distanceMetric: opts.has('distance-metric') ? oneOf<DistanceMetric>(opts.get('distance-metric'), ['COSINE', 'L2', 'IP'], 'distance-metric', 'COSINE') : null,
    algorithm: oneOf<VectorAlgorithm>(opts.get('algorithm'), ['FLAT', 'HNSW'], 'algorithm', 'FLAT'),
    schemaOut: opts.get('schema-out') ?? null,
    window: positiveInt(opts.get('window'), 'window', 100_000) ?? 512,
  };
  if (o.m !== null && o.m < 4) throw new UsageError('--m must be at least 4');
  if (o.tenants && o.schemaOut !== null && !o.schemaOut.includes('{tenant}')) throw new UsageError('with --tenants, --schema-out must contain {tenant}');
  return importFaiss(o, out);
}

async function runExport(args: string[], out: Output): Promise<number> {
  const { positional, opts } = parse(args, ['quiet'], [...COMMON, 'vectors', 'out']);
  if (positional.length !== 1) throw new UsageError('export takes one key');
  const file = opts.get('out') ?? null;
  if (file === null && process.stdout.isTTY) throw new UsageError('export writes binary records: redirect it to a file (> file) or use --out <file>');
  return exportSet(
    {
      url: opts.get('url') ?? DEFAULT_URL,
      key: positional[0]!,
      vectors: oneOf(opts.get('vectors'), ['raw', 'f32'] as const, 'vectors', 'raw'),
      out: file,
      window: positiveInt(opts.get('window'), 'window', 100_000) ?? 512,
    },
    out,
  );
}

async function runImport(args: string[], out: Output): Promise<number> {
  const { positional, opts } = parse(args, ['replace', 'quiet'], [...COMMON, 'key', 'quant']);
  if (positional.length !== 1) throw new UsageError('import takes one file');
  return importSet(
    {
      url: opts.get('url') ?? DEFAULT_URL,
      file: positional[0]!,
      key: opts.get('key') ?? null,
      replace: opts.has('replace'),
      quant: opts.has('quant') ? oneOf(opts.get('quant'), ['q8', 'noquant', 'bin'] as const, 'quant', 'q8') : null,
      window: positiveInt(opts.get('window'), 'window', 100_000) ?? 512,
    },
    out,
  );
}

/** Runs `vsetd <tool> …` (argv after the program name); returns the exit code. */
export async function runTool(argv: string[]): Promise<number> {
  const [tool, ...args] = argv;
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const out = terminalOutput(process.stderr, args.includes('--quiet'));
  try {
    switch (tool) {
      case 'import-faiss':
        return await runImportFaiss(args, out);
      case 'export':
        return await runExport(args, out);
      case 'import':
        return await runImport(args, out);
      default:
        throw new UsageError(`unknown tool ${String(tool)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`vsetd ${tool}: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`vsetd ${tool}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
