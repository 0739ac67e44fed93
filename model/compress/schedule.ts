// Gradual pruning after Zhu & Gupta 2017 ("To prune, or not to prune"): sparsity rises from the initial value
// to the target along a cubic over a span of consolidations, fast at first (many redundant weights) and slow
// near the end (training has less time to recover from each cut):
//   s_k = s_f + (s_i - s_f) * (1 - k / n)^3,  k = consolidations done, clamped to [0, n].
// Each step re-ranks the live weights by magnitude, keeps what was pruned pruned, and returns the MaskSet the
// training loop applies to the master weights after every optimizer step.
import type { ParamManifest } from '../params.ts';
import { MaskSet, type MaskSetState } from './mask.ts';
import { manifestPolicy, type PolicyOptions } from './policy.ts';
import { buildMasks, checkSparsity, type PruneScope } from './prune.ts';

export interface PruneScheduleOptions extends PolicyOptions {
  /** Final sparsity s_f, in [0, 1). (2:4 is a one-shot structure: it has no gradual form here.) */
  target: number;
  /** Consolidations n over which sparsity rises to the target. */
  span: number;
  /** Starting sparsity s_i (default 0). */
  initial?: number;
  scope?: PruneScope;
}

export interface PruneScheduleState {
  target: number;
  span: number;
  initial: number;
  scope: PruneScope;
  pruneEmbedding: boolean;
  /** Consolidations done. */
  step: number;
  masks: MaskSetState | null;
}

export type PruneScheduleSpec = { kind: 'oneshot' } | { kind: 'gradual'; span: number };

export const DEFAULT_PRUNE_SPAN = 4;

/** Parses a `--prune-schedule` value: `oneshot` (prune at consolidation only, training never sees the mask),
 * `gradual` (over DEFAULT_PRUNE_SPAN consolidations) or `gradual:N` (over N consolidations). */
export function parsePruneSchedule(value: string): PruneScheduleSpec {
  if (value === 'oneshot') return { kind: 'oneshot' };
  const m = /^gradual(?::(\d+))?$/.exec(value);
  const span = m ? (m[1] === undefined ? DEFAULT_PRUNE_SPAN : Number(m[1])) : NaN;
  if (!Number.isInteger(span) || span < 1) {
    throw new Error(`prune schedule must be "oneshot", "gradual" or "gradual:N" (N consolidations >= 1), got "${value}"`);
  }
  return { kind: 'gradual', span };
}

/** Sparsity after `k` of `span` steps. */
export function gradualSparsity(k: number, span: number, target: number, initial = 0): number {
  if (!Number.isInteger(span) || span < 1) throw new Error(`prune schedule: span must be a positive integer, got ${span}`);
  const t = Math.min(Math.max(k, 0), span) / span;
  return target + (initial - target) * (1 - t) ** 3;
}

export class PruneSchedule {
  readonly opts: Required<PruneScheduleOptions>;
  private k = 0;
  private masks: MaskSet | null = null;

  constructor(opts: PruneScheduleOptions) {
    if (opts.target as unknown === '2:4') throw new Error('prune schedule: 2:4 has no gradual form; use one-shot 2:4');
    checkSparsity(opts.target);
    const initial = checkSparsity(opts.initial ?? 0) as number;
    if (initial > opts.target) throw new Error(`prune schedule: initial sparsity ${initial} is above the target ${opts.target}`);
    gradualSparsity(0, opts.span, opts.target);
    this.opts = { initial, scope: 'per-tensor', pruneEmbedding: false, ...opts } as Required<PruneScheduleOptions>;
  }

  /** Consolidations done so far. */
  get step(): number {
    return this.k;
  }

  /** Sparsity the masks have now. */
  get currentSparsity(): number {
    return this.k === 0 ? 0 : gradualSparsity(this.k, this.opts.span, this.opts.target, this.opts.initial);
  }

  get done(): boolean {
    return this.k >= this.opts.span;
  }

  /** The current masks (null before the first advance). */
  get maskSet(): MaskSet | null {
    return this.masks;
  }

  /** One consolidation: raise sparsity one step, re-mask by magnitude, zero the pruned weights in place. */
  advance(weights: Float32Array, manifest: ParamManifest): MaskSet {
    this.k = Math.min(this.k + 1, this.opts.span);
    const sparsity = gradualSparsity(this.k, this.opts.span, this.opts.target, this.opts.initial);
    const masks = buildMasks(weights, manifestPolicy(manifest, this.opts), {
      sparsity,
      scope: this.opts.scope,
      prior: this.masks?.toMap(),
    });
    this.masks = new MaskSet(manifest, masks);
    this.masks.apply(weights);
    return this.masks;
  }

  /** Call after every optimizer step on the master weights: pruned weights go back to exactly 0. */
  apply(weights: Float32Array): void {
    this.masks?.apply(weights);
  }

  exportState(): PruneScheduleState {
    const { target, span, initial, scope, pruneEmbedding } = this.opts;
    return { target, span, initial, scope, pruneEmbedding, step: this.k, masks: this.masks?.exportState() ?? null };
  }

  static importState(manifest: ParamManifest, s: PruneScheduleState): PruneSchedule {
    const sched = new PruneSchedule({ target: s.target, span: s.span, initial: s.initial, scope: s.scope, pruneEmbedding: s.pruneEmbedding });
    if (!Number.isInteger(s.step) || s.step < 0) throw new Error(`PruneSchedule.importState: bad step ${s.step}`);
    sched.k = Math.min(s.step, s.span);
    sched.masks = s.masks ? MaskSet.importState(manifest, s.masks) : null;
    return sched;
  }
}
