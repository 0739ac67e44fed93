// The exported safetensors files, read by an independent reader written here from the format's specification
// (github.com/huggingface/safetensors: 8-byte little-endian header length, JSON header with dtype, shape and
// data_offsets relative to the byte buffer, __metadata__ of strings, header padded with spaces), not by ours.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.ts';
import { initWeights, modelManifest } from './layout.ts';
import { consolidate, loadConsolidated } from './compress/consolidate.ts';
import { decodeConsolidated } from './compress/format.ts';
import { consolidatedSafetensors, denseSafetensors, presetNameOf } from './safetensors.ts';
import { decodeSafetensors, stlmFromSafetensors } from './safetensors-read.ts';

interface Independent { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; metadata: Record<string, string>; values: Map<string, number[]> }

/** Reads the file by the spec alone, with Node's Buffer; checks the invariants the spec states. */
function readIndependently(file: Uint8Array): Independent {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const n = Number(buf.readBigUInt64LE(0));
  expect(n % 8).toBe(0); // padded to 8
  const text = buf.subarray(8, 8 + n).toString('utf8');
  const parsed = JSON.parse(text);
  expect(text.trimEnd().length).toBeGreaterThan(n - 8); // only spaces pad it
  const { __metadata__: metadata, ...header } = parsed;
  const data = buf.subarray(8 + n);
  const spans = Object.values(header as Independent['header']).map((e) => e.data_offsets).sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [b, e] of spans) {
    expect(b).toBe(at); // contiguous, no holes, no overlap
    at = e;
  }
  expect(at).toBe(data.length); // the buffer is exactly covered
  const values = new Map<string, number[]>();
  for (const [name, e] of Object.entries(header as Independent['header'])) {
    const [b, end] = e.data_offsets;
    const count = e.shape.reduce((x, y) => x * y, 1);
    const out: number[] = [];
    if (e.dtype === 'F32') for (let i = b; i < end; i += 4) out.push(data.readFloatLE(i));
    else if (e.dtype === 'I8') for (let i = b; i < end; i++) out.push(data.readInt8(i));
    else throw new Error(`unexpected dtype ${e.dtype}`);
    expect(out.length).toBe(count);
    values.set(name, out);
  }
  return { header, metadata, values };
}

const cfg = resolveConfig('tiny');
const manifest = modelManifest(cfg);
const weights = initWeights(cfg, 4);

describe('dense export', () => {
  it('every manifest tensor is there as F32 with its shape and exact values; config and preset in the metadata', () => {
    const r = readIndependently(denseSafetensors(cfg, manifest, weights, { round: 7 }));
    expect(Object.keys(r.header).sort()).toEqual(manifest.map((e) => e.name).sort());
    for (const e of manifest) {
      expect(r.header[e.name].dtype).toBe('F32');
      expect(r.header[e.name].shape).toEqual(e.shape);
      expect(Float32Array.from(r.values.get(e.name)!)).toEqual(weights.subarray(e.offset, e.offset + e.size));
    }
    expect(JSON.parse(r.metadata.stlm_config)).toEqual(cfg);
    expect(r.metadata.stlm_preset).toBe('tiny');
    expect(r.metadata.stlm_format).toBe('dense');
    expect(JSON.parse(r.metadata.stlm_meta)).toEqual({ round: 7 });
  });

  it('our reader gives the same weights back', () => {
    const back = stlmFromSafetensors(denseSafetensors(cfg, manifest, weights));
    expect(back.config).toEqual(cfg);
    expect(back.kind).toBe('dense');
    expect(back.weights).toEqual(weights);
  });

  it('a config of no preset is "custom"', () => {
    expect(presetNameOf({ ...cfg, dModel: 96 })).toBe('custom');
    expect(presetNameOf(resolveConfig('small'))).toBe('small');
  });
});

describe('consolidated export', () => {
  const { file } = consolidate(weights, manifest, cfg, { sparsity: 0.5, quant: 'int8' });
  const loaded = loadConsolidated(file);
  const payloads = decodeConsolidated(file).tensors;

  it('int8 tensors as I8 with an F32 scale per channel; q * scale is the consolidated weight, pruned ones 0', () => {
    const r = readIndependently(consolidatedSafetensors(decodeConsolidated(file)));
    const axes = JSON.parse(r.metadata.stlm_int8_channel_axis) as Record<string, number>;
    let int8 = 0;
    for (const [i, e] of manifest.entries()) {
      const expected = loaded.weights.subarray(e.offset, e.offset + e.size);
      const h = r.header[e.name];
      expect(h.shape).toEqual(e.shape);
      const v = r.values.get(e.name)!;
      if (payloads[i].codec === 'int8' || payloads[i].codec === 'sparse-int8') {
        int8++;
        expect(h.dtype).toBe('I8');
        const axis = axes[e.name];
        const scale = r.values.get(`${e.name}.scale`)!;
        expect(scale.length).toBe(e.shape[axis]);
        const deq = v.map((q, k) => q * scale[axis === 0 ? Math.floor(k / e.shape[1]) : k % e.shape[1]]);
        expect(Float32Array.from(deq)).toEqual(expected);
      } else {
        expect(h.dtype).toBe('F32');
        expect(Float32Array.from(v)).toEqual(expected);
      }
    }
    expect(int8).toBeGreaterThan(3);
    expect(r.metadata.stlm_format).toBe('consolidated');
  });

  it('our reader dequantizes to the consolidated model\'s weights', () => {
    const back = stlmFromSafetensors(consolidatedSafetensors(decodeConsolidated(file)));
    expect(back.kind).toBe('consolidated');
    expect(back.weights).toEqual(loaded.weights);
  });
});

describe('bad files', () => {
  const good = denseSafetensors(cfg, manifest, weights);
  it('a truncated file is refused with what is missing', () => {
    expect(() => decodeSafetensors(good.subarray(0, 5))).toThrow('safetensors file: truncated: 5 bytes, not even the 8-byte header length');
    expect(() => decodeSafetensors(good.subarray(0, 100))).toThrow(/truncated: the header says \d+ bytes, only 92 follow/);
    expect(() => decodeSafetensors(good.subarray(0, good.length - 3))).toThrow(/truncated: tensor \S+ ends at byte \d+ of the data, which has \d+/);
  });

  it('a damaged header or a file from elsewhere is refused', () => {
    const bad = good.slice();
    bad[9] = 0xff;
    expect(() => decodeSafetensors(bad)).toThrow('safetensors file: the header is not valid UTF-8 JSON');
    const other = new Uint8Array(16);
    new DataView(other.buffer).setBigUint64(0, 8n, true);
    other.set(new TextEncoder().encode('{"a":1} '), 8);
    expect(() => decodeSafetensors(other)).toThrow('safetensors file: tensor a: needs dtype, shape and data_offsets');
    other.set(new TextEncoder().encode('{}      '), 8);
    expect(() => stlmFromSafetensors(other)).toThrow(/no stlm_config in its metadata/);
  });
});
