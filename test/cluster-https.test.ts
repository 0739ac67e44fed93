// End to end over TLS: `stlm coordinator --https` makes and keeps a self-signed certificate, prints its
// fingerprint, and serves the pages, /api/status and socket.io (wss) over https. A Node peer that pins that
// fingerprint joins and trains; one with a wrong fingerprint, and one with no trust at all, stop at once with
// a clear error (exit code 2); one that trusts the certificate file as its CA joins too.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoordinatorStatus } from '../protocol/status.ts';
import { killAll, spawnStlm, startPeerProcess, waitFor, type Proc } from './cluster/processes.ts';
import { getJsonTrusting } from './https/fetch-json.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-https-'));
let coord: Proc;
let url: string;
let fingerprint: string;
let certPem: string;
const status = () => getJsonTrusting<CoordinatorStatus>(`${url}/api/status`, certPem);

beforeAll(async () => {
  coord = spawnStlm([
    'coordinator', '--https', '--port', '0', '--host', '127.0.0.1', '--token', 'tls-token', '--preset', 'tiny', '--run-dir', runDir,
    '--batch-size', '4', '--eval-every', '0', '--checkpoint-every', '0',
  ]);
  url = await waitFor('the coordinator URL', () => /STLM_COORDINATOR_URL=(\S+)/.exec(coord.output())?.[1], 60_000, coord);
  fingerprint = await waitFor('the fingerprint', () => /STLM_CERT_FINGERPRINT=(\S+)/.exec(coord.output())?.[1], 5_000, coord);
  certPem = readFileSync(path.join(runDir, 'tls/cert.pem'), 'utf8');
});

afterAll(async () => {
  await killAll();
  rmSync(runDir, { recursive: true, force: true });
});

describe('coordinator --https', () => {
  it('serves https with the certificate kept in the run dir, and says what the browser warning means', async () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(coord.output()).toContain(`--fingerprint ${fingerprint}`);
    expect(coord.output()).toMatch(/a browser warns once about it/);
    expect((await status()).runId).toMatch(/^run-/);
    // Plain http on the same port is not served.
    await expect(fetch(url.replace('https:', 'http:') + '/api/status')).rejects.toThrow();
  });

  it('a Node peer pinning the fingerprint joins over wss and trains', async () => {
    const peer = startPeerProcess(url, 'tls-token', ['--fingerprint', fingerprint.replaceAll(':', '').toLowerCase()]);
    const s = await waitFor('the pinned peer contributing', async () => {
      const st = await status();
      return (st.peers[0]?.roundsContributed ?? 0) >= 2 ? st : undefined;
    }, 120_000, coord);
    expect(s.peers).toHaveLength(1);
    expect(peer.output()).not.toMatch(/ERR_/);
    peer.kill('SIGTERM');
    await peer.exited;
  });

  it('a wrong fingerprint is refused with a clear error, and so is an untrusted certificate', async () => {
    const wrong = fingerprint.startsWith('00') ? `11${fingerprint.slice(2)}` : `00${fingerprint.slice(2)}`;
    const pinnedWrong = startPeerProcess(url, 'tls-token', ['--fingerprint', wrong]);
    expect(await pinnedWrong.exited).toBe(2);
    expect(pinnedWrong.output()).toContain(`presented a certificate with fingerprint ${fingerprint}, not the pinned ${wrong}`);

    const untrusted = startPeerProcess(url, 'tls-token');
    expect(await untrusted.exited).toBe(2);
    expect(untrusted.output()).toMatch(/certificate .* is not trusted \(.*self[- ]signed.*\): pass --fingerprint/i);

    const malformed = startPeerProcess(url, 'tls-token', ['--fingerprint', 'abc']);
    expect(await malformed.exited).toBe(2);
    expect(malformed.output()).toMatch(/expected the 64 hex digits/);
    // None of them got as far as joining.
    expect((await status()).peers.filter((p) => p.state !== 'gone').length).toBeLessThanOrEqual(1);
  }, 300_000);

  it('a Node peer trusting the certificate file as its CA joins too', async () => {
    const peer = startPeerProcess(url, 'tls-token', ['--ca', path.join(runDir, 'tls/cert.pem')]);
    await waitFor('the CA-trusting peer contributing', async () => {
      const st = await status();
      return st.peers.some((p) => p.roundsContributed >= 1) || undefined;
    }, 120_000, peer);
    expect(peer.output()).not.toMatch(/ERR_/);
  });
});
