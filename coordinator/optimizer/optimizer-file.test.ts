import { describe, expect, it } from 'vitest';
import { decodeOptimizerState, encodeOptimizerState } from './optimizer-file.ts';

describe('optimizer file', () => {
  it('round-trips nested Float32Arrays and JSON values exactly', () => {
    const s = { m: Float32Array.from([1.5, -0, Number.MIN_VALUE, 3e38]), v: new Float32Array(0), t: 7, nested: { list: [Float32Array.from([2]), 'x'] } };
    const back = decodeOptimizerState(encodeOptimizerState(s)) as typeof s;
    expect(back).toEqual(s);
    expect(back.m).toBeInstanceOf(Float32Array);
    expect(Object.is(back.m[1], -0)).toBe(true);
  });

  it('stores null/undefined state as null', () => {
    expect(decodeOptimizerState(encodeOptimizerState(undefined))).toBeNull();
  });

  it('detects truncation, corruption and foreign files', () => {
    const bytes = encodeOptimizerState({ m: new Float32Array(100).fill(1), t: 1 });
    expect(() => decodeOptimizerState(bytes.subarray(0, bytes.length - 8))).toThrow(/checksum mismatch/);
    const flipped = bytes.slice();
    flipped[50] ^= 1;
    expect(() => decodeOptimizerState(flipped)).toThrow(/checksum mismatch/);
    expect(() => decodeOptimizerState(new Uint8Array(3))).toThrow(/truncated/);
    expect(() => decodeOptimizerState(new TextEncoder().encode('hello world, not ours'))).toThrow(/bad magic/);
  });

  it('refuses typed arrays other than Float32Array', () => {
    expect(() => encodeOptimizerState({ m: new Float64Array(2) })).toThrow(/only Float32Array/);
  });

  it('reads a file written before the shared envelope, and writes the same bytes from the same state', () => {
    const old = new Uint8Array(Buffer.from(OLD_OPTIMIZER_FILE, 'base64'));
    const state = () => ({ m: Float32Array.from([1.5, -0, 2e-40]), v: new Float32Array(0), t: 3, outer: { buffer: Float32Array.from([-2]), steps: 1 } });
    const back = decodeOptimizerState(old) as ReturnType<typeof state>;
    expect(back).toEqual(state());
    expect(new Uint32Array(back.m.buffer)).toEqual(new Uint32Array(state().m.buffer));
    expect(encodeOptimizerState(state())).toEqual(old);
  });
});

/** encodeOptimizerState of the state above as written before the three file formats shared one envelope:
 * a 110-byte header, so 2 bytes of padding before the arrays. */
const OLD_OPTIMIZER_FILE =
  'U1RMTwEAAABuAAAAeyJtIjp7IiRmMzIiOjAsImxlbmd0aCI6M30sInYiOnsiJGYzMiI6MSwibGVuZ3RoIjowfSwidCI6Mywib3V0' +
  'ZXIiOnsiYnVmZmVyIjp7IiRmMzIiOjIsImxlbmd0aCI6MX0sInN0ZXBzIjoxfX0AAAAAwD8AAACAhS0CAAAAAMD/oRRD';
