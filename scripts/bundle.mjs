#!/usr/bin/env node
// Bundles the compiled server (after tsc) so that a start loads a few files instead of ~70 ES
// modules: on this project's 2-core VMs, importing the server's modules one by one took 76–115 ms
// of a 231 ms start with nothing to load; bundled, a start takes about 90 ms less.
//
// What it writes, over tsc's output in dist/:
//  - dist/src/main.js: the entry, with the server proper (serve.ts, loaded with a dynamic import
//    so that a load's helper thread boots first, see main.ts) split into a chunk beside it, and
//    the metrics endpoint with prom-client (server/metrics.ts, imported only with metrics-port)
//    in a chunk of its own;
//  - dist/workers/search-worker.js and check-worker.js: each worker thread as one file;
//    search-worker-piscina.js too, with piscina left in node_modules (its worker loop loads it
//    from there, and move() must mark the reply with that instance's symbol).
// Everything else tsc wrote stays as it was (unit tests and worker tests import those modules).
// Worker files are named from src/worker-files.ts relative to dist/src/, which is where both the
// unbundled module and the bundle's chunks live, so the same URLs hold in both.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const BANNER = '// vsetd bundle (scripts/bundle.mjs)';
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: true, allowOverwrite: true, logLevel: 'warning', banner: { js: BANNER } };

// The bundles overwrite their own inputs: run again without tsc in between, there is nothing to
// do (and the chunks the entry imports must not be deleted).
const bundled = (file) => readFileSync(path.join(dist, file), 'utf8').includes(BANNER);
if (['src/main.js', 'workers/search-worker.js', 'workers/check-worker.js', 'workers/search-worker-piscina.js'].every(bundled)) process.exit(0);

// Chunks of an earlier bundle: their names carry a content hash, so they would pile up.
for (const f of readdirSync(path.join(dist, 'src'))) if (/^(chunk|serve|cli|metrics|search-pool-piscina)-[A-Z0-9]+\.js(\.map)?$/.test(f)) rmSync(path.join(dist, 'src', f));

// Runtime dependencies stay in node_modules (npm ci installs them): msgpackr loads its optional
// native accelerator there when present, which a bundle would cut it off from. redis-parser (the
// replica's reader of its primary's stream) is the exception: it is CommonJS that requires Node's
// built-ins ('buffer', 'string_decoder'); esbuild bundles it, and its ESM output then needs a
// `require` to hand those requires to, which each file of the server's bundle gets from
// createRequire.
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {}).filter((d) => d !== 'redis-parser');
const withRequire = `${BANNER}\nimport { createRequire as __vsetdCreateRequire } from 'node:module';\nconst require = __vsetdCreateRequire(import.meta.url);`;
await build({ ...common, banner: { js: withRequire }, entryPoints: [path.join(dist, 'src/main.js')], outdir: path.join(dist, 'src'), splitting: true, external });
await build({
  ...common,
  entryPoints: [path.join(dist, 'workers/search-worker.js'), path.join(dist, 'workers/check-worker.js')],
  outdir: path.join(dist, 'workers'),
});
await build({ ...common, entryPoints: [path.join(dist, 'workers/search-worker-piscina.js')], outdir: path.join(dist, 'workers'), external: ['piscina'] });
