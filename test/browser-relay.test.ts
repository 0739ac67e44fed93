// End to end in real Chromium, as a user without any special browser flag: inside CI's loopback-only network
// namespace a stock Chromium's WebRTC finds no path (it gathers no loopback candidate and hides its host
// candidates behind mDNS names), so before the relay such a tab showed "WebRTC is blocked" and never trained.
// Here the tab joins with one click, falls back to the coordinator's socket relay by itself, and trains next
// to a Node peer on a WebRTC data channel; both contribute, and the page and /api/status say "relay".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, type BrowserSession } from './browser/harness.ts';
import { buildBrowserBundle } from './browser/bundle.ts';
import { killAll, startCoordinatorProcess, startPeerProcess, waitFor, type CoordinatorProc } from './cluster/processes.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-browser-relay-'));

describe.runIf(chromiumAvailable())('a stock tab where WebRTC has no path', () => {
  let browser: BrowserSession;
  let coord: CoordinatorProc;
  const logs = () => `\n--- tab ---\n${browser.logs.slice(-30).join('\n')}\n--- coordinator ---\n${coord.output().slice(-3000)}`;

  beforeAll(async () => {
    buildBrowserBundle();
    browser = await launchBrowser({ stockWebRtc: true });
    coord = await startCoordinatorProcess([
      '--preset', 'tiny', '--run-dir', runDir, '--batch-size', '4', '--min-peers', '2', '--eval-every', '0',
      '--checkpoint-every', '0', '--min-deadline', '30000', '--seed', '13',
    ], 'relay-token');
  });

  afterAll(async () => {
    await browser?.close();
    await killAll();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('joins by a click, trains through the relay, next to a Node peer on WebRTC', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${coord.url}/?token=${coord.token}`);
    await tab.getByRole('button', { name: 'Join training' }).click();
    const nodePeer = startPeerProcess(coord.url, coord.token, ['--transport', 'webrtc']);
    const s = await waitFor('the tab and the Node peer each contributing 3 rounds', async () => {
      const st = await coord.status();
      return st.peers.length === 2 && st.peers.every((p) => p.roundsContributed >= 3) ? st : undefined;
    }, 180_000, nodePeer).catch((e: Error) => { throw new Error(e.message + logs()); });

    const byKind = Object.fromEntries(s.peers.map((p) => [p.kind, p]));
    expect(byKind.browser?.transport).toBe('relay');
    expect(byKind.node?.transport).toBe('webrtc');
    for (const p of s.peers) expect(p.rejected, `peer ${p.id} (${p.kind}) had rejections`).toBe(0);
    expect(await tab.evaluate(() => document.body.dataset.transport)).toBe('relay');
    expect(await tab.locator('#transport').textContent()).toMatch(/relay/);
    expect(await tab.locator('#problem').isHidden()).toBe(true);
    expect(Number(await tab.evaluate(() => document.body.dataset.rounds))).toBeGreaterThanOrEqual(3);
  });
});
