#!/usr/bin/env node
/**
 * vsetd entry point: `vsetd [configfile] [--name value …]`, like redis-server.
 */
import fs from 'node:fs';
import { Config, ConfigError, applyStartupOptions, parseCommandLine } from './server/config.js';
import { log } from './server/log.js';
import { Server, VSETD_VERSION } from './server/server.js';
import { Persistence, StartupLoadError } from './persistence/persistence.js';
import { SearchPool, MAX_SEARCH_THREADS } from './server/search-pool.js';
import { onVectorSetReleased } from './vset/vector-set-value.js';

function fatal(message: string): never {
  process.stderr.write(`\n*** FATAL CONFIG ERROR (vsetd ${VSETD_VERSION}) ***\n${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '-v' || args[0] === '--version') {
    process.stdout.write(`vsetd v=${VSETD_VERSION} node=${process.version}\n`);
    return;
  }
  if (args[0] === '-h' || args[0] === '--help') {
    process.stdout.write('Usage: vsetd [/path/to/vsetd.conf] [--option value ...]\n\nExamples:\n  vsetd --port 6380 --dir ./data\n  vsetd /etc/vsetd.conf --loglevel verbose\n');
    return;
  }
  const config = new Config();
  try {
    applyStartupOptions(config, parseCommandLine(args, (p) => fs.readFileSync(p, 'utf8')));
  } catch (e) {
    if (e instanceof ConfigError) fatal(e.message);
    throw e;
  }
  log.level = config.get('loglevel') as typeof log.level;
  log.setFile(config.get('logfile'));

  const dir = config.get('dir');
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    fatal(`Can't create working directory '${dir}': ${(e as Error).message}`);
  }

  const server = new Server(config);
  log.notice(`vsetd ${VSETD_VERSION} (Node ${process.version}) starting, pid=${process.pid}`);
  server.persistence = new Persistence(server);
  try {
    server.persistence.loadAtStartup();
  } catch (e) {
    if (!(e instanceof StartupLoadError)) throw e;
    log.warning(`Fatal error loading the dataset: ${e.message}`);
    log.warning('vsetd will not start on a partly loaded dataset. Fix or move the file named above and restart.');
    process.exit(1);
  }
  const threads = (): number => Math.min(config.int('search-threads'), MAX_SEARCH_THREADS);
  if (config.int('search-threads') > MAX_SEARCH_THREADS) {
    log.warning(`search-threads capped at ${MAX_SEARCH_THREADS} (concurrent searches per vector set are limited)`);
  }
  const pool = new SearchPool(new URL('../workers/search-worker.js', import.meta.url), threads(), log);
  server.searchPool = pool;
  server.infoProviders.set('searchpool', () => pool.infoLines());
  config.onChange('search-threads', () => pool.resize(threads()));
  server.shutdownHooks.push(() => pool.close());
  onVectorSetReleased((uid) => pool.release(uid));
  log.notice(`Search pool: ${pool.size} worker thread${pool.size === 1 ? '' : 's'}`);
  try {
    await server.listen();
  } catch (e) {
    log.warning((e as Error).message);
    process.exit(1);
  }
  const pidfile = config.get('pidfile');
  if (pidfile !== '') fs.writeFileSync(pidfile, `${process.pid}\n`);
  log.notice(`Ready to accept connections tcp on port ${server.boundPort}`);

  const onSignal = (sig: string): void => {
    log.warning(`Received ${sig} scheduling shutdown...`);
    void server.shutdown(null);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

main().catch((e: unknown) => {
  log.warning(`Fatal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});
