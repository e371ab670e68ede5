/**
 * MONITOR: every command the server runs is copied, as one line, to the clients in monitor mode,
 * in Redis's format (replicationFeedMonitors):
 *
 *     +1700000000.123456 [0 127.0.0.1:52345] "VSIM" "points" "ELE" "pt:A"
 *
 * Administrative commands (ACL, CONFIG, DEBUG …) and those flagged skip_monitor are never shown,
 * and arguments a command marks as secret (AUTH's password, HELLO's AUTH pair) appear as
 * "(redacted)". Lines are queued on each monitor and flushed together after the current batch of
 * commands; a monitor that stops reading is closed by client-output-buffer-limit (class normal).
 */
import type { Client } from './client.js';

const REDACTED = Buffer.from('(redacted)');

/** A string as Redis's sdscatrepr quotes it. */
export function reprBytes(b: Uint8Array): string {
  let out = '"';
  for (const c of b) {
    if (c === 92) out += '\\\\';
    else if (c === 34) out += '\\"';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c >= 32 && c <= 126) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out + '"';
}

export class Monitors {
  readonly clients = new Set<Client>();
  private readonly toFlush = new Set<Client>();
  private flushScheduled = false;

  constructor(
    private readonly unixSocketPath: () => string,
    private readonly afterPush: (c: Client) => void,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  add(c: Client): void {
    this.clients.add(c);
    c.monitor = true;
  }

  delete(c: Client): void {
    this.clients.delete(c);
    this.toFlush.delete(c);
  }

  /** Copies one command of `from` (run in database `db`) to every monitor. */
  feed(from: Client, db: number, argv: readonly Buffer[]): void {
    if (this.clients.size === 0) return;
    // Wall-clock microseconds, as gettimeofday gives them.
    const now = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const sec = Math.floor(now / 1e6);
    const usec = String(now % 1e6).padStart(6, '0');
    const who = from.unixSocket ? `unix:${this.unixSocketPath()}` : from.addr;
    let line = `+${sec}.${usec} [${db} ${who}]`;
    for (let j = 0; j < argv.length; j++) line += ' ' + reprBytes(from.redacted?.has(j) ? REDACTED : argv[j]!);
    const bytes = Buffer.from(line + '\r\n', 'latin1');
    for (const m of this.clients) {
      if (m.closing || m.closed) continue;
      m.reply.raw(bytes, 0);
      this.toFlush.add(m);
      this.afterPush(m);
    }
    if (!this.flushScheduled && this.toFlush.size > 0) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        const list = [...this.toFlush];
        this.toFlush.clear();
        for (const m of list) if (!m.closed) m.flush();
      });
    }
  }
}
