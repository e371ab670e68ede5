/**
 * Progress of a long operation — the start-up load, a save or AOF rewrite, an import — for INFO
 * and for the log: while it runs, a line every PROGRESS_LOG_MS with the share done, the rate and
 * the time left, in Redis's log format, so an operator watching a slow start sees it move
 * instead of a silent process. Operations shorter than that log nothing extra.
 */
import type { Logger } from '../server/log.js';

const PROGRESS_LOG_MS = 2000;
const MB = 1024 * 1024;

export class Progress {
  /** Unix ms when it began. */
  readonly startedAt = Date.now();
  /** Units done so far (bytes for a load, keys for a save), and the bytes for the rate. */
  done = 0;
  bytes = 0;
  private timer: NodeJS.Timeout | null = null;

  /**
   * `what` names it in the log ("Loading the dataset", "AOF rewrite"); `total` is in `unit`s, 0
   * when unknown.
   */
  constructor(
    readonly what: string,
    public total: number,
    readonly unit: 'bytes' | 'keys',
  ) {}

  /** Logs a line every PROGRESS_LOG_MS until stop(). */
  logTo(log: Logger): this {
    this.timer = setInterval(() => log.notice(this.line()), PROGRESS_LOG_MS);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Percent done, 0–100. */
  get percent(): number {
    return this.total > 0 ? Math.min(100, (this.done / this.total) * 100) : 0;
  }

  /** Seconds left, by Redis's formula for loading_eta_seconds (1 in the first second). */
  get etaSeconds(): number {
    const elapsed = Math.floor((Date.now() - this.startedAt) / 1000);
    if (elapsed === 0) return 1;
    const remaining = this.total > 0 ? Math.max(0, this.total - this.done) : 1;
    return Math.floor((elapsed * remaining) / (this.done + 1));
  }

  /** Bytes per second since the start. */
  get rate(): number {
    const s = (Date.now() - this.startedAt) / 1000;
    const bytes = this.unit === 'bytes' ? this.done : this.bytes;
    return s > 0 ? bytes / s : 0;
  }

  line(): string {
    const rate = `${(this.rate / MB).toFixed(1)} MB/s`;
    const amount =
      this.unit === 'bytes'
        ? `${(this.done / MB).toFixed(1)} of ${(this.total / MB).toFixed(1)} MB`
        : `${this.done} of ${this.total} keys, ${(this.bytes / MB).toFixed(1)} MB`;
    return `${this.what}: ${this.percent.toFixed(2)}% (${amount}, ${rate}, ETA ${this.etaSeconds} s)`;
  }
}
