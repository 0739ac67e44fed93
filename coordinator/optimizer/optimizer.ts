// The one interface every master optimizer implements: the step the coordinator takes on the master weights
// with each round's aggregated update, and the state a checkpoint carries. One file per optimizer;
// optimizer/index.ts holds the registry.
import type { AdamWState as AdamWMoments } from '../../model/adamw.ts';

/** Sync mode steps AdamW on the averaged gradient; local-steps mode (DiLoCo) steps outer Nesterov. */
export const OPTIMIZER_KINDS = ['adamw', 'outer-nesterov'] as const;
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/** AdamW's moments and step count. */
export type AdamWState = { kind: 'adamw' } & AdamWMoments;

export interface OuterNesterovState {
  kind: 'outer-nesterov';
  /** The momentum buffer, laid out like the weights. */
  buffer: Float32Array;
  /** Outer steps taken. */
  steps: number;
}

export type OptimizerState = AdamWState | OuterNesterovState;

export interface StepInfo {
  /** The learning rate this step used. */
  lr: number;
  /** The update's L2 norm before clipping, where the optimizer clips. */
  gradNorm?: number;
}

export interface MasterOptimizer {
  readonly kind: OptimizerKind;
  /**
   * One step on `weights` in place; `update` (a gradient or a pseudo-gradient) is not modified. `scheduleStep`
   * is the learning-rate schedule's step (the model version); an optimizer with a fixed rate ignores it.
   * Throws on a wrong length or a NaN/±Infinity in `update`, with weights and state untouched.
   */
  step(weights: Float32Array, update: Float32Array, scheduleStep: number): StepInfo;
  /** A copy of the state; importing it into a fresh optimizer of the same kind continues bit-identically. */
  exportState(): OptimizerState;
  /** Takes a copy of `s`. Throws on another kind, a wrong length, a bad step count or a NaN/±Infinity, keeping its own state. */
  importState(s: OptimizerState): void;
}

/** importState's first check: a state of another kind would otherwise fail later with a confusing message. */
export function checkStateKind<K extends OptimizerKind>(
  who: string,
  kind: K,
  s: OptimizerState,
): asserts s is Extract<OptimizerState, { kind: K }> {
  if (s?.kind !== kind) throw new Error(`${who}.importState: got ${String(s?.kind)} state, this optimizer is ${kind}`);
}

/** importState's check on each array: the optimizer's length, and finite (a NaN would stay in the state for good). */
export function checkStateArray(who: string, name: string, a: Float32Array, size: number): void {
  if (!(a instanceof Float32Array) || a.length !== size) {
    throw new Error(`${who}.importState: ${name} must be ${size} floats, got ${a instanceof Float32Array ? a.length : typeof a}`);
  }
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!)) throw new Error(`${who}.importState: ${name} has NaN or Infinity at ${i}; state refused`);
  }
}
