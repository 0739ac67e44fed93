import { describe, expect, it } from 'vitest';
import { buildFrame, frameCount, FRAME_HEADER_BYTES, MAX_FRAME_BYTES, Reassembler } from './framing.ts';
import { DEFAULT_LIMITS } from './limits.ts';

const CAP = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function frames(msg: Uint8Array, id: number): Uint8Array[] {
  return Array.from({ length: frameCount(msg.byteLength) }, (_, i) => buildFrame(msg, id, i));
}

describe('framing', () => {
  it('splits at the 64 KiB boundary', () => {
    expect(frameCount(0)).toBe(1);
    expect(frameCount(CAP)).toBe(1);
    expect(frameCount(CAP + 1)).toBe(2);
    for (const f of frames(bytes(3 * CAP + 5), 9)) expect(f.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });

  it('reassembles interleaved messages, including ids near 2^32', () => {
    const r = new Reassembler(DEFAULT_LIMITS);
    const a = bytes(2 * CAP + 100, 1);
    const b = bytes(3 * CAP, 2);
    const fa = frames(a, 0xffffffff);
    const fb = frames(b, 0);
    const order = [fb[0], fa[0], fb[1], fa[1], fa[2], fb[2]];
    const got: Uint8Array[] = [];
    for (const f of order) {
      const res = r.push(f!, 0);
      expect(res.error).toBeUndefined();
      if (res.message) got.push(res.message);
    }
    expect(got.length).toBe(2);
    expect(Buffer.compare(got[0]!, a)).toBe(0);
    expect(Buffer.compare(got[1]!, b)).toBe(0);
    expect(r.partialCount).toBe(0);
    expect(r.bufferedBytes).toBe(0);
  });

  it('rejects a corrupted frame with CHECKSUM and a foreign one with MALFORMED', () => {
    const r = new Reassembler(DEFAULT_LIMITS);
    const f = buildFrame(bytes(100), 1, 0);
    f[FRAME_HEADER_BYTES + 7]! ^= 0x10;
    expect(r.push(f, 0).error?.code).toBe('CHECKSUM');
    expect(r.push(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 1, 2, 3]), 0).error?.code).toBe('MALFORMED');
    const g = buildFrame(bytes(10), 1, 0);
    g[1] = 9;
    expect(r.push(g, 0).error?.code).toBe('BAD_VERSION');
  });

  it('drops a stalled partial message after the timeout and frees its memory', () => {
    const r = new Reassembler({ ...DEFAULT_LIMITS, partialTimeoutMs: 1000, partialMinBytesPerSec: Infinity });
    const f = frames(bytes(2 * CAP), 5);
    r.push(f[0]!, 0);
    expect(r.partialCount).toBe(1);
    expect(r.expire(999)).toEqual([]);
    const errs = r.expire(1000);
    expect(errs.map((e) => e.code)).toEqual(['TIMEOUT']);
    expect(r.partialCount).toBe(0);
    expect(r.bufferedBytes).toBe(0);
    // The late second frame starts a new partial that never completes instead of producing a message.
    expect(r.push(f[1]!, 2000).message).toBeUndefined();
  });

  it('counts the timeout from the first frame: a trickle of frames does not keep a partial alive', () => {
    const r = new Reassembler({ ...DEFAULT_LIMITS, partialTimeoutMs: 1000, partialMinBytesPerSec: Infinity });
    const f = frames(bytes(5 * CAP), 7);
    r.push(f[0]!, 0);
    // A frame at 900 ms would have refreshed a "no frame for 1000 ms" timer; the deadline stays at 1000.
    expect(r.push(f[1]!, 900).error).toBeUndefined();
    expect(r.expire(999)).toEqual([]);
    expect(r.expire(1000).map((e) => e.code)).toEqual(['TIMEOUT']);
    expect(r.partialCount).toBe(0);
    expect(r.bufferedBytes).toBe(0);
  });

  it('gives a large message time for its size at the slowest accepted rate', () => {
    const r = new Reassembler({ ...DEFAULT_LIMITS, partialTimeoutMs: 1000, partialMinBytesPerSec: 2 * CAP });
    const f = frames(bytes(4 * CAP), 8);
    r.push(f[0]!, 0);
    // 4 frames at 2 frames a second: 2 s on top of the 1 s allowance.
    expect(r.allowanceMs(4 * CAP)).toBe(3000);
    expect(r.expire(2999)).toEqual([]);
    expect(r.expire(3000).map((e) => e.code)).toEqual(['TIMEOUT']);
  });

  it('bounds partial messages in flight and reassembly bytes', () => {
    const r = new Reassembler({ ...DEFAULT_LIMITS, maxPartialMessages: 2, maxReassemblyBytes: 5 * CAP });
    const m = bytes(2 * CAP);
    expect(r.push(buildFrame(m, 1, 0), 0).error).toBeUndefined();
    expect(r.push(buildFrame(m, 2, 0), 0).error).toBeUndefined();
    expect(r.push(buildFrame(m, 3, 0), 0).error?.code).toBe('OVERLOADED');
    const r2 = new Reassembler({ ...DEFAULT_LIMITS, maxReassemblyBytes: 3 * CAP });
    expect(r2.push(buildFrame(m, 1, 0), 0).error).toBeUndefined();
    expect(r2.push(buildFrame(m, 2, 0), 0).error?.code).toBe('OVERLOADED');
    const r3 = new Reassembler({ ...DEFAULT_LIMITS, maxMessageBytes: CAP });
    expect(r3.push(buildFrame(m, 1, 0), 0).error?.code).toBe('TOO_LARGE');
  });

  it('drops a message whose frames disagree or repeat', () => {
    const r = new Reassembler(DEFAULT_LIMITS);
    const f = frames(bytes(3 * CAP), 7);
    r.push(f[0]!, 0);
    expect(r.push(f[0]!, 0).error?.code).toBe('MALFORMED');
    expect(r.partialCount).toBe(0);
    const other = frames(bytes(2 * CAP), 7);
    r.push(f[0]!, 0);
    expect(r.push(other[1]!, 0).error?.code).toBe('MALFORMED');
    expect(r.bufferedBytes).toBe(0);
  });
});
