/**
 * client-output-buffer-limit, as in Redis: per client class a hard limit (close at once when the
 * unsent output reaches it), a soft limit and a time (close when the output stays at or above the
 * soft limit for longer than that many seconds). 0 disables a limit.
 *
 * Why it matters here: a subscriber that stops reading while others publish would otherwise make
 * the server buffer without bound. A normal client's own replies are already bounded by pausing
 * its reads (client.ts), so its class defaults to no limit, as in Redis.
 */
import { ConfigError, parseMemory } from './config-values.js';
import type { Client } from './client.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';

export type LimitClass = 'normal' | 'slave' | 'pubsub';

export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export type OutputLimits = Record<LimitClass, OutputLimit>;

const CLASSES: readonly LimitClass[] = ['normal', 'slave', 'pubsub'];

/** CONFIG GET's form of Redis's defaults. */
export const DEFAULT_OUTPUT_LIMITS = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';

export function parseOutputLimits(canonical: string): OutputLimits {
  const w = canonical.split(' ');
  const out = {} as OutputLimits;
  for (let i = 0; i < w.length; i += 4) {
    out[w[i] as LimitClass] = { hard: Number(w[i + 1]), soft: Number(w[i + 2]), softSeconds: Number(w[i + 3]) };
  }
  return out;
}

function formatLimits(limits: OutputLimits): string {
  return CLASSES.map((k) => `${k} ${limits[k].hard} ${limits[k].soft} ${limits[k].softSeconds}`).join(' ');
}

/**
 * Applies `<class> <hard> <soft> <soft-seconds>` groups to the current setting and returns the
 * new canonical value. Classes not named keep their limits; any bad group rejects the whole
 * value (Redis's updateClientOutputBufferLimit, with its error texts).
 */
export function updateOutputLimits(words: readonly string[], current: string): string {
  // A single word holding several groups ("pubsub 32mb 8mb 60") is split, as Redis does for
  // multi-argument options given as one string (CONFIG SET, --option "…").
  const args = words.length === 1 ? words[0]!.trim().split(/\s+/).filter((x) => x !== '') : [...words];
  if (args.length % 4 !== 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
  const limits = parseOutputLimits(current);
  for (let i = 0; i < args.length; i += 4) {
    let cls = args[i]!.toLowerCase();
    if (cls === 'replica') cls = 'slave';
    if (!CLASSES.includes(cls as LimitClass)) throw new ConfigError('Invalid client class specified in buffer limit configuration.');
    const hard = parseMemory(args[i + 1]!);
    const soft = parseMemory(args[i + 2]!);
    const secondsText = args[i + 3]!;
    const seconds = /^-?\d+$/.test(secondsText) ? Number(secondsText) : NaN;
    if (!(hard >= 0) || !(soft >= 0) || !(seconds >= 0) || !Number.isSafeInteger(seconds)) {
      throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    limits[cls as LimitClass] = { hard, soft, softSeconds: seconds };
  }
  return formatLimits(limits);
}

/** Memory values as redis.conf writes them (CONFIG REWRITE): 1gb, 64mb, 16kb or plain bytes. */
export function formatMemory(bytes: number): string {
  const kb = 1024;
  const mb = kb * 1024;
  const gb = mb * 1024;
  if (bytes !== 0 && bytes % gb === 0) return `${bytes / gb}gb`;
  if (bytes !== 0 && bytes % mb === 0) return `${bytes / mb}mb`;
  if (bytes !== 0 && bytes % kb === 0) return `${bytes / kb}kb`;
  return String(bytes);
}

/** The lines CONFIG REWRITE writes for the option, one per class, each forced when not default. */
export function outputLimitLines(canonical: string): Array<{ line: string; force: boolean }> {
  const now = parseOutputLimits(canonical);
  const defaults = parseOutputLimits(DEFAULT_OUTPUT_LIMITS);
  return CLASSES.map((k) => {
    const l = now[k];
    const d = defaults[k];
    return {
      line: `client-output-buffer-limit ${k === 'slave' ? 'replica' : k} ${formatMemory(l.hard)} ${formatMemory(l.soft)} ${l.softSeconds}`,
      force: l.hard !== d.hard || l.soft !== d.soft || l.softSeconds !== d.softSeconds,
    };
  });
}

/** Per-client state of the soft limit: when the output first reached it (ms), or 0. */
export interface SoftLimitState {
  obufSoftSince: number;
}

/**
 * Whether a client with `used` bytes of unsent output must be closed now (Redis's
 * checkClientOutputBufferLimits): the hard limit reached, or the soft limit held for more than
 * its seconds. Updates the client's soft-limit clock.
 */
export function outputLimitReached(state: SoftLimitState, limit: OutputLimit, used: number, nowMs: number): boolean {
  const hard = limit.hard > 0 && used >= limit.hard;
  let soft = limit.soft > 0 && used >= limit.soft;
  if (soft) {
    if (state.obufSoftSince === 0) {
      state.obufSoftSince = nowMs;
      soft = false;
    } else if (Math.floor(nowMs / 1000) - Math.floor(state.obufSoftSince / 1000) <= limit.softSeconds) {
      soft = false;
    }
  } else {
    state.obufSoftSince = 0;
  }
  return hard || soft;
}

/** The start of a client's CLIENT LIST line, for the log line about closing it. */
function clientSummary(c: Client): string {
  return `id=${c.id} addr=${c.addr} laddr=${c.laddr} name=${c.name ? c.name.toString('latin1') : ''} age=${Math.floor((Date.now() - c.createdAt) / 1000)} flags=${c.flagString} omem=${c.outputBytes}`;
}

/** Applies client-output-buffer-limit to clients as their output grows (after pushes and flushes). */
export class OutputLimiter {
  private limits: OutputLimits;
  /** Clients closed for exceeding their limit (INFO client_output_buffer_limit_disconnections). */
  disconnections = 0;

  constructor(config: Config, private readonly log: Logger, private readonly close: (c: Client) => void) {
    this.limits = parseOutputLimits(config.get('client-output-buffer-limit'));
    config.onChange('client-output-buffer-limit', (v) => (this.limits = parseOutputLimits(v)));
  }

  /** Closes `c` when its unsent output is over its class's limit; returns whether it did. */
  closeIfOver(c: Client): boolean {
    if (c.closed) return false;
    const t = c.type;
    const limit = this.limits[t === 'replica' ? 'slave' : t === 'pubsub' ? 'pubsub' : 'normal'];
    if (limit.hard === 0 && limit.soft === 0) return false;
    const used = c.outputBytes;
    if (used === 0 && t !== 'replica') {
      c.obufSoftSince = 0;
      return false;
    }
    if (!outputLimitReached(c, limit, used, Date.now())) return false;
    this.disconnections++;
    this.log.warning(`Client ${clientSummary(c)} closed for overcoming of output buffer limits.`);
    this.close(c);
    return true;
  }
}
