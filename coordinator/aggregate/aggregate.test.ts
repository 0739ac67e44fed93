import { describe, expect, it } from 'vitest';
import { createAggregator, AGGREGATOR_NAMES, type Contribution } from './index.ts';
import { runAggregatorConformance } from './conformance.ts';

for (const name of AGGREGATOR_NAMES) runAggregatorConformance({ create: () => createAggregator(name) });

const c = (peerId: string, values: number[], weight = 1): Contribution => ({ peerId, vector: Float32Array.from(values), weight });

describe('mean', () => {
  it('weights by scored bytes', () => {
    const out = createAggregator('mean').aggregate([c('a', [4, 0], 100), c('b', [0, 8], 300)]);
    expect(Array.from(out)).toEqual([1, 6]);
  });
  it('ignores a zero-weight peer', () => {
    const out = createAggregator('mean').aggregate([c('a', [2], 0), c('b', [5], 10)]);
    expect(out[0]).toBe(5);
  });
});

describe('trimmed-mean', () => {
  it('drops the extremes per coordinate (5 peers, trim 0.2 removes 1 from each end)', () => {
    const cs = [c('a', [1, 10]), c('b', [2, 20]), c('c', [3, 30]), c('d', [1e6, -1e6]), c('e', [-1e6, 40])];
    const out = createAggregator('trimmed-mean', { trimFraction: 0.2 }).aggregate(cs);
    // coordinate 0: sorted -1e6,1,2,3,1e6 → mean(1,2,3) = 2; coordinate 1: -1e6,10,20,30,40 → mean(10,20,30) = 20
    expect(Array.from(out)).toEqual([2, 20]);
  });
  it('is the weighted mean when nothing is trimmed', () => {
    const cs = [c('a', [4], 1), c('b', [0], 3)];
    expect(createAggregator('trimmed-mean').aggregate(cs)[0]).toBe(1);
  });
  it('refuses a trim fraction outside [0, 0.5)', () => {
    expect(() => createAggregator('trimmed-mean', { trimFraction: 0.5 })).toThrow(/trimFraction/);
  });
});

describe('median', () => {
  it('ignores a minority of arbitrary values and the byte weights', () => {
    const cs = [c('a', [1], 1), c('b', [2], 1), c('c', [3], 1), c('d', [1e9], 1e6), c('e', [-1e9], 1e6)];
    expect(createAggregator('median').aggregate(cs)[0]).toBe(2);
  });
  it('averages the two middle values for an even count', () => {
    expect(createAggregator('median').aggregate([c('a', [1]), c('b', [2]), c('c', [10]), c('d', [100])])[0]).toBe(6);
  });
});

describe('createAggregator', () => {
  it('names an unknown rule', () => {
    expect(() => createAggregator('mode' as never)).toThrow(/unknown aggregator "mode"/);
  });
});
