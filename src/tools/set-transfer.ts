/**
 * `vsetd export <key>` and `vsetd import <file>`: one vector set to and from the record stream of
 * set-records.ts.
 *
 * Export pages through the names with VRANGE and fetches each element's stored vector (VEMB RAW,
 * or VEMB with --vectors f32) and attribute, pipelined. It is not a point-in-time copy of a set
 * that clients write meanwhile (stop writes, or export from a replica, for that); the server's
 * DEBUG DIGEST-VALUE of the set is taken before and after, and kept in the file only when the two
 * agree, so the digest an import checks against is always the digest of what the file holds.
 *
 * Import reads the whole file once to check it (every record's shape, the count and the content
 * hash in the trailer) before sending anything, then builds the set under a temporary key with
 * VADDRAW (or VADD for float32 records), compares VCARD and, where DEBUG is allowed, the digest,
 * and only then renames it into place — so a bad file, or a failure on the way, leaves the target
 * untouched and a re-run starts clean.
 */
import fs from 'node:fs';
import { Packr, decodeIter } from 'msgpackr';
import { asText, ReplyError, RespClient, type Arg, type Reply } from './resp-client.js';
import { ContentHash, RecordsError, elementValue, headerValue, isTrailer, parseElement, parseHeader, parseTrailer, trailerValue, type SetElement, type SetHeader, type SetTrailer } from './set-records.js';
import { tempKeyFor } from './import-faiss.js';
import type { Output } from './progress.js';
import type { QuantName } from '../vset/types.js';
import { VSETD_VERSION } from '../server/version.js';

const PAGE = 1000;
const DECODE_OPTIONS = { useRecords: false, mapsAsObjects: false } as const;

export interface ExportOptions {
  url: string;
  key: string;
  vectors: 'raw' | 'f32';
  /** A file to write (atomically: a temporary file renamed into place), or null for stdout. */
  out: string | null;
  window: number;
}

function infoMap(r: Reply): Map<string, Reply> {
  const m = new Map<string, Reply>();
  if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) m.set(asText(r[i]!), r[i + 1]!);
  return m;
}

async function digestOf(client: RespClient, key: string): Promise<string | null> {
  const r = await client.send(['DEBUG', 'DIGEST-VALUE', key]);
  if (Array.isArray(r) && r.length === 1 && !(r[0] instanceof ReplyError)) return asText(r[0]!);
  return null;
}

function floatOf(r: Reply): number {
  const v = Number(asText(r));
  if (!Number.isFinite(v)) throw new Error(`unexpected number '${asText(r)}' from the server`);
  return Math.fround(v);
}

/**
 * Writes to a file or stdout, waiting when the destination is slower than the server. A write
 * error (disk full, a closed pipe) is kept and thrown by the next write, not left to crash the
 * process as an unhandled 'error' event.
 */
class Sink {
  private readonly stream: NodeJS.WritableStream;
  private readonly tmp: string | null;
  private failure: Error | null = null;
  constructor(private readonly file: string | null) {
    this.tmp = file !== null ? `${file}.tmp-${process.pid}` : null;
    this.stream = this.tmp !== null ? fs.createWriteStream(this.tmp) : process.stdout;
    this.stream.on('error', (e: Error) => (this.failure ??= e));
  }
  private check(): void {
    if (this.failure !== null) throw new Error(`cannot write ${this.file ?? 'to stdout'}: ${this.failure.message}`);
  }
  async write(b: Buffer): Promise<void> {
    this.check();
    if (!this.stream.write(b)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.once('drain', done);
        this.stream.once('error', done);
      });
    }
    this.check();
  }
  async finish(): Promise<void> {
    if (this.tmp === null) return;
    const ws = this.stream as fs.WriteStream;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.end();
    });
    this.check();
    fs.renameSync(this.tmp, this.file!);
  }
  abort(): void {
    if (this.tmp === null) return;
    (this.stream as fs.WriteStream).destroy();
    fs.rmSync(this.tmp, { force: true });
  }
}

/** An element from its VEMB [RAW] and VGETATTR replies; null when it is gone. */
function elementFrom(name: Buffer, emb: Reply, attr: Reply, vectors: 'raw' | 'f32', quant: string): SetElement | null {
  if (emb instanceof ReplyError) throw new Error(`VEMB: ${emb.message}`);
  if (attr instanceof ReplyError) throw new Error(`VGETATTR: ${attr.message}`);
  if (!Array.isArray(emb)) return null;
  const a = Buffer.isBuffer(attr) ? attr : null;
  if (vectors === 'raw') {
    if (asText(emb[0]!) !== quant || !Buffer.isBuffer(emb[1])) throw new Error("unexpected VEMB RAW reply (did the set's quantisation change during the export?)");
    return { name, vector: emb[1], l2: floatOf(emb[2]!), range: emb.length > 3 ? floatOf(emb[3]!) : 0, attr: a };
  }
  const f = new Float32Array(emb.length);
  for (let j = 0; j < emb.length; j++) f[j] = floatOf(emb[j]!);
  return { name, vector: Buffer.from(f.buffer), l2: null, range: null, attr: a };
}

export async function exportSet(opts: ExportOptions, out: Output): Promise<number> {
  let client: RespClient;
  try {
    client = await RespClient.connect(opts.url);
  } catch (e) {
    out.line(`error: ${(e as Error).message}`);
    return 1;
  }
  const sink = new Sink(opts.out);
  try {
    const type = asText(await client.call(['TYPE', opts.key]));
    if (type !== 'vectorset') throw new Error(type === 'none' ? `key '${opts.key}' does not exist` : `key '${opts.key}' holds a ${type}, not a vector set`);
    const info = infoMap(await client.call(['VINFO', opts.key]));
    const header: SetHeader = {
      key: Buffer.from(opts.key),
      vectors: opts.vectors,
      quant: (opts.vectors === 'f32' ? 'f32' : asText(info.get('quant-type') ?? '')) as QuantName,
      dim: Number(info.get('vector-dim')),
      inputDim: opts.vectors === 'f32' ? 0 : Number(info.get('projection-input-dim') ?? 0),
      m: Number(info.get('hnsw-m')),
      vsetd: VSETD_VERSION,
      created: new Date().toISOString(),
    };
    const quantAtStart = asText(info.get('quant-type') ?? '');
    const packr = new Packr({ useRecords: false });
    const pack = (v: unknown): Buffer => Buffer.from(packr.pack(v));
    const digestBefore = opts.vectors === 'raw' ? await digestOf(client, opts.key) : null;
    const hash = new ContentHash(header);
    await sink.write(pack(headerValue(header)));
    const total = Number(info.get('size') ?? 0);
    out.start(`export ${opts.key}`, total);
    let count = 0;
    // VRANGE bounds are bytes: "(" and the last name of the page, exactly.
    let start: Arg = '-';
    for (;;) {
      const page = await client.call(['VRANGE', opts.key, start, '+', PAGE]);
      if (!Array.isArray(page) || page.length === 0) break;
      const names = page as Buffer[];
      const replies: Reply[] = [];
      const cmds: Arg[][] = [];
      for (const n of names) cmds.push(opts.vectors === 'raw' ? ['VEMB', opts.key, n, 'RAW'] : ['VEMB', opts.key, n], ['VGETATTR', opts.key, n]);
      await client.pipeline(cmds, (r) => replies.push(r), opts.window);
      for (let i = 0; i < names.length; i++) {
        const e = elementFrom(names[i]!, replies[2 * i]!, replies[2 * i + 1]!, opts.vectors, quantAtStart);
        // null: removed by a client since VRANGE listed it, so not part of the export.
        if (e === null) continue;
        parseElement(elementValue(e), header, count);
        hash.add(e);
        await sink.write(pack(elementValue(e)));
        count++;
      }
      out.update(count);
      if (names.length < PAGE) break;
      start = Buffer.concat([Buffer.from('('), names[names.length - 1]!]);
    }
    out.end();
    const digestAfter = opts.vectors === 'raw' ? await digestOf(client, opts.key) : null;
    const digest = digestBefore !== null && digestBefore === digestAfter ? digestBefore : null;
    if (digestBefore !== null && digestBefore !== digestAfter) out.line(`warning: '${opts.key}' changed during the export; the file holds the elements as each was read`);
    const trailer: SetTrailer = { count, sha256: hash.digest(), digest };
    await sink.write(pack(trailerValue(trailer)));
    await sink.finish();
    out.line(`exported ${count} elements of '${opts.key}' (${header.quant}, dim ${header.dim}${header.inputDim > 0 ? `, REDUCE from ${header.inputDim}` : ''})${opts.out !== null ? ` to ${opts.out}` : ''}`);
    return 0;
  } catch (e) {
    out.end();
    sink.abort();
    out.line(`error: ${(e as Error).message}`);
    return 1;
  } finally {
    client.close();
  }
}

export interface ImportOptions {
  url: string;
  file: string;
  /** Target key; the exported key when null. */
  key: string | null;
  replace: boolean;
  /** For float32 records: the quantisation of the new set (Q8 when null). */
  quant: 'q8' | 'noquant' | 'bin' | null;
  window: number;
}

interface CheckedFile {
  header: SetHeader;
  trailer: SetTrailer;
}

/** Decodes the file's values one by one; errors of the decoder name the file. */
async function* records(file: string): AsyncGenerator<unknown> {
  const stream = fs.createReadStream(file);
  try {
    for await (const v of decodeIter(stream, DECODE_OPTIONS) as AsyncIterable<unknown>) yield v;
  } catch (e) {
    if (e instanceof RecordsError) throw e;
    throw new RecordsError(`${file}: not a readable export (${(e as Error).message})`);
  } finally {
    stream.destroy();
  }
}

/** Pass 1: the whole file checked, nothing sent. */
async function checkFile(file: string): Promise<CheckedFile> {
  let header: SetHeader | null = null;
  let trailer: SetTrailer | null = null;
  let hash: ContentHash | null = null;
  let n = 0;
  for await (const v of records(file)) {
    if (header === null) {
      header = parseHeader(v);
      hash = new ContentHash(header);
    } else if (trailer !== null) {
      throw new RecordsError(`${file}: data after the trailer`);
    } else if (isTrailer(v)) {
      trailer = parseTrailer(v);
    } else {
      hash!.add(parseElement(v, header, n));
      n++;
    }
  }
  if (header === null) throw new RecordsError(`${file}: empty file`);
  if (trailer === null) throw new RecordsError(`${file}: no trailer after ${n} elements: the file is cut short`);
  if (trailer.count !== n) throw new RecordsError(`${file}: the trailer counts ${trailer.count} elements, the file holds ${n}`);
  if (!hash!.digest().equals(trailer.sha256)) throw new RecordsError(`${file}: the content hash does not match the trailer's: the file is damaged`);
  return { header, trailer };
}

const QUANT_WORD = { q8: 'Q8', noquant: 'NOQUANT', bin: 'BIN' } as const;

function addCommand(tmp: string, h: SetHeader, e: SetElement, quantWord: string): Arg[] {
  const cmd: Arg[] =
    h.vectors === 'raw'
      ? ['VADDRAW', tmp, e.name, h.quant, h.dim, e.vector, e.l2!, e.range!, 'M', h.m, ...(h.inputDim > 0 ? ['PROJECTION', h.inputDim] : [])]
      : ['VADD', tmp, 'FP32', e.vector, e.name, quantWord, 'M', h.m];
  if (e.attr !== null) cmd.push('SETATTR', e.attr);
  return cmd;
}

export async function importSet(opts: ImportOptions, out: Output): Promise<number> {
  let checked: CheckedFile;
  try {
    checked = await checkFile(opts.file);
  } catch (e) {
    out.line(`error: ${(e as Error).message}; nothing was imported`);
    return 1;
  }
  const { header, trailer } = checked;
  if (header.vectors === 'raw' && opts.quant !== null) {
    out.line('error: --quant applies to exports made with --vectors f32; this file holds stored vectors, imported as they are');
    return 2;
  }
  const key = opts.key ?? header.key.toString('latin1');
  let client: RespClient;
  try {
    client = await RespClient.connect(opts.url);
  } catch (e) {
    out.line(`error: ${(e as Error).message}`);
    return 1;
  }
  const tmp = tempKeyFor(key);
  try {
    if (!opts.replace && asText(await client.call(['EXISTS', key])) !== '0') {
      out.line(`error: key '${key}' exists; nothing was imported (--replace overwrites it, --key imports under another name)`);
      return 1;
    }
    await client.call(['DEL', tmp]);
    const quantWord = QUANT_WORD[opts.quant ?? 'q8'];
    let firstError: string | null = null;
    let done = 0;
    out.start(`import ${key}`, trailer.count);
    // Pass 2: the file again, straight into commands (the whole set is never held in memory).
    // The file is hashed again as it is sent: one changed between the passes is caught too.
    const again = new ContentHash(header);
    let sent = 0;
    async function* commands(): AsyncGenerator<Arg[]> {
      let first = true;
      for await (const v of records(opts.file)) {
        if (first) {
          first = false;
          continue;
        }
        if (isTrailer(v) || firstError !== null) break;
        const e = parseElement(v, header, sent++);
        again.add(e);
        yield addCommand(tmp, header, e, quantWord);
      }
    }
    await pipelineAsync(
      client,
      commands(),
      (r) => {
        if (r instanceof ReplyError) firstError ??= r.message;
        out.update(++done);
      },
      opts.window,
    );
    out.end();
    if (firstError === null && (sent !== trailer.count || !again.digest().equals(trailer.sha256))) firstError = `${opts.file} changed while it was imported`;
    const problem = firstError ?? (await verify(client, tmp, trailer, header));
    if (problem !== null) {
      await client.send(['DEL', tmp]);
      out.line(`error: ${problem}; nothing was imported`);
      return 1;
    }
    if (trailer.count > 0) {
      if (opts.replace) await client.call(['RENAME', tmp, key]);
      else if (Number(await client.call(['RENAMENX', tmp, key])) === 0) {
        await client.send(['DEL', tmp]);
        out.line(`error: key '${key}' was created by someone else during the import; nothing was imported`);
        return 1;
      }
    }
    out.line(`imported ${trailer.count} elements into '${key}' (${header.quant}, dim ${header.dim}${header.inputDim > 0 ? `, REDUCE from ${header.inputDim}` : ''})${trailer.digest !== null ? ', digest verified where the server allows DEBUG' : ''}`);
    return 0;
  } catch (e) {
    out.end();
    await client.send(['DEL', tmp]).catch(() => undefined);
    out.line(`error: ${(e as Error).message}; nothing was imported`);
    return 1;
  } finally {
    client.close();
  }
}

/** Why the set built under `tmp` is not the file's, or null. */
async function verify(client: RespClient, tmp: string, trailer: SetTrailer, header: SetHeader): Promise<string | null> {
  const card = trailer.count === 0 ? 0 : Number(await client.call(['VCARD', tmp]));
  if (card !== trailer.count) return `the server holds ${card} of ${trailer.count} elements after the import (are names repeated in the file?)`;
  if (trailer.digest !== null && header.vectors === 'raw') {
    const d = await digestOf(client, tmp);
    if (d !== null && d !== trailer.digest) return `DEBUG DIGEST-VALUE of the imported set is ${d}, the export's ${trailer.digest}`;
  }
  return null;
}

/** RespClient.pipeline over an async source of commands. */
async function pipelineAsync(client: RespClient, commands: AsyncIterable<Arg[]>, onReply: (r: Reply) => void, window: number): Promise<void> {
  const batch: Arg[][] = [];
  for await (const c of commands) {
    batch.push(c);
    if (batch.length >= window) await client.pipeline(batch.splice(0), onReply, window);
  }
  await client.pipeline(batch, onReply, window);
}
