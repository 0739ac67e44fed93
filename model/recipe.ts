// How each preset is trained by default: batch size, peak and final learning rate, warmup. Part of the
// preset because the best values depend on the model's size (chosen with bench:learning, see README).
import type { PresetName } from './config.ts';
import type { LrSchedule } from './schedule.ts';

export interface TrainingRecipe {
  /** Examples per step. */
  batch: number;
  maxLr: number;
  minLr: number;
  warmupSteps: number;
}

export const RECIPES: Record<PresetName, TrainingRecipe> = {
  tiny: { batch: 16, maxLr: 3e-3, minLr: 3e-4, warmupSteps: 50 },
  // bench:learning, 5-minute runs: lr 6e-3 beat 3e-3, batch 8 beat 16 (more steps for the same bytes).
  small: { batch: 8, maxLr: 6e-3, minLr: 6e-4, warmupSteps: 50 },
  'stlm-50m': { batch: 8, maxLr: 6e-4, minLr: 6e-5, warmupSteps: 500 },
  // nanoGPT's small CPU config: batch 12, lr 1e-3 to 1e-4.
  'byte-gpt': { batch: 12, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 50 },
};

/** The recipe's learning-rate schedule; open-ended (no decay by steps) unless totalSteps is given. */
export function recipeSchedule(r: TrainingRecipe, totalSteps = Infinity): LrSchedule {
  return { maxLr: r.maxLr, minLr: r.minLr, warmupSteps: r.warmupSteps, totalSteps };
}
