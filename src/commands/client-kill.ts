/**
 * CLIENT KILL in both of Redis's forms, with its replies and errors (networking.c):
 *   CLIENT KILL <ip:port>                      → +OK, or "No such client"; may kill the caller
 *   CLIENT KILL <filter> <value> [...]        → the number killed; skips the caller by default
 * Filters: ID, TYPE normal|master|replica|slave|pubsub, ADDR, LADDR, USER, SKIPME yes|no,
 * MAXAGE. Sentinel relies on `CLIENT KILL TYPE normal` and `TYPE pubsub` during a failover, to
 * make clients reconnect and ask it for the new primary.
 */
import { isWord, parseInteger, ERR_SYNTAX } from './args.js';
import type { Client, ClientType } from '../server/client.js';
import type { User } from '../acl/user.js';

const TYPE_NAMES: ReadonlyMap<string, ClientType> = new Map([
  ['normal', 'normal'],
  ['master', 'master'],
  ['replica', 'replica'],
  ['slave', 'replica'],
  ['pubsub', 'pubsub'],
]);

/** A client type by its CLIENT KILL / CLIENT LIST name (case-insensitive), or null. */
export function clientTypeByName(name: Buffer): ClientType | null {
  return TYPE_NAMES.get(name.toString('latin1').toLowerCase()) ?? null;
}

interface KillFilter {
  addr: string | null;
  laddr: string | null;
  type: ClientType | null;
  id: number;
  maxAge: number;
  skipMe: boolean;
  user: User | null;
}

/** Parses the filters in order, replying the first error as Redis does; null after an error. */
function parseFilters(c: Client, argv: Buffer[]): KillFilter | null {
  const f: KillFilter = { addr: null, laddr: null, type: null, id: 0, maxAge: 0, skipMe: true, user: null };
  if (argv.length === 3) {
    // The old form names an address and may kill the calling connection itself.
    f.addr = argv[2]!.toString('latin1');
    f.skipMe = false;
    return f;
  }
  for (let i = 2; i < argv.length; i += 2) {
    const opt = argv[i]!;
    const val = argv[i + 1];
    if (val === undefined) {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
    if (isWord(opt, 'ID')) {
      const n = parseInteger(val);
      if (n === null || n < 1) {
        c.reply.error('ERR client-id should be greater than 0');
        return null;
      }
      f.id = n;
    } else if (isWord(opt, 'MAXAGE')) {
      const n = parseInteger(val);
      if (n === null) {
        c.reply.error('ERR maxage is not an integer or out of range');
        return null;
      }
      if (n <= 0) {
        c.reply.error('ERR maxage should be greater than 0');
        return null;
      }
      f.maxAge = n;
    } else if (isWord(opt, 'TYPE')) {
      f.type = clientTypeByName(val);
      if (f.type === null) {
        c.reply.error(`ERR Unknown client type '${val.toString('latin1')}'`);
        return null;
      }
    } else if (isWord(opt, 'ADDR')) {
      f.addr = val.toString('latin1');
    } else if (isWord(opt, 'LADDR')) {
      f.laddr = val.toString('latin1');
    } else if (isWord(opt, 'USER')) {
      f.user = c.server.acl.users.get(val.toString('latin1')) ?? null;
      if (f.user === null) {
        c.reply.error(`ERR No such user '${val.toString('latin1')}'`);
        return null;
      }
    } else if (isWord(opt, 'SKIPME')) {
      if (isWord(val, 'YES')) f.skipMe = true;
      else if (isWord(val, 'NO')) f.skipMe = false;
      else {
        c.reply.error(ERR_SYNTAX);
        return null;
      }
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return f;
}

function matches(f: KillFilter, caller: Client, other: Client, nowSec: number): boolean {
  if (f.addr !== null && other.addr !== f.addr) return false;
  if (f.laddr !== null && other.laddr !== f.laddr) return false;
  if (f.type !== null && other.type !== f.type) return false;
  if (f.user !== null && other.user !== f.user) return false;
  if (f.id !== 0 && other.id !== f.id) return false;
  if (other === caller && f.skipMe) return false;
  // Whole seconds, as Redis compares its clock in seconds with the client's creation second.
  if (f.maxAge !== 0 && nowSec - Math.floor(other.createdAt / 1000) < f.maxAge) return false;
  return true;
}

export function clientKill(c: Client, argv: Buffer[]): void {
  const f = parseFilters(c, argv);
  if (f === null) return;
  const server = c.server;
  const nowSec = Math.floor(Date.now() / 1000);
  let killed = 0;
  let killSelf = false;
  for (const other of [...server.clients.values()]) {
    if (!matches(f, c, other, nowSec)) continue;
    if (other === c) killSelf = true;
    else server.killClient(other);
    killed++;
  }
  if (argv.length === 3) {
    if (killed === 0) c.reply.error('ERR No such client');
    else c.reply.ok();
  } else {
    c.reply.integer(killed);
  }
  // The caller goes only after its reply is out (Redis's CLIENT_CLOSE_AFTER_REPLY).
  if (killSelf) c.closing = true;
}
