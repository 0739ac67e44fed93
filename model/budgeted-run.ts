// A local training run bounded by a wall-clock budget or a step count, scoring held-out text at fixed shares
// of the run. The clock counts training only: evaluation pauses it, so a curve point's `seconds` is the time
// spent training, comparable across models that evaluate at different speeds. `stlm train` and
// bench:learning both run this loop.
import type { LocalStepResult, LocalTrainer } from './trainer.ts';

export interface CurvePoint {
  /** Training seconds so far (evaluation excluded). */
  seconds: number;
  /** Scored training bytes so far. */
  bytesSeen: number;
  steps: number;
  /** Held-out bits per byte at this point. */
  valBpb: number;
}

export interface StepReport extends LocalStepResult {
  steps: number;
  seconds: number;
  bytesSeen: number;
  /** Share of the run done, 0..1. */
  progress: number;
}

export interface BudgetedRunOptions {
  trainer: LocalTrainer;
  nextBatch: () => Uint8Array[];
  /** Training seconds (evaluation excluded); the schedule decays over the end of this time. */
  seconds?: number;
  /** Steps; with `seconds` too, the run ends at whichever comes first. */
  steps?: number;
  /** false: hold the learning rate (no decay at the end), to compare with open-ended runs. Default true. */
  decay?: boolean;
  /** Held-out scores at 0 and at k/evaluations of the run, k = 1..evaluations. */
  evaluations: number;
  evaluate: () => number;
  onStep?: (r: StepReport) => void;
  onEvaluation?: (p: CurvePoint) => void;
  /** Clock in seconds (default performance.now() / 1000). */
  now?: () => number;
  /** Awaited after every step (a terminal's progress bar and Ctrl-C need the event loop to run). */
  pause?: () => Promise<void>;
}

export interface BudgetedRunResult {
  curve: CurvePoint[];
  steps: number;
  seconds: number;
  bytesSeen: number;
}

export async function runBudgeted(o: BudgetedRunOptions): Promise<BudgetedRunResult> {
  const budget = o.seconds ?? Infinity;
  const maxSteps = o.steps ?? Infinity;
  if (!(budget > 0) || !(maxSteps > 0) || (budget === Infinity && maxSteps === Infinity)) {
    throw new Error('runBudgeted: give a positive number of seconds or steps');
  }
  if (!Number.isInteger(o.evaluations) || o.evaluations < 1) throw new Error('runBudgeted: evaluations must be a positive integer');
  const now = o.now ?? (() => performance.now() / 1000);
  const curve: CurvePoint[] = [];
  let trained = 0;
  let steps = 0;
  let bytesSeen = 0;
  const evaluateHere = () => {
    const p = { seconds: trained, bytesSeen, steps, valBpb: o.evaluate() };
    curve.push(p);
    o.onEvaluation?.(p);
  };
  evaluateHere();
  let nextEval = 1;
  const progress = () => Math.min(1, Math.max(trained / budget, steps / maxSteps));
  while (progress() < 1) {
    const t0 = now();
    const r = o.trainer.step(o.nextBatch(), o.decay === false ? 0 : progress());
    trained += now() - t0;
    steps++;
    bytesSeen += r.bytes;
    o.onStep?.({ ...r, steps, seconds: trained, bytesSeen, progress: progress() });
    await o.pause?.();
    while (nextEval <= o.evaluations && progress() >= nextEval / o.evaluations) {
      evaluateHere();
      nextEval++;
    }
  }
  return { curve, steps, seconds: trained, bytesSeen };
}
