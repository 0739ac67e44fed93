import { describe, expect, it } from 'vitest';
import { RoundCollector, type RoundAssignment } from './collector.ts';

const assign = (entries: Array<[string, number[]]>) =>
  new Map<string, RoundAssignment>(entries.map(([id, batchIds]) => [id, { batchIds, maxBytes: 100 }]));
const result = (over: Partial<{ round: number; version: number; batchIds: number[]; bytes: number }> = {}) => ({
  round: 3, version: 7, batchIds: [1], bytes: 50, loss: 2, payload: 'g', ...over,
});

describe('RoundCollector', () => {
  it('settles as soon as every assigned peer answered', async () => {
    const c = new RoundCollector<string>(3, 7, assign([['a', [1]], ['b', [2]]]));
    expect(c.offer('a', result())).toBe('accepted');
    expect(c.offer('b', result({ batchIds: [2] }))).toBe('accepted');
    const t0 = Date.now();
    await c.wait(10_000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(c.unfinishedBatchIds()).toEqual([]);
  });

  it('never accepts a result for another round or version, or for batches it was not given', () => {
    const c = new RoundCollector<string>(3, 7, assign([['a', [1]]]));
    expect(c.offer('a', result({ version: 6 }))).toBe('stale');
    expect(c.offer('a', result({ round: 2 }))).toBe('stale');
    expect(c.offer('a', result({ batchIds: [9] }))).toBe('wrong-batches');
    expect(c.offer('x', result())).toBe('unassigned');
    expect(c.offer('a', result({ bytes: 1e9 }))).toBe('accepted');
    expect(c.results.get('a')!.bytes).toBe(100); // clamped: a peer cannot inflate its weight
    expect(c.offer('a', result())).toBe('duplicate');
  });

  it('a dropped peer ends the wait early and its batches are returned', async () => {
    const c = new RoundCollector<string>(3, 7, assign([['a', [1]], ['b', [2, 3]]]));
    c.offer('a', result());
    const waiting = c.wait(10_000);
    c.drop('b');
    await waiting;
    expect(c.unfinishedBatchIds()).toEqual([2, 3]);
    expect(c.latePeers()).toEqual([]);
  });

  it('the deadline ends the wait; the silent peer is late and its batch returned', async () => {
    const c = new RoundCollector<string>(3, 7, assign([['a', [1]], ['b', [2]]]));
    c.offer('a', result());
    const t0 = Date.now();
    await c.wait(100);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(c.latePeers()).toEqual(['b']);
    expect(c.unfinishedBatchIds()).toEqual([2]);
    expect(c.offer('b', result({ batchIds: [2] }))).toBe('unassigned');
  });
});
