/**
 * A search worker: attaches vector sets by their shared-memory handles (once per set of its own;
 * arena sets by their arena, whose memory comes once, and their block's place) and runs
 * batches of VSIM tasks, answering each batch with one message whose replies share one
 * transferred buffer. Thin on purpose: the search and the reply encoding live in
 * src/vset/search-task.ts, which the main thread runs too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setThreadScratchSlot } from '../src/hnsw/arena.js';
import { setReaderRecord } from '../src/hnsw/epoch.js';
import type { WasmMemory } from '../src/hnsw/platform.js';
import { SearchResults, VectorSet } from '../src/vset/index.js';
import { FilterCache, runKnnTask, runPlanTask, runSearchTask, type DebugMarks } from '../src/vset/search-task.js';
import { ReplyWriter } from '../src/server/reply.js';
import type { ArenaLocation, BatchMessage, ResultMessage } from '../src/server/search-pool.js';

// This thread's query scratch record in every arena (the pool numbers its workers from 1), and
// where it notes the reader slot it holds, for the pool to free should this thread die.
const boot = workerData as { scratchSlot: number; readerRecord: Int32Array };
setThreadScratchSlot(boot.scratchSlot);
setReaderRecord(boot.readerRecord);

const sets = new Map<number, VectorSet>();
const arenas = new Map<number, WasmMemory>();
/**
 * Arena sets seen lately, by set id, with the place they were attached at. Bounded: a server may
 * hold a million of them, and attaching one again costs a few typed-array views.
 */
const arenaSets = new Map<number, { loc: ArenaLocation; set: VectorSet }>();
const ARENA_SETS_KEPT = 1024;

function samePlace(a: ArenaLocation, b: ArenaLocation): boolean {
  return a.arena === b.arena && a.block === b.block && a.heapBytes === b.heapBytes && a.recordsBytes === b.recordsBytes;
}

function arenaSet(setId: number, loc: ArenaLocation): VectorSet | undefined {
  const known = arenaSets.get(setId);
  if (known !== undefined && samePlace(known.loc, loc)) {
    // Most recently used last, so the oldest entry is the first one evicted.
    arenaSets.delete(setId);
    arenaSets.set(setId, known);
    return known.set;
  }
  const memory = arenas.get(loc.arena);
  if (memory === undefined) return undefined;
  const set = VectorSet.attach({ kind: 'vsetd.arena-set', memory, ...loc });
  arenaSets.delete(setId);
  arenaSets.set(setId, { loc, set });
  if (arenaSets.size > ARENA_SETS_KEPT) arenaSets.delete(arenaSets.keys().next().value as number);
  return set;
}
const filters = new FilterCache();
const results = new SearchResults(64);
const writer = new ReplyWriter(2);

function errorReply(task: { protocol: 2 | 3 }, message: string): Uint8Array {
  const w = new ReplyWriter(task.protocol);
  w.error(message);
  return Buffer.concat(w.take());
}

parentPort!.on('message', (m: BatchMessage) => {
  for (const id of m.detach) {
    sets.delete(id);
    arenaSets.delete(id);
  }
  for (const [id, memory] of m.arenas ?? []) arenas.set(id, memory);
  if (m.items.length === 0) return;
  const replies: Uint8Array[] = [];
  const ids: number[] = [];
  for (const item of m.items) {
    Atomics.store(boot.readerRecord, 0, item.setId + 1);
    let set: VectorSet | undefined;
    if (item.loc !== undefined) {
      set = arenaSet(item.setId, item.loc);
    } else {
      if (item.handle) {
        // A set of its own, new to this worker (or one that just left its arena).
        sets.set(item.setId, VectorSet.attach(item.handle));
        arenaSets.delete(item.setId);
      }
      set = sets.get(item.setId);
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
  // One fresh buffer for the whole batch, transferred (not copied) to the main thread.
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
  const msg: ResultMessage = { type: 'results', ids, ends, data };
  parentPort!.postMessage(msg, [data.buffer]);
});
