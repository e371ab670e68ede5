/**
 * What both search pools share: the batch protocol's messages, the queue that gathers the
 * requests of one event-loop turn, the rule that runs a lone search inline, the reader tickets and
 * the counters INFO shows. A pool decides only how a batch reaches a worker and how the answer
 * comes back: search-pool.ts (the default) addresses its own threads; search-pool-piscina.ts hands
 * batches to piscina (`search-pool piscina`, experimental; see search-pool.ts for why it is not
 * the default).
 */
import type { SetHandle } from '../vset/index.js';
import { arenaSpace } from '../hnsw/arena.js';
import { isWasmMemory, type WasmMemory } from '../hnsw/platform.js';
import { releaseReaderSlot } from '../hnsw/epoch.js';
import type { PoolTask } from '../vset/search-task.js';

/**
 * Each vector set admits 32 concurrent readers (READER_SLOTS); the main thread may search inline
 * too, so at most 31 workers.
 */
export const MAX_SEARCH_THREADS = 31;

/** Largest batch one worker takes at a time (keeps latency fair across workers). */
export const MAX_BATCH = 64;

/**
 * Batches a worker may have outstanding. With one, a worker that finishes its batch idles until
 * the main thread has written the replies and read the next requests; a second batch waiting in
 * its port keeps it busy through that gap. Measured on 2 cores (2 threads against the main
 * thread, 6 interleaved rounds): 1.64× instead of 1.50× at 32 connections, 2.10× instead of 1.77×
 * at 128, and less CPU per query (fewer worker wake-ups). A third gained nothing (1.51× vs 1.52×).
 */
export const MAX_OUTSTANDING = 2;

/** An arena set's place, without its arena's memory (a worker gets that once, `arenas`). */
export interface ArenaLocation {
  arena: number;
  block: number;
  heapBytes: number;
  recordsBytes: number;
}

export interface BatchItem {
  id: number;
  setId: number;
  /** Sent when this worker has not attached the set (of its own) yet. */
  handle?: SetHandle;
  /** An arena set: where it lies now, sent every time. */
  loc?: ArenaLocation;
  task: PoolTask;
}

export interface BatchMessage {
  type: 'batch';
  items: BatchItem[];
  /** Sets this worker should forget. */
  detach: number[];
  /** Arena memories this worker has not seen yet, by number. */
  arenas?: Array<[number, WasmMemory]>;
}

export interface ResultMessage {
  type: 'results';
  ids: number[];
  /** End offsets of each reply in `data`. */
  ends: number[];
  data: Uint8Array;
  /**
   * Items the worker could not run because it lacks their set or arena (piscina pool only: it
   * cannot know which worker a batch reaches); sent again with the handle. No reply in `data`.
   */
  missing?: number[];
  /** The worker's thread id (piscina pool only), to learn what it has attached. */
  threadId?: number;
}

export interface Pending {
  item: BatchItem;
  handle: SetHandle;
  ticket: number;
  resolve: (reply: Uint8Array) => void;
  reject: (err: Error) => void;
  /** Send the handle and arena memory whatever the pool believes the worker has (piscina). */
  resend?: boolean;
}

/**
 * A worker that died inside a read section of a set of its own left its epoch published in that
 * set's header, which would keep every later delete of the set from being reclaimed: clear it.
 * `record` is the worker's [set id + 1, reader slot + 1] (src/hnsw/epoch.ts, setReaderRecord); the
 * set's memory is found among the batches it held. (Arena sets publish nothing; their tickets
 * complete with the rejected tasks.)
 */
export function releaseDeadReader(record: Int32Array, batches: Iterable<Pending[]>): void {
  const setId = Atomics.load(record, 0) - 1;
  const readerSlot = Atomics.load(record, 1) - 1;
  if (setId < 0 || readerSlot < 0) return;
  for (const b of batches) {
    for (const p of b) {
      if (p.item.setId !== setId || p.handle.kind !== 'vsetd.vset') continue;
      const r = p.handle.records;
      releaseReaderSlot((isWasmMemory(r) ? r.buffer : r) as SharedArrayBuffer, readerSlot);
      return;
    }
  }
}

export abstract class PoolFront {
  protected readonly queue: Pending[] = [];
  private nextId = 1;
  protected closed = false;
  private dispatchScheduled = false;
  private inlineClaimed = false;
  batches = 0;
  served = 0;
  /** Searches served by threads that no longer exist (after a resize or a crash). */
  protected retiredServed = 0;
  /** Searches run on the main thread because the pool was idle (claimInline). */
  inlineRuns = 0;
  /** VSIMs run inline because their set was small (search-inline-max-elements). */
  inlineSmall = 0;
  /** VADD CAS inserts run on the main thread because the pool was idle (claimInline). */
  casInline = 0;
  /** VADD CAS commits: linked from the worker's plan, searched again, or dropped (spec §10). */
  casPlanned = 0;
  casRedone = 0;
  casDropped = 0;

  /** Live worker threads. */
  abstract get size(): number;
  /** Searches sent to a worker and not yet answered. */
  abstract get inflight(): number;
  /** Per live thread: a number for it and searches served. */
  abstract perThread(): Array<[number, number]>;
  abstract resize(n: number): void;
  /** The set was deleted: workers drop their attachment (searches in flight finish first). */
  abstract release(setId: number): void;
  abstract close(): Promise<void>;
  /** Hands queued requests to workers. */
  protected abstract dispatch(): void;
  /** Which pool this is, for INFO. */
  protected abstract get kind(): string;

  get queueDepth(): number {
    return this.queue.length;
  }

  /** Total searches served since start, including by workers retired by a resize. */
  get totalServed(): number {
    return this.served;
  }

  /** Runs a search (or a VADD CAS plan) on some worker; resolves to the encoded reply (or plan). */
  submit(setId: number, handle: SetHandle, task: PoolTask): Promise<Uint8Array> {
    const ticket = arenaSpace.tickets.issue();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.queue.push({ item: { id: this.nextId++, setId, task }, handle, ticket, resolve, reject });
      this.scheduleDispatch();
    });
  }

  /**
   * Whether the caller should run this search (or VADD CAS insert) inline instead: true for the
   * first one of an event-loop turn when the pool has nothing queued or running. A lone search
   * gains nothing from a worker — the hand-off (two thread wake-ups, ~100 µs of CPU and up to a
   * millisecond of latency on these VMs) costs more than it frees — while work that arrives
   * together or while other work runs still goes to the workers, where it overlaps. The caller
   * counts the inline run (inlineRuns, casInline).
   */
  claimInline(): boolean {
    if (this.inlineClaimed || this.queue.length > 0 || this.dispatchScheduled || this.inflight > 0) return false;
    this.inlineClaimed = true;
    setImmediate(() => {
      this.inlineClaimed = false;
    });
    return true;
  }

  /**
   * Dispatch once per event-loop turn, after the poll phase has read every socket that was ready:
   * requests that arrived together leave together, in one batch per worker, instead of one
   * message (and one worker wake-up) each.
   */
  protected scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /**
   * Resolves a batch's searches from its worker's answer: replies in `data` by id, in order;
   * items named in `missing` are returned to be sent again (their tickets stay held); anything
   * else without a reply is rejected. Returns the number answered.
   */
  protected answer(batch: Pending[], m: ResultMessage, again: Pending[]): number {
    const byId = new Map(batch.map((p) => [p.item.id, p]));
    for (const id of m.missing ?? []) {
      const p = byId.get(id);
      if (!p) continue;
      byId.delete(id);
      p.resend = true;
      again.push(p);
    }
    let start = 0;
    for (let i = 0; i < m.ids.length; i++) {
      const p = byId.get(m.ids[i]!);
      const end = m.ends[i]!;
      if (p) {
        arenaSpace.tickets.complete(p.ticket);
        p.resolve(m.data.subarray(start, end));
        byId.delete(m.ids[i]!);
      }
      start = end;
    }
    for (const p of byId.values()) {
      arenaSpace.tickets.complete(p.ticket);
      p.reject(new Error('search worker returned no reply'));
    }
    this.served += m.ids.length;
    return m.ids.length;
  }

  /** A dead worker reads nothing any more: its tasks' tickets complete with them. */
  protected fail(batch: Pending[], e: Error): void {
    for (const p of batch) {
      arenaSpace.tickets.complete(p.ticket);
      p.reject(e);
    }
  }

  /** Rejects what is still queued (the pool is closing). */
  protected rejectQueued(): void {
    this.fail(this.queue.splice(0), new Error('search pool closed'));
  }

  /** Lines for INFO (section "searchpool"). */
  infoLines(): Array<[string, string | number]> {
    const lines: Array<[string, string | number]> = [
      ['search_pool', this.kind],
      ['search_threads', this.size],
      ['search_queue_depth', this.queueDepth],
      ['search_inflight', this.inflight],
      ['search_batches', this.batches],
      ['searches_served', this.served],
      ['searches_inline_when_idle', this.inlineRuns],
      ['searches_inline_small_sets', this.inlineSmall],
      ['searches_served_by_retired_threads', this.retiredServed],
      ['vadd_cas_inline_when_idle', this.casInline],
      ['vadd_cas_planned', this.casPlanned],
      ['vadd_cas_redone', this.casRedone],
      ['vadd_cas_dropped', this.casDropped],
    ];
    for (const [index, served] of this.perThread()) lines.push([`search_thread_${index}`, `served=${served}`]);
    return lines;
  }
}
