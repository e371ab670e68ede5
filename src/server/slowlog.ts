/**
 * The slow log, as Redis's slowlog.c: the newest `slowlog-max-len` commands that ran at least
 * `slowlog-log-slower-than` microseconds (negative: off; 0: every command), each with an id, the
 * Unix time, the duration, its arguments (at most 32, each cut to 128 bytes, as Redis cuts them;
 * passwords shown as "(redacted)"), the client's address and name.
 *
 * The duration is the time the command held the main thread: for a VSIM handed to a worker it is
 * the hand-off, as Redis counts the main-thread time of its threaded VSIM.
 */
import type { ReplyWriter } from './reply.js';

const MAX_ARGC = 32;
const MAX_STRING = 128;
const REDACTED = Buffer.from('(redacted)');

interface Entry {
  id: number;
  time: number;
  durationUs: number;
  argv: Buffer[];
  peer: string;
  name: Buffer;
}

/** Arguments as a log keeps them: copies, cut to size, redacted ones replaced (slowlogCreateEntry). */
export function loggedArgs(argv: readonly Buffer[], redacted: ReadonlySet<number> | null): Buffer[] {
  const argc = Math.min(argv.length, MAX_ARGC);
  const out: Buffer[] = [];
  for (let j = 0; j < argc; j++) {
    if (argc !== argv.length && j === argc - 1) {
      out.push(Buffer.from(`... (${argv.length - argc + 1} more arguments)`));
    } else if (redacted?.has(j)) {
      out.push(REDACTED);
    } else if (argv[j]!.length > MAX_STRING) {
      out.push(Buffer.concat([argv[j]!.subarray(0, MAX_STRING), Buffer.from(`... (${argv[j]!.length - MAX_STRING} more bytes)`)]));
    } else {
      out.push(Buffer.from(argv[j]!));
    }
  }
  return out;
}

/** The options a slow log reads, kept current without a lookup per command. */
interface SlowLogConfig {
  int(name: string): number;
  onChange(name: string, listener: () => void): void;
}

export class SlowLog {
  private entries: Entry[] = [];
  private nextId = 0;
  private threshold: number;
  private max: number;

  constructor(config: SlowLogConfig) {
    this.threshold = config.int('slowlog-log-slower-than');
    this.max = config.int('slowlog-max-len');
    config.onChange('slowlog-log-slower-than', () => (this.threshold = config.int('slowlog-log-slower-than')));
    config.onChange('slowlog-max-len', () => (this.max = config.int('slowlog-max-len')));
  }

  /** Records a command if it was slow enough (slowlogPushEntryIfNeeded). */
  maybeAdd(durationUs: number, argv: readonly Buffer[], redacted: ReadonlySet<number> | null, peer: string, name: Buffer | null): void {
    const threshold = this.threshold;
    const max = this.max;
    if (threshold < 0 || max === 0) return;
    if (durationUs >= threshold) {
      this.entries.unshift({ id: this.nextId++, time: Math.floor(Date.now() / 1000), durationUs: Math.floor(durationUs), argv: loggedArgs(argv, redacted), peer, name: name ? Buffer.from(name) : Buffer.alloc(0) });
    }
    if (this.entries.length > max) this.entries.length = max;
  }

  get length(): number {
    return this.entries.length;
  }

  reset(): void {
    this.entries = [];
  }

  /** SLOWLOG GET [count]: newest first, six fields each. */
  reply(r: ReplyWriter, count: number): void {
    const n = count < 0 ? this.entries.length : Math.min(count, this.entries.length);
    r.array(n);
    for (let i = 0; i < n; i++) {
      const e = this.entries[i]!;
      r.array(6);
      r.integer(e.id);
      r.integer(e.time);
      r.integer(e.durationUs);
      r.bulkArray(e.argv);
      r.bulk(e.peer);
      r.bulk(e.name);
    }
  }
}
