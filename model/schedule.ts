// Learning-rate schedule: linear warmup to maxLr, then cosine decay to minLr at totalSteps, flat after.

export interface LrSchedule {
  maxLr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/** Learning rate for 0-based `step`. Step 0 already gets maxLr / warmupSteps, never zero. */
export function learningRate(step: number, s: LrSchedule): number {
  if (!Number.isFinite(step) || step < 0) throw new Error(`learningRate: step must be >= 0, got ${step}`);
  if (!(s.maxLr >= s.minLr && s.minLr >= 0)) throw new Error('learningRate: need maxLr >= minLr >= 0');
  if (step < s.warmupSteps) return (s.maxLr * (step + 1)) / s.warmupSteps;
  const decaySteps = s.totalSteps - s.warmupSteps;
  if (decaySteps <= 0 || step >= s.totalSteps) return s.minLr;
  const progress = (step - s.warmupSteps) / decaySteps;
  return s.minLr + 0.5 * (s.maxLr - s.minLr) * (1 + Math.cos(Math.PI * progress));
}
