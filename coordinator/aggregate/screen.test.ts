import { describe, expect, it } from 'vitest';
import { screenContributions } from './screen.ts';
import type { Contribution } from './aggregator.ts';

const c = (peerId: string, values: number[], weight = 10): Contribution => ({ peerId, vector: Float32Array.from(values), weight });

describe('screenContributions', () => {
  it('accepts a normal round untouched and reports norms', () => {
    const r = screenContributions([c('a', [3, 4]), c('b', [1, 1]), c('c', [2, 2])], 2);
    expect(r.accepted.map((x) => x.peerId)).toEqual(['a', 'b', 'c']);
    expect(r.rejected).toEqual([]);
    expect(r.norms.get('a')).toBe(5);
  });

  it('rejects NaN, Infinity and the wrong length, naming the peer and reason', () => {
    const r = screenContributions([c('ok', [1, 1]), c('nan', [Number.NaN, 1]), c('inf', [1, -Infinity]), c('short', [1])], 2);
    expect(r.accepted.map((x) => x.peerId)).toEqual(['ok']);
    expect(r.rejected).toEqual([
      { peerId: 'nan', reason: 'non-finite' },
      { peerId: 'inf', reason: 'non-finite' },
      { peerId: 'short', reason: 'wrong-length' },
    ]);
  });

  it('rejects a norm too large to step on (FLT_MAX values) even with one other contribution', () => {
    const r = screenContributions([c('ok', [1, 1]), c('max', [3.4e38, 3.4e38]), c('huge', [2e18, 0])], 2);
    expect(r.accepted.map((x) => x.peerId)).toEqual(['ok']);
    expect(r.rejected).toEqual([
      { peerId: 'max', reason: 'norm-unusable' },
      { peerId: 'huge', reason: 'norm-unusable' },
    ]);
  });

  it('rejects a bad byte count', () => {
    const r = screenContributions([c('neg', [1], -5), c('nan', [1], Number.NaN)], 1);
    expect(r.rejected.map((x) => x.reason)).toEqual(['bad-weight', 'bad-weight']);
  });

  it('rejects norms more than 10x above or below the median once there are 3 or more', () => {
    const r = screenContributions([c('a', [1, 0]), c('b', [0, 1.5]), c('c', [2, 0]), c('big', [0, 20.1]), c('tiny', [0.1, 0])], 2);
    // median norm = 1.5: 20.1 > 15 and 0.1 < 0.15 are out; 2 and 1 are in.
    expect(r.accepted.map((x) => x.peerId)).toEqual(['a', 'b', 'c']);
    expect(r.rejected).toEqual([
      { peerId: 'big', reason: 'norm-outlier' },
      { peerId: 'tiny', reason: 'norm-outlier' },
    ]);
  });

  it('keeps values just inside the bounds', () => {
    const r = screenContributions([c('a', [1]), c('b', [1]), c('c', [9.99])], 1);
    expect(r.rejected).toEqual([]);
  });

  it('does no norm check with fewer than 3 or a zero median', () => {
    expect(screenContributions([c('a', [1]), c('b', [1000])], 1).rejected).toEqual([]);
    expect(screenContributions([c('a', [0]), c('b', [0]), c('c', [5])], 1).rejected).toEqual([]);
  });

  it('does not count rejected contributions in the median', () => {
    // Two NaN peers leave 2 finite ones: below the minimum, so the large one is kept.
    const r = screenContributions([c('a', [1]), c('b', [100]), c('x', [Number.NaN]), c('y', [Number.NaN])], 1);
    expect(r.accepted.map((x) => x.peerId)).toEqual(['a', 'b']);
  });
});
