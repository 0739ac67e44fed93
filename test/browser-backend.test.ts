// The backend picker in real Chromium, served by the coordinator's web router: the page must be
// cross-origin isolated (so wasm trains on one worker per core), the .wasm files must load under
// require-corp, and a GPU backend is used only if its training step matched wasm's. This browser is started
// without --enable-unsafe-webgpu (webgpu is then unavailable) and runs WebGL on SwiftShader, whose step is
// checked and timed but (being CPU emulation) said to say nothing about a real GPU.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, type BrowserSession } from './browser/harness.ts';
import { servePage, type ServedPage } from './browser/serve-page.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

// The probe page runs the real picker, then a small training-like computation on the chosen backend.
const PROBE_ENTRY = `
import * as tf from '@tensorflow/tfjs';
import { pickBackend } from '${path.join(ROOT, 'peer/browser/pick-backend.ts')}';
const force = new URLSearchParams(location.search).get('backend') || undefined;
pickBackend({ wasmPaths: '/tfjs-wasm/', force }).then(async (choice) => {
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const y = await tf.matMul(x, x).data();
  window.result = { ...choice, isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, matmul: Array.from(y), tfBackend: tf.getBackend() };
}, (e) => { window.result = { error: String(e && e.message || e) }; });
`;

describe.runIf(chromiumAvailable())('backend choice in a real tab', () => {
  const entryDir = mkdtempSync(path.join(tmpdir(), 'stlm-probe-'));
  let served: ServedPage;
  let url: string;
  let browser: BrowserSession;

  beforeAll(async () => {
    writeFileSync(path.join(entryDir, 'entry.ts'), PROBE_ENTRY);
    served = await servePage({ page: { name: 'probe', file: path.join(entryDir, 'entry.ts') } });
    url = served.url;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    served?.close();
    rmSync(entryDir, { recursive: true, force: true });
  });

  async function probe(query: string): Promise<Record<string, unknown>> {
    const page = await browser.newPage();
    await page.goto(url + query);
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
    const result = await page.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result);
    await page.close();
    return result;
  }

  it('picks a backend whose training step matched wasm, with one training worker per core when isolated', async () => {
    const r = await probe('');
    expect(r.error, browser.logs.join('\n')).toBeUndefined();
    expect(r.isolated).toBe(true);
    expect(r.matmul).toEqual([7, 10, 15, 22]);
    expect(r.tfBackend).toBe(r.name);
    const report = r.report as string[];
    expect(report[0]).toMatch(/^wasm: training step \d+ ms \(\d+ training workers?\)/);
    expect((r.stepMs as Record<string, number>).wasm).toBeGreaterThan(0);
    // webgl and webgpu were each tried and either matched wasm or were reported unusable.
    expect(report.some((l) => l.startsWith('webgl:'))).toBe(true);
    expect(report.some((l) => l.startsWith('webgpu:'))).toBe(true);
    if (r.name !== 'wasm') expect(report.find((l) => l.startsWith(`${r.name}:`))).toMatch(/matches wasm/);
    const webgl = report.find((l) => l.startsWith('webgl:'))!;
    if (/matches wasm/.test(webgl)) {
      expect((r.stepMs as Record<string, number>).webgl).toBeGreaterThan(0);
      expect(webgl).toMatch(/SwiftShader.*says nothing about a real GPU/);
    }
    // Cross-origin isolated, so wasm trains on one worker per core (capped at 8).
    expect(report[0]).toContain(`(${Math.min(8, r.cores as number)} training worker`);
    expect(r.threads).toBe(r.name === 'wasm' ? Math.min(8, r.cores as number) : 1);
    console.info(`[backend probe] ${report.join(' | ')} -> ${r.name}`);
  });

  it('honours ?backend=wasm', async () => {
    const r = await probe('?backend=wasm');
    expect(r.error, browser.logs.join('\n')).toBeUndefined();
    expect(r.name).toBe('wasm');
    expect(r.report as string[]).toHaveLength(1);
  });
});
