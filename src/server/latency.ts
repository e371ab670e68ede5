/**
 * The latency monitor, as Redis's latency.c: with `latency-monitor-threshold` above 0, every
 * command that takes at least that many milliseconds adds a sample to its event ("command", or
 * "fast-command" for a command flagged fast). Each event keeps its last 160 samples, one per
 * second (a second's worst), and its all-time maximum. LATENCY LATEST, HISTORY and RESET read it.
 */
import type { ReplyWriter } from './reply.js';

const HISTORY_LEN = 160;

interface Series {
  samples: Array<{ time: number; latency: number }>;
  max: number;
}

export class LatencyMonitor {
  private readonly events = new Map<string, Series>();
  private threshold: number;

  constructor(config: { int(name: string): number; onChange(name: string, listener: () => void): void }) {
    this.threshold = config.int('latency-monitor-threshold');
    config.onChange('latency-monitor-threshold', () => (this.threshold = config.int('latency-monitor-threshold')));
  }

  /** latencyAddSampleIfNeeded: `ms` is the duration in whole milliseconds. */
  maybeAdd(event: string, ms: number): void {
    if (this.threshold > 0 && ms >= this.threshold) this.add(event, ms);
  }

  add(event: string, ms: number): void {
    let s = this.events.get(event);
    if (!s) {
      s = { samples: [], max: 0 };
      this.events.set(event, s);
    }
    if (ms > s.max) s.max = ms;
    const now = Math.floor(Date.now() / 1000);
    const last = s.samples[s.samples.length - 1];
    if (last && last.time === now) {
      if (ms > last.latency) last.latency = ms;
      return;
    }
    s.samples.push({ time: now, latency: ms });
    if (s.samples.length > HISTORY_LEN) s.samples.shift();
  }

  /** LATENCY RESET [event …]: how many events were cleared (all when none are named). */
  reset(names: readonly string[]): number {
    if (names.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const name of [...this.events.keys()]) {
      if (names.some((x) => x.toLowerCase() === name.toLowerCase())) {
        this.events.delete(name);
        n++;
      }
    }
    return n;
  }

  /** LATENCY LATEST: per event its name, the last sample's time and latency, and the maximum. */
  replyLatest(r: ReplyWriter): void {
    r.array(this.events.size);
    for (const [name, s] of this.events) {
      const last = s.samples[s.samples.length - 1]!;
      r.array(4);
      r.bulk(name);
      r.integer(last.time);
      r.integer(last.latency);
      r.integer(s.max);
    }
  }

  /** LATENCY HISTORY event: [time, latency] pairs, oldest first; empty for an unknown event. */
  replyHistory(r: ReplyWriter, event: string): void {
    const s = this.events.get(event);
    r.array(s ? s.samples.length : 0);
    for (const x of s?.samples ?? []) {
      r.array(2);
      r.integer(x.time);
      r.integer(x.latency);
    }
  }
}
