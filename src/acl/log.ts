/**
 * ACL LOG: the security log of refused commands, keys, channels and failed authentications, as
 * Redis's addACLLogEntry keeps it. Newest first, at most `acllog-max-len` entries; a refusal like
 * one of the ten newest entries (same reason, context, object and user, within 60 s) bumps that
 * entry's count and moves it to the front instead of adding a new one.
 */
import type { ReplyWriter } from '../server/reply.js';

export type DenialReason = 'command' | 'key' | 'channel' | 'auth';
export type DenialContext = 'toplevel' | 'multi';

interface Entry {
  count: number;
  reason: DenialReason;
  context: DenialContext;
  object: Buffer;
  username: Buffer;
  /** Last update, ms. */
  ctime: number;
  clientInfo: string;
  entryId: number;
  created: number;
}

const GROUPING_MS = 60_000;

export class AclLog {
  private entries: Entry[] = [];
  private created = 0;
  /** INFO stats: acl_access_denied_* counters. */
  readonly denied: Record<DenialReason, number> = { command: 0, key: 0, channel: 0, auth: 0 };

  constructor(private readonly maxLen: () => number) {}

  add(reason: DenialReason, context: DenialContext, object: Buffer, username: Buffer, clientInfo: string): void {
    this.denied[reason]++;
    const max = this.maxLen();
    if (max === 0) {
      this.entries = [];
      return;
    }
    const now = Date.now();
    const scan = Math.min(10, this.entries.length);
    for (let i = 0; i < scan; i++) {
      const e = this.entries[i]!;
      if (e.reason !== reason || e.context !== context || Math.abs(e.ctime - now) > GROUPING_MS) continue;
      if (!e.object.equals(object) || !e.username.equals(username)) continue;
      this.entries.splice(i, 1);
      this.entries.unshift(e);
      e.clientInfo = clientInfo;
      e.ctime = now;
      e.count++;
      return;
    }
    this.entries.unshift({ count: 1, reason, context, object: Buffer.from(object), username: Buffer.from(username), ctime: now, clientInfo, entryId: this.created++, created: now });
    if (this.entries.length > max) this.entries.length = max;
  }

  reset(): void {
    this.entries = [];
  }

  /** CONFIG RESETSTAT: the acl_access_denied_* counters back to 0. */
  resetStats(): void {
    this.denied.command = this.denied.key = this.denied.channel = this.denied.auth = 0;
  }

  get length(): number {
    return this.entries.length;
  }

  /** ACL LOG [count]: maps of ten fields, as Redis replies them. */
  reply(r: ReplyWriter, count: number): void {
    const n = Math.min(Math.max(count, 0), this.entries.length);
    const now = Date.now();
    r.array(n);
    for (let i = 0; i < n; i++) {
      const e = this.entries[i]!;
      r.map(10);
      r.bulk('count');
      r.integer(e.count);
      r.bulk('reason');
      r.bulk(e.reason);
      r.bulk('context');
      r.bulk(e.context);
      r.bulk('object');
      r.bulk(e.object);
      r.bulk('username');
      r.bulk(e.username);
      r.bulk('age-seconds');
      r.double((now - e.ctime) / 1000);
      r.bulk('client-info');
      r.bulk(e.clientInfo);
      r.bulk('entry-id');
      r.integer(e.entryId);
      r.bulk('timestamp-created');
      r.integer(e.created);
      r.bulk('timestamp-last-updated');
      r.integer(e.ctime);
    }
  }
}
