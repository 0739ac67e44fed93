// How far one backend's training step is from another's on the same weights and batch: the loss, and each
// parameter tensor's gradient against that tensor's scale. Used by the tab's backend check and the GPU tests.
import { manifestSize, type ParamManifest } from './params.ts';
import type { TrainStepResult } from './stlm.ts';

/**
 * Bounds for a GPU step against wasm. The backends differ only in float32 rounding, mostly summation order
 * (a GPU reduces in tiles and trees, wasm in sequence): reordering a sum of K terms moves it by at most about
 * K * 2^-24 of the summed magnitudes, typically sqrt(K) * 2^-24. The longest sums (slot-mixing gradients,
 * K ~ 2048 in tiny) give a worst case near 1.2e-4 and a typical 3e-6; a wrong kernel is off by O(1) (all
 * zeros reads as 1), float16 storage by about 1e-3.
 */
export const STEP_BOUNDS = { grad: 1e-4, loss: 1e-5 };

export interface StepDifference {
  /** |loss - loss_ref| / loss_ref. */
  lossError: number;
  /** The largest over parameter tensors of max|g - g_ref| / max|g_ref|, and the tensor it is on. */
  gradError: number;
  worstTensor: string;
  /** Parameter tensors whose gradient is all zeros (a dead backward pass reads as zeros). */
  zeroTensors: number;
}

export function compareSteps(ref: TrainStepResult, r: TrainStepResult, manifest: ParamManifest): StepDifference {
  const size = manifestSize(manifest);
  if (r.grads.length !== size) throw new Error(`gradient has ${r.grads.length} floats, expected ${size}`);
  let gradError = 0;
  let worstTensor = '';
  let zeroTensors = 0;
  for (const e of manifest) {
    let scale = 0;
    let diff = 0;
    let own = 0;
    for (let i = e.offset; i < e.offset + e.size; i++) {
      scale = Math.max(scale, Math.abs(ref.grads[i]!));
      own = Math.max(own, Math.abs(r.grads[i]!));
      const d = Math.abs(r.grads[i]! - ref.grads[i]!);
      if (!(d <= diff)) diff = d; // NaN counts as the worst error
    }
    if (!(own > 0)) zeroTensors++;
    const err = scale > 0 ? diff / scale : diff;
    if (!(err <= gradError)) {
      gradError = err;
      worstTensor = e.name;
    }
  }
  const lossError = Math.abs(r.loss - ref.loss) / ref.loss;
  return { lossError: Number.isNaN(lossError) ? Infinity : lossError, gradError, worstTensor, zeroTensors };
}

/** True when `d` is within STEP_BOUNDS and no tensor's gradient is dead. */
export function withinStepBounds(d: StepDifference): boolean {
  return d.lossError <= STEP_BOUNDS.loss && d.gradError <= STEP_BOUNDS.grad && d.zeroTensors === 0;
}
