import { describe, expect, it } from 'vitest';
import { NormHistory } from './norm-history.ts';

describe('NormHistory', () => {
  it('gives no bound until minRounds rounds were recorded, then the median of the rounds\' medians', () => {
    const h = new NormHistory({ rounds: 3, minRounds: 2, maxNormRatio: 4 });
    expect(h.bounds()).toBeUndefined();
    h.record([1, 2, 100]); // median 2
    expect(h.reference()).toBeUndefined();
    h.record([4, 4]);
    expect(h.reference()).toBe(3);
    expect(h.bounds()).toEqual({ lower: 0.75, upper: 12 });
  });
  it('forgets the oldest round and ignores empty, zero and non-finite norms', () => {
    const h = new NormHistory({ rounds: 2, minRounds: 1 });
    h.record([10]);
    h.record([]);
    h.record([0, Number.NaN]);
    expect(h.reference()).toBe(10);
    h.record([2]);
    h.record([4]);
    expect(h.reference()).toBe(3);
  });
  it('is not moved by a minority that keeps sending large accepted norms', () => {
    const h = new NormHistory();
    for (let r = 0; r < 20; r++) h.record([1, 1.1, 3.9]);
    expect(h.reference()).toBe(1.1);
  });
  it('refuses bad options', () => {
    expect(() => new NormHistory({ maxNormRatio: 1 })).toThrow(/maxNormRatio/);
    expect(() => new NormHistory({ rounds: 2, minRounds: 3 })).toThrow(/minRounds/);
  });
});
