import { describe, expect, it } from 'vitest';
import type { CoordinatorStatus, RoundRecord } from '../protocol/status.ts';
import { countdown, formatDuration, msPerRound, peerShares, swarmThroughput } from './insights.ts';

const round = (n: number, atMs: number, bytes: number, durationMs: number): RoundRecord => ({
  round: n, version: n, loss: 2, bytes, peers: 1, rejected: 0, durationMs, at: new Date(atMs).toISOString(),
});
const T0 = Date.parse('2026-12-01T10:00:00Z');

describe('dashboard insights', () => {
  it('measures throughput over wall-clock time between rounds, waits included', () => {
    const rounds = [round(1, T0 + 2_000, 4_000, 1_000), round(2, T0 + 4_000, 4_000, 1_000), round(3, T0 + 12_000, 8_000, 2_000)];
    const points = swarmThroughput(rounds, new Date(T0).toISOString());
    // The first round has no predecessor: its own duration. Then 2 s, then 8 s (a wait for peers).
    expect(points.map((p) => p.bytesPerSec)).toEqual([4_000, 2_000, 1_000]);
    expect(points[2]!.minutes).toBeCloseTo(0.2, 12);
  });

  it('gives each peer its share of the bytes contributed', () => {
    const peers = [
      { id: 'a', bytesContributed: 300 },
      { id: 'b', bytesContributed: 100 },
    ] as CoordinatorStatus['peers'];
    expect([...peerShares(peers)]).toEqual([['a', 0.75], ['b', 0.25]]);
    expect([...peerShares([{ id: 'c', bytesContributed: 0 }] as CoordinatorStatus['peers'])]).toEqual([['c', 0]]);
  });

  it('counts down to the next multiple of a cadence', () => {
    const rounds = [round(1, T0, 1, 1), round(2, T0 + 3_000, 1, 1), round(3, T0 + 6_000, 1, 1)];
    expect(msPerRound(rounds)).toBe(3_000);
    expect(msPerRound(rounds.slice(0, 1))).toBeUndefined();
    expect(countdown(7, 10, 3_000)).toBe('in 3 rounds (~9 s)');
    expect(countdown(10, 10, undefined)).toBe('in 10 rounds');
    expect(countdown(9, 10, 90_000)).toBe('in 1 round (~1 min 30 s)');
    expect(countdown(5, 0, 1_000)).toBe('never');
    expect(formatDuration(2 * 3600_000 + 30 * 60_000)).toBe('2 h 30 min');
  });
});
