/**
 * The replication history this server is part of, as Redis keeps it (replication.c):
 *
 * - `replid`: the id of the current history; `offset` (master_repl_offset): the number of stream
 *   bytes in it so far. A replica takes both from its primary, so a replica's offset is what it
 *   has applied of its primary's stream, byte for byte.
 * - `replid2` / `secondOffset`: the history this server followed before the current one, valid
 *   up to `secondOffset - 1`. A replica promoted with REPLICAOF NO ONE keeps its primary's id
 *   here, so the other replicas of that primary can PSYNC to it and continue (+CONTINUE) rather
 *   than load a whole snapshot.
 * - the backlog: the newest stream bytes, for those partial resynchronisations.
 */
import crypto from 'node:crypto';
import { Backlog } from './backlog.js';

export const NO_REPLID = '0'.repeat(40);

export function randomReplId(): string {
  return crypto.randomBytes(20).toString('hex');
}

export class ReplicationState {
  replid = randomReplId();
  replid2 = NO_REPLID;
  secondOffset = -1;
  offset = 0;
  backlog: Backlog | null = null;

  constructor(private readonly backlogSize: () => number) {}

  /** A new history (Redis's changeReplicationId). */
  changeId(): void {
    this.replid = randomReplId();
  }

  /** No past history to continue from (clearReplicationId2). */
  clearId2(): void {
    this.replid2 = NO_REPLID;
    this.secondOffset = -1;
  }

  /**
   * The current history becomes the past one, valid up to the bytes this server has, and a new
   * one begins (shiftReplicationId): used when a replica becomes a primary. A replica asking for
   * byte `offset + 1` of the old history has everything this server had, so it may continue.
   */
  shiftIds(): string {
    this.replid2 = this.replid;
    this.secondOffset = this.offset + 1;
    this.changeId();
    return `Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondOffset}. New replication ID is ${this.replid}`;
  }

  /** Adopts a primary's history after a full sync: its id, the offset the snapshot was taken at. */
  adopt(replid: string, offset: number): void {
    this.replid = replid;
    this.offset = offset;
    this.clearId2();
    this.backlog = new Backlog(this.backlogSize(), offset);
  }

  createBacklog(): void {
    this.backlog = new Backlog(this.backlogSize(), this.offset);
  }

  freeBacklog(): void {
    this.backlog = null;
  }

  /** Appends stream bytes: they count in the offset only while there is a backlog, as in Redis. */
  append(bytes: Uint8Array): void {
    if (this.backlog === null) return;
    this.backlog.append(bytes);
    this.offset += bytes.length;
  }

  /** Whether a replica asking for `offset` of history `replid` can continue from the backlog. */
  canContinue(replid: string, offset: number): 'yes' | 'id' | 'backlog' {
    const lc = replid.toLowerCase();
    if (lc !== this.replid && (lc !== this.replid2 || offset > this.secondOffset)) return 'id';
    if (this.backlog === null || !this.backlog.covers(offset)) return 'backlog';
    return 'yes';
  }
}
