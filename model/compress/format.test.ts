import { describe, expect, it } from 'vitest';
import { consolidate, loadConsolidated } from './consolidate.ts';
import { CONSOLIDATED_FORMAT_VERSION, chooseLayout, decodeConsolidated, encodeConsolidated, type ConsolidatedFile } from './format.ts';
import { crc32 } from '../../common/crc32.ts';
import { resolveConfig, type StlmConfig } from '../config.ts';
import { buildManifest } from '../params.ts';
import { initWeights, modelManifest } from '../layout.ts';

const cfg = resolveConfig('tiny');
const manifest = modelManifest(cfg);
const weights = initWeights(cfg, 21);
const { file } = consolidate(weights, manifest, cfg, { sparsity: 0.5, quant: 'int8' });

/** Rewrites the trailing CRC so a deliberate edit is judged on its content, not its checksum. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

describe('consolidated file format', () => {
  it('round-trips config, manifest and meta', () => {
    const f = decodeConsolidated(file);
    expect(f.config).toEqual(cfg);
    expect(f.manifest).toEqual(manifest);
    expect(f.meta).toMatchObject({ sparsity: 0.5, quant: 'int8' });
    expect(String.fromCharCode(...file.subarray(0, 4))).toBe('STLQ');
  });

  it('refuses a truncated file', () => {
    for (const n of [3, 20, file.length - 1000, file.length - 1]) {
      expect(() => decodeConsolidated(file.subarray(0, n))).toThrow(/truncated/);
    }
  });

  it('refuses a corrupted file (any flipped byte in the data or header)', () => {
    for (const at of [30, Math.floor(file.length / 2), file.length - 5]) {
      const bad = file.slice();
      bad[at] ^= 0x10;
      expect(() => decodeConsolidated(bad)).toThrow(/corrupt|checksum/);
    }
    expect(() => decodeConsolidated(new Uint8Array([...file, 0]))).toThrow(/unexpected bytes/);
  });

  it('refuses a newer format version with a message saying so', () => {
    const newer = file.slice();
    new DataView(newer.buffer).setUint32(4, CONSOLIDATED_FORMAT_VERSION + 1, true);
    expect(() => decodeConsolidated(resealed(newer))).toThrow(/version 2 is newer.*upgrade/);
    expect(() => decodeConsolidated(new TextEncoder().encode('STLW' + 'x'.repeat(40)))).toThrow(/bad magic/);
  });

  it('refuses a well-sealed file whose sections do not match their codec', () => {
    const headerLen = new DataView(file.buffer).getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(file.subarray(12, 12 + headerLen)));
    const sparse = header.tensors.find((t: { codec: string }) => t.codec === 'sparse-int8');
    sparse.nnz += 1;
    const text = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(12 + text.length + (file.length - 12 - headerLen));
    out.set(file.subarray(0, 12));
    new DataView(out.buffer).setUint32(8, text.length, true);
    out.set(text, 12);
    out.set(file.subarray(12 + headerLen), 12 + text.length);
    expect(() => decodeConsolidated(resealed(out))).toThrow(/consolidated file: .*(mask|shorter|more than)/);
  });

  it('stores kept positions as a bitmap or index list, whichever is smaller', () => {
    expect(chooseLayout(4096, 2048)).toBe('bitmap');
    expect(chooseLayout(4096, 100)).toBe('index16');
    expect(chooseLayout(200_000, 1000)).toBe('index32');
    const sparse = consolidate(weights, manifest, cfg, { sparsity: 0.97, quant: 'fp32' });
    const back = loadConsolidated(sparse.file);
    const e = manifest.find((x) => x.name === 'ffn.shared.w1')!;
    let nz = 0;
    for (let i = e.offset; i < e.offset + e.size; i++) if (back.weights[i] !== 0) nz++;
    expect(nz).toBe(e.size - Math.round(0.97 * e.size));
    expect(sparse.report.sizeRatio).toBeLessThan(0.2);
  });

  it('reads a file written before the shared envelope, and writes the same bytes from the same tensors', () => {
    const old = new Uint8Array(Buffer.from(OLD_CONSOLIDATED_FILE, 'base64'));
    const f = decodeConsolidated(old);
    const expected = fixture();
    expect(f.config).toEqual(expected.config);
    expect(f.manifest).toEqual(expected.manifest);
    expect(f.meta).toEqual(expected.meta);
    expect(f.tensors).toEqual(expected.tensors);
    expect(encodeConsolidated(fixture())).toEqual(old);
  });
});

/** The tiny preset's config as it was when the fixtures below were written (a literal: presets may change). */
const FIXTURE_CONFIG: StlmConfig = {
  chunkBytes: 6, contextChunks: 16, byteDim: 32, byteHidden: 64, byteLayers: 1, byteMix: 'slots', dModel: 64,
  coreLayers: 2, heads: 4, ffnHidden: 128, shareFfn: true, initStd: 0.02, normEps: 0.00001,
};

/** One tensor per codec: fp32, int8, sparse-fp32 (bitmap), sparse-int8 (index16). */
function fixture(): ConsolidatedFile {
  const keepBitmap = new Uint8Array(16);
  for (const i of [0, 3, 5, 6, 9, 10, 12, 15]) keepBitmap[i] = 1;
  const keepIndex = new Uint8Array(64);
  for (const i of [2, 40, 63]) keepIndex[i] = 1;
  return {
    config: FIXTURE_CONFIG,
    manifest: buildManifest([{ name: 'dense', shape: [2, 2] }, { name: 'q', shape: [2, 3] }, { name: 'sb', shape: [4, 4] }, { name: 'si', shape: [8, 8] }]),
    meta: { round: 9, sparsity: 0.5 },
    tensors: [
      { name: 'dense', codec: 'fp32', values: Float32Array.from([1, -2, 0.25, 8]) },
      { name: 'q', codec: 'int8', channelAxis: 1, q: Int8Array.from([127, -127, 0, 5, -5, 64]), scales: Float32Array.from([0.01, 0.02, 0.5]) },
      { name: 'sb', codec: 'sparse-fp32', keep: keepBitmap, values: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
      { name: 'si', codec: 'sparse-int8', channelAxis: 0, keep: keepIndex, q: Int8Array.from([-1, 2, -3]), scales: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
    ],
  };
}

/** encodeConsolidated(fixture()) as written before the three file formats shared one envelope. */
const OLD_CONSOLIDATED_FILE =
  'U1RMUQEAAABhAgAAeyJjb25maWciOnsiY2h1bmtCeXRlcyI6NiwiY29udGV4dENodW5rcyI6MTYsImJ5dGVEaW0iOjMyLCJieXRl' +
  'SGlkZGVuIjo2NCwiYnl0ZUxheWVycyI6MSwiYnl0ZU1peCI6InNsb3RzIiwiZE1vZGVsIjo2NCwiY29yZUxheWVycyI6MiwiaGVh' +
  'ZHMiOjQsImZmbkhpZGRlbiI6MTI4LCJzaGFyZUZmbiI6dHJ1ZSwiaW5pdFN0ZCI6MC4wMiwibm9ybUVwcyI6MC4wMDAwMX0sIm51' +
  'bVBhcmFtcyI6OTAsIm1ldGEiOnsicm91bmQiOjksInNwYXJzaXR5IjowLjV9LCJkYXRhTGVuZ3RoIjoxMDksInRlbnNvcnMiOlt7' +
  'Im5hbWUiOiJkZW5zZSIsInNoYXBlIjpbMiwyXSwiY29kZWMiOiJmcDMyIiwibGVuZ3RoIjoxNn0seyJuYW1lIjoicSIsInNoYXBl' +
  'IjpbMiwzXSwiY29kZWMiOiJpbnQ4IiwibGVuZ3RoIjoxOCwiY2hhbm5lbEF4aXMiOjF9LHsibmFtZSI6InNiIiwic2hhcGUiOls0' +
  'LDRdLCJjb2RlYyI6InNwYXJzZS1mcDMyIiwibGVuZ3RoIjozNCwibm56Ijo4LCJsYXlvdXQiOiJiaXRtYXAifSx7Im5hbWUiOiJz' +
  'aSIsInNoYXBlIjpbOCw4XSwiY29kZWMiOiJzcGFyc2UtaW50OCIsImxlbmd0aCI6NDEsIm5ueiI6MywibGF5b3V0IjoiaW5kZXgx' +
  'NiIsImNoYW5uZWxBeGlzIjowfV19AACAPwAAAMAAAIA+AAAAQQrXIzwK16M8AAAAP3+BAAX7QGmWAACAPwAAAEAAAEBAAACAQAAA' +
  'oEAAAMBAAADgQAAAAEECACgAPwAAAIA/AAAAQAAAQEAAAIBAAACgQAAAwEAAAOBAAAAAQf8C/Wm7KYs=';
