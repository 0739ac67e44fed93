// Finite-difference checks of every custom-gradient op, on the backend the peers use (wasm).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './backend.ts';
import { crossEntropySumFast, crossEntropySumPlain, embedFast, matMulFast, plainOps, fastOps, rmsNormFast } from './ops.ts';
import { Prng } from './prng.ts';

beforeAll(async () => {
  await setupBackend('wasm');
});

function randn(shape: number[], seed: number): Float32Array {
  return new Prng(seed).fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 1);
}

/** Max |analytic - central difference| over every element of every differentiable input. */
function fdCheck(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: Array<{ data: Float32Array; shape: number[] }>, eps = 1e-2) {
  const ts = inputs.map((x) => tf.tensor(x.data, x.shape));
  const analytic = tf.grads(f)(ts).map((g) => g.dataSync().slice());
  const evalAt = (k: number, i: number, delta: number) => {
    const data = inputs[k].data.slice();
    data[i] += delta;
    const args = inputs.map((x, j) => tf.tensor(j === k ? data : x.data, x.shape));
    const v = tf.tidy(() => f(...args)).dataSync()[0];
    tf.dispose(args);
    return v;
  };
  let worst = 0;
  let scale = 0;
  inputs.forEach((x, k) => {
    for (let i = 0; i < x.data.length; i++) {
      const fd = (evalAt(k, i, eps) - evalAt(k, i, -eps)) / (2 * eps);
      worst = Math.max(worst, Math.abs(fd - analytic[k][i]));
      scale = Math.max(scale, Math.abs(analytic[k][i]));
    }
  });
  tf.dispose(ts);
  return { worst, scale };
}

describe('custom-gradient ops match finite differences', () => {
  it('matMulFast, 2-D (a dense layer)', () => {
    const R = tf.tensor(randn([5, 4], 3), [5, 4]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(matMulFast(a, b), R)) as tf.Scalar;
    const { worst, scale } = fdCheck(f, [{ data: randn([5, 3], 1), shape: [5, 3] }, { data: randn([3, 4], 2), shape: [3, 4] }]);
    expect(scale).toBeGreaterThan(0.1);
    expect(worst).toBeLessThan(2e-3);
  });

  it('matMulFast, batched 4-D (attention), through a nonlinearity', () => {
    const R = tf.tensor(randn([2, 2, 3, 3], 6), [2, 2, 3, 3]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.tanh(matMulFast(a, b)), R)) as tf.Scalar;
    const { worst, scale } = fdCheck(f, [
      { data: randn([2, 2, 3, 4], 4), shape: [2, 2, 3, 4] },
      { data: randn([2, 2, 4, 3], 5), shape: [2, 2, 4, 3] },
    ]);
    expect(scale).toBeGreaterThan(0.1);
    expect(worst).toBeLessThan(5e-3);
  });

  it('embedFast (gather forward, one-hot matMul gradient), with repeated ids', () => {
    const ids = tf.tensor1d([2, 0, 2, 5, 1], 'int32');
    const R = tf.tensor(randn([5, 3], 8), [5, 3]);
    const f = (table: tf.Tensor) => tf.sum(tf.mul(embedFast(table as tf.Tensor2D, ids), R)) as tf.Scalar;
    const table = { data: randn([6, 3], 7), shape: [6, 3] };
    const { worst, scale } = fdCheck(f, [table]);
    expect(scale).toBeGreaterThan(0.1);
    expect(worst).toBeLessThan(2e-3);
    // Row 2 is used twice: its gradient is the sum of both uses; rows 3 and 4 are unused: zero.
    const g = tf.grad(f)(tf.tensor(table.data, table.shape as [number, number])).arraySync() as number[][];
    const r = R.arraySync() as number[][];
    g[2].forEach((v, j) => expect(v).toBeCloseTo(r[0][j] + r[2][j], 5));
    expect(g[3]).toEqual([0, 0, 0]);
  });

  it('rmsNormFast (x and gain), on a rank-3 input', () => {
    const R = tf.tensor(randn([2, 3, 5], 13), [2, 3, 5]);
    const f = (x: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(rmsNormFast(x, g, 1e-5), R)) as tf.Scalar;
    const { worst, scale } = fdCheck(f, [{ data: randn([2, 3, 5], 14), shape: [2, 3, 5] }, { data: randn([5], 15), shape: [5] }]);
    expect(scale).toBeGreaterThan(0.1);
    expect(worst).toBeLessThan(5e-3);
  });

  it('crossEntropySumFast matches its plain value and finite differences, unscored rows get no gradient', () => {
    const targets = tf.tensor1d([3, 0, 5, 1], 'int32');
    const weights = tf.tensor1d([1, 0, 1, 1]);
    const z = { data: randn([4, 6], 16), shape: [4, 6] };
    const zt = tf.tensor2d(z.data, [4, 6]);
    expect(crossEntropySumFast(zt, targets, weights).dataSync()[0]).toBeCloseTo(
      crossEntropySumPlain(zt, targets, weights).dataSync()[0], 5);
    const f = (x: tf.Tensor) => crossEntropySumFast(x as tf.Tensor2D, targets, weights);
    const { worst, scale } = fdCheck(f, [z]);
    expect(scale).toBeGreaterThan(0.1);
    expect(worst).toBeLessThan(2e-3);
    const g = tf.grad(f)(zt).arraySync() as number[][];
    expect(g[1].every((v) => v === 0)).toBe(true);
  });

  it('fast and plain ops give the same gradients when a gradient is reused under another shape', () => {
    // tfjs-wasm caches a matMul's right operand by data id: the same upstream gradient reaching two
    // matMuls under different shapes gave wrong numbers until ops.ts copied it (freshB).
    const run = (ops: typeof fastOps) => {
      const table = tf.tensor(randn([6, 8], 9), [6, 8]) as tf.Tensor2D;
      const w = tf.tensor(randn([4, 16], 10), [4, 16]);
      const w2 = tf.tensor(randn([5, 8], 13), [5, 8]);
      const x = tf.tensor(randn([3, 4], 11), [3, 4]);
      const x2 = tf.tensor(randn([6, 5], 14), [6, 5]);
      const ids = tf.tensor1d([1, 2, 3, 4, 5, 0], 'int32');
      const R = tf.tensor(randn([3, 2, 8], 12), [3, 2, 8]);
      const f = (t: tf.Tensor, ww: tf.Tensor, ww2: tf.Tensor) => {
        // One upstream gradient reaches three products, each seeing it under a different shape.
        const fromDense = tf.reshape(ops.matMul(x, ww), [3, 2, 8]);
        const fromDense2 = tf.reshape(ops.matMul(x2, ww2), [3, 2, 8]);
        const fromEmbed = tf.reshape(ops.embed(t as tf.Tensor2D, ids), [3, 2, 8]);
        return tf.sum(tf.mul(tf.add(tf.add(fromDense, fromDense2), fromEmbed), R)) as tf.Scalar;
      };
      return tf.grads(f)([table, w, w2]).map((g) => Array.from(g.dataSync()));
    };
    const fast = run(fastOps);
    const plain = run(plainOps);
    fast.forEach((g, k) => g.forEach((v, i) => expect(v).toBeCloseTo(plain[k][i], 4)));
  });
});
