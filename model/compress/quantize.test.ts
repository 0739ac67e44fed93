import { describe, expect, it } from 'vitest';
import { dequantizeInt8, quantizeInt8, INT8_MAX } from './quantize.ts';
import { Prng } from '../prng.ts';

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const a = new Float32Array(rows * cols);
  const rng = new Prng(seed);
  rng.fillNormal(a, 1);
  // Channels of very different ranges, as in real weights: column c scaled by 10^(c mod 4 - 2).
  for (let i = 0; i < a.length; i++) a[i] *= 10 ** ((i % cols) % 4 - 2);
  return a;
}

describe('int8 per-channel quantization', () => {
  for (const axis of [0, 1] as const) {
    it(`error per channel is within half a step of that channel's scale (channel axis ${axis})`, () => {
      const [rows, cols] = [48, 20];
      const w = randomMatrix(rows, cols, 3 + axis);
      const t = quantizeInt8(w, [rows, cols], axis);
      expect(t.scales.length).toBe(axis === 1 ? cols : rows);
      const back = dequantizeInt8(t, [rows, cols], axis);
      for (let i = 0; i < w.length; i++) {
        const c = axis === 1 ? i % cols : Math.floor(i / cols);
        const s = t.scales[c];
        expect(Math.abs(t.q[i])).toBeLessThanOrEqual(INT8_MAX);
        expect(Math.abs(back[i] - w[i])).toBeLessThanOrEqual(s / 2 + 1e-6 * s);
      }
      // The scale is the channel's max |w| / 127: the largest weight of each channel maps to +-127.
      for (let c = 0; c < t.scales.length; c++) {
        let max = 0;
        for (let i = 0; i < w.length; i++) if ((axis === 1 ? i % cols : Math.floor(i / cols)) === c) max = Math.max(max, Math.abs(w[i]));
        expect(t.scales[c]).toBeCloseTo(max / INT8_MAX, 6);
      }
    });
  }

  it('keeps zeros exactly zero and handles an all-zero channel', () => {
    const w = new Float32Array([0, 1, 0, -2, 0, 0.5]); // [3, 2]: channel 0 is all zero
    const t = quantizeInt8(w, [3, 2], 1);
    expect(t.scales[0]).toBe(0);
    const back = dequantizeInt8(t, [3, 2], 1);
    expect(Array.from(back.filter((_, i) => i % 2 === 0))).toEqual([0, 0, 0]);
    expect(back[3]).toBeCloseTo(-2, 6);
  });

  it('refuses bad input clearly', () => {
    expect(() => quantizeInt8(new Float32Array(6), [6], 1)).toThrow(/2-D/);
    expect(() => quantizeInt8(new Float32Array(5), [3, 2], 1)).toThrow(/does not match/);
    expect(() => quantizeInt8(new Float32Array([NaN, 0]), [1, 2], 1)).toThrow(/NaN/);
  });
});
