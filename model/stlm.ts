// StlmModel: the STLM's weights as tfjs tensors laid out by a flat manifest, with a training step that
// returns the flat gradient (the optimizer lives outside, over Float32Arrays; see adamw.ts).
import * as tf from '@tensorflow/tfjs';
import { validateConfig, type StlmConfig } from './config.ts';
import { checkBatch } from './bytes.ts';
import { encodeBatch, type EncodedBatch } from './batch.ts';
import { forwardLogits, lossSum, type ParamGetter } from './forward.ts';
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

  /** One forward + backward pass. Does not change the weights. */
  trainStep(batch: Uint8Array[]): TrainStepResult {
    this.guard();
    const enc = encodeBatch(checkBatch(batch, this.config), this.config);
    const { value, grads } = tf.tidy(() => {
      const f = (...ps: tf.Tensor[]) => tf.div(this.lossOf(ps, enc), enc.scoredBytes) as tf.Scalar;
      const r = tf.valueAndGrads(f)(this.params);
      // One flat tensor, so the gradient is read in one transfer.
      return { value: r.value, grads: tf.concat(r.grads.map((g) => tf.reshape(g, [-1]))) };
    });
    const loss = value.dataSync()[0];
    const flat = grads.dataSync() as Float32Array;
    value.dispose();
    grads.dispose();
    if (!Number.isFinite(loss)) throw new Error(`trainStep: loss is ${loss}; the weights have diverged`);
    return { loss, bytes: enc.scoredBytes, grads: flat };
  }

  /** Summed loss (nats) and scored bytes of a batch, no gradient. */
  evaluate(batch: Uint8Array[]): { lossSum: number; bytes: number } {
    this.guard();
    const enc = encodeBatch(checkBatch(batch, this.config), this.config);
    const t = tf.tidy(() => this.lossOf(this.params, enc));
    const sum = t.dataSync()[0];
    t.dispose();
    return { lossSum: sum, bytes: enc.scoredBytes };
  }

  /** Byte log-probabilities [B*T*P, BYTE_VOCAB] for an encoded batch (used by generation). */
  logProbs(enc: EncodedBatch): Float32Array {
    this.guard();
    const t = tf.tidy(() => tf.logSoftmax(forwardLogits(this.getter(this.params), enc, this.config, this.ops)));
    const out = t.dataSync() as Float32Array;
    t.dispose();
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
