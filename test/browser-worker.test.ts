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
const ROUNDS = 4;

// Installed before the page's own scripts (a string: test runners may rewrite a function's source).
const RESPONSIVENESS_PROBE = `
  const probe = (window.__probe = { maxGap: 0, steps: [], measuring: false });
  let last = performance.now();
  let stepStart = 0;
  function tick() {
    const now = performance.now();
    if (probe.measuring) probe.maxGap = Math.max(probe.maxGap, now - last);
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
      probe.measuring = true;
    } else if (text.startsWith('[peer] ready') && stepStart) {
      probe.steps.push(now - stepStart);
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
  steps: number[];
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

    const step = median(probe.steps);
    const detail = `steps ${probe.steps.map(Math.round).join(', ')} ms, largest gap between page ticks ${probe.maxGap.toFixed(1)} ms`;
    console.info(`[worker] ${detail}`);
    expect(probe.steps.length, detail).toBeGreaterThanOrEqual(ROUNDS);
    expect(step, `steps must be heavy enough to tell a frozen page from a free one: ${detail}`).toBeGreaterThanOrEqual(120);
    expect(probe.maxGap, detail).toBeLessThan(step / 4);

    // Leave: the coordinator drops the tab at once, the trainer stops and its worker is terminated; a fresh
    // worker is prepared for the next join.
    const closed = new Promise<void>((r) => trainingWorkers[0]!.once('close', () => r()));
    await leave(tab);
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the training worker was not terminated')), 5_000))]);
    await expect.poll(() => trainingWorkers.length, { timeout: 10_000 }).toBe(2);
    await tab.close();
  });

  it('?backend=wasm is honoured in the worker, with wasm threads', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${coord.url}/?token=${coord.token}&backend=wasm`);
    await tab.waitForFunction(() => document.getElementById('backend')!.textContent !== '-', undefined, { timeout: 30_000 });
    expect(await tab.locator('#compute').textContent()).toBe('worker');
    expect(await tab.locator('#backend').textContent()).toMatch(/^wasm/);
    const report = await tab.$$eval('#backend-report li', (lis) => lis.map((li) => li.textContent));
    expect(report).toHaveLength(1);
    // The worker is cross-origin isolated like the page, so wasm runs one thread per core (capped at 8).
    const cores = await tab.evaluate(() => navigator.hardwareConcurrency);
    expect(report[0]).toMatch(new RegExp(`^wasm: .* ms \\(${Math.min(8, cores)} threads?\\)`));
    await tab.close();
  });

  it('without a worker the page trains itself, and the same measurement sees it freeze for a step', async () => {
    const tab = await browser.newPage();
    await tab.addInitScript({ content: NO_TRAINING_WORKER });
    const probe = await trainAndMeasure(tab, '');
    expect(await tab.evaluate(() => document.body.dataset.compute)).toBe('page');
    expect(await tab.locator('#compute').textContent()).toBe('page');
    expect(await tab.locator('#backend-report li').first().textContent()).toMatch(/^worker: failed \(simulated: no dedicated workers here\); training runs on the page$/);

    const step = median(probe.steps);
    const detail = `steps ${probe.steps.map(Math.round).join(', ')} ms, largest gap between page ticks ${probe.maxGap.toFixed(1)} ms`;
    console.info(`[page] ${detail}`);
    expect(probe.maxGap, detail).toBeGreaterThanOrEqual(step * 0.7);
    await leave(tab);
    await tab.close();
  });
});
