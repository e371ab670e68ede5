/**
 * Options from the environment: `VSETD_<OPTION>` sets the option of that name, upper case with
 * `_` for `-` (`VSETD_SEARCH_THREADS=4` is `search-threads 4`). Containers and orchestrators pass
 * settings this way (compose `environment:`, a Kubernetes Secret as an env var) without a config
 * file or a command line to edit.
 *
 * Precedence, lowest first: built-in defaults, the environment, the config file, the command
 * line. The environment is the weakest source on purpose: an image sets its defaults there
 * (`VSETD_BIND`, `VSETD_DIR` in the Dockerfile), and the config file must win over them because
 * CONFIG REWRITE keeps it current — after a Sentinel failover it holds the new `replicaof`, which a
 * stale variable must not undo at the next start.
 *
 * A value is read as the rest of a config-file line (redis.conf quoting: `VSETD_SAVE="3600 1 300
 * 100"`), except for options that take one word, whose value is taken as it is, so a password may
 * hold quotes or spaces. An empty value is one empty word: `VSETD_SAVE=` turns snapshots off.
 */
import { ConfigError } from './config-values.js';
import { Config, type Directive } from './config.js';
import { splitInlineArgs } from './resp-reader.js';

export const ENV_PREFIX = 'VSETD_';

/** Variables with the prefix that are not options (read elsewhere). */
const NOT_OPTIONS = new Set(['VSETD_LOAD_TRACE']);

/**
 * Kubernetes gives every container `<SERVICE>_PORT=tcp://10.0.0.1:6379`, `<SERVICE>_SERVICE_HOST`
 * and `<SERVICE>_PORT_6379_TCP…` for each Service in the namespace (enableServiceLinks): a Service
 * named `vsetd` would otherwise set the port to a URL and stop the server.
 */
function isServiceLink(name: string, value: string): boolean {
  if (name === 'VSETD_PORT') return /^(tcp|udp|sctp):\/\//i.test(value);
  return /^VSETD_SERVICE_/.test(name) || /^VSETD_PORT_\d+_/.test(name);
}

export interface EnvironmentOptions {
  directives: Directive[];
  /** Variables that were skipped, with the reason, for the log once it is set up. */
  skipped: string[];
}

/** The directives the environment gives; throws ConfigError for a value that cannot be split. */
export function environmentDirectives(env: NodeJS.ProcessEnv): EnvironmentOptions {
  const out: EnvironmentOptions = { directives: [], skipped: [] };
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX) || NOT_OPTIONS.has(name)) continue;
    const value = env[name] ?? '';
    if (isServiceLink(name, value)) {
      out.skipped.push(`${name} looks like a Kubernetes service link, not an option: ignored (set enableServiceLinks: false in the pod spec, or name the Service differently)`);
      continue;
    }
    const option = name.slice(ENV_PREFIX.length).toLowerCase().replace(/_/g, '-');
    const spec = Config.spec(option);
    if (spec === undefined) {
      out.skipped.push(`${name}: '${option}' is not a vsetd option: ignored`);
      continue;
    }
    let words: string[];
    if (spec.kind === 'string' || value === '') {
      words = [value];
    } else {
      const buf = Buffer.from(value);
      const split = splitInlineArgs(buf, 0, buf.length);
      if (split === null) throw new ConfigError(`environment variable ${name}: unbalanced quotes in '${value}'`);
      words = split.map((w) => w.toString());
      if (words.length === 0) words = [''];
    }
    out.directives.push({ name: option, words, origin: `environment variable ${name}` });
  }
  return out;
}
