import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDirCertificate, type TlsCertificate } from '../../coordinator/http/tls.ts';
import { ConnectError } from '../core/connect.ts';
import { normalizeFingerprint, probeCoordinatorTls, TlsTrustError } from './tls-trust.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'stlm-trust-'));
let cert: TlsCertificate;
let server: https.Server;
let url: string;

beforeAll(async () => {
  cert = await runDirCertificate(dir);
  server = https.createServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('tls trust of a Node peer', () => {
  it('reads a fingerprint with or without colons, in any case, and refuses anything else', () => {
    const hex = 'ab'.repeat(32);
    expect(normalizeFingerprint(hex)).toBe(Array(32).fill('AB').join(':'));
    expect(normalizeFingerprint(Array(32).fill('ab').join(':'))).toBe(normalizeFingerprint(hex));
    expect(() => normalizeFingerprint('ab:cd')).toThrow(TlsTrustError);
  });

  it('accepts the pinned certificate and hands socket.io options that trust it alone', async () => {
    const options = await probeCoordinatorTls(url, { fingerprint: cert.fingerprint });
    expect(options?.ca).toContain('BEGIN CERTIFICATE');
    expect(options?.rejectUnauthorized).toBe(true);
    // The options work for a real request, and the pin is checked again there.
    const body = await new Promise<string>((resolve, reject) =>
      https.get(url, { ...options }, (res) => res.on('data', (d: Buffer) => resolve(d.toString()))).on('error', reject),
    );
    expect(body).toBe('ok');
  });

  it('refuses another fingerprint and an untrusted certificate; accepts it as a CA file', async () => {
    await expect(probeCoordinatorTls(url, { fingerprint: '00'.repeat(32) })).rejects.toThrow(/not the pinned 00:00/);
    await expect(probeCoordinatorTls(url, {})).rejects.toThrow(/not trusted \(self-signed/);
    const caFile = path.join(dir, 'ca.pem');
    writeFileSync(caFile, cert.cert);
    expect(await probeCoordinatorTls(url, { caFile })).toMatchObject({ rejectUnauthorized: true });
  });

  it('says an http URL needs no trust options, and that an unreachable coordinator is retried, not refused', async () => {
    expect(await probeCoordinatorTls('http://127.0.0.1:1', {})).toBeUndefined();
    await expect(probeCoordinatorTls('http://127.0.0.1:1', { fingerprint: cert.fingerprint })).rejects.toThrow(/need an https/);
    const closed = probeCoordinatorTls('https://127.0.0.1:1', { fingerprint: cert.fingerprint });
    await expect(closed).rejects.toBeInstanceOf(ConnectError);
  });
});
