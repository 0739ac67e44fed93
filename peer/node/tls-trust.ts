// How a Node peer trusts a coordinator served over https (`stlm coordinator --https`): by the SHA-256
// fingerprint the coordinator printed (`--fingerprint`: that certificate and no other, whoever signed it), or
// by a CA file (`--ca`: the usual chain and host name checks). Before each join a TLS probe reads the
// certificate and turns a refusal into a sentence a person can act on; the socket.io connection then trusts
// only that same certificate.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls, { type PeerCertificate } from 'node:tls';
import { ConnectError } from '../core/connect.ts';

export interface TlsTrustOptions {
  /** SHA-256 fingerprint of the coordinator's certificate: hex, with or without colons, any case. */
  fingerprint?: string;
  /** A PEM file of the CA (or the self-signed certificate itself) to trust. */
  caFile?: string;
}

/** The coordinator's certificate is not the one trusted: retrying cannot help, the command must change. */
export class TlsTrustError extends Error {}

/** "ab:cd…" or "ABCD…" → "AB:CD:…" (Node's fingerprint256 form); throws on anything but 32 bytes of hex. */
export function normalizeFingerprint(s: string): string {
  const hex = s.replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new TlsTrustError(`--fingerprint: expected the 64 hex digits of a SHA-256 fingerprint (colons allowed), got "${s}"`);
  return hex.match(/../g)!.join(':');
}

/** The socket.io-client options that make its WebSocket trust exactly what the probe accepted. */
export type TrustedSocketOptions = {
  ca?: string;
  rejectUnauthorized: true;
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
};

/**
 * Connects once with TLS to the coordinator at `url` (https only) and checks its certificate against `trust`.
 * Resolves with the socket options to join with (undefined for http); rejects with a TlsTrustError that says
 * what to do, or a ConnectError when the coordinator cannot be reached.
 */
export async function probeCoordinatorTls(url: string, trust: TlsTrustOptions, timeoutMs = 10_000): Promise<TrustedSocketOptions | undefined> {
  const u = new URL(url);
  if (u.protocol !== 'https:') {
    if (trust.fingerprint || trust.caFile) throw new TlsTrustError(`--fingerprint and --ca need an https:// coordinator URL, got ${url}`);
    return undefined;
  }
  const pinned = trust.fingerprint ? normalizeFingerprint(trust.fingerprint) : undefined;
  const ca = trust.caFile ? readFileSync(trust.caFile, 'utf8') : undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  // With a pin the chain does not matter (a self-signed certificate has none): the fingerprint decides.
  const { cert, authorizationError } = await tlsHandshake(host, port, { ca, pinned: pinned !== undefined }, timeoutMs);
  if (pinned) {
    if (cert.fingerprint256 !== pinned) {
      throw new TlsTrustError(
        `the coordinator at ${u.host} presented a certificate with fingerprint ${cert.fingerprint256}, not the pinned ${pinned}: ` +
          'this is not the coordinator you meant, or its certificate changed (check the fingerprint it printed)',
      );
    }
    // Trust that certificate alone (as its own CA) and check the pin again on the real connection.
    const pem = toPem(cert.raw);
    return { ca: pem, rejectUnauthorized: true, checkServerIdentity: (_h, c) => (c.fingerprint256 === pinned ? undefined : new TlsTrustError('certificate fingerprint changed')) };
  }
  if (authorizationError) {
    const why = /SELF_SIGNED/.test(authorizationError) ? `self-signed, ${authorizationError}` : authorizationError;
    throw new TlsTrustError(
      `the coordinator's certificate at ${u.host} is not trusted (${why}): pass --fingerprint with the SHA-256 ` +
        `fingerprint the coordinator printed${ca ? '' : ', or --ca with its certificate file'}`,
    );
  }
  return { ca, rejectUnauthorized: true };
}

function tlsHandshake(host: string, port: number, o: { ca?: string; pinned: boolean }, timeoutMs: number): Promise<{ cert: PeerCertificate; authorizationError?: string }> {
  return new Promise((resolve, reject) => {
    const servername = net.isIP(host) ? undefined : host;
    const socket = tls.connect({ host, port, servername, ca: o.ca, rejectUnauthorized: false, timeout: timeoutMs });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate(false);
      // Host name checks are the CA path's; a pin replaces them.
      let authorizationError = socket.authorized ? undefined : String(socket.authorizationError);
      if (!authorizationError && !o.pinned) authorizationError = tls.checkServerIdentity(host, cert)?.message;
      socket.end();
      resolve({ cert, authorizationError });
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new ConnectError('ERR_CONNECT', `no TLS answer from ${host}:${port} within ${timeoutMs} ms`));
    });
    // Unreachable is not untrusted: the peer retries as for any connection failure.
    socket.once('error', (e) => reject(new ConnectError('ERR_CONNECT', `cannot reach ${host}:${port}: ${e.message}`)));
  });
}

function toPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}
