/**
 * Propagation: every write that changed data leaves the server as a command, in execution order,
 * towards two targets — the AOF and the replicas (Redis's PROPAGATE_AOF and PROPAGATE_REPL).
 * Most commands go to both; PUBLISH goes to replicas only, as in Redis, whose AOF never holds
 * messages (they are not data) while its replicas must deliver them to their own subscribers.
 *
 * The writes of one EXEC are wrapped in MULTI … EXEC on each target that receives any of them,
 * so neither a crash (AOF) nor a cut link (replica) can leave half a transaction applied. The
 * MULTI carries the database of the first write; the EXEC carries db -1 (no database).
 */

/** Propagation targets, combinable as a bit mask. */
export const TO_AOF = 1;
export const TO_REPLICAS = 2;
export const TO_ALL = TO_AOF | TO_REPLICAS;

/** Receives the commands propagated to its target. */
export type PropagationListener = (db: number, argv: Buffer[]) => void;

const MULTI = Buffer.from('MULTI');
const EXEC = Buffer.from('EXEC');

export class Propagator {
  private readonly listeners: Array<{ target: number; listener: PropagationListener }> = [];
  private transactionDepth = 0;
  /** Targets that received the MULTI of the transaction now running. */
  private opened = 0;

  on(listener: PropagationListener, target: number): void {
    this.listeners.push({ target, listener });
  }

  propagate(db: number, argv: Buffer[], targets: number): void {
    if (this.transactionDepth > 0) {
      // The first write of EXEC towards a target opens the MULTI block there.
      const toOpen = targets & ~this.opened;
      if (toOpen !== 0) {
        this.opened |= toOpen;
        this.emit(db, [MULTI], toOpen);
      }
    }
    this.emit(db, argv, targets);
  }

  /** EXEC brackets its commands so the writes they propagate are wrapped in MULTI … EXEC. */
  begin(): void {
    if (this.transactionDepth++ === 0) this.opened = 0;
  }

  end(): void {
    if (--this.transactionDepth === 0 && this.opened !== 0) {
      const targets = this.opened;
      this.opened = 0;
      this.emit(-1, [EXEC], targets);
    }
  }

  private emit(db: number, argv: Buffer[], targets: number): void {
    for (const l of this.listeners) if ((l.target & targets) !== 0) l.listener(db, argv);
  }
}
