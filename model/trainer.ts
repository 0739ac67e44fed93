// LocalTrainer: model + AdamW + schedule in one process. The reference distributed training is compared
// against: same seed and same batches give the same losses as a coordinator that averages the fp32
// gradients of its peers weighted by scored bytes and applies this same AdamW step.
import { AdamW, type AdamWOptions } from './adamw.ts';
import { learningRate, type LrSchedule } from './schedule.ts';
import { decayMaskFromManifest } from './params.ts';
import type { StlmModel } from './stlm.ts';

export interface LocalTrainerOptions {
  model: StlmModel;
  schedule: LrSchedule;
  /** Defaults: DEFAULT_ADAMW with a decay mask from the model's manifest (no decay on norm gains). */
  optimizer?: Partial<AdamWOptions>;
}

export interface LocalStepResult {
  /** Mean nats per scored byte, before the update. */
  loss: number;
  bytes: number;
  /** Gradient norm before clipping. */
  gradNorm: number;
  /** Learning rate used for this step. */
  lr: number;
}

export class LocalTrainer {
  readonly model: StlmModel;
  readonly optimizer: AdamW;
  readonly schedule: LrSchedule;
  private weights: Float32Array;
  private steps = 0;

  constructor(opts: LocalTrainerOptions) {
    this.model = opts.model;
    this.schedule = opts.schedule;
    this.optimizer = new AdamW(this.model.numParams, {
      decayMask: decayMaskFromManifest(this.model.manifest),
      ...opts.optimizer,
    });
    this.weights = this.model.getWeights();
  }

  /** Steps taken so far (the schedule's step index of the next step). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * One training step on `batch`: gradient, clipped AdamW update, weights written back to the model.
   * `progress` (0..1, the share of the run done) drives the schedule's decay for a run with a time budget.
   */
  step(batch: Uint8Array[], progress?: number): LocalStepResult {
    const { loss, bytes, grads } = this.model.trainStep(batch);
    const lr = learningRate(this.steps, this.schedule, progress);
    const { gradNorm } = this.optimizer.step(this.weights, grads, lr);
    this.model.setWeights(this.weights);
    this.steps++;
    return { loss, bytes, gradNorm, lr };
  }
}
