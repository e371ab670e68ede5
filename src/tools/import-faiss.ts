/**
 * `vsetd import-faiss <dir>`: LangChain FAISS stores into a running server, as vector sets or as
 * the hashes and FT index of langchain_community's Redis store.
 *
 * The guarantees, and how they are kept:
 *  - A damaged or unsupported store imports nothing: both files are read and cross-checked, and
 *    every attribute or hash value computed, before the first command is sent.
 *  - Nothing half-imported is ever visible under the target name, and a re-run after a failure
 *    makes no duplicates. A vector set is built under a temporary key and renamed into place
 *    (RENAMENX, or RENAME with --replace) only once every element arrived and VCARD agrees; a
 *    failed run leaves only that temporary key, which the next run deletes first. Hashes have one
 *    key per docstore id, so writing them again replaces rather than duplicates; the FT index is
 *    created after them, so a first import that fails leaves no index that finds half the store.
 *  - A store already imported (its key holds a set of the same size and dimension with every
 *    docstore id) is left alone and counts as done, so re-running a --tenants import after a
 *    failure only does the tenants that failed.
 *  - The exit code says whether everything arrived: 0 every store imported or already there,
 *    1 some store failed (each named with its reason), 2 bad arguments.
 */
import fs from 'node:fs';
import path from 'node:path';
import { asText, ReplyError, RespClient, type Arg, type Reply } from './resp-client.js';
import { isStoreDir, loadStore, type FaissStore } from './langchain-faiss.js';
import { attributeJson } from './metadata.js';
import { documentKey, ftCreateArgs, generateSchema, hashFields, keyPrefix, schemaYaml, type DistanceMetric, type VectorAlgorithm } from './langchain-redis-layout.js';
import type { Output } from './progress.js';

export interface ImportFaissOptions {
  dir: string;
  url: string;
  target: 'vset' | 'langchain';
  /** Key (vset) or index name (langchain); with --tenants a pattern holding {tenant}. */
  name: string;
  tenants: boolean;
  quant: 'q8' | 'noquant' | 'bin';
  m: number | null;
  ef: number | null;
  replace: boolean;
  storeName: string;
  distanceMetric: DistanceMetric | null;
  algorithm: VectorAlgorithm;
  schemaOut: string | null;
  window: number;
}

/** One store to import and where it goes. */
interface Job {
  label: string;
  dir: string;
  name: string;
  tenant: string | null;
}

type Outcome = { ok: true; message: string } | { ok: false; message: string };

const VSETD_MAX_DIM = 65536;

export function tempKeyFor(key: string): string {
  return `${key}:vsetd-import-tmp`;
}

function jobs(opts: ImportFaissOptions): Job[] {
  if (!opts.tenants) return [{ label: opts.dir, dir: opts.dir, name: opts.name, tenant: null }];
  const out: Job[] = [];
  for (const entry of fs.readdirSync(opts.dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(opts.dir, entry.name);
    if (!isStoreDir(dir, opts.storeName)) continue;
    out.push({ label: `tenant ${entry.name}`, dir, name: opts.name.split('{tenant}').join(entry.name), tenant: entry.name });
  }
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs the import; returns the exit code. */
export async function importFaiss(opts: ImportFaissOptions, out: Output): Promise<number> {
  let list: Job[];
  try {
    list = jobs(opts);
  } catch (e) {
    out.line(`error: cannot read ${opts.dir}: ${errorText(e)}`);
    return 1;
  }
  if (list.length === 0) {
    out.line(`error: no tenant stores (subdirectories holding ${opts.storeName}.faiss and ${opts.storeName}.pkl) in ${opts.dir}`);
    return 1;
  }
  if (!opts.tenants && !isStoreDir(opts.dir, opts.storeName)) {
    let tenants = 0;
    try {
      tenants = jobs({ ...opts, tenants: true }).length;
    } catch {
      // Not a readable directory: the message below says what is missing.
    }
    out.line(`error: ${opts.dir} holds no ${opts.storeName}.faiss and ${opts.storeName}.pkl${tenants > 0 ? `, but ${tenants} subdirectories do: add --tenants to import them` : ' (FAISS.save_local writes both; --store-name names other files)'}`);
    return 1;
  }
  let client: RespClient;
  try {
    client = await RespClient.connect(opts.url);
  } catch (e) {
    out.line(`error: ${errorText(e)}`);
    return 1;
  }
  let failed = 0;
  let documents = 0;
  const t0 = performance.now();
  try {
    for (const job of list) {
      let outcome: Outcome;
      try {
        const store = loadStore(job.dir, opts.storeName);
        for (const w of storeWarnings(store, opts)) out.line(`${job.label}: warning: ${w}`);
        outcome = opts.target === 'vset' ? await importVset(client, store, job, opts, out) : await importLangchain(client, store, job, opts, out);
        if (outcome.ok) documents += store.docs.length;
      } catch (e) {
        out.end();
        outcome = { ok: false, message: `${errorText(e)}; nothing was imported` };
      }
      if (!outcome.ok) failed++;
      out.line(`${job.label}: ${outcome.ok ? '' : 'FAILED: '}${outcome.message}`);
    }
  } finally {
    client.close();
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  out.line(`${list.length - failed} of ${list.length} store${list.length === 1 ? '' : 's'} in place (${documents} documents) in ${secs}s${failed > 0 ? `; ${failed} failed: re-run the same command to retry them` : ''}`);
  return failed > 0 ? 1 : 0;
}

function storeWarnings(store: FaissStore, opts: ImportFaissOptions): string[] {
  const w: string[] = [];
  const cosine = opts.target === 'vset' || (opts.distanceMetric ?? 'COSINE') === 'COSINE';
  if (store.notUnitLength > 0 && cosine) {
    w.push(
      `${store.notUnitLength} of ${store.docs.length} vectors are not of unit length: FAISS ranked them by ${store.index.metric === 'l2' ? 'L2 distance' : 'inner product'}, ` +
        `the import ranks by cosine similarity, so results can come in another order${opts.target === 'langchain' ? ' (--distance-metric keeps FAISS\'s)' : ''}`,
    );
  }
  if (store.orphanDocs > 0) w.push(`${store.orphanDocs} docstore entries have no vector (FAISS never returns them): not imported`);
  if (store.danglingIds > 0) w.push(`${store.danglingIds} index_to_docstore_id entries name no stored vector: ignored`);
  return w;
}

function expectInteger(r: Reply, what: string): number {
  if (r instanceof ReplyError) throw new Error(`${what}: ${r.message}`);
  if (typeof r !== 'number') throw new Error(`${what}: unexpected reply ${asText(r as Reply)}`);
  return r;
}

// ---- vector sets ------------------------------------------------------------------------------

const QUANT_WORD = { q8: 'Q8', noquant: 'NOQUANT', bin: 'BIN' } as const;

async function importVset(client: RespClient, store: FaissStore, job: Job, opts: ImportFaissOptions, out: Output): Promise<Outcome> {
  const key = job.name;
  const { docs, index } = store;
  if (index.dim > VSETD_MAX_DIM) return { ok: false, message: `dimension ${index.dim} exceeds vsetd's ${VSETD_MAX_DIM}; nothing was imported` };
  if (docs.length === 0) return { ok: true, message: `the store is empty; nothing to import into '${key}'` };
  // Every attribute first: a value JSON cannot hold fails the store before anything is sent.
  const attrs = docs.map((d) => attributeJson(d));

  const type = asText(await client.call(['TYPE', key]));
  if (type !== 'none' && !opts.replace) {
    if (type === 'vectorset' && (await alreadyImported(client, key, store))) return { ok: true, message: `'${key}' already holds these ${docs.length} documents; left as it is` };
    return { ok: false, message: `key '${key}' exists (${type}) and differs from the store; nothing was imported (--replace overwrites it)` };
  }

  const tmp = tempKeyFor(key);
  await client.call(['DEL', tmp]);
  const tail: Arg[] = [QUANT_WORD[opts.quant]];
  if (opts.m !== null) tail.push('M', opts.m);
  if (opts.ef !== null) tail.push('EF', opts.ef);
  let firstError: string | null = null;
  let done = 0;
  out.start(`${job.label} → ${key}`, docs.length);
  function* commands(): Generator<Arg[]> {
    for (let i = 0; i < docs.length && firstError === null; i++) {
      const d = docs[i]!;
      yield ['VADD', tmp, 'FP32', Buffer.from(d.vector.buffer, d.vector.byteOffset, d.vector.byteLength), d.id, ...tail, 'SETATTR', attrs[i]!];
    }
  }
  await client.pipeline(
    commands(),
    (r, i) => {
      if (r instanceof ReplyError) firstError ??= `VADD of document ${docs[i]!.id}: ${r.message}`;
      out.update(++done);
    },
    opts.window,
  );
  out.end();
  if (firstError !== null) {
    await client.send(['DEL', tmp]);
    return { ok: false, message: `${firstError}; nothing was imported` };
  }
  const card = expectInteger(await client.send(['VCARD', tmp]), 'VCARD');
  if (card !== docs.length) {
    await client.send(['DEL', tmp]);
    return { ok: false, message: `the server holds ${card} of ${docs.length} elements after the import; nothing was imported` };
  }
  if (opts.replace) {
    await client.call(['RENAME', tmp, key]);
  } else if (expectInteger(await client.send(['RENAMENX', tmp, key]), 'RENAMENX') === 0) {
    await client.send(['DEL', tmp]);
    return { ok: false, message: `key '${key}' was created by someone else during the import; nothing was imported (--replace overwrites it)` };
  }
  const q = opts.quant === 'q8' ? 'Q8' : opts.quant === 'noquant' ? 'NOQUANT' : 'BIN';
  return { ok: true, message: `${docs.length} documents → vector set '${key}' (${q}, dim ${index.dim}, from ${index.kind}, ${index.metric === 'l2' ? 'L2' : 'inner product'})` };
}

/** The key holds a set with every document of the store, and nothing else: a finished earlier run. */
async function alreadyImported(client: RespClient, key: string, store: FaissStore): Promise<boolean> {
  const card = await client.send(['VCARD', key]);
  const dim = await client.send(['VDIM', key]);
  if (card !== store.docs.length || dim !== store.index.dim) return false;
  let all = true;
  await client.pipeline(
    store.docs.map((d) => ['VISMEMBER', key, d.id]),
    (r) => {
      if (r !== 1) all = false;
    },
  );
  return all;
}

// ---- langchain_community hashes ---------------------------------------------------------------

async function importLangchain(client: RespClient, store: FaissStore, job: Job, opts: ImportFaissOptions, out: Output): Promise<Outcome> {
  const indexName = job.name;
  const { docs, index } = store;
  const metric: DistanceMetric = opts.distanceMetric ?? 'COSINE';
  const schema = generateSchema(docs[0], index.dim, opts.algorithm, metric);
  // Every hash first: a value LangChain could not write fails the store before anything is sent.
  const hashes = docs.map((d) => ({ key: documentKey(indexName, d.id), fields: hashFields(d) }));
  const create = ftCreateArgs(indexName, schema);

  const existing = await client.send(['FT.INFO', indexName]);
  let exists = !(existing instanceof ReplyError);
  if (exists) {
    const problem = indexMismatch(existing, keyPrefix(indexName), index.dim);
    if (problem !== null && !opts.replace) return { ok: false, message: `index '${indexName}' exists but ${problem}; nothing was imported (--replace drops and recreates it, keeping its hashes)` };
    if (problem !== null) {
      await client.call(['FT.DROPINDEX', indexName]);
      exists = false;
    }
  }

  let firstError: string | null = null;
  let done = 0;
  out.start(`${job.label} → ${indexName}`, docs.length);
  function* commands(): Generator<Arg[]> {
    for (let i = 0; i < hashes.length && firstError === null; i++) {
      const h = hashes[i]!;
      // DEL first: a hash left by an earlier import of a changed store keeps no stale field.
      yield ['DEL', h.key];
      yield ['HSET', h.key, ...h.fields];
    }
  }
  await client.pipeline(
    commands(),
    (r, i) => {
      if (r instanceof ReplyError) firstError ??= `writing ${hashes[i >> 1]!.key}: ${r.message}`;
      if (i & 1) out.update(++done);
    },
    opts.window,
  );
  out.end();
  if (firstError !== null) return { ok: false, message: `${firstError}; the index was not ${exists ? 'changed' : 'created'}: re-run to finish` };
  if (!exists) {
    const r = await client.send(create);
    if (r instanceof ReplyError) return { ok: false, message: `FT.CREATE ${indexName}: ${r.message}` };
  }
  if (opts.schemaOut !== null) {
    const file = job.tenant !== null ? opts.schemaOut.split('{tenant}').join(job.tenant) : opts.schemaOut;
    fs.writeFileSync(file, schemaYaml(schema));
  }
  return { ok: true, message: `${docs.length} documents → hashes ${keyPrefix(indexName)}:* and index '${indexName}' (${opts.algorithm}, ${metric}, dim ${index.dim}, from ${index.kind})` };
}

/** Why an existing FT index cannot take this store (FT.INFO reply), or null. */
function indexMismatch(info: Reply, prefix: string, dim: number): string | null {
  const map = pairs(info);
  const def = pairs(map.get('index_definition') ?? null);
  const prefixes = def.get('prefixes');
  if (!Array.isArray(prefixes) || !prefixes.some((p) => asText(p) === prefix)) return `does not index the prefix '${prefix}'`;
  const attrs = map.get('attributes');
  const field = Array.isArray(attrs) ? attrs.map(pairs).find((a) => asText(a.get('identifier') ?? '') === 'content_vector') : undefined;
  if (field === undefined) return 'has no content_vector field';
  const d = field.get('dim');
  if (d !== undefined && Number(asText(d)) !== dim) return `its content_vector has dimension ${asText(d)}, the store ${dim}`;
  return null;
}

function pairs(r: Reply): Map<string, Reply> {
  const m = new Map<string, Reply>();
  if (!Array.isArray(r)) return m;
  for (let i = 0; i + 1 < r.length; i += 2) m.set(asText(r[i]!).toLowerCase(), r[i + 1]!);
  return m;
}
