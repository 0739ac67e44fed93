// Differentiable building blocks, in two flavours with one signature:
// - `fastOps`: custom gradients that only ever call a plain `matMul(a, b)` (explicit `tf.transpose` instead
//   of transposed matMul, which tfjs-wasm runs 10-20x slower) and an embedding lookup whose gradient is a
//   one-hot matMul (tfjs-wasm has no UnsortedSegmentSum kernel, the gradient of `gather`).
// - `plainOps`: what straightforward tfjs autograd code does; the benchmark's baseline.
import * as tf from '@tensorflow/tfjs';

export interface Ops {
  /** a @ b, a [..., M, K], b [..., K, N] with equal batch dims (or 2-D both). */
  matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor;
  /** a @ transpose(b), a [..., M, K], b [..., N, K]. */
  matMulBT(a: tf.Tensor, b: tf.Tensor): tf.Tensor;
  /** Rows of `table` [V, D] picked by int32 `ids` [N] -> [N, D]. */
  embed(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D;
}

/** Permutation that swaps the last two axes of a rank-r tensor. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

export function transposeLast(x: tf.Tensor): tf.Tensor {
  return tf.transpose(x, swapLastTwo(x.rank));
}

/**
 * A copy of `x` under a new data id, for use as the right operand of a matMul. tfjs-wasm caches the packed
 * right operand of a matMul by its data id and does not notice a reshape: an upstream gradient that was
 * already the right operand under another shape (the same data reaches the embedding gradient and the
 * decoder projection gradient) silently gives wrong numbers. Measured, not guessed: see ops.test.ts.
 */
function freshB(x: tf.Tensor): tf.Tensor {
  return tf.clone(x);
}

/** a @ b whose gradient is dA = dy @ T(b), dB = T(a) @ dy, with explicit transposes. */
export const matMulFast: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor = tf.customGrad(
  (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = dy as tf.Tensor;
        const [sa, sb] = saved;
        return [tf.matMul(g, transposeLast(sb)), tf.matMul(transposeLast(sa), freshB(g))];
      },
    };
  },
) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** Transposed one-hot [V, N]: row v has 1 where ids == v. */
export function oneHotTransposed(ids: tf.Tensor1D, vocab: number): tf.Tensor2D {
  return tf.tidy(() => {
    const rows = tf.range(0, vocab, 1, 'int32').reshape([vocab, 1]);
    return tf.cast(tf.equal(rows, ids.reshape([1, ids.shape[0]])), 'float32') as tf.Tensor2D;
  });
}

/** gather forward; gradient T(oneHot(ids)) @ dy, a plain matMul (ids get no gradient). */
const embedFastOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [table, ids, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  // ids must be saved, or the engine frees them before the backward pass runs.
  save([ids]);
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const savedIds = saved[0] as tf.Tensor1D;
      return [tf.matMul(oneHotTransposed(savedIds, table.shape[0]), freshB(dy as tf.Tensor)), tf.zerosLike(savedIds)];
    },
  };
});

export function embedFast(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  return embedFastOp(table, ids) as tf.Tensor2D;
}

export const fastOps: Ops = {
  matMul: (a, b) => matMulFast(a, b),
  matMulBT: (a, b) => matMulFast(a, transposeLast(b)),
  embed: embedFast,
};

export const plainOps: Ops = {
  matMul: (a, b) => tf.matMul(a, b),
  matMulBT: (a, b) => tf.matMul(a, b, false, true),
  // gather's gradient needs a kernel wasm lacks, so plain code has to embed by one-hot matMul.
  embed: (table, ids) => tf.matMul(tf.oneHot(ids, table.shape[0]), table) as tf.Tensor2D,
};
