/**
 * The process's life under a supervisor (a container runtime, Kubernetes, systemd): the signals
 * that end it and the shutdown they start.
 *
 * SIGTERM or SIGINT (docker stop, a pod being deleted, Ctrl-C):
 *  1. stop accepting connections, and hold writes as CLIENT PAUSE WRITE does (reads still run,
 *     so a client waiting on a search is not cut off);
 *  2. wait until no command is in flight (searches on the pool) and every replica acknowledged
 *     the stream, at most `shutdown-timeout` seconds (Redis's option: it waits for lagging
 *     replicas this long);
 *  3. stop reading from clients, and wait for what is still in flight (same bound);
 *  4. save as configured — with asynchronous I/O, so that the event loop stays free to hear a
 *     second signal — fsync the AOF, close everything and exit 0.
 * Held writes never ran: their clients lose the connection without a reply, so nothing
 * acknowledged is missing from the final save. A second signal exits at once with code 1
 * ("You insist... exiting now.", as Redis on a second SIGINT), removing the temporary file of
 * the save under way. A signal during the start-up load ends it without saving, as in Redis.
 * When the final save fails, the server goes on serving, as Redis does, and says so.
 *
 * The handlers are installed by main.ts before anything else, so that a signal during start-up
 * is never ignored: a container's first process has no default action for SIGTERM.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from './server.js';
import { log } from './log.js';
import { tempPrefix } from '../persistence/temp-files.js';

/** How often the drain looks again (a server-side poll, not a client's wait). */
const DRAIN_POLL_MS = 10;
/** CLIENT PAUSE's timer must fit Node's; the shutdown ends the pause long before. */
const HOLD_WRITES_MS = 2 ** 31 - 1;

class Lifecycle {
  private server: Server | null = null;
  private signals = 0;

  /** Installs the SIGTERM and SIGINT handlers (once, first thing at start-up). */
  install(): void {
    process.on('SIGTERM', () => this.onSignal('SIGTERM'));
    process.on('SIGINT', () => this.onSignal('SIGINT'));
  }

  /** The server that a signal now shuts down (before this, a signal just exits). */
  attach(server: Server): void {
    this.server = server;
  }

  private onSignal(sig: string): void {
    this.signals++;
    const server = this.server;
    if (this.signals > 1) {
      log.warning('You insist... exiting now.');
      if (server !== null) removeTempFiles(server);
      process.exit(1);
    }
    if (server === null) {
      log.warning(`Received ${sig} scheduling shutdown...`);
      process.exit(0);
    }
    log.warning(server.loading ? 'Received shutdown signal during loading, scheduling shutdown.' : `Received ${sig} scheduling shutdown...`);
    void this.shutdown(server);
  }

  private async shutdown(server: Server): Promise<void> {
    const deadline = Date.now() + server.config.int('shutdown-timeout') * 1000;
    server.closeListeners();
    server.pauseClients(HOLD_WRITES_MS, true);
    if (!server.loading) {
      if (!server.replication.isReplica && server.replication.primary.links.size > 0) server.replication.primary.requestAcks();
      await drain(server, deadline, true);
      for (const c of server.clients.values()) if (c.replicationLink === null) c.socket.pause();
      await drain(server, deadline, false);
    }
    const error = await server.shutdown(null, { background: true });
    if (error === null) return;
    // The final save failed: Redis goes on serving rather than lose the data; so does vsetd.
    log.warning('Errors trying to shut down the server. Check the logs for more information.');
    this.signals = 0;
    for (const c of server.clients.values()) c.socket.resume();
    server.unpauseClients();
    try {
      await server.listen();
    } catch (e) {
      log.warning(`Could not listen again after the failed shutdown: ${(e as Error).message}`);
    }
  }
}

/** Commands of clients (not replication links) still waiting for their reply. */
function inFlight(server: Server): number {
  let n = 0;
  for (const c of server.clients.values()) if (c.replicationLink === null) n += c.pendingReplies;
  return n;
}

/** Replicas that have not acknowledged everything this primary sent. */
function laggingReplicas(server: Server): number {
  if (server.replication.isReplica) return 0;
  const offset = server.replication.offset;
  let n = 0;
  for (const link of server.replication.primary.links.values()) if (link.state === 'online' && link.ackOffset < offset) n++;
  return n;
}

/** Waits until nothing is in flight (and, with `replicas`, no replica lags), or the deadline. */
async function drain(server: Server, deadline: number, replicas: boolean): Promise<void> {
  let said = false;
  for (;;) {
    const commands = inFlight(server);
    const lagging = replicas ? laggingReplicas(server) : 0;
    if (commands === 0 && lagging === 0) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      log.warning(`Shutting down with ${commands} command(s) in flight and ${lagging} replica(s) behind (shutdown-timeout)`);
      return;
    }
    if (!said) {
      said = true;
      log.notice(`Waiting for ${commands} in-flight command(s) and ${lagging} lagging replica(s) before shutting down (at most ${Math.ceil(left / 1000)} s)`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(DRAIN_POLL_MS, left)));
  }
}

/** The temporary files of this process's saves (a forced exit leaves none behind). */
function removeTempFiles(server: Server): void {
  const dirs = [server.dataPath('.')];
  if (server.persistence !== null) dirs.push(server.persistence.aof.dir);
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (n.startsWith(tempPrefix())) fs.rmSync(path.join(dir, n), { force: true });
  }
}

export const lifecycle = new Lifecycle();
