/**
 * The server proper, once main.ts has the config: listen, load the dataset, start the search
 * pool. Loaded by main.ts after it may have booted the load's helper thread, so that thread
 * boots while these modules load.
 *
 * The port opens before the load, as in Redis: while the dataset loads, commands answer
 * `-LOADING Redis is loading the dataset in memory` (INFO, AUTH, HELLO, CONFIG … still run) and
 * INFO persistence shows `loading:1` and the progress, so that an orchestrator sees a live
 * process at once and a ready one when the load is done (persistence/load-steps.ts). The line
 * "Ready to accept connections" is logged when the load is done, as Redis logs it.
 */
import fs from 'node:fs';
import type { Config } from './server/config.js';
import { log } from './server/log.js';
import { Server, VSETD_VERSION } from './server/server.js';
import { Persistence, StartupLoadError } from './persistence/persistence.js';
import { SearchPool, MAX_SEARCH_THREADS } from './server/search-pool.js';
import type { PoolFront } from './server/pool-front.js';
import { onVectorSetReleased } from './vset/vector-set-value.js';
import { CheckHelper } from './image/check-helper.js';
import { PISCINA_SEARCH_WORKER_FILE, SEARCH_WORKER_FILE } from './worker-files.js';
import { loadUsersAtStartup } from './acl/file.js';
import { lifecycle } from './server/lifecycle.js';

export async function serve(config: Config): Promise<void> {
  const server = new Server(config);
  log.notice(`vsetd ${VSETD_VERSION} (Node ${process.version}) starting, pid=${process.pid}`);
  // Users of the config file, then the aclfile (Redis's ACLLoadUsersAtStartup).
  const aclFatal = loadUsersAtStartup(server.acl, config.userDirectives, config.get('aclfile'), (line) => log.notice(line));
  if (aclFatal !== null) {
    for (const line of aclFatal) log.warning(line);
    process.exit(1);
  }
  server.persistence = new Persistence(server);
  lifecycle.attach(server);
  // Loading from here on: what connects now is answered -LOADING until the dataset is in.
  server.loading = true;
  try {
    await server.listen();
    // prom-client loads only when the endpoint is wanted.
    if (config.int('metrics-port') > 0) {
      const { startMetrics } = await import('./server/metrics.js');
      await startMetrics(server);
      log.notice(`Metrics on port ${config.int('metrics-port')} (/metrics, /livez, /readyz)`);
    }
  } catch (e) {
    log.warning((e as Error).message);
    process.exit(1);
  }
  const pidfile = config.get('pidfile');
  if (pidfile !== '') fs.writeFileSync(pidfile, `${process.pid}\n`);
  try {
    await server.persistence.loadAtStartup();
  } catch (e) {
    if (!(e instanceof StartupLoadError)) throw e;
    log.warning(`Fatal error loading the dataset: ${e.message}`);
    log.warning('vsetd will not start on a partly loaded dataset. Fix or move the file named above and restart.');
    process.exit(1);
  }
  // A helper booted for a load that did not use it (a small file, say).
  CheckHelper.dropBooted();
  const threads = (): number => Math.min(config.int('search-threads'), MAX_SEARCH_THREADS);
  if (config.int('search-threads') > MAX_SEARCH_THREADS) {
    log.warning(`search-threads capped at ${MAX_SEARCH_THREADS} (concurrent searches per vector set are limited)`);
  }
  let pool: PoolFront;
  if (config.get('search-pool') === 'piscina') {
    // Loaded only when chosen: piscina is experimental here (src/server/search-pool.ts says why).
    const { PiscinaSearchPool } = await import('./server/search-pool-piscina.js');
    const atomics = config.get('search-pool-piscina-atomics') as 'sync' | 'async' | 'disabled';
    pool = new PiscinaSearchPool(PISCINA_SEARCH_WORKER_FILE, threads(), log, atomics);
  } else {
    pool = new SearchPool(SEARCH_WORKER_FILE, threads(), log);
  }
  server.searchPool = pool;
  server.infoProviders.set('searchpool', () => pool.infoLines());
  config.onChange('search-threads', () => pool.resize(threads()));
  server.shutdownHooks.push(() => pool.close());
  onVectorSetReleased((uid) => pool.release(uid));
  log.notice(`Search pool: ${pool.size} worker thread${pool.size === 1 ? '' : 's'} (${config.get('search-pool')})`);
  if (config.int('port') !== 0) log.notice(`Ready to accept connections tcp on port ${server.boundPort}`);
  if (server.boundTlsPort !== 0) log.notice(`Ready to accept connections tls on port ${server.boundTlsPort}`);
  server.replication.start();
}
