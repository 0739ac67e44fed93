// Turns a batch of byte examples into the index arrays the model consumes. For an example of n chunks,
// core position t (0 <= t < n) reads chunk t-1 (position 0 reads a "beginning" chunk [EOD, PAD, ...]) and
// the decoder at t predicts the bytes of chunk t, byte by byte: decoder slot j sees PAD (start) at slot 0
// and byte j-1 of chunk t at slot j, and its target is byte j. Slots past a chunk's end are not scored.
import type { StlmConfig } from './config.ts';
import { chunkEnds, EOD, PAD } from './bytes.ts';

export interface EncodedBatch {
  /** Examples in the batch. */
  batch: number;
  /** Chunk positions (the longest example's chunk count). */
  chunks: number;
  /** [batch, chunks, P] encoder input byte ids. */
  encoderIds: Int32Array;
  /** [batch, chunks, P] decoder input byte ids (targets shifted right by one slot). */
  decoderIds: Int32Array;
  /** [batch, chunks, P] target byte ids (PAD where not scored). */
  targets: Int32Array;
  /** [batch, chunks, P] 1 where the target is a real byte, else 0. */
  weights: Float32Array;
  /** Number of scored bytes (the sum of weights): every byte of every example. */
  scoredBytes: number;
  /** [scoredBytes] flat slot index (b*T + t)*P + j of every scored byte, ascending. */
  scoredSlots: Int32Array;
  /** [scoredBytes] the target byte of each scored slot. */
  scoredTargets: Int32Array;
}

/** Encodes already-checked examples (see checkBatch). */
export function encodeBatch(examples: Uint8Array[], cfg: StlmConfig): EncodedBatch {
  const P = cfg.chunkBytes;
  const allEnds = examples.map((ex) => chunkEnds(ex, P));
  const T = Math.max(...allEnds.map((e) => e.length));
  const B = examples.length;
  const size = B * T * P;
  const encoderIds = new Int32Array(size).fill(PAD);
  const decoderIds = new Int32Array(size).fill(PAD);
  const targets = new Int32Array(size).fill(PAD);
  const weights = new Float32Array(size);
  let scoredBytes = 0;
  for (let b = 0; b < B; b++) {
    const ex = examples[b];
    const ends = allEnds[b];
    for (let t = 0; t < ends.length; t++) {
      const start = t === 0 ? 0 : ends[t - 1];
      const len = ends[t] - start;
      const row = (b * T + t) * P;
      for (let j = 0; j < len; j++) {
        targets[row + j] = ex[start + j];
        weights[row + j] = 1;
        if (j + 1 < P) decoderIds[row + j + 1] = ex[start + j];
      }
      scoredBytes += len;
      if (t === 0) {
        encoderIds[row] = EOD;
      } else {
        const prevStart = t === 1 ? 0 : ends[t - 2];
        for (let j = prevStart; j < start; j++) encoderIds[row + j - prevStart] = ex[j];
      }
    }
    // Positions past this example's last chunk keep PAD inputs and zero weights.
  }
  const scoredSlots = new Int32Array(scoredBytes);
  let k = 0;
  for (let i = 0; i < size; i++) if (weights[i] === 1) scoredSlots[k++] = i;
  const scoredTargets = scoredSlots.map((i) => targets[i]);
  return { batch: B, chunks: T, encoderIds, decoderIds, targets, weights, scoredBytes, scoredSlots, scoredTargets };
}
