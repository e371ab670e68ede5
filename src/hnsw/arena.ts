// Arenas: shared WebAssembly memories that hold many small vector sets each.
//
// Why: a set used to own two memories of its own, and V8 reserves about 10 GiB of address space
// per WebAssembly memory (2 GiB per growable SharedArrayBuffer). A process runs out of address
// space — not bytes — near 10,000 sets, and every set started at whole 64 KiB pages. A server
// that keeps one index per tenant holds hundreds of thousands of small sets (design invariant 7).
//
// So a small set is one *block* inside an arena (layout.ts, "compact layout"):
//
//     [ heap: heapCap bytes ][ header: COMPACT_HEADER_BYTES ][ node records: recCap × stride ]
//
// and an arena is a memory shared by every thread:
//
//     [ scratch: SCRATCH_SLOTS × SCRATCH_BYTES ][ writer zone ][ blocks … ]  →  grows at the end, up to 4 GiB
//
// Scratch: a search copies its query into a record-shaped scratch slot in the same memory as the
// nodes (the distance kernels take two offsets in one memory). In an arena the slot belongs to
// the *thread* (main thread 0, search worker k ≥ 1), not to the set, so a set pays nothing for it.
//
// A block never grows in place. When a set needs more room its writer copies it into a bigger
// block (relocation, layout.ts) and retires the old one; a set whose block would pass
// PROMOTE_BYTES moves to memories of its own (the classic layout), where it grows in place.
//
// Reclamation. Workers read a set at the location its task carried (a block offset), so a
// retired block — or a slot, or a heap block inside a set — may be reused only once every task
// handed out before the retirement has finished. `ReaderTickets` counts tasks: the pool issues a
// ticket per task and completes it when the reply (or the worker's death) comes back; an item
// tagged with the last ticket issued at retirement is free once that ticket and all before it are
// complete. Searches that run on the main thread need no ticket: they cannot overlap a write.
//
// The allocator is the main thread's alone (it is the only writer) and keeps its free lists in
// plain JS arrays; nothing about it needs to be in shared memory or in a snapshot (a set is saved
// as its own images, never as an arena).

import { createSharedWasmMemory, WASM_MAX_PAGES, WASM_PAGE, type WasmMemory } from './platform.js';
import { pow2 } from './pow2.js';

/** Scratch slots of threads that search: the main thread and up to 256 search workers, plus one spare. */
export const WORKER_SCRATCH_SLOTS = 258;
/**
 * The slot of a snapshot load's helper thread, which checks small sets' level-0 links in
 * WebAssembly there (image/link-check.ts, level0MatrixWasm). No search worker takes it.
 */
export const HELPER_SCRATCH_SLOT = WORKER_SCRATCH_SLOTS;
/** Scratch slots per arena. */
export const SCRATCH_SLOTS = WORKER_SCRATCH_SLOTS + 1;
/** Bytes of one thread's scratch: a query record and a neighbour-list batch. */
export const SCRATCH_BYTES = 8192;
/** A set whose record is longer than a scratch slot lives in memories of its own. */
export const ARENA_MAX_STRIDE = SCRATCH_BYTES;
/** A set whose block would be larger than this moves to memories of its own (promotion). */
export const PROMOTE_BYTES = 8 * 1024 * 1024;
/**
 * The main thread's writer zone (writer-zone.ts: the insert's walk keeps its visited bits
 * and queues there), after the scratch slots: the walk needs them in the memory the kernels see.
 * A walk that needs more (a very large EF or M) runs in JavaScript instead.
 */
export const WRITER_ZONE_OFFSET = SCRATCH_SLOTS * SCRATCH_BYTES;
export const WRITER_ZONE_BYTES = 65536;
const SCRATCH_AREA = WRITER_ZONE_OFFSET + WRITER_ZONE_BYTES;
/** The largest arena: the 32-bit address space of a WebAssembly memory, less one page. */
const ARENA_MAX_BYTES = (WASM_MAX_PAGES - 1) * WASM_PAGE;

// ---- size classes ------------------------------------------------------------------------
// Thirty-two classes per power of two from 512 bytes (at most 3.1 % rounding, about 1.5 % on
// average): every byte of rounding counts in a small set's bytes per element (sixteen classes
// left 10,000 sets × 50 elements at 1.11× the bytes per element of one set of 500,000), and the
// rounding of a block is not lost (the records get it). A move asks for ≈ 1.03× the old size,
// so sizes spread evenly across classes.

const MIN_LOG2 = 9; // steps of at least 16 bytes: blocks stay 16-byte aligned
const STEPS_LOG2 = 5;
const STEPS = 1 << STEPS_LOG2;

/** The size class of a request of `bytes` (> 0). */
export function blockClass(bytes: number): number {
  if (bytes <= 1 << MIN_LOG2) return 0;
  const k = 31 - Math.clz32(bytes - 1); // 2^k < bytes ≤ 2^(k+1)
  const step = pow2(k - STEPS_LOG2);
  const j = Math.ceil((bytes - pow2(k)) / step); // 1 … STEPS
  return (k - MIN_LOG2) * STEPS + j;
}

/** The bytes a block of class `cls` holds. */
export function classSize(cls: number): number {
  if (cls === 0) return 1 << MIN_LOG2;
  const k = Math.floor((cls - 1) / STEPS) + MIN_LOG2;
  const j = cls - (k - MIN_LOG2) * STEPS;
  return pow2(k) + j * pow2(k - STEPS_LOG2);
}

/** The bytes a request of `bytes` really takes. */
export function blockBytes(bytes: number): number {
  return classSize(blockClass(bytes));
}

/** What the main thread knows about one arena; workers only ever see its memory. */
export class Arena {
  readonly memory: WasmMemory;
  /** Bump pointer: bytes below it are scratch or blocks (in use or free). */
  private top = SCRATCH_AREA;
  /** Bytes in blocks handed out and not freed. */
  liveBytes = 0;
  private readonly free: number[][] = [];

  private constructor(
    readonly id: number,
    memory: WasmMemory,
  ) {
    this.memory = memory;
  }

  /** A new arena, or null when no memory can be reserved. */
  static create(id: number): Arena | null {
    const mem = createSharedWasmMemory(Math.ceil((SCRATCH_AREA + PROMOTE_BYTES) / WASM_PAGE));
    return mem === null ? null : new Arena(id, mem);
  }

  /**
   * Views over the whole memory, made again after this thread grows it (only the allocator below
   * does, on the main thread). A load of 100,000 small sets reads each set into its block and
   * adopts it through these: `memory.buffer` is a call into V8, and a view per set made and
   * collected ~2 KB of garbage a set.
   */
  private u8View: Uint8Array | null = null;
  private i32View: Int32Array | null = null;

  /** Bytes of the whole memory. */
  get bytes(): Uint8Array {
    return (this.u8View ??= new Uint8Array(this.memory.buffer));
  }
  /** Words of the whole memory. */
  get words(): Int32Array {
    return (this.i32View ??= new Int32Array(this.memory.buffer));
  }

  /** Bytes the memory holds now (committed as far as V8 is concerned). */
  get committedBytes(): number {
    return this.bytes.byteLength;
  }

  /** A block of at least `bytes` (its real size is blockBytes(bytes)); -1 when the arena is full. */
  alloc(bytes: number): number {
    const cls = blockClass(bytes);
    const size = classSize(cls);
    const list = this.free[cls];
    if (list !== undefined && list.length > 0) {
      this.liveBytes += size;
      return list.pop() as number;
    }
    const off = this.top;
    const end = off + size;
    if (end > ARENA_MAX_BYTES) return -1;
    const have = this.committedBytes;
    if (end > have) {
      // The views are of the memory as it was: made again when next asked for.
      this.u8View = null;
      this.i32View = null;
      // Grow in steps of 1/8 of the arena (at least 1 MiB): few grows, little unused tail.
      const want = Math.min(ARENA_MAX_BYTES, Math.max(end, have + Math.max(1 << 20, have >>> 3)));
      try {
        this.memory.grow(Math.ceil((want - have) / WASM_PAGE));
      } catch {
        try {
          this.memory.grow(Math.ceil((end - have) / WASM_PAGE));
        } catch {
          return -1;
        }
      }
    }
    this.top = end;
    this.liveBytes += size;
    return off;
  }

  /** Return a block (no reader may reach it any more: see ArenaSpace.retire). Its bytes are zeroed. */
  release(off: number, bytes: number): void {
    const cls = blockClass(bytes);
    const size = classSize(cls);
    this.bytes.fill(0, off, off + size);
    this.liveBytes -= size;
    if (this.liveBytes === 0) {
      // Nothing left: start over from the scratch area, without free lists (which would hold an
      // entry per block the arena ever had). The memory itself cannot shrink; it is zero.
      this.free.length = 0;
      this.top = SCRATCH_AREA;
      return;
    }
    (this.free[cls] ??= []).push(off);
  }
}

/**
 * Tasks handed to search workers, counted. Tickets are issued in order; `oldest` is the lowest
 * ticket not yet complete (or the next one to issue when none is outstanding).
 */
export class ReaderTickets {
  private issued = 0;
  private low = 0;
  private readonly done = new Set<number>();

  /** `advanced` runs when the oldest outstanding ticket completes (retired items may be free). */
  constructor(private readonly advanced: () => void = () => {}) {}

  issue(): number {
    return this.issued++;
  }

  complete(ticket: number): void {
    if (ticket !== this.low) {
      // Out of order (another worker's batch came back first): remembered until the gap closes.
      if (ticket > this.low) this.done.add(ticket);
      return;
    }
    this.low++;
    if (this.done.size > 0) while (this.done.delete(this.low)) this.low++;
    this.advanced();
  }

  /** The tag for something retired now: the last ticket that could still see it. */
  tag(): number {
    return (this.issued - 1) | 0;
  }

  /** Items whose tag is before this (modular order) can be released. */
  oldest(): number {
    return this.low | 0;
  }

  get outstanding(): number {
    return this.issued - this.low;
  }
}

/** The process's arenas, the tickets of its search tasks, and blocks waiting for them. */
export class ArenaSpace {
  readonly tickets = new ReaderTickets(() => this.drain());
  private readonly arenas: Arena[] = [];
  /** Retired blocks: tag, arena id, offset, bytes (in retirement order). */
  private limbo: number[] = [];
  private limboHead = 0;
  /** Bytes of the blocks in `limbo` (read by used_memory at every write under maxmemory). */
  private retiredBytes = 0;
  /** Set by tests to make the next allocations fail, as exhausted memory would. */
  failAllocations = 0;

  /** Allocate a block anywhere; null when no arena can hold it (memory exhausted). */
  alloc(bytes: number): { arena: Arena; off: number } | null {
    this.drain();
    if (this.failAllocations > 0) {
      this.failAllocations--;
      return null;
    }
    for (let i = this.arenas.length - 1; i >= 0; i--) {
      const a = this.arenas[i];
      const off = a.alloc(bytes);
      if (off >= 0) return { arena: a, off };
    }
    const a = Arena.create(this.arenas.length);
    if (a === null) return null;
    this.arenas.push(a);
    const off = a.alloc(bytes);
    return off >= 0 ? { arena: a, off } : null;
  }

  /** Retire a block: released once every task issued so far has finished. */
  retire(arena: Arena, off: number, bytes: number): void {
    this.limbo.push(this.tickets.tag(), arena.id, off, bytes);
    this.retiredBytes += blockBytes(bytes);
    this.drain();
  }

  /** Release the retired blocks no task can reach any more. */
  drain(): void {
    const oldest = this.tickets.oldest();
    const l = this.limbo;
    let i = this.limboHead;
    while (i < l.length && ((l[i] - oldest) | 0) < 0) {
      this.arenas[l[i + 1]].release(l[i + 2], l[i + 3]);
      this.retiredBytes -= blockBytes(l[i + 3]);
      i += 4;
    }
    this.limboHead = i;
    if (i === l.length && i > 0) {
      this.limbo = [];
      this.limboHead = 0;
    }
  }

  arena(id: number): Arena {
    return this.arenas[id];
  }

  /** Bytes of blocks in use (sets' bytes), and bytes the arenas' memories hold. */
  usage(): { live: number; committed: number; retired: number; arenas: number } {
    let live = 0;
    let committed = 0;
    for (const a of this.arenas) {
      live += a.liveBytes;
      committed += a.committedBytes;
    }
    return { live, committed, retired: this.retiredBytes, arenas: this.arenas.length };
  }
}

/** The main thread's arenas (the only writer allocates). */
export const arenaSpace = new ArenaSpace();

// ---- per thread ----------------------------------------------------------------------------

let threadSlot = 0;

/** This thread's scratch slot in every arena: 0 on the main thread, set once in a worker. */
export function setThreadScratchSlot(slot: number): void {
  if (!(Number.isInteger(slot) && slot >= 0 && slot < WORKER_SCRATCH_SLOTS)) throw new RangeError(`scratch slot ${slot} outside 0..${WORKER_SCRATCH_SLOTS - 1}`);
  threadSlot = slot;
}

/** Byte offset of this thread's scratch record in an arena. */
export function threadScratchOffset(): number {
  return threadSlot * SCRATCH_BYTES;
}
