// The master copy of the run: weights, optimizer state, round and version counters, and how an aggregated
// update is applied. Synchronous mode steps AdamW on the averaged gradient with the lr schedule;
// local-steps mode (DiLoCo) steps outer Nesterov momentum on the averaged pseudo-gradient; either is one
// MasterOptimizer (optimizer/), so nothing here depends on which.
import type { AdamWOptions } from '../../model/adamw.ts';
import { learningRate } from '../../model/schedule.ts';
import { createAggregator, type AggregatorName } from '../aggregate/index.ts';
import { createMasterOptimizer, optimizerKindFor, type MasterOptimizer, type OptimizerState, type StepInfo } from './index.ts';

export interface MasterStateOptions {
  weights: Float32Array;
  localSteps: number;
  aggregator: AggregatorName;
  trimFraction: number;
  schedule: { maxLr: number; minLr: number; warmupSteps: number; totalSteps: number };
  adamw: AdamWOptions;
  outer: { lr: number; momentum: number };
}

export interface MasterStateSnapshot {
  round: number;
  version: number;
  bytesProcessed: number;
  weights: Float32Array;
  optimizer: OptimizerState;
}

export class MasterState {
  readonly weights: Float32Array;
  readonly numParams: number;
  /** Rounds started (empty rounds count: a late result names its round). */
  round = 0;
  /** Bumped on every applied update; a result is only used for the version it was computed on. */
  version = 0;
  bytesProcessed = 0;
  private readonly optimizer: MasterOptimizer;
  /** The run's aggregation rule (the round loop streams each round's contributions into it). */
  readonly aggregator: ReturnType<typeof createAggregator>;

  constructor(private readonly o: MasterStateOptions) {
    this.weights = o.weights;
    this.numParams = o.weights.length;
    this.aggregator = createAggregator(o.aggregator, { trimFraction: o.trimFraction });
    this.optimizer = createMasterOptimizer(optimizerKindFor(o.localSteps), this.numParams, o);
  }

  get mode(): 'sync' | 'local-steps' {
    return this.o.localSteps > 1 ? 'local-steps' : 'sync';
  }

  /** In local-steps mode the peers' inner AdamW follows the schedule per inner step. */
  innerLearningRate(): number {
    return learningRate(this.version * Math.max(1, this.o.localSteps), this.o.schedule);
  }

  /**
   * Applies one aggregated gradient (sync) or pseudo-gradient (local steps) and bumps the version. The
   * schedule's step is the version: the step that makes version v + 1 uses the rate for step v.
   */
  applyUpdate(update: Float32Array): StepInfo {
    const info = this.optimizer.step(this.weights, update, this.version);
    this.version += 1;
    return info;
  }

  snapshot(): MasterStateSnapshot {
    return {
      round: this.round,
      version: this.version,
      bytesProcessed: this.bytesProcessed,
      weights: this.weights.slice(),
      optimizer: this.optimizer.exportState(),
    };
  }

  restore(s: MasterStateSnapshot): void {
    if (s.weights.length !== this.numParams) {
      throw new Error(`checkpoint has ${s.weights.length} parameters, the model has ${this.numParams}`);
    }
    // First, so that a refused optimizer state (another kind, NaN) leaves everything as it was.
    this.optimizer.importState(s.optimizer);
    this.weights.set(s.weights);
    this.round = s.round;
    this.version = s.version;
    this.bytesProcessed = s.bytesProcessed;
  }
}
