/**
 * A private certificate authority and a certificate it signed for 127.0.0.1, made with the
 * `openssl` command: what a rediss:// server behind a company's own CA has.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  /** The CA's certificate (PEM): what a client must trust. */
  readonly caFile: string;
  /** The server's certificate (PEM) and key, for 127.0.0.1. */
  readonly certFile: string;
  readonly keyFile: string;
}

/** Why the certificates cannot be made here (no `openssl`), or null. */
export function opensslMissing(): string | null {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return probe.status === 0 ? null : 'openssl is not installed (apt-get install openssl)';
}

export function makeTestCertificates(dir: string): TestCertificates {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const request = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const extensions = join(dir, 'server.ext');
  writeFileSync(extensions, 'subjectAltName = IP:127.0.0.1\n');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=minibatch test CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', request, '-subj', '/CN=127.0.0.1']);
  openssl(['x509', '-req', '-in', request, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', extensions]);
  return { caFile, certFile, keyFile };
}

function openssl(args: readonly string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr || String(r.error)}`);
}
