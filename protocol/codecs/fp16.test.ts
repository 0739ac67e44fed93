import { describe, expect, it } from 'vitest';
import { createFp16Codec } from './fp16.ts';
import { fromHalf, toHalf } from './half.ts';
import { runCodecConformance } from './conformance.ts';

// fp16 keeps 11 significant bits: relative error per value at most 2^-11 (normal range).
runCodecConformance(createFp16Codec(), { maxRelError: 2 ** -11 });

describe('fp16 conversion', () => {
  it('rounds to nearest even, handles subnormals and clamps overflow', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7bff);
    expect(toHalf(2 ** -24)).toBe(0x0001);
    expect(toHalf(2 ** -26)).toBe(0);
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    for (let h = 0; h < 0x7c00; h += 7) expect(toHalf(fromHalf(h))).toBe(h);
  });
});
