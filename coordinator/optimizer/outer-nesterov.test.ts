import { describe, expect, it } from 'vitest';
import { OuterNesterov } from './outer-nesterov.ts';

describe('OuterNesterov', () => {
  it('with lr 1 and momentum 0 it lands on the averaged peer weights', () => {
    const opt = new OuterNesterov(3, { lr: 1, momentum: 0 });
    const w = Float32Array.from([1, 2, 3]);
    const averaged = Float32Array.from([0.5, 2.5, 3]);
    opt.step(w, w.map((x, i) => x - averaged[i]!));
    expect(Array.from(w)).toEqual([0.5, 2.5, 3]);
  });

  it('matches PyTorch SGD(nesterov=True) by hand over three steps (DiLoCo defaults)', () => {
    const opt = new OuterNesterov(1); // lr 0.7, momentum 0.9
    const w = Float32Array.from([1]);
    let buf = 0;
    let ref = 1;
    for (const d of [0.1, -0.2, 0.05]) {
      buf = 0.9 * buf + d;
      ref -= 0.7 * (d + 0.9 * buf);
      opt.step(w, Float32Array.from([d]));
      expect(w[0]).toBeCloseTo(ref, 6);
      // step 1 by hand: 1 - 0.7 * (0.1 + 0.9 * 0.1) = 0.867
      if (d === 0.1) expect(w[0]).toBeCloseTo(0.867, 6);
    }
  });

  it('does not modify the pseudo-gradient and refuses NaN without touching state', () => {
    const opt = new OuterNesterov(2);
    const w = Float32Array.from([1, 1]);
    const g = Float32Array.from([0.1, 0.2]);
    opt.step(w, g);
    expect(Array.from(g)).toEqual([Float32Array.from([0.1])[0], Float32Array.from([0.2])[0]]);
    const before = opt.exportState();
    const wBefore = w.slice();
    expect(() => opt.step(w, Float32Array.from([Number.NaN, 0]))).toThrow(/NaN/);
    expect(Array.from(w)).toEqual(Array.from(wBefore));
    expect(opt.exportState()).toEqual(before);
  });

  it('round-trips its state: a restored optimizer continues identically', () => {
    const a = new OuterNesterov(4, { lr: 0.5, momentum: 0.8 });
    const wa = Float32Array.from([1, 2, 3, 4]);
    a.step(wa, Float32Array.from([0.1, 0.2, -0.3, 0.4]));
    const b = new OuterNesterov(4, { lr: 0.5, momentum: 0.8 });
    b.importState(a.exportState());
    const wb = wa.slice();
    const g = Float32Array.from([0.3, -0.1, 0.2, 0]);
    a.step(wa, g);
    b.step(wb, g);
    expect(Array.from(wb)).toEqual(Array.from(wa));
    expect(b.exportState().steps).toBe(2);
  });

  it('rejects bad options, sizes and states', () => {
    expect(() => new OuterNesterov(2, { lr: 0 })).toThrow(/lr/);
    expect(() => new OuterNesterov(2, { momentum: 1 })).toThrow(/momentum/);
    expect(() => new OuterNesterov(2).step(new Float32Array(2), new Float32Array(3))).toThrow(/expected 2/);
    expect(() => new OuterNesterov(2).importState({ kind: 'outer-nesterov', buffer: new Float32Array(3), steps: 0 })).toThrow(/2 floats/);
  });
});
