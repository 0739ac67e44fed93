// Counting the FLOPs of a training step, honestly: only the matrix multiplications the model needs.
// Forward: 2*M*K*N per matMul [M,K]@[K,N] (attention included, with the full T x T score matrix that is
// actually computed under the causal mask). Backward: two matMuls of the same size per forward matMul (input
// gradient and weight gradient), so training = 3 x forward. Not counted: elementwise ops, norms, softmax,
// transposes, the embedding lookup and the one-hot matMul that computes its gradient.
import type { StlmConfig } from './config.ts';
import { BYTE_VOCAB } from './bytes.ts';

export interface MatMulShape {
  what: string;
  /** Independent products (batch of a batched matMul). */
  batch: number;
  m: number;
  k: number;
  n: number;
  /** How many times the step runs this forward product. */
  count: number;
}

export const FLOP_COUNTING_METHOD =
  'Model matMul FLOPs only: 2*M*K*N per forward matMul (dense layers, attention scores and values with the ' +
  'full T x T matrix, tied byte output head on the scored slots); backward counted as 2x forward (input and weight gradients), ' +
  'so a training step = 3x forward. Not counted: elementwise ops, norms, softmax, transposes, embedding ' +
  'lookup and its one-hot gradient matMul, the AdamW update. Time includes all of it.';

/** The forward matMuls of one step on B examples of T chunks; the tied head runs on the `scoredSlots` real
 * bytes only (default: every slot, an upper bound). */
export function forwardMatMuls(cfg: StlmConfig, B: number, T: number, scoredSlots = B * T * cfg.chunkBytes): MatMulShape[] {
  const { chunkBytes: P, byteDim: dB, byteHidden: hB, dModel: D, ffnHidden: H, heads, byteLayers: bl, coreLayers: L } = cfg;
  const N = B * T;
  const hd = D / heads;
  const byteBlock = (side: string): MatMulShape[] => [
    cfg.byteMix === 'dense'
      ? { what: `${side} dense slot mix`, batch: 1, m: N, k: P * dB, n: P * dB, count: bl }
      : { what: `${side} slot mix`, batch: 1, m: N * dB, k: P, n: P, count: bl },
    { what: `${side} byte MLP in`, batch: 1, m: N * P, k: dB, n: hB, count: bl },
    { what: `${side} byte MLP out`, batch: 1, m: N * P, k: hB, n: dB, count: bl },
  ];
  return [
    ...byteBlock('encoder'),
    { what: 'pool', batch: 1, m: N, k: P * dB, n: D, count: 1 },
    { what: 'attention q/k/v', batch: 1, m: N, k: D, n: D, count: 3 * L },
    { what: 'attention scores', batch: B * heads, m: T, k: hd, n: T, count: L },
    { what: 'attention values', batch: B * heads, m: T, k: T, n: hd, count: L },
    { what: 'attention out', batch: 1, m: N, k: D, n: D, count: L },
    { what: 'ffn gate/up', batch: 1, m: N, k: D, n: H, count: 2 * L },
    { what: 'ffn down', batch: 1, m: N, k: H, n: D, count: L },
    { what: 'decoder projection', batch: 1, m: N, k: D, n: P * dB, count: 1 },
    ...byteBlock('decoder'),
    { what: 'byte head (tied, scored slots)', batch: 1, m: Math.round(scoredSlots), k: dB, n: BYTE_VOCAB, count: 1 },
  ];
}

export function trainingFlops(cfg: StlmConfig, B: number, T: number, scoredSlots?: number): { forward: number; total: number } {
  const forward = forwardMatMuls(cfg, B, T, scoredSlots).reduce((s, x) => s + 2 * x.batch * x.m * x.k * x.n * x.count, 0);
  return { forward, total: 3 * forward };
}

/** The 2-D dense matMul shapes [M,K]x[K,N] a fast training step runs: forward, input and weight gradients. */
export function denseStepShapes(cfg: StlmConfig, B: number, T: number, scoredSlots?: number): Array<[number, number, number]> {
  const seen = new Map<string, [number, number, number]>();
  for (const s of forwardMatMuls(cfg, B, T, scoredSlots)) {
    if (s.batch !== 1) continue;
    for (const sh of [[s.m, s.k, s.n], [s.m, s.n, s.k], [s.k, s.m, s.n]] as Array<[number, number, number]>) {
      seen.set(sh.join('x'), sh);
    }
  }
  return [...seen.values()];
}
