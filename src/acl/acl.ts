/**
 * The ACL state of a server: its users (the `default` user first among equals), who a client is,
 * the permission check every command passes before it runs, and the ACL log. As Redis's acl.c:
 *
 * - A new connection is the default user; it is authenticated at once when that user is on and
 *   nopass (no requirepass). `requirepass` sets the default user's password.
 * - A command runs when some selector of the user allows the command, every key it names with
 *   the access its key spec says (read for ACCESS, write for INSERT/UPDATE/DELETE), and every
 *   channel it publishes or subscribes to. A refusal is answered with NOPERM and logged.
 * - Changing or deleting a user affects connections at once: a deleted user's connections are
 *   closed, and subscribers whose channels a change revoked are closed too.
 */
import type { Client } from '../server/client.js';
import type { CommandSpec } from '../commands/types.js';
import { keyRefs, type KeyRef } from '../commands/key-specs.js';
import { clientInfoString } from '../server/client-info.js';
import { AclCommands, type CommandSource } from './commands.js';
import { AclLog, type DenialContext, type DenialReason } from './log.js';
import { AclRuleError, fullNameOf, hasSpaces, ruleErrorText, SELECTOR_ALLCHANNELS, type CheckResult } from './selector.js';
import { mergeSelectorArgs, User, type PubsubDefault } from './user.js';
import { globMatch } from '../server/glob.js';

/** What the ACL code needs from the server. */
export interface AclHost {
  readonly clients: Map<number, Client>;
  killClient(c: Client): void;
  config: { get(name: string): string; int(name: string): number };
}

/** Bytes of a user name or other latin1 string. */
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Redis's ordering of users (a radix tree): by bytes. */
function byName(a: User, b: User): number {
  return Buffer.compare(latin1(a.name), latin1(b.name));
}

export class Acl {
  readonly commands: AclCommands;
  readonly log: AclLog;
  users = new Map<string, User>();
  readonly defaultUser: User;

  constructor(table: CommandSource, private readonly host: AclHost) {
    this.commands = new AclCommands(table);
    this.log = new AclLog(() => host.config.int('acllog-max-len'));
    this.defaultUser = this.newUser('default');
    for (const r of ['+@all', '~*', '&*', 'on', 'nopass']) this.defaultUser.apply(latin1(r));
    this.users.set('default', this.defaultUser);
    this.setDefaultPassword(host.config.get('requirepass'));
  }

  newUser(name: string): User {
    return new User(name, this.commands, () => this.host.config.get('acl-pubsub-default') as PubsubDefault);
  }

  /** requirepass: the default user's only password, or nopass when empty (ACLUpdateDefaultUserPassword). */
  setDefaultPassword(password: string): void {
    this.defaultUser.apply(latin1('resetpass'));
    this.defaultUser.apply(password === '' ? latin1('nopass') : Buffer.concat([latin1('>'), Buffer.from(password)]));
  }

  /** Users in Redis's order (ACL LIST, ACL USERS, ACL SAVE). */
  sortedUsers(): User[] {
    return [...this.users.values()].sort(byName);
  }

  // ---- authentication ------------------------------------------------------------------------

  /** Whether a new connection starts authenticated: the default user is on and nopass. */
  get defaultAuthenticates(): boolean {
    return this.defaultUser.nopass && this.defaultUser.enabled;
  }

  /** Redis's authRequired: only while the default user needs a password, and until AUTH. */
  authRequired(c: Client): boolean {
    return (!this.defaultUser.nopass || !this.defaultUser.enabled) && !c.authenticated;
  }

  /** AUTH / HELLO AUTH: switches the client to the user, or logs the failure (reason auth). */
  authenticate(c: Client, username: Buffer, password: Buffer, commandName: Buffer): boolean {
    const u = this.users.get(username.toString('latin1'));
    if (u && u.checkPassword(password)) {
      c.authenticated = true;
      c.user = u;
      return true;
    }
    this.log.add('auth', c.multi ? 'multi' : 'toplevel', commandName, username, clientInfoString(c));
    return false;
  }

  /** Back to the default user, unauthenticated unless it needs no password (RESET). */
  resetClient(c: Client): void {
    c.user = this.defaultUser;
    c.authenticated = this.defaultAuthenticates;
  }

  // ---- permission checks ---------------------------------------------------------------------

  /**
   * Redis's ACLCheckAllUserCommandPerm: allowed if any selector allows it; otherwise the refusal
   * to report is a command refusal if no selector allowed the command, else the key or channel
   * refusal at the latest argument.
   */
  checkUser(u: User | null, spec: CommandSpec, argv: readonly Buffer[]): CheckResult {
    if (u === null || u.unrestricted) return { ok: true };
    let keys: KeyRef[] | null = null;
    const keysOf = (): KeyRef[] => (keys ??= keyRefs(spec, argv));
    let relevant: CheckResult = { ok: false, reason: 'command', pos: 0 };
    const rank = { command: 0, key: 1, channel: 2 } as const;
    for (const s of u.selectors) {
      const r = s.check(spec, argv, keysOf);
      if (r.ok) return r;
      if (relevant.ok) continue;
      if (rank[r.reason] > rank[relevant.reason] || (r.reason === relevant.reason && r.pos > relevant.pos)) relevant = r;
    }
    return relevant;
  }

  /** The NOPERM text for a refusal (getAclErrorMessage); verbose names the key or channel. */
  errorMessage(r: Exclude<CheckResult, { ok: true }>, u: User, spec: CommandSpec, argv: readonly Buffer[], verbose: boolean): string {
    switch (r.reason) {
      case 'command':
        return `User ${u.name} has no permissions to run the '${fullNameOf(spec)}' command`;
      case 'key':
        return verbose ? `User ${u.name} has no permissions to access the '${argv[r.pos]!.toString('latin1')}' key` : 'No permissions to access a key';
      case 'channel':
        return verbose ? `User ${u.name} has no permissions to access the '${argv[r.pos]!.toString('latin1')}' channel` : 'No permissions to access a channel';
    }
  }

  /** Logs a refusal of `c`'s command in the ACL log. */
  logDenial(c: Client, r: Exclude<CheckResult, { ok: true }>, spec: CommandSpec, argv: readonly Buffer[], context: DenialContext): void {
    const object = r.reason === 'command' ? latin1(fullNameOf(spec)) : argv[r.pos]!;
    this.log.add(r.reason as DenialReason, context, object, latin1(c.user!.name), clientInfoString(c));
  }

  /** The dispatcher's check: null when the command may run, else the NOPERM error (logged). */
  checkCommand(c: Client, spec: CommandSpec, argv: readonly Buffer[]): string | null {
    const u = c.user;
    if (u === null || u.unrestricted) return null;
    const r = this.checkUser(u, spec, argv);
    if (r.ok) return null;
    this.logDenial(c, r, spec, argv, c.multi ? 'multi' : 'toplevel');
    return `NOPERM ${this.errorMessage(r, u, spec, argv, false)}`;
  }

  /** EXEC checks each queued command again: the rules may have changed since it was queued. */
  recheckQueued(c: Client, spec: CommandSpec, argv: readonly Buffer[]): string | null {
    const u = c.user;
    if (u === null || u.unrestricted) return null;
    const r = this.checkUser(u, spec, argv);
    if (r.ok) return null;
    this.logDenial(c, r, spec, argv, 'multi');
    const why =
      r.reason === 'command'
        ? 'no permission to execute the command or subcommand'
        : r.reason === 'key'
          ? 'no permission to touch the specified keys'
          : 'no permission to access one of the channels used as arguments';
    return `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${why}`;
  }

  // ---- changing users ------------------------------------------------------------------------

  /**
   * ACL SETUSER: applies every rule to a copy and keeps it only if all of them were valid
   * (ACLStringSetUser). Returns Redis's error text, or null. `caller` is the client running the
   * command, closed only after its reply when the change revokes its own subscriptions.
   */
  setUser(name: string, ops: readonly Buffer[], caller: Client | null): string | null {
    const merged = mergeSelectorArgs(ops);
    if (!Array.isArray(merged)) return `Unmatched parenthesis in acl selector starting at '${ops[merged.unmatched]!.toString('latin1')}'.`;
    const existing = this.users.get(name);
    const temp = existing ? existing.clone() : this.newUser(name);
    for (const op of merged) {
      try {
        temp.apply(op);
      } catch (e) {
        if (!(e instanceof AclRuleError)) throw e;
        return `Error in ACL SETUSER modifier '${op.toString('latin1')}': ${e.message}`;
      }
    }
    if (existing) {
      this.closeRevokedSubscribers(existing, temp, caller);
      existing.copyFrom(temp);
    } else {
      this.users.set(name, temp);
    }
    return null;
  }

  /** ACL DELUSER: removes users and closes their connections; returns how many existed. */
  deleteUsers(names: readonly string[], caller: Client): number {
    let deleted = 0;
    for (const name of names) {
      const u = this.users.get(name);
      if (!u) continue;
      this.users.delete(name);
      deleted++;
      for (const c of [...this.host.clients.values()]) if (c.user === u) this.deauthenticateAndClose(c, caller);
    }
    return deleted;
  }

  /** A connection whose user went away: back to the default user and closed (after its reply if it asked). */
  private deauthenticateAndClose(c: Client, caller: Client | null): void {
    c.user = this.defaultUser;
    c.authenticated = false;
    if (c === caller) c.closing = true;
    else this.host.killClient(c);
  }

  /**
   * Closes the subscribers of `original` whose channels `updated` no longer allows (Redis's
   * ACLKillPubsubClientsIfNeeded): nothing to do when the new channel patterns cover the old.
   */
  private closeRevokedSubscribers(original: User, updated: User, caller: Client | null): void {
    const upcoming = upcomingChannels(updated, original);
    if (upcoming === null) return;
    for (const c of [...this.host.clients.values()]) {
      if (c.user !== original || !c.subscriptions.active) continue;
      if (revokes(c, upcoming)) this.deauthenticateAndClose(c, caller);
    }
  }

  /** ACL LOAD's swap: every client moves to the user of the same name, or is closed if none. */
  adoptUsers(users: Map<string, User>, caller: Client | null): void {
    const newDefault = users.get('default');
    if (newDefault) this.defaultUser.copyFrom(newDefault);
    else {
      const fresh = this.newUser('default');
      for (const r of ['+@all', '~*', '&*', 'on', 'nopass']) fresh.apply(latin1(r));
      this.defaultUser.copyFrom(fresh);
    }
    users.set('default', this.defaultUser);
    for (const c of [...this.host.clients.values()]) {
      if (c.user === null) continue;
      const next = users.get(c.user.name);
      if (!next) {
        this.deauthenticateAndClose(c, caller);
        continue;
      }
      const upcoming = next === this.defaultUser ? null : upcomingChannels(next, c.user);
      if (upcoming !== null && c.subscriptions.active && revokes(c, upcoming)) {
        this.deauthenticateAndClose(c, caller);
        continue;
      }
      c.user = next;
    }
    this.users = users;
  }
}

/**
 * The channel patterns of `updated`, or null when they allow all that `original` allowed (one
 * selector allows every channel, or every old pattern is still there).
 */
function upcomingChannels(updated: User, original: User): Buffer[] | null {
  if (updated.selectors.some((s) => s.flags & SELECTOR_ALLCHANNELS)) return null;
  const upcoming = updated.selectors.flatMap((s) => s.channels);
  const superset = original.selectors.every((s) => !(s.flags & SELECTOR_ALLCHANNELS) && s.channels.every((c) => upcoming.some((u) => u.equals(c))));
  return superset ? null : upcoming;
}

/** Whether a subscriber holds a subscription the channel patterns `upcoming` no longer allow. */
function revokes(c: Client, upcoming: readonly Buffer[]): boolean {
  const allowed = (name: string, isPattern: boolean): boolean => {
    const b = latin1(name);
    return upcoming.some((p) => (isPattern ? p.equals(b) : globMatch(p, b)));
  };
  for (const p of c.subscriptions.patterns) if (!allowed(p, true)) return true;
  for (const ch of c.subscriptions.channels) if (!allowed(ch, false)) return true;
  for (const ch of c.subscriptions.shard) if (!allowed(ch, false)) return true;
  return false;
}

/** Usernames may not hold spaces or NUL (ACL SETUSER, ACL files, `user` lines). */
export function validUsername(name: Buffer): boolean {
  return !hasSpaces(name);
}

export { ruleErrorText };
