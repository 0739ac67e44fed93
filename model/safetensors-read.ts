// Reading a safetensors file back (the layout is described in safetensors.ts), strictly: a truncated or
// inconsistent file is refused with a message that says what is wrong. Then an STLM exported by
// `stlm export` (dense or consolidated) back to a config and dense weights, so the project loads its own exports.
import { z } from 'zod';
import { configFromFile, type StlmConfig } from './config.ts';
import { modelManifest } from './layout.ts';
import { manifestSize } from './params.ts';

export interface ReadTensor {
  dtype: 'F32' | 'I8';
  shape: number[];
  data: Float32Array | Int8Array;
}

const entrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

const ERR = 'safetensors file';

/** Looks like a safetensors file: a header length that fits, then a JSON object. */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  return bytes.length >= 9 && bytes[8] === 0x7b && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0;
}

export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, ReadTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${ERR}: truncated: ${bytes.length} bytes, not even the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${ERR}: truncated: the header says ${n} bytes, only ${bytes.length - 8} follow`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new Error(`${ERR}: the header is not valid UTF-8 JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${ERR}: the header is not a JSON object`);
  const buffer = bytes.subarray(8 + n);
  const { __metadata__: meta, ...entries } = raw as Record<string, unknown>;
  const metadata = z.record(z.string(), z.string()).optional().safeParse(meta);
  if (!metadata.success) throw new Error(`${ERR}: __metadata__ must map strings to strings`);
  const tensors = new Map<string, ReadTensor>();
  for (const [name, value] of Object.entries(entries)) {
    const e = entrySchema.safeParse(value);
    if (!e.success) throw new Error(`${ERR}: tensor ${name}: needs dtype, shape and data_offsets`);
    const { dtype, shape, data_offsets: [begin, end] } = e.data;
    if (dtype !== 'F32' && dtype !== 'I8') throw new Error(`${ERR}: tensor ${name}: dtype ${dtype} is not supported (F32, I8)`);
    const width = dtype === 'F32' ? 4 : 1;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * width) throw new Error(`${ERR}: tensor ${name}: offsets [${begin}, ${end}] do not hold shape [${shape}] of ${dtype}`);
    if (end > buffer.length) throw new Error(`${ERR}: truncated: tensor ${name} ends at byte ${end} of the data, which has ${buffer.length}`);
    const slice = buffer.slice(begin, end); // a copy, aligned
    const data = dtype === 'F32' ? readF32(slice) : new Int8Array(slice.buffer, slice.byteOffset, count);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata: metadata.data ?? {} };
}

function readF32(b: Uint8Array): Float32Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(i * 4, true);
  return out;
}

/** An exported STLM (dense or consolidated) as its config and dense fp32 weights (int8 ones dequantized). */
export function stlmFromSafetensors(bytes: Uint8Array): { config: StlmConfig; weights: Float32Array; kind: 'dense' | 'consolidated'; meta: Record<string, unknown> } {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.stlm_config === undefined) throw new Error(`${ERR}: no stlm_config in its metadata (not written by stlm export)`);
  const config = configFromFile(JSON.parse(metadata.stlm_config));
  const axes = JSON.parse(metadata.stlm_int8_channel_axis ?? '{}') as Record<string, number>;
  const manifest = modelManifest(config);
  const weights = new Float32Array(manifestSize(manifest));
  for (const e of manifest) {
    const t = tensors.get(e.name);
    if (!t) throw new Error(`${ERR}: the model needs tensor ${e.name}, the file has none`);
    if (t.shape.join() !== e.shape.join()) throw new Error(`${ERR}: tensor ${e.name} is [${t.shape}], the model needs [${e.shape}]`);
    if (t.data instanceof Float32Array) {
      weights.set(t.data, e.offset);
      continue;
    }
    const scale = tensors.get(`${e.name}.scale`)?.data;
    const axis = axes[e.name];
    if (!(scale instanceof Float32Array) || (axis !== 0 && axis !== 1) || scale.length !== e.shape[axis]) {
      throw new Error(`${ERR}: int8 tensor ${e.name} needs an F32 ${e.name}.scale along its channel axis`);
    }
    const cols = e.shape[1];
    for (let i = 0; i < e.size; i++) weights[e.offset + i] = t.data[i] * scale[axis === 0 ? Math.floor(i / cols) : i % cols];
  }
  return { config, weights, kind: metadata.stlm_format === 'consolidated' ? 'consolidated' : 'dense', meta: JSON.parse(metadata.stlm_meta ?? '{}') };
}
