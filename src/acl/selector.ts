/**
 * An ACL selector: which commands, keys and channels it allows. Every user has a root selector
 * (the rules written outside parentheses) and may have more, written `(…)`; a command runs if
 * any selector allows it. The rule language and its error numbers are Redis's ACLSetSelector,
 * and descriptions are written back exactly as Redis writes them (ACL LIST, GETUSER, ACL SAVE).
 *
 * Commands are a bitmap over the ACL command numbers (AclCommands). `+@all` also allows the
 * commands of the future (a reserved bit in Redis, `future` here), which is how a description
 * knows to start with +@all rather than -@all. The ordered list of command rules given since the
 * last +@all/-@all is kept, so the description replays to the same bitmap.
 */
import { globMatch } from '../server/glob.js';
import { AclCommands, commandCategories, isCategory } from './commands.js';
import type { CommandSpec } from '../commands/types.js';
import { KEY_READ, KEY_WRITE, type KeyRef } from '../commands/key-specs.js';

export const SELECTOR_ROOT = 1;
export const SELECTOR_ALLKEYS = 2;
export const SELECTOR_ALLCHANNELS = 4;
export const SELECTOR_ALLCOMMANDS = 8;

/** Redis's errno values for a rule it refuses; ACLSetUserStringError turns them into text. */
export type AclErrno = 'EINVAL' | 'ENOENT' | 'EEXIST' | 'EISDIR' | 'ENODEV' | 'EBADMSG' | 'EALREADY' | 'ECHILD';

export class AclRuleError extends Error {
  constructor(readonly errno: AclErrno) {
    super(ruleErrorText(errno));
  }
}

export function ruleErrorText(errno: AclErrno): string {
  switch (errno) {
    case 'ENOENT':
      return 'Unknown command or category name in ACL';
    case 'EINVAL':
      return 'Syntax error';
    case 'EEXIST':
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case 'EISDIR':
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
    case 'ENODEV':
      return 'The password you are trying to remove from the user does not exist';
    case 'EBADMSG':
      return 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
    case 'EALREADY':
      return 'Duplicate user found. A user can only be defined once in config files';
    case 'ECHILD':
      return 'Allowing first-arg of a subcommand is not supported';
  }
}

/** A key pattern with the access it grants (KEY_READ, KEY_WRITE or both). */
export interface KeyPattern {
  pattern: Buffer;
  flags: number;
}

interface CommandRule {
  allow: boolean;
  /** Lower case: "get", "config|get", "@read", "select|0". */
  name: string;
}

/** The outcome of checking one command: allowed, or the kind of refusal and the argument at fault. */
export type CheckResult = { ok: true } | { ok: false; reason: 'command' | 'key' | 'channel'; pos: number };

const OK: CheckResult = { ok: true };

/** C's isspace, plus NUL: characters a username or pattern may not hold (ACLStringHasSpaces). */
export function hasSpaces(b: Uint8Array): boolean {
  for (const c of b) if (c === 32 || (c >= 9 && c <= 13) || c === 0) return true;
  return false;
}

/** Case-insensitive comparison of bytes with an ASCII word, as strcasecmp. */
export function sameWord(b: Uint8Array, w: string): boolean {
  if (b.length !== w.length) return false;
  for (let i = 0; i < w.length; i++) {
    let c = b[i]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== w.charCodeAt(i)) return false;
  }
  return true;
}

export class Selector {
  flags: number;
  allowed: Uint8Array;
  /** The "future commands" bit that only +@all sets. */
  future = false;
  /** Command number → first arguments allowed although the command is not (+select|0). */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: Buffer[] = [];
  rules: CommandRule[] = [];

  constructor(readonly commands: AclCommands, flags: number) {
    this.flags = flags;
    this.allowed = new Uint8Array(commands.count);
  }

  copy(): Selector {
    const s = new Selector(this.commands, this.flags);
    s.allowed.set(this.allowed);
    s.future = this.future;
    if (this.firstArgs) s.firstArgs = new Map([...this.firstArgs].map(([k, v]) => [k, [...v]]));
    s.patterns = this.patterns.map((p) => ({ pattern: p.pattern, flags: p.flags }));
    s.channels = [...this.channels];
    s.rules = this.rules.map((r) => ({ ...r }));
    return s;
  }

  /** Applies one rule; throws AclRuleError (the selector may then be half-changed: work on a copy). */
  apply(op: Buffer): void {
    if (sameWord(op, 'allkeys') || sameWord(op, '~*')) {
      this.flags |= SELECTOR_ALLKEYS;
      this.patterns = [];
    } else if (sameWord(op, 'resetkeys')) {
      this.flags &= ~SELECTOR_ALLKEYS;
      this.patterns = [];
    } else if (sameWord(op, 'allchannels') || sameWord(op, '&*')) {
      this.flags |= SELECTOR_ALLCHANNELS;
      this.channels = [];
    } else if (sameWord(op, 'resetchannels')) {
      this.flags &= ~SELECTOR_ALLCHANNELS;
      this.channels = [];
    } else if (sameWord(op, 'allcommands') || sameWord(op, '+@all')) {
      this.allowed.fill(1);
      this.future = true;
      this.flags |= SELECTOR_ALLCOMMANDS;
      this.rules = [];
      this.firstArgs = null;
    } else if (sameWord(op, 'nocommands') || sameWord(op, '-@all')) {
      this.allowed.fill(0);
      this.future = false;
      this.flags &= ~SELECTOR_ALLCOMMANDS;
      this.rules = [];
      this.firstArgs = null;
    } else if (op[0] === 126 /* ~ */ || op[0] === 37 /* % */) {
      this.addKeyPattern(op);
    } else if (op[0] === 38 /* & */) {
      if (this.flags & SELECTOR_ALLCHANNELS) throw new AclRuleError('EISDIR');
      const pat = op.subarray(1);
      if (hasSpaces(pat)) throw new AclRuleError('EINVAL');
      if (!this.channels.some((c) => c.equals(pat))) this.channels.push(Buffer.from(pat));
      this.flags &= ~SELECTOR_ALLCHANNELS;
    } else if (op[0] === 43 /* + */ && op[1] !== 64 /* @ */) {
      this.allowCommand(op.subarray(1).toString('latin1'));
    } else if (op[0] === 45 /* - */ && op[1] !== 64) {
      const cmd = this.commands.lookup(op.subarray(1).toString('latin1'));
      if (!cmd) throw new AclRuleError('ENOENT');
      this.changePerm(cmd, false);
      this.updateRules(fullNameOf(cmd), false);
    } else if ((op[0] === 43 || op[0] === 45) && op[1] === 64) {
      const category = op.subarray(2).toString('latin1');
      if (!isCategory(category)) throw new AclRuleError('ENOENT');
      const allow = op[0] === 43;
      this.updateRules(`@${category}`, allow);
      const cat = category.toLowerCase();
      for (const spec of this.commands.byId) {
        if (spec.parent !== undefined) continue;
        if (commandCategories(spec).includes(cat)) this.changePerm(spec, allow);
        for (const sub of this.commands.subcommands(spec)) if (commandCategories(sub).includes(cat)) this.changePerm(sub, allow);
      }
    } else {
      throw new AclRuleError('EINVAL');
    }
  }

  private addKeyPattern(op: Buffer): void {
    if (this.flags & SELECTOR_ALLKEYS) throw new AclRuleError('EEXIST');
    let flags = 0;
    let offset = 1;
    if (op[0] === 37) {
      // %R~, %W~, %RW~: the permissions, then '~' and the pattern (Redis's loop, quirks included:
      // "%R" alone gives an empty pattern).
      for (; offset < op.length; offset++) {
        const c = op[offset]! & ~32;
        if (c === 82 /* R */ && !(flags & KEY_READ)) flags |= KEY_READ;
        else if (c === 87 /* W */ && !(flags & KEY_WRITE)) flags |= KEY_WRITE;
        else if (op[offset] === 126 && flags) {
          offset++;
          break;
        } else throw new AclRuleError('EINVAL');
      }
      // "%" alone grants nothing: Redis's source would keep a pattern without permissions (and
      // then fail to describe it); its binaries answer a syntax error, as here (found by fuzzing).
      if (flags === 0) throw new AclRuleError('EINVAL');
    } else {
      flags = KEY_READ | KEY_WRITE;
    }
    const pat = op.subarray(offset);
    if (hasSpaces(pat)) throw new AclRuleError('EINVAL');
    const existing = this.patterns.find((p) => p.pattern.equals(pat));
    if (existing) existing.flags |= flags;
    else this.patterns.push({ pattern: Buffer.from(pat), flags });
    this.flags &= ~SELECTOR_ALLKEYS;
  }

  private allowCommand(name: string): void {
    const bar = name.lastIndexOf('|');
    if (bar < 0) {
      const cmd = this.commands.lookup(name);
      if (!cmd) throw new AclRuleError('ENOENT');
      this.changePerm(cmd, true);
      this.updateRules(fullNameOf(cmd), true);
      return;
    }
    const cmd = this.commands.lookup(name.slice(0, bar));
    const sub = name.slice(bar + 1);
    if (!cmd) throw new AclRuleError('ENOENT');
    if (cmd.parent !== undefined) throw new AclRuleError('ECHILD');
    // Redis accepts a first argument with spaces, but ACL LIST/SAVE then write a rule that does
    // not read back (found by fuzzing): refused, as a key pattern with spaces is.
    if (sub.length === 0 || hasSpaces(Buffer.from(sub, 'latin1'))) throw new AclRuleError('EINVAL');
    if (cmd.subcommands) {
      const subcmd = this.commands.lookup(name);
      if (!subcmd) throw new AclRuleError('ENOENT');
      this.changePerm(subcmd, true);
    } else {
      // SELECT|0 style: the command only with that first argument (deprecated in Redis, still
      // accepted).
      const id = this.commands.id(cmd);
      this.firstArgs ??= new Map();
      const list = this.firstArgs.get(id) ?? [];
      if (!list.some((a) => a.toLowerCase() === sub.toLowerCase())) list.push(sub);
      this.firstArgs.set(id, list);
    }
    this.updateRules(name, true);
  }

  /** Allows or denies a command and, for a container, all its subcommands (ACLChangeSelectorPerm). */
  private changePerm(spec: CommandSpec, allow: boolean): void {
    const id = this.commands.id(spec);
    this.setBit(id, allow);
    this.firstArgs?.delete(id);
    for (const sub of this.commands.subcommands(spec)) this.setBit(this.commands.id(sub), allow);
  }

  private setBit(id: number, allow: boolean): void {
    this.allowed[id] = allow ? 1 : 0;
    if (!allow) this.flags &= ~SELECTOR_ALLCOMMANDS;
  }

  /**
   * Keeps the rule list replayable (ACLUpdateCommandRules): an earlier rule for the same command
   * or category, or for one of the command's subcommands, is dropped and the new one appended.
   */
  private updateRules(rule: string, allow: boolean): void {
    const name = rule.toLowerCase();
    this.rules = this.rules.filter((r) => r.name !== name && !(r.name.startsWith(name) && r.name[name.length] === '|'));
    this.rules.push({ allow, name });
  }

  // ---- descriptions --------------------------------------------------------------------------

  /** The command rules: +@all or -@all, then the rules since (ACLDescribeSelectorCommandRules). */
  describeCommands(): string {
    let out = this.future ? '+@all' : '-@all';
    for (const r of this.rules) out += ` ${r.allow ? '+' : '-'}${r.name}`;
    return out;
  }

  /** One key pattern as written in a rule: ~p, %R~p or %W~p. */
  static patternText(p: KeyPattern): string {
    // "~*" would read back as allkeys, after which further patterns are refused: a pattern "*"
    // (from %RW~*) is written so that it reads back as itself (Redis writes ~*; found by fuzzing).
    const all = p.flags === (KEY_READ | KEY_WRITE);
    if (all && p.pattern.length === 1 && p.pattern[0] === 42) return '%RW~*';
    const prefix = all ? '~' : p.flags === KEY_READ ? '%R~' : '%W~';
    return prefix + p.pattern.toString('latin1');
  }

  /** Keys, channels and commands, as ACL LIST writes a selector (ACLDescribeSelector). */
  describe(): string {
    let out = '';
    if (this.flags & SELECTOR_ALLKEYS) out += '~* ';
    else for (const p of this.patterns) out += Selector.patternText(p) + ' ';
    if (this.flags & SELECTOR_ALLCHANNELS) out += '&* ';
    else {
      out += 'resetchannels ';
      for (const c of this.channels) out += `&${c.toString('latin1')} `;
    }
    return out + this.describeCommands();
  }

  // ---- checks --------------------------------------------------------------------------------

  /** Whether this selector allows a key with the given access (ACLSelectorCheckKey). */
  keyAllowed(key: Uint8Array, access: number): boolean {
    if (this.flags & SELECTOR_ALLKEYS) return true;
    for (const p of this.patterns) {
      if ((p.flags & access) !== access) continue;
      if (globMatch(p.pattern, key)) return true;
    }
    return false;
  }

  /**
   * Whether a channel (or, for PSUBSCRIBE, a pattern) is allowed: a channel is matched against
   * the allowed patterns, a pattern only literally (ACLCheckChannelAgainstList).
   */
  channelAllowed(channel: Uint8Array, isPattern: boolean): boolean {
    if (this.flags & SELECTOR_ALLCHANNELS) return true;
    for (const p of this.channels) {
      if (isPattern ? p.equals(channel) : globMatch(p, channel)) return true;
    }
    return false;
  }

  /** ACLSelectorCheckCmd: the command bit (or an allowed first argument), then keys, then channels. */
  check(spec: CommandSpec, argv: readonly Buffer[], keys: () => KeyRef[]): CheckResult {
    if (!(this.flags & SELECTOR_ALLCOMMANDS) && !spec.flags.includes('no_auth')) {
      const id = this.commands.id(spec);
      if (id < 0 || this.allowed[id] === 0) {
        const firsts = id < 0 ? undefined : this.firstArgs?.get(id);
        const idx = spec.parent !== undefined ? 2 : 1;
        if (!firsts || argv.length < 2 || idx >= argv.length) return { ok: false, reason: 'command', pos: 0 };
        const arg = argv[idx]!.toString('latin1').toLowerCase();
        if (!firsts.some((a) => a.toLowerCase() === arg)) return { ok: false, reason: 'command', pos: 0 };
      }
    }
    if (!(this.flags & SELECTOR_ALLKEYS)) {
      for (const k of keys()) {
        if (!this.keyAllowed(argv[k.pos]!, k.access)) return { ok: false, reason: 'key', pos: k.pos };
      }
    }
    if (!(this.flags & SELECTOR_ALLCHANNELS)) {
      for (const ch of channelRefs(spec, argv)) {
        if (!this.channelAllowed(argv[ch.pos]!, ch.pattern)) return { ok: false, reason: 'channel', pos: ch.pos };
      }
    }
    return OK;
  }
}

/** How ACL rules name a command: "get", "config|get", "VADD" (lower-cased by the rule list). */
export function fullNameOf(spec: CommandSpec): string {
  return spec.parent !== undefined ? `${spec.parent.toLowerCase()}|${spec.name.toLowerCase()}` : spec.name;
}

/**
 * Channels a command publishes or subscribes to (Redis checks those; unsubscribing needs no
 * permission): SUBSCRIBE/SSUBSCRIBE channels, PSUBSCRIBE patterns, PUBLISH/SPUBLISH's channel.
 */
export function channelRefs(spec: CommandSpec, argv: readonly Buffer[]): Array<{ pos: number; pattern: boolean }> {
  if (spec.parent !== undefined || !spec.flags.includes('pubsub')) return [];
  const out: Array<{ pos: number; pattern: boolean }> = [];
  switch (spec.name) {
    case 'subscribe':
    case 'ssubscribe':
    case 'psubscribe':
      for (let i = 1; i < argv.length; i++) out.push({ pos: i, pattern: spec.name === 'psubscribe' });
      break;
    case 'publish':
    case 'spublish':
      if (argv.length > 1) out.push({ pos: 1, pattern: false });
      break;
  }
  return out;
}
