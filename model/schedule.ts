// Learning-rate schedule: warmup, stable, decay (WSD). Linear warmup to maxLr, then constant, then a linear
// decay to minLr over the last `decayFraction` of the run. An open-ended run (a swarm with no known horizon)
// needs no guess of its length: it stays at maxLr until it is told where it ends, and a run with a wall-clock
// budget decays by the share of the budget used (pass `progress`), not by a step count fixed in advance.

export interface LrSchedule {
  maxLr: number;
  minLr: number;
  warmupSteps: number;
  /** The run's length in steps when it is known; Infinity for an open-ended run. */
  totalSteps: number;
  /** Share of the run at its end over which the rate decays to minLr (default DEFAULT_DECAY_FRACTION). */
  decayFraction?: number;
}

/** Measured with bench:learning: a decay over the last fifth of a run; shorter decays ended worse. */
export const DEFAULT_DECAY_FRACTION = 0.2;

/**
 * Learning rate for 0-based `step`. Step 0 already gets maxLr / warmupSteps, never zero. `progress` is the
 * share of the run done (0..1); by default step / totalSteps.
 */
export function learningRate(step: number, s: LrSchedule, progress: number = step / s.totalSteps): number {
  if (!Number.isFinite(step) || step < 0) throw new Error(`learningRate: step must be >= 0, got ${step}`);
  if (!(s.maxLr >= s.minLr && s.minLr >= 0)) throw new Error('learningRate: need maxLr >= minLr >= 0');
  const decayFraction = s.decayFraction ?? DEFAULT_DECAY_FRACTION;
  if (!(decayFraction >= 0 && decayFraction <= 1)) throw new Error(`learningRate: decayFraction must be in [0, 1], got ${decayFraction}`);
  if (step < s.warmupSteps) return (s.maxLr * (step + 1)) / s.warmupSteps;
  if (!(progress < 1)) return s.minLr;
  const decayStart = 1 - decayFraction;
  if (progress < decayStart) return s.maxLr;
  return s.maxLr + ((s.minLr - s.maxLr) * (progress - decayStart)) / decayFraction;
}
