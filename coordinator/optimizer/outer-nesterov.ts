// DiLoCo's outer optimizer: SGD with Nesterov momentum on the pseudo-gradient
//   delta = weights before the round - byte-weighted mean of the peers' weights after H inner steps
// written exactly as PyTorch's SGD(nesterov=True, dampening=0), which DiLoCo uses:
//   buf = momentum * buf + delta;   weights -= lr * (delta + momentum * buf)
// DiLoCo's defaults: lr 0.7, momentum 0.9. With lr 1 and momentum 0 the step is plain averaging of the
// peers' weights (weights - delta), which the tests use as a sanity anchor.
import { checkStateArray, checkStateKind, type MasterOptimizer, type OptimizerState, type OuterNesterovState, type StepInfo } from './optimizer.ts';

export interface OuterNesterovOptions {
  lr?: number;
  momentum?: number;
}

export class OuterNesterov implements MasterOptimizer {
  readonly kind = 'outer-nesterov' as const;
  readonly size: number;
  readonly lr: number;
  readonly momentum: number;
  private buffer: Float32Array;
  private steps = 0;

  constructor(size: number, opts: OuterNesterovOptions = {}) {
    if (!Number.isInteger(size) || size < 0) throw new Error(`OuterNesterov: size must be a non-negative integer, got ${size}`);
    const lr = opts.lr ?? 0.7;
    const momentum = opts.momentum ?? 0.9;
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`OuterNesterov: lr must be a positive number, got ${lr}`);
    if (!(momentum >= 0 && momentum < 1)) throw new Error(`OuterNesterov: momentum must be in [0, 1), got ${momentum}`);
    this.size = size;
    this.lr = lr;
    this.momentum = momentum;
    this.buffer = new Float32Array(size);
  }

  /**
   * Updates `weights` in place. `pseudoGradient` (old weights - averaged new weights) is not modified. DiLoCo's
   * outer rate is fixed, so the schedule's step is not taken.
   */
  step(weights: Float32Array, pseudoGradient: Float32Array): StepInfo {
    if (weights.length !== this.size || pseudoGradient.length !== this.size) {
      throw new Error(
        `OuterNesterov.step: expected ${this.size} weights and pseudo-gradient values, got ${weights.length} and ${pseudoGradient.length}`,
      );
    }
    // Refuse before touching anything: a NaN would poison the momentum buffer for good.
    for (let i = 0; i < pseudoGradient.length; i++) {
      if (!Number.isFinite(pseudoGradient[i]!)) throw new Error(`OuterNesterov.step: pseudo-gradient has NaN or Infinity at ${i}; update refused`);
    }
    const { lr, momentum } = this;
    const buf = this.buffer;
    for (let i = 0; i < weights.length; i++) {
      const d = pseudoGradient[i]!;
      const b = (buf[i] = momentum * buf[i]! + d);
      weights[i] = weights[i]! - lr * (d + momentum * b);
    }
    this.steps++;
    return { lr };
  }

  exportState(): OuterNesterovState {
    return { kind: this.kind, buffer: this.buffer.slice(), steps: this.steps };
  }

  importState(s: OptimizerState): void {
    checkStateKind('OuterNesterov', this.kind, s);
    checkStateArray('OuterNesterov', 'buffer', s.buffer, this.size);
    if (!Number.isInteger(s.steps) || s.steps < 0) throw new Error(`OuterNesterov.importState: bad step count ${s.steps}`);
    this.buffer = s.buffer.slice();
    this.steps = s.steps;
  }
}
