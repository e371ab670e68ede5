/**
 * The command table: name → spec, with container commands (CLIENT, CONFIG …) routing on their
 * second word. Resolution produces the spec to run or the exact Redis error text for an unknown
 * command, an unknown subcommand or a wrong argument count.
 */
import type { CommandSpec } from './types.js';

export type Resolution = { spec: CommandSpec; error?: undefined } | { spec?: undefined; error: string };

/** The "with args beginning with:" tail of the unknown-command error, capped like Redis at ~128 bytes. */
function argsPreview(argv: Buffer[]): string {
  let out = '';
  for (let i = 1; i < argv.length && out.length < 128; i++) {
    out += `'${argv[i]!.toString('latin1').slice(0, 128 - out.length)}' `;
  }
  return out;
}

export class CommandTable {
  private readonly byName = new Map<string, CommandSpec>();
  private readonly subByName = new Map<string, Map<string, CommandSpec>>();

  register(specs: readonly CommandSpec[]): void {
    for (const s of specs) {
      const key = s.name.toLowerCase();
      if (this.byName.has(key)) throw new Error(`command ${s.name} registered twice`);
      this.byName.set(key, s);
      if (s.subcommands) {
        const m = new Map<string, CommandSpec>();
        for (const sub of s.subcommands) m.set(sub.name.toLowerCase(), sub);
        this.subByName.set(key, m);
      }
    }
  }

  get size(): number {
    return this.byName.size;
  }

  get(name: string): CommandSpec | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Looks up "name" or "container|sub". */
  getByFullName(full: string): CommandSpec | undefined {
    const bar = full.indexOf('|');
    if (bar < 0) return this.get(full);
    return this.subByName.get(full.slice(0, bar).toLowerCase())?.get(full.slice(bar + 1).toLowerCase());
  }

  all(): IterableIterator<CommandSpec> {
    return this.byName.values();
  }

  resolve(argv: Buffer[]): Resolution {
    const nameText = argv[0]!.toString('latin1');
    const spec = this.byName.get(nameText.toLowerCase());
    if (!spec) {
      return { error: `ERR unknown command '${nameText.slice(0, 128)}', with args beginning with: ${argsPreview(argv)}` };
    }
    if (spec.subcommands && argv.length >= 2) {
      const subText = argv[1]!.toString('latin1');
      const sub = this.subByName.get(spec.name.toLowerCase())!.get(subText.toLowerCase());
      if (!sub) {
        return { error: `ERR unknown subcommand '${subText.slice(0, 128)}'. Try ${spec.name.toUpperCase()} HELP.` };
      }
      if (!arityOk(sub.arity, argv.length)) {
        return { error: `ERR wrong number of arguments for '${spec.name.toLowerCase()}|${sub.name.toLowerCase()}' command` };
      }
      return { spec: sub };
    }
    if (!arityOk(spec.arity, argv.length)) {
      return { error: `ERR wrong number of arguments for '${spec.name}' command` };
    }
    return { spec };
  }
}

export function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/** The full name used in errors and stats: `get`, `client|setname`, `VADD`. */
export function fullName(spec: CommandSpec): string {
  return spec.parent ? `${spec.parent.toLowerCase()}|${spec.name.toLowerCase()}` : spec.name;
}
