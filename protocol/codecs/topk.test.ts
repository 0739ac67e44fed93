import { describe, expect, it } from 'vitest';
import { createTopKCodec, selectTopK } from './topk.ts';
import { gaussianVector, runCodecConformance } from './conformance.ts';

// Keeping 1% of a Gaussian vector keeps about 8.5% of its energy: relative error about 0.957.
runCodecConformance(createTopKCodec(0.01), {
  maxRelError: 0.97,
  check(x, y) {
    const kept = [];
    let smallestKept = Infinity;
    let largestDropped = 0;
    for (let i = 0; i < x.length; i++) {
      if (y[i] !== 0) {
        kept.push(i);
        smallestKept = Math.min(smallestKept, Math.abs(x[i]!));
        expect(Math.abs(y[i]! - x[i]!)).toBeLessThanOrEqual(Math.abs(x[i]!) * 2 ** -11);
      } else largestDropped = Math.max(largestDropped, Math.abs(x[i]!));
    }
    expect(kept.length).toBe(Math.ceil(0.01 * x.length));
    expect(smallestKept).toBeGreaterThanOrEqual(largestDropped);
  },
});
runCodecConformance(createTopKCodec(0.25), { maxRelError: 0.6 });

describe('selectTopK', () => {
  it('matches a full sort, ties included', () => {
    const x = gaussianVector(5000, 9);
    x[10] = x[20] = x[30] = 0.5; // ties at the top
    for (const k of [1, 2, 3, 50, 4999, 5000]) {
      const got = Array.from(selectTopK(x, k));
      const threshold = Array.from(x).map(Math.abs).sort((a, b) => b - a)[k - 1]!;
      expect(got.length).toBe(k);
      expect(got).toEqual([...got].sort((a, b) => a - b));
      expect(new Set(got).size).toBe(k);
      for (const i of got) expect(Math.abs(x[i]!)).toBeGreaterThanOrEqual(threshold);
    }
  });
});
