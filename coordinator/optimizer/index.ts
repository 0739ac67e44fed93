// Master optimizers: the kind follows from the run's mode, and a checkpoint's state says its own kind.
import type { AdamWOptions } from '../../model/adamw.ts';
import type { LrSchedule } from '../../model/schedule.ts';
import { OuterNesterov, type OuterNesterovOptions } from './outer-nesterov.ts';
import { AdamWMaster } from './adamw.ts';
import type { MasterOptimizer, OptimizerKind } from './optimizer.ts';

export { OPTIMIZER_KINDS, type AdamWState, type MasterOptimizer, type OptimizerKind, type OptimizerState, type OuterNesterovState, type StepInfo } from './optimizer.ts';
export { decodeOptimizerFile, encodeOptimizerFile } from './state-file.ts';
export { AdamWMaster, type AdamWMasterOptions } from './adamw.ts';
export { OuterNesterov, type OuterNesterovOptions };

/** Every kind's settings, as the coordinator's settings hold them; each kind takes its own. */
export interface MasterOptimizerSettings {
  /** AdamW's learning rate by model version. */
  schedule: LrSchedule;
  adamw: Partial<AdamWOptions>;
  /** Outer Nesterov's fixed lr and momentum. */
  outer: OuterNesterovOptions;
}

/** Sync mode (one gradient per round) steps AdamW; local-steps mode (H > 1) steps DiLoCo's outer Nesterov. */
export function optimizerKindFor(localSteps: number): OptimizerKind {
  return localSteps > 1 ? 'outer-nesterov' : 'adamw';
}

export function createMasterOptimizer(kind: OptimizerKind, size: number, s: MasterOptimizerSettings): MasterOptimizer {
  switch (kind) {
    case 'adamw':
      return new AdamWMaster(size, { schedule: s.schedule, adamw: s.adamw });
    case 'outer-nesterov':
      return new OuterNesterov(size, s.outer);
    default: {
      const _: never = kind;
      throw new Error(`unknown optimizer "${String(_)}" (known: adamw, outer-nesterov)`);
    }
  }
}
