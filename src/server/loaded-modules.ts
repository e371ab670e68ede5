/**
 * The modules a Redis 8 server with vector sets and the query engine would report (MODULE LIST,
 * INFO modules). Clients decide from this list whether a server can do what they need:
 * LangChain's Redis vector store requires `search` at version 20600 or later, redisvl checks the
 * same list. vsetd serves both families itself; no module file is loaded.
 */
import { VERSION } from './version.js';
import type { ReplyWriter } from './reply.js';

export interface LoadedModule {
  name: string;
  /** As RedisModule_Init received it: major·10000 + minor·100 + patch for Redis's own modules. */
  ver: number;
  path: string;
  args: string[];
}

/** Redis's module version numbering for a dotted version: "8.2.0" → 80200. */
function moduleVersion(dotted: string): number {
  const [major = 0, minor = 0, patch = 0] = dotted.split('.').map(Number);
  return major * 10000 + minor * 100 + patch;
}

/**
 * Vector sets are built into Redis 8 (registered with version 1 and no file, hence an empty
 * path); the query engine ships with the release it belongs to, so its version follows the Redis
 * version vsetd answers as (8.2.0 → 80200).
 */
export const LOADED_MODULES: readonly LoadedModule[] = [
  { name: 'vectorset', ver: 1, path: '', args: [] },
  { name: 'search', ver: moduleVersion(VERSION), path: '/usr/local/lib/redis/modules/redisearch.so', args: [] },
];

/**
 * addReplyLoadedModules (MODULE LIST, HELLO's `modules`): an array of maps (flat arrays in RESP2)
 * of name, ver, path, args.
 */
export function replyLoadedModules(r: ReplyWriter): void {
  r.array(LOADED_MODULES.length);
  for (const m of LOADED_MODULES) {
    r.map(4);
    r.bulk('name');
    r.bulk(m.name);
    r.bulk('ver');
    r.integer(m.ver);
    r.bulk('path');
    r.bulk(m.path);
    r.bulk('args');
    r.bulkArray(m.args);
  }
}

