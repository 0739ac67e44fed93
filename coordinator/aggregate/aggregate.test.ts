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

describe('clipped-mean', () => {
  it('scales a contribution longer than clipRatio x the reference down to that length, then takes the mean', () => {
    const acc = createAggregator('clipped-mean', { clipRatio: 2 }).begin(2, 1);
    acc.add(c('a', [1, 0]), 1);
    acc.add(c('big', [0, -100]), 100); // clipped to length 2: [0, -2]
    expect(Array.from(acc.finish())).toEqual([0.5, -1]);
  });
  it('is the plain weighted mean when nothing exceeds the clip, or with no reference', () => {
    const cs = [c('a', [4, 0], 100), c('b', [0, 8], 300)];
    expect(Array.from(createAggregator('clipped-mean').aggregate(cs))).toEqual([1, 6]);
    const acc = createAggregator('clipped-mean').begin(1, undefined);
    acc.add(c('a', [1000]), 1000);
    expect(acc.finish()[0]).toBe(1000);
  });
  it('bounds what one bad peer among honest ones can do to the update (aggregate: the round median is the reference)', () => {
    const out = createAggregator('clipped-mean').aggregate([c('a', [1, 0]), c('b', [1, 0]), c('bad', [-1e6, 0])]);
    // bad clipped to 1.5: (1 + 1 - 1.5) / 3
    expect(out[0]).toBeCloseTo(0.5 / 3, 6);
  });
  it('refuses a bad clip ratio', () => {
    expect(() => createAggregator('clipped-mean', { clipRatio: 0 })).toThrow(/clipRatio/);
  });
});

describe('robust rules over more peers than their cap', () => {
  it('median keeps at most maxVectors slots and merges the rest into them (a median of means)', () => {
    const rule = createAggregator('median', { maxVectors: 3 });
    // 9 equal contributions into 3 slots: every slot is their mean.
    const acc = rule.begin(1, undefined);
    for (let i = 0; i < 9; i++) acc.add(c(`h${i}`, [1]), 1);
    const out = acc.finish();
    expect(out[0]).toBe(1);
    const single = rule.begin(1, undefined);
    for (const v of [5, 1, 3]) single.add(c(`p${v}`, [v]), v);
    expect(single.finish()[0]).toBe(3); // at or below the cap: exactly the median
  });
  it('trimmed-mean refuses a cap below 1', () => {
    expect(() => createAggregator('trimmed-mean', { maxVectors: 0 }).begin(1, undefined)).toThrow(/maxVectors/);
  });
});
