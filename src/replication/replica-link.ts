/**
 * One replica attached to this server, seen from the primary's side: the replica's own client
 * connection (which, from PSYNC on, carries only the replication stream), what the replica said
 * in its handshake (REPLCONF listening-port / ip-address / capa), where it is in its sync, and
 * the offset it last acknowledged (REPLCONF ACK).
 *
 * States, as Redis names them in INFO: `wait_bgsave` until its snapshot is being sent (stream
 * bytes from the snapshot's offset on are queued meanwhile), `send_bulk` while a snapshot file
 * is sent, `online` once the stream flows. After a streamed (EOF-marked) snapshot the stream
 * starts only when the replica's first ACK says it has loaded it, as in Redis.
 */
import type { Client } from '../server/client.js';

/** What the replica said before PSYNC (REPLCONF). */
export interface HandshakeInfo {
  listeningPort: number;
  /** REPLCONF ip-address (replica-announce-ip), or null: the peer address is used. */
  ip: string | null;
  capaEof: boolean;
  capaPsync2: boolean;
}

export type ReplicaState = 'wait_bgsave' | 'send_bulk' | 'online';

export class ReplicaLink {
  state: ReplicaState = 'wait_bgsave';
  /** Whether stream bytes are queued for it (a snapshot taken at `initialOffset` is on its way). */
  private accumulating = false;
  /** Whether stream bytes go straight to its socket. */
  private streaming = false;
  private queued: Buffer[] = [];
  queuedBytes = 0;
  /** When the queued bytes first reached the soft output limit (ms), or 0. */
  obufSoftSince = 0;
  initialOffset = -1;
  ackOffset = 0;
  ackTime = Date.now();
  /** Stream starts on the first ACK (after an EOF-marked snapshot). */
  startStreamOnAck = false;
  /** Waiting for its snapshot to start: newlines keep its link alive meanwhile. */
  needsKeepalive = true;

  constructor(
    readonly client: Client,
    readonly info: HandshakeInfo,
    /** Came with SYNC rather than PSYNC: no +FULLRESYNC line, no ACKs expected. */
    readonly prePsync: boolean,
  ) {}

  get alive(): boolean {
    return !this.client.closed && !this.client.closing;
  }

  /** "ip:port" as Redis names a replica in its log lines. */
  get name(): string {
    return `${this.ip}:${this.info.listeningPort}`;
  }

  /** The address the replica is reached at: the announced one, or its connection's peer. */
  get ip(): string {
    if (this.info.ip !== null) return this.info.ip;
    return (this.client.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  }

  /** The snapshot for this replica is taken now, at `offset`: queue the stream from here on. */
  beginAccumulating(offset: number): void {
    this.initialOffset = offset;
    this.accumulating = true;
    this.queued = [];
    this.queuedBytes = 0;
  }

  /** An online replica from a partial resync: the stream goes straight out. */
  goOnline(): void {
    this.state = 'online';
    this.streaming = true;
    this.needsKeepalive = false;
    this.ackTime = Date.now();
  }

  /**
   * Sends (or queues) stream bytes. The buffer must not change afterwards: it may be written
   * later, to several replicas. Returns the bytes queued, for the output limit.
   */
  send(bytes: Buffer): number {
    if (this.streaming) {
      this.client.socket.write(bytes);
      return 0;
    }
    if (!this.accumulating) return 0;
    this.queued.push(bytes);
    this.queuedBytes += bytes.length;
    return this.queuedBytes;
  }

  /** Writes raw bytes outside the stream (+FULLRESYNC, the snapshot, newlines). */
  write(bytes: Buffer | string): void {
    this.client.socket.write(bytes);
  }

  /** The whole snapshot was sent: online, the stream starting now or on the replica's ACK. */
  bulkDone(waitForAck: boolean): void {
    this.state = 'online';
    this.ackTime = Date.now();
    this.needsKeepalive = false;
    if (waitForAck) this.startStreamOnAck = true;
    else this.startStream();
  }

  /** The snapshot is out: from now on the stream flows, starting with what was queued. */
  startStream(): void {
    this.startStreamOnAck = false;
    this.streaming = true;
    const queued = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    if (queued.length > 0) this.client.socket.write(queued.length === 1 ? queued[0]! : Buffer.concat(queued));
  }
}
