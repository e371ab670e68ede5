/**
 * Where a command's keys are and what it does to each: COMMAND INFO and GETKEYSANDFLAGS publish
 * it, and ACL key permissions are checked against it (src/acl/), so both read one definition.
 *
 * A command declares its key positions (first, last, step) and, when they differ from the
 * defaults, Redis's key-spec flags: RO/RW/OW/RM for what happens to the key, ACCESS (the value is
 * returned or used: needs read permission), INSERT/UPDATE/DELETE (the value changes: needs write
 * permission). A command whose keys are treated differently (RENAME, COPY) gives one list per key.
 */
import type { CommandSpec } from './types.js';

/** ACL permission bits a key needs (Redis's ACL_READ_PERMISSION / ACL_WRITE_PERMISSION). */
export const KEY_READ = 1;
export const KEY_WRITE = 2;

export interface KeyRef {
  /** Index of the key in argv. */
  pos: number;
  /** KEY_READ | KEY_WRITE, or 0 when the key only has to match some pattern (EXISTS, TYPE). */
  access: number;
}

/** The key-spec flags of the i-th key of a command (i counted from 0). */
export function keyFlagsAt(spec: CommandSpec, i: number): readonly string[] {
  if (spec.keyFlagsByKey) return spec.keyFlagsByKey[Math.min(i, spec.keyFlagsByKey.length - 1)]!;
  return spec.keyFlags ?? (spec.flags.includes('write') ? ['RW', 'UPDATE'] : ['RO', 'ACCESS']);
}

/** Positions in argv of a command's keys, from its declared first, last and step. */
export function keyPositions(spec: CommandSpec, argc: number): number[] {
  if (spec.firstKey <= 0 || spec.step <= 0) return [];
  const last = spec.lastKey < 0 ? argc + spec.lastKey : spec.lastKey;
  const out: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argc; i += spec.step) out.push(i);
  return out;
}

function accessOf(flags: readonly string[]): number {
  let access = 0;
  for (const f of flags) {
    if (f === 'ACCESS') access |= KEY_READ;
    else if (f === 'INSERT' || f === 'UPDATE' || f === 'DELETE') access |= KEY_WRITE;
  }
  return access;
}

/**
 * The keys an invocation names and the permission each needs, as Redis's
 * getKeysFromCommandWithSpecs gives them to the ACL check. Shard channels are declared at key
 * positions (for cluster routing) but are not keys (NOT_KEY): they are left out. SET reads its
 * key only with the GET option (Redis's setGetKeys).
 */
export function keyRefs(spec: CommandSpec, argv: readonly Buffer[]): KeyRef[] {
  if (spec.flags.includes('pubsub')) return [];
  const positions = keyPositions(spec, argv.length);
  if (positions.length === 0) return [];
  if (spec.name === 'set' && spec.parent === undefined) {
    let get = false;
    for (let i = 3; i < argv.length; i++) {
      const a = argv[i]!;
      if (a.length === 3 && (a[0]! | 32) === 103 && (a[1]! | 32) === 101 && (a[2]! | 32) === 116) get = true;
    }
    return [{ pos: 1, access: get ? KEY_READ | KEY_WRITE : KEY_WRITE }];
  }
  return positions.map((pos, i) => ({ pos, access: accessOf(keyFlagsAt(spec, i)) }));
}

/**
 * Declares Redis's key-spec flags for the commands of a family that differ from the defaults
 * (RW UPDATE for a write, RO ACCESS otherwise): one list for all keys, or one per key.
 */
export function declareKeyFlags(specs: readonly CommandSpec[], table: Record<string, string[] | string[][]>): void {
  for (const s of specs) {
    const f = table[s.name];
    if (f === undefined) continue;
    if (Array.isArray(f[0])) s.keyFlagsByKey = f as string[][];
    else s.keyFlags = f as string[];
  }
}
