// consolidate(): dense master weights -> the compact consolidated file plus what it cost in size and sparsity.
// loadConsolidated(): the file -> dense fp32 weights again (dequantized), ready for StlmModel.setWeights.
import type { StlmConfig } from '../config.ts';
import { checkManifest, manifestSize, type ParamManifest } from '../params.ts';
import { decodeConsolidated, encodeConsolidated, type TensorPayload } from './format.ts';
import { manifestPolicy, type PolicyOptions } from './policy.ts';
import { buildMasks, checkSparsity, maskSparsity, type PruneScope, type SparsityTarget } from './prune.ts';
import { dequantizeInt8, quantizeInt8 } from './quantize.ts';

export type QuantMode = 'int8' | 'fp32';

export interface ConsolidateOptions extends PolicyOptions {
  sparsity: SparsityTarget;
  quant: QuantMode;
  /** 'per-tensor' (default, see prune.ts for why) or 'global'. */
  scope?: PruneScope;
  /** Use these keep masks (by tensor name) instead of ranking by magnitude, e.g. a PruneSchedule's
   * `maskSet.toMap()`, so the file prunes exactly what training has been keeping at 0. */
  masks?: Map<string, Uint8Array>;
  /** Free-form facts stored in the header (round, source checkpoint...). */
  meta?: Record<string, unknown>;
}

export interface ConsolidateReport {
  /** Size of the consolidated file. */
  sizeBytes: number;
  /** Size of the same weights as dense fp32 (4 bytes a parameter, no header). */
  denseFp32Bytes: number;
  sizeRatio: number;
  /** Achieved sparsity of every pruned tensor, by name. */
  sparsityPerTensor: Record<string, number>;
  /** Pruned weights over all parameters of the model. */
  overallSparsity: number;
  /** Pruned weights over the prunable ones. */
  prunableSparsity: number;
  /** Codec used for every tensor, by name. */
  codecs: Record<string, TensorPayload['codec']>;
}

export function consolidate(
  weights: Float32Array,
  manifest: ParamManifest,
  config: StlmConfig,
  opts: ConsolidateOptions,
): { file: Uint8Array; report: ConsolidateReport } {
  checkManifest(manifest);
  const numParams = manifestSize(manifest);
  if (!(weights instanceof Float32Array) || weights.length !== numParams) {
    throw new Error(`consolidate: expected ${numParams} float32 weights, got ${weights?.length}`);
  }
  const sparsity = checkSparsity(opts.sparsity);
  if (opts.quant !== 'int8' && opts.quant !== 'fp32') throw new Error(`consolidate: quant must be "int8" or "fp32", got ${JSON.stringify(opts.quant)}`);
  const policies = manifestPolicy(manifest, opts);
  const masks = opts.masks ? checkedMasks(opts.masks, policies)
    : sparsity === 0 ? new Map<string, Uint8Array>() : buildMasks(weights, policies, { sparsity, scope: opts.scope });
  const sparsityPerTensor: Record<string, number> = {};
  const codecs: Record<string, TensorPayload['codec']> = {};
  let pruned = 0;
  let prunable = 0;
  const tensors = policies.map((p): TensorPayload => {
    const { name, offset, size, shape } = p.entry;
    const values = weights.slice(offset, offset + size);
    const keep = masks.get(name);
    if (p.prunable) {
      const s = keep ? maskSparsity(keep) : 0;
      sparsityPerTensor[name] = s;
      pruned += Math.round(s * size);
      prunable += size;
    }
    if (keep) for (let i = 0; i < size; i++) if (keep[i] === 0) values[i] = 0;
    const int8 = opts.quant === 'int8' && p.quantizable;
    let out: TensorPayload;
    if (!keep) {
      out = int8 ? { name, codec: 'int8', channelAxis: p.channelAxis, ...quantizeInt8(values, shape, p.channelAxis) } : { name, codec: 'fp32', values };
    } else if (int8) {
      const { q, scales } = quantizeInt8(values, shape, p.channelAxis);
      out = { name, codec: 'sparse-int8', channelAxis: p.channelAxis, keep, scales, q: pick(q, keep) as Int8Array };
    } else {
      out = { name, codec: 'sparse-fp32', keep, values: pick(values, keep) as Float32Array };
    }
    codecs[name] = out.codec;
    return out;
  });
  const file = encodeConsolidated({
    config, manifest,
    meta: { ...opts.meta, sparsity, quant: opts.quant, scope: opts.scope ?? 'per-tensor', pruneEmbedding: opts.pruneEmbedding ?? false },
    tensors,
  });
  const denseFp32Bytes = numParams * 4;
  return {
    file,
    report: {
      sizeBytes: file.length, denseFp32Bytes, sizeRatio: file.length / denseFp32Bytes, sparsityPerTensor,
      overallSparsity: pruned / numParams, prunableSparsity: prunable ? pruned / prunable : 0, codecs,
    },
  };
}

function checkedMasks(masks: Map<string, Uint8Array>, policies: ReturnType<typeof manifestPolicy>): Map<string, Uint8Array> {
  const byName = new Map(policies.map((p) => [p.entry.name, p]));
  for (const [name, keep] of masks) {
    const p = byName.get(name);
    if (!p) throw new Error(`consolidate: mask for unknown tensor ${name}`);
    if (!p.prunable) throw new Error(`consolidate: ${name} must not be pruned (norm gain, bias, position or tied embedding, or small)`);
    if (keep.length !== p.entry.size) throw new Error(`consolidate: mask for ${name} has ${keep.length} entries, not ${p.entry.size}`);
  }
  return masks;
}

/** The kept entries of `a`, in flat order. */
function pick<T extends Float32Array | Int8Array>(a: T, keep: Uint8Array): T {
  let n = 0;
  for (let i = 0; i < keep.length; i++) if (keep[i] !== 0) n++;
  const out = new (a.constructor as { new (n: number): T })(n);
  for (let i = 0, j = 0; i < keep.length; i++) if (keep[i] !== 0) out[j++] = a[i];
  return out;
}

export interface LoadedConsolidated {
  config: StlmConfig;
  manifest: ParamManifest;
  /** Dense fp32 weights laid out by the manifest: pruned weights are 0, int8 ones dequantized. */
  weights: Float32Array;
  meta: Record<string, unknown>;
}

export function loadConsolidated(bytes: Uint8Array): LoadedConsolidated {
  const f = decodeConsolidated(bytes);
  const weights = new Float32Array(manifestSize(f.manifest));
  f.tensors.forEach((p, i) => {
    const e = f.manifest[i];
    let dense: Float32Array;
    switch (p.codec) {
      case 'fp32': dense = p.values; break;
      case 'int8': dense = dequantizeInt8(p, e.shape, p.channelAxis); break;
      case 'sparse-fp32': dense = scatter(p.values, p.keep); break;
      case 'sparse-int8': {
        const q = new Int8Array(e.size);
        for (let k = 0, j = 0; k < e.size; k++) if (p.keep[k] !== 0) q[k] = p.q[j++];
        dense = dequantizeInt8({ q, scales: p.scales }, e.shape, p.channelAxis);
        break;
      }
      default: { const _: never = p; throw new Error(`unknown codec ${String(_)}`); }
    }
    weights.set(dense, e.offset);
  });
  return { config: f.config, manifest: f.manifest, weights, meta: f.meta };
}

function scatter(values: Float32Array, keep: Uint8Array): Float32Array {
  const out = new Float32Array(keep.length);
  for (let i = 0, j = 0; i < keep.length; i++) if (keep[i] !== 0) out[i] = values[j++];
  return out;
}
