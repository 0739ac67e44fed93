// The tab trains in a dedicated Web Worker, so the page stays responsive during a training step. Measured
// inside real Chromium tabs against a coordinator process whose tiny-preset steps are made CPU-heavy (large
// batches): a setTimeout(0) loop on the page records the largest gap between its ticks while rounds run,
// and the page's console says when each step starts and ends. In the worker the gap stays a small fraction
// of a step; the fallback (no worker: the trainer runs on the page) is measured the same way and must show
// the page frozen for about a whole step, which proves the measurement would catch a regression.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Worker } from 'playwright-core';
import { chromiumAvailable, launchBrowser, type BrowserSession } from './browser/harness.ts';
import { buildBrowserBundle } from './browser/bundle.ts';
import { killAll, startCoordinatorProcess, waitFor, type CoordinatorProc } from './cluster/processes.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-browser-worker-'));
const ROUNDS = 5;

// Installed before the page's own scripts (a string: test runners may rewrite a function's source). For each
// step it records the step's duration and the longest the page went without a tick during it (counting, at the
// step's end, the time since the last tick: on a frozen page the whole step is one gap).
const RESPONSIVENESS_PROBE = `
  const probe = (window.__probe = { maxGap: 0, steps: [] });
  let last = performance.now();
  let stepStart = 0;
  let stepGap = 0;
  function tick() {
    const now = performance.now();
    if (stepStart) stepGap = Math.max(stepGap, now - last);
    if (probe.steps.length || stepStart) probe.maxGap = Math.max(probe.maxGap, now - last);
    last = now;
    setTimeout(tick, 0);
  }
  setTimeout(tick, 0);
  // The page logs "[peer] training round N" when a step starts and "[peer] ready round N" when it ended.
  const info = console.info.bind(console);
  console.info = (...args) => {
    const text = String(args[0]);
    const now = performance.now();
    if (text.startsWith('[peer] training')) {
      stepStart = now;
      stepGap = 0;
    } else if (text.startsWith('[peer] ready') && stepStart) {
      const ms = now - stepStart;
      probe.steps.push({ ms, frozen: Math.max(stepGap, now - last) / ms });
      stepStart = 0;
    }
    info(...args);
  };
`;

// An old browser: the training worker cannot be created (other workers, e.g. wasm threads, still can).
const NO_TRAINING_WORKER = `
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(url, opts) {
      if (String(url).includes('peer-worker')) throw new Error('simulated: no dedicated workers here');
      super(url, opts);
    }
  };
`;

interface Probe {
  maxGap: number;
  /** Each step's duration and the longest tick gap during it as a fraction of it (1 = the page froze). */
  steps: { ms: number; frozen: number }[];
}

function summary(p: Probe): { step: number; frozen: number; detail: string } {
  const detail =
    `steps ${p.steps.map((s) => `${Math.round(s.ms)} ms (page frozen ${Math.round(s.frozen * 100)}%)`).join(', ')}; ` +
    `largest gap between page ticks ${p.maxGap.toFixed(1)} ms`;
  return { step: median(p.steps.map((s) => s.ms)), frozen: median(p.steps.map((s) => s.frozen)), detail };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe.runIf(chromiumAvailable())('the tab trains in a Web Worker', () => {
  let browser: BrowserSession;
  let coord: CoordinatorProc;
  const logs = () => `\n--- tabs ---\n${browser.logs.slice(-30).join('\n')}\n--- coordinator ---\n${coord.output().slice(-2000)}`;

  beforeAll(async () => {
    buildBrowserBundle();
    browser = await launchBrowser();
    // 128 examples a step: a tiny-preset step then takes a few hundred ms of CPU.
    coord = await startCoordinatorProcess(['--preset', 'tiny', '--run-dir', runDir, '--batch-size', '128', '--min-peers', '1', '--seed', '5'], 'w-token');
  });

  afterAll(async () => {
    await browser?.close();
    await killAll();
    rmSync(runDir, { recursive: true, force: true });
  });

  async function trainAndMeasure(tab: Page, query: string): Promise<Probe> {
    await tab.addInitScript({ content: RESPONSIVENESS_PROBE });
    await tab.goto(`${coord.url}/?token=${coord.token}&join=1${query}`);
    await tab
      .waitForFunction((n) => Number(document.body.dataset.rounds ?? 0) >= n, ROUNDS, { timeout: 120_000 })
      .catch((e: Error) => { throw new Error(e.message + logs()); });
    return tab.evaluate(() => (window as unknown as { __probe: Probe }).__probe);
  }

  async function leave(tab: Page): Promise<void> {
    const id = await tab.evaluate(() => document.body.dataset.peerId);
    await tab.locator('#leave').click();
    await waitFor('the tab to leave the run', async () => ((await coord.status()).peers.some((p) => p.id === id) ? undefined : true), 5_000);
    await tab.waitForFunction(() => document.getElementById('conn')!.textContent === 'not connected');
  }

  it('the page stays responsive while steps run in the worker; Leave terminates the worker', async () => {
    const tab = await browser.newPage();
    const trainingWorkers: Worker[] = [];
    tab.on('worker', (w) => {
      if (w.url().endsWith('/assets/peer-worker.js')) trainingWorkers.push(w);
    });
    const probe = await trainAndMeasure(tab, '');
    expect(await tab.evaluate(() => document.body.dataset.compute)).toBe('worker');
    expect(await tab.locator('#compute').textContent()).toBe('worker');
    expect(await tab.locator('#backend').textContent()).toMatch(/^wasm ×\d+$|webgl|webgpu/);
    expect(trainingWorkers).toHaveLength(1);

    // The median over the steps: one step slowed by other processes on a busy machine does not decide it.
    const { step, frozen, detail } = summary(probe);
    console.info(`[worker] ${detail}`);
    expect(probe.steps.length, detail).toBeGreaterThanOrEqual(ROUNDS);
    expect(step, `steps must be heavy enough to tell a frozen page from a free one: ${detail}`).toBeGreaterThanOrEqual(120);
    expect(frozen, detail).toBeLessThan(0.25);

    // Leave: the coordinator drops the tab at once, the trainer stops and its worker is terminated; a fresh
    // worker is prepared for the next join.
    const closed = new Promise<void>((r) => trainingWorkers[0]!.once('close', () => r()));
    await leave(tab);
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the training worker was not terminated')), 5_000))]);
    // (A generous timeout: on a loaded machine a worker takes a while to start.)
    await expect.poll(() => trainingWorkers.length, { timeout: 60_000 }).toBe(2);
    await tab.close();
  });

  it('?backend=wasm is honoured in the worker, which trains on one training worker per core', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${coord.url}/?token=${coord.token}&backend=wasm&join=1`);
    await tab.waitForFunction(() => document.getElementById('backend')!.textContent !== '-', undefined, { timeout: 30_000 });
    expect(await tab.locator('#compute').textContent()).toBe('worker');
    const cores = Math.min(8, await tab.evaluate(() => navigator.hardwareConcurrency));
    expect(await tab.locator('#backend').textContent()).toBe(cores > 1 ? `wasm ×${cores}` : 'wasm');
    const report = await tab.$$eval('#backend-report li', (lis) => lis.map((li) => li.textContent));
    expect(report).toHaveLength(1);
    // The worker is cross-origin isolated like the page, so it starts one training worker per core (up to 8).
    expect(report[0]).toMatch(new RegExp(`^wasm: training step \\d+ ms \\(${cores} training workers?\\)`));
    // The coordinator sees one peer with that many threads, whose results it accepts.
    const id = await tab.evaluate(() => new Promise<string>((r) => {
      const poll = () => (document.body.dataset.peerId ? r(document.body.dataset.peerId) : setTimeout(poll, 100));
      poll();
    }));
    const peer = await waitFor('the tab to contribute on its training workers', async () => {
      const p = (await coord.status()).peers.find((x) => x.id === id);
      return p && p.roundsContributed >= 2 ? p : undefined;
    }, 60_000, coord);
    expect(peer.threads).toBe(cores);
    expect(peer.rejected).toBe(0);
    await leave(tab);
    await tab.close();
  });

  it('without a worker the page trains itself, and the same measurement sees it freeze for a step', async () => {
    const tab = await browser.newPage();
    await tab.addInitScript({ content: NO_TRAINING_WORKER });
    const probe = await trainAndMeasure(tab, '');
    expect(await tab.evaluate(() => document.body.dataset.compute)).toBe('page');
    expect(await tab.locator('#compute').textContent()).toBe('page');
    expect(await tab.locator('#backend-report li').first().textContent()).toMatch(/^worker: failed \(simulated: no dedicated workers here\); training runs on the page$/);

    const { frozen, detail } = summary(probe);
    console.info(`[page] ${detail}`);
    expect(frozen, detail).toBeGreaterThan(0.8);
    await leave(tab);
    await tab.close();
  });
});
