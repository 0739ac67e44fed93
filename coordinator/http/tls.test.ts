import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCertificate, runDirCertificate } from './tls.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'stlm-tls-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the coordinator certificate', () => {
  it('is generated once per run dir and kept, so a restart keeps its fingerprint', async () => {
    const runDir = tempDir();
    const first = await runDirCertificate(runDir);
    expect(first.source).toBe('generated');
    expect(first.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const x509 = new X509Certificate(first.cert);
    expect(x509.subjectAltName).toMatch(/DNS:localhost/);
    expect(x509.subjectAltName).toMatch(/IP Address:127\.0\.0\.1/);
    expect(statSync(path.join(runDir, 'tls/key.pem')).mode & 0o077).toBe(0); // the key is the owner's alone
    const again = await runDirCertificate(runDir);
    expect(again.source).toBe('run dir');
    expect(again.fingerprint).toBe(first.fingerprint);
    // Past its end a new one is made.
    const later = await runDirCertificate(runDir, new Date(Date.now() + 900 * 86_400_000));
    expect(later.fingerprint).not.toBe(first.fingerprint);
  });

  it('loads --cert/--key and refuses a key of another certificate', async () => {
    const a = await runDirCertificate(tempDir());
    const b = await runDirCertificate(tempDir());
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.pem'), a.cert);
    writeFileSync(path.join(dir, 'a.key'), a.key);
    writeFileSync(path.join(dir, 'b.key'), b.key);
    expect(loadCertificate(path.join(dir, 'a.pem'), path.join(dir, 'a.key')).fingerprint).toBe(a.fingerprint);
    expect(() => loadCertificate(path.join(dir, 'a.pem'), path.join(dir, 'b.key'))).toThrow(/is not the private key of --cert/);
  });
});
