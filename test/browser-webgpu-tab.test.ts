// A tab forced to WebGPU trains for real: headless Chromium with --enable-unsafe-webgpu (a SwiftShader WebGPU
// adapter), the peer page opened with ?backend=webgpu&join=1 against a coordinator process on the tiny preset.
// Its backend check must pass webgpu on a real training step, and ten rounds trained on webgpu must report a
// finite, non-zero and falling loss (before async reads, webgpu reported exactly 0 every round).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, type BrowserSession } from './browser/harness.ts';
import { buildBrowserBundle } from './browser/bundle.ts';
import { killAll, startCoordinatorProcess, waitFor, type CoordinatorProc } from './cluster/processes.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-webgpu-tab-'));
const ROUNDS = 10;

describe.runIf(chromiumAvailable())('a tab on ?backend=webgpu', () => {
  let browser: BrowserSession;
  let coord: CoordinatorProc;

  beforeAll(async () => {
    buildBrowserBundle();
    browser = await launchBrowser({ extraArgs: ['--enable-unsafe-webgpu'] });
    coord = await startCoordinatorProcess(
      ['--preset', 'tiny', '--run-dir', runDir, '--batch-size', '8', '--min-peers', '1', '--eval-every', '0', '--checkpoint-every', '0', '--seed', '4'],
      'gpu-token',
    );
  });

  afterAll(async () => {
    await browser?.close();
    await killAll();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('passes the backend check on a training step and trains ten rounds with a falling, non-zero loss', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${coord.url}/?token=${coord.token}&join=1&backend=webgpu`);
    const logs = () => `\n--- tab ---\n${browser.logs.slice(-30).join('\n')}\n--- coordinator ---\n${coord.output().slice(-2000)}`;
    const status = await waitFor(
      `${ROUNDS} rounds trained on webgpu`,
      async () => {
        const s = await coord.status();
        return s.round >= ROUNDS && s.recentLoss.length >= ROUNDS ? s : undefined;
      },
      150_000,
    ).catch((e: Error) => {
      throw new Error(e.message + logs());
    });
    expect(await tab.locator('#backend').textContent()).toBe('webgpu');
    const report = await tab.$$eval('#backend-report li', (lis) => lis.map((li) => li.textContent ?? ''));
    expect(report.find((l) => l.startsWith('webgpu:')), report.join('\n')).toMatch(/matches wasm.*says nothing about a real GPU/);

    const peer = status.peers[0]!;
    expect(peer.kind).toBe('browser');
    expect(peer.backend).toBe('webgpu');
    expect(peer.backendStepMs?.wasm).toBeGreaterThan(0);
    expect(peer.backendStepMs?.webgpu).toBeGreaterThan(0);
    const losses = status.recentLoss.slice(0, ROUNDS).map((r) => r.loss);
    for (const loss of losses) {
      expect(Number.isFinite(loss)).toBe(true);
      expect(loss).toBeGreaterThan(0.5);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-3)), losses.join(', ')).toBeLessThan(mean(losses.slice(0, 3)) - 0.1);
    expect(browser.logs.join('\n')).not.toMatch(/WGSL|pipeline.*error|device.*lost/i);
  });
});
