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
  /** RMSNorm over the last axis. */
  rmsNorm(x: tf.Tensor, gain: tf.Tensor, eps: number): tf.Tensor;
  /** Summed weighted cross-entropy of rows of logits against int32 targets. */
  crossEntropySum(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar;
  /** Rows of x [M, d] picked by distinct int32 `rows` [S] -> [S, d]. */
  gatherRows(x: tf.Tensor2D, rows: tf.Tensor1D): tf.Tensor2D;
  /** Causal multi-head attention core: q (already scaled), k, v [B*T, D] -> [B*T, D]; mask [T, T] additive. */
  attend(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, B: number, T: number, heads: number, mask: tf.Tensor2D): tf.Tensor2D;
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
 * right operand of a matMul by its data id and does not notice a reshape: one upstream gradient that reaches
 * two products under different shapes (a sum of reshaped products, as in the byte decoder's input) and is
 * the right operand of both weight gradients silently gives wrong numbers. Measured: see ops.test.ts.
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

/**
 * Embedding lookup: a gather forward (a one-hot matMul costs 2*N*V*D FLOPs for a copy). Gradient
 * dTable = T(T(dy) @ oneHot(ids)): a plain matMul [dB, N] @ [N, V], then a small [dB, V] transpose, since
 * tfjs-wasm lacks UnsortedSegmentSum (gather's own gradient).
 */
const embedFastOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [table, ids, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([ids]);
  const vocab = table.shape[0];
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const dTableT = tf.matMul(tf.transpose(dy as tf.Tensor), tf.oneHot(saved[0] as tf.Tensor1D, vocab)); // [dB, V]
      return [tf.transpose(dTableT), tf.zerosLike(saved[0])];
    },
  };
});

/**
 * Row selection whose gradient scatters dy back into the rows it came from (ScatterNd; tfjs-wasm lacks
 * gather's own gradient kernel). The rows must be distinct, as the scored slots of a batch are.
 */
const gatherRowsOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, rows, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([rows]);
  const shape = x.shape;
  return {
    value: tf.gather(x, rows),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const idx = tf.reshape(saved[0], [-1, 1]);
      return [tf.scatterND(idx, dy as tf.Tensor, shape), tf.zerosLike(saved[0])];
    },
  };
});

export function gatherRows(x: tf.Tensor2D, rows: tf.Tensor1D): tf.Tensor2D {
  return gatherRowsOp(x, rows) as tf.Tensor2D;
}

/**
 * RMSNorm over the last axis: y = x * rsqrt(mean(x^2) + eps) * gain, with a hand-written gradient
 * (autograd of the composite builds about twice as many elementwise kernels).
 */
export function rmsNormFast(x: tf.Tensor, gain: tf.Tensor, eps: number): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, g, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(xi), -1, true), eps)); // [..., 1]
    const xhat = tf.mul(xi, r);
    save([xhat, r, g]);
    return {
      value: tf.mul(xhat, g),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sxhat, sr, sg] = saved;
        const d = dy as tf.Tensor;
        const width = sxhat.shape[sxhat.rank - 1];
        const dGain = tf.reshape(tf.sum(tf.reshape(tf.mul(d, sxhat), [-1, width]), 0), sg.shape);
        const dxhat = tf.mul(d, sg);
        const proj = tf.mean(tf.mul(dxhat, sxhat), -1, true);
        return [tf.mul(tf.sub(dxhat, tf.mul(sxhat, proj)), sr), dGain];
      },
    };
  });
  return op(x, gain);
}

/** Plain composite RMSNorm (autograd). */
export function rmsNormPlain(x: tf.Tensor, gain: tf.Tensor, eps: number): tf.Tensor {
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), gain);
}

/**
 * Summed cross-entropy -sum_i w_i log softmax(logits_i)[t_i] over rows, with gradient
 * (softmax - oneHot(t)) * w: one fused expression instead of autograd through logSoftmax.
 */
export function crossEntropySumFast(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [z, t, w, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const logp = tf.logSoftmax(z);
    const oneHot = tf.oneHot(t, z.shape[1]);
    save([logp, oneHot, w, t]);
    return {
      value: tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(logp, oneHot), -1), w))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [slogp, soh, sw, st] = saved;
        const scale = tf.mul(tf.reshape(sw, [-1, 1]), dy as tf.Tensor);
        return [tf.mul(tf.sub(tf.exp(slogp), soh), scale), tf.zerosLike(st), tf.zerosLike(sw)];
      },
    };
  });
  return op(logits, targets, weights) as tf.Scalar;
}

/** Plain composite cross-entropy (autograd). */
export function crossEntropySumPlain(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets, logits.shape[1])), -1);
  return tf.neg(tf.sum(tf.mul(picked, weights))) as tf.Scalar;
}

export function embedFast(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  return embedFastOp(table, ids) as tf.Tensor2D;
}

/**
 * Batched attention with custom-gradient matMuls. (Measured alternative, rejected: all heads of a sequence
 * as one 2-D matMul over head-masked, repeated queries; 2-D matMuls run ~15x faster than batched ones on
 * wasm, but the H-fold extra work and a per-sequence loop made it 1.5x slower than this.)
 */
export function attendFast(
  q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, B: number, T: number, heads: number, mask: tf.Tensor2D,
): tf.Tensor2D {
  const D = q.shape[1];
  const hd = D / heads;
  // Rank-4 transposes straight into the layouts the products need: wasm runs rank-5 transposes slowly.
  const split = (x: tf.Tensor, perm: number[]) => tf.transpose(tf.reshape(x, [B, T, heads, hd]), perm);
  const scores = tf.add(matMulFast(split(q, [0, 2, 1, 3]), split(k, [0, 2, 3, 1])), mask); // [B, H, T, T]
  const out = matMulFast(tf.softmax(scores), split(v, [0, 2, 1, 3])); // [B, H, T, hd]
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [B * T, D]) as tf.Tensor2D;
}

/** The usual batched formulation: [B, H, T, hd] tensors and batched matMuls (autograd). */
export function attendBatched(
  q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, B: number, T: number, heads: number, mask: tf.Tensor2D,
): tf.Tensor2D {
  const D = q.shape[1];
  const hd = D / heads;
  const split = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [B, T, heads, hd]), [0, 2, 1, 3]); // [B, H, T, hd]
  const scores = tf.add(tf.matMul(split(q), split(k), false, true), mask); // [B, H, T, T]
  const out = tf.matMul(tf.softmax(scores), split(v)); // [B, H, T, hd]
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [B * T, D]) as tf.Tensor2D;
}

export const fastOps: Ops = {
  matMul: (a, b) => matMulFast(a, b),
  matMulBT: (a, b) => matMulFast(a, transposeLast(b)),
  embed: embedFast,
  rmsNorm: rmsNormFast,
  crossEntropySum: crossEntropySumFast,
  gatherRows,
  attend: attendFast,
};

export const plainOps: Ops = {
  matMul: (a, b) => tf.matMul(a, b),
  matMulBT: (a, b) => tf.matMul(a, b, false, true),
  // gather's gradient needs a kernel wasm lacks, so plain code has to embed by one-hot matMul.
  embed: (table, ids) => tf.matMul(tf.oneHot(ids, table.shape[0]), table) as tf.Tensor2D,
  rmsNorm: rmsNormPlain,
  crossEntropySum: crossEntropySumPlain,
  // gather's own gradient needs a kernel wasm lacks, as for embed.
  gatherRows,
  attend: attendBatched,
};
