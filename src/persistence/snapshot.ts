/**
 * The snapshot file (dump.vsdb): every key with its database, expiry and type, and the value in
 * its codec's format — for a vector set, its buffers exactly as laid out in memory, so loading is
 * a bulk copy plus validation and nothing is re-inserted.
 *
 *   header   "VSETDSNP" u32 version u32 0
 *   records  0x01 KEY: varint db, bytes key, u64 expire-ms (0 = none), u8 type, u64 length,
 *                      u64 digested (version 2 on), payload, u32 crc
 *            0x02 AUX: bytes name, bytes value, u32 crc
 *   trailer  0xFF u64 key-count, u32 crc of every byte before it
 *
 * Each record's CRC covers the record from its opcode to the end of its payload; the trailer's
 * covers the whole file, so truncation anywhere and any flipped byte are detected. From version 2
 * on, the last `digested` bytes of a payload are left out of both CRCs: they are a vector set's
 * images, which its codec checks against a digest of its own inside the covered bytes, at
 * several times the speed of CRC-32 (image/image-digest.ts); version 1 files still load. Files are
 * written to a temporary name, fsynced, renamed into place, and the directory is fsynced, so a
 * crash leaves either the old snapshot or the new one, never a torn file under the real name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BinaryReader, BinaryWriter, CorruptDataError, crc32, fsyncDir, ImageDigestMismatch } from './binary.js';
import { FileReader } from './file-reader.js';
import { CaptureSlab, codecForId, codecForType, InPlaceCapture, isPending, type CapturedValue, type PendingValue, type ValueBuild } from './codecs.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { CheckHelper, helperWorthStarting } from '../image/check-helper.js';
import { useCheckHelper } from '../image/load-scope.js';
import type { KeyValue } from '../keyspace/value.js';
import type { Entry } from '../keyspace/database.js';
import { loadPhase, loadTraceStart } from './load-trace.js';
import { keyDelay, runSteps } from './load-steps.js';
import { tempPrefix } from './temp-files.js';
import type { Progress } from './progress.js';

const MAGIC = Buffer.from('VSETDSNP');
export const SNAPSHOT_VERSION = 2;
/** The first version whose KEY records say how many payload bytes are digested, not CRC'd. */
const DIGESTED_TAILS_FROM = 2;
const OP_KEY = 0x01;
const OP_AUX = 0x02;
const OP_EOF = 0xff;

export interface CapturedKey {
  db: number;
  key: string;
  expireAt: number;
  typeId: number;
  value: CapturedValue;
}

/** A consistent view of the whole keyspace, taken between two commands. */
export interface CapturedDataset {
  /** Every key in the order a snapshot writes them (an in-place capture's: captured as they are reached). */
  keys: Iterable<CapturedKey>;
  /** How many keys `keys` yields. */
  readonly count: number;
  aux: Array<[string, string]>;
}

/**
 * What else a dataset holds beyond its keys, kept in aux fields: the FT index definitions
 * (src/query/registry.ts). Every snapshot (SAVE, BGSAVE, AOF base, a replica's full sync) writes
 * them; every install of a loaded snapshot hands the file's aux fields back.
 */
export interface AuxSection {
  save(): Array<[string, string]>;
  /** Replaces what the section holds with what `aux` says (inside the keyspace's load). */
  restore(aux: ReadonlyMap<string, string>): void;
}

const auxSections = new WeakMap<Keyspace, AuxSection[]>();

export function addAuxSection(keyspace: Keyspace, section: AuxSection): void {
  const list = auxSections.get(keyspace) ?? [];
  list.push(section);
  auxSections.set(keyspace, list);
}

/**
 * The dataset as a save writes it. `'copy'` (a save that serves clients while it writes: BGSAVE,
 * an AOF rewrite) copies every value's bytes now; `'in-place'` only for a save that writes the
 * whole file before any other command runs (writeSnapshotSync right after), which then reads
 * them where they lie (InPlaceCapture) and captures each key only when the encoder reaches it:
 * 100,000 captures held from the first key to the last outlived the collector's young
 * generation, and copying and marking them was a sixth of such a SAVE's CPU.
 */
export function captureDataset(keyspace: Keyspace, aux: Array<[string, string]> = [], mode: 'copy' | 'in-place' = 'copy'): CapturedDataset {
  for (const section of auxSections.get(keyspace) ?? []) aux = [...aux, ...section.save()];
  const now = Date.now();
  if (mode === 'copy') {
    const keys = [...capturedKeys(keyspace, now, new CaptureSlab())];
    return { keys, count: keys.length, aux };
  }
  const inPlace = new InPlaceCapture();
  return {
    keys: { [Symbol.iterator]: () => capturedKeys(keyspace, now, inPlace) },
    get count() {
      let n = 0;
      for (const db of keyspace.dbs) for (const e of db.entries()) if (!expiredAt(e[1].expireAt, now)) n++;
      return n;
    },
    aux,
  };
}

const expiredAt = (expireAt: number, now: number): boolean => expireAt !== 0 && expireAt <= now;

function* capturedKeys(keyspace: Keyspace, now: number, slab: CaptureSlab): Generator<CapturedKey> {
  for (const db of keyspace.dbs) {
    for (const [key, e] of db.entries()) {
      if (expiredAt(e.expireAt, now)) continue;
      const codec = codecForType(e.value.type);
      yield { db: db.index, key, expireAt: e.expireAt, typeId: codec.typeId, value: codec.capture(e.value, slab) };
    }
  }
}

/** Encodes the dataset as a sequence of chunks, with CRCs filled in (a file, or a full sync's payload). */
export function* encodeDataset(ds: CapturedDataset, onKey: () => void = () => {}): Generator<Uint8Array> {
  let fileCrc = 0;
  const emit = function* (chunks: Uint8Array[]): Generator<Uint8Array> {
    for (const c of chunks) {
      fileCrc = crc32(c, fileCrc);
      yield c;
    }
  };
  const header = new BinaryWriter().raw(MAGIC).u32(SNAPSHOT_VERSION).u32(0).toBuffer();
  yield* emit([header]);
  for (const [name, value] of ds.aux) {
    const rec = new BinaryWriter().u8(OP_AUX).bytes(Buffer.from(name)).bytes(Buffer.from(value)).toBuffer();
    yield* emit([rec, new BinaryWriter().u32(crc32(rec)).toBuffer()]);
  }
  // Each key's record ends with its CRC, which covers the head and the payload's checked part
  // only (not the digested images after them), so it is known before the images are written: it
  // goes out at the start of the next key's frame — [CRC of the key before][head][checked part] —
  // one chunk and two CRC passes per key rather than three chunks and five. One writer takes
  // every frame (consecutive frames share its buffers), the payload written right after its head
  // and its lengths filled in once it is: a SAVE of 100,000 small sets spent as long on two
  // writers per key as on digesting their images.
  let before: number | null = null;
  let count = 0;
  const w = new BinaryWriter();
  for (const k of ds.keys) {
    if (before !== null) w.u32(before);
    w.u8(OP_KEY).varint(k.db).latin1(k.key).u64(k.expireAt).u8(k.typeId).u64PairLater();
    const payloadStart = w.length;
    k.value.encode(w);
    w.fillU64Pair(w.length - payloadStart, w.digestedBytes);
    const parts = w.take();
    const checked = w.checkedInTaken;
    let recCrc = 0;
    for (let i = 0; i < checked; i++) recCrc = crc32(i === 0 && before !== null ? parts[0]!.subarray(4) : parts[i]!, recCrc);
    for (let i = 0; i < parts.length; i++) {
      if (i < checked) fileCrc = crc32(parts[i]!, fileCrc);
      yield parts[i]!;
    }
    before = recCrc;
    count++;
    onKey();
  }
  const trailer = new BinaryWriter();
  if (before !== null) trailer.u32(before);
  yield* emit([trailer.u8(OP_EOF).u64(count).toBuffer()]);
  yield new BinaryWriter().u32(fileCrc).toBuffer();
}

function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `${tempPrefix()}${Date.now()}-${path.basename(target)}`);
}


/** A save's writes gather up to this many bytes or chunks (IOV_MAX is 1,024 on Linux). */
const WRITE_BATCH_BYTES = 4 * 1024 * 1024;
const WRITE_BATCH_CHUNKS = 512;

/**
 * Writes every byte of `chunks` at the file's position, however the kernel splits the writes
 * (`writev` is fs.writevSync but for tests). The array's entries may be replaced.
 */
export function writevAllSync(fd: number, chunks: Uint8Array[], writev: (fd: number, parts: Uint8Array[]) => number = fs.writevSync): void {
  let i = 0;
  while (i < chunks.length) i = afterWritten(chunks, i, writev(fd, chunks.slice(i, i + WRITE_BATCH_CHUNKS)));
}

/**
 * Where a write of `chunks` from index `i` on stopped after `n` bytes: the index of the first chunk
 * with bytes left, that chunk trimmed to them.
 */
function afterWritten(chunks: Uint8Array[], i: number, n: number): number {
  while (i < chunks.length && n >= chunks[i]!.length) n -= chunks[i++]!.length;
  if (n > 0) chunks[i] = chunks[i]!.subarray(n);
  return i;
}

/** Writes the snapshot synchronously (SAVE, SHUTDOWN); returns the file size. */
export function writeSnapshotSync(target: string, ds: CapturedDataset): number {
  const tmp = tempPathFor(target);
  const fd = fs.openSync(tmp, 'w');
  let size = 0;
  try {
    // Chunks go out in batches through writev: a small set makes three chunks (its frame, its
    // two images), and one write per chunk was 300,000 system calls for 100,000 sets.
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    for (const chunk of encodeDataset(ds)) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      size += chunk.length;
      if (pendingBytes >= WRITE_BATCH_BYTES || pending.length >= WRITE_BATCH_CHUNKS) {
        writevAllSync(fd, pending);
        pending = [];
        pendingBytes = 0;
      }
    }
    writevAllSync(fd, pending);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  replaceFile(tmp, target);
  fsyncDir(path.dirname(target));
  return size;
}

/**
 * Renames `tmp` over `target`. The file it replaces is freed when its last reference goes: in the
 * rename itself when nothing holds it open, and freeing a snapshot's blocks took ext4 about 0.3 s
 * per 1.7 GB, with every client waiting on the SAVE. Held open across the rename and closed
 * asynchronously, it is freed on a libuv thread instead.
 */
function replaceFile(tmp: string, target: string): void {
  let old: number | null = null;
  try {
    old = fs.openSync(target, 'r');
  } catch {
    // No file there yet (or none we may read): the rename frees nothing.
  }
  try {
    fs.renameSync(tmp, target);
  } finally {
    if (old !== null) fs.close(old, () => {});
  }
}

/** What an asynchronous save reports and waits for between keys. */
export interface SaveHooks {
  /** Keys written (done) of the dataset's (total), and bytes. */
  progress?: Progress;
  /** Microseconds to wait after each key (rdb-key-save-delay): tests hold a save with it. */
  keyDelayUs?: () => number;
}

/**
 * Writes the snapshot with asynchronous I/O (BGSAVE, AOF rewrite, the save at a signal's
 * shutdown): the event loop keeps serving clients — and signals — while the bytes go to disk.
 * Encoding happens in slices between writes.
 */
export async function writeSnapshotAsync(target: string, ds: CapturedDataset, hooks: SaveHooks = {}): Promise<number> {
  const tmp = tempPathFor(target);
  const fh = await fs.promises.open(tmp, 'w');
  let size = 0;
  let keysDone = 0;
  let keysSeen = 0;
  const progress = hooks.progress;
  if (progress) progress.total = ds.count;
  try {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      // A write may take fewer bytes than it was given (a full disk, a signal): go on from there.
      let i = 0;
      while (i < pending.length) i = afterWritten(pending, i, (await fh.writev(i === 0 ? pending : pending.slice(i))).bytesWritten);
      pending = [];
      pendingBytes = 0;
    };
    for (const chunk of encodeDataset(ds, () => keysDone++)) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      size += chunk.length;
      if (pendingBytes >= WRITE_BATCH_BYTES || pending.length >= WRITE_BATCH_CHUNKS) await flush();
      if (keysDone !== keysSeen) {
        keysSeen = keysDone;
        if (progress) {
          progress.done = keysDone;
          progress.bytes = size;
        }
        if (hooks.keyDelayUs && hooks.keyDelayUs() > 0) {
          await flush();
          await keyDelay(hooks.keyDelayUs);
        }
      }
    }
    if (progress) {
      progress.done = ds.count;
      progress.bytes = size;
    }
    await flush();
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await fs.promises.rename(tmp, target);
  fsyncDir(path.dirname(target));
  return size;
}

export interface LoadResult {
  /**
   * Per database, its keys as the keyspace holds them (Database.adoptLoaded), in file order: the
   * loader's duplicate check builds them, so installing hashes no key again.
   */
  dbs: Array<Map<string, Entry> | undefined>;
  keyCount: number;
  aux: Map<string, string>;
  bytes: number;
  /** Image link checks a helper thread ran (see image/check-helper.ts). */
  helperChecks: number;
  /** Of those, the checks the helper began while the file was still being read. */
  helperStreamed: number;
  /** Small sets whose whole check the helper ran (vset/deferred-sets.ts). */
  helperSets: number;
  /** Elements of the values (the load's log line), counted as each value was built, while its memory was in cache. */
  elements: number;
}

/**
 * Parses and validates a whole snapshot file without touching the keyspace, reading as it goes:
 * a vector set's images go from the file straight into the set's shared memory (no copy of the
 * whole file in between), each byte checksummed as it arrives. Throws CorruptDataError naming the
 * offset, key and fault; values created before the fault are released.
 */
export function loadSnapshotFile(file: string, databases: number): LoadResult {
  return runSteps(loadSnapshotSteps(file, databases));
}

/**
 * loadSnapshotFile in steps: the generator pauses after each key, so that a start-up load can
 * let the event loop answer clients (-LOADING, INFO) between keys (persistence/load-steps.ts).
 * `progress.done` follows the bytes read.
 */
export function* loadSnapshotSteps(file: string, databases: number, progress: Progress | null = null): Generator<void, LoadResult, void> {
  loadTraceStart();
  const r = FileReader.open(file);
  // A helper thread for the image checks boots while the file is read (see image/check-helper.ts).
  const helper = helperWorthStarting(r.end) ? CheckHelper.start() : null;
  useCheckHelper(helper);
  try {
    const loaded = yield* parseSnapshotFrom(r, databases, () => fileChecksumMatchesOnDisk(file), progress);
    loaded.helperChecks = helper?.delivered ?? 0;
    loaded.helperStreamed = helper?.streamed ?? 0;
    loaded.helperSets = helper?.setsDelivered ?? 0;
    return loaded;
  } finally {
    useCheckHelper(null);
    helper?.close();
    r.close();
  }
}

function fileChecksumMatchesOnDisk(file: string): boolean {
  const r = FileReader.open(file);
  const chunk = new Uint8Array(1024 * 1024);
  const pass = (n: number): void => {
    for (let off = 0; off < n; off += chunk.length) r.rawInto(chunk.subarray(0, Math.min(chunk.length, n - off)));
  };
  try {
    if (r.end < 16) return false;
    pass(8);
    const version = r.u32();
    r.u32();
    if (version < DIGESTED_TAILS_FROM) {
      pass(r.end - 4 - r.pos);
      const crc = r.crcAll();
      return crc === r.u32();
    }
    // The digested tails are not in the file's CRC: walk the records' framing to leave them out.
    for (;;) {
      const op = r.u8();
      if (op === OP_EOF) {
        r.u64();
        const crc = r.crcAll();
        return crc === r.u32() && r.remaining === 0;
      }
      if (op === OP_AUX) {
        pass(r.varint());
        pass(r.varint());
      } else if (op === OP_KEY) {
        r.varint();
        pass(r.varint());
        pass(8 + 1);
        const len = r.u64();
        const digested = r.u64();
        if (digested > len) return false;
        pass(len - digested);
        r.skipDigested(digested);
      } else {
        return false;
      }
      r.u32();
    }
  } catch (e) {
    if (e instanceof CorruptDataError) return false;
    throw e;
  } finally {
    r.close();
  }
}

/** Stands in for a pending value in the parsed keys until the value is settled (never leaves the loader). */
const PENDING: KeyValue = { type: 'vectorset', memoryUsage: () => 0, encoding: () => 'pending' };

const checksumMismatch = (where: string, offset = -1): CorruptDataError => new CorruptDataError(`snapshot checksum mismatch: ${where}`, offset);

/** A key whose value is still being checked, and where its record starts (for messages). */
interface PendingKey {
  entry: Entry;
  value: PendingValue;
  payloadStart: number;
}

/**
 * The values whose checks ran on the load's helper while the file was read (vset/deferred-sets.ts),
 * settled into their entries; returns their elements. A function of its own: V8 compiles this hot
 * loop alone, where as part of the record loop's function it compiled that whole function again.
 */
function settlePending(pending: readonly PendingKey[], dbs: Array<Map<string, Entry> | undefined>): number {
  let elements = 0;
  for (const p of pending) {
    try {
      const value = p.value.settle();
      p.entry.value = value;
      elements += value.elementCount?.() ?? 0;
    } catch (e) {
      if (e instanceof CorruptDataError) throw new CorruptDataError(`${labelOfEntry(dbs, p.entry)}: ${e.message}`, p.payloadStart);
      throw e;
    }
  }
  return elements;
}

/** labelOf the key that holds `entry` (a failure's message only: a search of every key). */
function labelOfEntry(dbs: Array<Map<string, Entry> | undefined>, entry: Entry): string {
  for (let db = 0; db < dbs.length; db++) for (const [key, e] of dbs[db] ?? []) if (e === entry) return labelOf(key, db);
  return 'a key';
}

/** How load errors name a key (made only for a message: not for each of a million keys that load). */
function labelOf(key: string, db: number): string {
  return `key '${key.length > 64 ? key.slice(0, 64) + '…' : key}' (db ${db})`;
}

/**
 * One pass over the records. Each record's bytes are checksummed as they are read, and the
 * record's CRC is compared before its value is built (`ValueCodec.read` only copies bytes), so
 * nothing is interpreted from damaged bytes and a damaged record is named; the file's CRC comes
 * from the records' ones (crc32Combine) and is compared at the end. When a record cannot even be
 * walked (a damaged length, say), `wholeFileIntact` decides whether to report it as damage.
 */
function* parseSnapshotFrom(r: BinaryReader, databases: number, wholeFileIntact: () => boolean, progress: Progress | null): Generator<void, LoadResult, void> {
  const aux = new Map<string, string>();
  /** The keys read so far, per database, as the keyspace will hold them; also the duplicate check. */
  const dbs: Array<Map<string, Entry> | undefined> = [];
  let keyCount = 0;
  /** Values built at once, for their release after a failure (a duplicate key's first value is no longer in its map). */
  const built: KeyValue[] = [];
  /** Keys whose value is still being checked (PendingValue), settled after the last record. */
  const pending: PendingKey[] = [];
  const fileEnd = r.end;
  let elements = 0;
  try {
    if (fileEnd < 16 + 13) r.fail('file too short to be a vsetd snapshot');
    if (!Buffer.from(r.raw(8, 'magic')).equals(MAGIC)) r.fail('not a vsetd snapshot (bad magic)');
    const version = r.u32('version');
    if (version < 1 || version > SNAPSHOT_VERSION) r.fail(`unsupported snapshot version ${version}`);
    if (r.u32('reserved') !== 0) r.fail('reserved header field is not zero');
    for (;;) {
      r.mark();
      const op = r.u8('record type');
      if (op === OP_EOF) {
        const count = r.u64('key count');
        const crc = r.crcAll();
        if (r.u32('file checksum') !== crc) throw checksumMismatch('the file is damaged or truncated');
        if (count !== keyCount) r.fail(`trailer says ${count} keys but the file holds ${keyCount}`);
        if (r.remaining !== 0) r.fail('bytes after the end of the snapshot');
        break;
      }
      if (op === OP_AUX) {
        const name = Buffer.from(r.bytes('aux name', 1024)).toString();
        const value = Buffer.from(r.bytes('aux value', 1024 * 1024)).toString();
        const crc = r.segmentCrc();
        if (r.u32('aux checksum') !== crc) throw checksumMismatch(`in aux field '${name}'`);
        aux.set(name, value);
        continue;
      }
      if (op !== OP_KEY) r.fail(`unknown record type ${op}`);
      const db = r.varint('db index');
      if (db >= databases) r.fail(`db index ${db} out of range (databases ${databases})`);
      const key = r.latin1('key', 512 * 1024 * 1024);
      const expireAt = r.u64('expire time');
      const typeId = r.u8('type');
      const codec = codecForId(typeId) ?? r.fail(`${labelOf(key, db)}: unknown type id ${typeId}`);
      const len = r.u64('payload length');
      const digested = version >= DIGESTED_TAILS_FROM ? r.u64('digested payload length') : 0;
      if (digested > len) r.fail(`${labelOf(key, db)}: ${digested} digested bytes in a payload of ${len}`);
      if (len + 4 > r.remaining) r.need(len + 4, `${labelOf(key, db)} payload`);
      const payloadStart = r.pos;
      const payloadEnd = payloadStart + len;
      let build: ValueBuild;
      r.end = payloadEnd;
      try {
        build = codec.read(r);
      } catch (e) {
        // Digested bytes that do not match are damage, named like a record whose CRC fails.
        if (e instanceof ImageDigestMismatch) throw checksumMismatch(`${labelOf(key, db)} is damaged`, payloadStart);
        if (e instanceof CorruptDataError) throw new CorruptDataError(`${labelOf(key, db)}: ${e.message}`);
        throw e;
      }
      try {
        if (r.pos !== payloadEnd) r.fail(`${labelOf(key, db)}: ${payloadEnd - r.pos} unread bytes after the value`);
        // The value's codec read exactly the tail the record says no CRC covers, as digested bytes.
        if (r.digestedInSegment !== digested) r.fail(`${labelOf(key, db)}: ${r.digestedInSegment} digested bytes read, the record says ${digested}`);
        r.end = fileEnd;
        const crc = r.segmentCrc();
        if (r.u32('record checksum') !== crc) throw checksumMismatch(`${labelOf(key, db)} is damaged`, payloadStart);
      } catch (e) {
        build.release?.();
        throw e;
      }
      let value: KeyValue | PendingValue;
      try {
        value = build();
      } catch (e) {
        if (e instanceof CorruptDataError) throw new CorruptDataError(`${labelOf(key, db)}: ${e.message}`, payloadStart);
        throw e;
      }
      // (The literal of Database.add, field for field: one shape for every entry.)
      const entry: Entry = { value: PENDING, expireAt, slot: -1, accessedAt: 0 };
      if (isPending(value)) {
        pending.push({ entry, value, payloadStart });
      } else {
        entry.value = value;
        built.push(value);
        elements += value.elementCount?.() ?? 0;
      }
      const inDb = (dbs[db] ??= new Map<string, Entry>());
      // One lookup, not has() then set(): a load of 100,000 keys misses the cache on each.
      const had = inDb.size;
      if (inDb.set(key, entry).size === had) r.fail(`${labelOf(key, db)} appears twice`);
      keyCount++;
      if (progress !== null) progress.done = r.pos;
      yield;
    }
    loadPhase('all records read');
    elements += settlePending(pending, dbs);
    loadPhase('pending values settled');
  } catch (e) {
    // (A settled value's release does nothing: its entry's value is then the set, released here.)
    for (const p of pending) {
      p.value.release();
      p.entry.value.release?.();
    }
    for (const v of built) v.release?.();
    // A record that cannot even be walked in a file whose checksum fails is the damage.
    if (e instanceof CorruptDataError && !e.message.startsWith('snapshot checksum mismatch') && !wholeFileIntact()) {
      throw new CorruptDataError(`snapshot checksum mismatch: the file is damaged (${e.message})`);
    }
    throw e;
  }
  return { dbs, keyCount, aux, bytes: fileEnd, helperChecks: 0, helperStreamed: 0, helperSets: 0, elements };
}

/**
 * Replaces the keyspace content with a parsed snapshot (keys already expired are dropped). It is a
 * load for keyspace observers: one `loaded` event at the end instead of one per key.
 */
export function installSnapshot(keyspace: Keyspace, loaded: LoadResult): number {
  return keyspace.load(() => {
    const now = Date.now();
    let n = 0;
    loaded.dbs.forEach((dict, db) => {
      if (dict !== undefined) n += keyspace.dbs[db]!.adoptLoaded(dict, now);
    });
    for (const section of auxSections.get(keyspace) ?? []) section.restore(loaded.aux);
    return n;
  });
}
