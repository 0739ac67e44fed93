// Training on the GPU backends in a real tab: headless Chromium with --enable-unsafe-webgpu offers a
// SwiftShader WebGPU adapter on a secure page (http://127.0.0.1) and runs WebGL on SwiftShader too, so the
// correctness of tfjs's webgpu and webgl kernels in our training step is checked here without a GPU. The page
// (browser/gpu-training-page.ts) trains the tiny preset on wasm for a few AdamW steps, replays each step on
// the GPU backend from the same weights and batch, and compares the loss and every parameter tensor's
// gradient.
//
// The bounds are model/step-compare.ts's STEP_BOUNDS (why: there), the same the tab's backend check uses:
// gradients within 1e-4 of each tensor's largest entry, losses within 1e-5. Measured (SwiftShader, Chromium
// 150): gradients 1.3e-6 on webgpu and 6.5e-7 on webgl, losses 4.2e-7.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser, type BrowserSession } from './browser/harness.ts';
import { servePage, type ServedPage } from './browser/serve-page.ts';
import type { BackendRun, GpuTrainingOptions } from './browser/gpu-training-page.ts';
import { STEP_BOUNDS } from '../model/step-compare.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

const GRAD_BOUND = STEP_BOUNDS.grad;
const LOSS_BOUND = STEP_BOUNDS.loss;
/** Four steps with different batches and AdamW between them; SwiftShader compiles shaders per new shape. */
const OPTIONS: Omit<GpuTrainingOptions, 'backends'> = { steps: 4, examplesPerStep: 4, lr: 3e-3 };

/** Console lines by which WebGPU reports an invalid shader or pipeline (tfjs issue #8638 reads like this). */
const GPU_ERRORS = /WGSL|is invalid|Invalid (ShaderModule|ComputePipeline|CommandBuffer)|device (was )?lost|destroyed/i;

describe.runIf(chromiumAvailable())('GPU backends train like wasm in a real tab', () => {
  let served: ServedPage;
  let url: string;
  let browser: BrowserSession;

  beforeAll(async () => {
    served = await servePage({ page: { name: 'page', file: path.join(ROOT, 'test/browser/gpu-training-page.ts') } });
    url = served.url;
    browser = await launchBrowser({ extraArgs: ['--enable-unsafe-webgpu'] });
  });

  afterAll(async () => {
    await browser?.close();
    served?.close();
  });

  async function train(backend: 'webgpu' | 'webgl'): Promise<{ run: BackendRun; logs: string[] }> {
    const page = await browser.newPage();
    const from = browser.logs.length;
    await page.goto(url);
    await page.waitForFunction(() => 'gpuTraining' in window, undefined, { timeout: 30_000 });
    const options: GpuTrainingOptions = { ...OPTIONS, backends: [backend] };
    const [run] = await page.evaluate(
      (o) => (window as unknown as { gpuTraining(o: GpuTrainingOptions): Promise<BackendRun[]> }).gpuTraining(o),
      options,
    );
    await page.close();
    return { run: run!, logs: browser.logs.slice(from) };
  }

  it.each(['webgpu', 'webgl'] as const)('%s: every step\'s loss and gradient match wasm within float32 rounding', async (backend) => {
    const { run, logs } = await train(backend);
    expect(run.backend).toBe(backend);
    run.steps.forEach((s, i) => {
      console.info(
        `[${backend} step ${i}] loss ${s.loss.toFixed(5)}, loss error ${s.lossError.toExponential(1)}, ` +
          `gradient error ${s.gradError.toExponential(1)} (${s.worstTensor}), ${s.ms.toFixed(0)} ms`,
      );
    });
    expect(run.steps).toHaveLength(OPTIONS.steps);
    for (const [i, s] of run.steps.entries()) {
      const where = `${backend} step ${i}`;
      expect(Number.isFinite(s.loss) && s.loss > 0, `${where}: loss ${s.loss}`).toBe(true);
      expect(s.zeroTensors, `${where}: parameter tensors with an all-zero gradient`).toBe(0);
      expect(s.lossError, `${where}: relative loss error`).toBeLessThan(LOSS_BOUND);
      expect(s.gradError, `${where}: relative gradient error on ${s.worstTensor}`).toBeLessThan(GRAD_BOUND);
    }
    // The loss fell over the AdamW steps: the replayed weights are really trained ones.
    expect(run.steps.at(-1)!.loss).toBeLessThan(run.steps[0]!.loss);
    expect(logs.filter((l) => GPU_ERRORS.test(l))).toEqual([]);
    // tfjs-webgpu's synchronous read is what returned zeros: the sync trainStep refuses it.
    if (backend === 'webgpu') expect(run.syncRead).toMatch(/use trainStepAsync/);
    else expect(run.syncRead).toBe('allowed');
  });
});
