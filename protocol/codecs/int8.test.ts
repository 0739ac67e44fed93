import { expect } from 'vitest';
import { createInt8Codec } from './int8.ts';
import { runCodecConformance } from './conformance.ts';

// Per-block absmax scale: every value is within half a quantization step of its input.
runCodecConformance(createInt8Codec(), {
  maxRelError: 0.02,
  check(x, y) {
    for (let b = 0; b < x.length; b += 256) {
      let max = 0;
      for (let i = b; i < Math.min(x.length, b + 256); i++) max = Math.max(max, Math.abs(x[i]!));
      const halfStep = max / 127 / 2;
      for (let i = b; i < Math.min(x.length, b + 256); i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThanOrEqual(halfStep * 1.0001);
    }
  },
});
