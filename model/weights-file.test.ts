import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.ts';
import { modelManifest, initWeights } from './layout.ts';
import { decodeWeightsFile, encodeWeightsFile } from './weights-file.ts';

const config = resolveConfig('tiny');
const manifest = modelManifest(config);
const weights = initWeights(config, 1);

describe('weights file', () => {
  it('round-trips config, manifest, meta and weights bit-exactly', () => {
    const bytes = encodeWeightsFile({ config, weights, manifest, meta: { step: 12, corpus: 'x' } });
    const f = decodeWeightsFile(bytes);
    expect(f.config).toEqual(config);
    expect(f.manifest).toEqual(manifest);
    expect(f.meta).toEqual({ step: 12, corpus: 'x' });
    expect(new Uint32Array(f.weights.buffer)).toEqual(new Uint32Array(weights.buffer));
    // Works from a view at an odd offset inside a larger buffer too.
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 1);
    expect(decodeWeightsFile(padded.subarray(1, 1 + bytes.length)).weights).toEqual(f.weights);
  });

  it('refuses corrupt, truncated, foreign and newer-version files with clear errors', () => {
    const bytes = encodeWeightsFile({ config, weights, manifest });
    const flipped = bytes.slice();
    flipped[bytes.length - 100] ^= 1;
    expect(() => decodeWeightsFile(flipped)).toThrow(/checksum mismatch/);
    expect(() => decodeWeightsFile(bytes.subarray(0, bytes.length - 5))).toThrow(/truncated/);
    expect(() => decodeWeightsFile(bytes.subarray(0, 8))).toThrow(/truncated/);
    const foreign = bytes.slice();
    foreign[0] = 0x50;
    expect(() => decodeWeightsFile(foreign)).toThrow(/bad magic/);
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint32(4, 99, true);
    expect(() => decodeWeightsFile(newer)).toThrow(/version 99 is newer/);
    expect(() => encodeWeightsFile({ config, weights: weights.subarray(1), manifest })).toThrow(/manifest describes/);
  });
});
