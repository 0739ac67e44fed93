// Picks the tfjs backend a tab trains on, by running the real thing: one training step of the run's model on
// a tiny batch, first on wasm (the reference), then on each GPU backend the browser offers (webgpu, then
// webgl). A GPU backend is trusted only if its loss and every parameter tensor's gradient match wasm within
// model/step-compare.ts's bounds: drivers, software GL and tfjs's own kernels have returned wrong numbers.
// Among the backends that pass, the fastest step wins, where wasm counts its training workers (one per core
// on a cross-origin isolated page, each with its own single-threaded tfjs-wasm: bench:browser-threads
// measured that faster than tfjs-wasm's own threads). Step times of software GPUs (SwiftShader) say nothing
// about a real GPU, and the report says so.
import * as tf from '@tensorflow/tfjs';
import { setupBackend, type BackendName } from '../../model/backend.ts';
import { resolveConfig, validateConfig, type StlmConfig } from '../../model/config.ts';
import { splitIntoExamples, textToBytes } from '../../model/bytes.ts';
import { StlmModel, type TrainStepResult } from '../../model/stlm.ts';
import { compareSteps, withinStepBounds } from '../../model/step-compare.ts';
import type { ParamManifest } from '../../model/params.ts';

export interface BackendChoice {
  name: string;
  /** Training threads: wasm training workers (one per core, up to 8, on an isolated page), else 1. */
  threads: number;
  /** Per-candidate outcome, shown on the page so a person can see why a GPU was or was not used. */
  report: string[];
  /** The checked training step's time on each backend that ran it (milliseconds, one thread for wasm). */
  stepMs: Partial<Record<BackendName, number>>;
}

export interface PickOptions {
  /** Where the tfjs .wasm files are served (the coordinator serves them at /tfjs-wasm/). */
  wasmPaths: string;
  /** Force one backend (`?backend=webgpu`); a GPU backend must still pass the check, else wasm is used. */
  force?: BackendName;
  /** The run's model config (the check trains it); the default preset if absent. */
  config?: Record<string, unknown>;
  /** False where training workers cannot be started (the page fallback): wasm then trains on one thread. */
  workers?: boolean;
}

const MAX_WORKERS = 8;
const CHECK_TEXT = 'The backend check trains one real step of the run\'s model on two short examples.\n';

interface CheckedStep {
  result: TrainStepResult;
  ms: number;
  manifest: ParamManifest;
}

/** One training step on the current backend (after a first one that compiles kernels and shaders). */
async function checkedStep(cfg: StlmConfig): Promise<CheckedStep> {
  const model = StlmModel.create(cfg, 7);
  try {
    const batch = splitIntoExamples(textToBytes(CHECK_TEXT.repeat(4)), cfg).slice(0, 2);
    await model.trainStepAsync(batch);
    const t0 = performance.now();
    const result = await model.trainStepAsync(batch);
    return { result, ms: performance.now() - t0, manifest: model.manifest };
  } finally {
    model.dispose();
  }
}

/** The renderer behind a GPU backend when it is a CPU emulation (SwiftShader, llvmpipe), else undefined. */
async function softwareRenderer(name: BackendName): Promise<string | undefined> {
  const soft = /swiftshader|llvmpipe|software/i;
  if (name === 'webgpu') {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> } }).gpu;
    const info = (await gpu?.requestAdapter())?.info;
    const text = `${info?.vendor ?? ''} ${info?.architecture ?? ''}`;
    return soft.test(text) ? text.trim() : undefined;
  }
  if (name === 'webgl' && typeof OffscreenCanvas !== 'undefined') {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    const renderer = ext ? String(gl!.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : '';
    return soft.test(renderer) ? renderer : undefined;
  }
  return undefined;
}

function runConfig(raw: Record<string, unknown> | undefined): StlmConfig {
  return raw ? validateConfig({ ...(raw as unknown as StlmConfig) }) : resolveConfig();
}

export async function pickBackend(opts: PickOptions): Promise<BackendChoice> {
  const isolated = globalThis.crossOriginIsolated === true;
  const workers = opts.workers !== false && isolated ? Math.max(1, Math.min(navigator.hardwareConcurrency || 1, MAX_WORKERS)) : 1;
  const cfg = runConfig(opts.config);
  const report: string[] = [];
  const wasm = await setupBackend('wasm', { wasmPaths: opts.wasmPaths, threads: 1 });
  const reference = await checkedStep(cfg);
  const stepMs: BackendChoice['stepMs'] = { wasm: reference.ms };
  const why = isolated ? '' : ', page not cross-origin isolated';
  report.push(`wasm: training step ${reference.ms.toFixed(0)} ms (${workers} training worker${workers > 1 ? 's' : ''}${why})`);
  if (opts.force === 'wasm') return { name: wasm, threads: workers, report, stepMs };

  // wasm trains `workers` batches in one step's time.
  let best = { name: wasm, ms: reference.ms / workers };
  const candidates: BackendName[] = opts.force ? [opts.force] : ['webgpu', 'webgl'];
  for (const name of candidates) {
    if (name === 'webgpu' && !('gpu' in navigator)) {
      report.push('webgpu: not offered by this browser (it needs a secure page and WebGPU support)');
      continue;
    }
    try {
      await setupBackend(name);
      const step = await checkedStep(cfg);
      const d = compareSteps(reference.result, step.result, reference.manifest);
      if (!withinStepBounds(d)) {
        report.push(
          `${name}: rejected, its training step differs from wasm (gradient ${d.gradError.toExponential(1)} on ${d.worstTensor}, ` +
            `loss ${d.lossError.toExponential(1)}${d.zeroTensors ? `, ${d.zeroTensors} all-zero gradients` : ''})`,
        );
        continue;
      }
      stepMs[name] = step.ms;
      const soft = await softwareRenderer(name);
      report.push(
        `${name}: training step ${step.ms.toFixed(0)} ms, matches wasm (gradient ${d.gradError.toExponential(1)})` +
          (soft ? ` - ${soft} emulates the GPU on the CPU: this speed says nothing about a real GPU` : ''),
      );
      if (step.ms < best.ms || opts.force === name) best = { name, ms: step.ms };
    } catch (e) {
      report.push(`${name}: unavailable (${(e as Error).message})`);
    }
  }
  // Every candidate is initialised by now: switching back needs no setup (and wasm paths are fixed at init).
  if (!(await tf.setBackend(best.name))) throw new Error(`tfjs backend "${best.name}" failed to re-initialise`);
  await tf.ready();
  const name = tf.getBackend();
  return { name, threads: name === 'wasm' ? workers : 1, report, stepMs };
}
