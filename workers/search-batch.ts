/**
 * Running one batch of pool tasks in a search worker, shared by both pools' workers
 * (search-worker.ts for the default pool, search-worker-piscina.ts for piscina): sets attached by
 * their shared-memory handles (once per set of its own; arena sets by their arena, whose memory
 * comes once, and their block's place), the batch's replies in one fresh buffer for the caller to
 * transfer. The search and the reply encoding live in src/vset/search-task.ts, which the main
 * thread runs too.
 */
import { setThreadScratchSlot } from '../src/hnsw/arena.js';
import { setReaderRecord } from '../src/hnsw/epoch.js';
import type { WasmMemory } from '../src/hnsw/platform.js';
import { SearchResults, VectorSet } from '../src/vset/index.js';
import { FilterCache, runKnnTask, runPlanTask, runSearchTask, type DebugMarks } from '../src/vset/search-task.js';
import { ReplyWriter } from '../src/server/reply.js';
import type { ArenaLocation, BatchItem, ResultMessage } from '../src/server/pool-front.js';

let readerRecord: Int32Array | null = null;

/**
 * This thread's query scratch record in every arena (never two live workers alike), and where it
 * notes the reader slot it holds, for the pool to free should this thread die.
 */
export function bootSearchThread(scratchSlot: number, record: Int32Array): void {
  setThreadScratchSlot(scratchSlot);
  setReaderRecord(record);
  readerRecord = record;
}

const sets = new Map<number, VectorSet>();
const arenas = new Map<number, WasmMemory>();
/**
 * Arena sets attached lately, in a direct-mapped table (a set's slot is its id modulo the size):
 * a server may hold a million of them, and attaching one again costs a few typed-array views —
 * less than keeping a recency order would (an LRU Map's delete and re-insert on every search ran
 * at 0.9x of attaching every set afresh, 100k sets x 5, two workers). So a set new to this worker
 * costs what a known one does: one attach, or one compare that finds it in its slot.
 */
const ARENA_SLOTS = tableSlots(process.env.VSETD_WORKER_SET_SLOTS);
const arenaSlots: Array<{ id: number; loc: ArenaLocation; set: VectorSet } | undefined> = new Array<undefined>(ARENA_SLOTS).fill(undefined);

/**
 * The table's size; VSETD_WORKER_SET_SLOTS=0 turns it off, so that every search attaches its set as
 * for a set never seen (bench:sets compares the two on the same sets).
 */
function tableSlots(env: string | undefined): number {
  const n = env === undefined ? 1024 : Number(env);
  return Number.isInteger(n) && n >= 0 && n <= 1 << 20 ? n : 1024;
}

function samePlace(a: ArenaLocation, b: ArenaLocation): boolean {
  return a.arena === b.arena && a.block === b.block && a.heapBytes === b.heapBytes && a.recordsBytes === b.recordsBytes;
}

function arenaSet(setId: number, loc: ArenaLocation): VectorSet | undefined {
  const slot = ARENA_SLOTS === 0 ? -1 : setId % ARENA_SLOTS;
  const known = slot < 0 ? undefined : arenaSlots[slot];
  if (known !== undefined && known.id === setId && samePlace(known.loc, loc)) return known.set;
  const memory = arenas.get(loc.arena);
  if (memory === undefined) return undefined;
  const set = VectorSet.attach({ kind: 'vsetd.arena-set', memory, ...loc });
  if (slot >= 0) arenaSlots[slot] = { id: setId, loc, set };
  return set;
}

function forgetArenaSet(setId: number): void {
  if (ARENA_SLOTS === 0) return;
  const slot = setId % ARENA_SLOTS;
  if (arenaSlots[slot]?.id === setId) arenaSlots[slot] = undefined;
}

/** Drops deleted sets' attachments. */
export function forgetSets(ids: Iterable<number>): void {
  for (const id of ids) {
    sets.delete(id);
    forgetArenaSet(id);
  }
}

/** Drops every attachment (the piscina worker, when it missed some deletes). */
export function forgetAllSets(): void {
  sets.clear();
  arenaSlots.fill(undefined);
}

export function addArenas(list: Iterable<[number, WasmMemory]>): void {
  for (const [id, memory] of list) arenas.set(id, memory);
}

const filters = new FilterCache();
const results = new SearchResults(64);
const writer = new ReplyWriter(2);

function errorReply(task: { protocol: 2 | 3 }, message: string): Uint8Array {
  const w = new ReplyWriter(task.protocol);
  w.error(message);
  return Buffer.concat(w.take());
}

/**
 * Runs a batch. An item whose set (or arena) this thread lacks is answered with an error (the
 * default pool always sends what a worker lacks), or, with `reportMissing`, named in `missing`
 * for the pool to send again with its handle (piscina picks the worker, so the pool may guess
 * wrong about what it has).
 */
export function runBatch(items: BatchItem[], reportMissing: boolean): ResultMessage {
  const replies: Uint8Array[] = [];
  const ids: number[] = [];
  const missing: number[] = [];
  for (const item of items) {
    if (readerRecord) Atomics.store(readerRecord, 0, item.setId + 1);
    let set: VectorSet | undefined;
    if (item.loc !== undefined) {
      set = arenaSet(item.setId, item.loc);
    } else {
      if (item.handle) {
        // A set of its own, new to this worker (or one that just left its arena).
        sets.set(item.setId, VectorSet.attach(item.handle));
        forgetArenaSet(item.setId);
      }
      set = sets.get(item.setId);
    }
    if (!set && reportMissing) {
      missing.push(item.id);
      continue;
    }
    const task = item.task;
    const marks = task as DebugMarks;
    if (marks.debugHold) Atomics.wait(marks.debugHold, 0, 0);
    // Dies holding a reader slot of the set, as a crash would: nothing after this line runs.
    if (marks.debugCrash && set) set.read(() => process.exit(70));
    let reply: Uint8Array;
    if ('kind' in task && task.kind === 'knn') {
      // A query engine KNN; no bytes make the main thread run it itself.
      try {
        reply = set ? runKnnTask(set, task, results) : new Uint8Array(0);
      } catch {
        reply = new Uint8Array(0);
      }
    } else if ('kind' in task) {
      // A VADD CAS plan; no bytes make the main thread insert the ordinary way.
      reply = set ? runPlanTask(set, task) : new Uint8Array(0);
    } else if (!set) {
      reply = errorReply(task, 'ERR internal error: vector set not attached in search worker');
    } else {
      try {
        reply = runSearchTask(set, task, filters, results, writer);
      } catch (e) {
        reply = errorReply(task, `ERR ${(e as Error).message}`);
      }
    }
    ids.push(item.id);
    replies.push(reply);
  }
  // One fresh buffer for the whole batch, to be transferred (not copied) to the main thread.
  let total = 0;
  for (const r of replies) total += r.length;
  const data = new Uint8Array(new ArrayBuffer(total));
  const ends: number[] = [];
  let off = 0;
  for (const r of replies) {
    data.set(r, off);
    off += r.length;
    ends.push(off);
  }
  return { type: 'results', ids, ends, data, ...(missing.length > 0 ? { missing } : {}) };
}
