/**
 * TLS with node:tls, configured by Redis's tls-* options: a certificate and key (optionally
 * encrypted, tls-key-file-pass), a CA to check client certificates against, which protocol
 * versions and ciphers to accept, and whether a client must present a certificate
 * (tls-auth-clients yes), may (optional: one it presents must be valid) or need not (no).
 *
 * The check of a client certificate is made per connection, once the handshake is done, so that
 * CONFIG SET tls-auth-clients applies to the next connection; certificates, CA, protocols and
 * ciphers are reloaded into the listener's context when they change.
 */
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { Config } from './config.js';
import type { Logger } from './log.js';

export class TlsConfigError extends Error {}

const PROTOCOL_ORDER = ['tlsv1', 'tlsv1.1', 'tlsv1.2', 'tlsv1.3'] as const;
const NODE_NAMES: Record<(typeof PROTOCOL_ORDER)[number], tls.SecureVersion> = { tlsv1: 'TLSv1', 'tlsv1.1': 'TLSv1.1', 'tlsv1.2': 'TLSv1.2', 'tlsv1.3': 'TLSv1.3' };

function readFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new TlsConfigError(`Failed to load ${what} '${file}': ${(e as Error).message}`);
  }
}

/** Every certificate file in a CA directory (tls-ca-cert-dir), as one list. */
function readCaDir(dir: string): Buffer[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw new TlsConfigError(`Failed to load CA certificate directory '${dir}': ${(e as Error).message}`);
  }
  const out: Buffer[] = [];
  for (const n of names.sort()) {
    const p = path.join(dir, n);
    if (fs.statSync(p).isFile()) out.push(readFile(p, 'CA certificate'));
  }
  return out;
}

/** The secure-context options the tls-* options describe; throws TlsConfigError with the reason. */
export function tlsContextOptions(config: Config): tls.SecureContextOptions {
  const cert = config.get('tls-cert-file');
  const key = config.get('tls-key-file');
  if (cert === '') throw new TlsConfigError('No tls-cert-file configured!');
  if (key === '') throw new TlsConfigError('No tls-key-file configured!');
  const caFile = config.get('tls-ca-cert-file');
  const caDir = config.get('tls-ca-cert-dir');
  if (config.get('tls-auth-clients') !== 'no' && caFile === '' && caDir === '') {
    throw new TlsConfigError('Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!');
  }
  const opts: tls.SecureContextOptions = { cert: readFile(cert, 'certificate'), key: readFile(key, 'private key') };
  const pass = config.get('tls-key-file-pass');
  if (pass !== '') opts.passphrase = pass;
  const ca: Buffer[] = [];
  if (caFile !== '') ca.push(readFile(caFile, 'CA certificate(s) file'));
  if (caDir !== '') ca.push(...readCaDir(caDir));
  if (ca.length > 0) opts.ca = ca;
  const protocols = config
    .get('tls-protocols')
    .toLowerCase()
    .split(' ')
    .filter((w) => w !== '') as Array<(typeof PROTOCOL_ORDER)[number]>;
  const chosen = protocols.length > 0 ? protocols : (['tlsv1.2', 'tlsv1.3'] as const);
  const ranks = chosen.map((p) => PROTOCOL_ORDER.indexOf(p));
  opts.minVersion = NODE_NAMES[PROTOCOL_ORDER[Math.min(...ranks)]!];
  opts.maxVersion = NODE_NAMES[PROTOCOL_ORDER[Math.max(...ranks)]!];
  // One cipher string for Node: TLSv1.3 suites (tls-ciphersuites) and the older ciphers
  // (tls-ciphers), each defaulting to Node's own when not set.
  const defaults = tls.DEFAULT_CIPHERS.split(':');
  const suites = config.get('tls-ciphersuites') || defaults.filter((c) => c.startsWith('TLS_')).join(':');
  const ciphers = config.get('tls-ciphers') || defaults.filter((c) => !c.startsWith('TLS_')).join(':');
  opts.ciphers = [suites, ciphers].filter((c) => c !== '').join(':');
  opts.honorCipherOrder = config.bool('tls-prefer-server-ciphers');
  // Build it once here so that a bad key, passphrase or cipher list is reported now.
  try {
    tls.createSecureContext(opts);
  } catch (e) {
    throw new TlsConfigError(`Failed to configure TLS: ${(e as Error).message}`);
  }
  return opts;
}

/** Options whose change reloads the TLS context. */
export const TLS_CONTEXT_OPTIONS = ['tls-cert-file', 'tls-key-file', 'tls-key-file-pass', 'tls-ca-cert-file', 'tls-ca-cert-dir', 'tls-protocols', 'tls-ciphers', 'tls-ciphersuites', 'tls-prefer-server-ciphers', 'tls-auth-clients'];

/**
 * A TLS listener that hands each connection to `accept` once its handshake is done and, per
 * tls-auth-clients, its client certificate checked.
 */
export function createTlsServer(config: Config, log: Logger, accept: (s: tls.TLSSocket) => void): tls.Server {
  const srv = tls.createServer({ ...tlsContextOptions(config), requestCert: true, rejectUnauthorized: false }, (socket) => {
    const mode = config.get('tls-auth-clients');
    const presented = Object.keys(socket.getPeerCertificate()).length > 0;
    if ((mode === 'yes' && !socket.authorized) || (mode === 'optional' && presented && !socket.authorized)) {
      log.verbose(`Error accepting a client connection: ${String(socket.authorizationError ?? 'peer did not return a certificate')} (addr=${socket.remoteAddress}:${socket.remotePort})`);
      socket.destroy();
      return;
    }
    accept(socket);
  });
  srv.on('tlsClientError', (e) => log.verbose(`Error accepting a client connection: ${e.message}`));
  for (const name of TLS_CONTEXT_OPTIONS) {
    config.onChange(name, () => {
      try {
        srv.setSecureContext(tlsContextOptions(config));
      } catch (e) {
        log.warning(`Unable to update TLS configuration: ${(e as Error).message}`);
      }
    });
  }
  return srv;
}
