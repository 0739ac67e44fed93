import { describe, expect, it } from 'vitest';
import { codecByName } from '../../protocol/codecs/index.ts';
import { createAggregator, NormHistory } from '../aggregate/index.ts';
import { ReplayGuard } from './replay-guard.ts';
import { RoundAggregation, type RoundAggregationOptions } from './round-aggregation.ts';

const fp32 = codecByName('fp32');
const result = (peerId: string, v: Float32Array, over: Partial<{ bytes: number; loss: number; gradient: Uint8Array }> = {}) => ({
  peerId, bytes: over.bytes ?? 100, loss: over.loss ?? 2, payload: { gradient: over.gradient ?? fp32.encode(v) },
});
const v = (...xs: number[]) => Float32Array.from(xs);
function round(o: Partial<RoundAggregationOptions> = {}) {
  return new RoundAggregation({
    round: 0, numParams: 3, codec: 'fp32', aggregator: createAggregator('mean'), history: new NormHistory(), replays: new ReplayGuard(), ...o,
  });
}

describe('RoundAggregation', () => {
  it('keeps good results and names the reason for every refused one', () => {
    const agg = round();
    const good = v(0.1, -0.2, 0.3);
    const reasons: Record<string, string | undefined> = {};
    for (const r of [
      result('a', good),
      result('b', good, { loss: Number.NaN }),
      result('c', good, { bytes: 0 }),
      result('d', v(1, 2)),
      result('e', good, { gradient: new Uint8Array([1, 2, 3]) }),
      result('f', good, { gradient: codecByName('int8').encode(good) }),
    ]) reasons[r.peerId] = agg.offer(r);
    const out = agg.finish();
    expect(out.accepted.map((c) => c.peerId)).toEqual(['a']);
    expect(reasons.a).toBeUndefined();
    expect(reasons.b).toBe('non-finite-loss');
    expect(reasons.c).toBe('no-scored-bytes');
    expect(reasons.d).toMatch(/^undecodable gradient: LENGTH_MISMATCH/);
    expect(reasons.e).toMatch(/^undecodable gradient/);
    // Only the run's codec: a payload in another is refused before it is decoded.
    expect(reasons.f).toMatch(/^wrong codec: codec id \d+, this run uses fp32/);
    expect(out.rejected).toHaveLength(5);
    expect(Array.from(out.update!)).toEqual(Array.from(good));
    expect(out.wireBytesIn).toBeGreaterThan(3 * 12);
  });

  it('refuses a byte-for-byte replay of an earlier payload, from this round or an earlier one', () => {
    const replays = new ReplayGuard();
    const first = round({ replays, round: 4 });
    const payload = fp32.encode(v(1, 1, 1));
    expect(first.offer(result('a', v(), { gradient: payload }))).toBeUndefined();
    expect(first.offer(result('b', v(), { gradient: payload.slice() }))).toBe('replay: the same payload was sent in round 4');
    const later = round({ replays, round: 9 });
    expect(later.offer(result('a', v(), { gradient: payload.slice() }))).toMatch(/^replay/);
    expect(later.finish().update).toBeUndefined();
  });

  it('remembers only usable payloads: a repeated undecodable one keeps its own reason', () => {
    const agg = round();
    const junk = new Uint8Array([9, 9, 9]);
    expect(agg.offer(result('a', v(), { gradient: junk }))).toMatch(/^undecodable gradient/);
    expect(agg.offer(result('a', v(), { gradient: junk.slice() }))).toMatch(/^undecodable gradient/);
  });

  it('without a history, judges norms against the round median once there are 3 results', () => {
    const agg = round();
    for (const r of [result('a', v(1, 1, 1)), result('b', v(1.1, 1, 1)), result('c', v(0.9, 1, 1)), result('x', v(1000, 0, 0))]) agg.offer(r);
    const out = agg.finish();
    expect(out.accepted.map((c) => c.peerId).sort()).toEqual(['a', 'b', 'c']);
    expect(out.rejected).toEqual([{ peerId: 'x', reason: 'norm-outlier' }]);
  });

  it('with a history, rejects what lies outside its bounds even when the round has too few results to judge', () => {
    const history = new NormHistory({ minRounds: 1, maxNormRatio: 4 });
    history.record([1]);
    const agg = round({ history });
    agg.offer(result('a', v(1, 0, 0)));
    agg.offer(result('x', v(-10, 0, 0))); // 10x the history's norm: rejected, though 2 results cannot be judged by their median
    const out = agg.finish();
    expect(out.accepted.map((c) => c.peerId)).toEqual(['a']);
    expect(out.rejected).toEqual([{ peerId: 'x', reason: 'norm-outlier' }]);
    expect(Array.from(out.update!)).toEqual([1, 0, 0]);
  });

  it('falls back to the round median when most of the round lies outside a stale history (honest norms moved)', () => {
    const history = new NormHistory({ minRounds: 1, maxNormRatio: 4 });
    history.record([1]);
    const agg = round({ history });
    for (const r of [result('a', v(10, 0, 0)), result('b', v(11, 0, 0)), result('c', v(0.5, 0, 0)), result('x', v(1e4, 0, 0))]) agg.offer(r);
    const out = agg.finish();
    // Against the round median (5.5 x 4 = 22): 10 and 11 are back in, 1e4 is out; 0.5 was within the history.
    expect(out.accepted.map((c) => c.peerId).sort()).toEqual(['a', 'b', 'c']);
    expect(out.rejected).toEqual([{ peerId: 'x', reason: 'norm-outlier' }]);
  });

  it('clips against the history: a bad contribution within the bounds moves the update at most clipRatio x the usual norm', () => {
    const history = new NormHistory({ minRounds: 1 });
    history.record([1]);
    const agg = round({ history, aggregator: createAggregator('clipped-mean', { clipRatio: 1.5 }) });
    agg.offer(result('a', v(1, 0, 0)));
    agg.offer(result('b', v(0.9, 0, 0)));
    agg.offer(result('x', v(-3.5, 0, 0))); // within 4x: accepted, clipped to -1.5
    expect(agg.finish().update![0]).toBeCloseTo(0.4 / 3, 6);
  });

  it('keeps nothing of a result within the history\'s bounds: many peers, one running sum', () => {
    const history = new NormHistory({ minRounds: 1 });
    history.record([1]);
    const agg = round({ history, numParams: 1000 });
    const expected = new Float64Array(1000);
    for (let p = 0; p < 200; p++) {
      const vec = new Float32Array(1000).map((_, i) => Math.sin(p * 1000 + i) / Math.sqrt(500));
      for (let i = 0; i < 1000; i++) expected[i] += vec[i]! / 200;
      expect(agg.offer(result(`p${p}`, vec))).toBeUndefined();
      expect(agg.holding).toBe(0);
    }
    const out = agg.finish();
    expect(out.accepted).toHaveLength(200);
    for (let i = 0; i < 1000; i++) expect(out.update![i]).toBeCloseTo(expected[i]!, 6);
  });
});
