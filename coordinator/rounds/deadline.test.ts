import { describe, expect, it } from 'vitest';
import { DeadlineEstimator, roundDeadlineMs } from './deadline.ts';

const opts = { defaultMs: 30_000, minMs: 1_000, maxMs: 100_000, safetyFactor: 2, emaAlpha: 0.5 };

describe('DeadlineEstimator', () => {
  it('uses the default before any measurement', () => {
    expect(new DeadlineEstimator(opts).deadlineMs('p', 1e6)).toBe(30_000);
  });

  it('scales with assigned bytes and measured speed, within the bounds', () => {
    const d = new DeadlineEstimator(opts);
    d.record('p', 10_000, 2_000); // 5,000 B/s
    expect(d.deadlineMs('p', 10_000)).toBe(4_000); // 2 x 2 s
    expect(d.deadlineMs('p', 20_000)).toBe(8_000);
    expect(d.deadlineMs('p', 10)).toBe(1_000); // min
    expect(d.deadlineMs('p', 1e9)).toBe(100_000); // max
    expect(d.deadlineMs('other', 10_000)).toBe(30_000);
  });

  it('follows a speed change through the moving average', () => {
    const d = new DeadlineEstimator(opts);
    d.record('p', 10_000, 1_000); // 10,000 B/s
    d.record('p', 10_000, 10_000 / 2); // 2,000 B/s -> 0.5*2000 + 0.5*10000 = 6,000
    expect(d.speed('p')).toEqual({ bytesPerSec: 6_000, samples: 2, misses: 0 });
    expect(d.deadlineMs('p', 6_000)).toBe(2_000);
  });

  it('doubles the deadline after each miss, up to the maximum', () => {
    const d = new DeadlineEstimator(opts);
    d.record('p', 10_000, 1_000);
    const first = d.deadlineMs('p', 10_000); // 2,000
    d.recordMiss('p', 10_000, first);
    const second = d.deadlineMs('p', 10_000);
    expect(second).toBe(2 * first);
    for (let i = 0; i < 20; i++) d.recordMiss('p', 10_000, d.deadlineMs('p', 10_000));
    expect(d.deadlineMs('p', 10_000)).toBe(100_000);
    // An unmeasured peer that missed the default gets more than the default next time.
    d.recordMiss('q', 10_000, 30_000);
    expect(d.deadlineMs('q', 10_000)).toBe(60_000);
  });

  it('ignores nonsense measurements', () => {
    const d = new DeadlineEstimator(opts);
    expect(d.record('p', 0, 100)).toBe(false);
    expect(d.record('p', 100, 0)).toBe(false);
    expect(d.record('p', Number.NaN, 100)).toBe(false);
    expect(d.speed('p')).toBeUndefined();
  });

  it('suggests a batch size for a target time', () => {
    const d = new DeadlineEstimator(opts);
    expect(d.suggestBatchSize('p', 2, 300)).toBeUndefined();
    d.record('p', 3_000, 1_000);
    expect(d.suggestBatchSize('p', 2, 300)).toBe(20);
    expect(d.suggestBatchSize('p', 0.001, 300)).toBe(1);
    d.forget('p');
    expect(d.suggestBatchSize('p', 2, 300)).toBeUndefined();
  });

  it('rejects inconsistent options', () => {
    expect(() => new DeadlineEstimator({ ...opts, minMs: 200_000 })).toThrow(/minMs/);
    expect(() => new DeadlineEstimator({ ...opts, defaultMs: 500 })).toThrow(/defaultMs/);
    expect(() => new DeadlineEstimator({ ...opts, safetyFactor: 0.5 })).toThrow(/safetyFactor/);
  });
});

describe('roundDeadlineMs', () => {
  it('waits for the slowest peer, but not past 3x the median of the round', () => {
    expect(roundDeadlineMs([])).toBe(0);
    expect(roundDeadlineMs([600_000])).toBe(600_000);
    expect(roundDeadlineMs([2_000, 2_500, 5_000])).toBe(5_000);
    // One peer whose deadline doubled up to the maximum no longer holds up the others' rounds.
    expect(roundDeadlineMs([2_000, 2_000, 600_000])).toBe(6_000);
    expect(roundDeadlineMs([2_000, 600_000])).toBe(6_000);
  });
});
