// The conformance suite every gradient codec must pass (one *.test.ts per codec calls it): round-trip error
// bound, empty and odd lengths, NaN/Inf rejected with NON_FINITE, corrupted / truncated / foreign payloads
// rejected with a ProtocolError, decoding by the id in the payload, payload size as announced, and the
// error-feedback invariant (everything sent plus the residual equals everything given).
import { describe, expect, it } from 'vitest';
import type { GradientCodec } from './codec.ts';
import { codecByName, decodeGradient, ErrorFeedback } from './index.ts';
import { ProtocolError } from '../errors.ts';

export interface ConformanceOptions {
  /** Upper bound on ||decode(encode(x)) - x|| / ||x|| for a Gaussian vector. */
  maxRelError: number;
  /** Extra codec-specific checks on (input, decoded). */
  check?(x: Float32Array, decoded: Float32Array): void;
}

/** Deterministic pseudo-Gaussian vector (Box-Muller over a 32-bit LCG). */
export function gaussianVector(n: number, seed = 1, scale = 1e-2): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return out;
}

export function relativeError(x: Float32Array, y: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - y[i]!;
    num += d * d;
    den += x[i]! * x[i]!;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

function expectProtocolError(fn: () => unknown, code?: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a ProtocolError').toBeInstanceOf(ProtocolError);
  if (code) expect((thrown as ProtocolError).code).toBe(code);
}

export function runCodecConformance(codec: GradientCodec, opts: ConformanceOptions): void {
  describe(`codec ${codec.name} (conformance)`, () => {
    encodingCases(codec, opts);
    refusalAndFeedbackCases(codec);
  });
}

/** What it sends: round trips, lengths and sizes, extreme values. */
function encodingCases(codec: GradientCodec, opts: ConformanceOptions): void {
  it('is the registered codec for its name and id', () => {
    expect(codecByName(codec.name).id).toBe(codec.id);
  });

  it(`round-trips a Gaussian vector within relative error ${opts.maxRelError}`, () => {
    const x = gaussianVector(10_001, 7);
    const payload = codec.encode(x);
    const y = codec.decode(payload, x.length);
    expect(y.length).toBe(x.length);
    const err = relativeError(x, y);
    expect(err).toBeLessThanOrEqual(opts.maxRelError);
    if (codec.lossless) expect(err).toBe(0);
    opts.check?.(x, y);
    const viaId = decodeGradient(payload, x.length);
    expect(viaId.ok && viaId.codec === codec.name && relativeError(y, viaId.vector) === 0).toBe(true);
  });

  it('handles empty, single and odd lengths, and says how many bytes it uses', () => {
    for (const n of [0, 1, 3, 255, 257, 1023]) {
      const x = gaussianVector(n, n + 1);
      const payload = codec.encode(x);
      const y = codec.decode(payload);
      expect(y.length).toBe(n);
      expect(payload.byteLength).toBeCloseTo(codec.expectedBytesPerParam(n) * Math.max(1, n), 6);
    }
  });

  it('keeps extreme finite values finite and zeros at zero', () => {
    const x = new Float32Array([3.4e38, -3.4e38, 1e-45, -1e-45, 0, 65504, 1e-8, -0.5]);
    const y = codec.decode(codec.encode(x));
    for (const v of y) expect(Number.isFinite(v)).toBe(true);
    expect(y[4]).toBe(0);
    const zeros = codec.decode(codec.encode(new Float32Array(300)));
    expect(zeros.every((v) => v === 0)).toBe(true);
  });
}

/** What it refuses (non-finite input, damaged payloads), and error feedback's bookkeeping. */
function refusalAndFeedbackCases(codec: GradientCodec): void {
  it('rejects NaN and ±Infinity with NON_FINITE', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const x = gaussianVector(100, 3);
      x[42] = bad;
      expectProtocolError(() => codec.encode(x), 'NON_FINITE');
    }
  });

  it('rejects corrupted, truncated, extended and foreign payloads with a ProtocolError', () => {
    const x = gaussianVector(777, 11);
    const payload = codec.encode(x);
    for (const at of [0, 1, 2, 4, 8, 12, 13, payload.byteLength >> 1, payload.byteLength - 1]) {
      const bad = payload.slice();
      bad[at]! ^= 0x5a;
      expectProtocolError(() => codec.decode(bad));
      expect(decodeGradient(bad).ok).toBe(false);
    }
    expectProtocolError(() => codec.decode(payload.subarray(0, payload.byteLength - 1)));
    expectProtocolError(() => codec.decode(new Uint8Array([...payload, 0])));
    expectProtocolError(() => codec.decode(new Uint8Array(5)));
    expectProtocolError(() => codec.decode(payload, 778), 'LENGTH_MISMATCH');
    const other = codecByName(codec.name === 'fp32' ? 'fp16' : 'fp32').encode(x);
    expectProtocolError(() => codec.decode(other), 'BAD_CODEC');
  });

  it('with error feedback, everything sent plus the residual equals everything given', () => {
    const n = 2048;
    const ef = new ErrorFeedback(codec, n);
    const given = new Float64Array(n);
    const sent = new Float64Array(n);
    for (let t = 0; t < 20; t++) {
      const g = gaussianVector(n, 100 + t);
      for (let i = 0; i < n; i++) given[i]! += g[i]!;
      const y = codec.decode(ef.encode(g), n);
      for (let i = 0; i < n; i++) sent[i]! += y[i]!;
    }
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(sent[i]! + ef.residual[i]! - given[i]!));
      scale = Math.max(scale, Math.abs(given[i]!));
    }
    expect(worst).toBeLessThanOrEqual(1e-5 * scale);
    if (codec.lossless) expect(ef.residual.every((v) => v === 0)).toBe(true);
    // A NaN gradient is refused and leaves the residual untouched.
    const before = ef.residual.slice();
    const g = gaussianVector(n, 5);
    g[0] = Number.NaN;
    expectProtocolError(() => ef.encode(g), 'NON_FINITE');
    expect(relativeError(before, ef.residual)).toBe(0);
  });
}
