// Sync mode's master optimizer: model/adamw.ts's AdamW, the same code LocalTrainer runs (so a cluster matches
// one process to float32 rounding), stepped at the learning-rate schedule's rate for the model version.
import { AdamW, type AdamWOptions } from '../../model/adamw.ts';
import { learningRate, type LrSchedule } from '../../model/schedule.ts';
import { checkStateArray, checkStateKind, type AdamWState, type MasterOptimizer, type OptimizerState, type StepInfo } from './optimizer.ts';

export interface AdamWMasterOptions {
  schedule: LrSchedule;
  /** Defaults: DEFAULT_ADAMW, weight decay everywhere. */
  adamw?: Partial<AdamWOptions>;
}

export class AdamWMaster implements MasterOptimizer {
  readonly kind = 'adamw' as const;
  private readonly adamw: AdamW;
  private readonly schedule: LrSchedule;

  constructor(size: number, o: AdamWMasterOptions) {
    this.adamw = new AdamW(size, o.adamw);
    this.schedule = o.schedule;
  }

  step(weights: Float32Array, update: Float32Array, scheduleStep: number): StepInfo {
    const lr = learningRate(scheduleStep, this.schedule);
    const { gradNorm } = this.adamw.step(weights, update, lr);
    return { lr, gradNorm };
  }

  exportState(): AdamWState {
    return { kind: this.kind, ...this.adamw.exportState() };
  }

  importState(s: OptimizerState): void {
    checkStateKind('AdamW', this.kind, s);
    const { m, v, t } = s;
    checkStateArray('AdamW', 'm', m, this.adamw.size);
    checkStateArray('AdamW', 'v', v, this.adamw.size);
    this.adamw.importState({ m, v, t });
  }
}
