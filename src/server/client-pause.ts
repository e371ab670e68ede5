/**
 * CLIENT PAUSE: until when commands are held, and which. A pause of writes holds every command
 * that may change data or reach replicas (and EXEC, which may hold such commands); a pause of
 * all holds everything but the commands that end the pause or the connection. As in Redis,
 * replicas and the link to this server's primary are never paused.
 */
import type { CommandSpec } from '../commands/types.js';
import { fullName } from '../commands/table.js';

/** Commands that run even while clients are paused. */
const NEVER_HELD = new Set(['client|unpause', 'quit', 'reset', 'ping', 'hello', 'auth']);

export class ClientPause {
  private state: { until: number; writesOnly: boolean } | null = null;
  private timer: NodeJS.Timeout | null = null;

  /** `onEnd` runs when a pause ends on its own, to resume the clients it held. */
  constructor(private readonly onEnd: () => void) {}

  get active(): boolean {
    return this.state !== null;
  }

  /** Whether only writes are paused (active expiry keeps running during a pause of all only). */
  get writesOnly(): boolean {
    return this.state !== null && this.state.writesOnly;
  }

  pause(ms: number, writesOnly: boolean): void {
    const until = Date.now() + ms;
    // A new pause extends but never shortens an existing one, and ALL wins over WRITE.
    if (this.state && this.state.until > until) {
      this.state.writesOnly = this.state.writesOnly && writesOnly;
    } else {
      this.state = { until, writesOnly: this.state ? this.state.writesOnly && writesOnly : writesOnly };
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.end();
      this.onEnd();
    }, Math.max(0, this.state.until - Date.now()));
  }

  end(): void {
    this.state = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Whether a command must wait for the pause to end. */
  holds(spec: CommandSpec): boolean {
    if (this.state === null) return false;
    const name = fullName(spec).toLowerCase();
    if (NEVER_HELD.has(name)) return false;
    if (!this.state.writesOnly) return true;
    return spec.flags.includes('write') || spec.flags.includes('may_replicate') || name === 'exec';
  }
}
