import { describe, expect, it } from 'vitest';
import { consolidate, loadConsolidated } from './consolidate.ts';
import { CONSOLIDATED_FORMAT_VERSION, chooseLayout, decodeConsolidated } from './format.ts';
import { crc32 } from '../../common/crc32.ts';
import { resolveConfig } from '../config.ts';
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
});
