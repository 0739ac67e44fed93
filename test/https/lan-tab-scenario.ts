// Runs inside a private network namespace that test/browser-https-lan.test.ts creates (a veth pair,
// 10.77.0.1 <-> 10.77.0.2, like a LAN): a coordinator with --https on 10.77.0.1, and a Chromium tab that opens
// it by that non-loopback address, joins and trains. Prints one line `SCENARIO_RESULT={...}` with what the
// tab and the coordinator report. `--ignore-certificate-errors` stands in for the person who accepts the
// browser's warning about the self-signed certificate once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchBrowser } from '../browser/harness.ts';
import { killAll, spawnStlm, waitFor } from '../cluster/processes.ts';
import { getJsonTrusting } from './fetch-json.ts';
import type { CoordinatorStatus } from '../../protocol/status.ts';

const LAN_ADDRESS = process.argv[2] ?? '10.77.0.1';
const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-https-lan-'));
const coord = spawnStlm([
  'coordinator', '--https', '--host', LAN_ADDRESS, '--port', '0', '--token', 'lan-token', '--preset', 'tiny', '--run-dir', runDir,
  '--batch-size', '4', '--eval-every', '0', '--checkpoint-every', '0',
]);
const browser = await launchBrowser({ extraArgs: ['--ignore-certificate-errors'] });
try {
  const url = await waitFor('the coordinator URL', () => /STLM_COORDINATOR_URL=(\S+)/.exec(coord.output())?.[1], 90_000, coord);
  const certPem = readFileSync(path.join(runDir, 'tls/cert.pem'), 'utf8');
  const tab = await browser.newPage();
  await tab.goto(`${url}/?token=lan-token&backend=wasm`);
  // Joined by clicking, as a person does.
  await tab.locator('#join').click();
  const status = await waitFor('the tab contributing', async () => {
    const st = await getJsonTrusting<CoordinatorStatus>(`${url}/api/status`, certPem);
    return (st.peers[0]?.roundsContributed ?? 0) >= 2 ? st : undefined;
  }, 240_000, coord).catch((e: Error) => {
    throw new Error(`${e.message}\n--- tab ---\n${browser.logs.slice(-30).join('\n')}`);
  });
  const page = await tab.evaluate(() => ({
    href: location.href,
    isSecureContext,
    crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    backend: document.getElementById('backend')!.textContent,
    rounds: Number(document.body.dataset.rounds ?? 0),
  }));
  const peer = status.peers[0]!;
  console.log(`SCENARIO_RESULT=${JSON.stringify({ url, page, peer: { kind: peer.kind, backend: peer.backend, threads: peer.threads, transport: peer.transport, rounds: peer.roundsContributed } })}`);
} finally {
  await browser.close();
  await killAll();
  rmSync(runDir, { recursive: true, force: true });
}
