import { describe, expect, it } from 'vitest';
import type { CoordinatorStatus } from '../protocol/status.ts';
import { bannerText, progressText, terminalQr } from './coordinator-banner.ts';

const facts = {
  url: 'https://127.0.0.1:8443', runId: 'run-x', preset: 'tiny', numParams: 100, token: 'a b', adminToken: 'adm',
  runDir: '/runs/x', host: '127.0.0.1', port: 8443, fingerprint: 'AB:CD', certSource: 'generated',
};

describe('coordinator banner', () => {
  it('gives the links with the token, the pinned Node command and what the certificate warning means', () => {
    const text = bannerText(facts);
    expect(text).toContain('open in a browser:  https://127.0.0.1:8443/?token=a%20b');
    expect(text).toContain('peer --url https://127.0.0.1:8443 --token a b --fingerprint AB:CD');
    expect(text).toContain('dashboard:          https://127.0.0.1:8443/dashboard?token=a%20b');
    expect(text).toMatch(/self-signed, made now and kept in the run dir, SHA-256 AB:CD/);
    expect(text).toMatch(/a browser warns once/);
    expect(text).not.toMatch(/on this network/); // loopback only: no LAN links
    const http = bannerText({ ...facts, url: 'http://127.0.0.1:8080', fingerprint: undefined, certSource: undefined });
    expect(http).not.toMatch(/fingerprint|certificate/);
  });

  it('draws the join link as a QR code of block characters', async () => {
    const qr = await terminalQr('https://10.0.0.2:8443/?token=t');
    expect(qr.split('\n').length).toBeGreaterThan(10);
    expect(qr).toMatch(/[▀▄█]/);
  });

  it('sums the run up in one line, loss in bits per byte', () => {
    const s = {
      round: 12, peers: [{ state: 'ready', bytesPerSec: 1500 }, { state: 'syncing', bytesPerSec: 500 }],
      recentLoss: [{ loss: Math.LN2 * 3 }], lastValidationBpb: 2.5, compressorReference: { gzip: 3.2, brotli: 2.2 },
      paused: false, waitingForPeers: false,
    } as unknown as CoordinatorStatus;
    expect(progressText(s)).toBe('round 12 · 2 peers (1 ready) · 2.0 kB/s · loss 3.000 bpb · validation 2.500 bpb (gzip 3.20, brotli 2.20)');
  });
});
