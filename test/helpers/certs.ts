/**
 * TLS certificates made at test time with Debian's openssl: a CA, a server certificate for
 * localhost/127.0.0.1 signed by it, a client certificate signed by it, the server key again
 * encrypted with a passphrase, and a client certificate from another CA that the server must not
 * trust. Small EC keys keep this quick.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** The server key encrypted with `keyPass`. */
  serverKeyEncrypted: string;
  keyPass: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a CA the server does not know. */
  strangerCert: string;
  strangerKey: string;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
}

function makeSigned(dir: string, name: string, ca: string, cn: string, ext: string): void {
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

export function makeCerts(): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vsetd-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeSigned(dir, 'server', 'ca', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  makeSigned(dir, 'client', 'ca', 'vsetd-test-client', 'extendedKeyUsage=clientAuth\n');
  makeSigned(dir, 'stranger', 'other-ca', 'stranger', 'extendedKeyUsage=clientAuth\n');
  openssl(dir, 'pkey', '-in', 'server.key', '-aes256', '-passout', 'pass:key-secret', '-out', 'server-enc.key');
  const p = (f: string): string => path.join(dir, f);
  return {
    dir,
    ca: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    serverKeyEncrypted: p('server-enc.key'),
    keyPass: 'key-secret',
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    strangerCert: p('stranger.crt'),
    strangerKey: p('stranger.key'),
  };
}
