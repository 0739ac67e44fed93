// The page of browser-gpu-training.test.ts: trains the tiny preset for a few AdamW steps on wasm, replays the
// steps on each GPU backend in the same tab and compares every step's loss and flat gradient with wasm's,
// tensor by tensor. The comparison runs here so that only a summary crosses to Node, not a gradient per step.
import { setupBackend, type BackendName } from '../../model/backend.ts';
import { resolveConfig } from '../../model/config.ts';
import { splitIntoExamples, textToBytes } from '../../model/bytes.ts';
import { AdamW } from '../../model/adamw.ts';
import { decayMaskFromManifest, manifestSize, type ParamManifest } from '../../model/params.ts';
import { StlmModel, type TrainStepResult } from '../../model/stlm.ts';

export interface StepComparison {
  loss: number;
  /** |loss - loss_wasm| / loss_wasm. */
  lossError: number;
  /** The largest over parameter tensors of max|g - g_wasm| / max|g_wasm|, and the tensor it is on. */
  gradError: number;
  worstTensor: string;
  /** Parameter tensors whose gradient is all zeros (a dead backward pass reads as zeros). */
  zeroTensors: number;
  ms: number;
}

export interface BackendRun {
  backend: string;
  steps: StepComparison[];
  /** What the synchronous trainStep did on this backend: 'allowed' or its error message. */
  syncRead: string;
}

export interface GpuTrainingOptions {
  backends: BackendName[];
  steps: number;
  examplesPerStep: number;
  lr: number;
}

const TEXT =
  'A small model, trained together by the devices people already have: bytes in, bytes out. It reads a ' +
  'chunk of bytes at a time and predicts the next chunk, byte by byte.\nEvery tab and every Node peer ' +
  'computes the same gradient for the same batch; the coordinator averages them and takes one step. ';
const CFG = resolveConfig('tiny');
const EXAMPLES = splitIntoExamples(textToBytes(TEXT.repeat(8)), CFG);

interface Reference {
  results: TrainStepResult[];
  /** The weights each step started from. */
  weightsAt: Float32Array[];
  manifest: ParamManifest;
}

function batchAt(step: number, o: GpuTrainingOptions): Uint8Array[] {
  const batch = EXAMPLES.slice(step * o.examplesPerStep, (step + 1) * o.examplesPerStep);
  if (batch.length < o.examplesPerStep) throw new Error(`the text has too few examples for ${o.steps} steps`);
  return batch;
}

/** The wasm run: same seed, one batch per step, AdamW between steps. */
async function reference(o: GpuTrainingOptions): Promise<Reference> {
  await setupBackend('wasm', { wasmPaths: '/tfjs-wasm/' });
  const model = StlmModel.create(CFG, 7);
  const opt = new AdamW(model.numParams, { decayMask: decayMaskFromManifest(model.manifest) });
  const weights = model.getWeights();
  const ref: Reference = { results: [], weightsAt: [], manifest: model.manifest };
  for (let s = 0; s < o.steps; s++) {
    ref.weightsAt.push(weights.slice());
    const r = await model.trainStepAsync(batchAt(s, o));
    ref.results.push(r);
    opt.step(weights, r.grads, o.lr);
    model.setWeights(weights);
  }
  model.dispose();
  return ref;
}

/**
 * The same steps on another backend, each from the weights wasm's step started from: every comparison is of
 * one function at one point, so only float32 rounding (summation order) separates the backends. (Letting
 * each backend follow its own AdamW trajectory mixes in Adam's amplification of that rounding: a gradient
 * component near zero whose sign differs moves its weight by a full step of lr either way.)
 */
async function replay(backend: BackendName, ref: Reference, o: GpuTrainingOptions): Promise<BackendRun> {
  const name = await setupBackend(backend);
  const model = StlmModel.fromWeights(CFG, ref.weightsAt[0]!);
  const steps: StepComparison[] = [];
  for (let s = 0; s < o.steps; s++) {
    model.setWeights(ref.weightsAt[s]!);
    const t0 = performance.now();
    const r = await model.trainStepAsync(batchAt(s, o));
    steps.push(compare(ref.results[s]!, r, ref.manifest, performance.now() - t0));
  }
  let syncRead = 'allowed';
  try {
    model.trainStep(batchAt(0, o));
  } catch (e) {
    syncRead = (e as Error).message;
  }
  model.dispose();
  return { backend: name, steps, syncRead };
}

function compare(ref: TrainStepResult, r: TrainStepResult, manifest: ParamManifest, ms: number): StepComparison {
  const size = manifestSize(manifest);
  if (r.grads.length !== size) throw new Error(`gradient has ${r.grads.length} floats, expected ${size}`);
  let gradError = 0;
  let worstTensor = '';
  let zeroTensors = 0;
  for (const e of manifest) {
    let scale = 0;
    let diff = 0;
    let own = 0;
    for (let i = e.offset; i < e.offset + e.size; i++) {
      scale = Math.max(scale, Math.abs(ref.grads[i]!));
      own = Math.max(own, Math.abs(r.grads[i]!));
      const d = Math.abs(r.grads[i]! - ref.grads[i]!);
      if (!(d <= diff)) diff = d; // NaN counts as the worst error
    }
    if (!(own > 0)) zeroTensors++;
    const err = scale > 0 ? diff / scale : diff;
    if (!(err <= gradError)) {
      gradError = err;
      worstTensor = e.name;
    }
  }
  return { loss: r.loss, lossError: Math.abs(r.loss - ref.loss) / ref.loss, gradError, worstTensor, zeroTensors, ms };
}

/** Trains on wasm (the reference), then replays the steps on each other backend and compares. */
async function run(o: GpuTrainingOptions): Promise<BackendRun[]> {
  const ref = await reference(o);
  const runs: BackendRun[] = [];
  for (const backend of o.backends) runs.push(await replay(backend, ref, o));
  return runs;
}

(window as unknown as { gpuTraining: typeof run }).gpuTraining = run;
