// The dashboard answers "is it working, and how good is it", in real Chromium: a Node peer and a tab train;
// the dashboard lists each peer's transport and share, the swarm's throughput, the countdowns to the next
// validation and checkpoint and the gzip/brotli reference; its QR code decodes (jsQR, from the canvas pixels)
// to the join link. Then the tab is hidden as a phone hides it: it leaves cleanly, says so, and joins again
// when shown. Screenshots of both pages go to test-artifacts/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jsQR from 'jsqr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, type BrowserSession } from './browser/harness.ts';
import { buildBrowserBundle } from './browser/bundle.ts';
import { killAll, startCoordinatorProcess, startPeerProcess, waitFor, type CoordinatorProc } from './cluster/processes.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../test-artifacts');
const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-dashboard-'));

describe.runIf(chromiumAvailable())('dashboard and phone-friendly peer page', () => {
  let browser: BrowserSession;
  let coord: CoordinatorProc;
  let tab: Page;
  const logs = () => `\n--- tabs ---\n${browser.logs.slice(-30).join('\n')}\n--- coordinator ---\n${coord.output().slice(-3000)}`;

  beforeAll(async () => {
    buildBrowserBundle();
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchBrowser();
    coord = await startCoordinatorProcess([
      '--preset', 'tiny', '--run-dir', runDir, '--batch-size', '4', '--min-peers', '2', '--eval-every', '3', '--checkpoint-every', '5', '--seed', '5',
    ], 'dash-token');
  });

  afterAll(async () => {
    await browser?.close();
    await killAll();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('shows transport, share, throughput, countdowns and the compressor reference; its QR code is the join link', async () => {
    startPeerProcess(coord.url, coord.token);
    tab = await browser.newPage();
    await tab.setViewportSize({ width: 390, height: 844 });
    await tab.goto(`${coord.url}/?token=${coord.token}&join=1&background=leave`);
    const s = await waitFor('two peers contributing, two validations and the compressor reference', async () => {
      const st = await coord.status();
      return st.peers.length === 2 && st.peers.every((p) => p.roundsContributed >= 2) && st.validation.length >= 2 && st.compressorReference ? st : undefined;
    }, 400_000).catch((e: Error) => { throw new Error(e.message + logs()); });
    expect(s.peers.map((p) => p.transport)).toEqual(['webrtc', 'webrtc']);
    const ref = s.compressorReference!;
    // The tiny model after a few rounds is far from the compressors; they are real figures of English text.
    expect(ref.gzip).toBeGreaterThan(2);
    expect(ref.gzip).toBeLessThan(5);
    expect(ref.brotli).toBeLessThan(ref.gzip);

    const dash = await browser.newPage();
    await dash.setViewportSize({ width: 1200, height: 1300 });
    await dash.goto(`${coord.url}/dashboard?token=${coord.token}`);
    await dash.waitForFunction(() => document.querySelectorAll('#peers tbody tr[data-transport="webrtc"]').length === 2, undefined, { timeout: 10_000 });
    const shares = await dash.$$eval('#peers tbody tr', (rows) => rows.map((r) => (r as HTMLTableRowElement).cells[6]!.textContent));
    const sum = shares.reduce((a, t) => a + Number(t!.replace('%', '')), 0);
    expect(sum, `shares ${shares}`).toBeGreaterThanOrEqual(99);
    expect(sum).toBeLessThanOrEqual(101);
    expect(await dash.locator('#speed').textContent()).toMatch(/B\/s$/);
    expect(await dash.locator('#next-validation').textContent()).toMatch(/^in [1-3] rounds?/);
    expect(await dash.locator('#next-checkpoint').textContent()).toMatch(/^in [1-5] rounds?/);
    expect(await dash.locator('#reference').textContent()).toBe(`${ref.gzip.toFixed(2)} / ${ref.brotli.toFixed(2)}`);
    // The validation chart has three series: validation and the two reference lines.
    expect(await dash.locator('#bpb-chart .u-legend').textContent()).toMatch(/validation bpb.*gzip -9.*brotli -q 11/);

    const qr = await dash.evaluate(() => {
      const c = document.getElementById('join-qr') as HTMLCanvasElement;
      const img = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      return { width: img.width, height: img.height, data: Array.from(img.data) };
    });
    const decoded = jsQR(Uint8ClampedArray.from(qr.data), qr.width, qr.height);
    expect(decoded?.data).toBe(`${coord.url}/?token=${coord.token}`);
    // Opened at 127.0.0.1, the page warns that a phone cannot reach that address.
    expect(await dash.locator('#join-note').textContent()).toMatch(/loopback/);
    await dash.waitForTimeout(1200);
    await dash.screenshot({ path: path.join(ARTIFACTS, 'dashboard-insights.png'), fullPage: true });
    await tab.screenshot({ path: path.join(ARTIFACTS, 'peer-page-390.png'), fullPage: true });
    // The peer page's dashboard link carries the token on, so the dashboard it opens shows the code.
    expect(await tab.locator('#dashboard-link').getAttribute('href')).toBe(`/dashboard?token=${coord.token}`);

    // Without the token in its link the dashboard draws no code and says where to find it.
    const bare = await browser.newPage();
    await bare.goto(`${coord.url}/dashboard`);
    await bare.waitForFunction(() => document.getElementById('join-note')!.textContent !== '');
    expect(await bare.locator('#join-qr').isHidden()).toBe(true);
    await bare.close();
    await dash.close();
  }, 420_000);

  it('a hidden tab leaves cleanly, says so, and joins again when shown', async () => {
    const firstId = await tab.evaluate(() => document.body.dataset.peerId);
    await tab.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await waitFor('the hidden tab gone from /api/status', async () => {
      const st = await coord.status();
      return st.peers.length === 1 && st.peers[0]!.kind === 'node' ? st : undefined;
    }, 15_000).catch((e: Error) => { throw new Error(e.message + logs()); });
    expect(await tab.locator('#notice').textContent()).toMatch(/Training paused: this tab was hidden/);
    expect(await tab.locator('#problem').isHidden()).toBe(true);
    // A clean leave, not a timeout: the coordinator logged the tab's goodbye with its reason.
    const ownLines = coord.output().split('\n').filter((l) => l.includes(`"peer":"${firstId}"`));
    expect(ownLines.join('\n'), logs()).toMatch(/"reason":"tab hidden","msg":"peer left"/);
    expect(ownLines.join('\n')).not.toMatch(/ERR_HEARTBEAT_TIMEOUT|ERR_DATA_CHANNEL_TIMEOUT/);

    await tab.evaluate(() => {
      delete (document as unknown as Record<string, unknown>).visibilityState;
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await waitFor('the tab back in the run', async () => {
      const st = await coord.status();
      return st.peers.some((p) => p.kind === 'browser' && p.id !== firstId && p.roundsContributed >= 1) ? st : undefined;
    }, 120_000).catch((e: Error) => { throw new Error(e.message + logs()); });
  }, 200_000);
});
