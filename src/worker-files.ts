// The compiled entry files of the worker threads. Both are named from this module, which lives in
// dist/src/ both as tsc writes it and inside the bundled server (scripts/bundle.mjs writes
// dist/src/main.js), so the same relative URL is right in both. Run from the TypeScript sources
// (unit tests), the URLs name files that do not exist, and callers fall back (see their checks).
export const SEARCH_WORKER_FILE = new URL('../workers/search-worker.js', import.meta.url);
export const CHECK_WORKER_FILE = new URL('../workers/check-worker.js', import.meta.url);
export const PISCINA_SEARCH_WORKER_FILE = new URL('../workers/search-worker-piscina.js', import.meta.url);
