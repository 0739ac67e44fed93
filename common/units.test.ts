import { describe, expect, it } from 'vitest';
import { bitsPerByteFromNats } from './units.ts';

describe('bitsPerByteFromNats', () => {
  it('turns a uniform byte model (ln 256 nats) into 8 bits per byte', () => {
    expect(bitsPerByteFromNats(Math.log(256))).toBeCloseTo(8, 12);
    expect(bitsPerByteFromNats(0)).toBe(0);
  });
});
