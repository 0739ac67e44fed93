// The STLM forward pass and its loss, written once over an `Ops` (fast custom gradients or plain autograd).
// Shapes: B examples, T chunk positions, P bytes per chunk, N = B*T chunks, dB byte width, D chunk width.
import * as tf from '@tensorflow/tfjs';
import type { StlmConfig } from './config.ts';
import type { EncodedBatch } from './batch.ts';
import type { Ops } from './ops.ts';
import { ffnPrefix } from './layout.ts';

export type ParamGetter = (name: string) => tf.Tensor;

function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** Upper-triangular (i <= j) 0/1 mask [P, P]: output slot j mixes input slots i <= j only. */
function causalMixMask(P: number): tf.Tensor2D {
  const m = new Float32Array(P * P);
  for (let i = 0; i < P; i++) for (let j = i; j < P; j++) m[i * P + j] = 1;
  return tf.tensor2d(m, [P, P]);
}

/** Block mask [P*dB, P*dB] for the dense mix: input slot i feeds output slot j only when i <= j. */
function causalDenseMask(P: number, dB: number): tf.Tensor2D {
  const n = P * dB;
  const m = new Float32Array(n * n);
  for (let r = 0; r < n; r++) m.fill(1, r * n + Math.floor(r / dB) * dB, (r + 1) * n);
  return tf.tensor2d(m, [n, n]);
}

/** Mixes the slots of each chunk of a [N, P, dB] tensor (see StlmConfig.byteMix). */
function mixSlots(a: tf.Tensor, w: tf.Tensor, causal: boolean, cfg: StlmConfig, ops: Ops): tf.Tensor {
  const [N, P, dB] = a.shape;
  if (cfg.byteMix === 'dense') {
    const mixW = causal ? tf.mul(w, causalDenseMask(P, dB)) : w;
    return tf.reshape(ops.matMul(tf.reshape(a, [N, P * dB]), mixW), [N, P, dB]);
  }
  const slotsLast = tf.reshape(tf.transpose(a, [0, 2, 1]), [N * dB, P]); // [N*dB, P]
  const mixW = causal ? tf.mul(w, causalMixMask(P)) : w;
  return tf.transpose(tf.reshape(ops.matMul(slotsLast, mixW), [N, dB, P]), [0, 2, 1]);
}

/** Additive attention mask [T, T]: 0 on and below the diagonal, -1e9 above. */
function causalAttnMask(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
  return tf.tensor2d(m, [T, T]);
}

/** Byte blocks over x [N, P, dB]: a slot-mixing step (causal in the decoder) then a per-byte SiLU MLP,
 * each pre-normed and residual. */
function byteBlocks(x: tf.Tensor, prefix: string, causal: boolean, p: ParamGetter, cfg: StlmConfig, ops: Ops) {
  const [N, P, dB] = x.shape;
  for (let i = 0; i < cfg.byteLayers; i++) {
    const a = ops.rmsNorm(x, p(`${prefix}.${i}.mixNorm.gain`), cfg.normEps);
    x = tf.add(x, mixSlots(a, p(`${prefix}.${i}.mix`), causal, cfg, ops));
    const b = tf.reshape(ops.rmsNorm(x, p(`${prefix}.${i}.mlpNorm.gain`), cfg.normEps), [N * P, dB]);
    const h = silu(ops.matMul(b, p(`${prefix}.${i}.mlp.w1`)));
    x = tf.add(x, tf.reshape(ops.matMul(h, p(`${prefix}.${i}.mlp.w2`)), [N, P, dB]));
  }
  return x;
}

/** Causal multi-head self-attention over x [B, T, D] -> [B, T, D]. */
function attention(x: tf.Tensor, l: number, p: ParamGetter, cfg: StlmConfig, ops: Ops, mask: tf.Tensor2D) {
  const [B, T, D] = x.shape;
  const x2 = tf.reshape(x, [B * T, D]);
  const proj = (w: string) => ops.matMul(x2, p(`core.${l}.attn.${w}`)) as tf.Tensor2D; // [B*T, D]
  const q = tf.mul(proj('wq'), 1 / Math.sqrt(D / cfg.heads)) as tf.Tensor2D;
  const out = ops.attend(q, proj('wk'), proj('wv'), B, T, cfg.heads, mask);
  return tf.reshape(ops.matMul(out, p(`core.${l}.attn.wo`)), [B, T, D]);
}

/** SwiGLU FFN over x [M, D] -> [M, D]. */
function ffn(x: tf.Tensor, prefix: string, p: ParamGetter, ops: Ops): tf.Tensor {
  const gate = silu(ops.matMul(x, p(`${prefix}.w1`)));
  return ops.matMul(tf.mul(gate, ops.matMul(x, p(`${prefix}.w3`))), p(`${prefix}.w2`));
}

/** The decoder's final byte vectors [B*T*P, dB], one per slot, before the tied output head. */
function forwardBytes(p: ParamGetter, batch: EncodedBatch, cfg: StlmConfig, ops: Ops): tf.Tensor2D {
  const { batch: B, chunks: T } = batch;
  const { chunkBytes: P, byteDim: dB, dModel: D } = cfg;
  const N = B * T;
  const table = p('byteEmbedding') as tf.Tensor2D;

  // Byte encoder: embed the bytes of the previous chunk, mix within the chunk, pool to one vector.
  const encIds = tf.tensor1d(batch.encoderIds, 'int32');
  let x = tf.add(tf.reshape(ops.embed(table, encIds), [N, P, dB]), p('enc.pos'));
  x = byteBlocks(x, 'enc', false, p, cfg, ops);
  const pooled = ops.matMul(tf.reshape(x, [N, P * dB]), p('pool.w')); // [N, D]

  // Core: causal transformer over chunk vectors.
  let h = tf.add(tf.reshape(pooled, [B, T, D]), tf.slice(p('core.pos'), [0, 0], [T, D]));
  const mask = causalAttnMask(T);
  for (let l = 0; l < cfg.coreLayers; l++) {
    h = tf.add(h, attention(ops.rmsNorm(h, p(`core.${l}.attnNorm.gain`), cfg.normEps), l, p, cfg, ops, mask));
    const f = tf.reshape(ops.rmsNorm(h, p(`core.${l}.ffnNorm.gain`), cfg.normEps), [N, D]);
    h = tf.add(h, tf.reshape(ffn(f, ffnPrefix(cfg, l), p, ops), [B, T, D]));
  }
  h = ops.rmsNorm(h, p('core.finalNorm.gain'), cfg.normEps);

  // Byte decoder: the chunk vector plus the bytes of the next chunk so far predict its next byte.
  const ctx = tf.reshape(ops.matMul(tf.reshape(h, [N, D]), p('dec.proj')), [N, P, dB]);
  const decIds = tf.tensor1d(batch.decoderIds, 'int32');
  let y = tf.add(tf.add(ctx, tf.reshape(ops.embed(table, decIds), [N, P, dB])), p('dec.pos'));
  y = byteBlocks(y, 'dec', true, p, cfg, ops);
  y = ops.rmsNorm(y, p('dec.finalNorm.gain'), cfg.normEps);
  return tf.reshape(y, [N * P, dB]) as tf.Tensor2D;
}

/** Output head = the same byte embedding matrix (weight tying). */
function byteHead(y: tf.Tensor2D, p: ParamGetter, ops: Ops): tf.Tensor2D {
  return ops.matMulBT(y, p('byteEmbedding')) as tf.Tensor2D;
}

/** Byte logits [B*T*P, BYTE_VOCAB] for every slot of an encoded batch (generation reads them). */
export function forwardLogits(p: ParamGetter, batch: EncodedBatch, cfg: StlmConfig, ops: Ops): tf.Tensor2D {
  return byteHead(forwardBytes(p, batch, cfg, ops), p, ops);
}

/**
 * Summed cross-entropy (nats) over the scored bytes of the batch, a scalar. The head and the loss run on the
 * scored slots only: padding slots (over 40% of them with 8-byte chunks of English) are never scored, and the
 * 258-wide head is the widest product a byte sees.
 */
export function lossSum(p: ParamGetter, batch: EncodedBatch, cfg: StlmConfig, ops: Ops): tf.Scalar {
  const scored = ops.gatherRows(forwardBytes(p, batch, cfg, ops), tf.tensor1d(batch.scoredSlots, 'int32'));
  const targets = tf.tensor1d(batch.scoredTargets, 'int32');
  return ops.crossEntropySum(byteHead(scored, p, ops), targets, tf.ones([batch.scoredBytes]) as tf.Tensor1D);
}

/**
 * Log-probability (nats) of each scored byte given everything before it, [scoredBytes] in scoredSlots order
 * (example by example, each example's bytes in order). Multiple-choice scoring reads it.
 */
export function scoredLogProbs(p: ParamGetter, batch: EncodedBatch, cfg: StlmConfig, ops: Ops): tf.Tensor1D {
  const scored = ops.gatherRows(forwardBytes(p, batch, cfg, ops), tf.tensor1d(batch.scoredSlots, 'int32'));
  const logp = tf.logSoftmax(byteHead(scored, p, ops)); // [S, BYTE_VOCAB]
  const pick = tf.oneHot(tf.tensor1d(batch.scoredTargets, 'int32'), logp.shape[1]);
  return tf.sum(tf.mul(logp, pick), -1) as tf.Tensor1D;
}
