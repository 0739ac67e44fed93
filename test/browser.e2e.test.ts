// End to end in real Chromium: a coordinator process (tiny preset), two headless tabs that joined from the
// peer page and one Node peer train together. Checks through /api/status that all three contributed and
// validation bpb fell, through the dashboard's DOM that it lists three peers, saves screenshots to
// test-artifacts/, and closes a tab in the middle of a round: the run must go on without it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchBrowser, type BrowserSession } from './browser/harness.ts';
import { buildBrowserBundle } from './browser/bundle.ts';
import { killAll, startCoordinatorProcess, startPeerProcess, waitFor, type CoordinatorProc, type Proc } from './cluster/processes.ts';
import type { CoordinatorStatus } from '../protocol/status.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../test-artifacts');
const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-browser-e2e-'));

describe.runIf(chromiumAvailable())('browser tabs + Node peer train together', () => {
  let browser: BrowserSession;
  let coord: CoordinatorProc;
  let nodePeer: Proc;
  const tabs: Page[] = [];
  const logs = () => `\n--- tabs ---\n${browser.logs.slice(-40).join('\n')}\n--- coordinator ---\n${coord.output().slice(-3000)}`;

  beforeAll(async () => {
    buildBrowserBundle();
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchBrowser();
    coord = await startCoordinatorProcess([
      '--preset', 'tiny', '--run-dir', runDir, '--batch-size', '4', '--min-peers', '2', '--eval-every', '4',
      '--checkpoint-every', '8', '--codec', 'int8', '--lr', '0.01', '--seed', '11', '--admin-token', 'sesame',
    ], 'tab-token');
  });

  afterAll(async () => {
    await browser?.close();
    await killAll();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('two tabs and a Node peer all contribute and validation bpb falls', async () => {
    for (let i = 0; i < 2; i++) {
      const tab = await browser.newPage();
      if (i === 1) await tab.setViewportSize({ width: 390, height: 844 });
      await tab.goto(`${coord.url}/?token=${coord.token}&join=1`);
      tabs.push(tab);
    }
    nodePeer = startPeerProcess(coord.url, coord.token);

    const status = async () => coord.status();
    const enough = (s: CoordinatorStatus) =>
      s.peers.length === 3 && s.peers.every((p) => p.roundsContributed >= 3) && s.validation.length >= 4;
    const s = await waitFor('three peers contributing and four validations', async () => {
      const st = await status();
      return enough(st) ? st : undefined;
    }, 240_000).catch((e: Error) => { throw new Error(e.message + logs()); });

    expect(s.peers.map((p) => p.kind).sort()).toEqual(['browser', 'browser', 'node']);
    const first = s.validation[0]!.bpb;
    const last = s.validation.at(-1)!.bpb;
    expect(Number.isFinite(first)).toBe(true);
    expect(last, `validation bpb ${first} -> ${last}`).toBeLessThan(first);
    for (const p of s.peers) expect(p.rejected, `peer ${p.id} (${p.kind}) had rejections`).toBe(0);

    // Each tab shows what it does: connected, a backend, its rounds and its rate.
    for (const tab of tabs) {
      expect(await tab.locator('#conn').textContent()).toMatch(/connected|training/);
      expect(await tab.locator('#backend').textContent()).toMatch(/wasm|webgl|webgpu|cpu/);
      expect(Number(await tab.evaluate(() => document.body.dataset.rounds))).toBeGreaterThanOrEqual(3);
      expect(await tab.locator('#rate').textContent()).toMatch(/B\/s/);
      expect(await tab.evaluate(() => crossOriginIsolated)).toBe(true);
    }
    await tabs[0]!.screenshot({ path: path.join(ARTIFACTS, 'peer-page.png'), fullPage: true });
    // The second tab is phone-sized: everything fits its width.
    expect(await tabs[1]!.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await tabs[1]!.screenshot({ path: path.join(ARTIFACTS, 'peer-page-phone.png'), fullPage: true });

    const dash = await browser.newPage();
    await dash.setViewportSize({ width: 1200, height: 1100 });
    await dash.goto(`${coord.url}/dashboard`);
    await dash.waitForFunction(() => document.querySelectorAll('#peers tbody tr').length === 3, undefined, { timeout: 10_000 });
    const kinds = await dash.$$eval('#peers tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.kind).sort());
    expect(kinds).toEqual(['browser', 'browser', 'node']);
    await dash.waitForFunction(() => document.querySelector('#bpb-chart canvas') !== null && document.getElementById('bpb')!.textContent !== '-');
    // The round time split: compute, transfer, aggregation (and broadcast) of the last round.
    expect(await dash.locator('#timing .legend').textContent()).toMatch(/compute \d+ ms.*transfer \+ waiting \d+ ms.*aggregation \d+ ms/);
    // The sample box holds text generated by the coordinator from the current model.
    await dash.waitForFunction(() => document.getElementById('sample')!.dataset.filled === '1', undefined, { timeout: 30_000 });
    expect(await dash.locator('#sample').textContent()).toMatch(/\(model of round \d+\)/);
    await dash.waitForTimeout(1200); // one more poll, so the charts hold every point
    await dash.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await dash.close();
  });

  it('a tab closed in the middle of a round does not stop the run', async () => {
    const victim = tabs[1]!;
    const victimId = await victim.evaluate(() => document.body.dataset.peerId);
    expect(victimId).toBeTruthy();
    // Once it trains, freeze its JavaScript (as a tab stuck in a step or suspended by the OS): from then on it
    // answers no assignment, so the round in progress when it closes cannot count on it. (Slowing its CPU was
    // racy: wasm threads are not throttled, and a step that ended just before the close sent its result.)
    await victim.waitForEvent('console', { predicate: (m) => m.text().startsWith('[peer] training'), timeout: 60_000 });
    const cdp = await browser.context.newCDPSession(victim);
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.pause');
    await new Promise((r) => setTimeout(r, 500));
    const roundAtClose = (await coord.status()).round;
    await victim.close();

    const after = await waitFor('rounds after the tab closed', async () => {
      const st = await coord.status();
      return st.round >= roundAtClose + 4 && !st.peers.some((p) => p.id === victimId) ? st : undefined;
    }, 120_000).catch((e: Error) => { throw new Error(e.message + logs()); });
    expect(after.peers.map((p) => p.kind).sort()).toEqual(['browser', 'node']);
    const rounds = after.recentLoss.filter((r) => r.round >= roundAtClose);
    const trace = JSON.stringify(after.recentLoss.map((r) => [r.round, r.peers]));
    // The round in progress at the close may hold a result the tab sent just before it froze; every later
    // round, which the frozen tab could only have stalled, finished with the two others.
    expect(rounds[0]!.peers, trace).toBeGreaterThanOrEqual(2);
    expect(rounds.slice(1).every((r) => r.peers === 2), trace).toBe(true);
    expect(nodePeer.output()).not.toMatch(/ERR_TOKEN|ERR_PROTOCOL/);
  });

  it('dashboard admin actions need the token: pause, checkpoint now, consolidate now, resume', async () => {
    const readOnly = await browser.newPage();
    await readOnly.goto(`${coord.url}/dashboard`);
    await readOnly.waitForFunction(() => document.getElementById('live')!.textContent === 'live');
    expect(await readOnly.locator('#admin').isHidden()).toBe(true);
    await readOnly.close();

    const dash = await browser.newPage();
    await dash.goto(`${coord.url}/dashboard?admin=sesame`);
    await dash.locator('button[data-action="pause"]').click();
    await dash.waitForFunction(() => document.getElementById('admin-result')!.textContent === 'pause: done');
    await new Promise((r) => setTimeout(r, 1500)); // a round in flight may still finish
    const pausedAt = (await coord.status()).round;
    await new Promise((r) => setTimeout(r, 3000));
    expect((await coord.status()).round, 'rounds went on while paused').toBe(pausedAt);

    const clickedAt = new Date().toISOString();
    await dash.locator('button[data-action="checkpoint"]').click();
    await dash.waitForFunction(() => document.getElementById('admin-result')!.textContent === 'checkpoint: done');
    const withCheckpoint = await coord.status();
    // A new record for the paused round (one that replaces a periodic checkpoint of the same round counts).
    expect(withCheckpoint.checkpoints.at(-1)!.round).toBe(pausedAt);
    expect(withCheckpoint.checkpoints.at(-1)!.at >= clickedAt).toBe(true);
    expect(withCheckpoint.checkpoints.filter((c) => c.round === pausedAt)).toHaveLength(1);

    // Consolidate now: the newest checkpoint row shows its size, sparsity and bpb delta.
    await dash.locator('button[data-action="consolidate"]').click();
    await dash.waitForFunction(() => document.getElementById('admin-result')!.textContent === 'consolidate: done', undefined, { timeout: 60_000 });
    await dash.waitForFunction(() => document.querySelector('#checkpoints tbody tr td:nth-child(6)')?.textContent !== '-', undefined, { timeout: 10_000 });
    const row = await dash.$$eval('#checkpoints tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
    expect(row[3]).toMatch(/B \(\d+% of fp32\)$/);
    expect(row[4]).toMatch(/^\d+\.\d%$/);
    expect(row[5]).toMatch(/^[+-]\d+\.\d{4}$/);
    expect(await dash.locator('#consolidation-policy').textContent()).toMatch(/consolidated: 50\.0% sparsity \(per-tensor\), int8, oneshot\./);
    await dash.screenshot({ path: path.join(ARTIFACTS, 'dashboard-admin-consolidated.png'), fullPage: true });

    await dash.locator('button[data-action="resume"]').click();
    await waitFor('rounds after resume', async () => ((await coord.status()).round >= pausedAt + 2 ? true : undefined), 60_000);
    await dash.close();
  });

  it('Leave: the coordinator drops the tab at once (no heartbeat timeout), the page can join again', async () => {
    const tab = tabs[0]!;
    const id = await tab.evaluate(() => document.body.dataset.peerId);
    expect((await coord.status()).peers.some((p) => p.id === id)).toBe(true);
    const t0 = Date.now();
    await tab.locator('#leave').click();
    await waitFor('the tab to be gone from /api/status', async () => ((await coord.status()).peers.some((p) => p.id === id) ? undefined : true), 5_000);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await tab.waitForFunction(() => document.getElementById('conn')!.textContent === 'not connected');
    expect(await tab.locator('#join').isVisible()).toBe(true);
    expect(await tab.locator('#problem').isHidden()).toBe(true);
  });
});
