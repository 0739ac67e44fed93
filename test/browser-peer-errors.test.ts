// The peer page's errors a person can act on, against a real coordinator process in real Chromium:
// a wrong token, WebRTC blocked for a tab that insists on WebRTC (it may only use TURN relays and none is
// configured: what a network that lets no direct UDP through looks like), and a coordinator that went away.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, type BrowserSession } from './browser/harness.ts';
import { buildBrowserBundle } from './browser/bundle.ts';
import { killAll, startCoordinatorProcess, type CoordinatorProc } from './cluster/processes.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../test-artifacts');
const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-browser-errors-'));

async function problemOf(page: Page, timeout: number): Promise<{ title: string; detail: string }> {
  await page.waitForFunction(() => !document.getElementById('problem')!.hidden, undefined, { timeout }).catch(async (e: Error) => {
    throw new Error(`${e.message}; the page says "${await page.locator('#conn').textContent()}"`);
  });
  return {
    title: (await page.locator('#problem-title').textContent()) ?? '',
    detail: (await page.locator('#problem-detail').textContent()) ?? '',
  };
}

describe.runIf(chromiumAvailable())('peer page errors', () => {
  let coord: CoordinatorProc;
  let browser: BrowserSession;

  beforeAll(async () => {
    buildBrowserBundle();
    mkdirSync(ARTIFACTS, { recursive: true });
    coord = await startCoordinatorProcess(['--preset', 'tiny', '--run-dir', runDir, '--min-peers', '5'], 'right-token');
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await killAll();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('wrong token: says so and how to get the right link, on a phone-sized screen', async () => {
    const tab = await browser.newPage();
    await tab.setViewportSize({ width: 390, height: 844 });
    await tab.goto(`${coord.url}/?token=not-the-token&join=1&backend=wasm`);
    const p = await problemOf(tab, 30_000);
    expect(p.title).toBe('Wrong join token');
    expect(p.detail).toContain('?token=');
    expect(await tab.locator('#join').isEnabled()).toBe(true);
    // Nothing overflows the phone's width.
    expect(await tab.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await tab.screenshot({ path: path.join(ARTIFACTS, 'peer-page-phone-wrong-token.png'), fullPage: true });
    await tab.close();
  });

  it('WebRTC blocked: names the problem and the --ice-server fix', async () => {
    const tab = await browser.newPage();
    // Relay-only ICE with no TURN server: the tab has no candidate at all, so ICE cannot complete.
    await tab.addInitScript(() => {
      const Native = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Native {
        constructor(config: RTCConfiguration = {}) {
          super({ ...config, iceTransportPolicy: 'relay' });
        }
      };
    });
    // A tab that insists on WebRTC (?transport=webrtc): on 'auto' it would go through the coordinator's relay.
    await tab.goto(`${coord.url}/?token=right-token&join=1&backend=wasm&transport=webrtc`);
    const p = await problemOf(tab, 45_000);
    expect(p.title, `${p.title}: ${p.detail}`).toBe('WebRTC is blocked');
    expect(p.detail).toContain('--ice-server');
    await tab.screenshot({ path: path.join(ARTIFACTS, 'peer-page-webrtc-blocked.png'), fullPage: true });
    await tab.close();
  });

  it('coordinator gone: says it is unreachable', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${coord.url}/?token=right-token&backend=wasm`);
    // The backend is picked (its wasm fetched) on load; wait for that before the server goes.
    await tab.waitForFunction(() => document.getElementById('backend')!.textContent !== '-', undefined, { timeout: 30_000 });
    await killAll();
    await tab.locator('#join').click();
    const p = await problemOf(tab, 60_000);
    expect(p.title).toBe('Coordinator unreachable');
    expect(p.detail).toContain(coord.url);
    await tab.close();
  });
});
