import { describe, expect, it } from 'vitest';
import { codecByName } from '../../protocol/codecs/index.ts';
import { screenResults } from './decode-results.ts';

const fp32 = codecByName('fp32');
const result = (peerId: string, v: Float32Array, over: Partial<{ bytes: number; loss: number; gradient: Uint8Array }> = {}) => ({
  peerId, bytes: over.bytes ?? 100, loss: over.loss ?? 2, payload: { gradient: over.gradient ?? fp32.encode(v) },
});

describe('screenResults', () => {
  it('keeps good results and names the reason for every refused one', () => {
    const good = new Float32Array([0.1, -0.2, 0.3]);
    const out = screenResults(
      [
        result('a', good),
        result('b', good, { loss: Number.NaN }),
        result('c', good, { bytes: 0 }),
        result('d', new Float32Array([1, 2])),
        result('e', good, { gradient: new Uint8Array([1, 2, 3]) }),
        result('f', good, { gradient: codecByName('int8').encode(good) }),
      ],
      3,
      'fp32',
    );
    expect(out.accepted.map((c) => c.peerId)).toEqual(['a']);
    expect(out.accepted[0]!.weight).toBe(100);
    const reasons = Object.fromEntries(out.rejected.map((r) => [r.peerId, r.reason]));
    expect(reasons.b).toBe('non-finite-loss');
    expect(reasons.c).toBe('no-scored-bytes');
    expect(reasons.d).toMatch(/^undecodable gradient: LENGTH_MISMATCH/);
    expect(reasons.e).toMatch(/^undecodable gradient/);
    // Only the run's codec: a payload in another is refused before it is decoded.
    expect(reasons.f).toMatch(/^wrong codec: codec id \d+, this run uses fp32/);
    expect(out.wireBytesIn).toBeGreaterThan(3 * 12);
  });

  it('rejects a norm outlier among honest peers', () => {
    const v = (x: number) => new Float32Array([x, x, x]);
    const out = screenResults([result('a', v(1)), result('b', v(1.1)), result('c', v(0.9)), result('x', v(1000))], 3, 'fp32');
    expect(out.accepted.map((c) => c.peerId).sort()).toEqual(['a', 'b', 'c']);
    expect(out.rejected).toEqual([{ peerId: 'x', reason: 'norm-outlier' }]);
  });
});
