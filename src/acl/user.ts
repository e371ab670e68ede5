/**
 * An ACL user: on/off, passwords (kept only as SHA-256 hex digests, as Redis keeps them),
 * nopass, and its selectors, the first being the root one. Rules apply as Redis's ACLSetUser;
 * a list of rules applies all or nothing (applyRules works on a copy).
 */
import crypto from 'node:crypto';
import { splitInlineArgs } from '../server/resp-reader.js';
import type { AclCommands } from './commands.js';
import { AclRuleError, Selector, SELECTOR_ALLCHANNELS, SELECTOR_ALLCOMMANDS, SELECTOR_ALLKEYS, SELECTOR_ROOT, sameWord } from './selector.js';

/** `acl-pubsub-default`: the channel permission a new user or selector starts with. */
export type PubsubDefault = 'resetchannels' | 'allchannels';

export function hashPassword(password: Uint8Array): string {
  return crypto.createHash('sha256').update(password).digest('hex');
}

/** A stored password hash: exactly 64 lowercase hexadecimal characters (ACLCheckPasswordHash). */
function validHash(b: Uint8Array): boolean {
  if (b.length !== 64) return false;
  for (const c of b) if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  return true;
}

export class User {
  enabled = false;
  nopass = false;
  /** RESTORE payload sanitization; vsetd always checks payloads, the flag is kept for ACL LIST. */
  skipSanitizePayload = false;
  passwords: string[] = [];
  selectors: Selector[];
  private description: string | null = null;

  constructor(
    readonly name: string,
    readonly commands: AclCommands,
    readonly pubsubDefault: () => PubsubDefault,
  ) {
    this.selectors = [this.newSelector(SELECTOR_ROOT)];
  }

  private newSelector(flags: number): Selector {
    return new Selector(this.commands, flags | (this.pubsubDefault() === 'allchannels' ? SELECTOR_ALLCHANNELS : 0));
  }

  get root(): Selector {
    return this.selectors[0]!;
  }

  /** The rules of `other`, name aside (ACLCopyUser). */
  copyFrom(other: User): void {
    this.enabled = other.enabled;
    this.nopass = other.nopass;
    this.skipSanitizePayload = other.skipSanitizePayload;
    this.passwords = [...other.passwords];
    this.selectors = other.selectors.map((s) => s.copy());
    this.description = null;
  }

  clone(name = this.name): User {
    const u = new User(name, this.commands, this.pubsubDefault);
    u.copyFrom(this);
    return u;
  }

  /** Root selector allows every command, key and channel: no check needed (the default user). */
  get unrestricted(): boolean {
    const all = SELECTOR_ALLCHANNELS | SELECTOR_ALLKEYS | SELECTOR_ALLCOMMANDS;
    return (this.root.flags & all) === all;
  }

  /** Applies one rule (ACLSetUser); throws AclRuleError. */
  apply(op: Buffer): void {
    this.description = null;
    if (op.length === 0) return;
    if (sameWord(op, 'on')) this.enabled = true;
    else if (sameWord(op, 'off')) this.enabled = false;
    else if (sameWord(op, 'skip-sanitize-payload')) this.skipSanitizePayload = true;
    else if (sameWord(op, 'sanitize-payload')) this.skipSanitizePayload = false;
    else if (sameWord(op, 'nopass')) {
      this.nopass = true;
      this.passwords = [];
    } else if (sameWord(op, 'resetpass')) {
      this.nopass = false;
      this.passwords = [];
    } else if (op[0] === 62 /* > */ || op[0] === 35 /* # */) {
      const rest = op.subarray(1);
      if (op[0] === 35 && !validHash(rest)) throw new AclRuleError('EBADMSG');
      const hash = op[0] === 62 ? hashPassword(rest) : rest.toString('latin1');
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.nopass = false;
    } else if (op[0] === 60 /* < */ || op[0] === 33 /* ! */) {
      const rest = op.subarray(1);
      if (op[0] === 33 && !validHash(rest)) throw new AclRuleError('EBADMSG');
      const hash = op[0] === 60 ? hashPassword(rest) : rest.toString('latin1');
      const at = this.passwords.indexOf(hash);
      if (at < 0) throw new AclRuleError('ENODEV');
      this.passwords.splice(at, 1);
    } else if (op[0] === 40 /* ( */ && op[op.length - 1] === 41 /* ) */) {
      // A selector: its rules are split as redis.conf words are (quotes allowed).
      const s = this.newSelector(0);
      const inner = op.subarray(1, op.length - 1);
      const words = splitInlineArgs(inner, 0, inner.length) ?? [];
      for (const w of words) {
        // A rule ending with ')' would end the selector early when ACL LIST / SAVE output is read
        // back (found by fuzzing; Redis accepts it): refused as a syntax error.
        if (w[w.length - 1] === 41) throw new AclRuleError('EINVAL');
        s.apply(w);
      }
      this.selectors.push(s);
    } else if (sameWord(op, 'clearselectors')) {
      this.selectors = [this.root];
    } else if (sameWord(op, 'reset')) {
      for (const r of ['resetpass', 'resetkeys', 'resetchannels']) this.apply(Buffer.from(r));
      if (this.pubsubDefault() === 'allchannels') this.apply(Buffer.from('allchannels'));
      for (const r of ['off', 'sanitize-payload', 'clearselectors', '-@all']) this.apply(Buffer.from(r));
    } else {
      this.root.apply(op);
    }
  }

  /** Flags, password hashes and selectors, as ACL LIST and ACL SAVE write them (ACLDescribeUser). */
  describe(): string {
    if (this.description !== null) return this.description;
    let out = this.enabled ? 'on ' : 'off ';
    if (this.nopass) out += 'nopass ';
    out += this.skipSanitizePayload ? 'skip-sanitize-payload ' : 'sanitize-payload ';
    for (const p of this.passwords) out += `#${p} `;
    out += this.root.describe();
    for (let i = 1; i < this.selectors.length; i++) out += ` (${this.selectors[i]!.describe()})`;
    this.description = out;
    return out;
  }

  /** ACL GETUSER's flags, in Redis's order. */
  flagNames(): string[] {
    const out = [this.enabled ? 'on' : 'off'];
    if (this.nopass) out.push('nopass');
    out.push(this.skipSanitizePayload ? 'skip-sanitize-payload' : 'sanitize-payload');
    return out;
  }

  /**
   * Whether `password` is one of the user's, comparing SHA-256 digests in constant time (and
   * all of them, so the time does not tell which one matched). A disabled user never matches;
   * a nopass user matches anything.
   */
  checkPassword(password: Uint8Array): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    const given = crypto.createHash('sha256').update(password).digest();
    let ok = false;
    for (const p of this.passwords) {
      if (crypto.timingSafeEqual(given, Buffer.from(p, 'hex'))) ok = true;
    }
    return ok;
  }
}

/**
 * Joins selector rules a client split over several arguments ("(~a" "+get)") into one, as
 * Redis's ACLMergeSelectorArguments; returns the index of an unclosed '(' instead on error.
 */
export function mergeSelectorArgs(ops: readonly Buffer[]): Buffer[] | { unmatched: number } {
  const out: Buffer[] = [];
  let open = -1;
  let parts: Buffer[] = [];
  for (let j = 0; j < ops.length; j++) {
    const op = ops[j]!;
    if (open === -1 && op[0] === 40 && op[op.length - 1] !== 41) {
      open = j;
      parts = [op];
      continue;
    }
    if (open !== -1) {
      parts.push(Buffer.from(' '), op);
      if (op[op.length - 1] === 41) {
        open = -1;
        out.push(Buffer.concat(parts));
      }
      continue;
    }
    out.push(op);
  }
  if (open !== -1) return { unmatched: open };
  return out;
}
