// Which tensors consolidation may prune and quantize, decided from the manifest alone (name + shape), so the
// coordinator, the CLI and a browser agree without any extra configuration.
import type { ParamEntry, ParamManifest } from '../params.ts';

/** Tensors below this many elements stay dense fp32: per-channel scales and a mask would cost about as much as
 * they save, and the small ones (slot-mixing matrices, norm gains) are the most sensitive per weight. */
export const MIN_COMPRESS_SIZE = 1024;

/** The tied byte embedding: it is both the input table and the output head. */
export const TIED_EMBEDDING = 'byteEmbedding';

export interface PolicyOptions {
  /** Also prune the tied byte embedding (off by default: every byte's vector is used at input and output). */
  pruneEmbedding?: boolean;
}

export interface TensorPolicy {
  entry: ParamEntry;
  /** May be magnitude-pruned. */
  prunable: boolean;
  /** May be stored as int8 (when quantization is asked for). */
  quantizable: boolean;
  /** Axis of the output channels (one int8 scale each); the other axis is the input dimension, along which
   * 2:4 groups run. Weights are [in, out] (x @ W), so it is 1, except for the tied embedding whose rows are
   * the output head's channels (one per byte). */
  channelAxis: 0 | 1;
}

function isPositionEmbedding(name: string): boolean {
  return name === 'pos' || name.endsWith('.pos');
}

function isNormOrBias(name: string): boolean {
  return name.endsWith('.gain') || name.endsWith('.bias');
}

export function tensorPolicy(entry: ParamEntry, opts: PolicyOptions = {}): TensorPolicy {
  const matrix = entry.shape.length === 2 && entry.size >= MIN_COMPRESS_SIZE;
  const special = isNormOrBias(entry.name);
  const embedding = entry.name === TIED_EMBEDDING;
  // Position embeddings are few rows, each used at every position: pruning one zeroes a slot's identity.
  const prunable = matrix && !special && !isPositionEmbedding(entry.name) && (!embedding || opts.pruneEmbedding === true);
  return { entry, prunable, quantizable: matrix && !special, channelAxis: embedding ? 0 : 1 };
}

export function manifestPolicy(manifest: ParamManifest, opts: PolicyOptions = {}): TensorPolicy[] {
  return manifest.map((e) => tensorPolicy(e, opts));
}

/** Number of output channels (int8 scales) of a 2-D tensor. */
export function channelCount(p: TensorPolicy): number {
  return p.entry.shape[p.channelAxis];
}

/** Channel of each element of a [rows, cols] tensor, row-major. */
export function channelOf(i: number, cols: number, channelAxis: 0 | 1): number {
  return channelAxis === 1 ? i % cols : Math.floor(i / cols);
}
