/**
 * The search pool: worker threads that run VSIM against vector sets they attach to once, reading
 * the graph straight from shared memory, and hand back the finished reply bytes.
 *
 * Why not piscina (which the design names): its per-task hand-off measured 33–60 µs of CPU for a
 * no-op task on our 2-core machines, above the 30 µs budget of issue 5. This pool does what a
 * search needs and nothing else — one message each way per *batch*: when requests queue up, an
 * idle worker takes a share of the queue in one message and answers with one message holding all
 * the replies in a single transferred buffer; a busy worker may hold one more batch in waiting.
 * Measured the same way: 24 µs per request at one client, 7.5 µs at 32 concurrent, 4 µs at 128.
 *
 * A worker attaches a set of its own the first time it gets a request for it (the handle travels
 * with that request only) and forgets it when the set is deleted (`release`); a search already
 * running on a deleted set keeps the memory alive until it ends, because the worker still
 * references it. A set in an arena (src/hnsw/arena.ts) travels as its arena's number and where its
 * block lies now, with every request: blocks move as sets grow. A worker gets each arena's memory
 * once. Every request holds a reader ticket (arenaSpace.tickets) from submission until its reply
 * or its worker's death: a block or slot retired meanwhile is not reused before that.
 */
import { Worker } from 'node:worker_threads';
import type { SetHandle } from '../vset/index.js';
import { arenaSpace } from '../hnsw/arena.js';
import { isWasmMemory, type WasmMemory } from '../hnsw/platform.js';
import { releaseReaderSlot } from '../hnsw/epoch.js';
import type { PoolTask } from '../vset/search-task.js';
import type { Logger } from './log.js';

/**
 * Each vector set admits 32 concurrent readers (READER_SLOTS); the main thread may search inline
 * too, so at most 31 workers.
 */
export const MAX_SEARCH_THREADS = 31;

/** Largest batch one worker takes at a time (keeps latency fair across workers). */
const MAX_BATCH = 64;

/**
 * Batches a worker may have outstanding. With one, a worker that finishes its batch idles until
 * the main thread has written the replies and read the next requests; a second batch waiting in
 * its port keeps it busy through that gap. Measured on 2 cores (2 threads against the main
 * thread, 6 interleaved rounds): 1.64× instead of 1.50× at 32 connections, 2.10× instead of 1.77×
 * at 128, and less CPU per query (fewer worker wake-ups). A third gained nothing (1.51× vs 1.52×).
 */
const MAX_OUTSTANDING = 2;

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
}

interface Pending {
  item: BatchItem;
  handle: SetHandle;
  ticket: number;
  resolve: (reply: Uint8Array) => void;
  reject: (err: Error) => void;
}

interface Slot {
  index: number;
  /** This worker's scratch record in every arena (src/hnsw/arena.ts): never two live workers alike. */
  scratchSlot: number;
  /**
   * Shared with the worker: [set id + 1, reader slot + 1] while it holds a reader slot of a set
   * of its own (src/hnsw/epoch.ts, setReaderRecord), so that its death can free the slot.
   */
  readerRecord: Int32Array;
  worker: Worker;
  /** Batches sent and not yet answered, oldest first (a worker answers in order). */
  sent: Pending[][];
  attached: Set<number>;
  /** Arenas whose memory this worker has. */
  arenas: Set<number>;
  detach: number[];
  served: number;
  retiring: boolean;
}

/** Searches sent to a worker and not yet answered. */
function queued(s: Slot): number {
  let n = 0;
  for (const b of s.sent) n += b.length;
  return n;
}

export class SearchPool {
  private slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private nextIndex = 0;
  batches = 0;
  served = 0;
  /** Searches served by threads that no longer exist (after a resize). */
  private retiredServed = 0;
  private closed = false;
  private dispatchScheduled = false;
  private inlineClaimed = false;
  /** Searches run on the main thread because the pool was idle (claimInline). */
  inlineRuns = 0;
  /** VADD CAS inserts run on the main thread because the pool was idle (claimInline). */
  casInline = 0;
  /** VADD CAS commits: linked from the worker's plan, searched again, or dropped (spec §10). */
  casPlanned = 0;
  casRedone = 0;
  casDropped = 0;

  constructor(
    private readonly workerFile: URL,
    size: number,
    private readonly log: Logger,
  ) {
    this.resize(size);
  }

  get size(): number {
    return this.slots.filter((s) => !s.retiring).length;
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  get inflight(): number {
    let n = 0;
    for (const s of this.slots) n += queued(s);
    return n;
  }

  /** Per live thread: index and searches served. */
  perThread(): Array<[number, number]> {
    return this.slots.filter((s) => !s.retiring).map((s) => [s.index, s.served]);
  }

  resize(n: number): void {
    while (this.size < n) this.spawn();
    // Retire surplus workers; a busy one finishes its batch first.
    const live = this.slots.filter((s) => !s.retiring);
    for (let i = live.length - 1; i >= n; i--) {
      const s = live[i]!;
      s.retiring = true;
      if (s.sent.length === 0) this.stop(s);
    }
  }

  /** The arena scratch slot of a new worker: the lowest no live worker holds (0 is the main thread's). */
  private freeScratchSlot(): number {
    const used = new Set(this.slots.map((s) => s.scratchSlot));
    let k = 1;
    while (used.has(k)) k++;
    return k;
  }

  private spawn(): void {
    const scratchSlot = this.freeScratchSlot();
    const readerRecord = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(this.workerFile, { workerData: { scratchSlot, readerRecord } });
    const slot: Slot = { index: this.nextIndex++, scratchSlot, readerRecord, worker, sent: [], attached: new Set(), arenas: new Set(), detach: [], served: 0, retiring: false };
    worker.on('message', (m: ResultMessage) => this.onResults(slot, m));
    worker.on('error', (e) => this.onFailure(slot, e));
    worker.on('exit', (code) => {
      if (!slot.retiring && !this.closed) this.onFailure(slot, new Error(`search worker exited with code ${code}`));
    });
    // A worker must not keep the process alive on shutdown.
    worker.unref();
    this.slots.push(slot);
  }

  private stop(s: Slot): void {
    this.slots = this.slots.filter((x) => x !== s);
    this.retiredServed += s.served;
    void s.worker.terminate();
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
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /** The set was deleted: workers drop their attachment (searches in flight finish first). */
  release(setId: number): void {
    for (const s of this.slots) {
      if (!s.attached.delete(setId)) continue;
      if (s.sent.length > 0) s.detach.push(setId);
      else s.worker.postMessage({ type: 'batch', items: [], detach: [setId] } satisfies BatchMessage);
    }
  }

  /**
   * Hands the queue out: first to idle workers, in equal shares, then — so that no worker idles
   * while the main thread turns its replies around — as a second batch to workers that have one
   * running, fewest queued searches first.
   */
  private dispatch(): void {
    for (let depth = 0; depth < MAX_OUTSTANDING && this.queue.length > 0; depth++) {
      const open = this.slots.filter((s) => s.sent.length === depth && !s.retiring);
      if (depth > 0) open.sort((a, b) => queued(a) - queued(b));
      for (let i = 0; i < open.length && this.queue.length > 0; i++) {
        const share = Math.min(MAX_BATCH, Math.ceil(this.queue.length / (open.length - i)));
        this.send(open[i]!, this.queue.splice(0, share));
      }
    }
  }

  private send(s: Slot, batch: Pending[]): void {
    let arenas: Array<[number, WasmMemory]> | undefined;
    for (const p of batch) {
      const h = p.handle;
      if (h.kind === 'vsetd.arena-set') {
        p.item.loc = { arena: h.arena, block: h.block, heapBytes: h.heapBytes, recordsBytes: h.recordsBytes };
        delete p.item.handle;
        if (!s.arenas.has(h.arena)) {
          s.arenas.add(h.arena);
          (arenas ??= []).push([h.arena, h.memory]);
        }
        continue;
      }
      delete p.item.loc;
      if (!s.attached.has(p.item.setId)) {
        p.item.handle = p.handle;
        s.attached.add(p.item.setId);
      } else {
        delete p.item.handle;
      }
    }
    s.sent.push(batch);
    const msg: BatchMessage = { type: 'batch', items: batch.map((p) => p.item), detach: s.detach, ...(arenas ? { arenas } : {}) };
    s.detach = [];
    this.batches++;
    s.worker.postMessage(msg);
  }

  private onResults(s: Slot, m: ResultMessage): void {
    const batch = s.sent.shift() ?? [];
    const byId = new Map(batch.map((p) => [p.item.id, p]));
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
    s.served += m.ids.length;
    this.served += m.ids.length;
    if (s.retiring && s.sent.length === 0) this.stop(s);
    this.dispatch();
  }

  private onFailure(s: Slot, e: Error): void {
    // An 'error' is followed by an 'exit': one replacement, not two.
    if (!this.slots.includes(s)) return;
    this.log.warning(`Search worker ${s.index} failed: ${e.message}`);
    const batches = s.sent;
    s.sent = [];
    this.releaseDeadReader(s, batches);
    this.slots = this.slots.filter((x) => x !== s);
    this.retiredServed += s.served;
    // A dead worker reads nothing any more: its tasks' tickets complete with them.
    for (const b of batches) {
      for (const p of b) {
        arenaSpace.tickets.complete(p.ticket);
        p.reject(e);
      }
    }
    if (!this.closed && !s.retiring) this.spawn();
    this.dispatch();
  }

  /**
   * A worker that died inside a read section of a set of its own left its epoch published in
   * that set's header, which would keep every later delete of the set from being reclaimed: clear
   * it. (Arena sets publish nothing; their tickets complete with the rejected tasks.)
   */
  private releaseDeadReader(s: Slot, batches: Pending[][]): void {
    const setId = Atomics.load(s.readerRecord, 0) - 1;
    const readerSlot = Atomics.load(s.readerRecord, 1) - 1;
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

  /** Total searches served since start, including by workers retired by a resize. */
  get totalServed(): number {
    return this.served;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) {
      arenaSpace.tickets.complete(p.ticket);
      p.reject(new Error('search pool closed'));
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }

  /** Lines for INFO (section "searchpool"). */
  infoLines(): Array<[string, string | number]> {
    const lines: Array<[string, string | number]> = [
      ['search_threads', this.size],
      ['search_queue_depth', this.queueDepth],
      ['search_inflight', this.inflight],
      ['search_batches', this.batches],
      ['searches_served', this.served],
      ['searches_inline_when_idle', this.inlineRuns],
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
