/**
 * Progress on stderr while `npm run bench` runs (it takes minutes even in quick mode): one
 * `\r`-redrawn bar per phase on a terminal; plain lines, a start and an end per phase, when
 * stderr is not a TTY (CI logs, redirects), where carriage returns would pile up as garbage.
 * stdout stays free for the benchmark's own log lines.
 */
export interface ProgressSink {
  isTTY?: boolean;
  write(s: string): boolean;
}

export class Progress {
  private phase = '';
  private total = 0;
  private started = 0;
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(private readonly out: ProgressSink = process.stderr) {
    this.tty = out.isTTY === true;
  }

  start(phase: string, total: number): void {
    if (this.phase !== '') this.end();
    this.phase = phase;
    this.total = Math.max(1, total);
    this.started = performance.now();
    this.lastDraw = 0;
    if (this.tty) this.draw(0, '');
    else this.out.write(`[bench] ${phase} …\n`);
  }

  /** `done` of `total` steps; redrawn at most ten times a second. */
  update(done: number, detail = ''): void {
    if (!this.tty || this.phase === '') return;
    const t = performance.now();
    if (t - this.lastDraw < 100 && done < this.total) return;
    this.lastDraw = t;
    this.draw(done, detail);
  }

  end(detail = ''): void {
    if (this.phase === '') return;
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    if (this.tty) {
      this.draw(this.total, detail);
      this.out.write(` ${secs} s\n`);
    } else this.out.write(`[bench] ${this.phase} done in ${secs} s${detail ? ` (${detail})` : ''}\n`);
    this.phase = '';
  }

  private draw(done: number, detail: string): void {
    const width = 24;
    const f = Math.min(1, Math.max(0, done / this.total));
    const filled = Math.round(f * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const text = `\r[${bar}] ${String(Math.round(f * 100)).padStart(3)}% ${this.phase}${detail ? ` — ${detail}` : ''}`;
    // Pad to wipe what a longer earlier line left on the terminal.
    this.out.write(text.padEnd(100).slice(0, 140));
  }
}
