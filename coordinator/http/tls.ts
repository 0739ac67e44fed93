// The coordinator's TLS certificate for `--https`: the one given (`--cert FILE --key FILE`), or a
// self-signed one generated at the run's first start and kept in its run dir (tls/cert.pem, tls/key.pem), so
// a restart or a --resume keeps the fingerprint that peers pinned. A browser warns about a self-signed
// certificate once; Node peers pin its SHA-256 fingerprint (`stlm peer --fingerprint`) or trust it as a CA.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface TlsCertificate {
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate, as colon-separated hex pairs (what `openssl x509 -fingerprint -sha256` prints). */
  fingerprint: string;
  /** Where it came from: 'generated', 'run dir' or the --cert path. */
  source: string;
  certFile: string;
}

/** A self-signed certificate lives this long; the fingerprint changes only if it is deleted or expires. */
const VALIDITY_DAYS = 825;

export function certificateFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/** The given certificate and key, read and checked to belong together. */
export function loadCertificate(certFile: string, keyFile: string): TlsCertificate {
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  const x509 = new X509Certificate(cert);
  if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error(`--key ${keyFile} is not the private key of --cert ${certFile}`);
  return { cert, key, fingerprint: x509.fingerprint256, source: certFile, certFile };
}

/** The run dir's certificate, generated (with this machine's addresses as names) if it has none yet. */
export async function runDirCertificate(runDir: string, now = new Date()): Promise<TlsCertificate> {
  const dir = path.join(runDir, 'tls');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const loaded = loadCertificate(certFile, keyFile);
    if (new Date(new X509Certificate(loaded.cert).validTo) > now) return { ...loaded, source: 'run dir' };
  }
  const pems = await generate([{ name: 'commonName', value: 'stlm-swarm coordinator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + VALIDITY_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, ...localAddresses().map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  writeFileSync(certFile, pems.cert);
  return { cert: pems.cert, key: pems.private, fingerprint: certificateFingerprint(pems.cert), source: 'generated', certFile };
}

/** Every address of this machine's interfaces (loopback included), for the certificate's names. */
function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined)
    .map((a) => a.address.split('%')[0]!);
}
