#!/usr/bin/env node
/**
 * vsetd entry point: `vsetd [configfile] [--name value …]`, like redis-server, plus `VSETD_<OPTION>`
 * environment variables (server/config-env.ts; arguments > config file > environment). Only the
 * config's modules load before the arguments are read: when a large dataset is to be loaded, its
 * helper thread boots first, while the rest of the server's modules load (serve.ts).
 */
import fs from 'node:fs';
import { Config, ConfigError, applyStartupOptions, parseCommandLine } from './server/config.js';
import { log } from './server/log.js';
import { VSETD_VERSION } from './server/version.js';
import { CheckHelper, helperWorthStarting } from './image/check-helper.js';
import { startupImage } from './persistence/startup-image.js';
import { environmentDirectives } from './server/config-env.js';
import { lifecycle } from './server/lifecycle.js';

function fatal(message: string): never {
  process.stderr.write(`\n*** FATAL CONFIG ERROR (vsetd ${VSETD_VERSION}) ***\n${message}\n`);
  process.exit(1);
}

/** Subcommands that talk to a running server instead of being one (src/tools/cli.ts). */
const TOOLS = new Set(['import-faiss', 'export', 'import']);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] !== undefined && TOOLS.has(args[0])) {
    // Loaded only here: a server start never pays for the tools' modules.
    const { runTool } = await import('./tools/cli.js');
    process.exitCode = await runTool(args);
    return;
  }
  if (args[0] === '-v' || args[0] === '--version') {
    process.stdout.write(`vsetd v=${VSETD_VERSION} node=${process.version}\n`);
    return;
  }
  if (args[0] === '-h' || args[0] === '--help') {
    process.stdout.write(
      'Usage: vsetd [/path/to/vsetd.conf] [--option value ...]\n       vsetd import-faiss|export|import ... (--help for each)\n\nExamples:\n  vsetd --port 6380 --dir ./data\n  vsetd /etc/vsetd.conf --loglevel verbose\n  vsetd import-faiss ./faiss_store --key docs --url redis://127.0.0.1:6379\n',
    );
    return;
  }
  // First, so that no signal is ignored during start-up (a container's process 1 has no default
  // action for SIGTERM).
  lifecycle.install();
  const config = new Config();
  let skipped: string[] = [];
  try {
    // The environment first: the config file and the arguments override it (config-env.ts).
    const env = environmentDirectives(process.env);
    skipped = env.skipped;
    applyStartupOptions(config, { configFile: '', directives: env.directives });
    applyStartupOptions(config, parseCommandLine(args, (p) => fs.readFileSync(p, 'utf8')));
  } catch (e) {
    if (e instanceof ConfigError) fatal(e.message);
    throw e;
  }
  log.level = config.get('loglevel') as typeof log.level;
  log.setFile(config.get('logfile'));
  for (const s of skipped) log.warning(s);

  const dir = config.get('dir');
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    fatal(`Can't create working directory '${dir}': ${(e as Error).message}`);
  }

  const image = startupImage(config);
  if (image !== null && helperWorthStarting(image.bytes)) CheckHelper.boot();
  const { serve } = await import('./serve.js');
  await serve(config);
}

main().catch((e: unknown) => {
  log.warning(`Fatal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});
