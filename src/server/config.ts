/**
 * Server configuration: one table of options shared by the command line (`--port 6380`), the
 * config file (redis.conf syntax) and CONFIG GET/SET, so a name means the same thing everywhere.
 *
 * Each option keeps its value in canonical text form (what CONFIG GET shows: memory sizes in bytes,
 * booleans as yes/no) and typed accessors read it. Listeners let the subsystems that own an option
 * (the worker pool, persistence) react to CONFIG SET.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { splitInlineArgs } from './resp-reader.js';
import { ConfigError, parseMemory } from './config-values.js';
import { DEFAULT_OUTPUT_LIMITS, updateOutputLimits } from './output-limits.js';
import { globMatch } from './glob.js';
import { checkUserDirective, type UserDirective } from '../acl/file.js';

export { globMatch };

export { ConfigError, parseMemory };

export type OptionKind = 'bool' | 'int' | 'octal' | 'memory' | 'string' | 'enum' | 'save' | 'bind' | 'obuf' | 'replicaof';

export interface OptionSpec {
  name: string;
  /** Older names the option also answers to (Redis's `slave-*` spellings), as Redis's aliases. */
  aliases?: readonly string[];
  kind: OptionKind;
  default: string;
  mutable: boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
  /** Extra check on the canonical value; returns an error text or null. */
  check?: (value: string) => string | null;
}

const INT_MAX = 2 ** 31 - 1;
const LLONG_MAX_SAFE = Number.MAX_SAFE_INTEGER;

function defaultSearchThreads(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, n);
}

/** tls-protocols: a space-separated choice of TLSv1 … TLSv1.3 (Redis's parseProtocolsConfig). */
function checkTlsProtocols(v: string): string | null {
  const words = v.split(' ').filter((w) => w !== '');
  for (const w of words) {
    if (!['tlsv1', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3'].includes(w.toLowerCase())) {
      return "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.";
    }
  }
  return null;
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'port', kind: 'int', default: '6379', mutable: false, min: 0, max: 65535 },
  { name: 'bind', kind: 'bind', default: '127.0.0.1', mutable: false },
  { name: 'unixsocket', kind: 'string', default: '', mutable: false },
  { name: 'unixsocketperm', kind: 'octal', default: '0', mutable: false, min: 0, max: 0o777 },
  { name: 'tcp-backlog', kind: 'int', default: '511', mutable: false, min: 0, max: INT_MAX },
  { name: 'protected-mode', kind: 'bool', default: 'yes', mutable: true },
  { name: 'dir', kind: 'string', default: '.', mutable: true },
  { name: 'dbfilename', kind: 'string', default: 'dump.vsdb', mutable: true, check: (v) => (v.includes('/') ? 'dbfilename can\'t be a path, just a filename' : v === '' ? 'dbfilename can\'t be empty' : null) },
  { name: 'requirepass', kind: 'string', default: '', mutable: true },
  // ACLs (src/acl/): a file of users for ACL LOAD/SAVE, the ACL LOG's length, and the channel
  // permission new users start with (Redis 7+: none).
  { name: 'aclfile', kind: 'string', default: '', mutable: false },
  { name: 'acllog-max-len', kind: 'int', default: '128', mutable: true, min: 0, max: LLONG_MAX_SAFE },
  { name: 'acl-pubsub-default', kind: 'enum', default: 'resetchannels', mutable: true, values: ['allchannels', 'resetchannels'] },
  // TLS (tls.ts). The port is fixed at start; certificates, CA, client authentication,
  // protocols and ciphers apply to new connections when changed.
  { name: 'tls-port', kind: 'int', default: '0', mutable: false, min: 0, max: 65535 },
  { name: 'tls-cert-file', kind: 'string', default: '', mutable: true },
  { name: 'tls-key-file', kind: 'string', default: '', mutable: true },
  { name: 'tls-key-file-pass', kind: 'string', default: '', mutable: true },
  { name: 'tls-ca-cert-file', kind: 'string', default: '', mutable: true },
  { name: 'tls-ca-cert-dir', kind: 'string', default: '', mutable: true },
  { name: 'tls-auth-clients', kind: 'enum', default: 'yes', mutable: true, values: ['no', 'yes', 'optional'] },
  { name: 'tls-protocols', kind: 'string', default: '', mutable: true, check: checkTlsProtocols },
  { name: 'tls-ciphers', kind: 'string', default: '', mutable: true },
  { name: 'tls-ciphersuites', kind: 'string', default: '', mutable: true },
  { name: 'tls-prefer-server-ciphers', kind: 'bool', default: 'no', mutable: true },
  // SLOWLOG and LATENCY (slowlog.ts, latency.ts), with Redis's defaults.
  { name: 'slowlog-log-slower-than', kind: 'int', default: '10000', mutable: true, min: -1, max: LLONG_MAX_SAFE },
  { name: 'slowlog-max-len', kind: 'int', default: '128', mutable: true, min: 0, max: LLONG_MAX_SAFE },
  { name: 'latency-monitor-threshold', kind: 'int', default: '0', mutable: true, min: 0, max: LLONG_MAX_SAFE },
  { name: 'databases', kind: 'int', default: '16', mutable: false, min: 1, max: INT_MAX },
  { name: 'maxclients', kind: 'int', default: '10000', mutable: true, min: 1, max: INT_MAX },
  { name: 'timeout', kind: 'int', default: '0', mutable: true, min: 0, max: INT_MAX },
  { name: 'tcp-keepalive', kind: 'int', default: '300', mutable: true, min: 0, max: INT_MAX },
  { name: 'hz', kind: 'int', default: '10', mutable: true, min: 1, max: 500 },
  { name: 'loglevel', kind: 'enum', default: 'notice', mutable: true, values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] },
  { name: 'logfile', kind: 'string', default: '', mutable: false },
  { name: 'pidfile', kind: 'string', default: '', mutable: false },
  { name: 'daemonize', kind: 'bool', default: 'no', mutable: false, check: (v) => (v === 'yes' ? 'daemonize is not supported: run vsetd under a supervisor (systemd, a container) instead' : null) },
  { name: 'supervised', kind: 'enum', default: 'no', mutable: false, values: ['no', 'upstart', 'systemd', 'auto'] },
  { name: 'always-show-logo', kind: 'bool', default: 'no', mutable: false },
  { name: 'save', kind: 'save', default: '3600 1 300 100 60 10000', mutable: true },
  { name: 'stop-writes-on-bgsave-error', kind: 'bool', default: 'yes', mutable: true },
  { name: 'rdbcompression', kind: 'bool', default: 'yes', mutable: true },
  { name: 'rdbchecksum', kind: 'bool', default: 'yes', mutable: false },
  { name: 'appendonly', kind: 'bool', default: 'no', mutable: true },
  { name: 'appendfsync', kind: 'enum', default: 'everysec', mutable: true, values: ['always', 'everysec', 'no'] },
  { name: 'appendfilename', kind: 'string', default: 'appendonly.aof', mutable: false, check: (v) => (v.includes('/') ? 'appendfilename can\'t be a path, just a filename' : null) },
  { name: 'appenddirname', kind: 'string', default: 'appendonlydir', mutable: false, check: (v) => (v.includes('/') ? 'appenddirname can\'t be a path, just a dirname' : null) },
  { name: 'aof-use-rdb-preamble', kind: 'bool', default: 'yes', mutable: true },
  { name: 'aof-load-truncated', kind: 'bool', default: 'yes', mutable: true },
  { name: 'auto-aof-rewrite-percentage', kind: 'int', default: '100', mutable: true, min: 0, max: INT_MAX },
  { name: 'auto-aof-rewrite-min-size', kind: 'memory', default: '67108864', mutable: true, min: 0, max: LLONG_MAX_SAFE },
  // Redis's thresholds for a hash to leave the listpack encoding (OBJECT ENCODING).
  { name: 'hash-max-listpack-entries', kind: 'int', default: '128', mutable: true, min: 0, max: LLONG_MAX_SAFE },
  { name: 'hash-max-listpack-value', kind: 'memory', default: '64', mutable: true, min: 0, max: LLONG_MAX_SAFE },
  { name: 'maxmemory', kind: 'memory', default: '0', mutable: true, min: 0, max: LLONG_MAX_SAFE },
  { name: 'maxmemory-policy', kind: 'enum', default: 'noeviction', mutable: true, values: ['noeviction'] },
  { name: 'proto-max-bulk-len', kind: 'memory', default: '536870912', mutable: true, min: 1024 * 1024, max: LLONG_MAX_SAFE },
  { name: 'client-output-buffer-limit', kind: 'obuf', default: DEFAULT_OUTPUT_LIMITS, mutable: true },
  { name: 'client-query-buffer-limit', kind: 'memory', default: '1073741824', mutable: true, min: 1024 * 1024, max: LLONG_MAX_SAFE },
  { name: 'enable-debug-command', kind: 'enum', default: 'no', mutable: false, values: ['no', 'yes', 'local'] },
  { name: 'io-threads', kind: 'int', default: '1', mutable: false, min: 1, max: 128 },
  { name: 'search-threads', kind: 'int', default: String(defaultSearchThreads()), mutable: true, min: 0, max: 256 },
  { name: 'vset-force-single-threaded-execution', kind: 'bool', default: 'no', mutable: true },
  // `no` sends every VSIM and VADD CAS search to the pool, even one alone at an idle pool; tests
  // use it to make the workers answer (SearchPool.claimInline).
  { name: 'search-inline-when-idle', kind: 'bool', default: 'yes', mutable: true },
  // A VSIM on a set of at most this many elements runs on the main thread: handing it to a worker
  // costs the main thread more than the search (20,000 sets x 5 x 8, 8 connections, two cores:
  // 99-103k q/s inline against 59k through the pool; at 50 x 128 the two are even). 0: never;
  // `search-inline-when-idle no` sends these to the pool too.
  { name: 'search-inline-max-elements', kind: 'int', default: '32', mutable: true, min: 0, max: 1_000_000 },
  // Experimental: the search pool on piscina instead of the default one (src/server/
  // search-pool-piscina.ts; bench:pool compares them), and piscina's way for an idle worker to
  // wait for its next task. VSETD_SEARCH_POOL=piscina selects it from the environment.
  { name: 'search-pool', kind: 'enum', default: 'native', mutable: false, values: ['native', 'piscina'] },
  { name: 'search-pool-piscina-atomics', kind: 'enum', default: 'sync', mutable: false, values: ['sync', 'async', 'disabled'] },
  // Replication (src/replication/), with Redis's names, aliases, defaults and ranges. `replicaof`
  // holds "host port" or nothing; REPLICAOF changes it, CONFIG SET may not (as in Redis).
  { name: 'replicaof', aliases: ['slaveof'], kind: 'replicaof', default: '', mutable: false },
  { name: 'masterauth', kind: 'string', default: '', mutable: true },
  { name: 'masteruser', kind: 'string', default: '', mutable: true },
  { name: 'replica-read-only', aliases: ['slave-read-only'], kind: 'bool', default: 'yes', mutable: true },
  { name: 'replica-serve-stale-data', aliases: ['slave-serve-stale-data'], kind: 'bool', default: 'yes', mutable: true },
  { name: 'replica-priority', aliases: ['slave-priority'], kind: 'int', default: '100', mutable: true, min: 0, max: INT_MAX },
  { name: 'replica-announced', kind: 'bool', default: 'yes', mutable: true },
  { name: 'replica-announce-ip', aliases: ['slave-announce-ip'], kind: 'string', default: '', mutable: true },
  { name: 'replica-announce-port', aliases: ['slave-announce-port'], kind: 'int', default: '0', mutable: true, min: 0, max: 65535 },
  { name: 'min-replicas-to-write', aliases: ['min-slaves-to-write'], kind: 'int', default: '0', mutable: true, min: 0, max: INT_MAX },
  { name: 'min-replicas-max-lag', aliases: ['min-slaves-max-lag'], kind: 'int', default: '10', mutable: true, min: 0, max: INT_MAX },
  { name: 'repl-backlog-size', kind: 'memory', default: '1048576', mutable: true, min: 1, max: LLONG_MAX_SAFE },
  { name: 'repl-backlog-ttl', kind: 'int', default: '3600', mutable: true, min: 0, max: INT_MAX },
  { name: 'repl-timeout', kind: 'int', default: '60', mutable: true, min: 1, max: INT_MAX },
  { name: 'repl-ping-replica-period', aliases: ['repl-ping-slave-period'], kind: 'int', default: '10', mutable: true, min: 1, max: INT_MAX },
  { name: 'repl-diskless-sync', kind: 'bool', default: 'yes', mutable: true },
  { name: 'repl-diskless-sync-delay', kind: 'int', default: '5', mutable: true, min: 0, max: INT_MAX },
  { name: 'repl-diskless-sync-max-replicas', kind: 'int', default: '0', mutable: true, min: 0, max: INT_MAX },
  { name: 'repl-disable-tcp-nodelay', kind: 'bool', default: 'no', mutable: true },
  // Running as a sidecar (src/server/lifecycle.ts, src/server/metrics.ts). shutdown-timeout is
  // Redis's: how long SIGTERM/SIGINT wait for in-flight commands and lagging replicas.
  { name: 'shutdown-timeout', kind: 'int', default: '10', mutable: true, min: 0, max: INT_MAX },
  { name: 'metrics-port', kind: 'int', default: '0', mutable: false, min: 0, max: 65535 },
  // Empty: the addresses of `bind`.
  { name: 'metrics-bind', kind: 'string', default: '', mutable: false },
  // Redis's hidden test options, with its units: microseconds to wait after each key loaded or
  // saved (positive values only). Tests hold a load or a save with them to watch what happens
  // meanwhile; CONFIG SET 0 lets a held load or save go on at once.
  { name: 'key-load-delay', kind: 'int', default: '0', mutable: true, min: -INT_MAX - 1, max: INT_MAX },
  { name: 'rdb-key-save-delay', kind: 'int', default: '0', mutable: true, min: -INT_MAX - 1, max: INT_MAX },
];

const OPTION_BY_NAME = new Map<string, OptionSpec>();
for (const o of OPTIONS) {
  OPTION_BY_NAME.set(o.name, o);
  for (const a of o.aliases ?? []) OPTION_BY_NAME.set(a, o);
}

/**
 * Turns the words given for an option into its canonical text, or throws ConfigError. `current`
 * is the value now set: options that change part of their value (client-output-buffer-limit of
 * one class) start from it.
 */
function canonicalise(spec: OptionSpec, words: string[], current: string): string {
  const joined = words.join(' ');
  switch (spec.kind) {
    case 'bool': {
      const v = joined.toLowerCase();
      if (words.length !== 1 || (v !== 'yes' && v !== 'no')) throw new ConfigError("argument must be 'yes' or 'no'");
      return v;
    }
    case 'int': {
      if (words.length !== 1 || !/^-?\d+$/.test(joined)) throw new ConfigError('argument couldn\'t be parsed into an integer');
      const n = Number(joined);
      if (n < spec.min! || n > spec.max!) throw new ConfigError(`argument must be between ${spec.min} and ${spec.max} inclusive`);
      return String(n);
    }
    case 'octal': {
      // unixsocketperm: written and shown in octal, as Redis's OCTAL_CONFIG (700 means rwx------).
      if (words.length !== 1 || !/^[0-7]+$/.test(joined)) throw new ConfigError('argument couldn\'t be parsed into an integer');
      const n = parseInt(joined, 8);
      if (n < spec.min! || n > spec.max!) throw new ConfigError(`argument must be between ${spec.min!.toString(8)} and ${spec.max!.toString(8)} inclusive`);
      return n.toString(8);
    }
    case 'obuf':
      return updateOutputLimits(words, current);
    case 'replicaof': {
      // "host port", or "no one" for none (Redis's setConfigReplicaOfOption).
      if (words.length !== 2) throw new ConfigError('wrong number of arguments');
      if (words[0]!.toLowerCase() === 'no' && words[1]!.toLowerCase() === 'one') return '';
      if (!/^\d+$/.test(words[1]!) || Number(words[1]) > 65535) throw new ConfigError('Invalid master port');
      return `${words[0]} ${Number(words[1])}`;
    }
    case 'memory': {
      const n = words.length === 1 ? parseMemory(joined) : NaN;
      if (!Number.isFinite(n)) throw new ConfigError('argument must be a memory value');
      if (n < spec.min! || n > spec.max!) throw new ConfigError(`argument must be between ${spec.min} and ${spec.max} inclusive`);
      return String(n);
    }
    case 'enum': {
      const v = joined.toLowerCase();
      if (words.length !== 1 || !spec.values!.includes(v)) {
        throw new ConfigError(`argument(s) must be one of the following: ${spec.values!.join(', ')}`);
      }
      return v;
    }
    case 'save': {
      // Pairs of "<seconds> <changes>"; an empty string disables snapshots.
      const parts = joined.trim() === '' ? [] : joined.trim().split(/\s+/);
      if (parts.length % 2 !== 0) throw new ConfigError('Invalid save parameters');
      for (const p of parts) if (!/^\d+$/.test(p)) throw new ConfigError('Invalid save parameters');
      return parts.join(' ');
    }
    case 'bind': {
      const parts = joined.trim().split(/\s+/).filter((p) => p !== '');
      if (parts.length === 0) throw new ConfigError('Too few bind addresses specified.');
      return parts.join(' ');
    }
    case 'string':
      if (words.length !== 1) throw new ConfigError('wrong number of arguments');
      return words[0]!;
  }
}

type Listener = (value: string) => void;

export class Config {
  private readonly values = new Map<string, string>();
  private readonly listeners = new Map<string, Listener[]>();
  /** Absolute path of the config file the server was started with, if any. */
  configFile = '';
  /** `user` lines of the config file, loaded once the command table is (src/acl/file.ts). */
  userDirectives: UserDirective[] = [];

  constructor() {
    for (const o of OPTIONS) this.values.set(o.name, o.default);
  }

  static spec(name: string): OptionSpec | undefined {
    return OPTION_BY_NAME.get(name.toLowerCase());
  }

  get(name: string): string {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`unknown config option ${name}`);
    return v;
  }

  int(name: string): number {
    return Number(this.get(name));
  }

  /** An option whose canonical value is octal text (unixsocketperm). */
  octal(name: string): number {
    return parseInt(this.get(name), 8);
  }

  /** A copy holding the same values and no listeners: CONFIG SET validates on it first. */
  copy(): Config {
    const c = new Config();
    for (const [k, v] of this.values) c.values.set(k, v);
    c.configFile = this.configFile;
    c.userDirectives = this.userDirectives;
    return c;
  }

  bool(name: string): boolean {
    return this.get(name) === 'yes';
  }

  onChange(name: string, listener: Listener): void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener);
    this.listeners.set(name, list);
  }

  /**
   * Sets an option from its words. `startup` allows immutable options and, for repeatable
   * directives like `save`, the caller accumulates. Throws ConfigError with the reason.
   */
  set(name: string, words: string[], startup: boolean): void {
    const spec = Config.spec(name);
    if (!spec) throw new ConfigError('Bad directive or wrong number of arguments');
    if (!startup && !spec.mutable) throw new ConfigError("can't set immutable config");
    const value = canonicalise(spec, words, this.values.get(spec.name)!);
    const problem = spec.check?.(value);
    if (problem) throw new ConfigError(problem);
    const old = this.values.get(spec.name);
    this.values.set(spec.name, value);
    if (old !== value) for (const l of this.listeners.get(spec.name) ?? []) l(value);
  }

  /**
   * Option names and values matching a glob pattern, in table order. As in Redis, a pattern
   * matches aliases too (each under its own name), and a name without wildcards is looked up
   * as given, so `CONFIG GET slave-read-only` answers under that name.
   */
  matching(pattern: string): Array<[string, string]> {
    if (!/[*?[]/.test(pattern)) {
      const spec = Config.spec(pattern);
      return spec ? [[pattern, this.values.get(spec.name)!]] : [];
    }
    const p = Buffer.from(pattern);
    const out: Array<[string, string]> = [];
    for (const o of OPTIONS) {
      for (const name of [o.name, ...(o.aliases ?? [])]) {
        if (globMatch(p, Buffer.from(name), true)) out.push([name, this.values.get(o.name)!]);
      }
    }
    return out;
  }

  /** Every option and its value, for CONFIG REWRITE. */
  entries(): Array<[string, string]> {
    return OPTIONS.map((o) => [o.name, this.values.get(o.name)!]);
  }
}

export interface StartupOptions {
  configFile: string;
  /** Directives in order: from the file first, then the command line (which wins). */
  directives: Array<{ name: string; words: string[]; origin: string }>;
}

/**
 * Splits `vsetd [configfile] [--name value …]` the way redis-server does: an optional first
 * argument that does not start with "--" names a config file; every "--name" starts a directive
 * whose value is the words up to the next "--name". A bare "-" reads the config from stdin
 * (not supported here: it is reported as an error).
 */
export function parseCommandLine(argv: string[], readFile: (path: string) => string): StartupOptions {
  const out: StartupOptions = { configFile: '', directives: [] };
  let i = 0;
  if (argv.length > 0 && !argv[0]!.startsWith('--')) {
    // Absolute, as redis-server keeps it: CONFIG REWRITE and INFO config_file use this path.
    out.configFile = path.resolve(argv[0]!);
    let text: string;
    try {
      text = readFile(argv[0]!);
    } catch (e) {
      throw new ConfigError(`Fatal error, can't open config file '${argv[0]}': ${(e as Error).message}`);
    }
    out.directives.push(...parseConfigText(text, argv[0]!, readFile));
    i = 1;
  }
  let current: { name: string; words: string[]; origin: string } | null = null;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--') && a.length > 2) {
      current = { name: a.slice(2).toLowerCase(), words: [], origin: `command line option '${a}'` };
      out.directives.push(current);
    } else if (current) {
      current.words.push(a);
    } else {
      throw new ConfigError(`Invalid argument '${a}': options must start with "--" (e.g. --port 6380), and only the first argument may name a config file`);
    }
  }
  return out;
}

export type Directive = { name: string; words: string[]; origin: string };

/** Include files nested deeper than this are refused: a file including itself would never end. */
const MAX_INCLUDE_DEPTH = 16;

/**
 * The files an `include` names. As in Redis, a name with a wildcard (* ? [) may match nothing and
 * is then skipped, and its matches are read in sorted order; a plain name must exist. The
 * wildcard applies to the last path component only.
 */
function includedFiles(name: string): string[] {
  if (!/[*?[]/.test(name)) return [name];
  const dir = path.dirname(name);
  const pattern = Buffer.from(path.basename(name));
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return entries
    .filter((e) => globMatch(pattern, Buffer.from(e)))
    .sort()
    .map((e) => path.join(dir, e));
}

/**
 * Parses redis.conf text into directives; throws ConfigError naming the bad line. `include`
 * lines are replaced by the directives of the files they name, where they stand, so a later line
 * overrides an included one and the other way round.
 */
export function parseConfigText(text: string, origin: string, readFile: (path: string) => string = (p) => fs.readFileSync(p, 'utf8'), depth = 0): Directive[] {
  const out: Directive[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const buf = Buffer.from(line);
    const words = splitInlineArgs(buf, 0, buf.length);
    if (words === null) throw new ConfigError(`${origin}, line ${n + 1}: unbalanced quotes in configuration line >>> '${line}'`);
    if (words.length === 0) continue;
    if (words[0]!.toString().toLowerCase() === 'include' && words.length === 2) {
      if (depth >= MAX_INCLUDE_DEPTH) throw new ConfigError(`${origin}, line ${n + 1}: include nested more than ${MAX_INCLUDE_DEPTH} deep >>> '${line}'`);
      for (const file of includedFiles(words[1]!.toString())) {
        let included: string;
        try {
          included = readFile(file);
        } catch (e) {
          throw new ConfigError(`${origin}, line ${n + 1}: Fatal error, can't open config file '${file}': ${(e as Error).message}`);
        }
        out.push(...parseConfigText(included, file, readFile, depth + 1));
      }
      continue;
    }
    out.push({
      name: words[0]!.toString().toLowerCase(),
      words: words.slice(1).map((w) => w.toString()),
      origin: `${origin}, line ${n + 1}: >>> '${line}'`,
    });
  }
  return out;
}

/** Applies startup directives, accumulating repeated `save` lines as redis.conf does. */
export function applyStartupOptions(config: Config, opts: StartupOptions): void {
  config.configFile = opts.configFile;
  const saveLines: string[][] = [];
  let sawSave = false;
  const users = new Set<string>();
  for (const d of opts.directives) {
    if (d.name === 'user') {
      // Checked for syntax now (as Redis's ACLAppendUserForLoading); unknown commands can only
      // be told once the command table is loaded.
      const problem = checkUserDirective(d.words, users);
      if (problem !== null) throw new ConfigError(`${d.origin}: ${problem}`);
      users.add(d.words[0]!);
      config.userDirectives.push({ words: d.words, origin: d.origin });
      continue;
    }
    const spec = Config.spec(d.name);
    if (!spec) throw new ConfigError(`${d.origin}: Bad directive or wrong number of arguments ('${d.name}' is not a vsetd option)`);
    try {
      if (spec.name === 'save') {
        // "save ''" resets; each other save line adds a point.
        if (!sawSave) saveLines.length = 0;
        sawSave = true;
        if (d.words.length === 1 && d.words[0] === '') saveLines.length = 0;
        else saveLines.push(d.words);
        config.set('save', saveLines.flat(), true);
      } else {
        config.set(spec.name, d.words, true);
      }
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(`${d.origin}: ${e.message}`);
      throw e;
    }
  }
}
