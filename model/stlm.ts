// StlmModel: the STLM's weights as tfjs tensors laid out by a flat manifest, with a training step that
// returns the flat gradient (the optimizer lives outside, over Float32Arrays; see adamw.ts).
import * as tf from '@tensorflow/tfjs';
import { validateConfig, type StlmConfig } from './config.ts';
import { checkBatch } from './bytes.ts';
import { encodeBatch, type EncodedBatch } from './batch.ts';
import { forwardLogits, lossSum, scoredLogProbs, type ParamGetter } from './forward.ts';
import { fastOps, plainOps, type Ops } from './ops.ts';
import { initWeights, modelManifest, parameterCounts, type ParameterCounts } from './layout.ts';
import { manifestSize, type ParamManifest } from './params.ts';

export interface StlmModelOptions {
  /** 'fast' (default): custom gradients with plain matMuls only. 'plain': tfjs autograd, the baseline. */
  ops?: 'fast' | 'plain';
}

export interface TrainStepResult {
  /** Mean nats per scored byte. */
  loss: number;
  /** Scored bytes in the batch. */
  bytes: number;
  /** Gradient of the mean loss over the batch's scored bytes, laid out by the manifest. */
  grads: Float32Array;
}

export class StlmModel {
  readonly config: StlmConfig;
  readonly manifest: ParamManifest;
  readonly numParams: number;
  private params: tf.Tensor[];
  private readonly index: Map<string, number>;
  private readonly ops: Ops;
  private disposed = false;

  private constructor(config: StlmConfig, weights: Float32Array, opts: StlmModelOptions) {
    this.config = config;
    this.manifest = modelManifest(config);
    this.numParams = manifestSize(this.manifest);
    this.index = new Map(this.manifest.map((e, i) => [e.name, i]));
    this.ops = opts.ops === 'plain' ? plainOps : fastOps;
    this.params = [];
    this.setWeights(weights);
  }

  /** A new model with deterministic weights from `seed`. */
  static create(cfg: StlmConfig, seed: number, opts: StlmModelOptions = {}): StlmModel {
    const config = validateConfig({ ...cfg });
    return new StlmModel(config, initWeights(config, seed), opts);
  }

  /** A model with the given weights (e.g. from decodeWeightsFile), laid out by the config's manifest. */
  static fromWeights(cfg: StlmConfig, weights: Float32Array, opts: StlmModelOptions = {}): StlmModel {
    return new StlmModel(validateConfig({ ...cfg }), weights, opts);
  }

  /** All weights as one flat array (a copy), laid out by `manifest`. */
  getWeights(): Float32Array {
    this.guard();
    const out = new Float32Array(this.numParams);
    this.manifest.forEach((e, i) => out.set(this.params[i].dataSync() as Float32Array, e.offset));
    return out;
  }

  /** Replaces all weights from one flat array laid out by `manifest` (copied). */
  setWeights(w: Float32Array): void {
    this.guard();
    if (!(w instanceof Float32Array)) throw new Error('setWeights: expected a Float32Array');
    if (w.length !== this.numParams) {
      throw new Error(`setWeights: got ${w.length} floats, the model has ${this.numParams} parameters`);
    }
    const next = this.manifest.map((e) => tf.tensor(w.slice(e.offset, e.offset + e.size), e.shape, 'float32'));
    for (const t of this.params) t.dispose();
    this.params = next;
  }

  /** One forward + backward pass. Does not change the weights. Reads synchronously: not on webgpu. */
  trainStep(batch: Uint8Array[]): TrainStepResult {
    refuseWebgpu('trainStep', 'use trainStepAsync');
    const step = this.stepTensors(batch);
    try {
      return stepResult(step.value.dataSync()[0], step.grads.dataSync() as Float32Array, step.bytes);
    } finally {
      step.value.dispose();
      step.grads.dispose();
    }
  }

  /** trainStep with asynchronous reads, for GPU backends: nothing waits on the GPU until the results are in. */
  async trainStepAsync(batch: Uint8Array[]): Promise<TrainStepResult> {
    const step = this.stepTensors(batch);
    try {
      const [value, grads] = await Promise.all([step.value.data(), step.grads.data()]);
      return stepResult(value[0], grads as Float32Array, step.bytes);
    } finally {
      step.value.dispose();
      step.grads.dispose();
    }
  }

  /** Summed loss (nats) and scored bytes of a batch, no gradient. Reads synchronously: not on webgpu. */
  evaluate(batch: Uint8Array[]): { lossSum: number; bytes: number } {
    refuseWebgpu('evaluate', 'use evaluateAsync');
    const { sum, bytes } = this.evalTensor(batch);
    try {
      return { lossSum: sum.dataSync()[0], bytes };
    } finally {
      sum.dispose();
    }
  }

  /** evaluate with an asynchronous read (GPU backends). */
  async evaluateAsync(batch: Uint8Array[]): Promise<{ lossSum: number; bytes: number }> {
    const { sum, bytes } = this.evalTensor(batch);
    try {
      return { lossSum: (await sum.data())[0], bytes };
    } finally {
      sum.dispose();
    }
  }

  /** Byte log-probabilities [B*T*P, BYTE_VOCAB] for an encoded batch (used by generation). Not on webgpu. */
  logProbs(enc: EncodedBatch): Float32Array {
    this.guard();
    refuseWebgpu('logProbs', 'generate on wasm');
    const t = tf.tidy(() => tf.logSoftmax(forwardLogits(this.getter(this.params), enc, this.config, this.ops)));
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return out;
  }

  /**
   * Log-probability (nats) of every byte of every example given the bytes before it in that example, one array
   * per example. Reads synchronously: not on webgpu.
   */
  byteLogProbs(batch: Uint8Array[]): Float32Array[] {
    this.guard();
    refuseWebgpu('byteLogProbs', 'score on wasm');
    const examples = checkBatch(batch, this.config);
    const enc = encodeBatch(examples, this.config);
    const t = tf.tidy(() => scoredLogProbs(this.getter(this.params), enc, this.config, this.ops));
    const flat = t.dataSync() as Float32Array;
    t.dispose();
    const out: Float32Array[] = [];
    let at = 0;
    for (const ex of examples) {
      out.push(flat.slice(at, at + ex.length));
      at += ex.length;
    }
    return out;
  }

  /** Parameter counts per component, total stored, and the count without tying. */
  parameterCounts(): ParameterCounts {
    return parameterCounts(this.config);
  }

  /** Frees the weight tensors; the model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    for (const t of this.params) t.dispose();
    this.params = [];
    this.disposed = true;
  }

  /** The step's mean loss and flat gradient as tensors (not yet read), queued on the backend. */
  private stepTensors(batch: Uint8Array[]): { value: tf.Scalar; grads: tf.Tensor1D; bytes: number } {
    this.guard();
    const enc = encodeBatch(checkBatch(batch, this.config), this.config);
    const { value, grads } = tf.tidy(() => {
      const f = (...ps: tf.Tensor[]) => tf.div(this.lossOf(ps, enc), enc.scoredBytes) as tf.Scalar;
      const r = tf.valueAndGrads(f)(this.params);
      // One flat tensor, so the gradient is read in one transfer.
      return { value: r.value, grads: tf.concat(r.grads.map((g) => tf.reshape(g, [-1]))) as tf.Tensor1D };
    });
    return { value, grads, bytes: enc.scoredBytes };
  }

  private evalTensor(batch: Uint8Array[]): { sum: tf.Scalar; bytes: number } {
    this.guard();
    const enc = encodeBatch(checkBatch(batch, this.config), this.config);
    return { sum: tf.tidy(() => this.lossOf(this.params, enc)), bytes: enc.scoredBytes };
  }

  private lossOf(ps: tf.Tensor[], enc: EncodedBatch): tf.Scalar {
    return lossSum(this.getter(ps), enc, this.config, this.ops);
  }

  private getter(ps: tf.Tensor[]): ParamGetter {
    return (name) => {
      const i = this.index.get(name);
      if (i === undefined) throw new Error(`no parameter named ${name}`);
      return ps[i];
    };
  }

  private guard(): void {
    if (this.disposed) throw new Error('StlmModel used after dispose()');
  }
}

/**
 * Called by the methods that read their result synchronously. tfjs-webgpu 4.22 reads synchronously by
 * copying the buffer into a WebGPU canvas and drawing that into a 2-D canvas. Where Chromium cannot back a
 * WebGPU canvas (headless Chromium 150 on SwiftShader: "Could not find SharedImageBackingFactory ...
 * WebgpuSwapChainTexture"), the read returns zeros and the GPU device is destroyed, so every later result is
 * zeros too: a loss of exactly 0, no error. A synchronous read also stalls the page until the GPU is done.
 * So on webgpu they refuse, loudly, before computing anything.
 */
function refuseWebgpu(method: string, hint: string): void {
  if (tf.getBackend() === 'webgpu') {
    throw new Error(
      `StlmModel.${method} reads synchronously, which tfjs-webgpu cannot do reliably (zeros, a lost device): ${hint}`,
    );
  }
}

function stepResult(loss: number, grads: Float32Array, bytes: number): TrainStepResult {
  if (!Number.isFinite(loss)) throw new Error(`trainStep: loss is ${loss}; the weights have diverged`);
  return { loss, bytes, grads };
}
