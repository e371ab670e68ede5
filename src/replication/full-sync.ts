/**
 * Full synchronisation, the primary's side: a snapshot of the whole dataset in vsetd's own
 * snapshot format (persistence/snapshot.ts), sent as the PSYNC payload, after which the
 * replica gets the stream from the offset the snapshot was taken at.
 *
 * As in Redis, with `repl-diskless-sync yes` (the default) and a replica that announced
 * `capa eof`, the snapshot is encoded straight onto the replicas' sockets as
 * `$EOF:<40-byte mark>\r\n<bytes><mark>`; the start waits `repl-diskless-sync-delay` seconds so
 * that replicas arriving together share one snapshot (or until repl-diskless-sync-max-replicas
 * are waiting). Otherwise the snapshot is written to a temporary file first and sent as
 * `$<length>\r\n<bytes>`.
 *
 * The snapshot is a capture of the dataset (a copy of each value, taken between two commands,
 * as BGSAVE takes it); encoding and sending then proceed with asynchronous I/O while clients are
 * served and the stream queues up for the replica (replica-link.ts). Sending waits for each
 * replica's socket to drain, so a slow replica holds only its own transfer's buffers.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type net from 'node:net';
import type { Server } from '../server/server.js';
import { VSETD_VERSION } from '../server/version.js';
import { captureDataset, encodeDataset, writeSnapshotAsync, type CapturedDataset } from '../persistence/snapshot.js';
import type { ReplicaLink } from './replica-link.js';
import type { ReplicationState } from './state.js';
import type { PrimarySide } from './primary.js';

/** Unsent bytes a replica's socket may hold before the transfer waits for it to drain. */
const HIGH_WATER = 8 * 1024 * 1024;
/** Bytes sent between two yields to the event loop, so clients are served during a transfer. */
const YIELD_EVERY = 4 * 1024 * 1024;
const FILE_CHUNK = 1024 * 1024;

interface Job {
  diskless: boolean;
  links: ReplicaLink[];
  since: number;
}

function drained(socket: net.Socket): Promise<void> {
  if (socket.destroyed || socket.writableLength <= HIGH_WATER) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class FullSyncs {
  /** A diskless job waiting for its delay, which replicas that arrive meanwhile join. */
  private waiting: Job | null = null;
  private fileSeq = 0;

  constructor(
    private readonly server: Server,
    private readonly state: ReplicationState,
    private readonly primary: PrimarySide,
  ) {}

  request(link: ReplicaLink): void {
    const config = this.server.config;
    const diskless = config.bool('repl-diskless-sync') && link.info.capaEof;
    if (this.waiting !== null && this.waiting.diskless === diskless) {
      this.waiting.links.push(link);
      this.cron();
      return;
    }
    const job: Job = { diskless, links: [link], since: Date.now() };
    if (diskless && config.int('repl-diskless-sync-delay') > 0 && this.waiting === null) {
      this.server.log.notice('Delay next BGSAVE for diskless SYNC');
      this.waiting = job;
      this.cron();
      return;
    }
    this.start(job);
  }

  /** Starts the waiting job once its delay passed or enough replicas are waiting. */
  cron(): void {
    const job = this.waiting;
    if (job === null) return;
    job.links = job.links.filter((l) => l.alive);
    const config = this.server.config;
    const max = config.int('repl-diskless-sync-max-replicas');
    if (job.links.length === 0) {
      this.waiting = null;
    } else if (Date.now() - job.since >= config.int('repl-diskless-sync-delay') * 1000 || (max > 0 && job.links.length >= max)) {
      this.waiting = null;
      this.start(job);
    }
  }

  private start(job: Job): void {
    const links = job.links.filter((l) => l.alive);
    if (links.length === 0) return;
    const offset = this.state.offset;
    // The stream after a snapshot must begin with a SELECT: the replica's database is unknown.
    this.primary.selDb = -1;
    for (const l of links) {
      l.beginAccumulating(offset);
      if (!l.prePsync) l.write(`+FULLRESYNC ${this.state.replid} ${offset}\r\n`);
    }
    this.server.log.notice(`Starting BGSAVE for SYNC with target: ${job.diskless ? 'replicas sockets' : 'disk'}`);
    const ds = captureDataset(this.server.keyspace, [
      ['vsetd-ver', VSETD_VERSION],
      ['ctime', String(Math.floor(Date.now() / 1000))],
      ['repl-id', this.state.replid],
      ['repl-offset', String(offset)],
    ]);
    const run = job.diskless ? this.streamTo(links, ds) : this.viaDisk(links, ds);
    run.catch((e: unknown) => {
      this.server.log.warning(`Full sync failed: ${(e as Error).message}`);
      for (const l of links) if (l.state !== 'online') this.server.killClient(l.client);
    });
  }

  /** Encodes the snapshot onto the replicas' sockets, framed by an end mark. */
  private async streamTo(links: ReplicaLink[], ds: CapturedDataset): Promise<void> {
    const mark = crypto.randomBytes(20).toString('hex');
    for (const l of links) {
      l.needsKeepalive = false;
      l.write(`$EOF:${mark}\r\n`);
    }
    const t0 = performance.now();
    let bytes = 0;
    let sinceYield = 0;
    for (const chunk of encodeDataset(ds)) {
      const live = links.filter((l) => l.alive);
      if (live.length === 0) return;
      for (const l of live) l.client.socket.write(chunk);
      bytes += chunk.length;
      sinceYield += chunk.length;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await turn();
        for (const l of live) await drained(l.client.socket);
      }
    }
    const ms = performance.now() - t0;
    for (const l of links) {
      if (!l.alive) continue;
      l.write(mark);
      l.bulkDone(true);
      this.server.log.notice(`Streamed a snapshot of ${bytes} bytes to replica ${l.name} in ${ms.toFixed(0)} ms; the stream starts on its ACK`);
    }
  }

  /** Writes the snapshot to a temporary file, then sends that file to each replica. */
  private async viaDisk(links: ReplicaLink[], ds: CapturedDataset): Promise<void> {
    const file = this.server.dataPath(`temp-repl-${process.pid}-${++this.fileSeq}.vsdb`);
    try {
      const size = await writeSnapshotAsync(file, ds);
      this.server.log.notice(`Background saving for SYNC terminated with success (${size} bytes)`);
      await Promise.all(links.filter((l) => l.alive).map((l) => this.sendFile(l, file, size)));
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  private async sendFile(link: ReplicaLink, file: string, size: number): Promise<void> {
    link.state = 'send_bulk';
    link.needsKeepalive = false;
    link.write(`$${size}\r\n`);
    const fh = await fs.promises.open(file, 'r');
    try {
      let pos = 0;
      while (pos < size && link.alive) {
        // A fresh buffer per read: the socket keeps it until written.
        const buf = Buffer.allocUnsafe(Math.min(FILE_CHUNK, size - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) throw new Error(`the snapshot file for SYNC is shorter than its ${size} bytes`);
        link.write(buf.subarray(0, bytesRead));
        pos += bytesRead;
        await drained(link.client.socket);
      }
    } finally {
      await fh.close();
    }
    if (!link.alive) return;
    link.bulkDone(false);
    this.server.log.notice(`Synchronization with replica ${link.name} succeeded`);
  }
}
