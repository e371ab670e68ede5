/**
 * The hash type's value: fields (binary-safe names, one char per byte as key names are) mapped to
 * values (Buffers, owned by the hash and never changed in place: a new value replaces the old
 * Buffer, so a reply or a snapshot capture may keep referencing one).
 *
 * Order and encoding follow Redis, because clients see both:
 *  - Redis keeps a small hash in a listpack, where fields stay in insertion order: an update keeps
 *    a field's place, a field deleted and set again goes to the end. The Map here has exactly that
 *    order, so HGETALL, HKEYS, HVALS, HSCAN and HRANDFIELD list fields as Redis does.
 *  - OBJECT ENCODING says `listpack` until a write makes the hash too big for one (more than
 *    hash-max-listpack-entries fields, or a field or value longer than hash-max-listpack-value
 *    bytes), then `hashtable` for good, as Redis never converts back. The moments of conversion
 *    are Redis's own (hashTypeTryConversion looks at a command's arguments before it runs, so
 *    `HSET` with 129 pairs converts even when they name one field; see the commands).
 *
 * A hashtable-encoded hash also keeps a slot table: each field owns a slot index for as long as it
 * exists, so an HSCAN cursor (a slot index) walks past every field that lives through the whole
 * iteration, however fields come and go meanwhile (the same scheme as Database's SCAN). A
 * listpack-encoded hash is answered whole in one HSCAN call, as Redis does.
 */
import type { KeyValue } from './value.js';

/**
 * hash-max-listpack-entries and hash-max-listpack-value. One setting per process, like Redis's
 * globals: the server copies its configuration here (and on CONFIG SET); a snapshot load, which
 * has no server at hand, reads the same values.
 */
export const hashListpackLimits = { entries: 128, value: 64 };

/** The slot table of a hashtable-encoded hash (HSCAN cursors and random picks). */
interface SlotTable {
  slots: Array<string | undefined>;
  slotOf: Map<string, number>;
  free: number[];
}

export class HashValue implements KeyValue {
  readonly type = 'hash' as const;
  private readonly fields = new Map<string, Buffer>();
  /** Present once the hash is hashtable-encoded. */
  private table: SlotTable | null = null;
  /** Bytes of every field name and value, for memoryUsage in O(1). */
  private payload = 0;

  /** A hash built from loaded pairs: listpack-encoded when it fits one, as Redis loads it. */
  static fromPairs(pairs: Iterable<[string, Buffer]>): HashValue {
    const h = new HashValue();
    let fits = true;
    for (const [f, v] of pairs) {
      h.fields.set(f, v);
      h.payload += f.length + v.length;
      if (f.length > hashListpackLimits.value || v.length > hashListpackLimits.value) fits = false;
    }
    if (!fits || h.fields.size > hashListpackLimits.entries) h.convert();
    return h;
  }

  get size(): number {
    return this.fields.size;
  }

  get isListpack(): boolean {
    return this.table === null;
  }

  get(field: string): Buffer | undefined {
    return this.fields.get(field);
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  /** Fields and values in the order HGETALL lists them. */
  entries(): IterableIterator<[string, Buffer]> {
    return this.fields.entries();
  }

  /**
   * hashTypeTryConversion: before a write, converts a listpack when the command's arguments
   * (`args`, field/value pairs) could not fit one: more pairs than the entry limit (duplicates
   * count: Redis presizes for them), or any argument longer than the value limit.
   */
  prepareFor(args: Buffer[]): void {
    if (this.table !== null) return;
    if (Math.floor(args.length / 2) > hashListpackLimits.entries) {
      this.convert();
      return;
    }
    for (const a of args) {
      if (a.length > hashListpackLimits.value) {
        this.convert();
        return;
      }
    }
  }

  /**
   * hashTypeSet: sets a field (updates keep its place); returns true when the field is new. The
   * value must be owned by the hash from now on. Converts as Redis does: first when the field or
   * value is too long for a listpack (HINCRBY* get here without prepareFor), then when the hash
   * has grown past the entry limit.
   */
  set(field: string, value: Buffer): boolean {
    if (this.table === null && (field.length > hashListpackLimits.value || value.length > hashListpackLimits.value)) this.convert();
    const old = this.fields.get(field);
    this.fields.set(field, value);
    if (old !== undefined) {
      this.payload += value.length - old.length;
      return false;
    }
    this.payload += field.length + value.length;
    if (this.table !== null) this.takeSlot(field);
    else if (this.fields.size > hashListpackLimits.entries) this.convert();
    return true;
  }

  /** Removes a field; returns whether it existed. */
  delete(field: string): boolean {
    const old = this.fields.get(field);
    if (old === undefined) return false;
    this.fields.delete(field);
    this.payload -= field.length + old.length;
    if (this.table !== null) this.freeSlot(field);
    return true;
  }

  encoding(): string {
    return this.table === null ? 'listpack' : 'hashtable';
  }

  elementCount(): number {
    return this.fields.size;
  }

  /**
   * Close to what Redis would use, so MEMORY USAGE grows with fields and values as there: a
   * listpack is its bytes plus about two bytes of framing per string; a dict adds its bucket
   * array and an entry with two string headers per field.
   */
  memoryUsage(): number {
    const n = this.fields.size;
    if (this.table === null) return 16 + 7 + this.payload + 4 * n;
    let buckets = 4;
    while (buckets < n) buckets *= 2;
    return 16 + 56 + 8 * buckets + 40 * n + this.payload;
  }

  /** COPY: an independent hash with the same fields, order and encoding (hashTypeDup). */
  duplicate(): HashValue {
    const h = new HashValue();
    // Values are never changed in place, so the copy may share the Buffers.
    for (const [f, v] of this.fields) h.fields.set(f, v);
    h.payload = this.payload;
    if (this.table !== null) h.convert();
    return h;
  }

  /**
   * HSCAN over a hashtable-encoded hash: visits up to `count` slots from `cursor` (and a bounded
   * run of holes, so a sparse table still makes progress); returns the next cursor, 0 at the end.
   */
  scan(cursor: number, count: number, visit: (field: string, value: Buffer) => void): number {
    const table = this.table;
    if (table === null) throw new Error('scan of a listpack-encoded hash: it is answered whole');
    let i = Math.max(0, cursor);
    let budget = count;
    let holes = count * 10;
    while (i < table.slots.length && budget > 0) {
      const field = table.slots[i++];
      if (field === undefined) {
        if (--holes <= 0) break;
        continue;
      }
      budget--;
      visit(field, this.fields.get(field)!);
    }
    return i >= table.slots.length ? 0 : i;
  }

  /**
   * A function that draws a uniformly random field each call (HRANDFIELD). A dense slot table
   * draws in O(1); otherwise the fields are listed once and drawn from that list.
   */
  sampler(): () => [string, Buffer] {
    const table = this.table;
    if (table !== null && this.fields.size * 2 >= table.slots.length) {
      return () => {
        for (;;) {
          const field = table.slots[Math.floor(Math.random() * table.slots.length)];
          if (field !== undefined) return [field, this.fields.get(field)!];
        }
      };
    }
    const all = [...this.fields];
    return () => all[Math.floor(Math.random() * all.length)]!;
  }

  /**
   * `count` distinct random fields, 0 < count < size. A listpack answers them in its own order
   * (Redis's lpRandomPairsUnique); a hashtable in random order (its CASE 3 and CASE 4).
   */
  distinctSample(count: number): Array<[string, Buffer]> {
    const n = this.fields.size;
    if (this.table === null) {
      // Selection sampling (Knuth's algorithm S): each field kept with probability needed/left.
      const out: Array<[string, Buffer]> = [];
      let left = n;
      for (const e of this.fields) {
        if (Math.random() * left < count - out.length) out.push(e);
        left--;
        if (out.length === count) break;
      }
      return out;
    }
    if (count * 3 > n) {
      // Most of the hash: drop random fields from the whole list until `count` remain.
      const all = [...this.fields];
      let size = n;
      while (size > count) {
        const i = Math.floor(Math.random() * size);
        all[i] = all[--size]!;
      }
      all.length = count;
      return all;
    }
    const draw = this.sampler();
    const seen = new Set<string>();
    const out: Array<[string, Buffer]> = [];
    while (out.length < count) {
      const e = draw();
      if (seen.has(e[0])) continue;
      seen.add(e[0]);
      out.push(e);
    }
    return out;
  }

  /** listpack → hashtable, for good: every field gets a slot, in the current order. */
  private convert(): void {
    if (this.table !== null) return;
    const slots = [...this.fields.keys()];
    this.table = { slots, slotOf: new Map(slots.map((f, i) => [f, i])), free: [] };
  }

  private takeSlot(field: string): void {
    const t = this.table!;
    while (t.free.length > 0) {
      const s = t.free.pop()!;
      if (s < t.slots.length && t.slots[s] === undefined) {
        t.slots[s] = field;
        t.slotOf.set(field, s);
        return;
      }
    }
    t.slotOf.set(field, t.slots.length);
    t.slots.push(field);
  }

  private freeSlot(field: string): void {
    const t = this.table!;
    const s = t.slotOf.get(field)!;
    t.slotOf.delete(field);
    t.slots[s] = undefined;
    if (s === t.slots.length - 1) {
      // Trailing holes are trimmed; free-list entries past the end are dropped lazily.
      while (t.slots.length > 0 && t.slots[t.slots.length - 1] === undefined) t.slots.pop();
    } else {
      t.free.push(s);
    }
  }
}
