// Magnitude pruning: keep masks (1 = keep, 0 = pruned) over tensor slices of the flat weights.
// Default scope is per matrix: every prunable matrix loses exactly the requested fraction. A global threshold
// would prune by one magnitude scale across matrices whose init scales differ (residual projections start
// sqrt(2L) times smaller) and could empty a whole matrix; per matrix is also what makes "exact per tensor"
// a checkable promise. 'global' is offered for comparison.
import type { TensorPolicy } from './policy.ts';

export type SparsityTarget = number | '2:4';
export type PruneScope = 'per-tensor' | 'global';

export function checkSparsity(s: unknown): SparsityTarget {
  if (s === '2:4') return s;
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s >= 1) {
    throw new Error(`sparsity must be a number in [0, 1) or "2:4", got ${JSON.stringify(s)}`);
  }
  return s;
}

/** Keep mask pruning exactly round(sparsity * n) of the smallest-magnitude values (ties: lower index first,
 * so masks are deterministic). Positions already pruned in `prior` rank lowest, so a growing sparsity never
 * revives a pruned weight. Finds the threshold with a native numeric sort instead of sorting indices. */
export function magnitudeMask(values: Float32Array, sparsity: number, prior?: Uint8Array): Uint8Array {
  checkSparsity(sparsity);
  const n = values.length;
  const keep = new Uint8Array(n).fill(1);
  const k = Math.round(sparsity * n);
  if (k === 0) return keep;
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) key[i] = prior && prior[i] === 0 ? -1 : Math.abs(values[i]);
  const threshold = key.slice().sort()[k - 1];
  let pruned = 0;
  for (let i = 0; i < n; i++) {
    if (key[i] < threshold) {
      keep[i] = 0;
      pruned++;
    }
  }
  for (let i = 0; i < n && pruned < k; i++) {
    if (key[i] === threshold) {
      keep[i] = 0;
      pruned++;
    }
  }
  return keep;
}

/** N:M structured mask (2:4 by default): in every group of M consecutive weights along the input dimension
 * (for one output channel), keep the N largest. A trailing group shorter than M keeps ceil(len * N / M). */
export function nmMask(values: Float32Array, shape: number[], channelAxis: 0 | 1, n = 2, m = 4): Uint8Array {
  if (shape.length !== 2) throw new Error(`N:M pruning needs a 2-D tensor, got shape [${shape.join(', ')}]`);
  const [rows, cols] = shape;
  if (rows * cols !== values.length) throw new Error(`N:M pruning: shape [${rows}, ${cols}] does not match ${values.length} values`);
  const keep = new Uint8Array(values.length);
  const channels = channelAxis === 1 ? cols : rows;
  const inputs = channelAxis === 1 ? rows : cols;
  const at = (c: number, k: number) => (channelAxis === 1 ? k * cols + c : c * cols + k);
  const group: number[] = [];
  for (let c = 0; c < channels; c++) {
    for (let g = 0; g < inputs; g += m) {
      group.length = 0;
      for (let k = g; k < Math.min(g + m, inputs); k++) group.push(at(c, k));
      const nKeep = Math.ceil((group.length * n) / m);
      group.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b);
      for (let j = 0; j < nKeep; j++) keep[group[j]] = 1;
    }
  }
  return keep;
}

export interface MaskRequest {
  sparsity: SparsityTarget;
  scope?: PruneScope;
  /** Masks from an earlier pruning (gradual schedule): what they pruned stays pruned. */
  prior?: Map<string, Uint8Array>;
}

/** Keep masks for every prunable tensor of `weights` (laid out by the policies' manifest entries). */
export function buildMasks(weights: Float32Array, policies: TensorPolicy[], req: MaskRequest): Map<string, Uint8Array> {
  const sparsity = checkSparsity(req.sparsity);
  const prunable = policies.filter((p) => p.prunable);
  const slice = (p: TensorPolicy) => weights.subarray(p.entry.offset, p.entry.offset + p.entry.size);
  const masks = new Map<string, Uint8Array>();
  if (sparsity === '2:4') {
    for (const p of prunable) masks.set(p.entry.name, nmMask(slice(p), p.entry.shape, p.channelAxis));
    return masks;
  }
  if ((req.scope ?? 'per-tensor') === 'per-tensor') {
    for (const p of prunable) masks.set(p.entry.name, magnitudeMask(slice(p), sparsity, req.prior?.get(p.entry.name)));
    return masks;
  }
  // Global: rank all prunable weights together, one threshold for all.
  const total = prunable.reduce((a, p) => a + p.entry.size, 0);
  const all = new Float32Array(total);
  const prior = req.prior ? new Uint8Array(total).fill(1) : undefined;
  let at = 0;
  for (const p of prunable) {
    all.set(slice(p), at);
    const pm = req.prior?.get(p.entry.name);
    if (prior && pm) prior.set(pm, at);
    at += p.entry.size;
  }
  const keepAll = magnitudeMask(all, sparsity, prior);
  at = 0;
  for (const p of prunable) {
    masks.set(p.entry.name, keepAll.slice(at, at + p.entry.size));
    at += p.entry.size;
  }
  return masks;
}

/** Fraction of zeros (pruned) in a keep mask. */
export function maskSparsity(keep: Uint8Array): number {
  if (keep.length === 0) return 0;
  let pruned = 0;
  for (let i = 0; i < keep.length; i++) if (keep[i] === 0) pruned++;
  return pruned / keep.length;
}
