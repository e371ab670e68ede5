/**
 * The command table as ACLs see it: every command and subcommand gets a number (its bit in a
 * selector's allowed-commands bitmap, as Redis's ACLGetCommandID), its ACL categories, and lookup
 * by "name" or "container|sub" as Redis's ACLLookupCommand.
 *
 * Categories are those a command declares plus those its flags imply, as Redis's
 * setImplicitACLCategories adds them: write → @write, readonly → @read, admin → @admin and
 * @dangerous, pubsub → @pubsub, fast → @fast, blocking → @blocking, and every command that is
 * not @fast is @slow. COMMAND INFO shows the same set.
 */
import type { CommandSpec } from '../commands/types.js';

/** Redis's categories in Redis's order (ACL CAT, COMMAND INFO). */
export const CORE_CATEGORIES: readonly string[] = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream',
  'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
];

/**
 * Categories named in the table that Redis does not define in its core (@vectorset, and @search
 * once the query engine's commands declare it), after the core ones, as a module's categories
 * are added after them.
 */
const extraCategories: string[] = [];
const effective = new WeakMap<CommandSpec, readonly string[]>();

/** The category names, without '@', in Redis's order. */
export function categoryNames(): readonly string[] {
  return extraCategories.length === 0 ? CORE_CATEGORIES : [...CORE_CATEGORIES, ...extraCategories];
}

/** A command's categories (without '@'), declared and implied, in category order. */
export function commandCategories(spec: CommandSpec): readonly string[] {
  let cats = effective.get(spec);
  if (cats) return cats;
  const set = new Set<string>();
  for (const c of spec.categories) set.add(c.replace(/^@/, '').toLowerCase());
  const f = spec.flags;
  if (f.includes('write')) set.add('write');
  if (f.includes('readonly') && !set.has('scripting')) set.add('read');
  if (f.includes('admin')) {
    set.add('admin');
    set.add('dangerous');
  }
  if (f.includes('pubsub')) set.add('pubsub');
  if (f.includes('fast')) set.add('fast');
  if (f.includes('blocking')) set.add('blocking');
  if (!set.has('fast')) set.add('slow');
  for (const c of set) if (!CORE_CATEGORIES.includes(c) && !extraCategories.includes(c)) extraCategories.push(c);
  const order = categoryNames();
  cats = [...set].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  effective.set(spec, cats);
  return cats;
}

/** Whether `name` (without '@', any case) is a known category. */
export function isCategory(name: string): boolean {
  const n = name.toLowerCase();
  return CORE_CATEGORIES.includes(n) || extraCategories.includes(n);
}

/** Something that lists the top-level commands (the server's CommandTable). */
export interface CommandSource {
  all(): IterableIterator<CommandSpec>;
  get(name: string): CommandSpec | undefined;
}

/** Command numbers and lookups for the ACL code, built once from the command table. */
export class AclCommands {
  /** Every command and subcommand, indexed by its number. */
  readonly byId: CommandSpec[] = [];
  private readonly ids = new Map<CommandSpec, number>();

  constructor(private readonly table: CommandSource) {
    for (const s of table.all()) {
      this.add(s);
      for (const sub of s.subcommands ?? []) this.add(sub);
    }
  }

  private add(spec: CommandSpec): void {
    this.ids.set(spec, this.byId.length);
    this.byId.push(spec);
    commandCategories(spec);
  }

  get count(): number {
    return this.byId.length;
  }

  id(spec: CommandSpec): number {
    return this.ids.get(spec) ?? -1;
  }

  /** Subcommands of a container (empty for a plain command). */
  subcommands(spec: CommandSpec): readonly CommandSpec[] {
    return spec.subcommands ?? [];
  }

  /**
   * Redis's lookupCommandBySdsLogic: "get", or "config|get" for a subcommand; a name with a '|'
   * whose first part has no subcommands, or with more than one '|', names nothing.
   */
  lookup(name: string): CommandSpec | null {
    const parts = name.split('|');
    if (parts.length > 2) return null;
    const base = this.table.get(parts[0]!);
    if (!base) return null;
    if (parts.length === 1) return base;
    if (!base.subcommands) return null;
    const sub = parts[1]!.toLowerCase();
    return base.subcommands.find((s) => s.name.toLowerCase() === sub) ?? null;
  }
}
