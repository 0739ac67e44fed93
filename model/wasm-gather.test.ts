import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from './backend.ts';
import { embedFast } from './ops.ts';

describe('wasm GatherV2 (row copy)', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  it('copies the table rows the indices name, repeated and unordered', async () => {
    const values = Float32Array.from({ length: 258 * 64 }, (_, i) => Math.sin(i * 0.37));
    const idx = Int32Array.from({ length: 2048 }, (_, i) => (i * 131 + 7) % 258);
    const got = tf.tidy(() => tf.gather(tf.tensor2d(values, [258, 64]), tf.tensor1d(idx, 'int32')).dataSync());
    for (let i = 0; i < idx.length; i++) {
      expect(Array.from(got.subarray(i * 64, i * 64 + 64))).toEqual(Array.from(values.subarray(idx[i]! * 64, idx[i]! * 64 + 64)));
    }
  });

  it('leaves other shapes to the backend kernel (axis 1, 3-D input)', () => {
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    expect(tf.gather(x, tf.tensor1d([2, 0], 'int32'), 1).arraySync()).toEqual([[3, 1], [6, 4]]);
    const y = tf.tensor3d([[[1], [2]], [[3], [4]]]);
    expect(tf.gather(y, tf.tensor1d([1], 'int32')).arraySync()).toEqual([[[3], [4]]]);
  });

  it('refuses an index outside the table', () => {
    expect(() => tf.gather(tf.zeros([4, 2]), tf.tensor1d([4], 'int32'))).toThrow(/outside \[0, 4\)/);
  });

  it('keeps the embedding gradient (a one-hot product) right through the new forward', () => {
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const ids = tf.tensor1d([2, 0, 2], 'int32');
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embedFast(t as tf.Tensor2D, ids), tf.tensor2d([[1, 1], [2, 2], [3, 3]]))))(table);
    expect(g.arraySync()).toEqual([[2, 2], [0, 0], [4, 4]]);
  });
});
