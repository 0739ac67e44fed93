// The conformance suite every aggregation rule must pass (hono's `runTest({ newRouter })` pattern): call
// `runAggregatorConformance({ create })` from a test file. Properties any sensible rule has, robust or not.
import { describe, expect, it } from 'vitest';
import type { Aggregator, Contribution } from './aggregator.ts';

function contribution(peerId: string, values: number[], weight = 100): Contribution {
  return { peerId, vector: Float32Array.from(values), weight };
}

/** Deterministic pseudo-random vectors (no Math.random: a failure must reproduce). */
function randomVector(len: number, seed: number): Float32Array {
  const v = new Float32Array(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 32 - 0.5;
  }
  return v;
}

export function runAggregatorConformance(o: { create: () => Aggregator }): void {
  describe(`aggregator conformance: ${o.create().name}`, () => {
    it('returns a copy of a single contribution and leaves the input untouched', () => {
      const c = contribution('a', [1, -2, 3.5]);
      const out = o.create().aggregate([c]);
      expect(Array.from(out)).toEqual([1, -2, 3.5]);
      expect(out).not.toBe(c.vector);
      out[0] = 42;
      expect(c.vector[0]).toBe(1);
    });

    it('returns v when every peer sends the same v, whatever the weights', () => {
      const v = [0.25, -1, 8];
      const out = o.create().aggregate([contribution('a', v, 1), contribution('b', v, 70), contribution('c', v, 3)]);
      expect(Array.from(out)).toEqual(v);
    });

    it('averages two equally weighted peers', () => {
      const out = o.create().aggregate([contribution('a', [0, 2, -4]), contribution('b', [2, 4, 4])]);
      expect(Array.from(out)).toEqual([1, 3, 0]);
    });

    it('stays inside the coordinate-wise range of the inputs', () => {
      const cs = [1, 2, 3, 4, 5].map((k) => ({ peerId: `p${k}`, vector: randomVector(500, k), weight: k * 10 }));
      const out = o.create().aggregate(cs);
      for (let i = 0; i < 500; i++) {
        const vals = cs.map((c) => c.vector[i]!);
        expect(out[i]).toBeGreaterThanOrEqual(Math.min(...vals) - 1e-6);
        expect(out[i]).toBeLessThanOrEqual(Math.max(...vals) + 1e-6);
      }
    });

    it('does not depend on the order of the contributions', () => {
      const cs = [1, 2, 3, 4].map((k) => ({ peerId: `p${k}`, vector: randomVector(300, k * 7), weight: 5 + k }));
      const a = o.create().aggregate(cs);
      const b = o.create().aggregate([cs[2]!, cs[0]!, cs[3]!, cs[1]!]);
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 6);
    });

    it('scales with its inputs', () => {
      const cs = [1, 2, 3].map((k) => ({ peerId: `p${k}`, vector: randomVector(200, k), weight: 10 }));
      const scaled = cs.map((c) => ({ ...c, vector: c.vector.map((x) => x * -3) }));
      const a = o.create().aggregate(cs);
      const b = o.create().aggregate(scaled);
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]! * -3, 5);
    });

    it('streams: begin/add/finish gives what aggregate gives, and add may reuse the vector it was given', () => {
      const cs = [1, 2, 3, 4, 5].map((k) => ({ peerId: `p${k}`, vector: randomVector(400, k * 3), weight: 10 + k }));
      const whole = o.create().aggregate(cs);
      const norms = cs.map((c) => Math.hypot(...c.vector));
      const sorted = [...norms].sort((a, b) => a - b);
      const acc = o.create().begin(400, sorted[2]);
      const scratch = new Float32Array(400);
      cs.forEach((c, i) => {
        scratch.set(c.vector);
        acc.add({ ...c, vector: scratch }, norms[i]!);
        scratch.fill(Number.NaN); // the accumulator must have taken what it needs
      });
      const streamed = acc.finish();
      for (let i = 0; i < whole.length; i++) expect(streamed[i]).toBeCloseTo(whole[i]!, 6);
    });

    it('refuses to finish a round with nothing in it', () => {
      expect(() => o.create().begin(3, undefined).finish()).toThrow(/sum to 0/);
    });

    it('handles zero-length vectors', () => {
      expect(o.create().aggregate([contribution('a', []), contribution('b', [])])).toHaveLength(0);
    });

    it('refuses an empty round, unequal lengths and bad weights with a clear error', () => {
      const agg = o.create();
      expect(() => agg.aggregate([])).toThrow(/no contributions/);
      expect(() => agg.aggregate([contribution('a', [1, 2]), contribution('b', [1])])).toThrow(/peer b has 1 values, expected 2/);
      expect(() => agg.aggregate([contribution('a', [1], Number.NaN)])).toThrow(/weight/);
      expect(() => agg.aggregate([contribution('a', [1], -1)])).toThrow(/weight/);
      expect(() => agg.aggregate([contribution('a', [1], 0)])).toThrow(/sum to 0/);
    });
  });
}
