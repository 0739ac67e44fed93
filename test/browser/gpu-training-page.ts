// The page of browser-gpu-training.test.ts: trains the tiny preset for a few AdamW steps on wasm, replays the
// steps on each GPU backend in the same tab and compares every step's loss and flat gradient with wasm's,
// tensor by tensor. The comparison runs here so that only a summary crosses to Node, not a gradient per step.
import { setupBackend, type BackendName } from '../../model/backend.ts';
import { resolveConfig } from '../../model/config.ts';
import { splitIntoExamples, textToBytes } from '../../model/bytes.ts';
import { AdamW } from '../../model/adamw.ts';
import { decayMaskFromManifest, type ParamManifest } from '../../model/params.ts';
import { compareSteps, type StepDifference } from '../../model/step-compare.ts';
import { StlmModel, type TrainStepResult } from '../../model/stlm.ts';

export interface StepComparison extends StepDifference {
  loss: number;
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
  return { loss: r.loss, ...compareSteps(ref, r, manifest), ms };
}

/** Trains on wasm (the reference), then replays the steps on each other backend and compares. */
async function run(o: GpuTrainingOptions): Promise<BackendRun[]> {
  const ref = await reference(o);
  const runs: BackendRun[] = [];
  for (const backend of o.backends) runs.push(await replay(backend, ref, o));
  return runs;
}

(window as unknown as { gpuTraining: typeof run }).gpuTraining = run;
