import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw.ts';
import { learningRate } from './schedule.ts';
import { buildManifest, decayMaskFromManifest } from './params.ts';

describe('AdamW over flat arrays', () => {
  it('matches a hand-computed first and second step', () => {
    const opt = new AdamW(2, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, clipNorm: 0 });
    const w = new Float32Array([1, -1]);
    opt.step(w, new Float32Array([0.5, -2]), 0.1);
    // First step of Adam moves each weight by lr * sign(g).
    expect(w[0]).toBeCloseTo(0.9, 6);
    expect(w[1]).toBeCloseTo(-0.9, 6);
    opt.step(w, new Float32Array([0.5, 1]), 0.1);
    const m = 0.9 * 0.1 * -2 + 0.1 * 1;
    const v = 0.99 * 0.01 * 4 + 0.01 * 1;
    const expected = -0.9 - 0.1 * (m / (1 - 0.81)) / Math.sqrt(v / (1 - 0.9801));
    expect(w[1]).toBeCloseTo(expected, 5);
  });

  it('clips to the global norm and reports the norm before clipping', () => {
    const a = new AdamW(2, { clipNorm: 1, weightDecay: 0 });
    const b = new AdamW(2, { clipNorm: 0, weightDecay: 0 });
    const wa = new Float32Array(2);
    const wb = new Float32Array(2);
    const { gradNorm } = a.step(wa, new Float32Array([3, 4]), 0.1);
    b.step(wb, new Float32Array([0.6, 0.8]), 0.1);
    expect(gradNorm).toBeCloseTo(5, 6);
    expect(Array.from(wa)).toEqual(Array.from(wb));
  });

  it('decays weights except where the mask from the manifest says not to (norm gains)', () => {
    const manifest = buildManifest([{ name: 'w', shape: [2] }, { name: 'norm.gain', shape: [2] }]);
    const mask = decayMaskFromManifest(manifest);
    expect(Array.from(mask)).toEqual([1, 1, 0, 0]);
    const opt = new AdamW(4, { weightDecay: 0.5, decayMask: mask, clipNorm: 0 });
    const w = new Float32Array([1, 1, 1, 1]);
    opt.step(w, new Float32Array(4), 0.1);
    expect(w[0]).toBeCloseTo(1 - 0.1 * 0.5, 6);
    expect(w[2]).toBe(1);
  });

  it('exports and imports its state so a resumed optimizer continues identically', () => {
    const a = new AdamW(3);
    const w = new Float32Array([0.1, 0.2, 0.3]);
    a.step(w, new Float32Array([1, -1, 0.5]), 0.01);
    const b = new AdamW(3);
    b.importState(a.exportState());
    const w2 = w.slice();
    a.step(w, new Float32Array([0.2, 0.1, -0.3]), 0.01);
    b.step(w2, new Float32Array([0.2, 0.1, -0.3]), 0.01);
    expect(Array.from(w2)).toEqual(Array.from(w));
    expect(b.exportState().t).toBe(2);
  });

  it('refuses bad input with clear errors', () => {
    const opt = new AdamW(2);
    expect(() => opt.step(new Float32Array(3), new Float32Array(3), 0.1)).toThrow(/expected 2 weights/);
    expect(() => opt.step(new Float32Array(2), new Float32Array([NaN, 0]), 0.1)).toThrow(/NaN/);
    expect(() => opt.importState({ m: new Float32Array(1), v: new Float32Array(1), t: 0 })).toThrow(/moments of 2/);
    expect(() => new AdamW(2, { decayMask: new Uint8Array(3) })).toThrow(/decayMask/);
  });
});

describe('learning-rate schedule', () => {
  const s = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 110 };
  it('warms up linearly, holds maxLr, decays linearly to minLr over the last fifth, then stays', () => {
    expect(learningRate(0, s)).toBeCloseTo(1e-4, 12);
    expect(learningRate(9, s)).toBeCloseTo(1e-3, 12);
    expect(learningRate(10, s)).toBeCloseTo(1e-3, 12);
    // Stable until the last fifth of the run (step 88), then linear to minLr.
    expect(learningRate(60, s)).toBe(1e-3);
    expect(learningRate(88, s)).toBe(1e-3);
    expect(learningRate(99, s)).toBeCloseTo(5.5e-4, 12);
    expect(learningRate(110, s)).toBe(1e-4);
    expect(learningRate(1000, s)).toBe(1e-4);
    for (let t = 89; t < 110; t++) expect(learningRate(t, s)).toBeLessThan(learningRate(t - 1, s));
    // An open-ended run stays at maxLr; a wall-clock budget decays by the share of the budget used.
    expect(learningRate(1e6, { ...s, totalSteps: Infinity })).toBe(1e-3);
    expect(learningRate(50, { ...s, totalSteps: Infinity }, 0.9)).toBeCloseTo(5.5e-4, 12);
    expect(() => learningRate(-1, s)).toThrow(/step/);
  });
});
