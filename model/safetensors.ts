// The safetensors layout (huggingface/safetensors), written from its specification so that PyTorch, JAX and
// numpy users can load a model without this project:
//   8 bytes   u64 little-endian N: length of the header
//   N bytes   UTF-8 JSON: { "<tensor>": { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {str: str} },
//             padded with spaces to a multiple of 8
//   rest      the byte buffer; offsets are relative to its start, tensors little-endian, row-major, back to back
// Float32 tensors are laid out first, int8 ones after, so every float32 tensor starts 4-byte aligned.
import type { StlmConfig } from './config.ts';
import { PRESET_NAMES, PRESETS } from './config.ts';
import type { ParamManifest } from './params.ts';
import type { ConsolidatedFile } from './compress/format.ts';

export type SafetensorsDtype = 'F32' | 'I8';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array | Int8Array;
}

const dtypeOf = (d: NamedTensor['data']): SafetensorsDtype => (d instanceof Float32Array ? 'F32' : 'I8');

export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string>): Uint8Array {
  const names = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || names.has(t.name)) throw new Error(`safetensors: bad or repeated tensor name "${t.name}"`);
    names.add(t.name);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: ${t.name} has ${t.data.length} values for shape [${t.shape}]`);
  }
  const ordered = [...tensors.filter((t) => dtypeOf(t.data) === 'F32'), ...tensors.filter((t) => dtypeOf(t.data) === 'I8')];
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of ordered) {
    const end = offset + t.data.byteLength;
    header[t.name] = { dtype: dtypeOf(t.data), shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length));
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  let at = 8 + padded;
  for (const t of ordered) {
    if (t.data instanceof Float32Array) {
      for (let i = 0; i < t.data.length; i++) view.setFloat32(at + i * 4, t.data[i], true);
    } else {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    }
    at += t.data.byteLength;
  }
  return out;
}

/** The preset whose dimensions the config has, or "custom". */
export function presetNameOf(config: StlmConfig): string {
  const same = (p: StlmConfig) => (Object.keys(p) as Array<keyof StlmConfig>).every((k) => p[k] === config[k]);
  return PRESET_NAMES.find((n) => same(PRESETS[n])) ?? 'custom';
}

function baseMetadata(config: StlmConfig, format: string, meta: Record<string, unknown>): Record<string, string> {
  return {
    format: 'pt',
    stlm_format: format,
    stlm_config: JSON.stringify(config),
    stlm_preset: presetNameOf(config),
    stlm_meta: JSON.stringify(meta),
  };
}

/** Dense weights: one F32 tensor per manifest entry, named and shaped as in the manifest. */
export function denseSafetensors(config: StlmConfig, manifest: ParamManifest, weights: Float32Array, meta: Record<string, unknown> = {}): Uint8Array {
  const tensors = manifest.map((e) => ({ name: e.name, shape: e.shape, data: weights.subarray(e.offset, e.offset + e.size) }));
  return encodeSafetensors(tensors, baseMetadata(config, 'dense', meta));
}

/**
 * A consolidated model: int8 tensors as I8 `<name>` (pruned weights are 0) plus F32 `<name>.scale`, one scale per
 * output channel along the axis `stlm_int8_channel_axis` names; fp32 tensors as F32 (pruned weights 0). The
 * weight is q * scale, broadcast along that axis. No mask is stored: a pruned weight is a zero.
 */
export function consolidatedSafetensors(f: ConsolidatedFile): Uint8Array {
  const tensors: NamedTensor[] = [];
  const axes: Record<string, number> = {};
  f.tensors.forEach((p, i) => {
    const e = f.manifest[i];
    switch (p.codec) {
      case 'fp32': tensors.push({ name: e.name, shape: e.shape, data: p.values }); break;
      case 'sparse-fp32': tensors.push({ name: e.name, shape: e.shape, data: scatter(new Float32Array(e.size), p.values, p.keep) }); break;
      case 'int8':
      case 'sparse-int8': {
        const q = p.codec === 'int8' ? p.q : scatter(new Int8Array(e.size), p.q, p.keep);
        tensors.push({ name: e.name, shape: e.shape, data: q }, { name: `${e.name}.scale`, shape: [p.scales.length], data: p.scales });
        axes[e.name] = p.channelAxis;
        break;
      }
      default: { const _: never = p; throw new Error(`unknown codec ${String(_)}`); }
    }
  });
  return encodeSafetensors(tensors, { ...baseMetadata(f.config, 'consolidated', f.meta), stlm_int8_channel_axis: JSON.stringify(axes) });
}

function scatter<T extends Float32Array | Int8Array>(out: T, kept: T, keep: Uint8Array): T {
  for (let i = 0, j = 0; i < keep.length; i++) if (keep[i] !== 0) out[i] = kept[j++];
  return out;
}
