import { describe, expect, it } from 'vitest';
import { resolveConfig, type StlmConfig } from './config.ts';
import { buildManifest } from './params.ts';
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

  it('reads a file written before the shared envelope, and writes the same bytes from the same content', () => {
    const old = new Uint8Array(Buffer.from(OLD_WEIGHTS_FILE, 'base64'));
    const f = decodeWeightsFile(old);
    expect(f.config).toEqual(FIXTURE_CONFIG);
    expect(f.manifest).toEqual(FIXTURE.manifest);
    expect(f.meta).toEqual(FIXTURE.meta);
    expect(new Uint32Array(f.weights.buffer)).toEqual(new Uint32Array(FIXTURE.weights.buffer));
    expect(encodeWeightsFile(FIXTURE)).toEqual(old);
  });
});

/** The tiny preset's config as it was when the fixtures below were written (a literal: presets may change). */
const FIXTURE_CONFIG: StlmConfig = {
  chunkBytes: 6, contextChunks: 16, byteDim: 32, byteHidden: 64, byteLayers: 1, byteMix: 'slots', dModel: 64,
  coreLayers: 2, heads: 4, ffnHidden: 128, shareFfn: true, initStd: 0.02, normEps: 0.00001,
};

const FIXTURE = {
  config: FIXTURE_CONFIG,
  manifest: buildManifest([{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [1] }]),
  weights: Float32Array.from([0.5, -1.25, 3e-8, -0, 65504, 1 / 3, -7]),
  meta: { round: 4, note: 'fixture' },
};

/** encodeWeightsFile(FIXTURE) as written before the three file formats shared one envelope: a 365-byte
 * header, so 3 bytes of padding before the weights. */
const OLD_WEIGHTS_FILE =
  'U1RMVwEAAABtAQAAeyJjb25maWciOnsiY2h1bmtCeXRlcyI6NiwiY29udGV4dENodW5rcyI6MTYsImJ5dGVEaW0iOjMyLCJieXRl' +
  'SGlkZGVuIjo2NCwiYnl0ZUxheWVycyI6MSwiYnl0ZU1peCI6InNsb3RzIiwiZE1vZGVsIjo2NCwiY29yZUxheWVycyI6MiwiaGVh' +
  'ZHMiOjQsImZmbkhpZGRlbiI6MTI4LCJzaGFyZUZmbiI6dHJ1ZSwiaW5pdFN0ZCI6MC4wMiwibm9ybUVwcyI6MC4wMDAwMX0sIm1h' +
  'bmlmZXN0IjpbeyJuYW1lIjoiYSIsInNoYXBlIjpbMiwzXSwib2Zmc2V0IjowLCJzaXplIjo2fSx7Im5hbWUiOiJiIiwic2hhcGUi' +
  'OlsxXSwib2Zmc2V0Ijo2LCJzaXplIjoxfV0sIm1ldGEiOnsicm91bmQiOjQsIm5vdGUiOiJmaXh0dXJlIn0sIm51bVBhcmFtcyI6' +
  'N30AAAAAAAA/AACgv1nZADMAAACAAOB/R6uqqj4AAODAfhWRqQ==';
