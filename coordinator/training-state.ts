// The master copy of the run: weights, optimizer state, round and version counters, and how an aggregated
// update is applied. Synchronous mode steps AdamW on the averaged gradient with the lr schedule;
// local-steps mode (DiLoCo) steps outer Nesterov momentum on the averaged pseudo-gradient.
import { AdamW, type AdamWOptions } from '../model/adamw.ts';
import { learningRate } from '../model/schedule.ts';
import { createAggregator, type AggregatorName } from './aggregate/index.ts';
import { OuterNesterov } from './outer-optimizer.ts';

export interface TrainingStateOptions {
  weights: Float32Array;
  localSteps: number;
  aggregator: AggregatorName;
  trimFraction: number;
  schedule: { maxLr: number; minLr: number; warmupSteps: number; totalSteps: number };
  adamw: AdamWOptions;
  outer: { lr: number; momentum: number };
}

export interface TrainingStateSnapshot {
  round: number;
  version: number;
  bytesProcessed: number;
  weights: Float32Array;
  optimizer: unknown;
}

export class TrainingState {
  readonly weights: Float32Array;
  readonly numParams: number;
  /** Rounds started (empty rounds count: a late result names its round). */
  round = 0;
  /** Bumped on every applied update; a result is only used for the version it was computed on. */
  version = 0;
  bytesProcessed = 0;
  private readonly adamw: AdamW | undefined;
  private readonly outer: OuterNesterov | undefined;
  private readonly aggregator: ReturnType<typeof createAggregator>;

  constructor(private readonly o: TrainingStateOptions) {
    this.weights = o.weights;
    this.numParams = o.weights.length;
    this.aggregator = createAggregator(o.aggregator, { trimFraction: o.trimFraction });
    if (o.localSteps > 1) this.outer = new OuterNesterov(this.numParams, o.outer);
    else this.adamw = new AdamW(this.numParams, o.adamw);
  }

  get mode(): 'sync' | 'local-steps' {
    return this.outer ? 'local-steps' : 'sync';
  }

  /** The learning rate of the optimizer step that the next update will take (the schedule's step = version). */
  learningRate(): number {
    return learningRate(this.version, this.o.schedule);
  }

  /** In local-steps mode the peers' inner AdamW follows the schedule per inner step. */
  innerLearningRate(): number {
    return learningRate(this.version * Math.max(1, this.o.localSteps), this.o.schedule);
  }

  aggregate(contributions: Array<{ vector: Float32Array; weight: number; peerId: string }>): Float32Array {
    return this.aggregator.aggregate(contributions);
  }

  /** Applies one aggregated gradient (sync) or pseudo-gradient (local steps) and bumps the version. */
  applyUpdate(update: Float32Array): { lr: number; gradNorm?: number } {
    let out: { lr: number; gradNorm?: number };
    if (this.adamw) {
      const lr = this.learningRate();
      const { gradNorm } = this.adamw.step(this.weights, update, lr);
      out = { lr, gradNorm };
    } else {
      this.outer!.step(this.weights, update);
      out = { lr: this.o.outer.lr };
    }
    this.version += 1;
    return out;
  }

  snapshot(): TrainingStateSnapshot {
    return {
      round: this.round,
      version: this.version,
      bytesProcessed: this.bytesProcessed,
      weights: this.weights.slice(),
      optimizer: this.adamw ? this.adamw.exportState() : this.outer!.exportState(),
    };
  }

  restore(s: TrainingStateSnapshot): void {
    if (s.weights.length !== this.numParams) {
      throw new Error(`checkpoint has ${s.weights.length} parameters, the model has ${this.numParams}`);
    }
    this.weights.set(s.weights);
    this.round = s.round;
    this.version = s.version;
    this.bytesProcessed = s.bytesProcessed;
    if (this.adamw) this.adamw.importState(s.optimizer as Parameters<AdamW['importState']>[0]);
    else this.outer!.importState(s.optimizer as Parameters<OuterNesterov['importState']>[0]);
  }
}
