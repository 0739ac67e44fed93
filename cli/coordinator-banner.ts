// What `stlm coordinator` tells a person: how to join (links, the Node command, the certificate's fingerprint
// under --https, the join link as a QR code at a terminal) and, on one redrawn line, how the run goes.
import { networkInterfaces } from 'node:os';
import QRCode from 'qrcode';
import type { CoordinatorStatus } from '../protocol/status.ts';
import { bitsPerByteFromNats } from '../common/units.ts';

export interface BannerFacts {
  url: string;
  runId: string;
  preset: string;
  numParams: number;
  token: string;
  adminToken: string;
  runDir: string;
  /** The address the server listens on (0.0.0.0 / :: = every interface). */
  host: string;
  port: number;
  /** SHA-256 fingerprint of the certificate under --https. */
  fingerprint?: string;
  /** Where that certificate came from ('generated', 'run dir' or a path). */
  certSource?: string;
}

/** The links of this machine's non-loopback IPv4 addresses, when listening on every interface. */
export function lanUrls(f: Pick<BannerFacts, 'host' | 'port' | 'url'>): string[] {
  if (f.host !== '0.0.0.0' && f.host !== '::') return [];
  const scheme = new URL(f.url).protocol;
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => `${scheme}//${a!.address}:${f.port}`);
}

export function bannerText(f: BannerFacts): string {
  const token = encodeURIComponent(f.token);
  const lan = lanUrls(f);
  const peerTrust = f.fingerprint ? ` --fingerprint ${f.fingerprint}` : '';
  const lines = [
    '',
    `stlm coordinator: run ${f.runId}, preset ${f.preset}, ${f.numParams} parameters`,
    `  open in a browser:  ${f.url}/?token=${token}`,
    ...lan.map((u) => `  on this network:    ${u}/?token=${token}`),
    `  join a Node peer:   node bin/stlm.mjs peer --url ${lan[0] ?? f.url} --token ${f.token}${peerTrust}`,
    `  dashboard:          ${lan[0] ?? f.url}/dashboard?token=${token}   (admin token: ${f.adminToken})`,
    `  status:             ${f.url}/api/status   metrics: ${f.url}/metrics`,
    `  checkpoints:        ${f.runDir}`,
  ];
  if (f.fingerprint) {
    lines.push(
      `  certificate:        ${certOrigin(f.certSource)}, SHA-256 ${f.fingerprint}`,
      '                      a browser warns once about it: check this fingerprint, then accept to continue',
    );
  } else if (lan.length > 0) {
    lines.push('  (other devices get no secure context over http: no WebGPU or wasm threads there; --https gives them one)');
  }
  if (f.host === '0.0.0.0' || f.host === '::') {
    if (lan.length === 0) lines.push('  (listening on all interfaces: from another device use this machine\'s address instead of 127.0.0.1)');
  }
  return `${lines.join('\n')}\n\n`;
}

function certOrigin(source: string | undefined): string {
  if (source === 'generated') return 'self-signed, made now and kept in the run dir';
  if (source === 'run dir') return 'self-signed, from the run dir';
  return `from ${source}`;
}

/** The join link as a QR code drawn with block characters, for a phone's camera (terminals only). */
export async function terminalQr(link: string): Promise<string> {
  return QRCode.toString(link, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

/** One line on how the run goes: `round 12 · 2 peers · 3.4 kB/s · loss 3.21 bpb · validation 3.05 bpb (gzip 3.23, brotli 2.22)`. */
export function progressText(s: CoordinatorStatus): string {
  const ready = s.peers.filter((p) => p.state === 'ready').length;
  const rate = s.peers.reduce((a, p) => a + p.bytesPerSec, 0);
  const last = s.recentLoss.at(-1);
  const parts = [
    `round ${s.round}`,
    `${s.peers.length} peer${s.peers.length === 1 ? '' : 's'}${ready < s.peers.length ? ` (${ready} ready)` : ''}`,
    `${formatRate(rate)}`,
    last ? `loss ${bitsPerByteFromNats(last.loss).toFixed(3)} bpb` : 'no round yet',
  ];
  if (s.lastValidationBpb !== null) {
    const ref = s.compressorReference;
    parts.push(`validation ${s.lastValidationBpb.toFixed(3)} bpb${ref ? ` (gzip ${ref.gzip.toFixed(2)}, brotli ${ref.brotli.toFixed(2)})` : ''}`);
  }
  if (s.paused) parts.push('PAUSED');
  else if (s.waitingForPeers) parts.push('waiting for peers');
  return parts.join(' · ');
}

function formatRate(bytesPerSec: number): string {
  if (bytesPerSec >= 1e6) return `${(bytesPerSec / 1e6).toFixed(2)} MB/s`;
  if (bytesPerSec >= 1e3) return `${(bytesPerSec / 1e3).toFixed(1)} kB/s`;
  return `${bytesPerSec.toFixed(0)} B/s`;
}
